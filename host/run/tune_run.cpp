// Running a tune plan and a generate plan.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "cascade/dataset.hpp"
#include "cascade/error.hpp"
#include "cascade/generators.hpp"
#include "cascade/communicator.hpp"
#include "cascade/run/execute.hpp"
#include "cascade/stop.hpp"
#include "provenance.hpp"
#include "text_file.hpp"

namespace fs = std::filesystem;

namespace cascade::run {

TuneOutcome run_tune(const TunePlan& plan, RunObserver& observer) {
  const std::vector<Network> networks = plan.networks.source.load_range(0, plan.networks.source.size());
  const auto started = std::chrono::system_clock::now();
  const auto t0 = std::chrono::steady_clock::now();
  TuneOutcome out;
  out.result = tune(plan.setup.model, networks, plan.setup.stimuli, plan.options, plan.tune,
                    [&](const TuneEpoch& e, std::int64_t total) { observer.epoch(e, total); });
  out.check = check_tuned_rate(out.result, networks, plan.options, plan.tune, plan.check);
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!plan.output.empty() && rank_of(plan.options.communicator.get()) == 0)
    write_text_file(plan.output, tune_provenance(plan, out.result, out.check, out.wall_seconds, started));
  return out;
}

namespace {

/// A dataset written whole or not at all: the networks go to a hidden
/// staging directory inside --out (same file system) and are renamed into
/// place once every one is written; a failure or stop removes the staging
/// directory and, when this run made it, --out.
class StagedDataset {
 public:
  explicit StagedDataset(const std::string& out) : out_(out) {
    std::error_code ec;
    created_out_ = !fs::exists(out_, ec);
    fs::create_directories(out_, ec);
    if (!fs::is_directory(out_, ec))
      throw Error("--out '" + out + "': cannot create the directory" + (ec ? " (" + ec.message() + ")" : ""));
    stage_ = fs::path(out_) / (".cascade-generate-" + std::to_string(::getpid()) + ".tmp");
    fs::remove_all(stage_, ec);
    if (!fs::create_directory(stage_, ec))
      throw Error("--out '" + out + "': cannot create the staging directory '" + stage_.string() + "': " + ec.message());
  }
  ~StagedDataset() {
    std::error_code ec;
    fs::remove_all(stage_, ec);
    if (!committed_ && created_out_) fs::remove(out_, ec);  // only if empty
  }
  StagedDataset(const StagedDataset&) = delete;
  StagedDataset& operator=(const StagedDataset&) = delete;

  std::string staged(const std::string& name) const { return (stage_ / name).string(); }

  /// Every staged entry under its final name (replacing what --force allows).
  void commit(const std::vector<std::string>& names) {
    for (const auto& n : names) {
      const fs::path target = fs::path(out_) / n;
      std::error_code ec;
      fs::remove_all(target, ec);
      fs::rename(stage_ / n, target, ec);
      if (ec) throw Error("--out '" + out_ + "': cannot move '" + n + "' into place: " + ec.message());
    }
    committed_ = true;
  }

 private:
  std::string out_;
  fs::path stage_;
  bool created_out_ = false, committed_ = false;
};

}  // namespace

namespace {

/// --out before anything is written: a directory (or a new one), whose
/// existing entries of these names are what this run may replace (files for
/// dense networks, edge-list directories), and which holds no other
/// networks (a dataset mixing two families would be read as one).
void check_generate_target(const GeneratePlan& p, const std::vector<std::string>& names) {
  std::error_code ec;
  const fs::file_status out = fs::status(p.out, ec);
  if (out.type() == fs::file_type::not_found) return;
  if (out.type() != fs::file_type::directory)
    throw Error("--out '" + p.out + "' exists and is not a directory; expected a directory for the networks");
  for (const auto& n : names) {
    const fs::path e = fs::path(p.out) / n;
    const fs::file_status st = fs::symlink_status(e, ec);
    if (st.type() == fs::file_type::not_found) continue;
    const bool expected = p.dense ? st.type() == fs::file_type::regular : st.type() == fs::file_type::directory;
    if (!expected)
      throw Error("--out '" + p.out + "': '" + e.string() + "' is not a " + (p.dense ? "regular file" : "directory") +
                  " (a link, device or other kind of entry); --force replaces only earlier networks: remove it");
    if (!p.force) throw Error("--out '" + p.out + "': '" + e.string() + "' exists; pass --force to overwrite");
  }
  std::vector<std::string> others;
  for (const auto& entry : fs::directory_iterator(p.out, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    const bool network = ext == ".npy" || ext == ".mtx" || fs::exists(entry.path() / "edge_index.npy", ec);
    if (network && name[0] != '.' && std::find(names.begin(), names.end(), name) == names.end())
      others.push_back(name);
  }
  if (!others.empty()) {
    std::sort(others.begin(), others.end());
    throw Error("--out '" + p.out + "' already holds " + std::to_string(others.size()) +
                " network(s) this run would not replace (" + others.front() + (others.size() > 1 ? ", ..." : "") +
                "): the directory would mix two families of networks; remove them or choose another directory");
  }
}

}  // namespace

GenerateOutcome run_generate(const GeneratePlan& p) {
  // The generator first: its parameters are checked before any file is touched.
  const std::function<Network(std::uint32_t)> make = make_generator(p.kind, p.n, p.params, p.seed, p.threads);
  std::vector<std::string> names;
  for (std::size_t k = 0; k < p.count; ++k) names.push_back(std::to_string(k) + (p.dense ? ".npy" : ""));
  check_generate_target(p, names);
  const auto t0 = std::chrono::steady_clock::now();
  GenerateOutcome out;
  StagedDataset stage(p.out);
  for (std::size_t k = 0; k < p.count; ++k) {
    check_stop("generating networks");
    const Network net = make(static_cast<std::uint32_t>(k));
    out.synapses += net.n_synapses();
    if (p.dense) save_dense_network(net, stage.staged(names[k]), p.float32);
    else save_edge_list(net, stage.staged(names[k]), p.float32);
  }
  check_stop("generating networks");
  stage.commit(names);
  out.networks = p.count;
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace cascade::run

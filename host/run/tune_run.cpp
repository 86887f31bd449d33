// Running a tune plan and a generate plan.
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "cascade/dataset.hpp"
#include "cascade/error.hpp"
#include "cascade/generators.hpp"
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
  if (!plan.output.empty())
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
    if (!fs::is_directory(out_, ec)) throw Error("--out '" + out + "': cannot create the directory");
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

GenerateOutcome run_generate(const GeneratePlan& p) {
  // The generator first: its parameters are checked before any file is touched.
  const std::function<Network(std::uint32_t)> make = make_generator(p.kind, p.n, p.params, p.seed, p.threads);
  std::vector<std::string> names;
  for (std::size_t k = 0; k < p.count; ++k) names.push_back(std::to_string(k) + (p.dense ? ".npy" : ""));
  std::error_code ec;
  if (!p.force)
    for (const auto& n : names)
      if (fs::exists(fs::path(p.out) / n, ec))
        throw Error("--out '" + p.out + "': '" + (fs::path(p.out) / n).string() + "' exists; pass --force to overwrite");
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

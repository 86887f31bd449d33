// Running a tune plan and a generate plan.
#include <chrono>
#include <filesystem>

#include "cascade/dataset.hpp"
#include "cascade/error.hpp"
#include "cascade/generators.hpp"
#include "cascade/run/execute.hpp"
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
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!plan.output.empty()) write_text_file(plan.output, tune_provenance(plan, out.result, out.wall_seconds, started));
  return out;
}

GenerateOutcome run_generate(const GeneratePlan& p) {
  // The generator first: its parameters are checked before any file is touched.
  const std::function<Network(std::uint32_t)> make = make_generator(p.kind, p.n, p.params, p.seed, p.threads);
  std::error_code ec;
  fs::create_directories(p.out, ec);
  if (!fs::is_directory(p.out, ec)) throw Error("--out '" + p.out + "': cannot create the directory");
  auto target = [&](std::size_t k) { return (fs::path(p.out) / (std::to_string(k) + (p.dense ? ".npy" : ""))).string(); };
  if (!p.force)
    for (std::size_t k = 0; k < p.count; ++k)
      if (fs::exists(target(k), ec))
        throw Error("--out '" + p.out + "': '" + target(k) + "' exists; pass --force to overwrite");
  const auto t0 = std::chrono::steady_clock::now();
  GenerateOutcome out;
  for (std::size_t k = 0; k < p.count; ++k) {
    const Network net = make(static_cast<std::uint32_t>(k));
    out.synapses += net.n_synapses();
    if (p.dense) save_dense_network(net, target(k), p.float32);
    else save_edge_list(net, target(k), p.float32);
  }
  out.networks = p.count;
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace cascade::run

// cascade-fit-bench: time per optimiser iteration of the connectivity fit
// (cascade/fit.hpp) against neurons, candidate edges and recording length
// (bench/README.md). Spikes come from seeded BernoulliGLM simulations of the
// reference's Normal(std 5, glorot) networks; each point fits for a fixed
// number of iterations after a warm-up fit, repeated; reports the median
// seconds per iteration (every neuron's line search included) and rates.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cascade/cascade.hpp"

using namespace cascade;

namespace {

struct Point {
  std::size_t neurons;
  std::int64_t steps;
  std::size_t screen;  // 0: every pair
};

struct Row {
  Point p;
  std::size_t edges = 0;
  double spikes_per_neuron = 0, median_s = 0, min_s = 0, max_s = 0, iterations = 0;
};

SpikeData spikes_for(std::size_t n, std::int64_t steps, std::uint64_t seed) {
  Network net = generate(NormalGenerator{n, 0.0, 5.0, 0.5, true}, seed);
  SimulatorOptions so;
  so.seed = seed;
  so.backend = Backend::kCpu;
  Simulator sim(make_model("bernoulli_glm"), std::vector<Network>{net}, so);
  RunOptions ro;
  ro.steps = steps;
  SimulationResult r = sim.run(ro);
  std::vector<std::uint8_t> c(r.raster.data(), r.raster.data() + r.raster.size_bytes());
  return spikes_from_counts(std::move(c), 1, n, static_cast<std::size_t>(steps), "bench spikes");
}

Row measure(const Point& p, int repeat, std::int64_t iterations, int threads) {
  const AnyModel model = make_model("bernoulli_glm");
  const SpikeData s = spikes_for(p.neurons, p.steps, 1);
  const Candidates c = p.screen ? screen_candidates(filtered_cross_correlation(model, s, -1, threads), p.neurons,
                                                    p.screen, false)
                                : all_pairs(p.neurons, false);
  FitOptions o;
  o.max_iterations = iterations;
  o.tolerance = 0;  // run every iteration
  o.gradient_tolerance = 0;
  o.threads = threads;
  Row row;
  row.p = p;
  row.edges = c.edges();
  double total = 0;
  for (auto v : s.counts) total += v;
  row.spikes_per_neuron = total / static_cast<double>(p.neurons);
  (void)fit_connectivity(model, s, c, {}, o);  // warm-up
  std::vector<double> per_iteration;
  for (int k = 0; k < repeat; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const FitResult r = fit_connectivity(model, s, c, {}, o);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double iters = 0;
    for (auto it : r.iterations) iters += static_cast<double>(it);
    iters /= static_cast<double>(p.neurons);
    row.iterations = iters;
    per_iteration.push_back(sec / std::max(1.0, iters));
  }
  std::sort(per_iteration.begin(), per_iteration.end());
  row.median_s = per_iteration[per_iteration.size() / 2];
  row.min_s = per_iteration.front();
  row.max_s = per_iteration.back();
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json;
  int repeat = 3, threads = 0;
  bool quick = false;
  for (int a = 1; a < argc; ++a) {
    const std::string s = argv[a];
    if (s == "--json" && a + 1 < argc) json = argv[++a];
    else if (s == "--repeat" && a + 1 < argc) repeat = std::max(1, std::atoi(argv[++a]));
    else if (s == "--threads" && a + 1 < argc) threads = std::atoi(argv[++a]);
    else if (s == "--quick") quick = true;
    else {
      std::fprintf(stderr,
                   "usage: cascade-fit-bench [--repeat N] [--threads T] [--json FILE] [--quick]\n"
                   "Seconds per fit iteration against neurons, candidate edges and recorded steps.\n");
      return s == "--help" ? 0 : 2;
    }
  }
  std::vector<Point> points;
  if (quick) {
    points = {{50, 20000, 0}, {100, 20000, 0}};
  } else {
    for (std::size_t n : {50u, 100u, 200u, 400u}) points.push_back({n, 100000, 0});           // neurons
    for (std::int64_t t : {20000, 50000, 200000, 500000}) points.push_back({100, t, 0});   // length
    for (std::size_t k : {10u, 25u, 50u}) points.push_back({200, 100000, k});              // edges (screened)
  }
  std::vector<Row> rows;
  std::printf("%8s %9s %9s %9s %12s %12s %14s %14s\n", "neurons", "steps", "screen", "edges", "spikes/n", "s/iter",
              "edge-steps/s", "neuron-steps/s");
  for (const Point& p : points) {
    const Row r = measure(p, repeat, 5, threads);
    rows.push_back(r);
    std::printf("%8zu %9lld %9zu %9zu %12.0f %12.4g %14.4g %14.4g\n", p.neurons, static_cast<long long>(p.steps),
                p.screen, r.edges, r.spikes_per_neuron, r.median_s,
                static_cast<double>(r.edges) * static_cast<double>(p.steps) / r.median_s,
                static_cast<double>(p.neurons) * static_cast<double>(p.steps) / r.median_s);
    std::fflush(stdout);
  }
  if (!json.empty()) {
    std::ofstream js(json);
    js << "{\"cascade\": \"" << kVersion << "\", \"git_hash\": \"" << build_info().git_hash
       << "\", \"threads\": " << threads << ", \"results\": [\n";
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const Row& r = rows[k];
      js << "  {\"neurons\": " << r.p.neurons << ", \"steps\": " << r.p.steps << ", \"screen\": " << r.p.screen
         << ", \"edges\": " << r.edges << ", \"spikes_per_neuron\": " << r.spikes_per_neuron
         << ", \"iterations_per_neuron\": " << r.iterations << ", \"seconds_per_iteration\": {\"median\": "
         << r.median_s << ", \"min\": " << r.min_s << ", \"max\": " << r.max_s << "}}"
         << (k + 1 < rows.size() ? ",\n" : "\n");
    }
    js << "]}\n";
  }
  return 0;
}

// The C++ API at a glance (docs/api.md shows this file): generate networks,
// simulate them with a stimulus, save the spikes, tune a parameter.
#include <cascade/cascade.hpp>

#include <cstdio>
#include <exception>

int main() try {
  // Two seeded networks as the reference's NormalGenerator makes them
  // (100 neurons, std 5, sparsity 0.5, glorot); network k has instance id k.
  std::vector<cascade::Network> nets;
  for (std::uint32_t k = 0; k < 2; ++k)
    nets.push_back(cascade::generate(cascade::NormalGenerator{100, 0.0, 5.0, 0.5, true}, /*seed*/ 1, k));

  // A model by name, with the reference's parameter names.
  cascade::AnyModel model = cascade::make_model("bernoulli_glm");
  cascade::set_param(model, "theta", 5.0);

  // Four replicas per network, seed 7, CPU threads chosen automatically.
  cascade::SimulatorOptions opt;
  opt.replicas = 4;
  opt.seed = 7;
  cascade::Simulator sim(model, nets, opt);

  // A regular stimulus on the first 10 neurons of every network.
  cascade::Stimulus stim = cascade::parse_stimulus("regular:strength=3,period=50,tau=5");
  std::vector<std::uint8_t> mask(100, 0);
  for (int i = 0; i < 10; ++i) mask[i] = 1;
  stim.masks = {mask};
  sim.set_stimuli({stim});

  // 100 equilibration steps (stimulus off), then 2 000 recorded steps.
  cascade::SimulationResult res = sim.simulate(2000, 100, cascade::RecordDtype::kUInt8);
  std::printf("raster [%zu, %zu, %zu], mean rate %.3g Hz, %llu synaptic events\n", res.raster.replicas(),
              res.raster.neurons(), res.raster.steps(), res.summary.mean_rate_hz,
              static_cast<unsigned long long>(res.summary.synaptic_events));
  std::printf("replica 0, neuron 0, step 0: %u spike(s)\n", res.raster.at(0, 0, 0));
  res.raster.write_npy("api_tour_spikes.npy");  // [replicas, total neurons, steps]

  // Tune theta so that the expected rate is 12 Hz (Adam, hand-written gradient).
  cascade::TuneOptions o;
  o.target_hz = 12.0;
  o.selection = {"theta"};
  o.epochs = 60;
  o.steps = 200;
  o.lr = 0.05;
  const cascade::TuneResult tuned = cascade::tune(model, nets, {}, opt, o);
  std::printf("theta %.4g -> %.4g, last epoch %.3g Hz\n", tuned.initial[0], tuned.final[0],
              tuned.history.back().rate_hz);

  // The tuned model simulates like any other.
  cascade::Simulator check(tuned.model, nets, opt);
  std::printf("tuned: %.3g Hz over 5 000 steps\n", check.simulate(5000).summary.mean_rate_hz);
  std::printf("built from %s (%s)\n", cascade::build_info().version.c_str(), cascade::build_info().git_hash.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "api_tour: %s\n", e.what());
  return 1;
}

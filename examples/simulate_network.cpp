// The main example: a BernoulliGLM at the reference test-suite parameters on
// a 20-neuron "glorot" network (the reference's own, when the shared fixtures
// are present; otherwise one made by the same recipe: cascade's normal
// generator, n = 20, std 5, glorot, seed 0), 8 replicas, on the best backend.
#include <cascade/cascade.hpp>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  const std::string shared = argc > 1 ? argv[1] : CASCADE_SHARED_DIR;
  const std::string path = shared + "/reference/spikeometric_fixtures/glorot_0_W0.npy";
  std::vector<cascade::Network> nets;
  if (std::filesystem::exists(path)) {
    nets.push_back(cascade::load_dense_network(path));
    std::printf("network: the reference's 20-neuron glorot network, %s\n", path.c_str());
  } else {
    nets.push_back(cascade::generate(cascade::NormalGenerator{20, 0.0, 5.0, 0.5, true}, /*seed*/ 0, /*index*/ 0));
    std::printf("network: 20 neurons made by the reference's glorot recipe (cascade generate normal --n 20 "
                "--param mean=0 --param std=5 --param glorot=true); the reference's own file is not at %s\n",
                path.c_str());
  }
  cascade::SimulatorOptions opt;
  opt.replicas = 8;
  opt.seed = 0;
  opt.backend = cascade::Backend::kAuto;
  cascade::Simulator sim(cascade::make_model("bernoulli_glm"), std::move(nets), opt);
  const auto res = sim.simulate(100000, 100);
  const auto& s = res.summary;
  std::printf("bernoulli_glm, %zu neurons, %zu synapses, %u replicas x 100000 steps on %s (%d thread(s))\n",
              sim.total_neurons(), sim.total_synapses(), opt.replicas, s.backend.c_str(), s.threads);
  std::printf("mean rate %.3f Hz (the reference: about 7 Hz), %llu spikes, %llu synaptic events, %.3f s, %.3g steps/s\n",
              s.mean_rate_hz, static_cast<unsigned long long>(s.recorded_spike_count),
              static_cast<unsigned long long>(s.synaptic_events), s.wall_seconds,
              (s.recorded_steps + s.equilibration_steps) / s.wall_seconds);
  return 0;
}

// The main example: a BernoulliGLM at the reference test-suite parameters on
// the reference's "glorot" network (or a generated one when the shared data
// is absent), 8 replicas, on the best backend present.
#include <cascade/cascade.hpp>

#include <cstdio>
#include <filesystem>
#include <random>

int main(int argc, char** argv) {
  const std::string shared = argc > 1 ? argv[1] : CASCADE_SHARED_DIR;
  const std::string path = shared + "/reference/spikeometric_fixtures/glorot_0_W0.npy";
  std::vector<cascade::Network> nets;
  if (std::filesystem::exists(path)) {
    nets.push_back(cascade::load_dense_network(path));
    std::printf("network: %s\n", path.c_str());
  } else {
    const std::size_t n = 100;
    std::mt19937_64 gen(0);
    std::normal_distribution<double> z(0.0, 5.0 / 10.0);
    std::vector<double> w(n * n, 0.0);
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n; ++i)
        if (i != j && gen() % 2) w[j * n + i] = (j < n / 2 ? 1 : -1) * std::fabs(z(gen));
    nets.push_back(cascade::Network::from_dense(std::span<const double>(w), n));
    std::printf("network: generated, %zu neurons (shared data not found at %s)\n", n, path.c_str());
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

// Simulates a user-defined model (custom_model.hpp) through the same engine
// as the built-in models.
#include <cstdio>
#include <random>

#include "custom_model.hpp"

int main() {
  // A 400-neuron random network with Dale's law (rows presynaptic).
  const std::size_t n = 400;
  std::mt19937_64 gen(1);
  std::normal_distribution<double> z(0.0, 2.0 / 20.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> w(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < n; ++i)
      if (i != j && u(gen) < 0.2) w[j * n + i] = (j < n / 2 ? 1 : -1) * std::fabs(z(gen));

  SoftplusGLM model;
  cascade::SimulatorOptions opt;
  opt.replicas = 4;
  opt.seed = 7;
  auto sim = cascade::Simulator::with_model(model, {cascade::Network::from_dense(std::span<const double>(w), n)}, opt);
  const auto res = sim.simulate(20000, 200);
  std::printf("softplus_glm: %zu neurons x %u replicas, 20000 steps: mean rate %.3f Hz, %llu synaptic events\n", n,
              opt.replicas, res.summary.mean_rate_hz,
              static_cast<unsigned long long>(res.summary.synaptic_events));
  return res.summary.recorded_spike_count > 0 ? 0 : 1;
}

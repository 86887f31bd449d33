// The shared __host__ __device__ math gives the same bits on the GPU as on
// the CPU. Label "gpu"; skipped with a message when no device is present.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "cascade/math.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/generators.hpp"
#include "cascade/engine/gpu_engine.hpp"
#include "shared_math_probe.hpp"

using namespace cascade;

namespace {
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
}  // namespace

TEST(GpuSharedMath, TranscendentalsAreBitIdentical) {
  if (gpu_device_count() == 0) GTEST_SKIP() << "no CUDA device visible: the GPU comparison did not run";
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<double> u(-700, 700);
  std::vector<double> x(200000);
  for (auto& v : x) v = u(gen);
  for (int i = 0; i < 1000; ++i) x[i] = std::ldexp(1.0, -1070 + i);  // subnormal inputs and outputs
  const auto d = kernels::evaluate_math_on_device(x);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double h[5] = {math::exp(x[i]), math::log(x[i]), math::sin(x[i]), math::cos(x[i]), math::sigmoid(x[i])};
    for (int k = 0; k < 5; ++k) bad += !same_bits(h[k], d[5 * i + k]) && !(h[k] != h[k] && d[5 * i + k] != d[5 * i + k]);
  }
  EXPECT_EQ(bad, 0u);
}

TEST(GpuSharedMath, SamplersDrawTheSameCounts) {
  if (gpu_device_count() == 0) GTEST_SKIP() << "no CUDA device visible: the GPU comparison did not run";
  std::vector<double> mu(100000);
  for (std::size_t i = 0; i < mu.size(); ++i) mu[i] = 1e-4 * std::pow(1.0001, static_cast<double>(i));
  const auto d = kernels::sample_on_device(mu, 12345, 678);
  for (std::size_t i = 0; i < mu.size(); ++i) {
    const NeuronStream rng{12345, 678, 0u, 0u, static_cast<std::uint32_t>(i)};
    ASSERT_EQ(d[2 * i], emit_poisson(mu[i], rng).count) << i;
    ASSERT_EQ(d[2 * i + 1], emit_bernoulli(mu[i] / (1.0 + mu[i]), rng).count) << i;
  }
}

TEST(GpuSharedMath, StimuliEvaluateToTheSameBits) {
  if (gpu_device_count() == 0) GTEST_SKIP() << "no CUDA device visible: the GPU comparison did not run";
  // All four kinds, masks, two networks of different sizes.
  std::vector<std::shared_ptr<const Network>> nets{
      std::make_shared<const Network>(generate(NormalGenerator{40, 0, 5, 0.5, true}, 1, 0)),
      std::make_shared<const Network>(generate(NormalGenerator{60, 0, 5, 0.5, true}, 1, 1))};
  std::vector<Stimulus> s{Stimulus{RegularStimulus{2.5, 7, 2.5, 3, 900}, {}, ""},
                          Stimulus{PoissonStimulus{1.25, 11, 800, 3, 5}, {}, ""},
                          Stimulus{SinStimulus{0.75, 33.3, 950, 0.4, 0.1, 2.5, 0.1}, {}, ""}};
  auto values = std::make_shared<StimulusValues>();
  values->neurons = 40;
  values->steps = 500;
  for (std::size_t k = 0; k < 40 * 500; ++k) values->data.push_back(std::sin(0.001 * static_cast<double>(k)));
  auto values60 = std::make_shared<StimulusValues>(*values);
  values60->neurons = 60;
  values60->steps = 300;
  LoadedStimulus loaded;
  loaded.per_network = {values, values60};
  s.push_back(Stimulus{loaded, {std::vector<std::uint8_t>(40, 1), std::vector<std::uint8_t>(60, 0)}, ""});
  for (std::size_t i = 0; i < 60; i += 3) s.back().masks[1][i] = 1;
  const StimulusTable table(s, nets, 99);
  kernels::StimulusProbeLayout layout;
  for (std::uint32_t b = 0; b < 2; ++b)
    for (std::uint32_t i = 0; i < nets[b]->n_neurons(); ++i) {
      layout.net.push_back(b);
      layout.local.push_back(i);
      layout.n_local.push_back(static_cast<std::uint32_t>(nets[b]->n_neurons()));
    }
  std::vector<std::int64_t> times;
  for (std::int64_t t = 0; t < 1000; ++t) times.push_back(t);
  const auto d = kernels::evaluate_stimulus_on_device(table, layout, times);
  const StimulusView v = table.view();
  std::size_t bad = 0;
  for (std::size_t k = 0; k < times.size(); ++k) {
    double tv[kMaxStimuli];
    stimulus_time_values(v, times[k], tv);
    for (std::size_t g = 0; g < layout.net.size(); ++g)
      bad += !same_bits(d[k * layout.net.size() + g],
                        stimulus_input(v, tv, layout.net[g], layout.n_local[g], layout.local[g], g, times[k]));
  }
  EXPECT_EQ(bad, 0u);
}

// The shared __host__ __device__ math gives the same bits on the GPU as on
// the CPU. Label "gpu"; skipped with a message when no device is present.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "cascade/math.hpp"
#include "cascade/models/model_api.hpp"
#include "shared_math_probe.hpp"

using namespace cascade;

namespace {
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
}  // namespace

TEST(GpuSharedMath, TranscendentalsAreBitIdentical) {
  if (kernels::device_count() == 0) GTEST_SKIP() << "no CUDA device visible: the GPU comparison did not run";
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
  if (kernels::device_count() == 0) GTEST_SKIP() << "no CUDA device visible: the GPU comparison did not run";
  std::vector<double> mu(100000);
  for (std::size_t i = 0; i < mu.size(); ++i) mu[i] = 1e-4 * std::pow(1.0001, static_cast<double>(i));
  const auto d = kernels::sample_on_device(mu, 12345, 678);
  for (std::size_t i = 0; i < mu.size(); ++i) {
    const NeuronStream rng{12345, 678, 0u, 0u, static_cast<std::uint32_t>(i)};
    ASSERT_EQ(d[2 * i], emit_poisson(mu[i], rng).count) << i;
    ASSERT_EQ(d[2 * i + 1], emit_bernoulli(mu[i] / (1.0 + mu[i]), rng).count) << i;
  }
}

// Cascade's own transcendental functions against the C++ standard library.
// They need not be correctly rounded, only close (<= 2 ulp here) and identical
// on host and device (test_gpu_shared_math).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include "cascade/math.hpp"

namespace {

std::int64_t ordered(double x) {
  std::int64_t i;
  std::memcpy(&i, &x, 8);
  return i < 0 ? std::numeric_limits<std::int64_t>::min() - i : i;
}
std::int64_t ulps(double a, double b) {
  const std::int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

template <class F, class G>
std::int64_t max_ulps(F ours, G ref, double lo, double hi, int n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::int64_t worst = 0;
  for (int i = 0; i < n; ++i) {
    const double x = u(gen);
    worst = std::max(worst, ulps(ours(x), ref(x)));
  }
  return worst;
}

}  // namespace

TEST(Math, ExpWithinTwoUlpOverTheWholeRange) {
  auto ours = [](double x) { return cascade::math::exp(x); };
  auto ref = [](double x) { return std::exp(x); };
  EXPECT_LE(max_ulps(ours, ref, -700, 700, 200000, 1), 2);
  EXPECT_LE(max_ulps(ours, ref, -1, 1, 200000, 2), 2);
  EXPECT_LE(max_ulps(ours, ref, -745, -708, 20000, 3), 2);  // subnormal results
  EXPECT_EQ(cascade::math::exp(0.0), 1.0);
  EXPECT_EQ(cascade::math::exp(800.0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(cascade::math::exp(-800.0), 0.0);
  EXPECT_TRUE(std::isnan(cascade::math::exp(std::nan(""))));
}

TEST(Math, LogWithinTwoUlp) {
  auto ours = [](double x) { return cascade::math::log(x); };
  auto ref = [](double x) { return std::log(x); };
  EXPECT_LE(max_ulps(ours, ref, 1e-300, 1e300, 100000, 4), 2);
  EXPECT_LE(max_ulps(ours, ref, 0.5, 2.0, 200000, 5), 2);
  EXPECT_LE(max_ulps(ours, ref, 1e-9, 1.0, 200000, 6), 2);
  EXPECT_EQ(cascade::math::log(1.0), 0.0);
  EXPECT_LE(ulps(cascade::math::log(4.9e-324), std::log(4.9e-324)), 2);  // subnormal input
  EXPECT_EQ(cascade::math::log(0.0), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(cascade::math::log(-1.0)));
}

TEST(Math, SinCosWithinTwoUlpOnBoxMullerAndStimulusRanges) {
  auto s = [](double x) { return cascade::math::sin(x); };
  auto c = [](double x) { return cascade::math::cos(x); };
  auto rs = [](double x) { return std::sin(x); };
  auto rc = [](double x) { return std::cos(x); };
  EXPECT_LE(max_ulps(s, rs, 0.01, 6.3, 200000, 7), 2);
  EXPECT_LE(max_ulps(c, rc, 0.0, 6.3, 200000, 8), 2);
  EXPECT_LE(max_ulps(s, rs, 1.0, 1000.0, 200000, 9), 2);
  EXPECT_LE(max_ulps(c, rc, -1000.0, -1.0, 200000, 10), 2);
  // Absolute accuracy near the zeros of sin at large arguments.
  for (int k = 1; k < 100000; k += 997) EXPECT_NEAR(cascade::math::sin(k * M_PI), std::sin(k * M_PI), 1e-15);
}

TEST(Math, SigmoidTailsAndSymmetry) {
  using cascade::math::sigmoid;
  EXPECT_EQ(sigmoid(0.0), 0.5);
  EXPECT_NEAR(sigmoid(-105.0), std::exp(-105.0), std::exp(-105.0) * 1e-14);  // kept as a tiny number
  EXPECT_GT(sigmoid(-740.0), 0.0);                                           // a subnormal, not flushed
  EXPECT_EQ(sigmoid(800.0), 1.0);
  for (double x : {-30.0, -3.0, -0.1, 0.7, 12.0})
    EXPECT_NEAR(sigmoid(x) + sigmoid(-x), 1.0, 4.5e-16) << x;  // two roundings
}

TEST(Math, ReluPassesNaNThrough) {
  EXPECT_EQ(cascade::math::relu(-2.0), 0.0);
  EXPECT_EQ(cascade::math::relu(3.0), 3.0);
  EXPECT_TRUE(std::isnan(cascade::math::relu(std::nan(""))));
}

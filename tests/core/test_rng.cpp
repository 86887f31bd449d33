// Philox packing (known-answer vectors) and the samplers' distributions.
// Statistical tests accept at p > 1e-6 (a false failure once in a million runs
// per assertion; about 1e-5 for the file).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cascade/models/model_api.hpp"
#include "cascade/rng.hpp"
#include "stats_util.hpp"

using namespace cascade;

TEST(Rng, PackingMatchesPhiloxKnownAnswers) {
  // Random123's published kat_vectors for philox4x32-10.
  const NeuronStream zero{0, 0, 0, 0, 0};
  const Block4 a = zero.block(Purpose::kInitialState, 0);
  EXPECT_EQ(a.w[0], 0x6627e8d5u);
  EXPECT_EQ(a.w[1], 0xe169c58du);
  EXPECT_EQ(a.w[2], 0xbc57ac4cu);
  EXPECT_EQ(a.w[3], 0x9b00dbd8u);
  // ctr = (243f6a88, 85a308d3, 13198a2e, 03707344), key = (a4093822, 299f31d0):
  // step = 0xd3243f6a88, instance = 0x85a308, neuron = 0x13198a2e,
  // replica = 0x0370, purpose = 0x73, draw = 0x44.
  const NeuronStream s{0x299f31d0a4093822ULL, 0xd3243f6a88ULL, 0x85a308u, 0x0370u, 0x13198a2eu};
  const Block4 b = s.block(static_cast<Purpose>(0x73), 0x44);
  EXPECT_EQ(b.w[0], 0xd16cfe09u);
  EXPECT_EQ(b.w[1], 0x94fdccebu);
  EXPECT_EQ(b.w[2], 0x5001e420u);
  EXPECT_EQ(b.w[3], 0x24126ea1u);
}

TEST(Rng, EveryCoordinateChangesTheBlock) {
  const NeuronStream base{7, 1000, 3, 2, 11};
  const Block4 ref = base.block(Purpose::kEmission, 0);
  auto differs = [&](const Block4& x) { return x.w[0] != ref.w[0] || x.w[1] != ref.w[1]; };
  EXPECT_TRUE(differs(NeuronStream{8, 1000, 3, 2, 11}.block(Purpose::kEmission, 0)));
  EXPECT_TRUE(differs(NeuronStream{7, 1001, 3, 2, 11}.block(Purpose::kEmission, 0)));
  EXPECT_TRUE(differs(NeuronStream{7, 1000 + (1ULL << 32), 3, 2, 11}.block(Purpose::kEmission, 0)));
  EXPECT_TRUE(differs(NeuronStream{7, 1000, 4, 2, 11}.block(Purpose::kEmission, 0)));
  EXPECT_TRUE(differs(NeuronStream{7, 1000, 3, 3, 11}.block(Purpose::kEmission, 0)));
  EXPECT_TRUE(differs(NeuronStream{7, 1000, 3, 2, 12}.block(Purpose::kEmission, 0)));
  EXPECT_TRUE(differs(base.block(Purpose::kNoise, 0)));
  EXPECT_TRUE(differs(base.block(Purpose::kEmission, 1)));
}

TEST(Rng, UniformsStayInsideTheOpenInterval) {
  EXPECT_GT(uniform32(0), 0.0);
  EXPECT_LT(uniform32(0xffffffffu), 1.0);
  EXPECT_GT(uniform52(0, 0), 0.0);
  EXPECT_LT(uniform52(0xffffffffu, 0xffffffffu), 1.0);
}

namespace {
std::vector<double> poisson_pmf(double mu, int kmax) {
  std::vector<double> p(kmax + 1);
  double tail = 1.0;
  for (int k = 0; k < kmax; ++k) {
    p[k] = std::exp(k * std::log(mu) - mu - std::lgamma(k + 1.0));
    tail -= p[k];
  }
  p[kmax] = std::max(tail, 0.0);
  return p;
}
}  // namespace

class PoissonSampler : public ::testing::TestWithParam<double> {};

TEST_P(PoissonSampler, ChiSquareAgainstThePmf) {
  const double mu = GetParam();
  const int n = 200000;
  const int kmax = static_cast<int>(mu + 10 * std::sqrt(mu) + 10);
  std::vector<double> hist(kmax + 1, 0.0);
  for (int i = 0; i < n; ++i) {
    const NeuronStream rng{42, static_cast<std::uint64_t>(i / 1000), 0, 0, static_cast<std::uint32_t>(i % 1000)};
    const Emission e = emit_poisson(mu, rng);
    ASSERT_EQ(e.flags, 0u);
    hist[std::min<int>(e.count, kmax)] += 1;
  }
  const auto [stat, dof] = test::chi2_statistic(hist, poisson_pmf(mu, kmax));
  EXPECT_GT(test::chi2_sf(stat, dof), 1e-6) << "mu " << mu << " chi2 " << stat << " dof " << dof;
}

INSTANTIATE_TEST_SUITE_P(Means, PoissonSampler, ::testing::Values(0.003, 0.7, 4.5, 30.0, 99.0));

TEST(Rng, PoissonMeanIsCappedAndReported) {
  double sum = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const Emission e = emit_poisson(1e6, NeuronStream{1, 0, 0, 0, static_cast<std::uint32_t>(i)});
    EXPECT_TRUE(e.flags & kEmitRateCapped);
    sum += e.count;
  }
  EXPECT_NEAR(sum / n, kMaxPoissonMean, 5 * std::sqrt(kMaxPoissonMean / n));
  EXPECT_EQ(emit_poisson(std::nan(""), NeuronStream{1, 0, 0, 0, 0}).flags, kEmitNonFinite);
}

TEST(Rng, BernoulliFrequencies) {
  for (double p : {1e-3, 0.3, 0.97}) {
    const int n = 400000;
    int k = 0;
    for (int i = 0; i < n; ++i) k += emit_bernoulli(p, NeuronStream{9, 5, 1, 0, static_cast<std::uint32_t>(i)}).count;
    const double z = (k - n * p) / std::sqrt(n * p * (1 - p));
    EXPECT_LT(std::fabs(z), 5.0) << "p " << p;  // two-sided 5.7e-7
  }
  EXPECT_EQ(emit_bernoulli(0.0, NeuronStream{1, 2, 3, 4, 5}).count, 0u);
  EXPECT_EQ(emit_bernoulli(1.0, NeuronStream{1, 2, 3, 4, 5}).count, 1u);
}

TEST(Rng, BoxMullerNormalChiSquare) {
  const int n = 200000, bins = 40;
  std::vector<double> hist(bins, 0.0), probs(bins, 1.0 / bins);
  for (int i = 0; i < n; ++i) {
    const Block4 b = NeuronStream{3, 0, 0, 0, static_cast<std::uint32_t>(i)}.block(Purpose::kNoise, 0);
    const double z = normal_box_muller(uniform52(b.w[1], b.w[2]), uniform32(b.w[3]));
    const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    hist[std::min(bins - 1, static_cast<int>(cdf * bins))] += 1;
  }
  const auto [stat, dof] = test::chi2_statistic(hist, probs);
  EXPECT_GT(test::chi2_sf(stat, dof), 1e-6) << stat;
}

// The extension point: a model defined outside the library (examples/
// custom_model.hpp) runs through the same engine, with the same guarantees.
#include <gtest/gtest.h>

#include "custom_model.hpp"
#include "net_util.hpp"
#include "test_util.hpp"

using namespace cascade;

TEST(CustomModel, UncoupledCountsArePoissonWithTheSoftplusRate) {
  // No synapses and no refractory filter: counts ~ Poisson(mu) i.i.d. with
  // mu = lambda_0 softplus(b - theta) dt / 1000. Chi-square, p > 1e-6.
  SoftplusGLM m;
  m.ref_window = 0;
  m.lambda_0 = 300.0;
  m.b = 1.5;
  const double mu = m.lambda_0 * std::log1p(std::exp(m.b - m.theta)) * m.dt / 1000.0;
  const std::vector<double> w(100 * 100, 0.0);
  auto sim = Simulator::with_model(m, {Network::from_dense(std::span<const double>(w), 100)});
  const auto res = sim.simulate(5000, 0, RecordDtype::kInt32);
  std::vector<double> hist(12, 0.0), pmf(12, 0.0);
  for (std::size_t i = 0; i < 100; ++i)
    for (std::size_t t = 0; t < 5000; ++t) hist[std::min<std::uint32_t>(res.raster.at(0, i, t), 11)] += 1;
  double tail = 1;
  for (int k = 0; k < 11; ++k) tail -= (pmf[k] = std::exp(k * std::log(mu) - mu - std::lgamma(k + 1.0)));
  pmf[11] = tail;
  const auto [stat, dof] = test::chi2_statistic(hist, pmf);
  EXPECT_GT(test::chi2_sf(stat, dof), 1e-6) << "mu " << mu << " chi2 " << stat;
}

TEST(CustomModel, ReproducibleAcrossThreadsAndRefractory) {
  SoftplusGLM m;
  SimulatorOptions o;
  o.replicas = 4;
  o.seed = 3;
  o.threads = 1;
  const Network net = test::random_network(1024, 0.2, 2.0, 9);
  auto a = Simulator::with_model(m, {net}, o);
  o.threads = 2;
  auto b = Simulator::with_model(m, {net}, o);
  const auto ra = a.simulate(6000, 100), rb = b.simulate(6000, 100);
  ASSERT_GE(ra.summary.recorded_spike_count, 100000u);
  EXPECT_EQ(rb.summary.threads, 2);
  EXPECT_TRUE(std::equal(ra.raster.data(), ra.raster.data() + ra.raster.size_bytes(), rb.raster.data()));
  // The refractory filter acts: no neuron fires in two consecutive steps
  // often when ref_strength = -5 (p drops by ~e^-5).
  std::uint64_t pairs = 0, spikes = 0;
  for (std::size_t i = 0; i < 1024; ++i)
    for (std::size_t t = 1; t < 6000; ++t) {
      spikes += ra.raster.at(0, i, t) > 0;
      pairs += ra.raster.at(0, i, t) > 0 && ra.raster.at(0, i, t - 1) > 0;
    }
  EXPECT_LT(static_cast<double>(pairs), 0.02 * static_cast<double>(spikes));
}

TEST(CustomModel, ValidationNamesTheParameter) {
  SoftplusGLM m;
  m.tau = -1;
  try {
    Simulator::with_model(m, {test::random_network(10, 0.5, 1.0, 1)});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "softplus_glm: parameter 'tau' = -1 is invalid; expected a value > 0");
  }
}

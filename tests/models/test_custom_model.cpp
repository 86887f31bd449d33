// The extension point: a model defined outside the library (examples/
// custom_model.hpp) runs through the same engine, with the same guarantees.
#include <gtest/gtest.h>

#include "cascade/extend/tune_model.hpp"
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

TEST(CustomModel, ItsDerivativesGiveTunesGradient) {
  // The user model's own derivatives (examples/custom_model.hpp) in tune's
  // tangent pass, against five-point central differences of the replay
  // objective (spikes held fixed), for every tunable parameter: the
  // non-linearity's (lambda_0, theta), the input's (b), the coupling decay's
  // (tau), the self filter's (ref_strength) and a stimulus's. softplus has
  // no kinks, so the differences' error is O(h^4) + O(eps R / h), below 2e-7
  // relative at h = 5e-4 max(|x|, 0.1) (as for the built-in models).
  SoftplusGLM m;
  m.lambda_0 = 60.0;
  m.theta = 0.5;
  m.b = 0.2;
  const std::vector<Network> nets = {test::random_network(60, 0.2, 1.0, 4), test::random_network(40, 0.3, 1.0, 5, 1)};
  std::vector<std::shared_ptr<const Network>> shared;
  for (const auto& n : nets) shared.push_back(std::make_shared<const Network>(n));
  const std::vector<Stimulus> stimuli{parse_stimulus("sin:amplitude=0.5,period=17,duration=150,baseline=0.1")};
  SimulatorOptions so;
  so.replicas = 2;
  so.seed = 11;
  const SpikeRecord rec = record_epoch_of(m, nets, stimuli, so, 10, 140);
  const auto names = resolve_tunable_of(m, stimuli, {"all"});
  ASSERT_EQ(names, (std::vector<std::string>{"lambda_0", "theta", "tau", "ref_strength", "b", "stimulus0.amplitude",
                                             "stimulus0.period", "stimulus0.phase", "stimulus0.baseline"}));
  const ReplayValue v = tangent::replay_value(m, shared, rec, stimuli, so.seed, names, true, 1);
  ASSERT_GT(v.rate_hz, 1.0);
  for (std::size_t q = 0; q < names.size(); ++q) {
    const double x = tangent::value_of(m, stimuli, names[q]);
    const double h = 5e-4 * std::max(std::fabs(x), 0.1);
    double f[4];
    const double offsets[4] = {-2, -1, 1, 2};
    for (int k = 0; k < 4; ++k) {
      SoftplusGLM mk = m;
      std::vector<Stimulus> sk = stimuli;
      tangent::set_value(mk, sk, names[q], x + offsets[k] * h);
      f[k] = tangent::replay_value(mk, shared, rec, sk, so.seed, names, false, 1).rate_hz;
    }
    const double fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
    EXPECT_NEAR(v.gradient[q], fd, 1e-6 * std::fabs(fd) + 1e-12 * v.rate_hz)
        << names[q] << " analytic " << v.gradient[q] << " fd " << fd;
  }
}

TEST(CustomModel, TuneModelReachesATargetRate) {
  // tune_model tunes the user model as tune does the built-in ones. theta
  // from 1 to where a 60-neuron network fires at 15 Hz: lr 0.05 is about
  // 1/20 of the distance (the rule of Tune.ReachesTargetRates), 200 epochs
  // of 200 steps x 4 replicas. The check: a long independent run (another
  // seed, 20 000 steps x 4 replicas, ~7e4 spikes: its own standard error is
  // below 0.5 %) fires within 5 % of the target.
  SoftplusGLM m;
  const std::vector<Network> nets = {test::random_network(60, 0.2, 1.0, 6)};
  TuneOptions o;
  o.target_hz = 15.0;
  o.selection = {"theta"};
  o.lr = 0.05;
  o.epochs = 200;
  o.steps = 200;
  o.equilibration = 100;
  SimulatorOptions so;
  so.seed = 3;
  so.replicas = 4;
  const TuneResultOf<SoftplusGLM> r = tune_model(m, nets, {}, so, o);
  EXPECT_EQ(r.gradient_path, "cpu tangent");
  EXPECT_NE(r.model.theta, m.theta);
  SimulatorOptions check;
  check.seed = 999;
  check.replicas = 4;
  auto sim = Simulator::with_model(r.model, nets, check);
  RunOptions ro;
  ro.steps = 20000;
  ro.record = false;
  const double rate = sim.run(ro).summary.mean_rate_hz;
  std::printf("softplus_glm: theta %.4g -> %.4g, long run %.4g Hz (target 15 Hz)\n", m.theta, r.model.theta, rate);
  EXPECT_NEAR(rate, 15.0, 0.05 * 15.0);
}

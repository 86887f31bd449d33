// Closed-form and exact expectations. Each assertion's false-failure rate is
// stated; together under 1e-5 per run of this file.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "net_util.hpp"
#include "test_util.hpp"

using namespace cascade;

namespace {

Network empty_network(std::size_t n, std::uint32_t id = 0) {
  const std::vector<double> w(n * n, 0.0);
  return Network::from_dense(std::span<const double>(w), n, id, "empty");
}

/// Per-neuron mean counts per step, averaged over replicas.
std::vector<double> neuron_means(const Raster& r) {
  std::vector<double> m(r.neurons() * r.replicas(), 0.0);
  for (std::size_t q = 0; q < r.replicas(); ++q)
    for (std::size_t i = 0; i < r.neurons(); ++i) {
      double s = 0;
      for (std::size_t t = 0; t < r.steps(); ++t) s += r.at(q, i, t);
      m[q * r.neurons() + i] = s / static_cast<double>(r.steps());
    }
  return m;
}

/// z of the mean of independent per-neuron estimates against `expected`.
double z_score(const std::vector<double>& x, double expected) {
  const double n = static_cast<double>(x.size());
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double var = 0;
  for (double v : x) var += (v - mean) * (v - mean);
  var /= (n - 1);
  return (mean - expected) / std::sqrt(var / n);
}

}  // namespace

TEST(Statistics, UncoupledRectifiedLnpCountsArePoisson) {
  // W0 = 0: every count is Poisson(lambda_0 relu(b - theta) dt), independent.
  // Chi-square on the count histogram, accepted at p > 1e-6.
  for (double lambda0 : {9.8, 50.0}) {
    AnyModel m = make_model("rectified_lnp");
    set_param(m, "lambda_0", lambda0);
    set_param(m, "b", 0.5);
    set_param(m, "theta", 0.0);
    SimulatorOptions o;
    o.seed = 11;
    Simulator sim(m, {empty_network(100)}, o);
    const auto res = sim.simulate(3000, 10, RecordDtype::kInt32);
    const double mu = lambda0 * 0.5 * 0.1;
    const int kmax = 20;
    std::vector<double> hist(kmax + 1, 0.0), pmf(kmax + 1, 0.0);
    for (std::size_t i = 0; i < 100; ++i)
      for (std::size_t t = 0; t < 3000; ++t) hist[std::min<std::uint32_t>(res.raster.at(0, i, t), kmax)] += 1;
    double tail = 1.0;
    for (int k = 0; k < kmax; ++k) tail -= (pmf[k] = std::exp(k * std::log(mu) - mu - std::lgamma(k + 1.0)));
    pmf[kmax] = tail;
    const auto [stat, dof] = test::chi2_statistic(hist, pmf);
    EXPECT_GT(test::chi2_sf(stat, dof), 1e-6) << "mu " << mu << " chi2 " << stat << " dof " << dof;
  }
}

namespace {
/// The exact stationary spike probability of an uncoupled BernoulliGLM
/// neuron: a Markov chain over its last T spikes (2^T states).
double bernoulli_glm_stationary_rate(const BernoulliGLM& m) {
  const int T = m.T();
  const std::size_t S = std::size_t{1} << T;
  std::vector<double> h(T, 0.0);
  for (int k = 0; k < T; ++k) {  // independent of the engine's FilterSpec code
    if (k < m.abs_ref_scale) h[k] += m.abs_ref_strength;
    if (m.abs_ref_scale <= k && k <= m.abs_ref_scale + m.rel_ref_scale)
      h[k] += m.rel_ref_strength * std::exp(-std::fabs(m.beta) * (k - m.abs_ref_scale) * m.dt);
  }
  std::vector<double> p(S);
  for (std::size_t s = 0; s < S; ++s) {  // bit k of s = spike at lag k
    double g = 0;
    for (int k = 0; k < T; ++k)
      if (s >> k & 1) g += h[k];
    p[s] = m.dt / (1.0 + std::exp(-(m.r * g - m.theta)));
  }
  std::vector<double> pi(S, 1.0 / S), next(S);
  for (int it = 0; it < 20000; ++it) {
    std::fill(next.begin(), next.end(), 0.0);
    for (std::size_t s = 0; s < S; ++s) {
      const std::size_t shifted = (s << 1) & (S - 1);
      next[shifted | 1] += pi[s] * p[s];
      next[shifted] += pi[s] * (1 - p[s]);
    }
    double diff = 0;
    for (std::size_t s = 0; s < S; ++s) diff += std::fabs(next[s] - pi[s]);
    pi.swap(next);
    if (diff < 1e-15) break;
  }
  double rate = 0;
  for (std::size_t s = 0; s < S; ++s) rate += pi[s] * p[s];
  return rate;
}
}  // namespace

TEST(Statistics, UncoupledBernoulliGlmMatchesItsExactMarkovChainRate) {
  // 1024-state chain at the test-suite parameters, and a high-rate regime
  // where the refractory filter dominates. z over 400 independent neurons,
  // |z| < 5 (two-sided 5.7e-7 each).
  for (double theta : {5.0, -2.0}) {
    BernoulliGLM m;
    m.theta = theta;
    const double exact = bernoulli_glm_stationary_rate(m);
    SimulatorOptions o;
    o.seed = 3;
    o.replicas = 2;
    Simulator sim = Simulator::with_model(m, {empty_network(200)}, o);
    const auto res = sim.simulate(20000, 200);
    const double z = z_score(neuron_means(res.raster), exact);
    EXPECT_LT(std::fabs(z), 5.0) << "theta " << theta << " exact " << exact << " simulated "
                                 << res.summary.mean_rate_hz / 1000.0;
    if (theta < 0) {
      EXPECT_LT(exact, 0.3);  // refractoriness really acts (p without it: 0.88)
    }
  }
}

TEST(Statistics, SelfExcitingRectifiedSamReachesItsStationaryMean) {
  // One self-synapse w per neuron: s <- a s + dt x, g = r w s + b stays above
  // theta, so E[x] = lambda_0 dt (r w E[s] + b - theta) and E[s] = tau E[x]:
  // E[x] = lambda_0 dt (b - theta) / (1 - tau lambda_0 dt r w).
  // |z| < 5 over 400 independent neurons (5.7e-7).
  const std::size_t n = 200;
  const double w = 0.5;
  std::vector<double> W(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) W[i * n + i] = w;
  RectifiedSAM m;
  m.lambda_0 = 1.0;
  m.theta = 0.0;
  m.b = 0.2;
  m.r = 1.0;
  m.tau = 10.0;
  m.dt = 0.1;
  const double expected = m.lambda_0 * m.dt * (m.b - m.theta) / (1.0 - m.tau * m.lambda_0 * m.dt * m.r * w);
  SimulatorOptions o;
  o.seed = 17;
  o.replicas = 2;
  Simulator sim = Simulator::with_model(m, {Network::from_dense(std::span<const double>(W), n)}, o);
  const auto res = sim.simulate(40000, 2000);
  const double z = z_score(neuron_means(res.raster), expected);
  EXPECT_LT(std::fabs(z), 5.0) << "expected " << expected << " simulated " << res.summary.mean_rate_hz * m.dt / 1000.0;
  // Without the self-coupling the rate would be half as large: the test can tell.
  EXPECT_GT(expected, 1.9 * m.lambda_0 * m.dt * (m.b - m.theta));
}

TEST(Statistics, ThresholdSamBackgroundSpikesAtTheGaussianTailRate) {
  // W0 = 0: g = b (1 + m xi); spike iff b (1 + m xi) > theta, i.e. m = 1 and
  // xi > theta/b - 1: P = rho * Q((theta/b - 1) / sigma). |z| < 5 (5.7e-7).
  ThresholdSAM m;
  const double p = m.rho * 0.5 * std::erfc(((m.theta / m.b - 1.0) / m.sigma) / std::sqrt(2.0));
  SimulatorOptions o;
  o.seed = 23;
  Simulator sim = Simulator::with_model(m, {empty_network(400)}, o);
  const auto res = sim.simulate(5000, 0);
  EXPECT_LT(std::fabs(z_score(neuron_means(res.raster), p)), 5.0) << "p " << p;
}

// The reference package's own fixtures: input g from a given state, rates
// phi(g), and per-edge filters, for all five models (|a - b| <= 1e-6 + 1e-5 |b|).
#include <gtest/gtest.h>

#include "fixture_util.hpp"

using namespace cascade;
using namespace cascade::test;

namespace {

const std::vector<std::string> kGlms = {"bernoulli_glm", "poisson_glm", "rectified_lnp"};
const std::vector<std::string> kSams = {"threshold_sam", "rectified_sam"};

/// g and phi(g) from the fixture state, through the engine's own step code.
std::pair<std::vector<double>, std::vector<double>> engine_input(const AnyModel& model, Network net,
                                                                 const std::string& name) {
  const auto state = dense_of(fixtures_dir() + "/" + name + "/state.npy");
  std::vector<Network> nets;
  nets.push_back(std::move(net));
  Simulator sim(model, std::move(nets));
  if (name.find("sam") != std::string::npos) {
    sim.set_initial_activation(state);
  } else {
    std::vector<std::uint8_t> x(state.begin(), state.end());
    sim.set_initial_spikes(x);
  }
  std::vector<double> g, p;
  sim.inspect(&g, &p);
  return {g, p};
}

}  // namespace

class GlmFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(GlmFixture, InputAndRatesEqualTheReference) {
  CASCADE_REQUIRE_FIXTURES();
  const std::string name = GetParam();
  const auto [g, p] = engine_input(fixture_model(name), fixture_network(name), name);
  const auto want_g = dense_of(fixtures_dir() + "/" + name + "/expected_input.npy");
  const auto want_p = dense_of(fixtures_dir() + "/" + name + "/expected_rates.npy");
  ASSERT_EQ(g.size(), want_g.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    EXPECT_PRED2(near_ref, g[i], want_g[i]) << name << " neuron " << i;
    EXPECT_PRED2(near_ref, p[i], want_p[i]) << name << " neuron " << i;
  }
}

TEST_P(GlmFixture, PerEdgeFiltersEqualTheReferenceConnectivityFilter) {
  CASCADE_REQUIRE_FIXTURES();
  const std::string name = GetParam();
  const EdgeFilters f = connectivity_filter(fixture_model(name), fixture_network(name));
  const NpyArray ei = read_npy(fixtures_dir() + "/" + name + "/edge_index.npy");
  const NpyArray cf = read_npy(fixtures_dir() + "/" + name + "/connectivity_filter.npy");
  ASSERT_EQ(cf.shape.size(), 2u);
  const std::size_t E = cf.shape[0], T = cf.shape[1];
  ASSERT_EQ(f.T, T);
  ASSERT_EQ(f.pre.size(), E);
  const auto idx = ei.to_int64();
  const auto ref = cf.to_doubles();
  for (std::size_t e = 0; e < E; ++e) {
    ASSERT_EQ(f.pre[e], idx[e]) << "edge " << e;
    ASSERT_EQ(f.post[e], idx[E + e]) << "edge " << e;
    for (std::size_t k = 0; k < T; ++k)  // the reference stores lag k in column T-1-k
      EXPECT_PRED2(near_ref, f.filters[e * T + k], ref[e * T + (T - 1 - k)]) << name << " edge " << e << " lag " << k;
  }
}

TEST_P(GlmFixture, GeneralPerEdgePathReproducesTheReferenceInput) {
  CASCADE_REQUIRE_FIXTURES();
  const std::string name = GetParam();
  const NpyArray ei = read_npy(fixtures_dir() + "/" + name + "/edge_index.npy");
  const NpyArray cf = read_npy(fixtures_dir() + "/" + name + "/connectivity_filter.npy");
  const auto idx = ei.to_int64();
  const std::size_t E = cf.shape[0], T = cf.shape[1];
  std::vector<std::int64_t> pre(idx.begin(), idx.begin() + E), post(idx.begin() + E, idx.end());
  const Network net = Network::from_edge_filters(20, pre, post, cf.to_doubles(), T, /*time_reversed=*/true);
  const auto [g, p] = engine_input(fixture_model(name), net, name);
  const auto want_g = dense_of(fixtures_dir() + "/" + name + "/expected_input.npy");
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_PRED2(near_ref, g[i], want_g[i]) << name << " neuron " << i;
}

INSTANTIATE_TEST_SUITE_P(Models, GlmFixture, ::testing::ValuesIn(kGlms));

TEST(SamFixture, RectifiedSamInputAndRates) {
  CASCADE_REQUIRE_FIXTURES();
  const auto [g, p] = engine_input(fixture_model("rectified_sam"), fixture_network("rectified_sam"), "rectified_sam");
  const auto want_g = dense_of(fixtures_dir() + "/rectified_sam/expected_input.npy");
  const auto want_p = dense_of(fixtures_dir() + "/rectified_sam/expected_rates.npy");
  for (std::size_t i = 0; i < g.size(); ++i) {
    EXPECT_PRED2(near_ref, g[i], want_g[i]) << i;
    EXPECT_PRED2(near_ref, p[i], want_p[i]) << i;
  }
}

TEST(SamFixture, ThresholdSamDeterministicPartAndIdentityRate) {
  CASCADE_REQUIRE_FIXTURES();
  // With rho = 0 the background is exactly b: g = r sum_j W0[j,i] s_j + b,
  // computed here independently in double from the fixture files.
  AnyModel m = fixture_model("threshold_sam");
  const auto params = list_params(m);
  double r = 0, b = 0;
  for (const auto& pv : params) {
    if (pv.name == "r") r = pv.value;
    if (pv.name == "b") b = pv.value;
  }
  set_param(m, "rho", 0.0);
  const auto [g, p] = engine_input(m, fixture_network("threshold_sam"), "threshold_sam");
  const auto w = dense_of(fixtures_dir() + "/threshold_sam/W0.npy");
  const auto s = dense_of(fixtures_dir() + "/threshold_sam/state.npy");
  for (std::size_t i = 0; i < 20; ++i) {
    double sum = 0;
    for (std::size_t j = 0; j < 20; ++j) sum += w[j * 20 + i] * s[j];
    EXPECT_PRED2(near_ref, g[i], r * sum + b) << i;
    EXPECT_EQ(p[i], g[i]);  // identity non-linearity
  }
  // With the noise on, the reference's expected input differs from the
  // deterministic part only where its background noise struck.
  const auto [g2, p2] = engine_input(fixture_model("threshold_sam"), fixture_network("threshold_sam"), "threshold_sam");
  int noisy = 0;
  for (std::size_t i = 0; i < 20; ++i) noisy += g2[i] != g[i];
  EXPECT_LT(noisy, 20);  // rho = 0.07: most neurons see exactly b
}

TEST(SamFixture, SaFiltersAreTheWeights) {
  CASCADE_REQUIRE_FIXTURES();
  for (const std::string& name : kSams) {
    const EdgeFilters f = connectivity_filter(fixture_model(name), fixture_network(name));
    const auto cf = dense_of(fixtures_dir() + "/" + name + "/connectivity_filter.npy");
    ASSERT_EQ(f.T, 1u);
    ASSERT_EQ(f.filters.size(), cf.size());
    for (std::size_t e = 0; e < cf.size(); ++e) EXPECT_PRED2(near_ref, f.filters[e], cf[e]) << name << " " << e;
  }
}

TEST(Fixtures, DefaultsAreTheReferenceTestSuiteValues) {
  CASCADE_REQUIRE_FIXTURES();
  for (const auto& name : model_names()) {
    const auto defaults = list_params(make_model(name));
    for (const auto& [k, v] : fixture_params(fixtures_dir() + "/" + name)) {
      bool found = false;
      for (const auto& d : defaults)
        if (d.name == k) {
          found = true;
          EXPECT_EQ(d.value, v) << name << "." << k;
        }
      EXPECT_TRUE(found) << name << "." << k;
    }
  }
}

namespace {
/// g at the next step computed directly from a recorded history with the
/// reference's formula g_i = r sum_e sum_k W[e,k] x_pre(t-1-k) (+ b), using
/// the per-edge filters of connectivity_filter() (lag order).
/// `terms` receives, per slot, the number of (edge, lag) products with a spike.
std::vector<double> direct_input(const AnyModel& model, const Network& net, const std::vector<std::uint8_t>& x0,
                                 const Raster& raster, std::size_t replicas, std::vector<double>& terms) {
  const EdgeFilters f = connectivity_filter(model, net);
  const std::size_t N = net.n_neurons(), K = raster.steps();
  double r = 1.0, b = 0.0;
  for (const auto& p : list_params(model)) {
    if (p.name == "r") r = p.value;
    if (p.name == "b") b = p.value;
  }
  std::vector<double> g(replicas * N, 0.0);
  terms.assign(replicas * N, 0.0);
  for (std::size_t q = 0; q < replicas; ++q) {
    auto x = [&](std::size_t j, std::int64_t t) -> double {  // t = -1 is the initial state
      return t >= 0 ? raster.at(q, j, t) : (t == -1 ? x0[q * N + j] : 0.0);
    };
    std::vector<double> sum(N, 0.0);
    for (std::size_t e = 0; e < f.pre.size(); ++e)
      for (std::size_t k = 0; k < f.T; ++k) {
        const double xv = x(f.pre[e], static_cast<std::int64_t>(K) - 1 - k);
        sum[f.post[e]] += f.filters[e * f.T + k] * xv;
        terms[q * N + f.post[e]] += xv;
      }
    for (std::size_t i = 0; i < N; ++i) g[q * N + i] = r * sum[i] + b;
  }
  return g;
}
}  // namespace

class MultiLagInput : public ::testing::TestWithParam<std::string> {};

TEST_P(MultiLagInput, SeparableAndPerEdgePathsMatchTheDirectConvolution) {
  // After hundreds of steps (rings wrapped many times), the engine's g equals
  // the direct convolution of the recorded history with the reference's
  // filters, for the O(1) recursions and for the general per-edge path alike.
  // Tolerance derived from the fixed point: each spiking (edge, lag) product
  // carries at most half a quantum (|r| scale / 2), plus 1e-9 relative for the
  // double recursions.
  CASCADE_REQUIRE_FIXTURES();
  const std::string name = GetParam();
  AnyModel m = fixture_model(name);
  if (name == "bernoulli_glm") set_param(m, "theta", 2.0);  // busy refractory filters
  const Network net = load_dense_network(fixtures_dir() + "/glorot_0_W0.npy");
  const Network filt = to_filter_network(connectivity_filter(m, net), net);
  const std::size_t R = 3, N = net.n_neurons();
  std::vector<std::uint8_t> x0(R * N);
  for (std::size_t s = 0; s < x0.size(); ++s) x0[s] = (s * 7 + 3) % 5 == 0;
  for (const Network* n : {&net, &filt}) {
    SimulatorOptions o;
    o.replicas = R;
    o.seed = 77;
    Simulator sim(m, {*n}, o);
    sim.set_initial_spikes(x0);
    RunOptions ro;
    ro.steps = 997;
    ro.equilibration_steps = 0;
    ro.fresh_state = false;
    ro.dtype = RecordDtype::kInt32;
    const auto res = sim.run(ro);
    ASSERT_GT(res.summary.recorded_spike_count, 100u);
    std::vector<double> g;
    sim.inspect(&g, nullptr);
    std::vector<double> terms;
    const auto want = direct_input(m, net, x0, res.raster, R, terms);
    double r = 1.0;
    for (const auto& p : list_params(m))
      if (p.name == "r") r = std::fabs(p.value);
    for (std::size_t s = 0; s < g.size(); ++s)
      EXPECT_NEAR(g[s], want[s], 1e-12 + r * 0.5 * n->scale() * terms[s] + 1e-9 * std::fabs(want[s]))
          << name << (n == &filt ? " per-edge" : " separable") << " slot " << s;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, MultiLagInput, ::testing::Values("bernoulli_glm", "poisson_glm", "rectified_lnp"));

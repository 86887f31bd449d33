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
  for (const std::string name : kSams) {
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

TEST(Fixtures, SeparableAndPerEdgePathsGiveTheSameSpikes) {
  CASCADE_REQUIRE_FIXTURES();
  // The BernoulliGLM's exponential recursion and refractory ring against the
  // same filters scattered edge by edge. The two compute g with different
  // roundings (~1e-15 relative), so a spike could differ only if a uniform
  // fell within that distance of p: about 1e-11 for this whole comparison.
  const AnyModel m = fixture_model("bernoulli_glm");
  const Network net = load_dense_network(fixtures_dir() + "/glorot_0_W0.npy");
  const Network filt = to_filter_network(connectivity_filter(m, net), net);
  SimulatorOptions o;
  o.replicas = 4;
  o.seed = 5;
  Simulator a(m, {net}, o), b(m, {filt}, o);
  const auto ra = a.simulate(20000, 100), rb = b.simulate(20000, 100);
  EXPECT_GT(ra.summary.recorded_spike_count, 10000u);
  EXPECT_EQ(ra.summary.recorded_spike_count, rb.summary.recorded_spike_count);
  EXPECT_TRUE(std::equal(ra.raster.data(), ra.raster.data() + ra.raster.size_bytes(), rb.raster.data()));
}

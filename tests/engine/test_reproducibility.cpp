// Same seed, same spikes: twice, for 1 or 2 threads, alone or in a batch or a
// replica range, for any edge order; every comparison sees >= 1e5 spikes.
// Plus the work the engine reports: events = sum of spikes x out-degree.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "net_util.hpp"
#include "test_util.hpp"

using namespace cascade;

namespace {

struct Case {
  std::string model;
  std::size_t n;
  std::uint32_t replicas;
  std::int64_t steps;
  friend void PrintTo(const Case& c, std::ostream* os) { *os << c.model << " N=" << c.n << " x" << c.replicas; }
};

Network network_for(const std::string& model, std::size_t n, std::uint64_t seed, std::uint32_t id = 0) {
  return test::active_network(model, n, seed, id);
}

bool same_raster(const Raster& a, const Raster& b) {
  return a.shape() == b.shape() && std::equal(a.data(), a.data() + a.size_bytes(), b.data());
}

}  // namespace

class Reproducible : public ::testing::TestWithParam<Case> {};

TEST_P(Reproducible, SameSeedSameSpikesForOneOrTwoThreads) {
  const Case c = GetParam();
  const AnyModel m = make_model(c.model);
  SimulatorOptions o;
  o.seed = 1234;
  o.replicas = c.replicas;
  o.threads = 1;
  Simulator one(m, {network_for(c.model, c.n, 1)}, o);
  const auto r1 = one.simulate(c.steps, 50);
  EXPECT_EQ(r1.summary.threads, 1);
  ASSERT_GE(r1.summary.recorded_spike_count, 100000u) << c.model;

  Simulator again(m, {network_for(c.model, c.n, 1)}, o);
  EXPECT_TRUE(same_raster(r1.raster, again.simulate(c.steps, 50).raster)) << c.model << ": same seed twice";

  o.threads = 2;
  Simulator two(m, {network_for(c.model, c.n, 1)}, o);
  const auto r2 = two.simulate(c.steps, 50);
  EXPECT_EQ(r2.summary.threads, 2) << "the team must really have two threads";
  EXPECT_TRUE(same_raster(r1.raster, r2.raster)) << c.model << ": 1 vs 2 threads";
  EXPECT_EQ(r1.summary.synaptic_events, r2.summary.synaptic_events);

  o.seed = 1235;
  Simulator other(m, {network_for(c.model, c.n, 1)}, o);
  EXPECT_FALSE(same_raster(r1.raster, other.simulate(c.steps, 50).raster)) << "another seed, other spikes";
}

INSTANTIATE_TEST_SUITE_P(Models, Reproducible,
                         ::testing::Values(Case{"bernoulli_glm", 2048, 2, 4000}, Case{"poisson_glm", 2048, 2, 5000},
                                           Case{"rectified_lnp", 2048, 2, 8000}, Case{"threshold_sam", 2048, 2, 10000},
                                           Case{"rectified_sam", 2048, 2, 16000}),
                         [](const auto& info) { return info.param.model; });

TEST(Reproducibility, AloneBatchedAndReplicaRangeGiveTheSameSpikes) {
  const AnyModel m = make_model("bernoulli_glm");
  const std::size_t sizes[] = {150, 300, 60};
  std::vector<Network> batch;
  for (std::uint32_t k = 0; k < 3; ++k) batch.push_back(network_for("bernoulli_glm", sizes[k], 100 + k, k));
  SimulatorOptions o;
  o.seed = 99;
  o.replicas = 4;
  Simulator all(m, batch, o);
  const auto rb = all.simulate(30000, 100);
  // Network 1 alone (same instance id), replicas 2..3 only.
  SimulatorOptions o2 = o;
  o2.replicas = 2;
  o2.replica_offset = 2;
  Simulator alone(m, {network_for("bernoulli_glm", 300, 101, 1)}, o2);
  const auto ra = alone.simulate(30000, 100);
  ASSERT_GE(ra.summary.recorded_spike_count, 100000u);
  std::uint64_t diffs = 0;
  for (std::size_t r = 0; r < 2; ++r)
    for (std::size_t i = 0; i < 300; ++i)
      for (std::size_t t = 0; t < 30000; ++t) diffs += ra.raster.at(r, i, t) != rb.raster.at(r + 2, 150 + i, t);
  EXPECT_EQ(diffs, 0u);
}

TEST(Reproducibility, EdgeOrderDoesNotMatter) {
  const auto w = test::random_weights(400, 0.5, 5.0, 7);
  std::vector<std::int64_t> pre, post;
  std::vector<double> val;
  for (std::size_t j = 0; j < 400; ++j)
    for (std::size_t i = 0; i < 400; ++i)
      if (w[j * 400 + i] != 0) {
        pre.push_back(j);
        post.push_back(i);
        val.push_back(w[j * 400 + i]);
      }
  std::vector<std::size_t> perm(pre.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937_64(5));
  std::vector<std::int64_t> pre2, post2;
  std::vector<double> val2;
  for (auto p : perm) {
    pre2.push_back(pre[p]);
    post2.push_back(post[p]);
    val2.push_back(val[p]);
  }
  SimulatorOptions o;
  o.replicas = 4;
  const AnyModel m = make_model("bernoulli_glm");
  Simulator a(m, {Network::from_dense(std::span<const double>(w), 400)}, o);
  Simulator b(m, {Network::from_edges(400, pre2, post2, val2)}, o);
  const auto ra = a.simulate(20000, 100), rb = b.simulate(20000, 100);
  ASSERT_GE(ra.summary.recorded_spike_count, 100000u);
  EXPECT_TRUE(same_raster(ra.raster, rb.raster));
}

TEST(Work, SynapticEventsEqualSpikesTimesOutDegree) {
  // The scatter at step t processes the spikes of step t-1: a continued run's
  // events are the previous run's last step plus its own first steps - 1.
  const AnyModel m = make_model("bernoulli_glm");
  const Network net = network_for("bernoulli_glm", 500, 3);
  std::vector<std::int64_t> deg(500);
  for (std::size_t j = 0; j < 500; ++j) deg[j] = net.out_degree(j);
  Simulator sim(m, {net});
  const auto first = sim.simulate(50, 0);
  RunOptions ro;
  ro.steps = 4000;
  ro.equilibration_steps = 0;
  ro.fresh_state = false;
  const auto second = sim.run(ro);
  std::uint64_t expected = 0, spiking = 0;
  for (std::size_t j = 0; j < 500; ++j) {
    if (first.raster.at(0, j, 49)) expected += deg[j], ++spiking;
    for (std::size_t t = 0; t + 1 < 4000; ++t)
      if (second.raster.at(0, j, t)) expected += deg[j], ++spiking;
  }
  EXPECT_EQ(second.summary.synaptic_events, expected);
  EXPECT_EQ(second.summary.spiking_neuron_steps, spiking);
  // Event-driven: far below edges x steps x T.
  EXPECT_LT(second.summary.synaptic_events, net.n_synapses() * 4000 / 20);
}

TEST(Work, ContinuingARunEqualsOneLongRun) {
  const AnyModel m = make_model("rectified_lnp");
  SimulatorOptions o;
  o.seed = 8;
  Simulator a(m, {network_for("rectified_lnp", 300, 4)}, o), b(m, {network_for("rectified_lnp", 300, 4)}, o);
  const auto whole = a.simulate(2000, 10);
  b.simulate(1000, 10);
  RunOptions ro;
  ro.steps = 1000;
  ro.equilibration_steps = 0;
  ro.fresh_state = false;
  const auto tail = b.run(ro);
  std::uint64_t diffs = 0;
  for (std::size_t i = 0; i < 300; ++i)
    for (std::size_t t = 0; t < 1000; ++t) diffs += whole.raster.at(0, i, 1000 + t) != tail.raster.at(0, i, t);
  EXPECT_EQ(diffs, 0u);
}

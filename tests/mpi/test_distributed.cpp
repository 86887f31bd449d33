// The partitioned engine through the library's API, run under mpiexec -n K
// (ctest: mpi.library_Kranks). Every rank also runs the same simulation in
// one process (no communicator) and compares: the recording on rank 0, the
// state, inspect and the summary on every rank, all exactly. Spikes come
// from counter-based draws keyed by global ids and exact integer drives, so
// any difference is a bug, never noise.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>
#include <random>

#include "cascade/cascade.hpp"
#include "net_util.hpp"

using namespace cascade;

namespace {

std::shared_ptr<Communicator> g_world;

using Nets = std::vector<std::shared_ptr<const Network>>;

struct Outcome {
  SimulationResult first, second;  // a fresh run, then a continuation
  EngineState state;
  std::vector<double> g, p;
};

Outcome simulate(const AnyModel& m, const Nets& nets, SimulatorOptions o, std::shared_ptr<Communicator> comm,
                 const std::vector<Stimulus>& stim, RunOptions ro) {
  o.communicator = std::move(comm);
  Simulator sim(m, nets, o);
  if (!stim.empty()) sim.set_stimuli(stim);
  Outcome out;
  out.first = sim.run(ro);
  ro.fresh_state = false;
  ro.equilibration_steps = 0;
  ro.stimulus_start = ro.steps;
  ro.steps = ro.steps / 2 + 1;
  out.second = sim.run(ro);
  out.state = sim.save_state();
  sim.inspect(&out.g, &out.p, 3);
  return out;
}

void expect_same_result(const SimulationResult& a, const SimulationResult& b, bool root, const std::string& what) {
  EXPECT_EQ(a.summary.recorded_spike_count, b.summary.recorded_spike_count) << what;
  EXPECT_EQ(a.summary.synaptic_events, b.summary.synaptic_events) << what;
  EXPECT_EQ(a.summary.spiking_neuron_steps, b.summary.spiking_neuron_steps) << what;
  EXPECT_EQ(a.summary.steps_run, b.summary.steps_run) << what;
  if (!root) return;  // the recording is gathered on rank 0
  ASSERT_EQ(a.raster.size_bytes(), b.raster.size_bytes()) << what;
  EXPECT_EQ(0, std::memcmp(a.raster.data(), b.raster.data(), a.raster.size_bytes())) << what << ": spikes differ";
  EXPECT_EQ(a.input, b.input) << what << ": g differs";
  EXPECT_EQ(a.rate, b.rate) << what << ": phi(g) differs";
}

void expect_same(const Outcome& one, const Outcome& dist, const std::string& what) {
  const bool root = g_world->rank() == 0;
  expect_same_result(one.first, dist.first, root, what + " (fresh run)");
  expect_same_result(one.second, dist.second, root, what + " (continued)");
  EXPECT_EQ(one.state.step, dist.state.step) << what;
  EngineState::for_each_pair(one.state, dist.state, [&](const auto& a, const auto& b, const char* name, StateExtent) {
    EXPECT_TRUE(a == b) << what << ": " << name << " differs on rank " << g_world->rank();
  });
  EXPECT_EQ(one.g, dist.g) << what << ": inspect's g differs on rank " << g_world->rank();
  EXPECT_EQ(one.p, dist.p) << what << ": inspect's rate differs on rank " << g_world->rank();
}

RunOptions recording(std::int64_t steps) {
  RunOptions ro;
  ro.steps = steps;
  ro.equilibration_steps = 20;
  ro.record_input = ro.record_rate = true;
  return ro;
}

}  // namespace

TEST(Distributed, EveryModelEqualsOneProcess) {
  for (const char* name : {"bernoulli_glm", "poisson_glm", "rectified_lnp", "threshold_sam", "rectified_sam"}) {
    AnyModel m = make_model(name);
    if (std::string(name) == "poisson_glm") set_param(m, "r", 0.002), set_param(m, "b", 0.1);
    if (std::string(name) == "rectified_lnp") set_param(m, "r", 0.002);
    const Nets nets = {std::make_shared<const Network>(test::active_network(name, 300, 3, 0)),
                       std::make_shared<const Network>(test::active_network(name, 177, 4, 1))};
    SimulatorOptions o;
    o.seed = 11;
    o.replicas = 2;
    o.threads = 1;
    RunOptions ro = recording(400);
    for (std::uint32_t g = 0; g < 477; g += 3) ro.record_neurons.push_back(g);  // a subset across both networks
    const std::vector<Stimulus> stim = {parse_stimulus("regular:strength=2,period=30,tau=4")};
    const Outcome one = simulate(m, nets, o, nullptr, stim, ro);
    const Outcome dist = simulate(m, nets, o, g_world, stim, ro);
    EXPECT_GT(one.first.summary.recorded_spike_count, 1000u) << name;
    expect_same(one, dist, name);
  }
}

TEST(Distributed, PerEdgeFiltersEqualOneProcess) {
  const Nets nets = {std::make_shared<const Network>(test::per_edge_network(300, 6, 0.2, 4))};
  SimulatorOptions o;
  o.seed = 8;
  o.replicas = 2;
  const RunOptions ro = recording(3000);
  const Outcome one = simulate(make_model("bernoulli_glm"), nets, o, nullptr, {}, ro);
  EXPECT_GT(one.first.summary.recorded_spike_count, 10000u);
  expect_same(one, simulate(make_model("bernoulli_glm"), nets, o, g_world, {}, ro), "per-edge filters");
}

TEST(Distributed, LargeRunEqualsOneProcess) {
  // >= 10^5 spikes per comparison (design.md section 2), several threads per rank.
  const Nets nets = {std::make_shared<const Network>(generate(SparseGenerator{.n = 5000, .p = 0.01}, 3, 0))};
  SimulatorOptions o;
  o.seed = 2;
  o.threads = 2;
  RunOptions ro;
  ro.steps = 3600;
  const Outcome one = simulate(make_model("bernoulli_glm"), nets, o, nullptr, {}, ro);
  ASSERT_GE(one.first.summary.recorded_spike_count, 100000u);
  expect_same(one, simulate(make_model("bernoulli_glm"), nets, o, g_world, {}, ro), "5000 neurons, 2 threads a rank");
}

// Without gathering (RunOptions::gather_recording = false, what the command
// line's rank-parallel writes use) each rank's raster, g and phi(g) hold its
// own rows alone, equal to those rows of one process's recording; together
// the ranks' ranges cover every recorded row once.
TEST(Distributed, OwnRowsWithoutGatheringEqualOneProcessRows) {
  const Nets nets = {std::make_shared<const Network>(test::active_network("bernoulli_glm", 300, 3, 0)),
                     std::make_shared<const Network>(test::active_network("bernoulli_glm", 177, 4, 1))};
  SimulatorOptions o;
  o.seed = 5;
  o.replicas = 2;
  for (const bool subset : {false, true}) {
    RunOptions ro = recording(300);
    ro.record_begin = 10;
    ro.record_end = 250;
    if (subset)
      for (std::uint32_t g = 1; g < 477; g += 4) ro.record_neurons.push_back(g);
    const SimulationResult one = Simulator(make_model("bernoulli_glm"), nets, o).run(ro);
    SimulatorOptions d = o;
    d.communicator = g_world;
    ro.gather_recording = false;
    const SimulationResult mine = Simulator(make_model("bernoulli_glm"), nets, d).run(ro);
    const std::size_t n = one.neurons.size(), T = one.raster.steps(), held = mine.rows_end - mine.rows_begin;
    ASSERT_EQ(mine.first_row, mine.rows_begin);
    ASSERT_EQ(mine.raster.neurons(), held) << "the raster holds this rank's rows alone";
    ASSERT_EQ(mine.input.size(), 2 * held * T);
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t k = 0; k < held; ++k)
        for (std::size_t t = 0; t < T; ++t) {
          const std::size_t a = (r * n + mine.rows_begin + k) * T + t, b = (r * held + k) * T + t;
          ASSERT_EQ(one.raster.data()[a], mine.raster.data()[b]) << "row " << mine.rows_begin + k << " step " << t;
          ASSERT_EQ(one.input[a], mine.input[b]);
          ASSERT_EQ(one.rate[a], mine.rate[b]);
        }
    const std::vector<std::uint64_t> ends = g_world->gather_sizes(mine.rows_end);
    const std::vector<std::uint64_t> begins = g_world->gather_sizes(mine.rows_begin);
    EXPECT_EQ(begins.front(), 0u);
    EXPECT_EQ(ends.back(), n);
    for (std::size_t r = 1; r < ends.size(); ++r) EXPECT_EQ(begins[r], ends[r - 1]) << "ranks' rows tile the recording";
    EXPECT_EQ(mine.summary.recorded_spike_count, one.summary.recorded_spike_count) << "the summary is every rank's";
  }
}

TEST(Distributed, AnyPartitionGivesTheSameSpikes) {
  // Uneven boundaries, rank 0 owning nothing: the spikes do not depend on the partition.
  const int K = g_world->size();
  const Nets nets = {std::make_shared<const Network>(test::active_network("bernoulli_glm", 200, 5, 0))};
  SimulatorOptions o;
  o.seed = 4;
  o.partition.assign(static_cast<std::size_t>(K) + 1, 0);
  for (int r = 1; r <= K; ++r) o.partition[static_cast<std::size_t>(r)] = r == K ? 200 : 20 * r * r;
  const RunOptions ro = recording(500);
  SimulatorOptions plain = o;
  plain.partition.clear();
  const Outcome one = simulate(make_model("bernoulli_glm"), nets, plain, nullptr, {}, ro);
  expect_same(one, simulate(make_model("bernoulli_glm"), nets, o, g_world, {}, ro), "an uneven partition");
}

TEST(Distributed, StateFromOneProcessContinuesIdentically) {
  const Nets nets = {std::make_shared<const Network>(test::active_network("rectified_sam", 250, 6, 0))};
  SimulatorOptions o;
  o.seed = 5;
  Simulator one(make_model("rectified_sam"), nets, o);
  one.run(recording(100));
  const EngineState saved = one.save_state();
  RunOptions ro = recording(200);
  ro.fresh_state = false;
  ro.equilibration_steps = 0;
  const SimulationResult a = one.run(ro);
  SimulatorOptions od = o;
  od.communicator = g_world;
  Simulator dist(make_model("rectified_sam"), nets, od);
  dist.load_state(saved);
  expect_same_result(a, dist.run(ro), g_world->rank() == 0, "a one-process state continued by K ranks");
}

TEST(Distributed, NonFiniteRateFailsEveryRankAlike) {
  AnyModel m = make_model("poisson_glm");
  set_param(m, "b", 5.0);  // exp(g) overflows within a few steps
  const Nets nets = {std::make_shared<const Network>(test::active_network("poisson_glm", 120, 2, 0))};
  SimulatorOptions o;
  RunOptions ro;
  ro.steps = 2000;
  std::string one_msg, dist_msg;
  try {
    Simulator(m, nets, o).run(ro);
  } catch (const Error& e) {
    one_msg = e.what();
  }
  o.communicator = g_world;
  try {
    Simulator(m, nets, o).run(ro);
  } catch (const Error& e) {
    dist_msg = e.what();
  }
  ASSERT_NE(one_msg, "") << "the one-process run should fail";
  EXPECT_EQ(one_msg, dist_msg) << "every rank reports the one-process run's first non-finite rate";
}

TEST(Distributed, AFailureOnOneRankFailsEveryRank) {
  const int K = g_world->size(), me = g_world->rank();
  const Nets nets = {std::make_shared<const Network>(test::active_network("bernoulli_glm", 100, 2, 0))};
  SimulatorOptions o;
  o.communicator = g_world;
  Simulator sim(make_model("bernoulli_glm"), nets, o);
  RunOptions ro;
  ro.steps = 5000;
  ro.progress = [&](std::int64_t done, std::int64_t) {
    if (me == K - 1 && done >= 500) throw Error("the last rank's callback gave up");
  };
  std::string msg;
  try {
    sim.run(ro);
  } catch (const Error& e) {
    msg = e.what();
  }
  if (me == K - 1)
    EXPECT_EQ(msg, "the last rank's callback gave up");
  else
    EXPECT_EQ(msg, "rank " + std::to_string(K - 1) + " of " + std::to_string(K) +
                       " failed: the last rank's callback gave up");
  // The simulator stays usable on every rank.
  ro.progress = {};
  ro.steps = 50;
  EXPECT_EQ(sim.run(ro).summary.steps_run, ro.equilibration_steps + 50);
}

TEST(Distributed, TuneEqualsOneProcess) {
  // The gradient's shares are added in rank order: the same parameters up to
  // the rounding of a different order of additions (1e-9 relative promised).
  const std::vector<Network> nets = {test::active_network("bernoulli_glm", 90, 3, 0),
                                     test::active_network("bernoulli_glm", 50, 4, 1)};
  const std::vector<Stimulus> stim = {parse_stimulus("regular:strength=2,period=40,tau=5")};
  SimulatorOptions o;
  o.seed = 3;
  o.replicas = 2;
  TuneOptions t;
  t.target_hz = 25;
  t.selection = {"theta", "alpha", "beta", "stimulus0.strength"};
  t.epochs = 6;
  t.steps = 80;
  t.lr = 0.05;
  const TuneResult one = tune(make_model("bernoulli_glm"), nets, stim, o, t);
  o.communicator = g_world;
  const TuneResult dist = tune(make_model("bernoulli_glm"), nets, stim, o, t);
  ASSERT_EQ(one.final.size(), dist.final.size());
  for (std::size_t q = 0; q < one.final.size(); ++q)
    EXPECT_NEAR(dist.final[q], one.final[q], 1e-9 * std::fabs(one.final[q])) << one.names[q];
  ASSERT_EQ(one.history.size(), dist.history.size());
  for (std::size_t e = 0; e < one.history.size(); ++e)
    EXPECT_NEAR(dist.history[e].rate_hz, one.history[e].rate_hz, 1e-9 * std::fabs(one.history[e].rate_hz)) << e;
  // Every rank holds the same result, bit for bit.
  const std::uint64_t bits = std::hash<std::string>{}(std::string(reinterpret_cast<const char*>(dist.final.data()),
                                                                  dist.final.size() * sizeof(double)));
  std::vector<std::uint64_t> all(static_cast<std::size_t>(g_world->size()));
  g_world->allgather(&bits, sizeof bits, all.data());
  for (std::uint64_t b : all) EXPECT_EQ(b, all[0]);
}

TEST(Distributed, ASubCommunicatorOfTheUsersProgram) {
  // Halves of the world run their own simulations side by side (a user's own MPI program).
  MPI_Comm half;
  MPI_Comm_split(MPI_COMM_WORLD, g_world->rank() % 2, g_world->rank(), &half);
  auto sub = communicator_from_fortran_handle(MPI_Comm_c2f(half));
  const std::uint64_t seed = 20 + static_cast<std::uint64_t>(g_world->rank() % 2);
  const Nets nets = {std::make_shared<const Network>(test::active_network("rectified_lnp", 150, seed, 0))};
  SimulatorOptions o;
  o.seed = seed;
  AnyModel m = make_model("rectified_lnp");
  set_param(m, "r", 0.002);
  const RunOptions ro = recording(600);
  const SimulationResult one = Simulator(m, nets, o).run(ro);
  o.communicator = sub;
  const SimulationResult dist = Simulator(m, nets, o).run(ro);
  expect_same_result(one, dist, sub->rank() == 0, "a sub-communicator of " + std::to_string(sub->size()));
  sub.reset();
  MPI_Comm_free(&half);
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  g_world = world_communicator();
  if (!g_world) {
    std::fprintf(stderr, "test_distributed: not started by an MPI launcher (run it under mpiexec -n K)\n");
    return 1;
  }
  // Only rank 0 prints gtest's report; every rank's failures still fail it.
  if (g_world->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int rc = RUN_ALL_TESTS();
  const bool any = g_world->any(rc != 0);
  if (rc != 0) std::fprintf(stderr, "test_distributed: failures on rank %d of %d\n", g_world->rank(), g_world->size());
  g_world.reset();
  finalize_mpi();
  return any ? 1 : 0;
}

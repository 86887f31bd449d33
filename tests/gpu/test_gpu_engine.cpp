// The GPU engine against the CPU engine: the same seed must give the same
// spikes bit for bit (and the same g, phi(g), counters), for every strategy
// forced in turn, every built-in model, with and without stimuli, batches of
// mixed sizes, replicas, a 100 000-neuron sparse network, per-edge filters
// and recording subsets. Label `gpu`: skipped with a message without a device.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "cascade/cascade.hpp"
#include "cascade/engine/gpu_engine.hpp"
#include "cascade/generators.hpp"
#include "net_util.hpp"
#include "test_util.hpp"
#include "gpu_util.hpp"

using namespace cascade;

namespace {


using NetList = std::vector<std::shared_ptr<const Network>>;

SimulationResult run_on(Backend b, GpuStrategy st, const AnyModel& m, const NetList& nets, SimulatorOptions o,
                        const RunOptions& ro, const std::vector<Stimulus>& stimuli = {}) {
  o.backend = b;
  o.gpu_strategy = st;
  Simulator sim(m, nets, o);
  if (!stimuli.empty()) sim.set_stimuli(stimuli);
  return sim.run(ro);
}

void expect_same(const SimulationResult& cpu, const SimulationResult& gpu, const std::string& what) {
  ASSERT_EQ(cpu.raster.shape(), gpu.raster.shape()) << what;
  ASSERT_EQ(cpu.raster.dtype(), gpu.raster.dtype()) << what;
  const bool same = std::memcmp(cpu.raster.data(), gpu.raster.data(), cpu.raster.size_bytes()) == 0;
  EXPECT_TRUE(same) << what << ": GPU spikes differ from the CPU engine's (CPU total " << cpu.raster.total()
                    << ", GPU total " << gpu.raster.total() << ")";
  EXPECT_EQ(cpu.summary.recorded_spike_count, gpu.summary.recorded_spike_count) << what;
  EXPECT_EQ(cpu.summary.synaptic_events, gpu.summary.synaptic_events) << what;
  EXPECT_EQ(cpu.summary.spiking_neuron_steps, gpu.summary.spiking_neuron_steps) << what;
  EXPECT_EQ(cpu.summary.rate_capped, gpu.summary.rate_capped) << what;
  EXPECT_EQ(cpu.summary.counts_saturated, gpu.summary.counts_saturated) << what;
  ASSERT_EQ(cpu.input.size(), gpu.input.size()) << what;
  ASSERT_EQ(cpu.rate.size(), gpu.rate.size()) << what;
  EXPECT_TRUE(cpu.input.empty() || std::memcmp(cpu.input.data(), gpu.input.data(), cpu.input.size() * 4) == 0) << what << ": g";
  EXPECT_TRUE(cpu.rate.empty() || std::memcmp(cpu.rate.data(), gpu.rate.data(), cpu.rate.size() * 4) == 0) << what << ": rate";
  EXPECT_EQ(gpu.summary.backend, "gpu");
}

Network network_for(const std::string& model, std::size_t n, std::uint64_t seed, std::uint32_t id = 0) {
  return test::active_network(model, n, seed, id);
}

/// Three stimuli, the second masked (every third neuron off). Networks must
/// have instance ids 0..k-1 (masks are indexed by instance id). `scale`
/// keeps exponential non-linearities finite.
std::vector<Stimulus> some_stimuli(const NetList& nets, double scale = 1.0) {
  auto num = [&](double v) { return std::to_string(v * scale); };
  std::vector<Stimulus> s = {parse_stimulus("regular:strength=" + num(2) + ",period=50,tau=10"),
                             parse_stimulus("poisson:strength=" + num(1.5) + ",mean_interval=30,duration=100000,tau=3,start=4"),
                             parse_stimulus("sin:amplitude=" + num(1) + ",period=40,duration=100000,phase=0.5,baseline=" + num(0.2))};
  s[1].masks.resize(nets.size());
  for (const auto& n : nets) {
    std::vector<std::uint8_t> mask(n->n_neurons());
    for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = (i % 3) != 0;
    s[1].masks.at(n->instance_id()) = mask;
  }
  return s;
}

const std::vector<GpuStrategy> kAllStrategies = {GpuStrategy::kBlock, GpuStrategy::kStep, GpuStrategy::kGraph,
                                                 GpuStrategy::kPull, GpuStrategy::kFused, GpuStrategy::kCluster};

/// The strategies the model matrix runs: all, or those named in
/// CASCADE_GPU_TEST_STRATEGIES (comma-separated; a short device session may
/// re-check only what changed).
std::vector<GpuStrategy> strategies_under_test() {
  const char* env = std::getenv("CASCADE_GPU_TEST_STRATEGIES");
  if (!env || !*env) return kAllStrategies;
  std::vector<GpuStrategy> out;
  std::string list = env;
  for (std::size_t a = 0; a <= list.size();) {
    const std::size_t b = std::min(list.find(',', a), list.size());
    out.push_back(parse_gpu_strategy(list.substr(a, b - a)));
    a = b + 1;
  }
  return out;
}

struct ModelCase {
  std::string model;
  std::int64_t steps;
  friend void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.model << ", " << c.steps << " steps"; }
};

}  // namespace

TEST(GpuEngine, BackendRules) {
  if (gpu_device_count() == 0) {
    EXPECT_EQ(resolve_backend(Backend::kAuto), Backend::kCpu);
    EXPECT_ERROR_HAS(resolve_backend(Backend::kGpu), "backend 'gpu': ");
    GTEST_SKIP() << "no CUDA device: auto means the CPU, gpu is refused (checked)";
  }
  EXPECT_EQ(resolve_backend(Backend::kAuto), Backend::kGpu);
  Simulator sim(make_model("bernoulli_glm"), {network_for("bernoulli_glm", 50, 1, 0)});
  EXPECT_EQ(sim.backend(), "gpu");
  EXPECT_FALSE(gpu_device_descriptions().empty());
}

class GpuModels : public ::testing::TestWithParam<ModelCase> {};

TEST_P(GpuModels, EveryStrategyEqualsTheCpuWithAndWithoutStimuli) {
  REQUIRE_GPU();
  const ModelCase c = GetParam();
  const AnyModel m = make_model(c.model);
  NetList nets = {std::make_shared<const Network>(network_for(c.model, 1024, 7, 0))};
  SimulatorOptions o;
  o.seed = 99;
  o.replicas = 2;
  RunOptions ro;
  ro.steps = c.steps;
  ro.equilibration_steps = 50;
  for (int with_stimuli = 0; with_stimuli < 2; ++with_stimuli) {
    const auto stim = with_stimuli ? some_stimuli(nets, c.model == "poisson_glm" ? 0.1 : 1.0) : std::vector<Stimulus>{};
    const auto cpu = run_on(Backend::kCpu, GpuStrategy::kAuto, m, nets, o, ro, stim);
    ASSERT_GE(cpu.summary.recorded_spike_count, 100000u) << c.model;
    for (GpuStrategy st : strategies_under_test()) {
      const auto gpu = run_on(Backend::kGpu, st, m, nets, o, ro, stim);
      EXPECT_EQ(gpu.summary.gpu_strategy, gpu_strategy_name(st));
      expect_same(cpu, gpu, c.model + " / " + gpu_strategy_name(st) + (with_stimuli ? " / stimuli" : ""));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, GpuModels,
                         ::testing::Values(ModelCase{"bernoulli_glm", 10000}, ModelCase{"poisson_glm", 12000},
                                           ModelCase{"rectified_lnp", 20000}, ModelCase{"threshold_sam", 20000},
                                           ModelCase{"rectified_sam", 40000}),
                         [](const auto& info) { return info.param.model; });

TEST(GpuEngine, MixedBatchWithReplicaRangeSubsetsAndChunks) {
  REQUIRE_GPU();
  const AnyModel m = make_model("bernoulli_glm");
  NetList nets;
  const std::size_t sizes[] = {20, 100, 700, 1500, 50};
  std::size_t total = 0;
  for (std::uint32_t k = 0; k < 5; ++k) {
    nets.push_back(std::make_shared<const Network>(network_for("bernoulli_glm", sizes[k], 10 + k, k)));
    total += sizes[k];
  }
  SimulatorOptions o;
  o.seed = 5;
  o.replicas = 3;
  o.replica_offset = 4;
  o.gpu_chunk_steps = 333;  // several device chunks, the last one partial
  RunOptions ro;
  ro.steps = 3000;
  ro.equilibration_steps = 17;
  ro.dtype = RecordDtype::kInt32;
  ro.record_input = true;
  ro.record_rate = true;
  for (std::uint32_t g = 0; g < total; g += 3) ro.record_neurons.push_back(g);
  ro.record_begin = 100;
  ro.record_end = 2900;
  const auto stim = some_stimuli(nets);
  RunOptions full = ro;
  full.record_neurons.clear();
  full.record_begin = 0;
  full.record_end = -1;
  full.record_input = full.record_rate = false;
  const auto cpu = run_on(Backend::kCpu, GpuStrategy::kAuto, m, nets, o, ro, stim);
  const auto cpu_full = run_on(Backend::kCpu, GpuStrategy::kAuto, m, nets, o, full, stim);
  ASSERT_GE(cpu_full.summary.recorded_spike_count, 100000u);
  for (GpuStrategy st : kAllStrategies) {
    expect_same(cpu, run_on(Backend::kGpu, st, m, nets, o, ro, stim), std::string("batch subset / ") + gpu_strategy_name(st));
    expect_same(cpu_full, run_on(Backend::kGpu, st, m, nets, o, full, stim), std::string("batch / ") + gpu_strategy_name(st));
  }
}

TEST(GpuEngine, ContinuedRunsAndInspectEqualTheCpu) {
  REQUIRE_GPU();
  for (const std::string model : {"bernoulli_glm", "rectified_sam"}) {
    const AnyModel m = make_model(model);
    NetList nets = {std::make_shared<const Network>(network_for(model, 300, 3, 1))};
    SimulatorOptions o;
    o.seed = 17;
    o.replicas = 2;
    for (GpuStrategy st : kAllStrategies) {
      SimulatorOptions oc = o, og = o;
      oc.backend = Backend::kCpu;
      og.backend = Backend::kGpu;
      og.gpu_strategy = st;
      Simulator cpu(m, nets, oc), gpu(m, nets, og);
      const std::vector<Stimulus> stim = {parse_stimulus("regular:strength=1,period=20,tau=5")};
      cpu.set_stimuli(stim);
      gpu.set_stimuli(stim);
      std::vector<double> gc, pc, gg, pg;
      cpu.inspect(&gc, &pc, 3);
      gpu.inspect(&gg, &pg, 3);
      EXPECT_EQ(gc, gg) << model << ": inspect g, fresh state";
      EXPECT_EQ(pc, pg) << model << ": inspect rate, fresh state";
      RunOptions ro;
      ro.steps = 700;
      ro.equilibration_steps = 30;
      expect_same(cpu.run(ro), gpu.run(ro), model + " first run");
      ro.fresh_state = false;
      ro.equilibration_steps = 0;
      ro.stimulus_start = 700;
      expect_same(cpu.run(ro), gpu.run(ro), model + " continued run");
      cpu.inspect(&gc, &pc, 1400);
      gpu.inspect(&gg, &pg, 1400);
      EXPECT_EQ(gc, gg) << model << ": inspect g after runs";
      EXPECT_EQ(pc, pg) << model << ": inspect rate after runs";
      EXPECT_EQ(cpu.current_step(), gpu.current_step());
    }
  }
}

TEST(GpuEngine, LargeSparseNetworkEqualsTheCpu) {
  REQUIRE_GPU();
  SparseGenerator g;
  g.n = 100000;
  g.in_degree = 100;
  g.std = 5.0;
  g.glorot = true;
  NetList nets = {std::make_shared<const Network>(generate(g, 11))};
  ASSERT_EQ(nets[0]->n_synapses(), 10000000u);
  const AnyModel m = make_model("bernoulli_glm");
  SimulatorOptions o;
  o.seed = 3;
  RunOptions ro;
  ro.steps = 300;
  ro.equilibration_steps = 20;
  const auto cpu = run_on(Backend::kCpu, GpuStrategy::kAuto, m, nets, o, ro);
  ASSERT_GE(cpu.summary.recorded_spike_count, 100000u);
  for (GpuStrategy st : {GpuStrategy::kAuto, GpuStrategy::kStep, GpuStrategy::kGraph, GpuStrategy::kPull, GpuStrategy::kFused})
    expect_same(cpu, run_on(Backend::kGpu, st, m, nets, o, ro), std::string("100k / ") + gpu_strategy_name(st));
  EXPECT_ERROR_HAS(run_on(Backend::kGpu, GpuStrategy::kBlock, m, nets, o, ro),
                   "gpu strategy 'block': a network has 100000 neurons");
}

TEST(GpuEngine, PerEdgeFiltersEqualTheCpu) {
  REQUIRE_GPU();
  NetList nets = {std::make_shared<const Network>(test::per_edge_network(400, 7, 0.3, 4))};
  const AnyModel m = make_model("bernoulli_glm");
  SimulatorOptions o;
  o.seed = 8;
  o.replicas = 2;
  RunOptions ro;
  ro.steps = 40000;
  ro.equilibration_steps = 10;
  const auto stim = some_stimuli(nets);
  const auto cpu = run_on(Backend::kCpu, GpuStrategy::kAuto, m, nets, o, ro, stim);
  ASSERT_GE(cpu.summary.recorded_spike_count, 100000u);
  for (GpuStrategy st : {GpuStrategy::kBlock, GpuStrategy::kStep, GpuStrategy::kGraph})
    expect_same(cpu, run_on(Backend::kGpu, st, m, nets, o, ro, stim), std::string("per-edge / ") + gpu_strategy_name(st));
  EXPECT_ERROR_HAS(run_on(Backend::kGpu, GpuStrategy::kPull, m, nets, o, ro), "gpu strategy 'pull': per-edge filter");
  EXPECT_ERROR_HAS(run_on(Backend::kGpu, GpuStrategy::kFused, m, nets, o, ro), "gpu strategy 'fused': per-edge filter");
}

TEST(GpuEngine, SeveralSimulatorsAtOnceAreIndependent) {
  REQUIRE_GPU();
  const AnyModel m = make_model("poisson_glm");
  NetList a = {std::make_shared<const Network>(network_for("poisson_glm", 500, 1, 0))};
  NetList b = {std::make_shared<const Network>(network_for("poisson_glm", 800, 2, 1))};
  SimulatorOptions o;
  o.backend = Backend::kGpu;
  o.seed = 21;
  RunOptions ro;
  ro.steps = 500;
  Simulator sa(m, a, o), sb(m, b, o);
  const auto ra1 = sa.run(ro);
  const auto rb1 = sb.run(ro);
  ro.fresh_state = false;
  const auto ra2 = sa.run(ro);
  const auto rb2 = sb.run(ro);
  Simulator alone(m, a, o);
  ro.fresh_state = true;
  expect_same(alone.run(ro), ra1, "interleaved A, run 1");
  ro.fresh_state = false;
  expect_same(alone.run(ro), ra2, "interleaved A, run 2");
  o.backend = Backend::kCpu;
  Simulator cb(m, b, o);
  ro.fresh_state = true;
  expect_same(cb.run(ro), rb1, "interleaved B vs CPU");
  EXPECT_GT(rb2.summary.recorded_spike_count, 0u);
}

TEST(GpuEngine, RefusesWhatDoesNotFitWithTheEstimate) {
  REQUIRE_GPU();
  BernoulliGLM m;
  m.coupling_window = 100000;  // a 100000-step drive history per neuron
  SimulatorOptions o;
  o.backend = Backend::kGpu;
  o.replicas = 400;
  NetList nets = {std::make_shared<const Network>(network_for("bernoulli_glm", 1000, 1, 0))};
  EXPECT_ERROR_HAS(Simulator(AnyModel{m}, nets, o), "of device memory (networks ");
}

// Small enough for compute-sanitizer (bench/device-check.sh runs memcheck and
// racecheck on it): every strategy, stimuli, a recording subset with g and
// rate, a continued run and inspect, on a 2-network batch with replicas.
TEST(GpuEngine, TinyCaseForTheSanitizers) {
  REQUIRE_GPU();
  for (const std::string model : {"bernoulli_glm", "rectified_sam"}) {
    const AnyModel m = make_model(model);
    NetList nets = {std::make_shared<const Network>(network_for(model, 40, 1, 0)),
                    std::make_shared<const Network>(network_for(model, 25, 2, 1))};
    SimulatorOptions o;
    o.seed = 3;
    o.replicas = 2;
    o.gpu_chunk_steps = 16;
    RunOptions ro;
    ro.steps = 60;
    ro.equilibration_steps = 5;
    ro.record_input = ro.record_rate = true;
    ro.record_neurons = {0, 3, 39, 40, 64};
    ro.record_begin = 2;
    const auto stim = some_stimuli(nets);
    const auto cpu = run_on(Backend::kCpu, GpuStrategy::kAuto, m, nets, o, ro, stim);
    for (GpuStrategy st : kAllStrategies) {
      expect_same(cpu, run_on(Backend::kGpu, st, m, nets, o, ro, stim), model + " tiny / " + gpu_strategy_name(st));
      SimulatorOptions og = o;
      og.backend = Backend::kGpu;
      og.gpu_strategy = st;
      Simulator gpu(m, nets, og);
      std::vector<double> g, p;
      gpu.inspect(&g, &p, 0);
      EXPECT_EQ(g.size(), 130u);
    }
  }
}

// Checkpoints cross backends: a state saved on the GPU continues on the CPU
// and the other way round, giving the uninterrupted run's spikes; a stop
// request ends a GPU run early with its recording so far.
TEST(GpuEngine, StatesMoveBetweenBackendsAndStopsAreClean) {
  REQUIRE_GPU();
  for (const std::string model : {"bernoulli_glm", "rectified_sam"}) {
    const AnyModel m = make_model(model);
    NetList nets = {std::make_shared<const Network>(network_for(model, 500, 5, 0))};
    SimulatorOptions o;
    o.seed = 12;
    o.replicas = 2;
    RunOptions ro;
    ro.steps = 3000;
    ro.equilibration_steps = 0;
    const auto whole = run_on(Backend::kCpu, GpuStrategy::kAuto, m, nets, o, ro);
    for (int gpu_first = 0; gpu_first < 2; ++gpu_first) {
      SimulatorOptions oa = o, ob = o;
      oa.backend = gpu_first ? Backend::kGpu : Backend::kCpu;
      ob.backend = gpu_first ? Backend::kCpu : Backend::kGpu;
      Simulator a(m, nets, oa), b(m, nets, ob);
      RunOptions r1 = ro;
      r1.steps = 1200;
      a.run(r1);
      b.load_state(a.save_state());
      RunOptions r2 = ro;
      r2.steps = 1800;
      r2.fresh_state = false;
      r2.stimulus_start = 1200;
      const auto rest = b.run(r2);
      EXPECT_TRUE(test::same_window(whole.raster, 1200, rest.raster)) << model << (gpu_first ? ": GPU then CPU" : ": CPU then GPU");
    }
    // Fused keeps the next step's drive in a second buffer: a state saved
    // between its runs must still continue on the CPU.
    {
      SimulatorOptions of = o;
      of.backend = Backend::kGpu;
      of.gpu_strategy = GpuStrategy::kFused;
      Simulator f(m, nets, of);
      RunOptions r1 = ro;
      r1.steps = 1200;
      f.run(r1);
      SimulatorOptions oc = o;
      oc.backend = Backend::kCpu;
      Simulator c(m, nets, oc);
      c.load_state(f.save_state());
      RunOptions r2 = ro;
      r2.steps = 1800;
      r2.fresh_state = false;
      r2.stimulus_start = 1200;
      const auto rest = c.run(r2);
      EXPECT_TRUE(test::same_window(whole.raster, 1200, rest.raster)) << model << ": fused GPU then CPU";
    }
    std::atomic<bool> stop{false};
    SimulatorOptions og = o;
    og.backend = Backend::kGpu;
    Simulator g(m, nets, og);
    RunOptions rs = ro;
    rs.stop = &stop;
    rs.progress = [&](std::int64_t done, std::int64_t) {
      if (done >= 1000) stop = true;
    };
    const auto part = g.run(rs);
    EXPECT_TRUE(part.summary.stopped) << model;
    ASSERT_GE(part.summary.steps_run, 1000) << model;
    ASSERT_LT(part.summary.steps_run, 3000) << model;
    EXPECT_TRUE(test::same_window(whole.raster, 0, part.raster, static_cast<std::size_t>(part.summary.steps_run))) << model << ": the steps a stopped GPU run recorded";
    EXPECT_EQ(g.current_step(), static_cast<std::uint64_t>(part.summary.steps_run));
  }
}

// Strategy names round-trip, and a wrong one lists them all (no device needed).
TEST(GpuStrategyNames, RoundTripAndUnknownNameListsTheValidOnes) {
  for (const char* name : {"auto", "block", "step", "graph", "pull", "fused", "cluster"})
    EXPECT_STREQ(gpu_strategy_name(parse_gpu_strategy(name)), name);
  EXPECT_ERROR_HAS(parse_gpu_strategy("warp"), "expected one of auto, block, step, graph, pull, fused, cluster");
}

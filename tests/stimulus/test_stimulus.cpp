// Stimuli: values against the reference's rules at chosen times, the Poisson
// plan, masks, several stimuli, batching, the stimulus clock (off during
// equilibration, t = 0 at the first recorded step) and closed-form rates of
// stimulated uncoupled populations.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "net_util.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace cascade;
using cascade::test::error_message;

namespace {

Network edgeless(std::size_t n, std::uint32_t id = 0) {
  const std::vector<std::int64_t> none;
  const std::vector<double> w;
  return Network::from_edges(n, none, none, w, id, "edgeless" + std::to_string(n));
}

double value_at(const Stimulus& s, std::int64_t t, std::uint64_t seed = 0) {
  StimulusTable table({s}, {std::make_shared<const Network>(edgeless(1))}, seed);
  const StimulusView v = table.view();
  double tv[kMaxStimuli];
  stimulus_time_values(v, t, tv);
  return stimulus_input(v, tv, 0, 1, 0, 0, t);
}

/// RectifiedLNP with theta = 0, b = 0: rate = lambda_0 relu(stimulus) dt, so
/// an edgeless neuron spikes only while a positive stimulus reaches it.
AnyModel gate_model(double lambda0 = 1000.0) {
  AnyModel m = make_model("rectified_lnp");
  set_param(m, "lambda_0", lambda0);
  set_param(m, "theta", 0.0);
  set_param(m, "b", 0.0);
  set_param(m, "dt", 1.0);
  set_param(m, "T", 5);
  return m;
}

}  // namespace

TEST(Stimulus, RegularFollowsTheReferenceRule) {
  Stimulus s{RegularStimulus{2.0, 10, 3.0, 25, 57}, {}, {}};
  // Hand-listed: the phase is set by t (t % 10 < 3), not by start.
  for (std::int64_t t : {0, 1, 2, 24, 25, 26, 27, 28, 29, 33, 39, 53, 57, 60, 61})
    EXPECT_EQ(value_at(s, t), 0.0) << "t = " << t;
  for (std::int64_t t : {30, 31, 32, 40, 41, 42, 50, 51, 52})
    EXPECT_EQ(value_at(s, t), 2.0) << "t = " << t;
  // A fractional tau (the reference stores it as a float): t % 10 < 2.5.
  Stimulus f{RegularStimulus{1.5, 10, 2.5, 0, kNoStop}, {}, {}};
  for (std::int64_t t = 0; t < 40; ++t) EXPECT_EQ(value_at(f, t), (t % 10) <= 2 ? 1.5 : 0.0) << "t = " << t;
  EXPECT_EQ(value_at(f, 1000000000), 1.5);  // no stop
}

TEST(Stimulus, PoissonPlanFollowsTheReferenceRule) {
  PoissonStimulus p{3.0, 20, 1000, 4, 7};
  const auto times = poisson_event_times(p, 42, 0);
  ASSERT_GE(times.size(), 10u);
  EXPECT_EQ(times.front(), 7);  // cumsum starts at 0, shifted by start
  for (std::size_t k = 1; k < times.size(); ++k) EXPECT_LT(times[k - 1], times[k]);
  EXPECT_LT(times.back() - 7, 1000);  // un-shifted time < duration
  EXPECT_EQ(times, poisson_event_times(p, 42, 0));   // seeded
  EXPECT_NE(times, poisson_event_times(p, 43, 0));   // another seed
  EXPECT_NE(times, poisson_event_times(p, 42, 1));   // another stimulus index
  // Values: strength where 0 <= t - t_e < tau for some event, by brute force.
  Stimulus s{p, {}, {}};
  StimulusTable table({s}, {std::make_shared<const Network>(edgeless(1))}, 42);
  for (std::int64_t t = 0; t < 1020; ++t) {
    bool on = false;
    for (auto e : times) on = on || (t - e >= 0 && t - e < 4);
    double tv[kMaxStimuli];
    stimulus_time_values(table.view(), t, tv);
    ASSERT_EQ(tv[0], on ? 3.0 : 0.0) << "t = " << t;
  }
  // Edge cases: zero duration has no events; zero mean interval one event at start.
  EXPECT_TRUE(poisson_event_times(PoissonStimulus{1, 5, 0, 1, 0}, 1, 0).empty());
  EXPECT_EQ(poisson_event_times(PoissonStimulus{1, 0, 50, 1, 9}, 1, 0), std::vector<std::int64_t>{9});
}

// A plan up to a horizon is the whole plan's prefix (events before the
// horizon), and costs the span planned, not the intervals' means: a mean
// interval of 10^15 steps over a duration of 9 * 10^18 plans at once.
TEST(Stimulus, PoissonPlanToAHorizonIsThePrefixOfTheWholePlan) {
  const PoissonStimulus p{3.0, 20, 5000, 4, 7};
  const auto all = poisson_event_times(p, 42, 0);
  for (std::int64_t h : {0, 7, 8, 100, 1234, 5006, 5007, 9000}) {
    std::vector<std::int64_t> prefix;
    for (auto t : all)
      if (t < h) prefix.push_back(t);
    EXPECT_EQ(poisson_event_times(p, 42, 0, h), prefix) << "horizon " << h;
  }
  const PoissonStimulus huge{1.0, 1000000000000000, 9000000000000000000, 1, 0};
  EXPECT_EQ(poisson_event_times(huge, 1, 0, 100000), std::vector<std::int64_t>{0});
  // Planned to the end, the same stimulus needs memory no machine has.
  const PoissonStimulus dense{1.0, 1, 9000000000000000000, 1, 0};
  EXPECT_ERROR_HAS(poisson_event_times(dense, 1, 0), "the Poisson stimulus's event plan (about");
  // A stop request ends a long plan.
  std::atomic<bool> stop{true};
  EXPECT_THROW(poisson_event_times(PoissonStimulus{1.0, 1, 10000000, 1, 0}, 1, 0, kPlanAll, &stop), Stopped);
}

// A simulator plans its Poisson events as its runs reach them: runs in
// pieces give the spikes of one long run.
TEST(Stimulus, IncrementalPlanningGivesTheSpikesOfOneRun) {
  const Network net = test::random_network(50, 0.2, 2.0, 3);
  SimulatorOptions o;
  o.seed = 9;
  o.backend = Backend::kCpu;
  const std::vector<Stimulus> stim{{PoissonStimulus{4.0, 15, 1000000000000, 5, 3}, {}, {}}};
  Simulator whole(make_model("bernoulli_glm"), {net}, o);
  whole.set_stimuli(stim);
  const auto full = whole.simulate(700, 0);
  Simulator parts(make_model("bernoulli_glm"), {net}, o);
  parts.set_stimuli(stim);
  RunOptions ro;
  ro.equilibration_steps = 0;
  std::int64_t done = 0;
  for (std::int64_t n : {1, 2, 97, 300, 300}) {
    ro.steps = n;
    ro.fresh_state = done == 0;
    ro.stimulus_start = done;
    const auto r = parts.run(ro);
    EXPECT_TRUE(test::same_window(full.raster, done, r.raster)) << "piece at " << done;
    done += n;
  }
  EXPECT_GT(full.summary.recorded_spike_count, 0u);
}

TEST(Stimulus, PoissonIntervalsHavePoissonMoments) {
  // Intervals ~ Poisson(m): mean m, variance m. With n intervals the sample
  // mean's standard error is sqrt(m / n); the tolerance is 5 standard errors
  // (false failure < 1e-6). Repeated times (k = 0) are merged in the plan,
  // so use means where P(k = 0) = e^-m is negligible.
  for (std::int64_t m : {12, 300, 5000}) {
    PoissonStimulus p{1.0, m, m * 20000, 1, 0};
    const auto t = poisson_event_times(p, 7, 3);
    const double n = static_cast<double>(t.size() - 1);
    ASSERT_GT(n, 15000);
    double sum = 0, sq = 0;
    for (std::size_t k = 1; k < t.size(); ++k) {
      const double d = static_cast<double>(t[k] - t[k - 1]);
      sum += d;
      sq += d * d;
    }
    const double mean = sum / n, var = sq / n - mean * mean;
    EXPECT_NEAR(mean, static_cast<double>(m), 5 * std::sqrt(m / n)) << "m = " << m;
    // Var of the sample variance of Poisson(m) ~ (m + 2 m^2) / n.
    EXPECT_NEAR(var, static_cast<double>(m), 5 * std::sqrt((m + 2.0 * m * m) / n)) << "m = " << m;
  }
}

TEST(Stimulus, SinFollowsTheReferenceFormula) {
  SinStimulus p{1.5, 40.0, 300, 0.3, 0.25, 10.5, 0.5};
  Stimulus s{p, {}, {}};
  for (std::int64_t t = 0; t < 320; ++t) {
    const double want = (t >= 10.5 && t < 300)
                            ? 1.5 * std::sin(2 * M_PI / 40.0 * (static_cast<double>(t) - 10.5) * 0.5 + 0.3) + 0.25
                            : 0.0;
    EXPECT_NEAR(value_at(s, t), want, 1e-14) << "t = " << t;
  }
}

TEST(Stimulus, ParsesTheCommandLineForm) {
  const Stimulus r = parse_stimulus("regular:strength=5,period=100,tau=10");
  const auto& rs = std::get<RegularStimulus>(r.spec);
  EXPECT_EQ(rs.strength, 5.0);
  EXPECT_EQ(rs.period, 100);
  EXPECT_EQ(rs.tau, 10.0);
  EXPECT_EQ(rs.start, 0);
  EXPECT_EQ(rs.stop, kNoStop);
  const Stimulus p = parse_stimulus("poisson:strength=2,mean_interval=30,duration=500,tau=3,start=4");
  EXPECT_EQ(std::get<PoissonStimulus>(p.spec).tau, 3);
  const Stimulus s = parse_stimulus("sin:amplitude=1,period=12.5,duration=99,phase=0.5,baseline=-1,start=2.5,dt=0.1");
  EXPECT_EQ(std::get<SinStimulus>(s.spec).dt, 0.1);
  EXPECT_EQ(std::get<SinStimulus>(s.spec).start, 2.5);

  EXPECT_ERROR_HAS(parse_stimulus("pulse:strength=1"), "unknown kind 'pulse'; expected regular, poisson, sin or loaded");
  EXPECT_ERROR_HAS(parse_stimulus("regular"), "expected KIND:key=value");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=1,period=2,tau=1,width=3"),
                   "unknown key 'width' for regular; valid keys: strength, period, tau, start, stop");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=1,period=2"), "missing required key 'tau'");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=x,period=2,tau=1"), "strength = 'x' is not a number");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=1,strength=2,period=2,tau=1"), "key 'strength' is given twice");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=1,period=2.5,tau=1"), "period = 2.5 is invalid; expected an integer");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=1,period=0,tau=1"), "stimulus0.period = 0 is invalid; expected an integer >= 1");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=1,period=3,tau=-1"), "stimulus0.tau = -1 is invalid");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=nan,period=3,tau=1"), "stimulus0.strength = nan is invalid");
  EXPECT_ERROR_HAS(parse_stimulus("poisson:strength=1,mean_interval=-2,duration=5"), "stimulus0.mean_interval = -2 is invalid");
  EXPECT_ERROR_HAS(parse_stimulus("sin:amplitude=-1,period=3,duration=5"), "stimulus0.amplitude = -1 is invalid");
  EXPECT_ERROR_HAS(parse_stimulus("sin:amplitude=1,period=0,duration=5"), "stimulus0.period = 0 is invalid; expected a finite number > 0 (ms)");
  EXPECT_ERROR_HAS(parse_stimulus("sin:amplitude=1,period=2,duration=5,dt=0"), "stimulus0.dt = 0 is invalid");
  EXPECT_ERROR_HAS(parse_stimulus("regular:strength=1,,period=3,tau=1"), "'' is not key=value");
  EXPECT_ERROR_HAS(parse_stimulus("loaded:/nonexistent/x.npy"), "/nonexistent/x.npy: cannot open");
}

TEST(Stimulus, ParametersAreAddressedAndMarkedTunableAsTheReference) {
  std::vector<Stimulus> s{parse_stimulus("regular:strength=5,period=100,tau=10"),
                          parse_stimulus("sin:amplitude=1,period=20,duration=50"),
                          parse_stimulus("poisson:strength=2,mean_interval=30,duration=500")};
  std::vector<std::string> tunable;
  for (const auto& p : list_stimulus_params(s))
    if (p.tunable) tunable.push_back(p.name);
  EXPECT_EQ(tunable, (std::vector<std::string>{"stimulus0.strength", "stimulus1.amplitude", "stimulus1.period",
                                               "stimulus1.phase", "stimulus1.baseline", "stimulus2.strength"}));
  set_stimulus_param(s, "stimulus1.phase", 0.75);
  EXPECT_EQ(std::get<SinStimulus>(s[1].spec).phase, 0.75);
  EXPECT_ERROR_HAS(set_stimulus_param(s, "stimulus3.strength", 1.0),
                   "unknown stimulus parameter 'stimulus3.strength'; valid: stimulus0.strength");
  EXPECT_ERROR_HAS(set_stimulus_param(s, "stimulus0.period", 2.5), "expected an integer");
}

TEST(Stimulus, MasksAndSeveralStimuliAddUp) {
  // Two networks of 3 and 2 neurons (instance ids 0 and 1), two stimuli:
  // regular everywhere-on, masked per network; sin with one shared... sizes differ,
  // so the second uses per-network masks too.
  Stimulus a{RegularStimulus{2.0, 1, 1.0, 0, kNoStop}, {{1, 0, 1}, {0, 1}}, "a"};
  Stimulus b{SinStimulus{0.0, 10.0, 100, 0.0, 0.5, 0.0, 1.0}, {{1, 1, 0}, {1, 1}}, "b"};
  std::vector<std::shared_ptr<const Network>> nets{std::make_shared<const Network>(edgeless(3, 0)),
                                                   std::make_shared<const Network>(edgeless(2, 1))};
  StimulusTable t({a, b}, nets, 0);
  const StimulusView v = t.view();
  double tv[kMaxStimuli];
  stimulus_time_values(v, 5, tv);
  const double want[5] = {2.5, 0.5, 2.0, 0.5, 2.5};
  std::size_t g = 0;
  for (std::uint32_t net = 0; net < 2; ++net)
    for (std::size_t i = 0; i < nets[net]->n_neurons(); ++i, ++g)
      EXPECT_EQ(stimulus_input(v, tv, net, nets[net]->n_neurons(), i, g, 5), want[g]) << "neuron " << g;

  // Mismatches name the stimulus, the source and the sizes.
  Stimulus wrong{RegularStimulus{1, 1, 1, 0, kNoStop}, {{1, 0}}, "m.npy"};
  EXPECT_ERROR_HAS(StimulusTable({wrong}, nets, 0),
                   "stimulus0 (regular): the mask from m.npy has 2 entries, but network 'edgeless3' has 3 neurons");
  Stimulus few{RegularStimulus{1, 1, 1, 0, kNoStop}, {{1, 0, 1}, {1, 1, 1}}, "d"};
  auto third = std::make_shared<const Network>(edgeless(3, 2));
  EXPECT_ERROR_HAS(StimulusTable({few}, {third}, 0),
                   "stimulus0 (regular): 2 masks in d were given, but network 'edgeless3' is number 2 of its dataset");
}

TEST(Stimulus, ClockStartsAtTheFirstRecordedStepAndIsOffDuringEquilibration) {
  // Gate model: a neuron spikes (Poisson mean 1000 * 5) exactly when the
  // stimulus is on. A period-10, tau-1 stimulus must hit recorded steps 0, 10, 20...
  SimulatorOptions opt;
  opt.threads = 1;
  Simulator sim(gate_model(), {edgeless(16)}, opt);
  sim.set_stimuli({parse_stimulus("regular:strength=5,period=10,tau=1")});
  // Start silent so that every scattered spike is a stimulated one.
  sim.set_initial_spikes(std::vector<std::uint8_t>(16, 0));
  RunOptions ro;
  ro.steps = 60;
  ro.equilibration_steps = 37;
  ro.fresh_state = false;
  const SimulationResult r = sim.run(ro);
  std::uint64_t nonzero_before_last = 0;
  for (std::size_t i = 0; i < 16; ++i)
    for (std::size_t t = 0; t < 60; ++t) {
      const std::uint32_t c = r.raster.at(0, i, t);
      if (t % 10 == 0) EXPECT_GT(c, 0u) << "neuron " << i << " step " << t;
      else EXPECT_EQ(c, 0u) << "neuron " << i << " step " << t;
      if (c && t + 1 < 60) ++nonzero_before_last;
    }
  // Spiking neuron-steps of the whole run (equilibration included, the last
  // step's spikes not yet scattered) are exactly the recorded ones: none
  // during the 37 equilibration steps although t % 10 == 0 happens there.
  EXPECT_EQ(r.summary.spiking_neuron_steps, nonzero_before_last);

  // A continuing run passes the stimulus time on: t = 60 is on again.
  RunOptions next;
  next.steps = 3;
  next.equilibration_steps = 0;
  next.fresh_state = false;
  next.stimulus_start = 60;
  const SimulationResult r2 = sim.run(next);
  for (std::size_t i = 0; i < 16; ++i) {
    EXPECT_GT(r2.raster.at(0, i, 0), 0u);
    EXPECT_EQ(r2.raster.at(0, i, 1), 0u);
  }
  // equilibrate() keeps the stimulus off.
  const RunSummary eq = sim.equilibrate(30);
  EXPECT_EQ(eq.recorded_spike_count, 0u);
}

TEST(Stimulus, InspectSeesTheExactStimulusInTheInput) {
  AnyModel m = make_model("rectified_lnp");
  set_param(m, "b", 0.125);
  Simulator sim(m, {edgeless(4)}, {});
  sim.set_stimuli({parse_stimulus("regular:strength=0.75,period=4,tau=2"),
                   parse_stimulus("sin:amplitude=0.5,period=8,duration=100")});
  const double r = std::get<RectifiedLNP>(m).r;
  for (std::int64_t t : {0, 1, 2, 3, 6, 150}) {
    std::vector<double> g;
    sim.inspect(&g, nullptr, t);
    const double reg = (t % 4 < 2) ? 0.75 : 0.0;
    const double sn = t < 100 ? 0.5 * std::sin(2 * M_PI / 8 * static_cast<double>(t)) : 0.0;
    for (double x : g) EXPECT_NEAR(x, r * 0.0 + (reg + sn) + 0.125, 1e-15) << "t = " << t;
  }
  std::vector<double> off;
  sim.inspect(&off, nullptr);
  for (double x : off) EXPECT_EQ(x, 0.125);
}

TEST(Stimulus, LoadedValuesAreReadPerNetworkAndZeroPastTheEnd) {
  const fs::path dir = fs::temp_directory_path() / ("cascade_stim_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "per_net");
  // [N = 3, steps = 4, networks = 2]: value = 100 k + 10 i + t.
  std::vector<float> v(3 * 4 * 2);
  for (int i = 0; i < 3; ++i)
    for (int t = 0; t < 4; ++t)
      for (int k = 0; k < 2; ++k) v[(i * 4 + t) * 2 + k] = static_cast<float>(100 * k + 10 * i + t);
  write_npy((dir / "v.npy").string(), NpyDtype::kFloat32, {3, 4, 2}, v.data());
  // Mixed sizes: a directory with [3, 2] and [2, 5] files (names 0, 1).
  const double a[6] = {1, 2, 3, 4, 5, 6}, b[10] = {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10};
  write_npy((dir / "per_net" / "0.npy").string(), NpyDtype::kFloat64, {3, 2}, a);
  write_npy((dir / "per_net" / "1.npy").string(), NpyDtype::kFloat64, {2, 5}, b);

  AnyModel m = make_model("rectified_lnp");
  set_param(m, "b", 0.0);
  {
    Simulator sim(m, {edgeless(3, 0), edgeless(3, 1)}, {});
    sim.set_stimuli({parse_stimulus("loaded:" + (dir / "v.npy").string())});
    for (std::int64_t t = 0; t < 6; ++t) {
      std::vector<double> g;
      sim.inspect(&g, nullptr, t);
      for (int k = 0; k < 2; ++k)
        for (int i = 0; i < 3; ++i)
          EXPECT_EQ(g[k * 3 + i], t < 4 ? 100.0 * k + 10.0 * i + t : 0.0) << "t " << t << " k " << k << " i " << i;
    }
  }
  {
    Simulator sim(m, {edgeless(3, 0), edgeless(2, 1)}, {});
    sim.set_stimuli({parse_stimulus("loaded:" + (dir / "per_net").string())});
    std::vector<double> g;
    sim.inspect(&g, nullptr, 1);
    EXPECT_EQ(g, (std::vector<double>{2, 4, 6, -2, -7}));
    sim.inspect(&g, nullptr, 4);
    EXPECT_EQ(g, (std::vector<double>{0, 0, 0, -5, -10}));
    // Sizes must match the networks.
    EXPECT_ERROR_HAS(Simulator(m, {edgeless(2, 0)}, {}).set_stimuli({parse_stimulus("loaded:" + (dir / "per_net").string())}),
                     "0.npy has values for 3 neurons, but network 'edgeless2' has 2");
  }
  // Malformed values.
  const float bad[2] = {1.0f, NAN};
  write_npy((dir / "bad.npy").string(), NpyDtype::kFloat32, {1, 2}, bad);
  EXPECT_ERROR_HAS(load_stimulus_values((dir / "bad.npy").string()), "stimulus value at neuron 0, step 1 is nan");
  write_npy((dir / "flat.npy").string(), NpyDtype::kFloat32, {2}, bad);
  EXPECT_ERROR_HAS(load_stimulus_values((dir / "flat.npy").string()),
                   "stimulus values must be [N, steps] or [N, steps, networks]; got shape (2,)");
  fs::remove_all(dir);
}

TEST(Stimulus, MaskFilesAreCheckedAndRead) {
  const fs::path dir = fs::temp_directory_path() / ("cascade_mask_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "d");
  const std::uint8_t m2[6] = {1, 0, 1, 0, 1, 1};
  write_npy((dir / "m2.npy").string(), NpyDtype::kBool, {2, 3}, m2);
  const auto masks = load_stimulus_masks((dir / "m2.npy").string());
  ASSERT_EQ(masks.size(), 2u);
  EXPECT_EQ(masks[1], (std::vector<std::uint8_t>{0, 1, 1}));
  const std::uint8_t a[2] = {1, 1}, b[3] = {0, 0, 1};
  write_npy((dir / "d" / "0.npy").string(), NpyDtype::kUInt8, {2}, a);
  write_npy((dir / "d" / "1.npy").string(), NpyDtype::kUInt8, {3}, b);
  EXPECT_EQ(load_stimulus_masks((dir / "d").string()).back(), (std::vector<std::uint8_t>{0, 0, 1}));
  const std::uint8_t two[2] = {1, 2};
  write_npy((dir / "bad.npy").string(), NpyDtype::kUInt8, {2}, two);
  EXPECT_ERROR_HAS(load_stimulus_masks((dir / "bad.npy").string()), "stimulus mask entry 1 is 2; expected 0 or 1");
  write_npy((dir / "cube.npy").string(), NpyDtype::kUInt8, {1, 1, 2}, two);
  EXPECT_ERROR_HAS(load_stimulus_masks((dir / "cube.npy").string()),
                   "a stimulus mask must be [N] or [networks, N]; got shape (1, 1, 2)");
  fs::remove_all(dir);
}

TEST(Stimulus, StimulatedUncoupledPopulationsFireAtTheClosedFormRate) {
  // Edgeless networks: the count of a neuron-step is Poisson(mu) with the
  // model's closed-form mu(stimulus). For n neuron-steps the mean count has
  // standard error sqrt(mu / n); tolerance 5 standard errors (false failure
  // < 1e-6 per comparison).
  struct Case {
    const char* model;
    std::vector<std::pair<const char*, double>> params;
    double (*mu)(double s);
  };
  const Case cases[] = {
      {"rectified_lnp", {{"lambda_0", 2.0}, {"theta", 0.1}, {"b", 0.05}, {"dt", 1.0}, {"T", 10}},
       [](double s) { return 2.0 * std::max(0.0, s + 0.05 - 0.1) * 1.0; }},
      {"poisson_glm", {{"alpha", 4.0}, {"beta", 0.5}, {"b", 0.1}, {"dt", 1.0}, {"T", 10}},
       [](double s) { return std::exp(0.5 * (s + 0.1)) / 4.0 * 1.0; }},
  };
  for (const auto& c : cases) {
    AnyModel m = make_model(c.model);
    for (const auto& [k, v] : c.params) set_param(m, k, v);
    SimulatorOptions opt;
    opt.replicas = 4;
    opt.seed = 11;
    Simulator sim(m, {edgeless(500)}, opt);
    sim.set_stimuli({parse_stimulus("regular:strength=1.5,period=4,tau=2")});
    RunOptions ro;
    ro.steps = 400;
    ro.equilibration_steps = 20;
    const SimulationResult r = sim.run(ro);
    double on = 0, off = 0;
    std::uint64_t n_on = 0, n_off = 0;
    for (std::size_t rep = 0; rep < 4; ++rep)
      for (std::size_t i = 0; i < 500; ++i)
        for (std::size_t t = 0; t < 400; ++t) {
          const double x = r.raster.at(rep, i, t);
          if (t % 4 < 2) on += x, ++n_on;
          else off += x, ++n_off;
        }
    const double mu_on = c.mu(1.5), mu_off = c.mu(0.0);
    EXPECT_NEAR(on / n_on, mu_on, 5 * std::sqrt(mu_on / n_on)) << c.model;
    EXPECT_NEAR(off / n_off, mu_off, 5 * std::sqrt(std::max(mu_off, 1e-12) / n_off) + 1e-12) << c.model;
  }
}

TEST(Stimulus, BatchingAndThreadsDoNotChangeStimulatedSpikes) {
  // Three coupled networks of mixed sizes with masks by instance id and a
  // Poisson stimulus: one batch vs one network per simulator, 1 vs 2 threads.
  std::vector<Network> nets;
  for (std::uint32_t k = 0; k < 3; ++k) {
    NormalGenerator g{static_cast<std::size_t>(40 + 20 * k), 0.0, 5.0, 0.5, true};
    nets.push_back(generate(g, 5, k));
  }
  std::vector<Stimulus> stim{parse_stimulus("poisson:strength=4,mean_interval=15,duration=300,tau=3"),
                             parse_stimulus("sin:amplitude=2,period=30,duration=250")};
  stim[0].masks = {std::vector<std::uint8_t>(40, 1), std::vector<std::uint8_t>(60, 0), std::vector<std::uint8_t>(80, 1)};
  auto run = [&](std::size_t first, std::size_t count, int threads) {
    SimulatorOptions opt;
    opt.seed = 3;
    opt.threads = threads;
    opt.replicas = 2;
    Simulator sim(make_model("bernoulli_glm"), std::vector<Network>(nets.begin() + first, nets.begin() + first + count),
                  opt);
    sim.set_stimuli(stim);
    return sim.simulate(300, 50).raster;
  };
  const Raster all = run(0, 3, 1);
  const Raster all2 = run(0, 3, 2);
  ASSERT_EQ(all.size_bytes(), all2.size_bytes());
  EXPECT_EQ(0, std::memcmp(all.data(), all2.data(), all.size_bytes()));
  std::size_t offset = 0;
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    const Raster one = run(k, 1, 1);
    for (std::size_t rep = 0; rep < 2; ++rep)
      for (std::size_t i = 0; i < one.neurons(); ++i)
        for (std::size_t t = 0; t < 300; ++t) {
          ASSERT_EQ(one.at(rep, i, t), all.at(rep, offset + i, t)) << "network " << k;
          total += one.at(rep, i, t);
        }
    offset += one.neurons();
  }
  EXPECT_GT(total, 1000u);
  // The stimulus changes the spikes (it is not silently ignored).
  SimulatorOptions opt;
  opt.seed = 3;
  opt.replicas = 2;
  Simulator plain(make_model("bernoulli_glm"), std::vector<Network>(nets), opt);
  const Raster none = plain.simulate(300, 50).raster;
  EXPECT_NE(0, std::memcmp(none.data(), all.data(), all.size_bytes()));
}

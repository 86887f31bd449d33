// tune: the hand-written gradient against central finite differences of the
// replay objective (every tunable parameter of every model and stimulus
// kind), its cost (one pass), parameter selection, determinism, and tuning
// that reaches target rates.
#include <gtest/gtest.h>

#include <cmath>

#include "cascade/engine/cpu_engine.hpp"
#include "cascade/tune/epoch_runner.hpp"
#include "test_util.hpp"
#include "tune_cases.hpp"

using namespace cascade;

namespace {

using test::set_tune_value;
using test::three_stimuli;
using test::tune_model;
using test::tune_model_cases;
using test::tune_value;

std::vector<Network> small_networks() {
  return {generate(NormalGenerator{30, 0.0, 5.0, 0.5, true}, 3, 0),
          generate(NormalGenerator{20, 0.0, 5.0, 0.6, true}, 3, 1)};
}

}  // namespace

TEST(TuneGradient, MatchesCentralFiniteDifferencesForEveryTunableParameter) {
  // With the spikes of one epoch held fixed, R(theta) is smooth away from the
  // kinks. Five-point central differences, h = 5e-4 * max(|theta|, 0.1):
  // truncation O(h^4) and rounding O(eps R / h) stay below 2e-7 relative
  // here (the three-point rule at h = 1e-4 is already off by 7e-6, at 1e-5
  // by 6e-8), so the analytic gradient is checked well below 1e-6.
  for (const auto& mc : tune_model_cases()) {
    const AnyModel model = tune_model(mc);
    std::vector<Stimulus> stimuli = three_stimuli(30, 20);
    SimulatorOptions so;
    so.replicas = 3;
    so.seed = 17;
    const auto nets = small_networks();
    const SpikeRecord rec = record_epoch(model, nets, stimuli, so, 12, 140);
    const Replay replay(nets, rec, so.seed, 1);
    const auto names = resolve_tunable(model, stimuli, {"all"});
    const std::uint64_t before = replay.passes();
    const ReplayValue v = replay.evaluate(model, stimuli, names, true);
    EXPECT_EQ(replay.passes(), before + 1) << "the gradient must cost one pass";
    ASSERT_EQ(v.gradient.size(), names.size());
    EXPECT_GT(v.rate_hz, 0.5) << mc.name;
    double worst = 0;
    for (std::size_t q = 0; q < names.size(); ++q) {
      const double x = tune_value(model, stimuli, names[q]);
      const double h = 5e-4 * std::max(std::fabs(x), 0.1);
      double f[4];
      double min_kink = v.min_kink_distance;
      const double offsets[4] = {-2, -1, 1, 2};
      for (int k = 0; k < 4; ++k) {
        AnyModel mk = model;
        std::vector<Stimulus> sk = stimuli;
        set_tune_value(mk, sk, names[q], x + offsets[k] * h);
        const ReplayValue e = replay.evaluate(mk, sk, names, false);
        f[k] = e.rate_hz;
        min_kink = std::min(min_kink, e.min_kink_distance);
      }
      // The kinks of relu(g - theta) are not crossed: every |g - theta| exceeds
      // the largest change the steps can make to g (|dg/dparam| * 2h, dg/dparam <= 100 here).
      EXPECT_GT(min_kink, 200 * h) << mc.name << " " << names[q];
      const double fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
      worst = std::max(worst, std::fabs(v.gradient[q] - fd) / std::max(std::fabs(fd), 1e-300));
      EXPECT_NEAR(v.gradient[q], fd, 1e-6 * std::fabs(fd) + 1e-12 * v.rate_hz)
          << mc.name << " " << names[q] << " analytic " << v.gradient[q] << " fd " << fd;
    }
    std::printf("%-14s %zu parameters, R = %.4g Hz, largest relative difference %.2g\n", mc.name, names.size(),
                v.rate_hz, worst);
  }
}

TEST(TuneGradient, ReplayRecomputesTheSimulationsExpectedRate) {
  // The replay recomputes g from the recorded spikes: after K simulated
  // steps, its R for step K equals the mean of phi(g) the engine itself
  // computes for that step (inspect()), up to double rounding of the engine's
  // fixed-point drive. K exceeds every filter window, so the whole history
  // matters.
  for (const auto& mc : tune_model_cases()) {
    const AnyModel model = tune_model(mc);
    SimulatorOptions so;
    so.seed = 5;
    so.replicas = 2;
    const auto nets = small_networks();
    const std::int64_t K = 60;
    SpikeRecord rec = record_epoch(model, nets, {}, so, K, 1);
    rec.window_start = static_cast<std::size_t>(K);
    const Replay replay(nets, rec, so.seed, 1);
    const double r = replay.evaluate(model, {}, {}, false).rate_hz;
    Simulator sim(model, nets, so);
    if (rec.initial_activation.empty()) sim.set_initial_spikes(rec.initial_spikes);
    else sim.set_initial_activation(rec.initial_activation);
    RunOptions ro;
    ro.steps = K;
    ro.equilibration_steps = 0;
    ro.fresh_state = false;
    ro.record = false;
    sim.run(ro);
    std::vector<double> rate;
    sim.inspect(nullptr, &rate);
    double sum = 0;
    for (double p : rate) sum += p;
    EXPECT_NEAR(r, sum / rate.size() * 1000.0 / sim.dt(), 1e-9 * r) << mc.name;
  }
}

TEST(TuneGradient, TangentOverTheEnginesTapEqualsTheReplay) {
  // tune's epochs run on one engine whose tap (g, S, drive, counts) feeds the
  // tangent pass. On the same spikes it must give the replay's R and dR/dθ:
  // the two differ only in how S is rounded (the engine's exact integer drive
  // times the scale, against the replay's double sums), about 1e-15
  // relative; 1e-10 leaves room for cancellation in the sums. Two epochs with
  // different parameter values check that the engine takes the new values
  // (filters included) and a fresh state each epoch.
  for (const auto& mc : tune_model_cases()) {
    AnyModel model = tune_model(mc);
    std::vector<Stimulus> stimuli = three_stimuli(30, 20);
    SimulatorOptions so;
    so.replicas = 3;
    so.seed = 17;
    so.first_step = 1000;
    so.backend = Backend::kCpu;
    const auto nets = small_networks();
    std::vector<std::shared_ptr<const Network>> shared;
    for (const auto& n : nets) shared.push_back(std::make_shared<const Network>(n));
    const auto names = resolve_tunable(model, stimuli, {"all"});
    const std::int64_t K = 12, T = 140;
    const auto runner = replay::make_epoch_runner(model, shared, so, names, K, T);
    ASSERT_TRUE(runner);
    EXPECT_STREQ(runner->backend(), "cpu");
    for (int epoch = 0; epoch < 2; ++epoch) {
      if (epoch == 1) {  // new values of every parameter, the filters' among them
        for (const auto& n : names) set_tune_value(model, stimuli, n, tune_value(model, stimuli, n) * 1.05);
      }
      SimulatorOptions se = so;
      se.first_step = so.first_step + static_cast<std::uint64_t>(epoch * (K + T));
      const SpikeRecord rec = record_epoch(model, nets, stimuli, se, K, T);
      const ReplayValue want = Replay(nets, rec, so.seed, 1).evaluate(model, stimuli, names, true);
      const ReplayValue got = runner->run(model, stimuli, se.first_step);
      EXPECT_NEAR(got.rate_hz, want.rate_hz, 1e-10 * want.rate_hz) << mc.name << " epoch " << epoch;
      ASSERT_EQ(got.gradient.size(), want.gradient.size());
      double largest = 0;
      for (double x : want.gradient) largest = std::max(largest, std::fabs(x));
      for (std::size_t q = 0; q < names.size(); ++q)
        EXPECT_NEAR(got.gradient[q], want.gradient[q], 1e-10 * std::fabs(want.gradient[q]) + 1e-13 * largest)
            << mc.name << " " << names[q] << " epoch " << epoch;
      if (std::isinf(want.min_kink_distance)) EXPECT_TRUE(std::isinf(got.min_kink_distance)) << mc.name;  // no kink
      else EXPECT_NEAR(got.min_kink_distance, want.min_kink_distance, 1e-9 * want.min_kink_distance) << mc.name;
    }
    EXPECT_THROW(runner->run(model, stimuli, 0), Error) << "epochs follow each other";
  }
}

TEST(Tune, SelectionRulesAndErrors) {
  const AnyModel b = make_model("bernoulli_glm");
  EXPECT_EQ(resolve_tunable(b, {}, {"all"}),
            (std::vector<std::string>{"theta", "alpha", "rel_ref_strength", "beta", "r"}));
  std::vector<Stimulus> s{parse_stimulus("sin:amplitude=1,period=10,duration=5")};
  EXPECT_EQ(resolve_tunable(b, s, {"stimulus"}),
            (std::vector<std::string>{"stimulus0.amplitude", "stimulus0.period", "stimulus0.phase", "stimulus0.baseline"}));
  EXPECT_EQ(resolve_tunable(b, s, {"theta", "stimulus0.phase", "theta"}), (std::vector<std::string>{"theta", "stimulus0.phase"}));
  EXPECT_ERROR_HAS(resolve_tunable(b, s, {"dt"}), "'dt' is not a tunable parameter of bernoulli_glm or its stimuli; valid: all, model, stimulus or theta, alpha");
  EXPECT_ERROR_HAS(resolve_tunable(b, {}, {}), "tune: no parameters selected");
  EXPECT_ERROR_HAS(resolve_tunable(b, {}, {"stimulus"}), "'stimulus' selects nothing");
  EXPECT_ERROR_HAS(resolve_tunable(make_model("threshold_sam"), {}, {"all"}), "threshold_sam cannot be tuned");
  EXPECT_EQ(resolve_tunable(make_model("poisson_glm"), {}, {"model"}),
            (std::vector<std::string>{"alpha", "beta", "tau", "r", "b"}));
  EXPECT_EQ(resolve_tunable(make_model("rectified_lnp"), {}, {"all"}),
            (std::vector<std::string>{"lambda_0", "theta", "tau", "r", "b"}));
  EXPECT_EQ(resolve_tunable(make_model("rectified_sam"), {}, {"all"}),
            (std::vector<std::string>{"lambda_0", "theta", "tau", "r", "b"}));
  TuneOptions o;
  o.lr = 0;
  EXPECT_ERROR_HAS(tune(b, small_networks(), {}, {}, o), "tune: lr = 0 is invalid");
}

TEST(Tune, DeterministicForAnyThreadCountAndLeavesUnselectedParametersAlone) {
  const AnyModel model = make_model("bernoulli_glm");
  std::vector<Stimulus> s{parse_stimulus("regular:strength=1,period=20,tau=5")};
  TuneOptions o;
  o.target_hz = 12;
  o.selection = {"theta", "stimulus0.strength"};
  o.epochs = 12;
  o.steps = 80;
  o.lr = 0.05;
  std::vector<TuneResult> res;
  for (int threads : {1, 2}) {
    SimulatorOptions so;
    so.seed = 9;
    so.replicas = 4;
    so.threads = threads;
    res.push_back(tune(model, small_networks(), s, so, o));
  }
  EXPECT_EQ(res[0].final, res[1].final);
  ASSERT_EQ(res[0].history.size(), 12u);
  for (std::size_t e = 0; e < 12; ++e) EXPECT_EQ(res[0].history[e].loss, res[1].history[e].loss);
  const auto before = list_params(model), after = list_params(res[0].model);
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i].name != "theta") {
      EXPECT_EQ(before[i].value, after[i].value) << before[i].name;
    }
  EXPECT_NE(list_params(res[0].model)[0].value, 5.0);
  EXPECT_EQ(std::get<RegularStimulus>(res[0].stimuli[0].spec).period, 20);
  EXPECT_NE(std::get<RegularStimulus>(res[0].stimuli[0].spec).strength, 1.0);
}

TEST(Tune, ReachesTargetRates) {
  // Each tunable model on two networks and two targets in [2, 50] Hz, one
  // natural parameter each (BernoulliGLM theta, PoissonGLM b, RectifiedLNP and
  // RectifiedSAM theta). How the settings were chosen: Adam moves a
  // parameter by at most about lr per epoch, and its steps shrink as the
  // squared-gradient average keeps the large early gradients (beta2 = 0.999),
  // so lr is about 1/20 of the distance to the solution (in the parameter's
  // units; with lr = 0.02 the PoissonGLM's b had covered only 95 % of the way
  // after 200 epochs) and epochs = 200 leave > 100 epochs to settle; 200 steps x 4 replicas per epoch keep the epoch's
  // estimate of R within a few per cent; 100 equilibration steps (not the
  // default 10) let the transient of the random initial state (half the
  // neurons spiking) decay, which otherwise biases R against the stationary
  // rate by about 5 % for the PoissonGLM at 4 Hz. The check: a long independent
  // simulation (another seed, 20 000 steps x 4 replicas, > 2e4 spikes, so
  // its own standard error is < 1 %) fires within 5 % of the target.
  struct Case {
    int model;
    const char* param;
    double lr;
  };
  const Case cases[] = {{0, "theta", 0.05}, {1, "b", 0.05}, {2, "theta", 0.15}, {3, "theta", 0.1}};
  const std::vector<std::vector<Network>> networks{
      {generate(NormalGenerator{60, 0.0, 5.0, 0.5, true}, 21, 0)},
      {generate(NormalGenerator{40, 0.0, 5.0, 0.7, true}, 22, 0), generate(NormalGenerator{30, 0.0, 5.0, 0.5, true}, 22, 1)}};
  for (const auto& c : cases)
    for (std::size_t k = 0; k < networks.size(); ++k)
      for (double target : {4.0, 40.0}) {
        const AnyModel model = tune_model(tune_model_cases()[c.model]);
        TuneOptions o;
        o.target_hz = target;
        o.selection = {c.param};
        o.lr = c.lr;
        o.epochs = 200;
        o.steps = 200;
        o.equilibration = 100;
        SimulatorOptions so;
        so.seed = 100 + k;
        so.replicas = 4;
        const TuneResult r = tune(model, networks[k], {}, so, o);
        SimulatorOptions check;
        check.seed = 999;
        check.replicas = 4;
        Simulator sim(r.model, networks[k], check);
        RunOptions ro;
        ro.steps = 20000;
        ro.record = false;
        const double rate = sim.run(ro).summary.mean_rate_hz;
        std::printf("%-14s networks %zu: %s %.4g -> %.4g, target %4.1f Hz, long run %.4g Hz\n",
                    tune_model_cases()[c.model].name, k, c.param, r.initial[0], r.final[0], target, rate);
        EXPECT_NEAR(rate, target, 0.05 * target) << tune_model_cases()[c.model].name << " networks " << k;
      }
}

TEST(Tune, NonFiniteRateIsAnError) { test::expect_tune_stops_on_a_non_finite_rate(Backend::kCpu); }

TEST(Tune, EngineTakesNewParameterValuesButNotANewStateShape) {
  // tune's engine lives across epochs: set_model takes new values (the
  // refractory filter's among them) and refuses what would change the state's
  // shape, naming why.
  BernoulliGLM m;
  const std::vector<std::shared_ptr<const Network>> nets = {
      std::make_shared<const Network>(generate(NormalGenerator{20, 0.0, 5.0, 0.5, true}, 3, 0))};
  CpuEngine<BernoulliGLM> engine(m, nets, SimulatorOptions{});
  BernoulliGLM values = m;
  values.theta += 1.0;
  values.beta *= 2.0;
  EXPECT_NO_THROW(engine.set_model(values));
  BernoulliGLM longer = m;
  longer.coupling_window += 1;
  try {
    engine.set_model(longer);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("filters' kind or length"), std::string::npos) << e.what();
  }
}

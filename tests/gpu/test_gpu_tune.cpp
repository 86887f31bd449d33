// tune on the GPU: the GPU runner's tangent pass against the CPU runner's on
// the same spikes, for every tunable model and strategy; an end-to-end tune;
// the non-finite error; a tiny case for compute-sanitizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cascade/cascade.hpp"
#include "gpu_util.hpp"
#include "test_util.hpp"
#include "tune_cases.hpp"

using namespace cascade;

// tune end to end: the GPU backend lands on the CPU's parameters (the
// spikes are bit-identical; the gradients agree to rounding).
TEST(GpuTune, EndToEndLandsOnTheCpuParameters) {
  REQUIRE_GPU();
  AnyModel model = make_model("bernoulli_glm");
  const std::vector<Network> nets = {generate(NormalGenerator{400, 0.0, 5.0, 0.5, true}, 5, 0)};
  TuneOptions to;
  to.target_hz = 12.0;
  to.selection = {"theta", "alpha", "beta"};
  to.epochs = 6;
  to.lr = 0.05;
  SimulatorOptions so;
  so.seed = 9;
  so.backend = Backend::kCpu;
  const TuneResult tc = tune(model, nets, {}, so, to);
  so.backend = Backend::kGpu;
  const TuneResult tg = tune(model, nets, {}, so, to);
  ASSERT_EQ(tc.final.size(), tg.final.size());
  for (std::size_t q = 0; q < tc.final.size(); ++q)
    EXPECT_NEAR(tg.final[q], tc.final[q], 1e-9 * std::fabs(tc.final[q])) << tc.names[q];
}

// tune's epochs on the GPU: one engine across epochs, its tap read by the
// tangent kernel. On the same spikes (the engines are bit-identical) every
// slot's inputs to the tangent pass are the CPU runner's bits, so R and dR/dθ
// agree to the order of the final sums (~1e-15; checked at 1e-12), for every
// tunable model with three stimulus kinds over two epochs with different
// parameters, and for every strategy (each writes the tap from its own kernel).
TEST(GpuTune, TangentEqualsTheCpuTangentForEveryModelAndStrategy) {
  REQUIRE_GPU();
  const std::vector<std::shared_ptr<const Network>> nets = {
      std::make_shared<const Network>(generate(NormalGenerator{300, 0.0, 5.0, 0.5, true}, 3, 0)),
      std::make_shared<const Network>(generate(NormalGenerator{200, 0.0, 5.0, 0.6, true}, 3, 1))};
  struct Run {
    const char* model;
    GpuStrategy strategy;
  };
  std::vector<Run> runs;
  for (const auto& mc : test::tune_model_cases()) runs.push_back({mc.name, GpuStrategy::kAuto});
  for (GpuStrategy s : {GpuStrategy::kBlock, GpuStrategy::kStep, GpuStrategy::kGraph, GpuStrategy::kFused,
                        GpuStrategy::kPull, GpuStrategy::kCluster})
    runs.push_back({"bernoulli_glm", s});
  for (const Run& run : runs) {
    const auto& cases = test::tune_model_cases();
    const test::TuneModelCase& mc = *std::find_if(cases.begin(), cases.end(), [&](const test::TuneModelCase& c) {
      return std::strcmp(c.name, run.model) == 0;
    });
    AnyModel model = test::tune_model(mc);
    std::vector<Stimulus> stimuli = test::three_stimuli(300, 200);
    SimulatorOptions so;
    so.replicas = 3;
    so.seed = 17;
    so.first_step = 500;
    so.gpu_strategy = run.strategy;
    const auto names = resolve_tunable(model, stimuli, {"all"});
    const std::int64_t K = 12, T = 140;
    so.backend = Backend::kCpu;
    const auto cpu = test::make_runner(model, nets, so, names, K, T);
    so.backend = Backend::kGpu;
    const auto gpu = test::make_runner(model, nets, so, names, K, T);
    EXPECT_EQ(gpu.backend, "gpu");
    const std::string label = std::string(mc.name) + "/" + gpu_strategy_name(run.strategy);
    for (int epoch = 0; epoch < 2; ++epoch) {
      if (epoch == 1)
        for (const auto& n : names) test::set_tune_value(model, stimuli, n, test::tune_value(model, stimuli, n) * 1.05);
      const std::uint64_t first = so.first_step + static_cast<std::uint64_t>(epoch * (K + T));
      const ReplayValue c = cpu.run(model, stimuli, first);
      const ReplayValue g = gpu.run(model, stimuli, first);
      EXPECT_GT(c.rate_hz, 0.5) << label;
      EXPECT_NEAR(g.rate_hz, c.rate_hz, 1e-12 * c.rate_hz) << label << " epoch " << epoch;
      ASSERT_EQ(g.gradient.size(), c.gradient.size());
      double largest = 0;
      for (double x : c.gradient) largest = std::max(largest, std::fabs(x));
      for (std::size_t q = 0; q < names.size(); ++q)
        EXPECT_NEAR(g.gradient[q], c.gradient[q], 1e-12 * std::fabs(c.gradient[q]) + 1e-14 * largest)
            << label << " " << names[q] << " epoch " << epoch;
      EXPECT_EQ(g.min_kink_distance, c.min_kink_distance) << label;  // a minimum: order-independent
    }
  }
}

// A non-finite rate in a GPU tune epoch is reported as the simulation
// reports it, naming the step and the neuron.
TEST(GpuTune, NonFiniteRateIsAnError) {
  REQUIRE_GPU();
  test::expect_tune_stops_on_a_non_finite_rate(Backend::kGpu);
}

// Small enough for compute-sanitizer: a tune epoch with stimuli on the block,
// fused and cluster strategies (the tap written from shared and global state).
TEST(GpuTune, TinyCaseForTheSanitizers) {
  REQUIRE_GPU();
  AnyModel model = make_model("bernoulli_glm");
  const std::vector<std::shared_ptr<const Network>> nets = {
      std::make_shared<const Network>(generate(NormalGenerator{40, 0.0, 5.0, 0.5, true}, 3, 0))};
  const std::vector<Stimulus> stimuli{parse_stimulus("sin:amplitude=0.7,period=13.5,duration=50,phase=0.4,baseline=0.2")};
  const auto names = resolve_tunable(model, stimuli, {"all"});
  for (GpuStrategy st : {GpuStrategy::kBlock, GpuStrategy::kFused, GpuStrategy::kCluster}) {
    SimulatorOptions so;
    so.replicas = 2;
    so.seed = 3;
    so.gpu_strategy = st;
    so.backend = Backend::kCpu;
    const ReplayValue c = test::make_runner(model, nets, so, names, 5, 40).run(model, stimuli, 0);
    so.backend = Backend::kGpu;
    const ReplayValue g = test::make_runner(model, nets, so, names, 5, 40).run(model, stimuli, 0);
    EXPECT_NEAR(g.rate_hz, c.rate_hz, 1e-12 * c.rate_hz) << gpu_strategy_name(st);
    for (std::size_t q = 0; q < names.size(); ++q)
      EXPECT_NEAR(g.gradient[q], c.gradient[q], 1e-12 * std::fabs(c.gradient[q]) + 1e-300) << names[q];
  }
}


// The tune tests' shared inputs (tests/test_tune.cpp, tests/test_gpu_engine.cpp):
// one parameter point per tunable model, away from the kinks, and three
// stimulus kinds with a partial mask.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <functional>
#include <memory>

#include "cascade/cascade.hpp"
#include "tune/gpu_epoch_runner.hpp"
#include "cascade/extend/tune_model.hpp"

namespace cascade::test {

struct TuneModelCase {
  const char* name;
  std::vector<std::pair<const char*, double>> params;
};

// Points away from the kinks: |alpha|, |beta| > 0 (BernoulliGLM), and for
// the relu models theta far below every g, so that relu(g - theta) is linear
// at every neuron-step within the finite-difference steps (checked through
// ReplayValue::min_kink_distance).
inline const std::vector<TuneModelCase>& tune_model_cases() {
  static const std::vector<TuneModelCase> cases = {
      {"bernoulli_glm", {{"theta", 4.0}, {"alpha", 0.3}, {"beta", 0.6}, {"rel_ref_strength", -20.0}, {"r", 1.1}}},
      {"poisson_glm", {{"dt", 1.0}, {"alpha", 20.0}, {"beta", 2.0}, {"tau", 8.0}, {"r", 0.02}, {"b", -0.45}, {"T", 30}}},
      {"rectified_lnp",
       {{"dt", 1.0}, {"lambda_0", 0.004}, {"theta", -5.0}, {"tau", 7.0}, {"r", 0.05}, {"b", 0.01}, {"T", 40}}},
      {"rectified_sam", {{"dt", 1.0}, {"lambda_0", 0.006}, {"theta", -3.0}, {"tau", 9.0}, {"r", 0.05}, {"b", 0.002}}},
  };
  return cases;
}

inline AnyModel tune_model(const TuneModelCase& c) {
  AnyModel m = make_model(c.name);
  for (const auto& [k, v] : c.params) set_param(m, k, v);
  return m;
}

/// A regular, a Poisson (reaching all of the first network and neuron 3 of
/// the second) and a sin stimulus, for a batch of two networks of n0 and n1 neurons.
inline std::vector<Stimulus> three_stimuli(std::size_t n0, std::size_t n1) {
  std::vector<Stimulus> s{parse_stimulus("regular:strength=0.8,period=7,tau=2,start=1"),
                          parse_stimulus("poisson:strength=0.6,mean_interval=9,duration=120,tau=3"),
                          parse_stimulus("sin:amplitude=0.7,period=13.5,duration=150,phase=0.4,baseline=0.2,start=2")};
  s[1].masks = {std::vector<std::uint8_t>(n0, 1), std::vector<std::uint8_t>(n1, 0)};
  s[1].masks[1][3] = 1;
  return s;
}

/// A parameter's value (model or stimulus), and setting it.
inline double tune_value(const AnyModel& m, const std::vector<Stimulus>& s, const std::string& name) {
  for (const auto& p : name.rfind("stimulus", 0) == 0 ? list_stimulus_params(s) : list_params(m))
    if (p.name == name) return p.value;
  ADD_FAILURE() << "no parameter " << name;
  return 0;
}
inline void set_tune_value(AnyModel& m, std::vector<Stimulus>& s, const std::string& name, double v) {
  if (name.rfind("stimulus", 0) == 0) set_stimulus_param(s, name, v);
  else set_param(m, name, v);
}

/// tune's epoch runner for a built-in model, as tune picks it for `so`'s
/// backend; `cpu_tap_budget` (CPU, 0: the default) splits the tap.
struct AnyRunner {
  std::function<ReplayValue(const AnyModel&, const std::vector<Stimulus>&, std::uint64_t)> run;
  std::string backend;
  std::uint64_t runs_per_epoch = 1;
};
inline AnyRunner make_runner(const AnyModel& model, const std::vector<std::shared_ptr<const Network>>& nets,
                             const SimulatorOptions& so, const std::vector<std::string>& names, std::int64_t K,
                             std::int64_t T, std::uint64_t cpu_tap_budget = 0) {
  return std::visit(
      [&](const auto& m) -> AnyRunner {
        using M = std::decay_t<decltype(m)>;
        if constexpr (!TunableModel<M>) {
          throw Error("not tunable");
        } else {
          std::shared_ptr<tangent::EpochRunner<M>> r;
          if (so.backend == Backend::kGpu) {
            std::string why;
            r = tangent::make_gpu_epoch_runner(m, nets, so, names, K, T, &why);
            if (!r) throw Error("no GPU runner: " + why);
          } else {
            r = std::make_shared<tangent::CpuEpochRunner<M>>(m, nets, so, names, K, T, cpu_tap_budget);
          }
          return AnyRunner{[r](const AnyModel& a, const std::vector<Stimulus>& s, std::uint64_t first) {
                             return r->run(std::get<M>(a), s, first);
                           },
                           r->backend(), r->runs_per_epoch()};
        }
      },
      model);
}

/// exp(beta * g) overflows in the first epoch: tune stops with the
/// simulation's error naming the step and the neuron, not a NaN gradient.
inline void expect_tune_stops_on_a_non_finite_rate(Backend backend) {
  AnyModel model = make_model("poisson_glm");
  set_param(model, "beta", 900.0);
  set_param(model, "b", 1.0);
  const std::vector<Network> nets = {generate(NormalGenerator{50, 0.0, 5.0, 0.5, true}, 3, 0)};
  SimulatorOptions so;
  so.backend = backend;
  TuneOptions to;
  to.selection = {"b"};
  to.epochs = 2;
  try {
    tune(model, nets, {}, so, to);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite rate at global step"), std::string::npos) << e.what();
  }
}

}  // namespace cascade::test

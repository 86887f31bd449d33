// The models described for users (`cascade models`): units and meanings of
// the parameters, and the networks the defaults suit. The parameter names,
// defaults and tunability come from the models themselves (list_params);
// tests/models/test_model_info.cpp checks that this table covers exactly them.
#include <map>
#include <string>

#include "cascade/error.hpp"
#include "cascade/models/registry.hpp"

namespace cascade {

namespace {

struct Doc {
  const char* class_name;
  const char* summary;
  const char* scale;
  std::map<std::string, std::pair<const char*, const char*>> params;  // name -> (unit, meaning)
};

// The scales were measured with cascade 2026-12 on 100-neuron `generate normal`
// networks (mean 0), 2000 steps after 100 of equilibration.
const std::map<std::string, Doc>& docs() {
  static const std::map<std::string, Doc> d = {
      {"bernoulli_glm",
       {"BernoulliGLM", "p = sigmoid(g - theta) dt; g = r (coupling + refractory filter) + stimulus",
        "the reference's test networks: normal W0 with std 5 (about 55 Hz; std 0.01 to 2: 6 to 28 Hz)",
        {{"theta", {"input units", "threshold of the sigmoid"}},
         {"dt", {"ms", "time step (p = sigmoid(.) dt must stay <= 1)"}},
         {"coupling_window", {"steps", "length of the coupling filter"}},
         {"alpha", {"1/ms", "decay rate of the coupling filter exp(-|alpha| dt k)"}},
         {"abs_ref_scale", {"steps", "length of the absolute refractory period"}},
         {"abs_ref_strength", {"input units", "input during the absolute refractory period"}},
         {"rel_ref_scale", {"steps", "length of the relative refractory period"}},
         {"rel_ref_strength", {"input units", "input at the start of the relative refractory period"}},
         {"beta", {"1/ms", "decay rate of the relative refractoriness"}},
         {"r", {"", "scale of the coupling and refractory terms"}}}}},
      {"poisson_glm",
       {"PoissonGLM", "count ~ Poisson(exp(beta g) / alpha dt); g = r coupling + b + stimulus",
        "weak coupling: normal W0 with std <= 0.5 (about 60 Hz); std >= 1 overflows the exponential "
        "(a non-finite rate stops the run)",
        {{"alpha", {"", "divisor of the rate exp(beta g) / alpha"}},
         {"beta", {"1/input units", "gain of the exponential"}},
         {"T", {"steps", "length of the coupling filter"}},
         {"tau", {"ms", "time constant of the coupling filter exp(-k dt / tau)"}},
         {"dt", {"ms", "time step"}},
         {"r", {"", "scale of the coupling"}},
         {"b", {"input units", "constant input"}}}}},
      {"rectified_lnp",
       {"RectifiedLNP", "count ~ Poisson(lambda_0 relu(g - theta) dt); g = r coupling + b + stimulus",
        "weak coupling: normal W0 with std <= 0.1 (about 30 Hz); std 0.5: 70 Hz; std >= 1: kHz",
        {{"lambda_0", {"1/ms per input unit", "gain of the rectified rate"}},
         {"theta", {"input units", "threshold of the rectification"}},
         {"T", {"steps", "length of the coupling filter"}},
         {"tau", {"ms", "time constant of the coupling filter exp(-k dt / tau)"}},
         {"dt", {"ms", "time step"}},
         {"r", {"", "scale of the coupling"}},
         {"b", {"input units", "constant input"}}}}},
      {"threshold_sam",
       {"ThresholdSAM",
        "spike where g > theta; g = r sum W0 s + b (1 + m xi) + stimulus, xi ~ N(0, sigma^2), m ~ Bernoulli(rho); "
        "s: synaptic activation (s <- s (1 - dt/tau) + x dt)",
        "its rate barely depends on W0's scale at these defaults (400 to 2400 Hz for std 0.01 to 5): it is "
        "driven by its noisy background b",
        {{"r", {"", "scale of the synaptic input"}},
         {"b", {"input units", "background input"}},
         {"tau", {"ms", "time constant of the synaptic activation"}},
         {"dt", {"ms", "time step"}},
         {"sigma", {"", "standard deviation of the background's noise xi"}},
         {"rho", {"", "probability that the noise reaches a neuron in a step"}},
         {"theta", {"input units", "spike threshold"}}}}},
      {"rectified_sam",
       {"RectifiedSAM", "count ~ Poisson(lambda_0 relu(g - theta) dt); g = r sum W0 s + b + stimulus",
        "any scale of normal W0 (std 0.01 to 5: 12 to 16 Hz)",
        {{"lambda_0", {"1/ms per input unit", "gain of the rectified rate"}},
         {"theta", {"input units", "threshold of the rectification"}},
         {"tau", {"ms", "time constant of the synaptic activation"}},
         {"dt", {"ms", "time step"}},
         {"r", {"", "scale of the synaptic input"}},
         {"b", {"input units", "constant input"}}}}},
  };
  return d;
}

}  // namespace

std::vector<ModelInfo> model_infos() {
  std::vector<ModelInfo> out;
  for (const std::string& name : model_names()) {
    const Doc& d = docs().at(name);
    ModelInfo m{name, d.class_name, d.summary, d.scale, {}};
    for (const ParamValue& p : list_params(make_model(name))) {
      const auto it = d.params.find(p.name);
      CASCADE_REQUIRE(it != d.params.end(), name + ": parameter '" + p.name + "' has no description");
      m.params.push_back({p.name, p.value, p.integer, p.tunable, it->second.first, it->second.second});
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::string model_for_class_name(std::string_view class_name) {
  for (const auto& [name, d] : docs())
    if (class_name == d.class_name) return name;
  return "";
}

}  // namespace cascade

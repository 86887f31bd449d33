// The built-in models as one value type, looked up by name.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "cascade/models/bernoulli_glm.hpp"
#include "cascade/models/poisson_glm.hpp"
#include "cascade/models/rectified_lnp.hpp"
#include "cascade/models/rectified_sam.hpp"
#include "cascade/models/threshold_sam.hpp"

namespace cascade {

using AnyModel = std::variant<BernoulliGLM, PoissonGLM, RectifiedLNP, ThresholdSAM, RectifiedSAM>;

/// Names of the built-in models, in a fixed order.
std::vector<std::string> model_names();

/// The model `name` (or the reference's class name, BernoulliGLM, ...) with
/// its default (reference test-suite) parameters. Throws cascade::Error
/// listing the valid names when `name` is unknown.
AnyModel make_model(std::string_view name);

std::string model_name(const AnyModel& model);

struct ParamValue {
  std::string name;
  double value;
  bool integer;
  bool tunable;
};

/// Parameters in declaration order, with their current values (any model type).
template <class Model>
std::vector<ParamValue> list_params(const Model& model) {
  std::vector<ParamValue> out;
  Model::for_each_param(model, [&](const char* name, const auto& ref, std::uint32_t flags) {
    using T = std::decay_t<decltype(ref)>;
    out.push_back({name, static_cast<double>(ref), std::is_integral_v<T>, (flags & kParamTunable) != 0});
  });
  return out;
}
std::vector<ParamValue> list_params(const AnyModel& model);

/// Sets one parameter by name. Unknown names list the valid ones; integer
/// parameters refuse non-integral values. Does not validate the whole model
/// (call validate_model once all parameters are set).
template <class Model>
void set_param(Model& model, std::string_view name, double value);
void set_param(AnyModel& model, std::string_view name, double value);

/// Parses "NAME=VALUE" and sets it (the --param syntax).
void set_param_assignment(AnyModel& model, std::string_view assignment);

void validate_model(const AnyModel& model);

/// What `cascade models` prints of a model: the reference's class name, the
/// model in one line, the networks its default parameters suit (measured),
/// and every parameter's default, unit, meaning and whether tune can fit it.
struct ParamInfo {
  std::string name;
  double default_value = 0.0;
  bool integer = false, tunable = false;
  std::string unit, meaning;
};
struct ModelInfo {
  std::string name, class_name, summary, default_scale;
  std::vector<ParamInfo> params;
};
std::vector<ModelInfo> model_infos();

namespace detail {
[[noreturn]] void unknown_param(const char* model, std::string_view name, const std::vector<ParamValue>& valid);
[[noreturn]] void non_integral_param(const char* model, std::string_view name, double value);
}  // namespace detail

template <class Model>
void set_param(Model& model, std::string_view name, double value) {
  bool found = false;
  Model::for_each_param(model, [&](const char* pname, auto& ref, std::uint32_t) {
    if (found || name != pname) return;
    found = true;
    using T = std::decay_t<decltype(ref)>;
    if constexpr (std::is_integral_v<T>) {
      // Range first: an out-of-range conversion is undefined behaviour.
      if (!(value <= 2147483647.0 && value >= -2147483648.0) ||
          value != static_cast<double>(static_cast<long long>(value)))
        detail::non_integral_param(Model::kName, name, value);
      ref = static_cast<T>(value);
    } else {
      ref = value;
    }
  });
  if (!found) detail::unknown_param(Model::kName, name, list_params(model));
}

}  // namespace cascade

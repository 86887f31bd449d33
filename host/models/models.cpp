// Model registry, parameter parsing and validation messages.
#include <cmath>
#include <sstream>
#include <string>

#include "cascade/models/registry.hpp"
#include "core/parse.hpp"

namespace cascade {

namespace {
template <class... Ms>
std::vector<std::string> names_of(std::variant<Ms...>*) {
  return {Ms::kName...};
}
}  // namespace

namespace validate {
void fail(const char* model, const char* param, double value, const char* expected) {
  throw Error(std::string(model) + ": parameter '" + param + "' = " + format_value(value) + " is invalid; expected " +
              expected);
}
}  // namespace validate

std::vector<std::string> model_names() { return names_of(static_cast<AnyModel*>(nullptr)); }

namespace {
template <std::size_t I = 0>
AnyModel make_by_index(std::string_view name) {
  if constexpr (I < std::variant_size_v<AnyModel>) {
    using M = std::variant_alternative_t<I, AnyModel>;
    if (name == M::kName) return AnyModel{std::in_place_index<I>};
    return make_by_index<I + 1>(name);
  } else {
    std::string list;
    for (const auto& n : model_names()) list += (list.empty() ? "" : ", ") + n;
    throw Error("unknown model '" + std::string(name) + "'; expected one of: " + list +
                " (or the class names BernoulliGLM, PoissonGLM, RectifiedLNP, ThresholdSAM, RectifiedSAM; "
                "cascade models lists them)");
  }
}
}  // namespace

std::string model_for_class_name(std::string_view class_name);  // model_info.cpp

AnyModel make_model(std::string_view name) {
  const std::string by_class = model_for_class_name(name);  // BernoulliGLM, as the reference spells it
  return make_by_index(by_class.empty() ? name : std::string_view(by_class));
}

std::string model_name(const AnyModel& model) {
  return std::visit([](const auto& m) { return std::string(std::decay_t<decltype(m)>::kName); }, model);
}

std::vector<ParamValue> list_params(const AnyModel& model) {
  return std::visit([](const auto& m) { return list_params(m); }, model);
}

void set_param(AnyModel& model, std::string_view name, double value) {
  std::visit([&](auto& m) { set_param(m, name, value); }, model);
}

void set_param_assignment(AnyModel& model, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw Error("--param '" + std::string(assignment) + "': expected NAME=VALUE (e.g. --param theta=4.5)");
  const std::string_view name = assignment.substr(0, eq);
  const std::string value_text(assignment.substr(eq + 1));
  double value = 0.0;
  if (!parse_number(value_text, value))
    throw Error("--param " + std::string(name) + ": '" + value_text + "' is not a number");
  set_param(model, name, value);
}

void validate_model(const AnyModel& model) {
  std::visit([](const auto& m) { m.validate(); }, model);
}

namespace detail {
void unknown_param(const char* model, std::string_view name, const std::vector<ParamValue>& valid) {
  std::string list;
  for (const auto& p : valid) list += (list.empty() ? "" : ", ") + p.name;
  throw Error(std::string(model) + ": unknown parameter '" + std::string(name) + "'; valid parameters: " + list);
}
void non_integral_param(const char* model, std::string_view name, double value) {
  throw Error(std::string(model) + ": parameter '" + std::string(name) + "' = " + format_value(value) +
              " is invalid; expected an integer");
}
}  // namespace detail

}  // namespace cascade

#pragma once
#include <nanobind/nanobind.h>

namespace cascade::python {
void bind_core(nanobind::module_& m);
void bind_simulation(nanobind::module_& m);
void bind_fit(nanobind::module_& m);
}  // namespace cascade::python

#include <initializer_list>
#include <utility>

namespace cascade::python {
/// A dict from (key, value) pairs (nanobind's dict has no keyword constructor).
inline nanobind::dict dict_of(std::initializer_list<std::pair<const char*, nanobind::object>> items) {
  nanobind::dict d;
  for (const auto& [k, v] : items) d[k] = v;
  return d;
}
}  // namespace cascade::python

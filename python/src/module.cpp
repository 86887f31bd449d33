// cascade._native: the library in Python. The spikeometric-shaped API
// (cascade.models, cascade.stimulus, cascade.datasets) is written in
// Python over these types; no engine code lives here.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include "bindings.hpp"
#include "cascade/build_info.hpp"
#include "guard.hpp"

NB_MODULE(_native, m) {
  m.doc() = "Cascade's C++ library (models, networks, simulator, tune, run plans)";
  cascade::python::register_errors(m);
  cascade::python::bind_core(m);
  cascade::python::bind_simulation(m);
  cascade::python::bind_fit(m);
  m.attr("__version__") = cascade::build_info().version;
}

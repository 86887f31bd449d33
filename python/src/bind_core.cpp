// Models, networks, generators, stimuli and datasets in Python: thin
// wrappers of the library's own types (every check and message is the
// library's).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "cascade/cascade.hpp"
#include "guard.hpp"

namespace nb = nanobind;

namespace cascade::python {

namespace {

nb::dict params_dict(const AnyModel& m) {
  nb::dict d;
  for (const auto& p : list_params(m)) {
    if (p.integer)
      d[p.name.c_str()] = static_cast<std::int64_t>(p.value);
    else
      d[p.name.c_str()] = p.value;
  }
  return d;
}

template <class T>
std::span<const T> span_of(const nb::ndarray<const T, nb::ndim<1>, nb::c_contig, nb::device::cpu>& a) {
  return {a.data(), a.shape(0)};
}

/// A numpy array that owns `v` (moved to the heap; freed with the array).
template <class T>
nb::ndarray<nb::numpy, T> owned_array(std::vector<T> v, std::initializer_list<std::size_t> shape) {
  auto* heap = new std::vector<T>(std::move(v));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(heap->data(), shape, owner);
}

}  // namespace

void bind_core(nb::module_& m) {
  nb::class_<AnyModel>(m, "Model", "A built-in model with its parameters (the library's AnyModel).")
      .def(
          "__init__", [](AnyModel* self, const std::string& name) { new (self) AnyModel(make_model(name)); },
          nb::arg("name"), "The model NAME (bernoulli_glm, ... or a class name, BernoulliGLM, ...) with its defaults.")
      .def_prop_ro("name", [](const AnyModel& a) { return model_name(a); })
      .def("params", &params_dict, "Every parameter and its value, in declaration order.")
      .def(
          "tunable",
          [](const AnyModel& a) {
            std::vector<std::string> out;
            for (const auto& p : list_params(a))
              if (p.tunable) out.push_back(p.name);
            return out;
          },
          "The parameters tune may select.")
      .def(
          "get",
          [](const AnyModel& a, const std::string& name) {
            for (const auto& p : list_params(a))
              if (p.name == name) return p.value;
            AnyModel probe = a;
            set_param(probe, name, 0.0);  // unknown: the library's message lists the valid names
            return 0.0;
          },
          nb::arg("name"))
      .def(
          "set", [](AnyModel& a, const std::string& name, double v) { set_param(a, name, v); }, nb::arg("name"),
          nb::arg("value"), "Sets one parameter (validate() checks the whole model).")
      .def("validate", [](const AnyModel& a) { validate_model(a); })
      .def("copy", [](const AnyModel& a) { return a; })
      .def("__repr__", [](const AnyModel& a) { return "cascade.Model('" + model_name(a) + "')"; });

  m.def("model_names", &model_names);
  m.def("model_infos", [] {
    nb::list out;
    for (const auto& info : model_infos()) {
      nb::list params;
      for (const auto& p : info.params)
        params.append(dict_of({{"name", nb::cast(p.name)},
                               {"default", nb::cast(p.default_value)},
                               {"unit", nb::cast(p.unit)},
                               {"tunable", nb::cast(p.tunable)},
                               {"integer", nb::cast(p.integer)},
                               {"meaning", nb::cast(p.meaning)}}));
      out.append(dict_of({{"name", nb::cast(info.name)},
                          {"class_name", nb::cast(info.class_name)},
                          {"summary", nb::cast(info.summary)},
                          {"default_scale", nb::cast(info.default_scale)},
                          {"params", nb::cast(params)}}));
    }
    return out;
  });

  nb::class_<Network>(m, "Network", "A network: CSR by presynaptic neuron, weights and their fixed-point form.")
      .def_static(
          "from_dense",
          [](nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu> w, std::uint32_t id,
             const std::string& label) {
            if (w.shape(0) != w.shape(1))
              throw Error(label + " must be a square [N, N] matrix; got shape (" + std::to_string(w.shape(0)) + ", " +
                          std::to_string(w.shape(1)) + ")");
            const std::span<const double> s(w.data(), w.size());
            return call_released([&](auto*) { return Network::from_dense(s, w.shape(0), id, label); });
          },
          nb::arg("w0"), nb::arg("instance_id") = 0, nb::arg("label") = "W0",
          "From a dense float64 [N, N] matrix, rows presynaptic; zeros are not synapses.")
      .def_static(
          "from_edges",
          [](std::size_t n, nb::ndarray<const std::int64_t, nb::ndim<1>, nb::c_contig, nb::device::cpu> pre,
             nb::ndarray<const std::int64_t, nb::ndim<1>, nb::c_contig, nb::device::cpu> post,
             nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu> w, std::uint32_t id,
             const std::string& label) {
            const auto a = span_of(pre), b = span_of(post);
            const auto c = span_of(w);
            return call_released([&](auto*) { return Network::from_edges(n, a, b, c, id, label); });
          },
          nb::arg("n"), nb::arg("pre"), nb::arg("post"), nb::arg("weight"), nb::arg("instance_id") = 0,
          nb::arg("label") = "edge list", "From an edge list (pre[e] -> post[e] with weight[e]).")
      .def_prop_ro("n_neurons", &Network::n_neurons)
      .def_prop_ro("n_synapses", &Network::n_synapses)
      .def_prop_ro("instance_id", &Network::instance_id)
      .def_prop_ro("label", &Network::label)
      .def("with_instance_id", &Network::with_instance_id, nb::arg("instance_id"))
      .def(
          "dense",
          [](const Network& n) {
            return owned_array(n.dense(), {n.n_neurons(), n.n_neurons()});
          },
          "The dense float64 [N, N] matrix, rows presynaptic (N <= 20000).")
      .def(
          "edges",
          [](const Network& n) {
            std::vector<std::int64_t> pre(n.n_synapses()), post(n.n_synapses());
            for (std::size_t j = 0; j < n.n_neurons(); ++j)
              for (std::int64_t e = n.row_ptr()[j]; e < n.row_ptr()[j + 1]; ++e) {
                pre[e] = static_cast<std::int64_t>(j);
                post[e] = n.post()[e];
              }
            const std::size_t E = n.n_synapses();
            return nb::make_tuple(owned_array(std::move(pre), {E}), owned_array(std::move(post), {E}),
                                  owned_array(std::vector<double>(n.weight()), {n.weight().size()}));
          },
          "(pre, post, weight): the synapses in CSR order (by presynaptic neuron, targets ascending).")
      .def("__repr__", [](const Network& n) {
        return "cascade.Network(" + std::to_string(n.n_neurons()) + " neurons, " + std::to_string(n.n_synapses()) +
               " synapses, instance " + std::to_string(n.instance_id()) + ")";
      });

  m.def(
      "load_networks",
      [](const std::string& path) { return call_released([&](auto*) { return load_networks(path); }); },
      nb::arg("path"),
      "A network file (.npy, .mtx, edge-list directory) or a dataset directory, in the reference's order.");
  m.def("save_dense_network", &save_dense_network, nb::arg("network"), nb::arg("path"), nb::arg("float32") = true);
  m.def(
      "generate",
      [](const std::string& kind, std::size_t n, const std::vector<std::string>& params, std::uint64_t seed,
         std::uint32_t count, std::uint32_t first) {
        return call_released([&](auto*) {
          const auto make = make_generator(kind, n, params, seed);
          std::vector<Network> out;
          out.reserve(count);
          for (std::uint32_t k = 0; k < count; ++k) {
            check_stop("generating networks");
            out.push_back(make(first + k));
          }
          return out;
        });
      },
      nb::arg("kind"), nb::arg("n"), nb::arg("params"), nb::arg("seed"), nb::arg("count") = 1, nb::arg("first") = 0,
      "Networks first .. first+count-1 of a seeded family (cascade generate KIND --param NAME=VALUE ...).");

  nb::class_<Stimulus>(m, "Stimulus", "A stimulus (regular, poisson, sin or loaded) with its masks.")
      .def_static("parse", &parse_stimulus, nb::arg("spec"), "From the command-line form KIND:key=value,...")
      .def_static(
          "loaded",
          [](nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu> values, const std::string& source) {
            // values [N, steps], as a loaded .npy; the library keeps them time-major.
            auto v = std::make_shared<StimulusValues>();
            v->neurons = values.shape(0);
            v->steps = values.shape(1);
            v->data.resize(v->neurons * v->steps);
            for (std::size_t i = 0; i < v->neurons; ++i)
              for (std::size_t t = 0; t < v->steps; ++t) v->data[t * v->neurons + i] = values(i, t);
            v->source = source;
            Stimulus s;
            s.spec = LoadedStimulus{{std::move(v)}, source};
            return s;
          },
          nb::arg("values"), nb::arg("source") = "values", "Given values [N, steps]; 0 past the end.")
      .def(
          "set_masks",
          [](Stimulus& s,
             const std::vector<nb::ndarray<const std::uint8_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>>& masks,
             const std::string& source) {
            s.masks.clear();
            for (const auto& a : masks) s.masks.emplace_back(a.data(), a.data() + a.shape(0));
            s.mask_source = source;
          },
          nb::arg("masks"), nb::arg("source") = "mask", "0/1 per neuron: one for every network, or one per network.")
      .def("validate", [](const Stimulus& s) { validate_stimulus(s, 0); })
      .def_prop_ro("kind", [](const Stimulus& s) { return std::string(stimulus_kind_name(s.spec)); })
      .def_prop_ro("spec", [](const Stimulus& s) { return stimulus_spec_string(s); })
      .def("__repr__", [](const Stimulus& s) {
        try {
          return "cascade.Stimulus('" + stimulus_spec_string(s) + "')";
        } catch (const Error&) {
          return std::string("cascade.Stimulus(") + stimulus_kind_name(s.spec) + ")";
        }
      });
  m.def("stimulus_params", [](const std::vector<Stimulus>& s) {
    nb::dict d;
    for (const auto& p : list_stimulus_params(s)) d[p.name.c_str()] = p.value;
    return d;
  });
}

}  // namespace cascade::python

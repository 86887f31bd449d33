// cascade.fit: W0 fitted back from spikes (cascade/fit.hpp) from arrays.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cmath>
#include <map>

#include "bindings.hpp"
#include "cascade/cascade.hpp"
#include "cascade/fit.hpp"
#include "guard.hpp"

namespace nb = nanobind;

namespace cascade::python {

namespace {

nb::object number(double v) { return std::isfinite(v) ? nb::cast(v) : nb::none(); }

nb::dict recovery_dict(const Recovery& r) {
  return dict_of({{"pairs", nb::cast(r.pairs)},
                  {"true_edges", nb::cast(r.true_edges)},
                  {"true_edges_not_candidates", nb::cast(r.true_edges_not_scored)},
                  {"weight_correlation", number(r.weight_correlation)},
                  {"auc", number(r.auc)},
                  {"sign_accuracy", number(r.sign_accuracy)}});
}

}  // namespace

void bind_fit(nb::module_& m) {
  m.def(
      "fit",
      [](const AnyModel& model, nb::ndarray<const std::uint8_t, nb::ndim<3>, nb::c_contig, nb::device::cpu> spikes,
         const std::optional<Network>& candidates, std::size_t screen, const std::optional<Network>& truth,
         const std::vector<Stimulus>& stimuli, double l1, double l2, std::int64_t max_iterations, double tolerance,
         std::int64_t burn_in, std::uint64_t seed, int threads,
         const std::optional<std::function<void(std::size_t, std::size_t)>>& progress) {
        const std::size_t R = spikes.shape(0), N = spikes.shape(1), T = spikes.shape(2);
        SpikeData s = spikes_from_counts(std::vector<std::uint8_t>(spikes.data(), spikes.data() + R * N * T), R, N,
                                         T, "spikes");
        FitOptions o;
        o.l1 = l1;
        o.l2 = l2;
        o.max_iterations = max_iterations;
        o.tolerance = tolerance;
        o.burn_in = burn_in;
        o.stimulus_seed = seed;
        o.threads = threads;
        FitProgress fp;
        if (progress) {
          auto f = *progress;
          fp = [f](std::size_t done, std::size_t total) {
            nb::gil_scoped_acquire gil;
            try {
              f(done, total);
            } catch (nb::python_error& e) {  // from a worker thread: ends the fit with the callback's message
              const std::string type = nb::cast<std::string>(nb::str(e.type().attr("__name__")));
              throw Error("fit: the progress callback raised " + type + ": " + nb::cast<std::string>(nb::str(e.value())));
            }
          };
        }
        FitSetup setup;
        setup.candidates = candidates ? &*candidates : nullptr;
        setup.screen = screen;
        setup.truth = truth ? &*truth : nullptr;
        FitComparison out = call_released([&](auto*) { return fit_and_compare(model, s, setup, stimuli, o, fp); });
        nb::list history;
        for (const auto& h : out.result.history)
          history.append(dict_of({{"iteration", nb::cast(h.iteration)},
                                  {"objective", nb::cast(h.objective)},
                                  {"log_likelihood", nb::cast(h.log_likelihood)},
                                  {"active_neurons", nb::cast(h.active)}}));
        std::map<std::string, std::size_t> reasons;
        for (const auto& why : out.result.stop_reason) ++reasons[why];
        auto* heap = new std::vector<double>(std::move(out.result.weights));
        nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<double>*>(p); });
        nb::ndarray<nb::numpy, double> w(heap->data(), {N, N}, owner);
        return dict_of({{"weights", nb::cast(w)},
                        {"history", history},
                        {"log_likelihood", nb::cast(out.result.log_likelihood)},
                        {"null_log_likelihood", nb::cast(out.result.null_log_likelihood)},
                        {"edges", nb::cast(out.result.edges)},
                        {"converged", nb::cast(out.result.converged)},
                        {"iterations", nb::cast(out.result.iterations)},
                        {"stop_reasons", nb::cast(reasons)},
                        {"burn_in", nb::cast(out.result.burn_in)},
                        {"observations", nb::cast(out.result.observations)},
                        {"recovery", out.has_truth ? nb::object(recovery_dict(out.recovery)) : nb::none()},
                        {"baseline", out.has_truth ? nb::object(recovery_dict(out.baseline)) : nb::none()}});
      },
      nb::arg("model"), nb::arg("spikes"), nb::arg("candidates") = nb::none(), nb::arg("screen") = 0,
      nb::arg("truth") = nb::none(), nb::arg("stimuli") = std::vector<Stimulus>{}, nb::arg("l1") = 0.0,
      nb::arg("l2") = 0.0, nb::arg("max_iterations") = 500, nb::arg("tolerance") = 1e-9, nb::arg("burn_in") = -1,
      nb::arg("seed") = 0, nb::arg("threads") = 0, nb::arg("progress") = nb::none(),
      "W0 fitted back from spikes [trials, N, T] uint8 by maximum likelihood (cascade::fit_connectivity).");
  m.def(
      "load_spikes",
      [](const std::string& path) {
        SpikeData s = call_released([&](auto*) { return load_spikes(path); });
        const std::size_t R = s.trials, N = s.neurons, T = s.steps;
        auto* heap = new std::vector<std::uint8_t>(std::move(s.counts));
        nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<std::uint8_t>*>(p); });
        return nb::ndarray<nb::numpy, std::uint8_t>(heap->data(), {R, N, T}, owner);
      },
      nb::arg("path"), "Spike counts [trials, N, T] from a cascade .npy raster or SONATA .h5 (cascade::load_spikes).");
  m.def("fit_refusal", &fit_refusal, nb::arg("model"), "Why a model cannot be fitted ('' when it can).");
  m.def("default_burn_in", &default_burn_in, nb::arg("model"));
}

}  // namespace cascade::python

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
        if (candidates && screen) throw Error("fit: screen and candidates both choose the edges to fit: give one");
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
        struct Out {
          FitResult r;
          bool has_truth = false;
          Recovery rec, base;
        };
        Out out = call_released([&](auto*) {
          Out o2;
          const bool self = fits_self_edges(model);
          std::vector<double> xcorr, w_true;
          if (truth) w_true = dense_weights(*truth);
          if (truth && truth->n_neurons() != N)
            throw Error("fit: truth: a network of " + std::to_string(truth->n_neurons()) +
                        " neurons, but the spikes have " + std::to_string(N));
          validate_fit(model, s, Candidates{N, std::vector<std::vector<std::uint32_t>>(N)}, o);
          if (screen || truth) xcorr = filtered_cross_correlation(model, s, burn_in, threads);
          const Candidates c = candidates ? candidates_from_network(*candidates, N, self, "candidates")
                               : screen   ? screen_candidates(xcorr, N, screen, self)
                                          : all_pairs(N, self);
          o2.r = fit_connectivity(model, s, c, stimuli, o, fp);
          if (truth) {
            o2.has_truth = true;
            o2.rec = recovery(o2.r.weights, w_true, c);
            o2.base = recovery(xcorr, w_true, c);
          }
          return o2;
        });
        nb::list history;
        for (const auto& h : out.r.history)
          history.append(dict_of({{"iteration", nb::cast(h.iteration)},
                                  {"objective", nb::cast(h.objective)},
                                  {"log_likelihood", nb::cast(h.log_likelihood)},
                                  {"active_neurons", nb::cast(h.active)}}));
        std::map<std::string, std::size_t> reasons;
        for (const auto& why : out.r.stop_reason) ++reasons[why];
        auto* heap = new std::vector<double>(std::move(out.r.weights));
        nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<double>*>(p); });
        nb::ndarray<nb::numpy, double> w(heap->data(), {N, N}, owner);
        return dict_of({{"weights", nb::cast(w)},
                        {"history", history},
                        {"log_likelihood", nb::cast(out.r.log_likelihood)},
                        {"null_log_likelihood", nb::cast(out.r.null_log_likelihood)},
                        {"edges", nb::cast(out.r.edges)},
                        {"converged", nb::cast(out.r.converged)},
                        {"iterations", nb::cast(out.r.iterations)},
                        {"stop_reasons", nb::cast(reasons)},
                        {"burn_in", nb::cast(out.r.burn_in)},
                        {"observations", nb::cast(out.r.observations)},
                        {"recovery", out.has_truth ? nb::object(recovery_dict(out.rec)) : nb::none()},
                        {"baseline", out.has_truth ? nb::object(recovery_dict(out.base)) : nb::none()}});
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

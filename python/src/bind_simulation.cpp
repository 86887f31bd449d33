// The simulator, its results (numpy arrays over the library's own buffers),
// tune, and the run plan (outputs to files with provenance, checkpoints)
// in Python.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <memory>

#include "bindings.hpp"
#include "cascade/cascade.hpp"
#include "cascade/run/execute.hpp"
#include "cascade/run/plan.hpp"
#include "cascade/run/settings.hpp"
#include "cascade/sonata.hpp"
#include "guard.hpp"

namespace nb = nanobind;

namespace cascade::python {

namespace {

/// distributed=True: the MPI world of `mpirun -n K python ...` (docs/distributed.md).
std::shared_ptr<Communicator> world_if(bool distributed) {
  if (!distributed) return nullptr;
  if (!mpi_built())
    throw Error("distributed=True: this build of Cascade has no MPI (install libopenmpi-dev and rebuild)");
  auto w = world_communicator();
  if (!w)
    throw Error("distributed=True: this process was not started by an MPI launcher; run the script as "
                "`mpirun -n K python script.py`");
  return w;
}

using Progress = std::optional<std::function<void(std::int64_t, std::int64_t)>>;

/// The Python progress callable, called with the GIL (from the engine's thread).
ProgressCallback progress_of(const Progress& p) {
  if (!p) return {};
  auto f = *p;
  return [f](std::int64_t done, std::int64_t total) {
    nb::gil_scoped_acquire gil;
    f(done, total);
  };
}

nb::dict summary_dict(const RunSummary& s) {
  return dict_of({{"backend", nb::cast(s.backend)},
                  {"threads", nb::cast(s.threads)},
                  {"first_step", nb::cast(s.first_step)},
                  {"equilibration_steps", nb::cast(s.equilibration_steps)},
                  {"recorded_steps", nb::cast(s.recorded_steps)},
                  {"recorded_spike_count", nb::cast(s.recorded_spike_count)},
                  {"synaptic_events", nb::cast(s.synaptic_events)},
                  {"rate_capped", nb::cast(s.rate_capped)},
                  {"counts_saturated", nb::cast(s.counts_saturated)},
                  {"dt", nb::cast(s.dt)},
                  {"mean_rate_hz", nb::cast(s.mean_rate_hz)},
                  {"wall_seconds", nb::cast(s.wall_seconds)},
                  {"steps_run", nb::cast(s.steps_run)},
                  {"gpu_strategy", nb::cast(s.gpu_strategy)},
                  {"device", nb::cast(s.device)}});
}

nb::dlpack::dtype dtype_of(RecordDtype d) {
  switch (d) {
    case RecordDtype::kUInt8:
      return nb::dtype<std::uint8_t>();
    case RecordDtype::kBool:
      return nb::dtype<bool>();
    case RecordDtype::kInt32:
      return nb::dtype<std::int32_t>();
    case RecordDtype::kFloat32:
      return nb::dtype<float>();
  }
  return nb::dtype<std::uint8_t>();
}

/// A run's result; its arrays are views of its own buffers (no copy). It
/// remembers the batch's layout, for per-network views and SONATA files.
struct PyResult {
  SimulationResult r;
  std::vector<std::size_t> first_neuron;  // network k: batch neurons [first_neuron[k], first_neuron[k + 1])
  std::vector<std::uint32_t> instance_ids;
  std::uint32_t replica_offset = 0;
  std::int64_t step_offset = 0;  // recorded step of the raster's first column
  double dt = 1.0;
};

PyResult make_result(const Simulator& sim, SimulationResult r, std::int64_t step_offset) {
  PyResult out;
  out.r = std::move(r);
  out.first_neuron.push_back(0);
  for (const auto& n : sim.networks()) {
    out.first_neuron.push_back(out.first_neuron.back() + n->n_neurons());
    out.instance_ids.push_back(n->instance_id());
  }
  out.replica_offset = sim.options().replica_offset;
  out.step_offset = step_offset;
  out.dt = sim.dt();
  return out;
}

/// Raster rows [a, b) of network k (the recorded neurons are ascending).
std::pair<std::size_t, std::size_t> rows_of(const PyResult& res, std::size_t k) {
  if (k + 1 >= res.first_neuron.size())
    throw Error("network " + std::to_string(k) + " is out of range: the batch has " +
                std::to_string(res.first_neuron.size() - 1) + " network(s)");
  const auto& nn = res.r.neurons;
  const auto a = std::lower_bound(nn.begin(), nn.end(), res.first_neuron[k]) - nn.begin();
  const auto b = std::lower_bound(nn.begin(), nn.end(), res.first_neuron[k + 1]) - nn.begin();
  return {static_cast<std::size_t>(a), static_cast<std::size_t>(b)};
}

void write_sonata(const PyResult& res, const std::string& path) {
  const Raster& ra = res.r.raster;
  std::vector<std::pair<std::string, std::size_t>> pops;
  std::vector<std::pair<std::size_t, std::uint32_t>> of;  // (network, replica) per population
  for (std::size_t k = 0; k + 1 < res.first_neuron.size(); ++k) {
    if (rows_of(res, k).first == rows_of(res, k).second) continue;  // no recorded neuron: no population
    for (std::uint32_t r = 0; r < ra.replicas(); ++r) {
      pops.emplace_back("net" + std::to_string(res.instance_ids[k]) + "_r" + std::to_string(res.replica_offset + r),
                        res.first_neuron[k + 1] - res.first_neuron[k]);
      of.emplace_back(k, r);
    }
  }
  SonataWriter w(path, pops,
                 {{"cascade_version", build_info().version},
                  {"git_hash", build_info().git_hash},
                  {"rng_stream", kRngStreamVersion}});
  for (std::size_t p = 0; p < pops.size(); ++p) {
    const auto [k, r] = of[p];
    const auto [a, b] = rows_of(res, k);
    std::vector<std::size_t> rows;
    std::vector<std::uint64_t> ids;
    for (std::size_t j = a; j < b; ++j) {
      rows.push_back(j);
      ids.push_back(res.r.neurons[j] - res.first_neuron[k]);
    }
    w.append_rows(p, ra, r, rows, ids, res.step_offset, res.dt);
  }
  w.commit();
}

nb::ndarray<nb::numpy> spikes_of(PyResult& self, nb::handle owner) {
  const Raster& ra = self.r.raster;
  const std::size_t shape[3] = {ra.replicas(), ra.neurons(), ra.steps()};
  return nb::ndarray<nb::numpy>(const_cast<std::uint8_t*>(ra.data()), 3, shape, owner, nullptr, dtype_of(ra.dtype()));
}

nb::object floats_of(PyResult& self, std::vector<float>& v, nb::handle owner) {
  if (v.empty()) return nb::none();
  const Raster& ra = self.r.raster;
  const std::size_t shape[3] = {ra.replicas(), ra.neurons(), ra.steps()};
  return nb::cast(nb::ndarray<nb::numpy, float>(v.data(), 3, shape, owner));
}

RunOptions run_options(std::int64_t steps, std::int64_t equilibration, const std::string& dtype,
                       const std::vector<std::uint32_t>& neurons, std::int64_t begin, std::int64_t end, bool input,
                       bool rate, const Progress& progress) {
  RunOptions ro;
  ro.steps = steps;
  ro.equilibration_steps = equilibration;
  ro.dtype = parse_record_dtype(dtype);
  ro.record_neurons = neurons;
  ro.record_begin = begin;
  ro.record_end = end;
  ro.record_input = input;
  ro.record_rate = rate;
  ro.progress = progress_of(progress);
  return ro;
}

PyResult run_released(Simulator& sim, RunOptions ro) {
  if (ro.record) sim.check_recording(ro.steps, ro.dtype);  // refused before anything runs
  SimulationResult r = call_released([&](const std::atomic<bool>* stop) {
    ro.stop = stop;
    return sim.run(ro);
  });
  return make_result(sim, std::move(r), ro.stimulus_start + std::max<std::int64_t>(ro.record_begin, 0));
}

/// Settings for the run plan from Python keywords: each name is an option
/// of the command's table (underscores for dashes); lists repeat it.
run::Settings settings_of(run::Command command, const nb::dict& options) {
  run::Settings s(command);
  for (auto [key, value] : options) {
    std::string name = nb::cast<std::string>(key);
    for (char& c : name)
      if (c == '_') c = '-';
    if (!run::find_option(command, name))
      throw Error("cascade." + std::string(run::command_name(command)) + "_files: unknown option '" +
                  nb::cast<std::string>(key) + "' (the options of cascade " + run::command_name(command) +
                  " --help, with _ for -)");
    const std::string origin = "keyword " + nb::cast<std::string>(key);
    auto add_one = [&](nb::handle v) {
      run::Setting st;
      st.origin = origin;
      if (nb::isinstance<nb::bool_>(v))
        st.value = nb::cast<bool>(v);
      else if (nb::isinstance<nb::int_>(v))
        st.value = nb::cast<std::int64_t>(v);
      else if (nb::isinstance<nb::float_>(v))
        st.value = nb::cast<double>(v);
      else
        st.value = nb::cast<std::string>(nb::str(v));
      if (std::holds_alternative<std::string>(st.value)) st.text = true;
      s.add(name, std::move(st));
    };
    if (nb::isinstance<nb::list>(value) || nb::isinstance<nb::tuple>(value)) {
      for (nb::handle v : value) add_one(v);
    } else {
      add_one(value);
    }
  }
  return s;
}

/// Forwards a run's progress to a Python callable.
class PyObserver : public run::RunObserver {
 public:
  explicit PyObserver(Progress p) : p_(std::move(p)) {}
  void progress(std::int64_t done, std::int64_t total) override {
    if (!p_) return;
    nb::gil_scoped_acquire gil;
    (*p_)(done, total);
  }
  void epoch(const TuneEpoch& e, std::int64_t epochs) override {
    if (!p_) return;
    nb::gil_scoped_acquire gil;
    (*p_)(e.epoch + 1, epochs);
  }

 private:
  Progress p_;
};

nb::dict outcome_dict(const run::SimulationOutcome& o) {
  return dict_of({{"summary", nb::cast(summary_dict(o.summary))},
                  {"written", nb::cast(o.written)},
                  {"stopped", nb::cast(o.stopped)},
                  {"checkpoint_saved", nb::cast(o.checkpoint_saved)}});
}

}  // namespace

void bind_simulation(nb::module_& m) {
  nb::class_<EngineState>(m, "State", "An engine state between steps (save_state / load_state).")
      .def_prop_ro("step", [](const EngineState& s) { return s.step; });

  nb::class_<PyResult>(m, "Result", "What a run recorded; its arrays share the library's buffers.")
      .def_prop_ro(
          "spikes", [](nb::handle self) { return spikes_of(nb::cast<PyResult&>(self), self); },
          "Counts [replicas, recorded neurons, recorded steps] in the run's dtype (a view, no copy).")
      .def_prop_ro(
          "input",
          [](nb::handle self) {
            auto& r = nb::cast<PyResult&>(self);
            return floats_of(r, r.r.input, self);
          },
          "g of the recorded neuron-steps (float32, spikes' layout), or None.")
      .def_prop_ro(
          "rate",
          [](nb::handle self) {
            auto& r = nb::cast<PyResult&>(self);
            return floats_of(r, r.r.rate, self);
          },
          "phi(g) of the recorded neuron-steps (float32, spikes' layout), or None.")
      .def_prop_ro(
          "neurons", [](const PyResult& r) { return r.r.neurons; }, "The recorded neurons (batch indices).")
      .def_prop_ro("summary", [](const PyResult& r) { return summary_dict(r.r.summary); })
      .def(
          "network",
          [](nb::handle self, std::size_t k) {
            auto& res = nb::cast<PyResult&>(self);
            const Raster& ra = res.r.raster;
            const auto [a, b] = rows_of(res, k);
            const std::size_t item = record_dtype_size(ra.dtype());
            const std::size_t shape[3] = {ra.replicas(), b - a, ra.steps()};
            const std::int64_t strides[3] = {static_cast<std::int64_t>(ra.neurons() * ra.steps()),
                                             static_cast<std::int64_t>(ra.steps()), 1};
            return nb::ndarray<nb::numpy>(const_cast<std::uint8_t*>(ra.data()) + a * ra.steps() * item, 3, shape, self,
                                          strides, dtype_of(ra.dtype()));
          },
          nb::arg("k"), "The spikes of the batch's network k, [replicas, its recorded neurons, steps] (a view).")
      .def_prop_ro("networks", [](const PyResult& r) { return r.first_neuron.size() - 1; })
      .def(
          "write_npy", [](const PyResult& r, const std::string& path) { r.r.raster.write_npy(path); }, nb::arg("path"),
          "The spikes as a dense .npy [replicas, neurons, steps].")
      .def("to_sonata", &write_sonata, nb::arg("path"),
           "The spikes as a SONATA file: one population net<K>_r<R> per network and replica, as cascade simulate "
           "writes.");

  nb::class_<Simulator>(m, "Simulator", "A model, a batch of networks, replicas, a seed and a backend.")
      .def(
          "__init__",
          [](Simulator* self, const AnyModel& model, std::vector<Network> networks, std::uint32_t replicas,
             std::uint64_t seed, int threads, const std::string& backend, const std::string& strategy, int device,
             std::uint32_t replica_offset, std::uint64_t first_step, bool distributed) {
            SimulatorOptions o;
            o.communicator = world_if(distributed);
            o.replicas = replicas;
            o.seed = seed;
            o.threads = threads;
            o.backend = parse_backend(backend);
            o.gpu_strategy = parse_gpu_strategy(strategy);
            o.device = device;
            o.replica_offset = replica_offset;
            o.first_step = first_step;
            validate_model(model);
            nb::gil_scoped_release release;
            new (self) Simulator(model, std::move(networks), o);
          },
          nb::arg("model"), nb::arg("networks"), nb::arg("replicas") = 1, nb::arg("seed") = 0, nb::arg("threads") = 0,
          nb::arg("backend") = "auto", nb::arg("gpu_strategy") = "auto", nb::arg("device") = 0,
          nb::arg("replica_offset") = 0, nb::arg("first_step") = 0, nb::arg("distributed") = false)
      .def("set_stimuli", &Simulator::set_stimuli, nb::arg("stimuli"))
      .def(
          "simulate",
          [](Simulator& sim, std::int64_t steps, std::int64_t eq, const std::string& dtype,
             const std::vector<std::uint32_t>& neurons, std::int64_t begin, std::int64_t end, bool input, bool rate,
             const Progress& progress) {
            return run_released(sim, run_options(steps, eq, dtype, neurons, begin, end, input, rate, progress));
          },
          nb::arg("steps"), nb::arg("equilibration_steps") = 100, nb::arg("dtype") = "uint8",
          nb::arg("neurons") = std::vector<std::uint32_t>{}, nb::arg("window_begin") = 0, nb::arg("window_end") = -1,
          nb::arg("record_input") = false, nb::arg("record_rate") = false, nb::arg("progress") = nb::none(),
          "A fresh initial state, equilibration_steps unrecorded steps, then steps recorded (the reference's "
          "simulate).")
      .def(
          "run",
          [](Simulator& sim, std::int64_t steps, std::int64_t eq, bool fresh, bool record, bool stimulus,
             std::int64_t stimulus_start, const std::string& dtype, const std::vector<std::uint32_t>& neurons,
             std::int64_t begin, std::int64_t end, bool input, bool rate, const Progress& progress) {
            RunOptions ro = run_options(steps, eq, dtype, neurons, begin, end, input, rate, progress);
            ro.fresh_state = fresh;
            ro.record = record;
            ro.stimulus = stimulus;
            ro.stimulus_start = stimulus_start;
            return run_released(sim, ro);
          },
          nb::arg("steps"), nb::arg("equilibration_steps") = 0, nb::arg("fresh_state") = false,
          nb::arg("record") = true, nb::arg("stimulus") = true, nb::arg("stimulus_start") = 0,
          nb::arg("dtype") = "uint8", nb::arg("neurons") = std::vector<std::uint32_t>{}, nb::arg("window_begin") = 0,
          nb::arg("window_end") = -1, nb::arg("record_input") = false, nb::arg("record_rate") = false,
          nb::arg("progress") = nb::none(), "Full control: by default continues from the current state.")
      .def(
          "equilibrate",
          [](Simulator& sim, std::int64_t steps, const Progress& progress) {
            RunOptions ro = run_options(steps, 0, "uint8", {}, 0, -1, false, false, progress);
            ro.fresh_state = false;
            ro.record = false;
            ro.stimulus = false;
            return summary_dict(run_released(sim, ro).r.summary);
          },
          nb::arg("steps"), nb::arg("progress") = nb::none(), "Unrecorded steps from the current state, stimuli off.")
      .def("reset_random_state", &Simulator::reset_random_state)
      .def(
          "set_initial_spikes",
          [](Simulator& sim, nb::ndarray<const std::uint8_t, nb::ndim<1>, nb::c_contig, nb::device::cpu> counts) {
            sim.set_initial_spikes(std::span<const std::uint8_t>(counts.data(), counts.shape(0)));
          },
          nb::arg("counts"), "Last counts x(-1) per slot [replicas * neurons] for a run with fresh_state=False.")
      .def("save_state", &Simulator::save_state)
      .def("load_state", &Simulator::load_state, nb::arg("state"))
      .def(
          "inspect",
          [](Simulator& sim, std::optional<std::int64_t> t) {
            std::vector<double> g, r;
            sim.inspect(&g, &r, t ? *t : kStimulusOff);
            const std::size_t n = sim.total_neurons(), R = sim.replicas();
            auto own = [&](std::vector<double>& v) {
              auto* heap = new std::vector<double>(std::move(v));
              nb::capsule c(heap, [](void* p) noexcept { delete static_cast<std::vector<double>*>(p); });
              return nb::ndarray<nb::numpy, double>(heap->data(), {R, n}, c);
            };
            return nb::make_tuple(own(g), own(r));
          },
          nb::arg("stimulus_time") = nb::none(),
          "(g, phi(g)) at the next step, [replicas, neurons], without advancing.")
      .def_prop_ro("current_step", &Simulator::current_step)
      .def_prop_ro("backend", &Simulator::backend)
      .def_prop_ro("dt", &Simulator::dt)
      .def_prop_ro("total_neurons", &Simulator::total_neurons)
      .def_prop_ro("total_synapses", &Simulator::total_synapses)
      .def_prop_ro("replicas", &Simulator::replicas);

  m.def(
      "tune",
      [](const AnyModel& model, const std::vector<Network>& networks, const std::vector<Stimulus>& stimuli,
         double target_hz, const std::vector<std::string>& selection, double lr, std::int64_t epochs,
         std::int64_t steps, std::int64_t equilibration, std::uint32_t replicas, std::uint64_t seed,
         std::uint64_t first_step, int threads, const std::string& backend, bool check, std::int64_t check_steps,
         double tolerance, double tolerance_hz, const std::optional<std::function<void(nb::dict)>>& progress,
         bool distributed) {
        SimulatorOptions so;
        so.communicator = world_if(distributed);
        so.replicas = replicas;
        so.seed = seed;
        so.first_step = first_step;
        so.threads = threads;
        so.backend = parse_backend(backend);
        TuneOptions to;
        to.target_hz = target_hz;
        to.selection = selection;
        to.lr = lr;
        to.epochs = epochs;
        to.steps = steps;
        to.equilibration = equilibration;
        validate_model(model);
        validate_tune_options(to);
        TuneProgress tp;
        if (progress) {
          auto f = *progress;
          tp = [f](const TuneEpoch& e, std::int64_t total) {
            nb::gil_scoped_acquire gil;
            f(dict_of({{"epoch", nb::cast(e.epoch)},
                       {"epochs", nb::cast(total)},
                       {"loss", nb::cast(e.loss)},
                       {"rate_hz", nb::cast(e.rate_hz)},
                       {"values", nb::cast(e.values)}}));
          };
        }
        auto [result, tc] = call_released([&](auto*) {
          TuneResult r = tune(model, networks, stimuli, so, to, tp);
          TuneCheck c;
          if (check) {
            TuneCheckOptions co;
            co.steps = check_steps;
            co.tolerance = tolerance;
            co.tolerance_hz = tolerance_hz;
            c = check_tuned_rate(r, networks, so, to, co);
          }
          return std::pair<TuneResult, TuneCheck>(std::move(r), std::move(c));
        });
        nb::list history;
        for (const auto& h : result.history)
          history.append(dict_of({{"epoch", nb::cast(h.epoch)},
                                  {"loss", nb::cast(h.loss)},
                                  {"rate_hz", nb::cast(h.rate_hz)},
                                  {"values", nb::cast(h.values)},
                                  {"gradient", nb::cast(h.gradient)}}));
        nb::object c = nb::none();
        if (check)
          c = dict_of({{"steps", nb::cast(tc.steps)},
                       {"equilibration", nb::cast(tc.equilibration)},
                       {"rate_hz", nb::cast(tc.rate_hz)},
                       {"standard_error_hz", nb::cast(tc.standard_error_hz)},
                       {"target_hz", nb::cast(tc.target_hz)},
                       {"allowed_hz", nb::cast(tc.allowed_hz)},
                       {"within_tolerance", nb::cast(tc.within)},
                       {"advice", nb::cast(tc.advice)}});
        return dict_of({{"model", nb::cast(nb::cast(result.model))},
                        {"stimuli", nb::cast(result.stimuli)},
                        {"names", nb::cast(result.names)},
                        {"initial", nb::cast(result.initial)},
                        {"final", nb::cast(result.final)},
                        {"history", nb::cast(history)},
                        {"gradient_path", nb::cast(result.gradient_path)},
                        {"silent_epoch", nb::cast(result.silent_epoch)},
                        {"advice", nb::cast(result.advice)},
                        {"check", nb::cast(c)}});
      },
      nb::arg("model"), nb::arg("networks"), nb::arg("stimuli"), nb::arg("target_hz"), nb::arg("selection"),
      nb::arg("lr") = 0.1, nb::arg("epochs") = 100, nb::arg("steps") = 100, nb::arg("equilibration") = 10,
      nb::arg("replicas") = 1, nb::arg("seed") = 0, nb::arg("first_step") = 0, nb::arg("threads") = 0,
      nb::arg("backend") = "auto", nb::arg("check") = true, nb::arg("check_steps") = 0, nb::arg("tolerance") = 0.1,
      nb::arg("tolerance_hz") = 0.5, nb::arg("progress") = nb::none(), nb::arg("distributed") = false,
      "Adam on the chosen parameters towards target_hz, then a check run (cascade::tune, check_tuned_rate).");

  m.def(
      "mpi_world",
      []() -> nb::object {
        auto w = world_communicator();  // initialises MPI only under a launcher
        if (!w) return nb::none();
        return dict_of({{"rank", nb::cast(w->rank())}, {"size", nb::cast(w->size())}, {"mpi", nb::cast(w->describe())}});
      },
      "The MPI world of `mpirun -n K python ...`: {rank, size, mpi}, or None in one process (MPI never initialised).");
  m.def(
      "mpi_abort", [](int code) { if (auto w = world_communicator()) w->abort(code); }, nb::arg("code") = 1,
      "Ends every rank of the job (an uncaught exception on one rank must not leave the others waiting).");
  m.def(
      "simulate_files",
      [](const nb::dict& options, const Progress& progress, bool distributed) {
        const run::Settings s = settings_of(run::Command::kSimulate, options);
        run::SimulationPlan plan = run::plan_simulation(s);
        plan.options.communicator = world_if(distributed);
        PyObserver obs(progress);
        const auto out =
            call_released([&](const std::atomic<bool>* stop) { return run::run_simulation(plan, obs, stop); });
        return outcome_dict(out);
      },
      nb::arg("options"), nb::arg("progress") = nb::none(), nb::arg("distributed") = false,
      "cascade simulate through the library's run plan: outputs streamed to files with provenance, checkpoints.");
  m.def(
      "resume_files",
      [](const std::string& checkpoint, const Progress& progress, bool distributed) {
        PyObserver obs(progress);
        auto comm = world_if(distributed);
        const auto out = call_released(
            [&](const std::atomic<bool>* stop) { return run::resume_simulation(checkpoint, obs, stop, nullptr, comm); });
        return outcome_dict(out);
      },
      nb::arg("checkpoint"), nb::arg("progress") = nb::none(), nb::arg("distributed") = false);
  m.def(
      "tune_files",
      [](const nb::dict& options, const Progress& progress, bool distributed) {
        const run::Settings s = settings_of(run::Command::kTune, options);
        run::TunePlan plan = run::plan_tune(s);
        plan.options.communicator = world_if(distributed);
        PyObserver obs(progress);
        const auto out = call_released([&](auto*) { return run::run_tune(plan, obs); });
        return dict_of({{"final", nb::cast(out.result.final)},
                        {"names", nb::cast(out.result.names)},
                        {"rate_hz", nb::cast(out.check.rate_hz)},
                        {"within_tolerance", nb::cast(out.check.within)},
                        {"advice", nb::cast(out.check.advice.empty() ? out.result.advice : out.check.advice)}});
      },
      nb::arg("options"), nb::arg("progress") = nb::none(), nb::arg("distributed") = false,
      "cascade tune through the library's run plan (writes --output-params with its provenance and check).");
  m.def(
      "fit_files",
      [](const nb::dict& options, const Progress& progress) {
        const run::Settings s = settings_of(run::Command::kFit, options);
        const run::FitPlan plan = run::plan_fit(s);
        PyObserver obs(progress);
        const auto out = call_released([&](auto*) { return run::run_fit(plan, obs); });
        return dict_of({{"output", nb::cast(plan.output)},
                        {"edges", nb::cast(out.result.edges)},
                        {"converged", nb::cast(out.result.converged)},
                        {"log_likelihood", nb::cast(out.result.log_likelihood)},
                        {"wall_seconds", nb::cast(out.wall_seconds)}});
      },
      nb::arg("options"), nb::arg("progress") = nb::none(),
      "cascade fit through the library's run plan (writes the fitted W0 .npy and its provenance).");
}

}  // namespace cascade::python

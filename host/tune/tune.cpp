// tune: parameter selection, the Adam step, epochs recorded for a replay, the
// replay's evaluation and the entry point for the built-in models
// (include/cascade/tune.hpp; the loop itself is tune/tune_model.hpp).
#include "cascade/tune.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "cascade/engine/gpu_engine.hpp"
#include "cascade/error.hpp"
#include "cascade/raster.hpp"
#include "cascade/simulator.hpp"
#include "tune/gpu_epoch_runner.hpp"
#include "cascade/extend/tune_model.hpp"

namespace cascade {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? std::string("(none)") : s;
}

std::vector<std::shared_ptr<const Network>> share(std::vector<Network> networks) {
  std::vector<std::shared_ptr<const Network>> out;
  for (auto& n : networks) out.push_back(std::make_shared<const Network>(std::move(n)));
  return out;
}

}  // namespace

void refuse_untunable(const char* model_name, const std::string& reason) {
  throw Error(std::string("tune: ") + model_name + " cannot be tuned: " + reason);
}

std::vector<std::string> resolve_tunable(const AnyModel& model, const std::vector<Stimulus>& stimuli,
                                         const std::vector<std::string>& selection) {
  return std::visit([&](const auto& m) { return resolve_tunable_of(m, stimuli, selection); }, model);
}

std::vector<std::string> resolve_tunable(const std::string& model_name, const std::vector<ParamValue>& params,
                                         const std::vector<Stimulus>& stimuli,
                                         const std::vector<std::string>& selection) {
  std::vector<std::string> model_names, stim_names;
  for (const auto& p : params)
    if (p.tunable) model_names.push_back(p.name);
  for (const auto& p : list_stimulus_params(stimuli))
    if (p.tunable) stim_names.push_back(p.name);
  std::vector<std::string> all = model_names;
  all.insert(all.end(), stim_names.begin(), stim_names.end());
  if (selection.empty()) throw Error("tune: no parameters selected; valid: all, model, stimulus or names among " + join(all));
  std::vector<std::string> out;
  for (const auto& s : selection) {
    std::vector<std::string> add;
    if (s == "all") add = all;
    else if (s == "model") add = model_names;
    else if (s == "stimulus") {
      if (stim_names.empty())
        throw Error("tune: 'stimulus' selects nothing: no stimulus with tunable parameters was given "
                    "(tunable: regular/poisson strength; sin amplitude, period, phase, baseline)");
      add = stim_names;
    } else if (std::find(all.begin(), all.end(), s) != all.end()) {
      add = {s};
    } else {
      throw Error("tune: '" + s + "' is not a tunable parameter of " + model_name +
                  (stimuli.empty() ? std::string() : " or its stimuli") + "; valid: all, model, stimulus or " +
                  join(all));
    }
    for (const auto& a : add)
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  if (out.empty()) throw Error("tune: the selection names no parameter; valid: " + join(all));
  return out;
}

// --- the tangent pass's host pieces ------------------------------------------

namespace tangent {

Slot stimulus_slot(const std::string& name) {
  const std::size_t dot = name.find('.');
  Slot s;
  s.stimulus = 1;
  s.index = static_cast<std::uint32_t>(std::stoul(name.substr(8, dot - 8)));
  const std::string field = name.substr(dot + 1);
  if (field == "strength") s.sp = StimulusParam::kStrength;
  else if (field == "amplitude") s.sp = StimulusParam::kAmplitude;
  else if (field == "period") s.sp = StimulusParam::kPeriod;
  else if (field == "phase") s.sp = StimulusParam::kPhase;
  else if (field == "baseline") s.sp = StimulusParam::kBaseline;
  else throw Error("tune: parameter '" + name + "' has no gradient");
  return s;
}

CouplingTangent coupling_tangent(const FilterSpec& spec) {
  CouplingTangent c;
  c.kind = spec.coupling;
  c.a = spec.decay;
  if (spec.coupling != CouplingKind::kTruncatedExp) return c;
  c.L = static_cast<std::uint32_t>(spec.window);
  double aL = 1.0;
  for (std::uint32_t k = 0; k < c.L; ++k) {
    c.aLm1 = aL;
    aL *= c.a;
  }
  return c;
}

std::uint64_t tap_slots_within(std::uint64_t slots, std::uint64_t steps, std::uint64_t budget) {
  if (tap_bytes(slots, steps) <= budget) return std::max<std::uint64_t>(slots, 1);
  const std::uint64_t per_slot = steps * 25 + 1;
  const std::uint64_t fit = budget / per_slot / kGroup * kGroup;
  if (fit == 0)
    throw Error("tune: an epoch of " + std::to_string(steps) + " steps needs " +
                std::to_string(per_slot * kGroup / (1024 * 1024)) + " MiB of memory per " + std::to_string(kGroup) +
                " neurons for its gradient; only " + std::to_string(budget / (1024 * 1024)) +
                " MiB can be spared; use fewer steps or equilibration steps per epoch");
  return fit;
}

std::uint64_t host_tap_budget() {
  const std::uint64_t avail = available_memory_bytes();
  const std::uint64_t cap = std::uint64_t{2} << 30;
  return avail > 0 ? std::min(cap, avail / 4) : cap;
}

ReplayValue value_from_sums(const std::vector<double>& sums, std::uint32_t P, double dt, std::uint64_t neuron_steps) {
  double phi = 0.0, kink = std::numeric_limits<double>::infinity();
  std::vector<double> d(P, 0.0);
  for (std::size_t c = 0; c + 2 + P <= sums.size(); c += 2 + P) {
    phi += sums[c];
    kink = std::min(kink, sums[c + 1]);
    for (std::uint32_t q = 0; q < P; ++q) d[q] += sums[c + 2 + q];
  }
  ReplayValue v;
  const double scale = 1000.0 / dt / static_cast<double>(neuron_steps);
  v.rate_hz = phi * scale;
  v.min_kink_distance = kink;
  v.gradient.resize(P);
  for (std::uint32_t q = 0; q < P; ++q) v.gradient[q] = d[q] * scale;
  return v;
}

TuneEpoch adam_step(const TuneOptions& o, std::int64_t epoch, const ReplayValue& rv, std::vector<double>& value,
                    AdamState& a) {
  const std::size_t P = value.size();
  if (a.m.empty()) a.m.assign(P, 0.0), a.v.assign(P, 0.0);
  TuneEpoch ep;
  ep.epoch = epoch;
  ep.rate_hz = rv.rate_hz;
  ep.loss = (o.target_hz - rv.rate_hz) * (o.target_hz - rv.rate_hz);
  ep.values = value;
  ep.gradient.resize(P);
  for (std::size_t q = 0; q < P; ++q) ep.gradient[q] = -2.0 * (o.target_hz - rv.rate_hz) * rv.gradient[q];
  if (!std::isfinite(ep.loss))
    throw Error("tune: epoch " + std::to_string(epoch) + ": the expected rate is not finite (" +
                format_value(rv.rate_hz) + " Hz); start from other parameters");
  a.b1t *= o.beta1;
  a.b2t *= o.beta2;
  for (std::size_t q = 0; q < P; ++q) {
    const double g = ep.gradient[q];
    a.m[q] = o.beta1 * a.m[q] + (1.0 - o.beta1) * g;
    a.v[q] = o.beta2 * a.v[q] + (1.0 - o.beta2) * g * g;
    const double mh = a.m[q] / (1.0 - a.b1t), vh = a.v[q] / (1.0 - a.b2t);
    value[q] -= o.lr * mh / (std::sqrt(vh) + o.epsilon);
  }
  return ep;
}

std::uint64_t epoch_first_step(const TuneOptions& o, std::uint64_t first_step, std::int64_t epoch) {
  const std::uint64_t per_epoch = static_cast<std::uint64_t>(o.equilibration + o.steps);
  const std::uint64_t e = static_cast<std::uint64_t>(epoch);
  // Division, not multiplication: epochs x steps may exceed 64 bits.
  if (first_step > kMaxStep || per_epoch == 0 || e + 1 > (kMaxStep - first_step) / per_epoch)
    throw Error("tune: " + std::to_string(o.epochs) + " epochs x (" + std::to_string(o.equilibration) + " + " +
                std::to_string(o.steps) +
                ") steps exceed the 2^40 steps of the random-stream counter; use fewer epochs or steps");
  return first_step + per_epoch * e;
}

bool is_silent(const TuneOptions& o, const TuneEpoch& e) {
  if (!(o.target_hz > 0) || e.rate_hz != 0.0) return false;
  for (double g : e.gradient)
    if (g != 0.0) return false;
  return true;
}

std::string silent_advice(const TuneOptions& o, const std::vector<std::string>& names,
                          const std::vector<TuneEpoch>& history) {
  const TuneEpoch& now = history.back();
  std::ostringstream os;
  os.precision(4);
  os << "tune: epoch " << now.epoch + 1 << " of " << o.epochs << ": the network went silent (rate 0 Hz, and a zero "
     << "gradient for every tuned parameter: nothing can bring it back), so tune stopped; ";
  if (history.size() < 2) {
    os << "the starting parameters already give no activity: start from values that give some (e.g. a stronger "
          "drive or stimulus)";
    return os.str();
  }
  // --lr is an absolute Adam step (about lr per epoch whatever a parameter's
  // size): name the parameters it dwarfs, else the step into silence.
  const std::vector<double>& start = history.front().values;
  std::string dwarfed;
  double smallest = std::numeric_limits<double>::infinity();
  for (std::size_t q = 0; q < names.size(); ++q) {
    const double scale = std::fabs(start[q]);
    if (scale < o.lr) {
      std::ostringstream n;
      n.precision(4);
      n << (dwarfed.empty() ? "" : ", ") << "|" << names[q] << "| = " << scale;
      dwarfed += n.str();
      if (scale > 0) smallest = std::min(smallest, scale);
    }
  }
  if (!dwarfed.empty()) {
    const double suggest = std::isfinite(smallest) ? smallest / 10 : o.lr / 10;
    os << "--lr " << o.lr << " is an absolute step per epoch, larger than the starting " << dwarfed << ": try --lr "
       << suggest << " or smaller (a tenth of the parameters' scale), or tune fewer parameters (--tune)";
    return os.str();
  }
  const TuneEpoch& before = history[history.size() - 2];
  std::size_t worst = 0;
  double worst_ratio = -1.0;
  for (std::size_t q = 0; q < names.size(); ++q) {
    const double ratio =
        std::fabs(now.values[q] - before.values[q]) / std::max(std::fabs(before.values[q]), 1e-12);
    if (ratio > worst_ratio) worst_ratio = ratio, worst = q;
  }
  os << "epoch " << before.epoch + 1 << " had " << before.rate_hz << " Hz, then the step moved " << names[worst]
     << " from " << before.values[worst] << " to " << now.values[worst] << "; try a smaller --lr (now " << o.lr
     << ", an absolute step per epoch), or start closer to the target";
  return os.str();
}

void invalid_step(std::int64_t epoch, const Error& err) {
  throw Error("tune: epoch " + std::to_string(epoch) + ": the Adam step left an invalid parameter (" + err.what() +
              "); use a smaller learning rate or start closer to the target");
}

}  // namespace tangent

// --- Replay ------------------------------------------------------------------

Replay::Replay(std::vector<Network> networks, SpikeRecord record, std::uint64_t stimulus_seed, int threads)
    : Replay(share(std::move(networks)), std::move(record), stimulus_seed, threads) {}

Replay::Replay(std::vector<std::shared_ptr<const Network>> networks, SpikeRecord record, std::uint64_t stimulus_seed,
               int threads)
    : nets_(std::move(networks)), record_(std::move(record)), stimulus_seed_(stimulus_seed), threads_(threads) {
  std::size_t total = 0;
  for (const auto& n : nets_) {
    if (n->filter_length() > 0)
      throw Error(n->label() + ": tune works on scalar-weight networks, not per-edge filter networks");
    total += n->n_neurons();
  }
  if (total != record_.neurons)
    throw Error("replay: the record holds " + std::to_string(record_.neurons) + " neurons, the networks " +
                std::to_string(total));
  if (record_.counts.size() != record_.replicas * record_.neurons * record_.steps)
    throw Error("replay: the record's counts do not match its shape");
  if (record_.window_start >= record_.steps) throw Error("replay: the objective's window is empty");
}

ReplayValue Replay::evaluate(const AnyModel& model, const std::vector<Stimulus>& stimuli,
                             const std::vector<std::string>& names, bool gradient) const {
  ++passes_;
  return std::visit(
      [&](const auto& m) -> ReplayValue {
        using M = std::decay_t<decltype(m)>;
        if constexpr (!TunableModel<M>) {
          refuse_untunable(M::kName, not_tunable_reason<M>());
        } else {
          const bool activation = m.filters().initial == InitialState::kRandomActivation;
          const std::size_t want = record_.replicas * record_.neurons;
          if (activation && record_.initial_activation.size() != want)
            throw Error("replay: an activation model needs the initial activation of every neuron");
          if (!activation && record_.initial_spikes.size() != want)
            throw Error("replay: a spike-history model needs the initial spikes of every neuron");
          return tangent::replay_value(m, nets_, record_, stimuli, stimulus_seed_, names, gradient, threads_);
        }
      },
      model);
}

SpikeRecord record_epoch(const AnyModel& model, const std::vector<Network>& networks,
                         const std::vector<Stimulus>& stimuli, const SimulatorOptions& so, std::int64_t equilibration,
                         std::int64_t steps) {
  std::vector<std::shared_ptr<const Network>> shared;
  for (const auto& n : networks) shared.push_back(std::make_shared<const Network>(n));
  return record_epoch(model, shared, stimuli, so, equilibration, steps);
}

SpikeRecord record_epoch(const AnyModel& model, const std::vector<std::shared_ptr<const Network>>& networks,
                         const std::vector<Stimulus>& stimuli, const SimulatorOptions& so, std::int64_t equilibration,
                         std::int64_t steps) {
  const bool activation = std::visit(
      [](const auto& mm) { return mm.filters().initial == InitialState::kRandomActivation; }, model);
  Simulator sim(model, networks, so);
  return record_epoch(sim, stimuli, activation, equilibration, steps);
}

SpikeRecord record_epoch(Simulator& sim, const std::vector<Stimulus>& stimuli, bool activation,
                         std::int64_t equilibration, std::int64_t steps) {
  const SimulatorOptions& so = sim.options();
  if (!stimuli.empty()) sim.set_stimuli(stimuli);
  const std::size_t N = sim.total_neurons(), R = so.replicas;
  SpikeRecord rec;
  rec.replicas = R;
  rec.neurons = N;
  rec.steps = static_cast<std::size_t>(equilibration + steps);
  rec.window_start = static_cast<std::size_t>(equilibration);
  // The initial state, drawn as the engine would, and kept for the replay.
  std::vector<std::uint8_t> x0(R * N);
  std::vector<double> s0(R * N);
  std::size_t g = 0;
  for (std::size_t r = 0; r < R; ++r)
    for (const auto& net : sim.networks())
      for (std::size_t i = 0; i < net->n_neurons(); ++i, ++g) {
        const NeuronStream rng{so.seed, sim.current_step(), net->instance_id(),
                               static_cast<std::uint32_t>(so.replica_offset + r), static_cast<std::uint32_t>(i)};
        if (activation) s0[g] = initial_activation(rng);
        else x0[g] = initial_spike(rng);
      }
  if (activation) {
    sim.set_initial_activation(s0);
    rec.initial_activation = std::move(s0);
  } else {
    sim.set_initial_spikes(x0);
    rec.initial_spikes = std::move(x0);
  }
  rec.counts.assign(R * N * rec.steps, 0);
  auto copy_in = [&](const Raster& ras, std::size_t offset) {
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t i = 0; i < N; ++i)
        for (std::size_t t = 0; t < ras.steps(); ++t)
          rec.counts[(r * N + i) * rec.steps + offset + t] = static_cast<std::uint8_t>(ras.at(r, i, t));
  };
  if (equilibration > 0) {
    RunOptions eq;  // the stimulus is off during equilibration, as in simulate
    eq.steps = equilibration;
    eq.equilibration_steps = 0;
    eq.fresh_state = false;
    eq.stimulus = false;
    copy_in(sim.run(eq).raster, 0);
  }
  RunOptions run;  // stimulus time 0 at the first recorded step, as in simulate
  run.steps = steps;
  run.equilibration_steps = 0;
  run.fresh_state = false;
  copy_in(sim.run(run).raster, static_cast<std::size_t>(equilibration));
  return rec;
}

void validate_tune_options(const TuneOptions& o) {
  // No neuron fires more than 255 counts a step: 1e9 Hz bounds every reachable rate for any dt >= 0.255 us.
  if (!(std::isfinite(o.target_hz) && o.target_hz >= 0 && o.target_hz <= 1e9))
    throw Error("tune: target rate " + format_value(o.target_hz) + " Hz is invalid; expected a rate in [0, 1e9] Hz");
  if (!(std::isfinite(o.lr) && o.lr > 0)) throw Error("tune: lr = " + format_value(o.lr) + " is invalid; expected > 0");
  if (o.epochs < 1) throw Error("tune: epochs = " + std::to_string(o.epochs) + " is invalid; expected >= 1");
  if (o.steps < 1) throw Error("tune: steps = " + std::to_string(o.steps) + " is invalid; expected >= 1");
  if (o.equilibration < 0)
    throw Error("tune: equilibration = " + std::to_string(o.equilibration) + " is invalid; expected >= 0");
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1 && o.epsilon > 0))
    throw Error("tune: Adam needs 0 <= beta1, beta2 < 1 and epsilon > 0");
  // Both are >= 0 here, so the unsigned comparison is exact.
  if (static_cast<std::uint64_t>(o.steps) > kMaxStep || static_cast<std::uint64_t>(o.equilibration) > kMaxStep)
    throw Error("tune: " + std::to_string(o.equilibration) + " + " + std::to_string(o.steps) +
                " steps per epoch exceed the 2^40 steps of the random-stream counter; use fewer steps");
  tangent::epoch_first_step(o, 0, o.epochs - 1);  // every epoch fits the counter (checked before any run)
}

// --- tune for the built-in models ----------------------------------------------

namespace {

/// tune's runner: on the GPU where the options ask for it and it can take
/// the epoch, else on the CPU (the note says why not on the GPU).
template <class Model>
EpochRunnerFactory<Model> builtin_runner(std::string* note) {
  return [note](const Model& m, const std::vector<std::shared_ptr<const Network>>& nets, const SimulatorOptions& so,
                const std::vector<std::string>& names, std::int64_t eq, std::int64_t steps)
             -> std::unique_ptr<tangent::EpochRunner<Model>> {
    for (const auto& n : nets)
      if (n->filter_length() > 0)
        throw Error(n->label() + ": tune works on scalar-weight networks, not per-edge filter networks");
    const int ranks = ranks_of(so.communicator.get());
    if (ranks > 1 && so.backend == Backend::kGpu)
      throw Error("backend 'gpu': a distributed tune (" + std::to_string(ranks) +
                  " ranks) runs its epochs on the partitioned CPU engine in this version; use --backend cpu or auto");
    if (ranks == 1 && resolve_backend(so.backend) == Backend::kGpu) {
      std::string why;
      if (auto r = tangent::make_gpu_epoch_runner(m, nets, so, names, eq, steps, &why)) return r;
      *note = " (not on the GPU: " + why + ")";
    }
    return make_cpu_epoch_runner(m, nets, so, names, eq, steps);
  };
}

}  // namespace

TuneResult tune(const AnyModel& model, const std::vector<Network>& networks, const std::vector<Stimulus>& stimuli,
                const SimulatorOptions& options, const TuneOptions& o, const TuneProgress& progress) {
  return std::visit(
      [&](const auto& m) -> TuneResult {
        using M = std::decay_t<decltype(m)>;
        if constexpr (!TunableModel<M>) {
          validate_tune_options(o);
          refuse_untunable(M::kName, not_tunable_reason<M>());
        } else {
          std::string note;
          TuneResultOf<M> r = tune_model(m, networks, stimuli, options, o, progress, builtin_runner<M>(&note));
          return TuneResult{AnyModel(std::move(r.model)), std::move(r.stimuli), std::move(r.names),
                            std::move(r.initial),           std::move(r.final),   std::move(r.history),
                            r.gradient_path + note,         r.silent_epoch,       std::move(r.advice)};
        }
      },
      model);
}

}  // namespace cascade

// tune: parameter selection, the replay objective with its hand-written
// gradient, and the Adam loop (include/cascade/tune.hpp).
#include "cascade/tune.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "cascade/engine/neuron_update.hpp"
#include "cascade/error.hpp"
#include "cascade/engine/gpu_engine.hpp"
#include "cascade/simulator.hpp"
#include "cascade/tune/epoch_runner.hpp"
#include "cascade/tune/replay_gpu.hpp"
#include "cascade/tune/replay_math.hpp"

namespace cascade {

namespace {

bool is_stimulus_name(const std::string& n) { return n.rfind("stimulus", 0) == 0; }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? std::string("(none)") : s;
}

double get_value(const AnyModel& model, const std::vector<Stimulus>& stimuli, const std::string& name) {
  const auto params = is_stimulus_name(name) ? list_stimulus_params(stimuli) : list_params(model);
  for (const auto& p : params)
    if (p.name == name) return p.value;
  throw Error("tune: unknown parameter '" + name + "'");
}

void set_value(AnyModel& model, std::vector<Stimulus>& stimuli, const std::string& name, double v) {
  if (is_stimulus_name(name)) set_stimulus_param(stimuli, name, v);
  else set_param(model, name, v);
}

// ---------------------------------------------------------------------------
// Replay: which derivative each selected parameter needs.

using replay::P;
using replay::Slot;
using replay::SP;

struct UnitSums {
  double phi = 0.0;
  std::vector<double> dphi;
  double min_kink = std::numeric_limits<double>::infinity();
};

/// Everything a unit's replay reads.
struct UnitInput {
  const Network* net;
  std::uint32_t net_index;
  std::size_t global0;  // first global neuron of the network in the batch
  std::size_t replica;  // local replica index in the record
  const SpikeRecord* rec;
  const StimulusView* stim;
  const std::vector<Slot>* slots;
};

using replay::kActivationModel;

template <class Model>
UnitSums replay_unit(const Model& m, const UnitInput& in) {
  const Network& net = *in.net;
  const SpikeRecord& rec = *in.rec;
  const std::size_t n = net.n_neurons(), steps = rec.steps, K = rec.window_start;
  const auto& slots = *in.slots;
  const std::size_t P_ = slots.size();
  const double scale = net.scale();
  const auto& rp = net.row_ptr();
  const auto& post = net.post();
  std::vector<double> w(net.quantised().size());
  for (std::size_t e = 0; e < w.size(); ++e) w[e] = static_cast<double>(net.quantised()[e]) * scale;
  auto count = [&](std::size_t i, std::int64_t t) -> double {  // x_i(t), t >= -1
    if (t < -1) return 0.0;  // before the initial state: silence
    if (t < 0) return rec.initial_spikes[in.replica * rec.neurons + in.global0 + i];
    return rec.at(in.replica, in.global0 + i, static_cast<std::size_t>(t));
  };

  UnitSums out;
  out.dphi.assign(P_, 0.0);
  std::vector<double> y(n, 0.0), S(n, 0.0), dS(n, 0.0);
  const replay::Coupling cf = replay::coupling_of(m);
  const std::size_t L = cf.L, H = static_cast<std::size_t>(replay::self_length(m));
  std::vector<double> h(H), dh_beta(H), dh_rel(H);
  for (std::size_t k = 0; k < H; ++k) replay::self_filter_terms(m, static_cast<int>(k), h[k], dh_beta[k], dh_rel[k]);
  std::vector<double> ring(n * L, 0.0);  // y(t-1-k), position-major
  std::size_t ring_pos = 0;

  if constexpr (kActivationModel<Model>) {
    // S(0) = sum_j W[j, i] s0_j, read as given at the first step.
    for (std::size_t j = 0; j < n; ++j) {
      const double s0 = rec.initial_activation[in.replica * rec.neurons + in.global0 + j];
      for (std::int64_t e = rp[j]; e < rp[j + 1]; ++e) S[post[e]] += w[e] * s0;
    }
  }

  double tv[kMaxStimuli];
  std::vector<double> slot_dtv(P_, 0.0);
  std::unique_ptr<bool[]> in_mask(new bool[P_ + 1]);
  for (std::size_t s = 0; s < steps; ++s) {
    const std::int64_t st = static_cast<std::int64_t>(s);
    const bool fold = !kActivationModel<Model> || s >= 1;  // activation models read S(0) as given
    if (fold) {
      std::fill(y.begin(), y.end(), 0.0);
      for (std::size_t j = 0; j < n; ++j) {
        const double x = count(j, st - 1);
        if (x == 0.0) continue;
        for (std::int64_t e = rp[j]; e < rp[j + 1]; ++e) y[post[e]] += w[e] * x;
      }
      for (std::size_t i = 0; i < n; ++i)
        replay::fold_drive<Model>(cf, y[i], S[i], dS[i], L > 0 ? &ring[ring_pos * n + i] : nullptr);
      if (L > 0) ring_pos = (ring_pos + 1) % L;
    }
    if (s < K) continue;  // equilibration: state only
    const std::int64_t t = st - static_cast<std::int64_t>(K);
    const bool stim = in.stim->count > 0;
    if (stim) {
      stimulus_time_values(*in.stim, t, tv);
      for (std::size_t q = 0; q < P_; ++q)
        if (slots[q].p == P::kStimulus)
          slot_dtv[q] = replay::stimulus_time_derivative(in.stim->params[slots[q].stimulus], in.stim->events, t,
                                                         slots[q].sp);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t global = in.global0 + i;
      const double E = stim ? stimulus_input(*in.stim, tv, in.net_index, n, i, global, t) : 0.0;
      double self = 0.0, dself_beta = 0.0, dself_rel = 0.0;
      if constexpr (std::is_same_v<Model, BernoulliGLM>) {
        for (std::size_t k = 0; k < H; ++k) {
          const double x = count(i, st - 1 - static_cast<std::int64_t>(k));
          if (x == 0.0) continue;
          self += h[k] * x;
          dself_beta += dh_beta[k] * x;
          dself_rel += dh_rel[k] * x;
        }
      }
      for (std::size_t q = 0; q < P_; ++q) {
        in_mask[q] = true;
        if (slots[q].p == P::kStimulus) {
          const std::int64_t mo = in.stim->mask_offset[slots[q].stimulus];
          in_mask[q] = mo < 0 || in.stim->masks[mo + static_cast<std::int64_t>(global)];
        }
      }
      replay::neuron_terms(m, cf, S[i], dS[i], self, dself_beta, dself_rel, E, slots.data(),
                           static_cast<std::uint32_t>(P_), slot_dtv.data(), in_mask.get(), out.phi, out.dphi.data(),
                           out.min_kink);
    }
  }
  return out;
}

}  // namespace

Slot replay::parse_slot(const std::string& name) {
  Slot s;
  if (is_stimulus_name(name)) {
    const std::size_t dot = name.find('.');
    s.p = P::kStimulus;
    s.stimulus = static_cast<std::uint32_t>(std::stoul(name.substr(8, dot - 8)));
    const std::string f = name.substr(dot + 1);
    s.sp = f == "strength" ? SP::kStrength : f == "amplitude" ? SP::kAmplitude : f == "period" ? SP::kPeriod
         : f == "phase" ? SP::kPhase : SP::kBaseline;
    return s;
  }
  static const std::pair<const char*, P> names[] = {{"theta", P::kTheta}, {"r", P::kR}, {"alpha", P::kAlpha},
                                                    {"beta", P::kBeta}, {"rel_ref_strength", P::kRelRef},
                                                    {"tau", P::kTau}, {"b", P::kB}, {"lambda_0", P::kLambda0}};
  for (const auto& [n, p] : names)
    if (name == n) {
      s.p = p;
      return s;
    }
  throw Error("tune: parameter '" + name + "' has no gradient");
}

std::vector<std::string> resolve_tunable(const AnyModel& model, const std::vector<Stimulus>& stimuli,
                                         const std::vector<std::string>& selection) {
  if (std::holds_alternative<ThresholdSAM>(model))
    throw Error("tune: threshold_sam cannot be tuned: it has no tunable model parameters and an identity "
                "non-linearity, so its expected 'rate' is g itself, not a firing rate");
  std::vector<std::string> model_names, stim_names;
  for (const auto& p : list_params(model))
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
      throw Error("tune: '" + s + "' is not a tunable parameter of " + model_name(model) +
                  (stimuli.empty() ? std::string() : " or its stimuli") + "; valid: all, model, stimulus or " +
                  join(all));
    }
    for (const auto& a : add)
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  if (out.empty()) throw Error("tune: the selection names no parameter; valid: " + join(all));
  return out;
}

namespace {
std::vector<std::shared_ptr<const Network>> share(std::vector<Network> networks) {
  std::vector<std::shared_ptr<const Network>> out;
  for (auto& n : networks) out.push_back(std::make_shared<const Network>(std::move(n)));
  return out;
}
}  // namespace

Replay::Replay(std::vector<Network> networks, SpikeRecord record, std::uint64_t stimulus_seed, int threads,
               Backend backend, int device)
    : Replay(share(std::move(networks)), std::move(record), stimulus_seed, threads, backend, device) {}

Replay::Replay(std::vector<std::shared_ptr<const Network>> networks, SpikeRecord record, std::uint64_t stimulus_seed,
               int threads, Backend backend, int device)
    : nets_(std::move(networks)), record_(std::move(record)), stimulus_seed_(stimulus_seed), threads_(threads),
      gpu_(resolve_backend(backend) == Backend::kGpu), device_(device) {
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
  std::vector<Slot> slots;
  if (gradient)
    for (const auto& n : names) slots.push_back(replay::parse_slot(n));
  const StimulusTable table(stimuli, nets_, stimulus_seed_);
  const StimulusView view = table.view();
  std::vector<std::size_t> first(nets_.size(), 0);
  for (std::size_t b = 1; b < nets_.size(); ++b) first[b] = first[b - 1] + nets_[b - 1]->n_neurons();
  const std::size_t units = record_.replicas * nets_.size();
  if ((std::holds_alternative<RectifiedSAM>(model) || std::holds_alternative<ThresholdSAM>(model)) &&
      record_.initial_activation.size() != record_.replicas * record_.neurons)
    throw Error("replay: an activation model needs the initial activation of every neuron");
  if (!(std::holds_alternative<RectifiedSAM>(model) || std::holds_alternative<ThresholdSAM>(model)) &&
      record_.initial_spikes.size() != record_.replicas * record_.neurons)
    throw Error("replay: a spike-history model needs the initial spikes of every neuron");
  std::vector<UnitSums> sums(units);
  // The GPU replay keeps a network's drive in one block's shared memory and at
  // most kMaxSlots parameters: larger cases replay on the CPU (same result).
  std::size_t max_n = 0;
  for (const auto& n : nets_) max_n = std::max(max_n, n->n_neurons());
  const bool on_gpu = gpu_ && slots.size() <= replay::kMaxSlots && max_n <= 20000;
  if (on_gpu) {
    const std::vector<double> d = replay::device_unit_sums(model, nets_, record_, &table, slots, device_);
    const std::size_t stride = 2 + slots.size();
    for (std::size_t u = 0; u < units; ++u) {
      sums[u].phi = d[u * stride];
      sums[u].min_kink = d[u * stride + 1];
      sums[u].dphi.assign(d.begin() + static_cast<std::ptrdiff_t>(u * stride + 2),
                          d.begin() + static_cast<std::ptrdiff_t>((u + 1) * stride));
    }
  }
  int team = 1;
#if defined(_OPENMP)
  team = threads_ > 0 ? threads_ : omp_get_max_threads();
#endif
  // Units are independent; their sums are combined in unit order below, so
  // the result does not depend on the thread count.
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
  for (std::int64_t u = 0; u < static_cast<std::int64_t>(on_gpu ? 0 : units); ++u) {
    const std::size_t r = static_cast<std::size_t>(u) / nets_.size(), b = static_cast<std::size_t>(u) % nets_.size();
    const UnitInput in{nets_[b].get(), static_cast<std::uint32_t>(b), first[b], r, &record_, &view, &slots};
    sums[u] = std::visit(
        [&](const auto& m) -> UnitSums {
          using M = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<M, ThresholdSAM>) {
            throw Error("replay: threshold_sam has no rate objective");
          } else {
            return replay_unit(m, in);
          }
        },
        model);
  }
  (void)team;
  ReplayValue v;
  v.min_kink_distance = std::numeric_limits<double>::infinity();
  double phi = 0.0;
  std::vector<double> d(slots.size(), 0.0);
  for (const auto& s : sums) {
    phi += s.phi;
    for (std::size_t q = 0; q < d.size(); ++q) d[q] += s.dphi[q];
    v.min_kink_distance = std::min(v.min_kink_distance, s.min_kink);
  }
  const double dt = std::visit([](const auto& m) { return static_cast<double>(m.dt); }, model);
  const double scale =
      1000.0 / dt / static_cast<double>(record_.replicas * record_.neurons * (record_.steps - record_.window_start));
  v.rate_hz = phi * scale;
  if (gradient) {
    v.gradient.resize(d.size());
    for (std::size_t q = 0; q < d.size(); ++q) v.gradient[q] = d[q] * scale;
  }
  return v;
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
        const NeuronStream rng{so.seed, so.first_step, net->instance_id(),
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
  if (!(std::isfinite(o.target_hz) && o.target_hz >= 0))
    throw Error("tune: target rate " + format_value(o.target_hz) + " Hz is invalid; expected a finite rate >= 0");
  if (!(std::isfinite(o.lr) && o.lr > 0)) throw Error("tune: lr = " + format_value(o.lr) + " is invalid; expected > 0");
  if (o.epochs < 1) throw Error("tune: epochs = " + std::to_string(o.epochs) + " is invalid; expected >= 1");
  if (o.steps < 1) throw Error("tune: steps = " + std::to_string(o.steps) + " is invalid; expected >= 1");
  if (o.equilibration < 0)
    throw Error("tune: equilibration = " + std::to_string(o.equilibration) + " is invalid; expected >= 0");
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1 && o.epsilon > 0))
    throw Error("tune: Adam needs 0 <= beta1, beta2 < 1 and epsilon > 0");
}

TuneResult tune(const AnyModel& model, const std::vector<Network>& networks, const std::vector<Stimulus>& stimuli,
                const SimulatorOptions& options, const TuneOptions& o, const TuneProgress& progress) {
  validate_tune_options(o);
  validate_model(model);
  TuneResult res;
  res.model = model;
  res.stimuli = stimuli;
  for (std::size_t k = 0; k < stimuli.size(); ++k) validate_stimulus(stimuli[k], k);
  res.names = resolve_tunable(model, stimuli, o.selection);
  const std::size_t P_ = res.names.size();
  for (const auto& n : res.names) res.initial.push_back(get_value(res.model, res.stimuli, n));
  std::vector<double> value = res.initial, m(P_, 0.0), v(P_, 0.0);
  const std::uint64_t per_epoch = static_cast<std::uint64_t>(o.equilibration + o.steps);
  if (options.first_step + per_epoch * static_cast<std::uint64_t>(o.epochs) > kMaxStep)
    throw Error("tune: epochs x (equilibration + steps) exceeds the 2^40 steps of the random-stream counter");

  // The networks are shared by every epoch's simulator and replay (no copies).
  std::vector<std::shared_ptr<const Network>> shared;
  for (const auto& n : networks) shared.push_back(std::make_shared<const Network>(n));
  // One engine for every epoch with the gradient formed from its tap, where
  // the tap fits; else each epoch is recorded and replayed.
  const std::unique_ptr<replay::EpochRunner> runner =
      replay::make_epoch_runner(res.model, shared, options, res.names, o.equilibration, o.steps);
  res.gradient_path = runner ? std::string(runner->backend()) + " tangent" : std::string();
  double b1t = 1.0, b2t = 1.0;
  for (std::int64_t e = 0; e < o.epochs; ++e) {
    SimulatorOptions so = options;
    so.first_step = options.first_step + per_epoch * static_cast<std::uint64_t>(e);
    ReplayValue rv;
    if (runner) {
      rv = runner->run(res.model, res.stimuli, so.first_step);
    } else {
      SpikeRecord rec = record_epoch(res.model, shared, res.stimuli, so, o.equilibration, o.steps);
      const Replay replay(shared, std::move(rec), so.seed, options.threads, options.backend, options.device);
      rv = replay.evaluate(res.model, res.stimuli, res.names, true);
      res.gradient_path = std::string(replay.backend()) + " replay";
    }
    TuneEpoch ep;
    ep.epoch = e;
    ep.rate_hz = rv.rate_hz;
    ep.loss = (o.target_hz - rv.rate_hz) * (o.target_hz - rv.rate_hz);
    ep.values = value;
    ep.gradient.resize(P_);
    for (std::size_t q = 0; q < P_; ++q) ep.gradient[q] = -2.0 * (o.target_hz - rv.rate_hz) * rv.gradient[q];
    if (!std::isfinite(ep.loss))
      throw Error("tune: epoch " + std::to_string(e) + ": the expected rate is not finite (" + format_value(rv.rate_hz) +
                  " Hz); start from other parameters");

    // Adam.
    b1t *= o.beta1;
    b2t *= o.beta2;
    for (std::size_t q = 0; q < P_; ++q) {
      const double g = ep.gradient[q];
      m[q] = o.beta1 * m[q] + (1.0 - o.beta1) * g;
      v[q] = o.beta2 * v[q] + (1.0 - o.beta2) * g * g;
      const double mh = m[q] / (1.0 - b1t), vh = v[q] / (1.0 - b2t);
      value[q] -= o.lr * mh / (std::sqrt(vh) + o.epsilon);
      set_value(res.model, res.stimuli, res.names[q], value[q]);
    }
    try {
      validate_model(res.model);
      for (std::size_t k = 0; k < res.stimuli.size(); ++k) validate_stimulus(res.stimuli[k], k);
    } catch (const Error& err) {
      throw Error("tune: epoch " + std::to_string(e) + ": the Adam step left an invalid parameter (" + err.what() +
                  "); use a smaller learning rate or start closer to the target");
    }
    res.history.push_back(ep);
    if (progress) progress(res.history.back(), o.epochs);
  }
  res.final = value;
  return res;
}

}  // namespace cascade

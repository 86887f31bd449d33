// tune's epochs on one engine that lives across epochs: each epoch the engine
// simulates from a fresh random state with the current parameters while it
// copies g, S, its drive and its spikes into a tap (EpochTap), then the
// tangent pass (tangent.hpp) forms the objective and its gradient from the
// tap. This is tune's one gradient path. Where a tap of every slot does not
// fit, the epoch runs once per group of slots, each run tapping its group:
// the spikes are the same every time (counter-based streams), and the sums
// are added in the same fixed order, so the result does not change.
//
// Replay: the same pass over spikes given from outside (a recorded epoch),
// the engine's emission replaced by them: R(theta) with the spikes held
// fixed, for finite-difference checks.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "cascade/extend/cpu_engine.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus.hpp"
#include "cascade/tune.hpp"
#include "cascade/extend/tangent.hpp"

namespace cascade::tangent {

/// Slots per group of the pass: a fixed partition summed in order, so the
/// result depends neither on the thread count nor on how taps are split.
inline constexpr std::uint64_t kGroup = 256;

/// Bytes a tap of `slots` neuron slots over `steps` steps takes.
inline std::uint64_t tap_bytes(std::uint64_t slots, std::uint64_t steps) { return slots * (steps * 25 + 1); }

/// Slots per tap such that a tap fits `budget` bytes: a multiple of kGroup
/// (all of them when they fit). Throws when even one group does not fit.
std::uint64_t tap_slots_within(std::uint64_t slots, std::uint64_t steps, std::uint64_t budget);

/// The host memory a CPU tap may take (a share of what is available).
std::uint64_t host_tap_budget();

/// R and dR/dθ from the groups' sums ([groups][2 + P]: phi, the smallest
/// kink distance, d phi / d slot q), added in group order.
ReplayValue value_from_sums(const std::vector<double>& sums, std::uint32_t P, double dt, std::uint64_t neuron_steps);

/// The pass over a tap on the CPU: the sums of each group of slots the tap
/// covers (tap.slot_begin is a multiple of kGroup) into sums[group * (2 + P)].
/// `own` (distributed runs): only the slots of neurons [own->lo(), own->hi())
/// are this rank's (the others are the other ranks' share of the sums).
template <class Model>
void cpu_tangent_sums(const Model& m, const TangentView& tv, const EpochTap& tap, std::uint64_t window_start,
                      std::uint64_t total_neurons, const StimulusView& stim, int threads, std::vector<double>& sums,
                      const engine::Partition* own = nullptr) {
  const std::uint32_t P = tv.n_slots;
  const std::uint64_t first_group = tap.slot_begin / kGroup;
  const std::uint64_t groups = (tap.slots + kGroup - 1) / kGroup;
  int team = 1;
#if defined(_OPENMP)
  team = threads > 0 ? threads : omp_get_max_threads();
#endif
  (void)threads;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
  for (std::int64_t c = 0; c < static_cast<std::int64_t>(groups); ++c) {
    double* out = sums.data() + (first_group + static_cast<std::uint64_t>(c)) * (2 + P);
    double phi = 0.0, kink = std::numeric_limits<double>::infinity();
    double slot_dtv[kMaxSlots] = {};
    bool in_mask[kMaxSlots + 1];
    const std::uint64_t lo = static_cast<std::uint64_t>(c) * kGroup, hi = std::min(tap.slots, lo + kGroup);
    for (std::uint64_t slot = lo; slot < hi; ++slot) {
      const std::uint64_t neuron = (tap.slot_begin + slot) % total_neurons;
      if (own && (neuron < own->lo() || neuron >= own->hi())) continue;
      slot_masks(stim, tv.slots, P, neuron, in_mask);
      tangent_slot(m, tv, tap, slot, window_start, stim, slot_dtv, in_mask, phi, out + 2, kink);
    }
    out[0] = phi;
    out[1] = kink;
  }
  (void)team;
}

/// One epoch of tune for a model type (the CPU or the GPU runner).
template <class Model>
class EpochRunner {
 public:
  virtual ~EpochRunner() = default;
  /// One epoch with these parameter values, from global step `first_step`:
  /// a fresh random initial state, the equilibration steps with the stimulus
  /// off, the recorded steps with stimulus time 0 at the first. Returns R and
  /// dR/dθ for the runner's parameters (their order). Throws as the
  /// simulation would on a non-finite rate.
  virtual ReplayValue run(const Model& model, const std::vector<Stimulus>& stimuli, std::uint64_t first_step) = 0;
  virtual const char* backend() const = 0;
  /// How many simulations an epoch takes (1 unless its tap is split).
  virtual std::uint64_t runs_per_epoch() const { return 1; }
};

/// The host tap of a CPU runner or replay: `slots` slots over `steps` steps.
struct HostTap {
  std::vector<double> g, S, y;
  std::vector<std::uint8_t> x, x0;
  EpochTap at(std::uint64_t slot_begin, std::uint64_t slots, std::uint64_t first_step, std::uint64_t steps) {
    const std::uint64_t n = slots * steps;
    if (g.size() < n) g.resize(n), S.resize(n), y.resize(n), x.resize(n);
    if (x0.size() < slots) x0.resize(slots);
    return EpochTap{g.data(), S.data(), y.data(), x.data(), x0.data(), slots, first_step, steps, slot_begin};
  }
};

template <TunableModel Model>
class CpuEpochRunner final : public EpochRunner<Model> {
 public:
  /// `tap_budget`: the bytes a tap may take (0: host_tap_budget()).
  CpuEpochRunner(const Model& m, std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& so,
                 const std::vector<std::string>& names, std::int64_t equilibration, std::int64_t steps,
                 std::uint64_t tap_budget = 0)
      : engine_(m, nets, so), nets_(std::move(nets)), so_(so), names_(names), equilibration_(equilibration),
        steps_(steps) {
    make_tangent_setup(m, names_);  // refuses a selection the pass cannot take, before any epoch
    for (const auto& n : nets_) total_ += n->n_neurons();
    slot_count_ = total_ * so.replicas;
    const std::uint64_t T = static_cast<std::uint64_t>(equilibration + steps);
    Communicator* comm = so.communicator.get();
    if (ranks_of(comm) == 1) {
      chunk_ = tap_slots_within(slot_count_, T, tap_budget ? tap_budget : host_tap_budget());
      return;
    }
    // Distributed: every rank runs the epoch once per tap, so all must cut
    // the taps alike: the smallest rank's (the budget is each machine's).
    std::string why;
    std::uint64_t mine = 0;
    try {
      mine = tap_slots_within(slot_count_, T, tap_budget ? tap_budget : host_tap_budget());
    } catch (const Error& e) {
      why = e.what();
    }
    const std::vector<std::uint64_t> all = comm->gather_sizes(why.empty() ? mine : 0);
    chunk_ = *std::min_element(all.begin(), all.end());
    if (chunk_ == 0)
      throw Error(!why.empty() ? why : "tune: a tap of one group of slots does not fit another rank's memory");
  }

  const char* backend() const override { return "cpu"; }
  std::uint64_t runs_per_epoch() const override { return (slot_count_ + chunk_ - 1) / chunk_; }

  /// Distributed runs: every rank's share of the group sums, added in rank
  /// order (the kink distance: the smallest), so every rank has the same.
  void reduce_sums(std::vector<double>& sums, std::uint32_t P) const {
    Communicator* comm = so_.communicator.get();
    if (ranks_of(comm) == 1) return;
    // In pieces of at most 1 GiB a call: K copies of a piece arrive at once.
    const std::size_t K = static_cast<std::size_t>(comm->size());
    const std::size_t piece = std::max<std::size_t>(1, (std::size_t{1} << 27) / K);
    std::vector<double> all;
    for (std::size_t first = 0; first < sums.size(); first += piece) {
      const std::size_t n = std::min(piece, sums.size() - first);
      all.resize(n * K);
      comm->allgather(sums.data() + first, n * sizeof(double), all.data());
      for (std::size_t k = 0; k < n; ++k) {
        const bool kink = (first + k) % (2 + P) == 1;
        double v = all[k];
        for (std::size_t r = 1; r < K; ++r) v = kink ? std::min(v, all[r * n + k]) : v + all[r * n + k];
        sums[first + k] = v;
      }
    }
  }

  ReplayValue run(const Model& m, const std::vector<Stimulus>& stimuli, std::uint64_t first_step) override {
    engine_.set_model(m);
    std::shared_ptr<const StimulusTable> table;
    if (!stimuli.empty()) table = std::make_shared<const StimulusTable>(stimuli, nets_, so_.seed, steps_);
    engine_.set_stimulus(table);
    const TangentSetup setup = make_tangent_setup(m, names_);
    const TangentView tv = setup.view();
    const StimulusView stim = table ? table->view() : StimulusView{};
    const std::uint64_t T = static_cast<std::uint64_t>(equilibration_ + steps_);
    std::vector<double> sums((slot_count_ + kGroup - 1) / kGroup * (2 + tv.n_slots), 0.0);
    for (std::uint64_t lo = 0; lo < slot_count_; lo += chunk_) {
      const EpochTap tap = tap_.at(lo, std::min(chunk_, slot_count_ - lo), first_step, T);
      engine_.run_tapped_epoch(first_step, equilibration_, steps_, tap);
      cpu_tangent_sums(m, tv, tap, static_cast<std::uint64_t>(equilibration_), total_, stim, so_.threads, sums,
                       engine_.partition().distributed() ? &engine_.partition() : nullptr);
    }
    reduce_sums(sums, tv.n_slots);
    return value_from_sums(sums, tv.n_slots, engine::model_dt(m), slot_count_ * static_cast<std::uint64_t>(steps_));
  }

 private:
  CpuEngine<Model> engine_;
  std::vector<std::shared_ptr<const Network>> nets_;
  SimulatorOptions so_;
  std::vector<std::string> names_;
  std::int64_t equilibration_, steps_;
  std::uint64_t total_ = 0, slot_count_ = 0, chunk_ = 1;
  HostTap tap_;
};

/// R (and dR/dθ for `names` when `gradient`) over the spikes of `record`, the
/// engine's emission replaced by them (the CPU engine; Replay's evaluation).
template <TunableModel Model>
ReplayValue replay_value(const Model& m, const std::vector<std::shared_ptr<const Network>>& nets,
                         const SpikeRecord& rec, const std::vector<Stimulus>& stimuli, std::uint64_t seed,
                         const std::vector<std::string>& names, bool gradient, int threads) {
  SimulatorOptions so;
  so.replicas = static_cast<std::uint32_t>(rec.replicas);
  so.seed = seed;
  so.threads = threads;
  CpuEngine<Model> engine(m, nets, so);
  std::shared_ptr<const StimulusTable> table;
  const std::int64_t recorded = static_cast<std::int64_t>(rec.steps) - static_cast<std::int64_t>(rec.window_start);
  if (!stimuli.empty()) table = std::make_shared<const StimulusTable>(stimuli, nets, seed, recorded);
  engine.set_stimulus(table);
  if (m.filters().initial == InitialState::kRandomActivation) engine.set_initial_activation(rec.initial_activation);
  else engine.set_initial_spikes(rec.initial_spikes);
  const std::uint64_t slots = rec.replicas * rec.neurons;
  const std::uint64_t chunk = tap_slots_within(slots, rec.steps, host_tap_budget());
  const TangentSetup setup = make_tangent_setup(m, gradient ? names : std::vector<std::string>{});
  const TangentView tv = setup.view();
  const StimulusView stim = table ? table->view() : StimulusView{};
  std::vector<double> sums((slots + kGroup - 1) / kGroup * (2 + tv.n_slots), 0.0);
  const std::int64_t eq = static_cast<std::int64_t>(rec.window_start);
  const std::int64_t steps = static_cast<std::int64_t>(rec.steps) - eq;
  HostTap host;
  const EngineState start = engine.save_state();
  for (std::uint64_t lo = 0; lo < slots; lo += chunk) {
    engine.load_state(start);
    const EpochTap tap = host.at(lo, std::min(chunk, slots - lo), start.step, rec.steps);
    engine.run_forced(rec.counts.data(), rec.neurons, rec.steps, eq, steps, tap);
    cpu_tangent_sums(m, tv, tap, rec.window_start, rec.neurons, stim, threads, sums);
  }
  return value_from_sums(sums, tv.n_slots, engine::model_dt(m), slots * static_cast<std::uint64_t>(steps));
}

}  // namespace cascade::tangent

// The CPU engine: event-driven, OpenMP-parallel, bit-reproducible.
//
// A step, for every (replica, network) "unit" and every block of its neurons
// (one task each, run in parallel):
//   A. scatter: the unit's spikes of the previous step add q[e] * count into
//      int64 accumulators of the block's postsynaptic neurons (CSR rows are
//      sorted by target, so a block is a contiguous sub-range of each row);
//   B. per neuron (neuron_update.hpp, shared with the CUDA kernels): fold the
//      exact drive into the filter state, form g, the rate, and emit.
// Integer sums are exact, so neither the thread count nor the block split nor
// the edge order can change a spike; random draws are counter-based.
// Cost per step: O(spikes x out-degree + neurons) (+ O(H) per neuron for a
// self filter of length H, BernoulliGLM's refractory filter).
//
// This header is a template so that user models (models/model_api.hpp)
// instantiate it without touching the engine.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "cascade/engine/engine.hpp"
#include "cascade/extend/engine_layer.hpp"
#include "cascade/extend/neuron_update.hpp"
#include "cascade/extend/partition.hpp"
#include "cascade/error.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus.hpp"

namespace cascade {

/// The CPU engine's work layout: the batch layout, cut into tasks (blocks of
/// a unit's neurons) for the thread team (host/cpu_layout.cpp).
struct CpuLayout : engine::BatchLayout {
  struct Task {
    std::uint32_t unit;
    std::int32_t lo, hi;  // local neuron range
  };
  std::vector<Task> tasks;
  std::vector<std::size_t> unit_first_task;  // tasks of unit u: [first[u], first[u+1])
  int threads = 1;
  std::size_t own_slots = 0;  // the slots the tasks cover (all of them in one process)
};
/// The tasks cover the neurons `part` gives this rank, in every unit.
CpuLayout make_cpu_layout(const engine::Networks& nets, const SimulatorOptions& opt, const engine::Partition& part);
/// The CPU threads `requested` means (0: all cores); refuses negative counts.
int resolve_thread_count(int requested);

template <class Model>
class CpuEngine final : public Engine {
 public:
  CpuEngine(const Model& model, std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& opt)
      : model_(model), nets_(std::move(nets)), opt_(opt) {
    model_.validate();
    part_ = engine::distribute(nets_, opt_);  // a distributed run keeps this rank's part of each network
    shape_ = engine::make_engine_shape(model_.filters(), nets_, Model::kName);
    engine::check_batch(nets_, shape_, Model::kAllowsSelfCoupling, Model::kName, opt_);
    layout_ = make_cpu_layout(nets_, opt_, part_);
    if (part_.distributed()) {
      if (layout_.units.size() > engine::kMaxExchangeUnits)
        throw Error("a distributed run handles at most 2^24 replica x network units; this batch has " +
                    std::to_string(layout_.units.size()));
      exchange_.emplace(opt_.communicator);
    }
    step_ = opt_.first_step;
    engine::check_memory(shape_.state_bytes(layout_.slots), "the simulation state");
    State::for_each_array(state_, [&](auto& a, const char*, StateExtent e) { a.assign(layout_.slots * shape_.per_slot(e), 0); });
    for (int b = 0; b < 2; ++b) {
      state_.lists[b].resize(layout_.tasks.size());
      for (std::size_t t = 0; t < layout_.tasks.size(); ++t)
        state_.lists[b][t].reserve(layout_.tasks[t].hi - layout_.tasks[t].lo);
    }
    state_.remote.resize(part_.distributed() ? layout_.units.size() : 0);
    reset_random_state();
  }

  std::string backend_name() const override { return "cpu"; }

  /// tune: one epoch from a fresh random state drawn at `first_step`
  /// (`equilibration` steps with the stimuli off, then `steps`), copying g, S,
  /// the folded drive and the counts of the slots and steps `tap` covers into
  /// it (host memory). The engine's step may go back: an epoch split over
  /// several taps runs again from the same step, with the same spikes.
  /// In a distributed run each rank taps its own slots (epoch_runner.hpp
  /// sums each rank's share of the tangent pass and adds them in rank order).
  void run_tapped_epoch(std::uint64_t first_step, std::int64_t equilibration, std::int64_t steps, const EpochTap& tap) {
    step_ = first_step;
    tap_ = tap;
    run_quiet(equilibration, steps, true);
  }

  /// tune's replay: from the current state, `equilibration` then `steps`
  /// steps whose emitted counts are replaced by `counts` ([replicas][total
  /// neurons][record_steps], step 0 the current step), tapped into `tap`.
  void run_forced(const std::uint8_t* counts, std::size_t neurons, std::size_t record_steps, std::int64_t equilibration,
                  std::int64_t steps, const EpochTap& tap) {
    refuse_distributed("tune's replay");
    if (neurons != layout_.total_neurons || record_steps < static_cast<std::size_t>(equilibration + steps))
      throw Error("replay: the spike record does not cover this engine's neurons and steps");
    forced_ = Forced{counts, neurons, record_steps, step_};
    tap_ = tap;
    run_quiet(equilibration, steps, false);
  }

  /// tune: new values of the model's parameters. The filters' lengths (the
  /// state's shape) must stay as they are; their values may change.
  void set_model(const Model& model) {
    model.validate();
    shape_ = engine::reshape(shape_, model.filters(), Model::kName);
    model_ = model;
  }
  double dt() const override { return engine::model_dt(model_); }
  std::uint64_t current_step() const override { return step_; }
  /// The neurons this rank owns (all of them in one process).
  const engine::Partition& partition() const { return part_; }

  void reset_random_state() override {
    clear_state(state_);
    if (shape_.spec.initial == InitialState::kRandomActivation && !shape_.per_edge) {
      std::vector<double> s(layout_.slots);
      for (const auto& u : layout_.units) {
        const Network& net = *nets_[u.net];
        for (std::size_t i = 0; i < net.n_neurons(); ++i) {
          const NeuronStream rng{opt_.seed, step_, net.instance_id(), u.replica, static_cast<std::uint32_t>(i)};
          s[u.slot_base + i] = initial_activation(rng);
        }
      }
      load_activation(s);
    } else {
      std::vector<std::uint8_t> x(layout_.slots);
      for (const auto& u : layout_.units) {
        const Network& net = *nets_[u.net];
        for (std::size_t i = 0; i < net.n_neurons(); ++i) {
          const NeuronStream rng{opt_.seed, step_, net.instance_id(), u.replica, static_cast<std::uint32_t>(i)};
          x[u.slot_base + i] = initial_spike(rng);
        }
      }
      load_spikes(x);
    }
  }

  void set_initial_spikes(std::span<const std::uint8_t> counts) override {
    engine::check_initial_spikes(counts, layout_.slots);
    clear_state(state_);
    load_spikes(std::vector<std::uint8_t>(counts.begin(), counts.end()));
  }

  void set_initial_activation(std::span<const double> activation) override {
    engine::check_initial_activation(activation, layout_.slots, shape_, Model::kName);
    clear_state(state_);
    load_activation(std::vector<double>(activation.begin(), activation.end()));
  }

  void inspect(std::vector<double>* input, std::vector<double>* rate, std::int64_t stimulus_time) const override {
    engine::check_inspect_time(stimulus_time);
    State copy = state_;
    std::vector<double> g(layout_.slots), p(layout_.slots);
    Counters c;
    for (std::size_t t = 0; t < layout_.tasks.size(); ++t)
      run_task<true>(copy, t, step_, nullptr, 0, stimulus_time, c, g.data(), p.data());
    if (exchange_) {  // every rank's own neurons, on every rank
      engine::allgather_owned(exchange_->comm(), part_, layout_.total_neurons, opt_.replicas, 1, g);
      engine::allgather_owned(exchange_->comm(), part_, layout_.total_neurons, opt_.replicas, 1, p);
    }
    if (input) *input = std::move(g);
    if (rate) *rate = std::move(p);
  }

  EngineState save_state() const override {
    EngineState e;
    e.step = step_;
    e.advance = advance_;
    EngineState::for_each_pair(e, state_, [](auto& to, const auto& from, const char*, StateExtent) { to = from; });
    if (exchange_)  // each rank holds its own slots: the whole state on every rank, as one process has it
      EngineState::for_each_array(e, [&](auto& a, const char*, StateExtent x) {
        engine::allgather_owned(exchange_->comm(), part_, layout_.total_neurons, opt_.replicas, shape_.per_slot(x), a);
      });
    return e;
  }

  void load_state(const EngineState& e) override {
    engine::check_state(e, layout_.slots, shape_);
    clear_state(state_);
    EngineState::for_each_pair(state_, e, [](auto& to, const auto& from, const char*, StateExtent) { to = from; });
    load_spikes(e.xlast);  // the previous step's spikes: xlast and the lists
    step_ = e.step;
    advance_ = e.advance;
  }

  void set_stimulus(std::shared_ptr<const StimulusTable> table) override {
    stimulus_ = (table && !table->empty()) ? std::move(table) : nullptr;
    if (stimulus_) stim_view_ = stimulus_->view();
  }

  RunSummary run(const RunOptions& options, const RecordTarget* target) override {
    engine::check_run_options(options, step_);
    const auto t0 = std::chrono::steady_clock::now();
    if (options.fresh_state) reset_random_state();
    RunSummary sum = engine::start_summary("cpu", step_, dt(), options);
    const std::int64_t total = options.equilibration_steps + options.steps;
    const std::uint64_t record_from = step_ + static_cast<std::uint64_t>(options.equilibration_steps);
    const std::int64_t stride = std::max<std::int64_t>(1, total / 1000);
    // Stimulus time of a step: off before the recording window (equilibration).
    auto stim_time = [&](std::uint64_t step) {
      if (!options.stimulus || step < record_from) return kStimulusOff;
      return options.stimulus_start + static_cast<std::int64_t>(step - record_from);
    };

    // A team costs two barriers per step (about a microsecond each, far more
    // when cores are oversubscribed): use one thread per 2048 neuron slots at most.
    const int nthreads = std::max(1, std::min({layout_.threads, static_cast<int>(layout_.tasks.size()),
                                               static_cast<int>(layout_.own_slots / 2048)}));
    if (exchange_) exchange_->reset_stats();
    std::vector<Counters> counters(layout_.tasks.size());
    std::atomic<bool> stop{false};
    std::exception_ptr failure;
    int team = 1;
    std::int64_t done = 0;

    // Between steps, on one thread: the stop request, the first non-finite
    // rate (the lowest slot: the first task's), progress; in a distributed
    // run each rank's spikes and these flags are exchanged first, so that
    // every rank stops, fails or goes on at the same step.
    auto after_step = [&]() {
      cur_ ^= 1;
      ++step_;
      advance_ = true;
      ++done;
      engine::StepFlags f;
      f.stop = options.stop && options.stop->load(std::memory_order_relaxed) && done < total;
      for (std::size_t t = 0; t < counters.size(); ++t)
        if (counters[t].bad_neuron >= 0) {
          f.bad_slot = layout_.units[layout_.tasks[t].unit].slot_base + static_cast<std::size_t>(counters[t].bad_neuron);
          f.bad_g = counters[t].bad_g;
          f.bad_rate = counters[t].bad_rate;
          break;
        }
      if (f.bad_slot == UINT64_MAX && options.progress && (done % stride == 0 || done == total)) {
        try {
          options.progress(done, total);
        } catch (...) {
          failure = std::current_exception();
          f.failed_rank = part_.rank;
          f.failure = engine::exception_text(failure);
        }
      }
      if (exchange_) {
        try {
          share_step(f, failure);
        } catch (const std::exception& e) {
          exchange_failed(e.what());
        }
      }
      if (f.stop) {
        stop = true;
        sum.stopped = true;
      }
      if (failure) stop = true;
      if (f.bad_slot != UINT64_MAX) {
        stop = true;
        if (!failure) {
          try {
            engine::throw_non_finite(layout_, nets_, step_ - 1, f.bad_slot, f.bad_g, f.bad_rate);
          } catch (const Error& e) {  // distributed: every rank throws it at this step
            failure = exchange_ ? std::make_exception_ptr(CollectiveError(e.what())) : std::current_exception();
          }
        }
      }
    };

    if (unit_parallel() && !exchange_) {
      team = run_units_apart(total, stim_time, target, record_from, counters, sum, failure, done, options);
    } else if (nthreads <= 1) {
      for (std::int64_t s = 0; s < total && !stop; ++s) {
        const std::int64_t st = stim_time(step_);
        for (std::size_t t = 0; t < layout_.tasks.size(); ++t)
          run_task<false>(state_, t, step_, target, record_from, st, counters[t], nullptr, nullptr);
        after_step();
      }
    } else {
#pragma omp parallel num_threads(nthreads)
      {
#if defined(_OPENMP)
#pragma omp single
        team = omp_get_num_threads();
#endif
        for (std::int64_t s = 0; s < total; ++s) {
          if (stop.load(std::memory_order_relaxed)) break;
          const std::uint64_t step_now = step_;
          const std::int64_t st = stim_time(step_now);
#pragma omp for schedule(dynamic, 1)
          for (std::size_t t = 0; t < layout_.tasks.size(); ++t)
            run_task<false>(state_, t, step_now, target, record_from, st, counters[t], nullptr, nullptr);
#pragma omp single
          after_step();
        }
      }
    }
    if (failure) std::rethrow_exception(failure);

    sum.threads = team;
    engine::RunCounters summed;
    for (const auto& c : counters) summed += c;
    if (exchange_) finish_distributed(summed, sum, options.gather_recording ? target : nullptr);
    engine::finish_summary(sum, summed, done, options.equilibration_steps, layout_.slots);
    sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sum;
  }

 private:
  struct SpikeList {
    std::vector<std::int32_t> neuron;
    std::vector<std::uint8_t> count;
    void reserve(std::size_t n) {
      neuron.reserve(n);
      count.reserve(n);
    }
    void clear() {
      neuron.clear();
      count.clear();
    }
  };
  struct State : StateArrays<HostArray> {
    std::vector<SpikeList> lists[2];  // per task, double-buffered
    std::vector<SpikeList> remote;    // distributed: per unit, the other ranks' spikes of the previous step
  };
  struct Counters : engine::RunCounters {
    std::int32_t bad_neuron = -1;
    double bad_g = 0, bad_rate = 0;
  };

  /// Units of one task each (small networks, a replica or network apiece)
  /// are independent simulations: with two or more of them and threads to
  /// spare, each thread runs whole units for segments of steps, with no
  /// barrier inside a segment.
  bool unit_parallel() const {
    if (layout_.threads < 2 || layout_.units.size() < 2) return false;
    for (std::size_t u = 0; u < layout_.units.size(); ++u)
      if (layout_.unit_first_task[u + 1] - layout_.unit_first_task[u] != 1) return false;
    return true;
  }

  /// The run with units apart: segments of up to kSegment steps, each unit
  /// advanced through a whole segment by one thread (its own list parity and
  /// advance flag, which every unit shares at a segment's start); stops,
  /// non-finite rates and progress are handled between segments. The spikes
  /// are those of the step-by-step run: units share no state. Returns the team size.
  template <class StimTime>
  int run_units_apart(std::int64_t total, const StimTime& stim_time, const RecordTarget* target,
                      std::uint64_t record_from, std::vector<Counters>& counters, RunSummary& sum,
                      std::exception_ptr& failure, std::int64_t& done, const RunOptions& options) {
    constexpr std::int64_t kSegment = 256;  // steps between stop checks (well under a millisecond for small units)
    const int team = std::min(layout_.threads, static_cast<int>(layout_.tasks.size()));
    const std::int64_t stride = std::max<std::int64_t>(1, total / 1000);
    std::vector<std::int64_t> bad_at(layout_.tasks.size(), -1);
    while (done < total) {
      const std::int64_t seg = std::min(kSegment, total - done);
      const std::uint64_t step0 = step_;
      const int cur0 = cur_;
      const bool adv0 = advance_;
      // Contiguous units per thread: their slots are neighbours in every state
      // array, so a thread shares cache lines with another only at its range's ends.
#pragma omp parallel for num_threads(team) schedule(static)
      for (std::size_t t = 0; t < layout_.tasks.size(); ++t) {
        int cur = cur0;
        bool adv = adv0;
        Counters c = counters[t];  // the thread's own copy: neighbours in the vector share cache lines
        for (std::int64_t k = 0; k < seg; ++k) {
          const std::uint64_t step = step0 + static_cast<std::uint64_t>(k);
          run_task_at<false>(state_, t, step, target, record_from, stim_time(step), c, nullptr, nullptr, cur, adv);
          cur ^= 1;
          adv = true;
          if (c.bad_neuron >= 0) {
            bad_at[t] = static_cast<std::int64_t>(step);
            break;
          }
        }
        counters[t] = c;
      }
      // The first non-finite rate, as the step-by-step run finds it: the earliest step, then the first task.
      std::size_t bad = layout_.tasks.size();
      for (std::size_t t = 0; t < bad_at.size(); ++t)
        if (bad_at[t] >= 0 && (bad == layout_.tasks.size() || bad_at[t] < bad_at[bad])) bad = t;
      if (bad < layout_.tasks.size()) {
        const auto& task = layout_.tasks[bad];
        try {
          engine::throw_non_finite(layout_, nets_, static_cast<std::uint64_t>(bad_at[bad]),
                                   layout_.units[task.unit].slot_base + static_cast<std::size_t>(counters[bad].bad_neuron),
                                   counters[bad].bad_g, counters[bad].bad_rate);
        } catch (...) {
          failure = std::current_exception();
        }
        return team;
      }
      step_ += static_cast<std::uint64_t>(seg);
      cur_ ^= static_cast<int>(seg & 1);
      advance_ = true;
      const std::int64_t before = done;
      done += seg;
      if (options.progress && (done / stride != before / stride || done == total)) {
        try {
          options.progress(done, total);
        } catch (...) {
          failure = std::current_exception();
          return team;
        }
      }
      if (options.stop && options.stop->load(std::memory_order_relaxed) && done < total) {
        sum.stopped = true;
        break;
      }
    }
    return team;
  }

  void clear_state(State& s) {
    State::for_each_array(s, [](auto& a, const char*, StateExtent) { std::fill(a.begin(), a.end(), 0); });
    for (auto& b : s.lists)
      for (auto& l : b) l.clear();
    for (auto& l : s.remote) l.clear();
    cur_ = 0;
  }

  /// Spikes of the "previous step": scattered and folded into the history at
  /// the next step.
  void load_spikes(const std::vector<std::uint8_t>& x) {
    for (std::size_t t = 0; t < layout_.tasks.size(); ++t) {
      const auto& task = layout_.tasks[t];
      const auto& u = layout_.units[task.unit];
      for (std::int32_t i = task.lo; i < task.hi; ++i) {
        const std::uint8_t c = x[u.slot_base + i];
        state_.xlast[u.slot_base + i] = c;
        if (c) {
          state_.lists[cur_][t].neuron.push_back(i);
          state_.lists[cur_][t].count.push_back(c);
        }
      }
    }
    // Every rank knows every slot's counts here: the other ranks' neurons
    // go to the remote lists.
    for (std::size_t u = 0; u < state_.remote.size(); ++u) {
      const auto& unit = layout_.units[u];
      const std::size_t off = layout_.net_offset[unit.net], N = nets_[unit.net]->n_neurons();
      for (std::size_t i = 0; i < N; ++i) {
        const std::uint8_t c = x[unit.slot_base + i];
        if (c && (off + i < part_.lo() || off + i >= part_.hi())) {
          state_.remote[u].neuron.push_back(static_cast<std::int32_t>(i));
          state_.remote[u].count.push_back(c);
        }
      }
    }
    advance_ = true;
  }

  /// Distributed: this rank's spikes of the step out, every other rank's
  /// into the remote lists, and the flags merged (a failure elsewhere
  /// becomes this rank's, named).
  void share_step(engine::StepFlags& f, std::exception_ptr& failure) {
    auto& out = exchange_->outbox();
    for (std::size_t t = 0; t < layout_.tasks.size(); ++t) {
      const SpikeList& l = state_.lists[cur_][t];
      for (std::size_t s = 0; s < l.neuron.size(); ++s) out.push_back(engine::pack_spike(layout_.tasks[t].unit, l.neuron[s], l.count[s]));
    }
    const engine::StepFlags all = exchange_->exchange(f, step_);
    for (auto& l : state_.remote) l.clear();
    for (int r = 0; r < part_.ranks(); ++r) {
      if (r == part_.rank) continue;
      for (std::uint64_t s : exchange_->from(r)) {
        SpikeList& l = state_.remote[engine::spike_unit(s)];
        l.neuron.push_back(engine::spike_neuron(s));
        l.count.push_back(engine::spike_count(s));
      }
    }
    if (all.failed_rank >= 0 && !failure)
      failure = std::make_exception_ptr(CollectiveError("rank " + std::to_string(all.failed_rank) + " of " +
                                                        std::to_string(part_.ranks()) + " failed: " + all.failure));
    const int failed = f.failed_rank;
    f = all;
    f.failed_rank = failed;
  }

  /// A collective of the exchange failed (MPI reported an error, memory ran
  /// out): the ranks can no longer be kept in step, and this runs inside the
  /// thread team, where an exception cannot leave. Every rank of the job is
  /// ended, with this message (the one place the library prints).
  [[noreturn]] void exchange_failed(const char* what) const {
    std::fprintf(stderr, "cascade: error (rank %d of %d): the spike exchange failed: %s; ending every rank\n",
                 part_.rank, part_.ranks(), what);
    std::fflush(stderr);
    exchange_->comm().abort(1);
    std::abort();  // unreached: abort() never returns (the compiler cannot see it through the virtual call)
  }

  /// Distributed: the run's counters summed over the ranks (in rank order),
  /// the recording's rows gathered on rank 0 (given a target), the
  /// exchange's cost reported.
  void finish_distributed(engine::RunCounters& c, RunSummary& sum, const RecordTarget* target) {
    Communicator& comm = exchange_->comm();
    std::uint64_t mine[5] = {c.events, c.scattered, c.recorded_spikes, c.capped, c.saturated};
    std::vector<std::uint64_t> all(5 * static_cast<std::size_t>(part_.ranks()));
    comm.allgather(mine, sizeof mine, all.data());
    c = engine::RunCounters{};
    for (int r = 0; r < part_.ranks(); ++r) {
      const std::uint64_t* x = all.data() + 5 * r;
      c.events += x[0], c.scattered += x[1], c.recorded_spikes += x[2], c.capped += x[3], c.saturated += x[4];
    }
    if (target && target->raster) {
      const auto rows = engine::recorded_row_bounds(part_, target->index, target->neurons);
      Raster& R = *target->raster;
      engine::gather_rows_to_root(comm, rows, R.replicas(), R.neurons(), R.steps() * record_dtype_size(R.dtype()), R.data());
      for (float* f : {target->input, target->rate})
        if (f) engine::gather_rows_to_root(comm, rows, R.replicas(), R.neurons(), R.steps() * sizeof(float),
                                           reinterpret_cast<std::uint8_t*>(f));
    }
    sum.ranks = part_.ranks();
    sum.exchange_seconds = exchange_->seconds();
    sum.exchange_bytes = exchange_->bytes();
  }

  void refuse_distributed(const char* what) const {
    if (exchange_)
      throw Error(std::string(what) + " runs in one process, not distributed over " + std::to_string(part_.ranks()) +
                  " ranks (docs/distributed.md)");
  }

  /// Activation s_j: the drive sum_j W0[j,i] s_j with each product quantised
  /// before the exact integer sum (design.md section 2).
  void load_activation(const std::vector<double>& s) {
    for (const auto& u : layout_.units) {
      const Network& net = *nets_[u.net];
      const auto& rp = net.row_ptr();
      const auto& post = net.post();
      const auto& q = net.quantised();
      std::int64_t* acc = state_.acc.data() + u.slot_base;
      for (std::size_t j = 0; j < net.n_neurons(); ++j) {
        const double sj = s[u.slot_base + j];
        for (std::int64_t e = rp[j]; e < rp[j + 1]; ++e) acc[post[e]] += quantise_product(q[e], sj);
      }
      const double scale = net.scale();
      for (std::size_t i = 0; i < net.n_neurons(); ++i) {
        state_.S[u.slot_base + i] = static_cast<double>(acc[i]) * scale;
        acc[i] = 0;
      }
    }
    advance_ = false;  // the first step reads the activation as given
  }

  /// One task's step, at the engine's own buffer parity and advance flag.
  template <bool kInspect>
  void run_task(State& st, std::size_t t, std::uint64_t step, const RecordTarget* target, std::uint64_t record_from,
                std::int64_t stim_t, Counters& c, double* g_out, double* p_out) const {
    run_task_at<kInspect>(st, t, step, target, record_from, stim_t, c, g_out, p_out, cur_, advance_);
  }

  /// One task's step with the spike-list parity `cur` (the lists it reads;
  /// it writes the others) and `advance` given: a unit run on its own for
  /// several steps (units of one task are independent) carries its own.
  template <bool kInspect>
  void run_task_at(State& st, std::size_t t, std::uint64_t step, const RecordTarget* target, std::uint64_t record_from,
                   std::int64_t stim_t, Counters& c, double* g_out, double* p_out, int cur_in, bool advance) const {
    const auto& task = layout_.tasks[t];
    const auto& u = layout_.units[task.unit];
    const Network& net = *nets_[u.net];
    const int cur = cur_in, nxt = cur_in ^ 1;
    const std::int32_t lo = task.lo, hi = task.hi;
    const std::size_t base = u.slot_base;
    const auto& rp = net.row_ptr();
    const std::int32_t* post = net.post().data();
    const std::int32_t* q = net.quantised().data();

    // A. Scatter the unit's previous-step spikes into this block's targets:
    // those of its own tasks and, in a distributed run, the other ranks'.
    if (advance) {
      const std::size_t T = net.filter_length();
      const std::size_t first_task = layout_.unit_first_task[task.unit], end_task = layout_.unit_first_task[task.unit + 1];
      const std::size_t lists = end_task - first_task + (st.remote.empty() ? 0 : 1);
      for (std::size_t li = 0; li < lists; ++li) {
        const std::size_t bt = first_task + li;
        const SpikeList& l = bt < end_task ? st.lists[cur][bt] : st.remote[task.unit];
        if (bt == t) c.scattered += l.neuron.size();  // each spiking neuron once, in its own block's task
        for (std::size_t s = 0; s < l.neuron.size(); ++s) {
          const std::int32_t j = l.neuron[s];
          const std::int64_t cnt = l.count[s];
          const std::int32_t* first = post + rp[j];
          const std::int32_t* last = post + rp[j + 1];
          const std::int32_t* e = (lo == 0) ? first : std::lower_bound(first, last, lo);
          const std::int32_t* end = (hi == static_cast<std::int32_t>(net.n_neurons())) ? last : std::lower_bound(e, last, hi);
          c.events += static_cast<std::uint64_t>(end - e);  // the blocks' shares add up to the out-degree
          if (!shape_.per_edge) {
            std::int64_t* acc = st.acc.data() + base;
            for (; e < end; ++e) acc[*e] += static_cast<std::int64_t>(q[e - post]) * cnt;
          } else {
            const std::size_t R = shape_.ring_len;
            for (; e < end; ++e) {
              const std::int32_t* w = q + (e - post) * T;
              std::int64_t* ring = st.ring.data() + base + *e;
              const std::size_t stride = layout_.slots;
              for (std::size_t k = 0; k < T; ++k)
                ring[((step + k) % R) * stride] += static_cast<std::int64_t>(w[k]) * cnt;
            }
          }
        }
      }
    }
    st.lists[nxt][t].clear();

    // B. Per-neuron update, shared with the CUDA kernels.
    NeuronUpdate<Model> upd{model_, shape_.consts, shape_.spec.self_filter.data(), net.scale()};
    const bool in_window = !kInspect && step >= record_from;
    const std::int64_t rec_step = in_window ? static_cast<std::int64_t>(step - record_from) : -1;
    const bool recording = in_window && target && rec_step >= target->begin && rec_step < target->end;
    const std::size_t global0 = layout_.net_offset[u.net];
    const std::size_t ring_pos = shape_.ring_len ? static_cast<std::size_t>(step % shape_.ring_len) : 0;
    const std::size_t self_pos = shape_.self_len ? static_cast<std::size_t>(step % shape_.self_len) : 0;
    const bool stim_on = stimulus_ && stim_t != kStimulusOff;
    double stim_values[kMaxStimuli];
    if (stim_on) stimulus_time_values(stim_view_, stim_t, stim_values);
    for (std::int32_t i = lo; i < hi; ++i) {
      const std::size_t slot = base + i;
      // Histories are position-major ([lag slot][neuron]): a step streams one row.
      NeuronState ns{&st.S[slot], &st.acc[slot], shape_.ring_len ? &st.ring[slot] : nullptr,
                     shape_.self_len ? &st.xhist[slot] : nullptr, layout_.slots, st.xlast[slot]};
      const NeuronStream rng{opt_.seed, step, net.instance_id(), u.replica, static_cast<std::uint32_t>(i)};
      const double stimulus = stim_on ? stimulus_input(stim_view_, stim_values, u.net, net.n_neurons(),
                                                       static_cast<std::size_t>(i), global0 + i, stim_t)
                                      : 0.0;
      const std::int64_t y_in = st.acc[slot];  // the drive this step folds (tune's tap)
      StepResult r = shape_.per_edge ? upd.step_per_edge(ns, ring_pos, stimulus, rng)
                               : upd.step(ns, ring_pos, self_pos, stimulus, rng, advance);
      if (forced_.counts) r.emission.count = forced_.at(u.replica - opt_.replica_offset, global0 + i, step);
      if constexpr (kInspect) {
        g_out[slot] = r.g;
        p_out[slot] = r.rate;
        continue;
      }
      if (tap_.g)
        tap_.put(step, slot, r.g, st.S[slot], advance && !shape_.per_edge ? static_cast<double>(y_in) * net.scale() : 0.0,
                 ns.xlast, r.emission.count);
      st.xlast[slot] = static_cast<std::uint8_t>(r.emission.count);
      if (r.emission.count) {
        st.lists[nxt][t].neuron.push_back(i);
        st.lists[nxt][t].count.push_back(static_cast<std::uint8_t>(r.emission.count));
      }
      if (r.emission.flags) {
        if (r.emission.flags & kEmitRateCapped) ++c.capped;
        if (r.emission.flags & kEmitSaturated) ++c.saturated;
        if ((r.emission.flags & kEmitNonFinite) && c.bad_neuron < 0) {
          c.bad_neuron = i;
          c.bad_g = r.g;
          c.bad_rate = r.rate;
        }
      }
      if (in_window) {
        c.recorded_spikes += r.emission.count;
        if (recording) record(*target, u.replica - opt_.replica_offset, global0 + i, rec_step, r);
      }
    }
  }

  /// An unrecorded run with the tap (and forced counts) in place; both are
  /// cleared afterwards, also when the run throws.
  void run_quiet(std::int64_t equilibration, std::int64_t steps, bool fresh) {
    struct Clear {
      CpuEngine* e;
      ~Clear() {
        e->tap_ = EpochTap{};
        e->forced_ = Forced{};
      }
    } clear{this};
    RunOptions ro;
    ro.steps = steps;
    ro.equilibration_steps = equilibration;
    ro.record = false;
    ro.fresh_state = fresh;
    run(ro, nullptr);
  }

  /// Counts that replace the sampled ones (tune's replay).
  struct Forced {
    const std::uint8_t* counts = nullptr;
    std::size_t neurons = 0, steps = 0;
    std::uint64_t first_step = 0;
    std::uint32_t at(std::size_t replica, std::size_t global, std::uint64_t step) const {
      const std::uint64_t rel = step - first_step;
      return rel < steps ? counts[(replica * neurons + global) * steps + rel] : 0u;
    }
  };

  /// Writes one neuron-step into the caller's recording.
  static void record(const RecordTarget& tg, std::size_t replica, std::size_t global, std::int64_t rec_step,
                     const StepResult& r) {
    const std::int32_t idx = tg.index ? tg.index[global] : static_cast<std::int32_t>(global);
    if (idx < 0) return;
    const std::size_t t = static_cast<std::size_t>(rec_step - tg.begin);
    tg.raster->set(replica, static_cast<std::size_t>(idx), t, r.emission.count);
    const std::size_t flat = (replica * tg.neurons + static_cast<std::size_t>(idx)) * tg.raster->steps() + t;
    if (tg.input) tg.input[flat] = static_cast<float>(r.g);
    if (tg.rate) tg.rate[flat] = static_cast<float>(r.rate);
  }

  Model model_;
  std::vector<std::shared_ptr<const Network>> nets_;
  SimulatorOptions opt_;
  engine::EngineShape shape_;
  engine::Partition part_;
  mutable std::optional<engine::SpikeExchange> exchange_;  // distributed runs only (collectives in const calls too)
  CpuLayout layout_;
  State state_;
  std::shared_ptr<const StimulusTable> stimulus_;
  StimulusView stim_view_;
  EpochTap tap_;
  Forced forced_;
  int cur_ = 0;
  bool advance_ = true;
  std::uint64_t step_ = 0;
};

template <class Model>
std::unique_ptr<Engine> make_cpu_engine(const Model& model, std::vector<std::shared_ptr<const Network>> nets,
                                        const SimulatorOptions& opt) {
  return std::make_unique<CpuEngine<Model>>(model, std::move(nets), opt);
}

}  // namespace cascade

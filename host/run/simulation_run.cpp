// Running a simulation plan: batch by batch, each recorded in chunks that
// stream to the output set; checkpoints between chunks; a stop request ends
// the run at a step boundary; resume continues a checkpoint's run.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include "cascade/communicator.hpp"
#include "cascade/extend/engine_layer.hpp"
#include "cascade/extend/partition.hpp"
#include "cascade/error.hpp"
#include "cascade/run/execute.hpp"
#include "cascade/simulator.hpp"
#include "binary_file.hpp"
#include "checkpoint.hpp"
#include "paths.hpp"
#include "output_set.hpp"
#include "provenance.hpp"
#include "state_file.hpp"

namespace cascade::run {

namespace {

namespace fs = std::filesystem;

/// A path's files: itself, or a directory's regular files in name order.
void add_files(const std::string& path, std::vector<std::string>& out) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    out.push_back(path);
    return;
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.is_regular_file()) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  out.insert(out.end(), files.begin(), files.end());
}

/// Every file a simulation reads (a checkpoint remembers them).
std::vector<std::string> input_files(const SimulationPlan& p) {
  std::vector<std::string> files;
  const Settings& s = p.settings;
  if (s.has("weights"))
    for (const auto& e : p.networks.source.entries()) add_files(e, files);
  for (const Stimulus& st : p.setup.stimuli) {
    if (!st.mask_source.empty()) add_files(st.mask_source, files);
    if (const auto* l = std::get_if<LoadedStimulus>(&st.spec); l && !l->source.empty()) add_files(l->source, files);
  }
  if (const auto f = s.text_if("params-file")) files.push_back(*f);
  if (const auto sel = s.text_if("record-neurons"); sel && fs::path(*sel).extension() == ".npy") files.push_back(*sel);
  return files;
}

/// The inputs as they are now must be the inputs the checkpoint's run started from.
void verify_inputs(const std::string& checkpoint, const std::vector<FileIdentity>& then,
                   const std::vector<FileIdentity>& now) {
  const std::string where = "checkpoint '" + checkpoint + "': ";
  const std::string advice = "; resuming would mix two different inputs: start the run again";
  for (std::size_t k = 0; k < std::max(then.size(), now.size()); ++k) {
    if (k >= now.size()) throw Error(where + "the input '" + then[k].path + "' is gone" + advice);
    if (k >= then.size() || then[k].path != now[k].path)
      throw Error(where + "the input '" + now[k].path + "' is new since the run started" + advice);
    if (then[k].size != now[k].size)
      throw Error(where + "the input '" + now[k].path + "' changed since the run started (" +
                  std::to_string(now[k].size) + " bytes, were " + std::to_string(then[k].size) + ")" + advice);
    if (then[k].checksum != now[k].checksum)
      throw Error(where + "the input '" + now[k].path + "' changed since the run started (its contents differ)" +
                  advice);
  }
}

/// The partial outputs must hold at least what the checkpoint names.
void verify_partial_outputs(const std::string& checkpoint, const std::vector<FileIdentity>& outputs) {
  for (const FileIdentity& o : outputs) {
    std::error_code ec;
    const auto size = fs::file_size(o.path, ec);
    if (ec)
      throw Error("checkpoint '" + checkpoint + "': its partial output '" + o.path + "' is missing (" + ec.message() +
                  "); start the run again");
    if (size < o.size)
      throw Error("checkpoint '" + checkpoint + "': its partial output '" + o.path + "' holds " + std::to_string(size) +
                  " bytes, fewer than the " + std::to_string(o.size) +
                  " it held at the checkpoint (it was cut short); start the run again");
  }
}

/// Where a run stands, and what a checkpoint saves of it.
struct Position {
  std::size_t batch = 0;
  std::int64_t eq_done = 0, rec_done = 0;  // of the batch in progress
  std::int64_t steps_before = 0;           // steps of earlier batches and chunks
  bool have_totals = false;
  RunSummary totals;
};

class SimulationRun {
 public:
  SimulationRun(const SimulationPlan& plan, RunObserver& observer, const std::atomic<bool>* stop,
                const CheckpointData* resume)
      : plan_(plan), obs_(observer), stop_(stop), resume_(resume), outputs_(plan),
        root_(rank_of(plan.options.communicator.get()) == 0) {
    if (resume) {
      pos_.batch = resume->batch;
      pos_.eq_done = resume->eq_done;
      pos_.rec_done = resume->rec_done;
      pos_.steps_before = resume->steps_before;
      pos_.have_totals = resume->has_totals;
      if (pos_.have_totals) pos_.totals = resume->totals;
      check_counters(*resume);
    }
  }

  /// A checkpoint's position must be one this run can be at: a batch of the
  /// run, its equilibration and recorded steps within the plan's, and the
  /// recording begun only after the equilibration.
  void check_counters(const CheckpointData& c) const {
    const std::int64_t per_batch = plan_.equilibration + plan_.steps;
    const bool fits = c.batch < plan_.batches() && c.eq_done >= 0 && c.eq_done <= plan_.equilibration &&
                      c.rec_done >= 0 && c.rec_done <= plan_.steps && (c.rec_done == 0 || c.eq_done == plan_.equilibration) &&
                      c.steps_before >= 0 &&
                      c.steps_before <= static_cast<std::int64_t>(c.batch) * per_batch + c.eq_done + c.rec_done;
    if (!fits)
      throw Error("checkpoint: its position (batch " + std::to_string(c.batch) + ", " + std::to_string(c.eq_done) +
                  " equilibration and " + std::to_string(c.rec_done) + " recorded steps done, " +
                  std::to_string(c.steps_before) + " steps before) does not fit this run (" +
                  std::to_string(plan_.batches()) + " batch(es) of " + std::to_string(plan_.equilibration) + " + " +
                  std::to_string(plan_.steps) + " steps): it was not written by this run (the dataset changed?)");
  }

  // A distributed run (docs/distributed.md): every rank simulates its part
  // and takes part in the collectives (the recording's rows are gathered on
  // rank 0, a checkpoint's state on every rank); rank 0 alone writes
  // outputs, checkpoints, states and locks.
  SimulationOutcome run() {
    if (root_) outputs_.check_disk();
    const auto started = std::chrono::system_clock::now();
    SimulationOutcome out;
    if (!plan_.checkpoint.empty() && !take_checkpoint()) {
      out.stopped = true;  // stopped while the inputs were read: nothing written
      return stopped(out);
    }
    try {
      for (std::size_t b = pos_.batch; b < plan_.batches(); ++b) {
        pos_.batch = b;
        if (!run_batch(b, out)) return stopped(out);
        pos_.eq_done = pos_.rec_done = 0;
        if (!plan_.checkpoint.empty() && b + 1 < plan_.batches()) save_checkpoint(b + 1, nullptr);
      }
      RunSummary& s = pos_.totals;
      s.mean_rate_hz = engine::mean_rate_hz(s.recorded_spike_count, s.recorded_neuron_steps, s.dt);
      if (plan_.records()) {  // collective when the ranks write in parallel
        outputs_.commit(root_ ? simulation_provenance(plan_, s, dt_ms_, started, resume_ != nullptr) : std::string());
        if (root_) out.written = outputs_.written();
      }
    } catch (const Stopped&) {
      // A distributed run: the other ranks may already wait in a collective
      // (this rank saw the request while it read or generated networks):
      // the front end ends them all.
      if (distributed()) throw;
      // A stop request while a batch's networks were read or built: the
      // last checkpoint (at the batch boundary) still describes the outputs.
      out.stopped = true;
      out.batch = pos_.batch;
      out.recorded_done = pos_.rec_done;
      out.summary = pos_.totals;
      if (checkpointed_) {
        outputs_.keep();
        out.checkpoint_saved = true;
      }
      return stopped(out);
    } catch (const std::exception& e) {
      if (!checkpointed_) throw;
      // A checkpoint names these outputs: they were kept, so that it stays valid.
      outputs_.keep();
      const std::string what = std::string(e.what()) + "; the outputs so far and checkpoint '" + plan_.checkpoint +
                               "' are kept: resume with `cascade resume " + plan_.checkpoint +
                               "` once the cause is fixed";
      if (dynamic_cast<const CollectiveError*>(&e)) throw CollectiveError(what);  // still every rank's
      throw Error(what);
    }
    if (!plan_.checkpoint.empty()) {
      if (root_) {
        std::remove(plan_.checkpoint.c_str());  // the run is complete: nothing to resume
        lock_->remove();
      }
      out.checkpoint_removed = true;
    }
    out.summary = pos_.totals;
    return out;
  }

 private:
  bool distributed() const { return ranks_of(plan_.options.communicator.get()) > 1; }
  /// Whether any rank stops (collective in a distributed run; every rank
  /// reaches it at the same point of the run).
  bool agreed_stop(bool mine) const { return distributed() ? plan_.options.communicator->any(mine) : mine; }

  /// A stopped run without a checkpoint on disk leaves no lock behind either.
  SimulationOutcome& stopped(SimulationOutcome& out) {
    std::error_code ec;
    if (lock_ && !out.checkpoint_saved && !fs::exists(plan_.checkpoint, ec)) lock_->remove();
    return out;
  }

  /// From now on a checkpoint names the partial outputs.
  void mark_checkpointed() {
    checkpointed_ = true;
    if (outputs_.is_open()) outputs_.keep_on_failure();
  }

  /// A checkpointed run: its lock, its inputs' identities, and (resuming)
  /// the check that inputs and partial outputs are as the checkpoint left
  /// them. False when a stop request came while the inputs were read.
  bool take_checkpoint() {
    bool stopped_here = false;
    agreed([&] {  // rank 0's lock, every rank's view of the inputs: one outcome
      if (root_) lock_.emplace(plan_.checkpoint);
      std::error_code ec;
      if (root_ && resume_ && !fs::exists(plan_.checkpoint, ec))
        throw Error("checkpoint '" + plan_.checkpoint +
                    "' was completed or removed by another cascade run while this one started; nothing to resume");
      // A stale checkpoint (--force) would name the outputs this run replaces.
      if (root_ && !resume_) std::remove(plan_.checkpoint.c_str());
      for (const auto& f : input_files(plan_)) {
        inputs_.push_back(identify_file(f, stop_));
        if ((stopped_here = stop_ && stop_->load())) break;
      }
    });
    if (agreed_stop(stopped_here)) return false;
    if (resume_) {
      agreed([&] {
        verify_inputs(plan_.checkpoint, resume_->inputs, inputs_);
        verify_partial_outputs(plan_.checkpoint, resume_->outputs);
      });
      mark_checkpointed();
    }
    return true;
  }

  /// Runs `f` on every rank; a failure on any rank is every rank's (one
  /// process: as it is). A stop request is not agreed: the front end ends
  /// the job.
  template <class F>
  void agreed(F&& f) const {
    if (!distributed()) return f();
    std::exception_ptr failure;
    try {
      f();
    } catch (const Stopped&) {
      throw;
    } catch (...) {
      failure = std::current_exception();
    }
    plan_.options.communicator->agree(failure);
  }

  std::int64_t total_steps() const {
    return static_cast<std::int64_t>(plan_.batches()) * (plan_.equilibration + plan_.steps);
  }

  /// Steps recorded at a time: a raster of 256 MiB at most, so that long
  /// runs stream to disk (the random streams are keyed by the global step,
  /// so chunking changes no spike).
  std::int64_t chunk_of(const Simulator& sim) const {
    const std::size_t per_step =
        static_cast<std::size_t>(plan_.options.replicas) * sim.total_neurons() * record_dtype_size(plan_.dtype);
    std::int64_t chunk = plan_.records() ? std::max<std::int64_t>(
                                               1, std::min<std::int64_t>(plan_.steps, static_cast<std::int64_t>(
                                                                                         (std::size_t{256} << 20) / per_step)))
                                         : plan_.steps;
    if (plan_.chunk_steps > 0) chunk = std::min(plan_.chunk_steps, plan_.steps);
    if (!plan_.checkpoint.empty() && plan_.checkpoint_every > 0) chunk = std::min(chunk, plan_.checkpoint_every);
    return chunk;
  }

  void report_start(const Simulator& sim) const {
    RunStart st;
    st.model = model_name(plan_.setup.model);
    st.networks = plan_.network_count();
    st.total_neurons = plan_.total_neurons();
    st.batches = plan_.batches();
    st.batch_size = plan_.batch_size;
    st.synapses = sim.total_synapses();
    st.replicas = plan_.options.replicas;
    st.seed = plan_.options.seed;
    st.backend = sim.backend();
    obs_.started(st);
  }

  /// The batch's simulator. A distributed run whose networks are made or
  /// read in parts gives each rank only its part: files are cut where their
  /// in-synapses balance (a first pass counts them), generated networks at
  /// boundaries even in neurons (their in-degrees are even in expectation).
  /// Networks loaded whole are cut where the synapses balance.
  Simulator make_simulator(std::size_t first, std::size_t count) const {
    const NetworkSource& src = plan_.networks.source;
    Communicator* comm = plan_.options.communicator.get();
    // Every rank takes the same path (its collectives differ), decided together.
    if (ranks_of(comm) == 1 || comm->any(!src.makes_parts()))
      return Simulator(plan_.setup.model, src.load_range(first, count), plan_.options);
    SimulatorOptions opt = plan_.options;
    std::vector<std::size_t> sizes;
    std::size_t total = 0;
    for (std::size_t k = first; k < first + count; ++k) total += sizes.emplace_back(src.neuron_count(k));
    opt.partition = partition_of(first, count, sizes, total);
    const std::size_t lo = opt.partition[static_cast<std::size_t>(comm->rank())];
    const std::size_t hi = opt.partition[static_cast<std::size_t>(comm->rank()) + 1];
    std::vector<Network> parts;
    std::size_t off = 0;
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t N = sizes[k];
      parts.push_back(src.load_part(first + k, std::clamp(lo, off, off + N) - off, std::clamp(hi, off, off + N) - off, comm));
      off += N;
    }
    return Simulator(plan_.setup.model, std::move(parts), opt);
  }

  /// The boundaries of a batch read or made in parts (collective: a failure
  /// to count on any rank is every rank's).
  std::vector<std::size_t> partition_of(std::size_t first, std::size_t count, const std::vector<std::size_t>& sizes,
                                        std::size_t total) const {
    const NetworkSource& src = plan_.networks.source;
    Communicator* comm = plan_.options.communicator.get();
    std::vector<std::uint32_t> degrees;
    bool counted = true;
    std::exception_ptr failure;
    try {
      for (std::size_t k = 0; k < count && counted; ++k) {
        const std::vector<std::uint32_t> d = src.in_degrees(first + k);
        counted = d.size() == sizes[k];
        degrees.insert(degrees.end(), d.begin(), d.end());
      }
    } catch (const Stopped&) {
      throw;
    } catch (...) {
      failure = std::current_exception();
    }
    comm->agree(failure);
    counted = !comm->any(!counted);  // every rank cuts alike, even if its file system says otherwise
    return counted ? engine::balanced_bounds(degrees, comm->size()) : engine::even_bounds(total, comm->size());
  }

  /// Runs batch b from where the run stands; false when a stop request ended it.
  bool run_batch(std::size_t b, SimulationOutcome& out) {
    const std::size_t first = b * plan_.batch_size, count = std::min(plan_.batch_size, plan_.network_count() - first);
    Simulator sim = make_simulator(first, count);
    if (!plan_.setup.stimuli.empty()) sim.set_stimuli(plan_.setup.stimuli);
    const bool resuming_here = resume_ && b == resume_->batch;
    bool state_loaded = resuming_here && resume_->has_state;
    if (state_loaded) sim.load_state(resume_->state);
    if (!state_loaded && !plan_.load_state.empty()) {  // --load-state: an equilibrated start
      sim.load_state(load_saved_state().state);
      state_loaded = true;
    }
    if (!resuming_here) pos_.eq_done = pos_.rec_done = 0;
    dt_ms_ = sim.dt();
    const std::int64_t chunk = chunk_of(sim);
    if (plan_.records()) agreed([&] { sim.check_recording(chunk, plan_.dtype); });  // refuse before running
    if (plan_.records() && !outputs_.is_open()) {  // collective when the ranks write in parallel
      outputs_.open(resume_ != nullptr);
      if (checkpointed_) outputs_.keep_on_failure();
    }
    if (b == 0) report_start(sim);
    const BatchRows rows = outputs_.rows_of(first, count);
    if (distributed()) {
      std::string bounds;
      for (std::size_t x : sim.options().partition) bounds += (bounds.empty() ? "" : ", ") + std::to_string(x);
      obs_.debug("batch " + std::to_string(b + 1) + ": partition boundaries " + bounds + " (rank r owns [b_r, b_r+1))");
    }
    obs_.debug("batch " + std::to_string(b + 1) + "/" + std::to_string(plan_.batches()) + ": networks " +
               std::to_string(first) + " to " + std::to_string(first + count - 1) + ", " +
               std::to_string(sim.total_neurons()) + " neurons, " + std::to_string(sim.total_synapses()) +
               " synapses; chunks of " + std::to_string(chunk) + " steps");
    bool fresh = !state_loaded;
    if (plan_.steps == 0) return equilibrate_only(sim, b, fresh, out);
    while (pos_.rec_done < plan_.steps) {
      const std::int64_t steps_before = pos_.steps_before;
      run_chunk(sim, rows, chunk, fresh);
      if (pos_.steps_before > steps_before) fresh = false;  // a run stopped before its first step drew nothing
      // Every rank decides alike (rank 0 may see a request while it writes the chunk).
      const bool stopping = agreed_stop(last_stopped_ || (stop_ && stop_->load()));
      if (stopping) {
        out.stopped = true;
        out.batch = b;
        out.recorded_done = pos_.rec_done;
        out.summary = pos_.totals;
        if (!plan_.checkpoint.empty()) {
          save_checkpoint(b, fresh ? nullptr : &sim);  // no state yet: the batch starts fresh on resume
          outputs_.keep();
          out.checkpoint_saved = true;
        }
        return false;  // without a checkpoint the writers remove their partial files
      }
      if (!plan_.checkpoint.empty() && pos_.rec_done < plan_.steps) save_checkpoint(b, &sim);
    }
    if (!plan_.save_state.empty()) save_state(sim);
    return true;
  }

  /// --steps 0: the equilibration alone (stimuli off), then the state saved.
  bool equilibrate_only(Simulator& sim, std::size_t b, bool fresh, SimulationOutcome& out) {
    if (fresh) sim.reset_random_state();
    if (plan_.equilibration > 0) {
      RunOptions ro;
      ro.steps = plan_.equilibration;
      ro.equilibration_steps = 0;
      ro.record = false;
      ro.fresh_state = false;
      ro.stimulus = false;
      ro.stop = stop_;
      ro.progress = [&](std::int64_t done, std::int64_t total) { obs_.progress(done, total); };
      const RunSummary s = sim.run(ro).summary;
      pos_.totals = s;
      pos_.have_totals = true;
      if (s.stopped) {
        out.stopped = true;
        out.batch = b;
        return false;  // nothing is saved: the state would not be the one asked for
      }
    }
    save_state(sim);
    return true;
  }

  SavedState saved_identity() const {
    SavedState s;
    s.model = model_name(plan_.setup.model);
    s.replicas = plan_.options.replicas;
    s.seed = plan_.options.seed;
    const Settings& st = plan_.settings;
    s.networks = st.text_if("weights").value_or(st.text_if("generate").value_or(""));
    if (st.has("weights"))
      for (const auto& e : plan_.networks.source.entries()) {
        std::vector<std::string> files;
        add_files(e, files);
        for (const auto& f : files) s.inputs.push_back(identify_file(f));
      }
    return s;
  }

  void save_state(const Simulator& sim) {
    SavedState s = saved_identity();
    s.state = sim.save_state();  // collective in a distributed run
    if (!root_) return;
    write_state_file(plan_.save_state, s);
    obs_.debug("saved the state at global step " + std::to_string(s.state.step) + " to " + plan_.save_state);
  }

  /// The saved state, refused unless it belongs to these networks, this model and these replicas.
  SavedState load_saved_state() const {
    SavedState saved = read_state_file(plan_.load_state);
    const SavedState now = saved_identity();
    const std::string where = "--load-state '" + plan_.load_state + "': ";
    if (saved.model != now.model)
      throw Error(where + "saved for the model " + saved.model + ", not " + now.model);
    if (saved.replicas != now.replicas)
      throw Error(where + "saved with " + std::to_string(saved.replicas) + " replica(s), not " +
                  std::to_string(now.replicas));
    bool same = saved.inputs.size() == now.inputs.size() && (!now.inputs.empty() || saved.networks == now.networks);
    for (std::size_t k = 0; same && k < now.inputs.size(); ++k)
      same = saved.inputs[k].size == now.inputs[k].size && saved.inputs[k].checksum == now.inputs[k].checksum;
    if (!same)
      throw Error(where + "saved for the networks '" + saved.networks + "' (" + std::to_string(saved.inputs.size()) +
                  " file(s)), which differ from '" + now.networks + "': a state belongs to its networks");
    return saved;
  }

  void run_chunk(Simulator& sim, const BatchRows& rows, std::int64_t chunk, bool fresh) {
    const std::int64_t c0 = pos_.rec_done;
    RunOptions ro;
    ro.steps = std::min(chunk, plan_.steps - c0);
    ro.equilibration_steps = plan_.equilibration - pos_.eq_done;
    ro.fresh_state = fresh;
    ro.stimulus_start = c0;
    ro.stop = stop_;
    ro.dtype = plan_.dtype;
    const std::int64_t lo = std::max(c0, plan_.window_begin), hi = std::min(c0 + ro.steps, plan_.window_end);
    ro.record = rows.records && lo < hi;
    ro.record_begin = lo - c0;
    ro.record_end = hi - c0;
    ro.record_neurons = rows.selection;
    ro.record_input = !plan_.input_output.empty();
    ro.record_rate = !plan_.rate_output.empty();
    ro.gather_recording = !outputs_.parallel();  // each rank writes its own rows
    const std::int64_t before = pos_.steps_before;
    ro.progress = [&](std::int64_t done, std::int64_t) { obs_.progress(before + done, total_steps()); };
    const SimulationResult res = sim.run(ro);
    if (res.summary.stopped && res.summary.steps_run == 0) {  // stopped before its first step
      last_stopped_ = true;
      return;
    }
    // A stop request ends the run early: only the steps it simulated count.
    const std::int64_t eq_part = std::min(res.summary.steps_run, ro.equilibration_steps);
    const std::int64_t rec_part = res.summary.steps_run - eq_part;
    pos_.steps_before += res.summary.steps_run;
    pos_.eq_done += eq_part;
    pos_.rec_done += rec_part;
    if (ro.record) outputs_.write(rows, res, lo, hi, std::min(c0 + rec_part, plan_.window_end), dt_ms_);
    if (!pos_.have_totals) {
      pos_.totals = res.summary;
      pos_.have_totals = true;
    } else {
      engine::accumulate(pos_.totals, res.summary);
    }
    last_stopped_ = res.summary.stopped;
  }

  void save_checkpoint(std::size_t b, const Simulator* sim) {
    CheckpointData c;
    c.settings = settings_to_json(plan_.settings);
    c.cwd = std::filesystem::current_path().string();
    c.batch = b;
    c.eq_done = pos_.eq_done;
    c.rec_done = pos_.rec_done;
    c.steps_before = pos_.steps_before;
    c.has_totals = pos_.have_totals;
    c.totals = pos_.totals;
    c.has_state = sim != nullptr;
    if (sim) c.state = sim->save_state();  // collective in a distributed run: every rank's part
    outputs_.flush();  // the outputs first (every rank's rows): the checkpoint then names data already on disk
    if (!root_) {
      mark_checkpointed();
      return;
    }
    c.inputs = inputs_;
    for (const auto& tmp : outputs_.partial_files()) {
      std::error_code ec;
      const auto size = fs::file_size(tmp, ec);
      c.outputs.push_back(FileIdentity{tmp, ec ? 0 : static_cast<std::uint64_t>(size), 0});
    }
    write_checkpoint(plan_.checkpoint, c);
    mark_checkpointed();
    obs_.debug("checkpoint: batch " + std::to_string(b) + ", " + std::to_string(pos_.eq_done) + " equilibration + " +
               std::to_string(pos_.rec_done) + " recorded steps done");
  }

  const SimulationPlan& plan_;
  RunObserver& obs_;
  const std::atomic<bool>* stop_;
  const CheckpointData* resume_;
  OutputSet outputs_;
  Position pos_;
  double dt_ms_ = 1.0;
  bool last_stopped_ = false;
  std::optional<CheckpointLock> lock_;
  std::vector<FileIdentity> inputs_;
  bool checkpointed_ = false;  // a checkpoint of this run is on disk and names its partial outputs
  bool root_ = true;           // rank 0 of a distributed run (or the only process) writes
};

}  // namespace

void check_same_plan(const SimulationPlan& plan) { check_same_settings(plan.settings, plan.options.communicator.get()); }

void check_same_settings(const Settings& settings, Communicator* comm) {
  if (!comm || comm->size() == 1) return;
  const std::vector<std::uint64_t> h = comm->gather_sizes(fnv1a(settings_to_json(settings)));
  for (std::size_t r = 1; r < h.size(); ++r)
    if (h[r] != h[0])
      throw Error("distributed run: rank " + std::to_string(r) + " was given other settings than rank 0 (every rank " +
                  "must run the same command with the same arguments and run file)");
}

SimulationOutcome run_simulation(const SimulationPlan& plan, RunObserver& observer, const std::atomic<bool>* stop) {
  check_same_plan(plan);
  observer.planned(plan);
  return SimulationRun(plan, observer, stop, nullptr).run();
}

SimulationOutcome resume_simulation(const std::string& checkpoint, RunObserver& observer,
                                    const std::atomic<bool>* stop, SimulationPlan* plan_out,
                                    std::shared_ptr<Communicator> communicator) {
  const std::string path = std::filesystem::absolute(checkpoint).string();
  // Every rank reads the checkpoint and plans; a failure on any rank (a bad
  // path, a missing input) is every rank's, before any collective of the run.
  CheckpointData c;
  SimulationPlan plan;
  std::exception_ptr failure;
  try {
    c = read_checkpoint(path);
    std::error_code ec;
    std::filesystem::current_path(c.cwd, ec);
    if (ec)
      throw Error("checkpoint '" + path + "': the run's directory '" + c.cwd + "' is not available: " + ec.message());
    plan = plan_simulation(settings_from_json(c.settings, "checkpoint '" + path + "'"), true);
    // Its lock, its partial outputs and its removal at the end go by the name
    // it was written under: a copy or a moved file is refused, not half-used.
    if (path_identity(plan.checkpoint) != path_identity(path))
      throw Error("checkpoint '" + checkpoint + "' was written as '" + path_identity(plan.checkpoint) + "' (in " +
                  c.cwd + "), the name its lock and its run go by: resume it under that name");
  } catch (const Stopped&) {
    throw;
  } catch (...) {
    failure = std::current_exception();
  }
  if (ranks_of(communicator.get()) > 1) communicator->agree(failure);
  else if (failure) std::rethrow_exception(failure);
  plan.options.communicator = std::move(communicator);  // any number of ranks resumes any checkpoint
  check_same_plan(plan);
  if (plan_out) *plan_out = plan;
  observer.planned(plan);
  return SimulationRun(plan, observer, stop, &c).run();
}

}  // namespace cascade::run

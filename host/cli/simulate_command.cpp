// `cascade simulate`: load networks, set the model, run, write the raster.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <variant>

#include <unistd.h>

#include <csignal>

#include "args.hpp"
#include "checkpoint.hpp"
#include "cascade/cascade.hpp"
#include "cascade/engine/engine_layer.hpp"
#include "cascade/engine/gpu_engine.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "json.hpp"
#include "log.hpp"
#include "run_file.hpp"
#include "progress.hpp"

namespace cascade::cli {

namespace {

const char* kHelp =
    "usage: cascade simulate --weights PATH --steps N [options]\n"
    "       cascade simulate RUN.toml [options]   (a run file; options override it)\n"
    "\n"
    "Simulates a network or a dataset and writes the spike counts as .npy with\n"
    "shape [replicas, total neurons, steps] (networks concatenated in dataset\n"
    "order). A network is a dense W0 .npy (rows presynaptic), a Matrix Market\n"
    ".mtx file or an edge-list directory (edge_index.npy [2, E] rows pre, post;\n"
    "weights.npy [E]; optional num_nodes.npy); a dataset is a directory of them,\n"
    "in lexicographic name order (0, 1, 10, ..., 2).\n"
    "\n"
    "options:\n"
    "  --model NAME          bernoulli_glm (default), poisson_glm, rectified_lnp,\n"
    "                        threshold_sam, rectified_sam\n"
    "  --weights PATH        a network or a dataset directory\n"
    "  --generate SPEC       instead of --weights: seeded networks made in memory,\n"
    "                        KIND:n=N[,count=K][,seed=S][,NAME=VALUE...] with\n"
    "                        cascade generate's kinds and parameters\n"
    "  --batch-size B        networks simulated together (default: all); the\n"
    "                        spikes do not depend on it, only memory and speed do\n"
    "  --stimulus SPEC       add a stimulus (repeatable; they add up):\n"
    "                          regular:strength=S,period=P,tau=T[,start=0][,stop=T1]\n"
    "                          poisson:strength=S,mean_interval=M,duration=D[,tau=1][,start=0]\n"
    "                          sin:amplitude=A,period=P,duration=D[,phase=0][,baseline=0]\n"
    "                              [,start=0][,dt=1]\n"
    "                          loaded:PATH (.npy [N, steps] or [N, steps, networks],\n"
    "                              or a directory of per-network [N_k, steps] files)\n"
    "                        times in steps from the first recorded step; off\n"
    "                        during equilibration\n"
    "  --stimulus-mask PATH  neurons the matching --stimulus reaches (in order; 'all'\n"
    "                        or omitted: every neuron): .npy bool/uint8 [N] (every\n"
    "                        network) or [networks, N], or a directory of [N_k] files\n"
    "  --param NAME=VALUE    set a model parameter (repeatable)\n"
    "  --params-file FILE    model, parameters and stimuli from cascade tune's\n"
    "                        --output-params (--model, --param and --stimulus override)\n"
    "  --steps N             recorded steps (required, >= 1)\n"
    "  --equilibration K     unrecorded steps first (default 100)\n"
    "  --replicas R          independent replicas per network (default 1)\n"
    "  --replica-offset K    index of the first replica (default 0)\n"
    "  --seed S              random seed (default 0)\n"
    "  --threads T           CPU threads (default 0 = all cores)\n"
    "  --backend B           auto (default: the GPU when one is present), cpu, gpu\n"
    "  --gpu-strategy S      auto (default), block, step, graph, pull, fused, cluster (docs/gpu.md)\n"
    "  --device D            CUDA device ordinal (default 0)\n"
    "  --record-dtype D      uint8 (default, saturating), int32, float32, bool\n"
    "  --output FILE         .npy: the dense raster (and FILE.npy.json, the\n"
    "                        provenance); .h5: SONATA spikes (one population per\n"
    "                        network and replica, provenance as attributes);\n"
    "                        repeatable; without it only the summary is printed\n"
    "  --record-neurons SEL  record only these neurons: 0-99,200,... (indices over\n"
    "                        all networks, as in the output) or a .npy of indices\n"
    "  --record-window A:B   record only recorded steps A to B-1\n"
    "  --record-input F.npy  also record g of the recorded neuron-steps (float32)\n"
    "  --record-rate F.npy   also record the expected count phi(g) (float32)\n"
    "  --chunk-steps N       record N steps at a time (default: what fits in 256 MiB);\n"
    "                        outputs stream to disk chunk by chunk, spikes unchanged\n"
    "  --checkpoint FILE     save the complete state to FILE (atomically) every\n"
    "                        --checkpoint-every steps and when interrupted\n"
    "                        (SIGINT/SIGTERM); `cascade resume FILE` continues\n"
    "                        the run, bit-identical to an uninterrupted one\n"
    "  --checkpoint-every N  steps between checkpoints (default: every chunk)\n"
    "  --force               overwrite an existing output\n"
    "  --quiet               print nothing but errors\n"
    "  --verbose             also print debug lines (batches, chunks) on stderr\n";

}  // namespace

int simulate_command(const std::vector<std::string>& argv_in, const CheckpointData* resume) {
  std::vector<std::string> argv = resume ? resume->argv : argv_in;
  std::string run_text, run_path;
  if (resume) {
    run_text = resume->run_text;
    run_path = resume->run_path;
  } else {
    expand_run_file(argv, "simulate", &run_text, &run_path);
  }
  const Args args(argv,
                  {"model", "weights", "param", "steps", "equilibration", "replicas", "replica-offset", "seed",
                   "threads", "backend", "gpu-strategy", "device", "record-dtype", "output", "batch-size", "stimulus", "stimulus-mask", "chunk-steps", "generate", "record-neurons", "record-window",
                   "record-input", "record-rate",
                   "params-file", "checkpoint", "checkpoint-every"},
                  {"help", "force", "quiet", "verbose"});
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  set_log_level_from_flags(args.flag("quiet"), args.flag("verbose"));
  if (!args.positional().empty())
    throw Error("simulate: unexpected argument '" + args.positional().front() + "' (see --help)");

  const std::int64_t steps = args.integer("steps", -1, 1, std::int64_t{1} << 40);
  if (!args.value("steps")) throw Error("option --steps is required (see --help)");
  const std::int64_t equilibration = args.integer("equilibration", 100, 0, std::int64_t{1} << 40);
  SimulatorOptions opt;
  opt.replicas = static_cast<std::uint32_t>(args.integer("replicas", 1, 1, kMaxReplica + 1));
  opt.replica_offset = static_cast<std::uint32_t>(args.integer("replica-offset", 0, 0, kMaxReplica));
  opt.seed = args.unsigned_integer("seed", 0);
  opt.threads = static_cast<int>(args.integer("threads", 0, 0, 4096));
  backend_options_from_args(args, opt);
  const RecordDtype dtype = parse_record_dtype(args.value("record-dtype").value_or("uint8"));
  const std::int64_t batch_option = args.integer("batch-size", 0, 1, std::int64_t{1} << 24);
  // Outputs: dense .npy and/or SONATA .h5, each given with --output (repeatable).
  const std::vector<std::string> outputs = args.values("output");
  std::vector<std::string> npy_outputs, h5_outputs;
  for (const auto& o : outputs) {
    const std::string ext = std::filesystem::path(o).extension().string();
    if (ext == ".npy") npy_outputs.push_back(o);
    else if (ext == ".h5") h5_outputs.push_back(o);
    else throw Error("--output '" + o + "': expected a .npy (dense) or .h5 (SONATA spikes) file name");
    check_output_path(o, ext, args.flag("force"), "--output");
    if (std::count(outputs.begin(), outputs.end(), o) > 1) throw Error("--output '" + o + "' is given twice");
  }
  const auto input_output = args.value("record-input"), rate_output = args.value("record-rate");
  for (const auto& o : {input_output, rate_output})
    if (o) check_output_path(*o, ".npy", args.flag("force"), o == input_output ? "--record-input" : "--record-rate");
  const bool record = !outputs.empty() || input_output || rate_output;
  const bool quiet = args.flag("quiet");
  const std::int64_t chunk_option = args.integer("chunk-steps", 0, 1, std::int64_t{1} << 40);
  const auto checkpoint_path = args.value("checkpoint");
  const std::int64_t checkpoint_every = args.integer("checkpoint-every", 0, 1, std::int64_t{1} << 40);
  if (args.value("checkpoint-every") && !checkpoint_path) throw Error("--checkpoint-every needs --checkpoint FILE");
  if (checkpoint_path) {
    if (!h5_outputs.empty())
      throw Error("--checkpoint: a SONATA (.h5) output cannot be resumed (HDF5 files do not survive a kill); "
                  "record .npy with --checkpoint, or drop --checkpoint");
    std::error_code ec;
    const std::filesystem::path cp(*checkpoint_path);
    const auto dir = cp.has_parent_path() ? cp.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(dir, ec))
      throw Error("--checkpoint '" + *checkpoint_path + "': directory '" + dir.string() + "' does not exist");
    if (!resume && std::filesystem::exists(cp, ec) && !args.flag("force"))
      throw Error("--checkpoint '" + *checkpoint_path + "' exists (resume it with `cascade resume " + *checkpoint_path +
                  "`, or pass --force to start over)");
  }

  std::string weights;
  const NetworkSource source = network_source_from_args(args, opt.threads, &weights);
  const std::size_t K = source.size();

  // Model, parameters, stimuli and masks, checked against the dataset before anything runs.
  ModelSetup setup = model_setup_from_args(args, K, weights);
  const AnyModel& model = setup.model;
  const std::vector<Stimulus>& stimuli = setup.stimuli;

  const std::size_t batch = batch_option > 0 ? std::min<std::size_t>(static_cast<std::size_t>(batch_option), K) : K;
  std::vector<std::size_t> first_neuron(K + 1, 0);
  for (std::size_t k = 0; k < K; ++k) first_neuron[k + 1] = first_neuron[k] + source.neuron_count(k);
  const std::size_t total_neurons = first_neuron[K];

  // What to record: a subset of neurons (indices over the whole dataset, in
  // output order) and a window of the recorded steps.
  std::vector<std::uint32_t> selected;  // empty: every neuron
  if (const auto spec = args.value("record-neurons")) selected = parse_neuron_selection(*spec, total_neurons);
  std::int64_t w0 = 0, w1 = steps;
  if (const auto w = args.value("record-window")) {
    const std::size_t colon = w->find(':');
    char* e1 = nullptr;
    char* e2 = nullptr;
    const std::string a = w->substr(0, colon), bpart = colon == std::string::npos ? "" : w->substr(colon + 1);
    w0 = std::strtoll(a.c_str(), &e1, 10);
    w1 = std::strtoll(bpart.c_str(), &e2, 10);
    if (colon == std::string::npos || e1 == a.c_str() || *e1 || e2 == bpart.c_str() || *e2 || w0 < 0 || w1 <= w0 ||
        w1 > steps)
      throw Error("--record-window '" + *w + "': expected START:STOP with 0 <= START < STOP <= steps (" +
                  std::to_string(steps) + ")");
  }
  const std::size_t n_out = selected.empty() ? total_neurons : selected.size();
  const std::size_t window = static_cast<std::size_t>(w1 - w0);

  // A dense output must fit on its disk (the raster itself streams in chunks).
  for (const auto& o : npy_outputs) {
    const double bytes = static_cast<double>(opt.replicas) * static_cast<double>(n_out) *
                         static_cast<double>(window) * static_cast<double>(record_dtype_size(dtype));
    std::error_code ec;
    const auto dir = std::filesystem::absolute(o).parent_path();
    const auto space = std::filesystem::space(dir, ec);
    if (!ec && bytes > static_cast<double>(space.available)) {
      std::ostringstream os;
      os.precision(3);
      os << "--output '" << o << "': the dense recording [" << opt.replicas << ", " << n_out << ", " << window
         << "] as " << record_dtype_name(dtype) << " needs " << bytes / 1073741824.0 << " GiB but only "
         << static_cast<double>(space.available) / 1073741824.0 << " GiB are free in '" << dir.string()
         << "'; record fewer steps, replicas or networks, a 1-byte dtype, or SONATA (.h5) spikes";
      throw Error(os.str());
    }
  }
  std::vector<std::unique_ptr<NpyFileWriter>> npy_writers;  // opened once the first batch passed its checks
  std::vector<std::unique_ptr<SonataWriter>> h5_writers;
  std::unique_ptr<NpyFileWriter> input_writer, rate_writer;
  bool writers_open = false;
  const std::size_t item = record_dtype_size(dtype);
  const auto started = std::chrono::system_clock::now();
  RunSummary s;
  const std::size_t n_batches = (K + batch - 1) / batch;
  // SONATA populations: one per network and replica, in dataset order.
  std::vector<std::pair<std::string, std::size_t>> populations;
  for (std::size_t k = 0; k < K; ++k)
    for (std::uint32_t r = 0; r < opt.replicas; ++r)
      populations.emplace_back("net" + std::to_string(k) + "_r" + std::to_string(opt.replica_offset + r),
                               first_neuron[k + 1] - first_neuron[k]);
  double dt_ms = 1.0;
  Progress progress(!quiet, "steps", static_cast<std::int64_t>(n_batches) * (equilibration + steps));
  std::int64_t steps_before = resume ? resume->steps_before : 0;  // steps of earlier batches and chunks
  bool have_totals = resume && resume->has_totals;
  if (have_totals) s = resume->totals;
  if (resume && resume->batch > n_batches)
    throw Error("checkpoint: batch " + std::to_string(resume->batch) + " does not exist in this run (the dataset changed?)");
  install_stop_signals();
  // Where the run stands: batch, equilibration and recorded steps done in it.
  std::int64_t eq_done = resume ? resume->eq_done : 0, rec_done = resume ? resume->rec_done : 0;
  auto save_checkpoint = [&](std::size_t b, const Simulator* sim) {
    CheckpointData c;
    c.argv = argv;
    c.run_text = run_text;
    c.run_path = run_path;
    c.cwd = std::filesystem::current_path().string();
    c.batch = b;
    c.eq_done = eq_done;
    c.rec_done = rec_done;
    c.steps_before = steps_before;
    c.has_totals = have_totals;
    c.totals = s;
    c.has_state = sim != nullptr;
    if (sim) c.state = sim->save_state();
    // The outputs first: the checkpoint then names data already on disk.
    for (auto& w : npy_writers) w->flush();
    if (input_writer) input_writer->flush();
    if (rate_writer) rate_writer->flush();
    write_checkpoint(*checkpoint_path, c);
    log_debug("checkpoint: batch %zu, %lld equilibration + %lld recorded steps done", b, static_cast<long long>(eq_done),
              static_cast<long long>(rec_done));
  };
  for (std::size_t b = resume ? resume->batch : 0; b < n_batches; ++b) {
    const std::size_t first = b * batch, count = std::min(batch, K - first);
    Simulator sim(model, source.load_range(first, count), opt);
    if (!stimuli.empty()) sim.set_stimuli(stimuli);
    const bool state_loaded = resume && b == resume->batch && resume->has_state;
    if (state_loaded) sim.load_state(resume->state);
    if (!(resume && b == resume->batch)) eq_done = rec_done = 0;
    dt_ms = sim.dt();
    // Record in chunks of steps small enough to hold (256 MiB of raster at
    // most), so that long runs stream to disk; the random streams are keyed
    // by the global step, so chunking changes no spike.
    const std::size_t per_step = static_cast<std::size_t>(opt.replicas) * sim.total_neurons() * item;
    std::int64_t chunk =
        record ? std::max<std::int64_t>(1, std::min<std::int64_t>(steps, static_cast<std::int64_t>((std::size_t{256} << 20) / per_step)))
               : steps;
    if (chunk_option > 0) chunk = std::min(chunk_option, steps);
    if (checkpoint_path && checkpoint_every > 0) chunk = std::min(chunk, checkpoint_every);
    if (record) sim.check_recording(chunk, dtype);  // refuse before running
    if (record && !writers_open) {
      writers_open = true;
      for (const auto& o : npy_outputs)
        npy_writers.push_back(
            std::make_unique<NpyFileWriter>(o, to_npy_dtype(dtype), std::vector<std::size_t>{opt.replicas, n_out, window},
                                            resume != nullptr));
      if (input_output)
        input_writer = std::make_unique<NpyFileWriter>(*input_output, NpyDtype::kFloat32,
                                                       std::vector<std::size_t>{opt.replicas, n_out, window},
                                                       resume != nullptr);
      if (rate_output)
        rate_writer = std::make_unique<NpyFileWriter>(*rate_output, NpyDtype::kFloat32,
                                                      std::vector<std::size_t>{opt.replicas, n_out, window},
                                                      resume != nullptr);
      for (const auto& o : h5_outputs)
        h5_writers.push_back(std::make_unique<SonataWriter>(
            o, populations,
            std::vector<std::pair<std::string, std::string>>{{"cascade_version", kVersion},
                                                             {"git_hash", build_info().git_hash},
                                                             {"rng_stream", kRngStreamVersion}}));
    }
    if (b == 0)
      log_info("%s on %zu network(s) (%zu neurons%s), %u replica(s); seed %llu; backend %s",
                  model_name(model).c_str(), K, total_neurons,
                  n_batches > 1 ? (", in " + std::to_string(n_batches) + " batches of up to " +
                                   std::to_string(batch)).c_str()
                                : (", " + std::to_string(sim.total_synapses()) + " synapses").c_str(),
                  opt.replicas, static_cast<unsigned long long>(opt.seed), sim.backend().c_str());
    std::vector<std::size_t> local_first(count + 1, 0);
    for (std::size_t k = 0; k < count; ++k)
      local_first[k + 1] = local_first[k] + (first_neuron[first + k + 1] - first_neuron[first + k]);
    // The batch's recorded neurons (batch-global) and their first output row.
    const std::size_t b0 = first_neuron[first], b1 = first_neuron[first + count];
    std::vector<std::uint32_t> batch_sel;
    std::size_t out_row = b0;
    if (!selected.empty()) {
      const auto lo = std::lower_bound(selected.begin(), selected.end(), b0);
      const auto hi = std::lower_bound(selected.begin(), selected.end(), b1);
      out_row = static_cast<std::size_t>(lo - selected.begin());
      for (auto it = lo; it != hi; ++it) batch_sel.push_back(static_cast<std::uint32_t>(*it - b0));
    }
    const bool batch_records = record && (selected.empty() || !batch_sel.empty());
    const std::size_t rows = selected.empty() ? sim.total_neurons() : batch_sel.size();
    // SONATA: per network of the batch, its recorded rows and node ids.
    std::vector<std::vector<std::size_t>> net_rows(count);
    std::vector<std::vector<std::uint64_t>> net_ids(count);
    for (std::size_t j = 0; j < rows; ++j) {
      const std::size_t g = selected.empty() ? j : batch_sel[j];
      const std::size_t k = static_cast<std::size_t>(std::upper_bound(local_first.begin(), local_first.end(), g) -
                                                     local_first.begin()) - 1;
      net_rows[k].push_back(j);
      net_ids[k].push_back(g - local_first[k]);
    }
    log_debug("batch %zu/%zu: networks %zu to %zu, %zu neurons, %zu synapses; chunks of %lld steps", b + 1, n_batches,
              first, first + count - 1, sim.total_neurons(), sim.total_synapses(), static_cast<long long>(chunk));
    bool fresh = !state_loaded;
    while (rec_done < steps) {
      const std::int64_t c0 = rec_done;
      RunOptions ro;
      ro.steps = std::min(chunk, steps - c0);
      ro.equilibration_steps = equilibration - eq_done;
      ro.fresh_state = fresh;
      fresh = false;
      ro.stimulus_start = c0;
      ro.stop = &stop_requested();
      ro.dtype = dtype;
      const std::int64_t lo = std::max(c0, w0), hi = std::min(c0 + ro.steps, w1);
      ro.record = batch_records && lo < hi;
      ro.record_begin = lo - c0;
      ro.record_end = hi - c0;
      ro.record_neurons = batch_sel;
      ro.record_input = input_output.has_value();
      ro.record_rate = rate_output.has_value();
      ro.progress = [&](std::int64_t done, std::int64_t) { progress.update(steps_before + done); };
      const SimulationResult res = sim.run(ro);
      // A stop request ends the run early: only the steps it simulated count.
      const std::int64_t eq_part = std::min(res.summary.steps_run, ro.equilibration_steps);
      const std::int64_t rec_part = res.summary.steps_run - eq_part;
      steps_before += res.summary.steps_run;
      eq_done += eq_part;
      rec_done += rec_part;
      const std::int64_t hi_done = std::min(c0 + rec_part, w1);
      if (ro.record && hi_done > lo) {
        // Rows of the result are hi - lo steps long; hi_done - lo of them were simulated.
        const std::size_t n = static_cast<std::size_t>(hi_done - lo), stride = static_cast<std::size_t>(hi - lo),
                          t_off = static_cast<std::size_t>(lo - w0);
        // Row j of replica r goes to output row out_row + j at time t_off;
        // whole windows make one contiguous block per replica.
        auto write_rows = [&](NpyFileWriter& w, const std::uint8_t* data, std::size_t it) {
          for (std::size_t r = 0; r < opt.replicas; ++r) {
            if (n == window) {
              w.write((r * n_out + out_row) * window * it, data + r * rows * n * it, rows * n * it);
            } else {
              for (std::size_t j = 0; j < rows; ++j)
                w.write(((r * n_out + out_row + j) * window + t_off) * it, data + (r * rows + j) * stride * it, n * it);
            }
          }
        };
        for (auto& w : npy_writers) write_rows(*w, res.raster.data(), item);
        if (input_writer) write_rows(*input_writer, reinterpret_cast<const std::uint8_t*>(res.input.data()), 4);
        if (rate_writer) write_rows(*rate_writer, reinterpret_cast<const std::uint8_t*>(res.rate.data()), 4);
        for (auto& w : h5_writers)
          for (std::size_t k = 0; k < count; ++k)
            for (std::uint32_t r = 0; r < opt.replicas; ++r)
              w->append_rows((first + k) * opt.replicas + r, res.raster, r, net_rows[k], net_ids[k], lo, dt_ms);
      }
      const RunSummary& bs = res.summary;
      if (!have_totals) {
        s = bs;
        have_totals = true;
      } else {
        engine::accumulate(s, bs);
      }
      if (bs.stopped || stop_requested().load()) {
        progress.finish();
        const int sig = stop_signal();
        const char* name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
        if (checkpoint_path) {
          save_checkpoint(b, &sim);
          for (auto& w : npy_writers) w->keep();
          if (input_writer) input_writer->keep();
          if (rate_writer) rate_writer->keep();
          std::fprintf(stderr,
                       "cascade: interrupted by %s after %lld of %lld recorded steps (batch %zu of %zu); the outputs "
                       "are incomplete (*.tmp). Resume with: cascade resume %s\n",
                       name, static_cast<long long>(rec_done), static_cast<long long>(steps), b + 1, n_batches,
                       checkpoint_path->c_str());
        } else {
          std::fprintf(stderr,
                       "cascade: interrupted by %s after %lld of %lld recorded steps; nothing was written (the partial "
                       "outputs were removed). Run with --checkpoint FILE to be able to resume.\n",
                       name, static_cast<long long>(rec_done), static_cast<long long>(steps));
        }
        return 128 + (sig ? sig : SIGINT);
      }
      if (checkpoint_path && rec_done < steps) save_checkpoint(b, &sim);
    }
    eq_done = rec_done = 0;
    if (checkpoint_path && b + 1 < n_batches) save_checkpoint(b + 1, nullptr);
  }
  progress.finish();
  s.mean_rate_hz = engine::mean_rate_hz(s.recorded_spike_count, s.recorded_neuron_steps, s.dt);

  if (record) {
    std::ostringstream js;
    const std::string when = utc_time_text(started);
    js << provenance_prefix("simulate", argv, run_path, run_text) << ",\n  \"model\": \"" << model_name(model)
       << "\",\n  \"params\": {";
    const auto params = list_params(model);
    for (std::size_t i = 0; i < params.size(); ++i)
      js << (i ? ", " : "") << "\"" << params[i].name << "\": " << json_number(params[i].value);
    js << "},\n  \"stimuli\": [";
    const auto sp = list_stimulus_params(stimuli);
    for (std::size_t k = 0; k < stimuli.size(); ++k) {
      js << (k ? ", " : "") << "{\"kind\": \"" << stimulus_kind_name(stimuli[k].spec) << "\", \"spec\": \""
         << json_escape(setup.stimulus_specs[k]) << "\", \"params\": {";
      bool firstp = true;
      const std::string prefix = "stimulus" + std::to_string(k) + ".";
      for (const auto& p : sp)
        if (p.name.rfind(prefix, 0) == 0) {
          js << (firstp ? "" : ", ") << "\"" << p.name.substr(prefix.size()) << "\": " << json_number(p.value);
          firstp = false;
        }
      js << "}, \"mask\": \"" << json_escape(stimuli[k].mask_source.empty() ? "all" : stimuli[k].mask_source)
         << "\"}";
    }
    js << "],\n  \"networks\": [";
    for (std::size_t i = 0; i < K; ++i)
      js << (i ? ", " : "") << "{\"file\": \"" << json_escape(source.entries()[i]) << "\", \"instance_id\": " << i
         << ", \"neurons\": " << first_neuron[i + 1] - first_neuron[i] << "}";
    js << "],\n  \"batch_size\": " << batch
       << ",\n  \"dt_ms\": " << json_number(dt_ms) << ",\n  \"recorded_neurons\": \""
       << json_escape(args.value("record-neurons").value_or("all")) << "\",\n  \"record_window\": [" << w0 << ", " << w1
       << "]" << ",\n  \"shape\": [" << opt.replicas << ", " << n_out
       << ", " << window << "],\n  \"dtype\": \"" << record_dtype_name(dtype) << "\",\n  \"seed\": " << opt.seed
       << ",\n  \"replica_offset\": " << opt.replica_offset << ",\n  \"equilibration_steps\": " << equilibration
       << ",\n  \"device\": \"" << json_escape(s.backend == "gpu" ? s.device : host_cpu_name()) << "\""
       << (s.backend == "gpu" ? ",\n  \"gpu_strategy\": \"" + s.gpu_strategy + "\"" : std::string())
       << ",\n  \"backend\": \"" << s.backend << "\",\n  \"threads\": " << s.threads << ",\n  \"started\": \"" << when
       << "\",\n  \"wall_seconds\": " << json_number(s.wall_seconds) << ",\n  \"mean_rate_hz\": " << json_number(s.mean_rate_hz)
       << ",\n  \"synaptic_events\": " << s.synaptic_events << ",\n  \"rate_capped\": " << s.rate_capped
       << ",\n  \"counts_saturated\": " << s.counts_saturated << "\n}\n";
    for (auto& w : npy_writers) w->commit();
    if (input_writer) input_writer->commit();
    if (rate_writer) rate_writer->commit();
    for (const auto& o : npy_outputs) write_text_file(o + ".json", js.str());
    for (auto& w : h5_writers) {
      w->set_attribute("provenance", js.str());
      w->commit();
    }
  }
  if (s.backend == "gpu")
    log_info("GPU: %s, strategy %s, %.3f GiB of device memory", s.device.c_str(), s.gpu_strategy.c_str(),
             static_cast<double>(s.device_bytes) / 1073741824.0);
  log_info("%lld steps (+%lld equilibration) in %.3f s on %d thread(s); mean rate %.4g Hz; %llu synaptic events",
           static_cast<long long>(steps), static_cast<long long>(equilibration), s.wall_seconds, s.threads,
           s.mean_rate_hz, static_cast<unsigned long long>(s.synaptic_events));
  if (s.rate_capped)
    log_warning("%llu Poisson means exceeded %g and were capped", static_cast<unsigned long long>(s.rate_capped),
                kMaxPoissonMean);
  if (s.counts_saturated)
    log_warning("%llu counts saturated at 255", static_cast<unsigned long long>(s.counts_saturated));
  if (dtype == RecordDtype::kBool && !npy_outputs.empty())
    log_info("note: bool records whether a neuron spiked, not how often");
  if (checkpoint_path) {
    std::remove(checkpoint_path->c_str());  // the run is complete: nothing to resume
    log_info("checkpoint %s removed (the run completed)", checkpoint_path->c_str());
  }
  for (const auto& o : npy_outputs) log_info("wrote %s and %s.json", o.c_str(), o.c_str());
  for (const auto& o : h5_outputs) log_info("wrote %s (SONATA spikes)", o.c_str());
  return 0;
}

int resume_command(const std::vector<std::string>& argv) {
  const Args args(argv, {}, {"help", "quiet", "verbose"});
  if (args.flag("help")) {
    std::puts("usage: cascade resume FILE [--quiet|--verbose]\n\n"
              "Continues the run that `cascade simulate --checkpoint FILE` saved (when interrupted or killed):\n"
              "same arguments, same working directory, and outputs bit-identical to an uninterrupted run.");
    return 0;
  }
  if (args.positional().size() != 1) throw Error("resume: expected one checkpoint file (cascade resume FILE)");
  const std::string path = std::filesystem::absolute(args.positional().front()).string();
  CheckpointData c = read_checkpoint(path);
  std::error_code ec;
  std::filesystem::current_path(c.cwd, ec);
  if (ec) throw Error("checkpoint '" + path + "': the run's directory '" + c.cwd + "' is not available: " + ec.message());
  if (args.flag("quiet")) c.argv.push_back("--quiet");
  if (args.flag("verbose")) c.argv.push_back("--verbose");
  return simulate_command({}, &c);
}

int info_command(const std::vector<std::string>& argv) {
  const Args args(argv, {}, {"help"});
  if (args.flag("help")) {
    std::puts("usage: cascade info\n\nPrints the version, build options, visible GPUs and CPU threads.");
    return 0;
  }
  const BuildInfo b = build_info();
  std::printf("cascade %s (git %s)\nrng stream: %s\nbuild: %s, %s\nCUDA kernels built: %s\n", b.version.c_str(),
              b.git_hash.c_str(), kRngStreamVersion, b.build_type.c_str(), b.compiler.c_str(),
              b.cuda ? ("yes (sm_" + b.cuda_architectures + ")").c_str() : "no");
  const std::vector<std::string> devices = gpu_device_descriptions();
  if (devices.empty()) std::printf("GPUs: none visible\n");
  for (std::size_t d = 0; d < devices.size(); ++d) std::printf("GPU %zu: %s\n", d, devices[d].c_str());
  std::printf("GPU engine: %s\n", !gpu_engine_built() ? "not in this build (CPU only)"
                                   : devices.empty() ? "built; no device, so --backend auto runs on the CPU"
                                                     : "built; --backend auto runs on GPU 0");
  std::printf("CPU threads (default): %d\nmodels:", resolve_thread_count(0));
  for (const auto& m : model_names()) std::printf(" %s", m.c_str());
  std::printf("\n");
  return 0;
}

}  // namespace cascade::cli

// `cascade tune`: Adam on the expected firing rate; writes the tuned
// parameters (and the history) as JSON that `cascade simulate --params-file` reads.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "args.hpp"
#include "cascade/cascade.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "json.hpp"
#include "log.hpp"
#include "run_file.hpp"
#include "progress.hpp"

namespace cascade::cli {

namespace {

const char* kHelp =
    "usage: cascade tune --weights PATH --target-hz F [options]\n"
    "       cascade tune RUN.toml [options]   (a run file with a [tune] section)\n"
    "\n"
    "Tunes parameters so that the expected firing rate mean phi(g) * 1000 / dt\n"
    "over all neurons, networks and replicas matches F Hz: each epoch draws a\n"
    "fresh initial state, equilibrates (stimulus off), simulates --steps steps,\n"
    "and takes one Adam step on (F - rate)^2 with a hand-written gradient\n"
    "(spikes held fixed). The same seed gives the same result on any thread count.\n"
    "\n"
    "options:\n"
    "  --model NAME          bernoulli_glm (default), poisson_glm, rectified_lnp,\n"
    "                        rectified_sam (threshold_sam has no rate to tune)\n"
    "  --weights PATH        a network or a dataset directory (all of its\n"
    "                        networks form the objective)\n"
    "  --generate SPEC       instead of --weights (see cascade simulate --help)\n"
    "  --param NAME=VALUE    starting value of a model parameter (repeatable)\n"
    "  --params-file FILE    start from a previous --output-params\n"
    "  --stimulus SPEC       a stimulus (repeatable; see cascade simulate --help)\n"
    "  --stimulus-mask PATH  its mask (in order; 'all' for every neuron)\n"
    "  --target-hz F         target rate (required)\n"
    "  --tune SEL            all (default), model, stimulus, or names separated by\n"
    "                        commas (theta,stimulus0.strength); repeatable\n"
    "  --epochs E            Adam steps (default 100)\n"
    "  --steps N             recorded steps per epoch (default 100)\n"
    "  --equilibration K     unrecorded steps per epoch first (default 10)\n"
    "  --lr LR               Adam learning rate (default 0.1)\n"
    "  --replicas R          independent replicas per network (default 1)\n"
    "  --seed S              random seed (default 0)\n"
    "  --threads T           CPU threads (default 0 = all cores)\n"
    "  --backend B           auto (default: the GPU when one is present), cpu, gpu;\n"
    "                        each epoch's simulation and its replay run there\n"
    "  --gpu-strategy S      auto (default), block, step, graph, pull, fused, cluster (docs/gpu.md)\n"
    "  --device D            CUDA device ordinal (default 0)\n"
    "  --output-params FILE  write the tuned parameters and the history (.json)\n"
    "  --force               overwrite an existing output\n"
    "  --quiet               print nothing but errors\n"
    "  --verbose             also print every epoch on stderr\n";

double parse_double(const Args& args, const std::string& name, double fallback) {
  const auto v = args.value(name);
  if (!v) return fallback;
  char* end = nullptr;
  const double x = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end != '\0') throw Error("option --" + name + ": '" + *v + "' is not a number");
  return x;
}

}  // namespace

int tune_command(const std::vector<std::string>& argv_in) {
  std::vector<std::string> argv = argv_in;
  std::string run_text, run_path;
  expand_run_file(argv, "tune", &run_text, &run_path);
  const Args args(argv,
                  {"model", "weights", "param", "params-file", "stimulus", "stimulus-mask", "target-hz", "tune",
                   "epochs", "steps", "equilibration", "lr", "replicas", "seed", "threads", "backend",
                   "gpu-strategy", "device", "output-params", "generate"},
                  {"help", "force", "quiet", "verbose"});
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  set_log_level_from_flags(args.flag("quiet"), args.flag("verbose"));
  if (!args.positional().empty())
    throw Error("tune: unexpected argument '" + args.positional().front() + "' (see --help)");
  if (!args.value("target-hz")) throw Error("option --target-hz is required (see --help)");
  TuneOptions o;
  o.target_hz = parse_double(args, "target-hz", 0);
  o.lr = parse_double(args, "lr", o.lr);
  o.epochs = args.integer("epochs", o.epochs, 1, 100000000);
  o.steps = args.integer("steps", o.steps, 1, std::int64_t{1} << 40);
  o.equilibration = args.integer("equilibration", o.equilibration, 0, std::int64_t{1} << 40);
  const auto sel = args.values("tune");
  if (!sel.empty()) {
    o.selection.clear();
    for (const auto& s : sel) {
      std::size_t pos = 0;
      while (pos <= s.size()) {
        const std::size_t comma = std::min(s.find(',', pos), s.size());
        const std::string item = s.substr(pos, comma - pos);
        if (item.empty()) throw Error("--tune '" + s + "': empty name");
        o.selection.push_back(item);
        pos = comma + 1;
      }
    }
  }
  validate_tune_options(o);
  SimulatorOptions so;
  so.replicas = static_cast<std::uint32_t>(args.integer("replicas", 1, 1, kMaxReplica + 1));
  so.seed = args.unsigned_integer("seed", 0);
  so.threads = static_cast<int>(args.integer("threads", 0, 0, 4096));
  backend_options_from_args(args, so);
  const auto output = args.value("output-params");
  if (output) check_output_path(*output, ".json", args.flag("force"), "--output-params");
  const bool quiet = args.flag("quiet");

  std::string weights;
  const NetworkSource source = network_source_from_args(args, so.threads, &weights);
  ModelSetup setup = model_setup_from_args(args, source.size(), weights);
  const std::vector<Network> networks = source.load_range(0, source.size());
  const auto names = resolve_tunable(setup.model, setup.stimuli, o.selection);  // errors before any run
  std::string tuned_names;
  for (const auto& n : names) {
    if (!tuned_names.empty()) tuned_names += ", ";
    tuned_names += n;
  }
  log_info("tuning %s of %s on %zu network(s) to %g Hz: %lld epochs of %lld steps, lr %g, seed %llu",
           tuned_names.c_str(), model_name(setup.model).c_str(), networks.size(), o.target_hz,
           static_cast<long long>(o.epochs), static_cast<long long>(o.steps), o.lr,
           static_cast<unsigned long long>(so.seed));
  const auto started = std::chrono::system_clock::now();
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t every = std::max<std::int64_t>(1, o.epochs / 20);
  Progress bar(!quiet && isatty(STDERR_FILENO), "epochs", o.epochs);  // a bar only on a terminal
  const TuneResult r = tune(setup.model, networks, setup.stimuli, so, o, [&](const TuneEpoch& e, std::int64_t total) {
    char rate[64];
    std::snprintf(rate, sizeof rate, "rate %.4g Hz", e.rate_hz);
    bar.update(e.epoch + 1, rate);
    log_debug("epoch %lld: rate %.6g Hz, loss %.6g", static_cast<long long>(e.epoch + 1), e.rate_hz, e.loss);
    if (!quiet && ((e.epoch + 1) % every == 0 || e.epoch + 1 == total)) {
      bar.finish();
      log_info("epoch %lld/%lld: rate %.5g Hz, loss %.5g", static_cast<long long>(e.epoch + 1),
                  static_cast<long long>(total), e.rate_hz, e.loss);
    }
  });
  bar.finish();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (output) {
    std::ostringstream js;
    const std::string when = utc_time_text(started);
    js << provenance_prefix("tune", argv, run_path, run_text) << ",\n  \"model\": \"" << model_name(r.model)
       << "\",\n  \"params\": {";
    const auto params = list_params(r.model);
    for (std::size_t i = 0; i < params.size(); ++i)
      js << (i ? ", " : "") << "\"" << params[i].name << "\": " << json_number(params[i].value);
    js << "},\n  \"stimuli\": [";
    for (std::size_t k = 0; k < r.stimuli.size(); ++k)
      js << (k ? ", " : "") << "{\"spec\": \"" << json_escape(stimulus_spec_string(r.stimuli[k])) << "\", \"mask\": \""
         << json_escape(r.stimuli[k].mask_source.empty() ? "all" : r.stimuli[k].mask_source) << "\"}";
    js << "],\n  \"tuned\": [";
    for (std::size_t q = 0; q < r.names.size(); ++q) js << (q ? ", " : "") << "\"" << r.names[q] << "\"";
    js << "],\n  \"initial\": {";
    for (std::size_t q = 0; q < r.names.size(); ++q)
      js << (q ? ", " : "") << "\"" << r.names[q] << "\": " << json_number(r.initial[q]);
    js << "},\n  \"final\": {";
    for (std::size_t q = 0; q < r.names.size(); ++q)
      js << (q ? ", " : "") << "\"" << r.names[q] << "\": " << json_number(r.final[q]);
    js << "},\n  \"target_hz\": " << json_number(o.target_hz) << ",\n  \"lr\": " << json_number(o.lr)
       << ",\n  \"epochs\": " << o.epochs << ",\n  \"steps\": " << o.steps << ",\n  \"equilibration\": "
       << o.equilibration << ",\n  \"gradient\": \"" << r.gradient_path << "\",\n  \"replicas\": " << so.replicas << ",\n  \"seed\": " << so.seed
       << ",\n  \"networks\": [";
    for (std::size_t i = 0; i < source.size(); ++i)
      js << (i ? ", " : "") << "\"" << json_escape(source.entries()[i]) << "\"";
    js << "],\n  \"started\": \"" << when << "\",\n  \"wall_seconds\": " << json_number(wall)
       << ",\n  \"history\": [\n";
    for (std::size_t e = 0; e < r.history.size(); ++e) {
      const auto& h = r.history[e];
      js << "    {\"epoch\": " << h.epoch << ", \"loss\": " << json_number(h.loss) << ", \"rate_hz\": "
         << json_number(h.rate_hz) << ", \"values\": [";
      for (std::size_t q = 0; q < h.values.size(); ++q) js << (q ? ", " : "") << json_number(h.values[q]);
      js << "]}" << (e + 1 < r.history.size() ? ",\n" : "\n");
    }
    js << "  ]\n}\n";
    write_text_file(*output, js.str());
  }
  for (std::size_t q = 0; q < r.names.size(); ++q)
    log_info("%s: %.10g -> %.10g", r.names[q].c_str(), r.initial[q], r.final[q]);
  log_info("last epoch rate %.5g Hz (target %g Hz) in %.3f s (gradients: %s)", r.history.back().rate_hz, o.target_hz,
           wall, r.gradient_path.c_str());
  if (output) log_info("wrote %s", output->c_str());
  return 0;
}

}  // namespace cascade::cli

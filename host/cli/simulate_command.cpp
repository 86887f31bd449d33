// `cascade simulate`: load networks, set the model, run, write the raster.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "args.hpp"
#include "cascade/cascade.hpp"
#include "commands.hpp"

namespace cascade::cli {

namespace {

const char* kHelp =
    "usage: cascade simulate --weights PATH --steps N [options]\n"
    "\n"
    "Simulates a network (a dense W0 .npy, rows presynaptic) or a dataset (a\n"
    "directory of them, in lexicographic file-name order) and writes the spike\n"
    "counts as .npy with shape [replicas, total neurons, steps] (networks\n"
    "concatenated in dataset order).\n"
    "\n"
    "options:\n"
    "  --model NAME          bernoulli_glm (default), poisson_glm, rectified_lnp,\n"
    "                        threshold_sam, rectified_sam\n"
    "  --weights PATH        W0 .npy file or directory of them (required)\n"
    "  --param NAME=VALUE    set a model parameter (repeatable)\n"
    "  --steps N             recorded steps (required, >= 1)\n"
    "  --equilibration K     unrecorded steps first (default 100)\n"
    "  --replicas R          independent replicas per network (default 1)\n"
    "  --replica-offset K    index of the first replica (default 0)\n"
    "  --seed S              random seed (default 0)\n"
    "  --threads T           CPU threads (default 0 = all cores)\n"
    "  --backend B           auto (default), cpu, gpu\n"
    "  --record-dtype D      uint8 (default, saturating), int32, float32, bool\n"
    "  --output FILE.npy     where to write the raster (and FILE.npy.json, the\n"
    "                        provenance); without it only the summary is printed\n"
    "  --force               overwrite an existing output\n"
    "  --quiet               print nothing but errors\n";

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += c;
        }
    }
  }
  return o;
}

std::string num(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

}  // namespace

int simulate_command(const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"model", "weights", "param", "steps", "equilibration", "replicas", "replica-offset", "seed",
                   "threads", "backend", "record-dtype", "output"},
                  {"help", "force", "quiet"});
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (!args.positional().empty())
    throw Error("simulate: unexpected argument '" + args.positional().front() + "' (see --help)");

  AnyModel model = make_model(args.value("model").value_or("bernoulli_glm"));
  for (const auto& p : args.values("param")) set_param_assignment(model, p);
  validate_model(model);

  const std::int64_t steps = args.integer("steps", -1, 1, std::int64_t{1} << 40);
  if (!args.value("steps")) throw Error("option --steps is required (see --help)");
  const std::int64_t equilibration = args.integer("equilibration", 100, 0, std::int64_t{1} << 40);
  SimulatorOptions opt;
  opt.replicas = static_cast<std::uint32_t>(args.integer("replicas", 1, 1, kMaxReplica + 1));
  opt.replica_offset = static_cast<std::uint32_t>(args.integer("replica-offset", 0, 0, kMaxReplica));
  opt.seed = args.unsigned_integer("seed", 0);
  opt.threads = static_cast<int>(args.integer("threads", 0, 0, 4096));
  opt.backend = parse_backend(args.value("backend").value_or("auto"));
  const RecordDtype dtype = parse_record_dtype(args.value("record-dtype").value_or("uint8"));
  const auto output = args.value("output");
  const bool quiet = args.flag("quiet");

  if (output) {
    namespace fs = std::filesystem;
    const fs::path out(*output);
    if (out.extension() != ".npy") throw Error("--output '" + *output + "': expected a .npy file name");
    std::error_code ec;
    if (fs::exists(out, ec) && !args.flag("force"))
      throw Error("--output '" + *output + "' exists; pass --force to overwrite it");
    const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
    if (!fs::is_directory(dir, ec)) throw Error("--output '" + *output + "': directory '" + dir.string() + "' does not exist");
  }

  const std::string weights = args.required("weights");
  std::vector<Network> networks = load_networks(weights);
  std::vector<std::pair<std::string, std::uint32_t>> sources;
  for (const auto& n : networks) sources.emplace_back(n.label(), n.instance_id());

  const auto started = std::chrono::system_clock::now();
  Simulator sim(model, std::move(networks), opt);
  if (output) sim.check_recording(steps, dtype);  // refuse before anything is printed or run
  if (!quiet)
    std::printf("cascade: %s on %zu network(s), %zu neurons, %zu synapses, %u replica(s); seed %llu; backend %s\n",
                model_name(model).c_str(), sim.networks().size(), sim.total_neurons(), sim.total_synapses(),
                opt.replicas, static_cast<unsigned long long>(opt.seed), sim.backend().c_str());
  RunOptions ro;
  ro.steps = steps;
  ro.equilibration_steps = equilibration;
  ro.dtype = dtype;
  ro.record = output.has_value();
  const SimulationResult res = sim.run(ro);
  const RunSummary& s = res.summary;

  if (output) {
    res.raster.write_npy(*output);
    std::ostringstream js;
    const std::time_t t = std::chrono::system_clock::to_time_t(started);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    js << "{\n  \"cascade_version\": \"" << kVersion << "\",\n  \"rng_stream\": \"" << kRngStreamVersion
       << "\",\n  \"command\": \"cascade simulate";
    for (const auto& a : argv) js << " " << json_escape(a);
    js << "\",\n  \"model\": \"" << model_name(model) << "\",\n  \"params\": {";
    const auto params = list_params(model);
    for (std::size_t i = 0; i < params.size(); ++i)
      js << (i ? ", " : "") << "\"" << params[i].name << "\": " << num(params[i].value);
    js << "},\n  \"networks\": [";
    for (std::size_t i = 0; i < sources.size(); ++i)
      js << (i ? ", " : "") << "{\"file\": \"" << json_escape(sources[i].first)
         << "\", \"instance_id\": " << sources[i].second << "}";
    js << "],\n  \"shape\": [" << res.raster.replicas() << ", " << res.raster.neurons() << ", " << res.raster.steps()
       << "],\n  \"dtype\": \"" << record_dtype_name(dtype) << "\",\n  \"seed\": " << opt.seed
       << ",\n  \"replica_offset\": " << opt.replica_offset << ",\n  \"equilibration_steps\": " << equilibration
       << ",\n  \"backend\": \"" << s.backend << "\",\n  \"threads\": " << s.threads << ",\n  \"started\": \"" << when
       << "\",\n  \"wall_seconds\": " << num(s.wall_seconds) << ",\n  \"mean_rate_hz\": " << num(s.mean_rate_hz)
       << ",\n  \"synaptic_events\": " << s.synaptic_events << ",\n  \"rate_capped\": " << s.rate_capped
       << ",\n  \"counts_saturated\": " << s.counts_saturated << "\n}\n";
    const std::string side = *output + ".json";
    std::ofstream f(side + ".tmp");
    f << js.str();
    f.close();
    if (!f || std::rename((side + ".tmp").c_str(), side.c_str()) != 0)
      throw Error("cannot write '" + side + "'");
  }
  if (!quiet) {
    std::printf("cascade: %lld steps (+%lld equilibration) in %.3f s on %d thread(s); mean rate %.4g Hz; "
                "%llu synaptic events\n",
                static_cast<long long>(steps), static_cast<long long>(equilibration), s.wall_seconds, s.threads,
                s.mean_rate_hz, static_cast<unsigned long long>(s.synaptic_events));
    if (s.rate_capped)
      std::printf("cascade: warning: %llu Poisson means exceeded %g and were capped\n",
                  static_cast<unsigned long long>(s.rate_capped), kMaxPoissonMean);
    if (s.counts_saturated)
      std::printf("cascade: warning: %llu counts saturated at 255\n", static_cast<unsigned long long>(s.counts_saturated));
    if (dtype == RecordDtype::kBool && output)
      std::printf("cascade: note: bool records whether a neuron spiked, not how often\n");
    if (output) std::printf("cascade: wrote %s and %s.json\n", output->c_str(), output->c_str());
  }
  return 0;
}

int info_command(const std::vector<std::string>& argv) {
  const Args args(argv, {}, {"help"});
  if (args.flag("help")) {
    std::puts("usage: cascade info\n\nPrints the version, build options and CPU threads.");
    return 0;
  }
  std::printf("cascade %s\nrng stream: %s\nCUDA kernels built: %s\nGPU engine: not available yet\n", kVersion,
              kRngStreamVersion, CASCADE_HAVE_CUDA ? "yes" : "no");
  std::printf("CPU threads (default): %d\nmodels:", detail::resolve_thread_count(0));
  for (const auto& m : model_names()) std::printf(" %s", m.c_str());
  std::printf("\n");
  return 0;
}

}  // namespace cascade::cli

#include "cascade/simulator.hpp"

#include "cascade/engine/gpu_engine.hpp"

#include <sstream>

#include "cascade/communicator.hpp"
#include "cascade/extend/engine_layer.hpp"
#include "cascade/extend/partition.hpp"

namespace cascade {

Backend parse_backend(std::string_view name) {
  if (name == "auto") return Backend::kAuto;
  if (name == "cpu") return Backend::kCpu;
  if (name == "gpu") return Backend::kGpu;
  throw Error("backend '" + std::string(name) + "': expected one of auto, cpu, gpu");
}

GpuStrategy parse_gpu_strategy(std::string_view name) {
  if (name == "auto") return GpuStrategy::kAuto;
  if (name == "block") return GpuStrategy::kBlock;
  if (name == "step") return GpuStrategy::kStep;
  if (name == "graph") return GpuStrategy::kGraph;
  if (name == "pull") return GpuStrategy::kPull;
  if (name == "fused") return GpuStrategy::kFused;
  if (name == "cluster") return GpuStrategy::kCluster;
  throw Error("gpu strategy '" + std::string(name) + "': expected one of auto, block, step, graph, pull, fused, cluster");
}

const char* gpu_strategy_name(GpuStrategy s) {
  switch (s) {
    case GpuStrategy::kAuto: return "auto";
    case GpuStrategy::kBlock: return "block";
    case GpuStrategy::kStep: return "step";
    case GpuStrategy::kGraph: return "graph";
    case GpuStrategy::kPull: return "pull";
    case GpuStrategy::kFused: return "fused";
    case GpuStrategy::kCluster: return "cluster";
  }
  return "?";
}

Backend resolve_backend(Backend backend) {
  if (backend == Backend::kCpu) return Backend::kCpu;
  const bool built = gpu_engine_built();
  const int devices = built ? gpu_device_count() : 0;
  if (backend == Backend::kGpu) {
    if (!built)
      throw Error("backend 'gpu': this build of Cascade has no CUDA engine (configured without nvcc or with "
                  "CASCADE_ENABLE_CUDA=OFF); use --backend cpu or auto");
    if (devices == 0)
      throw Error("backend 'gpu': no CUDA device is present on this machine (or no driver); use --backend cpu or auto");
    return Backend::kGpu;
  }
  return devices > 0 ? Backend::kGpu : Backend::kCpu;
}

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::kAuto: return "auto";
    case Backend::kCpu: return "cpu";
    case Backend::kGpu: return "gpu";
  }
  return "?";
}

Simulator::Simulator(std::vector<Network> networks, const SimulatorOptions& options) : options_(options) {
  networks_.reserve(networks.size());
  for (auto& n : networks) networks_.push_back(std::make_shared<const Network>(std::move(n)));
  engine::distribute(networks_, options_);  // a distributed run keeps only this rank's part of each network
}

Simulator::Simulator(const AnyModel& model, std::vector<Network> networks, const SimulatorOptions& options)
    : Simulator(std::move(networks), options) {
  engine_ = make_engine(model);
}

std::unique_ptr<Engine> Simulator::make_engine(const AnyModel& model) const {
  const int ranks = ranks_of(options_.communicator.get());
  if (ranks > 1 && options_.backend == Backend::kGpu)
    throw Error("backend 'gpu': a distributed run (" + std::to_string(ranks) +
                " ranks) runs the partitioned CPU engine in this version (docs/distributed.md); use --backend cpu or auto");
  if (ranks == 1 && resolve_backend(options_.backend) == Backend::kGpu) return make_gpu_engine(model, networks_, options_);
  return std::visit([&](const auto& m) { return make_cpu_engine(m, networks_, options_); }, model);
}

Simulator Simulator::with_engine(std::vector<Network> networks, const SimulatorOptions& options,
                                 const EngineFactory& factory) {
  Simulator s(std::move(networks), options);
  s.engine_ = factory(s.networks_, s.options_);
  if (!s.engine_) throw Error("with_engine: the factory returned no engine");
  if (ranks_of(s.options_.communicator.get()) > 1 && s.engine_->backend_name() != "cpu")
    throw Error("with_engine: a distributed run needs the partitioned CPU engine (make_cpu_engine); the factory made a '" +
                s.engine_->backend_name() + "' engine");
  return s;
}

Simulator::Simulator(const AnyModel& model, std::vector<std::shared_ptr<const Network>> networks,
                     const SimulatorOptions& options)
    : networks_(std::move(networks)), options_(options) {
  for (const auto& n : networks_)
    if (!n) throw Error("a null network was given");
  engine::distribute(networks_, options_);
  engine_ = make_engine(model);
}

std::size_t Simulator::total_neurons() const {
  std::size_t n = 0;
  for (const auto& net : networks_) n += net->n_neurons();
  return n;
}

std::size_t Simulator::total_synapses() const {
  std::size_t n = 0;
  for (const auto& net : networks_) n += net->whole_synapses();
  return n;
}

std::uint64_t Simulator::raster_bytes(std::int64_t steps, RecordDtype dtype) const {
  return static_cast<std::uint64_t>(options_.replicas) * total_neurons() * static_cast<std::uint64_t>(steps) *
         record_dtype_size(dtype);
}

void Simulator::check_recording(std::int64_t steps, RecordDtype dtype) const {
  if (steps > 0) {
    const std::uint64_t bytes = raster_bytes(steps, dtype);
    const std::uint64_t avail = available_memory_bytes();
    if (avail > 0 && bytes > avail / 10 * 9) {
      std::ostringstream os;
      os.precision(3);
      os << "the dense recording [" << options_.replicas << ", " << total_neurons() << ", " << steps << "] as "
         << record_dtype_name(dtype) << " needs " << static_cast<double>(bytes) / 1073741824.0
         << " GiB but only " << static_cast<double>(avail) / 1073741824.0
         << " GiB of memory are available; record fewer steps, replicas or networks, or a 1-byte dtype";
      throw Error(os.str());
    }
  }
}

SimulationResult Simulator::run(const RunOptions& options) {
  SimulationResult out;
  bool planned = !(options.stimulus && options.steps > 0 && options.stimulus_start >= 0) ||
                 plan_stimuli(options.stimulus_start > kPlanAll - options.steps ? kPlanAll
                                                                                : options.stimulus_start + options.steps,
                              options.stop);
  // A distributed run: a stop request that reached one rank while it planned
  // stops every rank before the first step (each rank plans the same table).
  if (Communicator* comm = options_.communicator.get(); comm && comm->size() > 1) planned = !comm->any(!planned);
  if (!planned) {
    // Stopped while planning: no step was run (none may run on a partial plan).
    out.summary = engine::start_summary(engine_->backend_name().c_str(), engine_->current_step(), engine_->dt(), options);
    out.summary.recorded_steps = 0;
    out.summary.stopped = true;
    return out;
  }
  if (!options.record) {
    out.summary = engine_->run(options, nullptr);
    return out;
  }
  const std::size_t total = total_neurons();
  const std::int64_t end = options.record_end < 0 ? options.steps : options.record_end;
  if (options.record_begin < 0 || options.record_begin > end || end > options.steps)
    throw Error("record window [" + std::to_string(options.record_begin) + ", " + std::to_string(end) +
                ") is invalid; expected 0 <= begin <= end <= steps = " + std::to_string(options.steps));
  std::vector<std::int32_t> index;
  if (!options.record_neurons.empty()) {
    index.assign(total, -1);
    for (std::size_t k = 0; k < options.record_neurons.size(); ++k) {
      const std::uint32_t g = options.record_neurons[k];
      if (g >= total)
        throw Error("recorded neuron " + std::to_string(g) + " is out of range; the batch has " + std::to_string(total) +
                    " neurons");
      if (k && g <= options.record_neurons[k - 1])
        throw Error("recorded neurons must be ascending without repeats (" + std::to_string(options.record_neurons[k - 1]) +
                    " then " + std::to_string(g) + ")");
      index[g] = static_cast<std::int32_t>(k);
    }
    out.neurons = options.record_neurons;
  } else {
    out.neurons.resize(total);
    for (std::size_t g = 0; g < total; ++g) out.neurons[g] = static_cast<std::uint32_t>(g);
  }
  const std::size_t n = out.neurons.size(), window = static_cast<std::size_t>(end - options.record_begin);
  // The rows this process records: all of them, or (a distributed run that
  // does not gather) the rows of its own neurons alone, held from row 0 of
  // the raster on (their recorded indices shifted down by the first).
  std::size_t r0 = 0, r1 = n;
  Communicator* comm = options_.communicator.get();
  const bool distributed = comm && comm->size() > 1;
  if (distributed) {
    const engine::Partition part{comm->rank(), options_.partition};
    const auto rows = engine::recorded_row_bounds(part, index.empty() ? nullptr : index.data(), n);
    r0 = rows[static_cast<std::size_t>(part.rank)];
    r1 = rows[static_cast<std::size_t>(part.rank) + 1];
    if (!options.gather_recording) {
      std::vector<std::int32_t> own(total, -1);
      for (std::size_t g = part.lo(); g < part.hi(); ++g) {
        const std::int32_t k = index.empty() ? static_cast<std::int32_t>(g) : index[g];
        if (k >= 0) own[g] = k - static_cast<std::int32_t>(r0);
      }
      index = std::move(own);
    }
  }
  const bool own_rows = distributed && !options.gather_recording;
  const std::size_t held = own_rows ? r1 - r0 : n;
  const std::uint64_t floats = (options.record_input ? 1u : 0u) + (options.record_rate ? 1u : 0u);
  const std::uint64_t bytes = static_cast<std::uint64_t>(options_.replicas) * held * window *
                              (record_dtype_size(options.dtype) + 4 * floats);
  const std::uint64_t avail = available_memory_bytes();
  if (avail > 0 && bytes > avail / 10 * 9) {
    std::ostringstream os;
    os.precision(3);
    os << "the recording [" << options_.replicas << ", " << held << ", " << window << "] needs "
       << static_cast<double>(bytes) / 1073741824.0 << " GiB but only " << static_cast<double>(avail) / 1073741824.0
       << " GiB of memory are available; record fewer steps, neurons or replicas, or in chunks";
    throw Error(os.str());
  }
  out.raster = Raster(options.dtype, options_.replicas, held, window);
  if (options.record_input) out.input.assign(options_.replicas * held * window, 0.0f);
  if (options.record_rate) out.rate.assign(options_.replicas * held * window, 0.0f);
  RecordTarget target;
  target.raster = &out.raster;
  target.input = options.record_input ? out.input.data() : nullptr;
  target.rate = options.record_rate ? out.rate.data() : nullptr;
  target.index = index.empty() ? nullptr : index.data();
  target.neurons = held;
  target.begin = options.record_begin;
  target.end = end;
  out.summary = engine_->run(options, &target);
  out.first_row = own_rows ? r0 : 0;
  out.rows_begin = r0;
  out.rows_end = r1;
  if (!distributed || (options.gather_recording && comm->rank() == 0)) out.rows_begin = 0, out.rows_end = n;
  return out;
}

SimulationResult Simulator::simulate(std::int64_t steps, std::int64_t equilibration_steps, RecordDtype dtype,
                                     ProgressCallback progress) {
  RunOptions o;
  o.steps = steps;
  o.equilibration_steps = equilibration_steps;
  o.dtype = dtype;
  o.progress = std::move(progress);
  return run(o);
}

RunSummary Simulator::equilibrate(std::int64_t steps, ProgressCallback progress) {
  if (steps < 0) throw Error("equilibration steps: " + std::to_string(steps) + " is invalid; expected >= 0");
  if (steps == 0) return RunSummary{};
  RunOptions o;
  o.steps = steps;
  o.equilibration_steps = 0;
  o.record = false;
  o.fresh_state = false;
  o.stimulus = false;
  o.progress = std::move(progress);
  return engine_->run(o, nullptr);
}

// The table is checked now and its Poisson events planned as runs need
// them (a horizon that at least doubles: amortised linear in the steps run).
void Simulator::set_stimuli(std::vector<Stimulus> stimuli) {
  auto table = std::make_shared<const StimulusTable>(stimuli, networks_, options_.seed, 0);
  engine_->set_stimulus(std::move(table));
  stimuli_ = std::move(stimuli);
  planned_until_ = 0;
}

bool Simulator::plan_stimuli(std::int64_t until, const std::atomic<bool>* stop) {
  if (stimuli_.empty() || until <= planned_until_) return true;
  const std::int64_t horizon = planned_until_ > kPlanAll / 2 ? kPlanAll : std::max(until, 2 * planned_until_);
  try {
    engine_->set_stimulus(std::make_shared<const StimulusTable>(stimuli_, networks_, options_.seed, horizon, stop));
  } catch (const Stopped&) {
    return false;
  }
  planned_until_ = horizon;
  return true;
}

void Simulator::inspect(std::vector<double>* input, std::vector<double>* rate, std::int64_t stimulus_time) {
  if (stimulus_time != kStimulusOff && stimulus_time >= 0 && stimulus_time < kPlanAll) plan_stimuli(stimulus_time + 1, nullptr);
  engine_->inspect(input, rate, stimulus_time);
}

void Simulator::set_stimulus_param(std::string_view name, double value) {
  std::vector<Stimulus> s = stimuli_;
  cascade::set_stimulus_param(s, name, value);
  set_stimuli(std::move(s));
}

}  // namespace cascade

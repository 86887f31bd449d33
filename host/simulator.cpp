#include "cascade/simulator.hpp"

#include <sstream>

namespace cascade {

Backend parse_backend(std::string_view name) {
  if (name == "auto") return Backend::kAuto;
  if (name == "cpu") return Backend::kCpu;
  if (name == "gpu") return Backend::kGpu;
  throw Error("backend '" + std::string(name) + "': expected one of auto, cpu, gpu");
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
  if (options_.backend == Backend::kGpu)
    throw Error("backend 'gpu': this build of Cascade has no GPU engine yet; use --backend cpu or auto");
  networks_.reserve(networks.size());
  for (auto& n : networks) networks_.push_back(std::make_shared<const Network>(std::move(n)));
}

Simulator::Simulator(const AnyModel& model, std::vector<Network> networks, const SimulatorOptions& options)
    : Simulator(std::move(networks), options) {
  engine_ = std::visit([&](const auto& m) { return make_cpu_engine(m, networks_, options_); }, model);
}

Simulator::Simulator(const AnyModel& model, std::vector<std::shared_ptr<const Network>> networks,
                     const SimulatorOptions& options)
    : networks_(std::move(networks)), options_(options) {
  if (options_.backend == Backend::kGpu)
    throw Error("backend 'gpu': this build of Cascade has no GPU engine yet; use --backend cpu or auto");
  for (const auto& n : networks_)
    if (!n) throw Error("a null network was given");
  engine_ = std::visit([&](const auto& m) { return make_cpu_engine(m, networks_, options_); }, model);
}

std::size_t Simulator::total_neurons() const {
  std::size_t n = 0;
  for (const auto& net : networks_) n += net->n_neurons();
  return n;
}

std::size_t Simulator::total_synapses() const {
  std::size_t n = 0;
  for (const auto& net : networks_) n += net->n_synapses();
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
  if (options.record && options.steps > 0) {
    check_recording(options.steps, options.dtype);
    out.raster = Raster(options.dtype, options_.replicas, total_neurons(), static_cast<std::size_t>(options.steps));
  }
  out.summary = engine_->run(options, options.record ? &out.raster : nullptr);
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

void Simulator::set_stimuli(std::vector<Stimulus> stimuli) {
  auto table = std::make_shared<const StimulusTable>(stimuli, networks_, options_.seed);
  engine_->set_stimulus(std::move(table));
  stimuli_ = std::move(stimuli);
}

void Simulator::set_stimulus_param(std::string_view name, double value) {
  std::vector<Stimulus> s = stimuli_;
  cascade::set_stimulus_param(s, name, value);
  set_stimuli(std::move(s));
}

}  // namespace cascade

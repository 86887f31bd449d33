// Host side of the GPU engine: the device, the batch's facts and the
// strategy for them, the memory check, the state between steps (random
// initial states, given spikes or activations, save and load, inspect) and
// tune's tapped epochs. The run loop is gpu_run.cu.
#include <algorithm>
#include <sstream>

#include "cascade/extend/gpu/gpu_engine.cuh"
#include "device_state.hpp"
#include "strategy.hpp"

namespace cascade::gpu {

namespace {

std::string gib(std::uint64_t bytes) {
  std::ostringstream os;
  os.precision(3);
  os << static_cast<double>(bytes) / 1073741824.0 << " GiB";
  return os.str();
}

/// Makes `device` current, or says why it cannot be.
cudaDeviceProp open_device(int device) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw Error("backend 'gpu': no CUDA device is present (or no driver); use --backend cpu or auto");
  }
  if (device < 0 || device >= count)
    throw Error("device " + std::to_string(device) + " does not exist; this machine has " + std::to_string(count) +
                " CUDA device(s), numbered from 0");
  CASCADE_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  CASCADE_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop;
}

}  // namespace

GpuEngineBase::GpuEngineBase(const ModelInfo& info, std::unique_ptr<ModelKernels> kernels,
                             std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& opt)
    : info_(info), kernels_(std::move(kernels)), nets_(std::move(nets)), opt_(opt) {
  shape_ = engine::make_engine_shape(info_.spec, nets_, info_.name);
  engine::check_batch(nets_, shape_, info_.allows_self_coupling, info_.name, opt_);
  info_.spec = shape_.spec;
  const cudaDeviceProp prop = open_device(opt_.device);
  stream_.emplace();
  device_name_ = prop.name;
  // Layout: units replica-major, as the CPU engine (the slot order is the
  // recording order and the order a non-finite rate is reported in).
  layout_ = engine::make_batch_layout(nets_, opt_);
  if (layout_.slots >= (std::uint64_t{1} << 32))
    throw Error("the GPU engine indexes neuron slots with 32 bits: replicas x total neurons = " +
                std::to_string(layout_.slots) + " exceeds 2^32; split the batch");
  const NetworkPlacement placement = place_networks(nets_);
  const BatchFacts facts = batch_facts(prop, placement);
  // The strategy first (docs/gpu.md): it adds to the memory the engine needs.
  StrategyContext ctx;
  ctx.kernels = kernels_.get();
  ctx.stream = stream_->get();
  ctx.nets = &nets_;
  ctx.sms = facts.sms;
  ctx.slots = layout_.slots;
  ctx.scatter_by_block = facts.edges >= 128 * facts.total_neurons;  // rows of a hundred edges or more
  strategy_ = make_strategy(opt_.gpu_strategy, facts, ctx);
  check_device_memory(placement, facts);
  dev_ = std::make_unique<DeviceState>(nets_, placement, layout_, shape_, opt_.seed);
  strategy_->attach(dev_.get());
  strategy_->allocate();
  step_ = opt_.first_step;
  reset_random_state();
}

GpuEngineBase::~GpuEngineBase() {
  if (stream_) {
    CASCADE_CUDA_LOG(cudaSetDevice(opt_.device));
    CASCADE_CUDA_LOG(cudaStreamSynchronize(stream_->get()));
  }
}

BatchFacts GpuEngineBase::batch_facts(const cudaDeviceProp& prop, const NetworkPlacement& placement) const {
  BatchFacts f;
  f.per_edge = shape_.per_edge;
  f.max_neurons = layout_.max_neurons;
  f.ring_len = shape_.ring_len;
  f.self_len = shape_.self_len;
  f.units = layout_.units.size();
  f.total_neurons = layout_.total_neurons;
  f.slots = layout_.slots;
  f.edges = placement.edges;
  f.max_synapses = layout_.max_synapses;
  f.row_entries = placement.row_entries;
  f.sms = prop.multiProcessorCount;
  f.cc_major = prop.major;
  f.cc_minor = prop.minor;
  const std::size_t optin = prop.sharedMemPerBlockOptin;
  f.smem_limit = optin > 1024 ? optin - 1024 : 0;  // less the static shared memory
  f.device = device_name_;
  return f;
}

/// What the engine will hold, against what the device has free.
void GpuEngineBase::check_device_memory(const NetworkPlacement& placement, const BatchFacts& facts) const {
  const std::uint64_t net_bytes = placement.bytes() + strategy_->extra_network_bytes(facts);
  const std::uint64_t state_bytes = static_cast<std::uint64_t>(layout_.slots) *
                                    (8 + 8 + 1 + 4 + shape_.ring_len * 8 + shape_.self_len + 2 * (4 + 1) +
                                     strategy_->extra_bytes_per_slot());
  std::size_t free_b = 0, total_b = 0;
  CASCADE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  if (net_bytes + state_bytes > free_b / 20 * 19)
    throw Error("the GPU engine needs " + gib(net_bytes + state_bytes) + " of device memory (networks " +
                gib(net_bytes) + ", state " + gib(state_bytes) + ") but " + device_name_ + " has " + gib(free_b) +
                " free; use fewer replicas or networks, or --backend cpu");
  if (placement.q_entries >= (std::uint64_t{1} << 62)) throw Error("too many synapses");
}

GpuStrategy GpuEngineBase::strategy() const { return strategy_->kind(); }
const EngineView& GpuEngineBase::view() const { return dev_->view; }
std::uint64_t GpuEngineBase::device_bytes() const { return dev_->bytes(); }

int GpuEngineBase::select_device() const {
  CASCADE_CUDA_CHECK(cudaSetDevice(opt_.device));
  return opt_.device;
}

void GpuEngineBase::load_activation_from(const double* device_activation) {
  launch_load_activation(dev_->view, device_activation, stream_->get());
  advance_ = false;  // the first step reads the activation as given
}

void GpuEngineBase::draw_initial_state(cuda::DeviceArray<double>& scratch) {
  cudaStream_t s = stream_->get();
  dev_->clear(s);
  if (shape_.spec.initial == InitialState::kRandomActivation && !shape_.per_edge) {
    if (scratch.size() != layout_.slots) scratch.resize(layout_.slots);
    launch_initial_state(dev_->view, step_, scratch.get(), s);
    load_activation_from(scratch.get());
  } else {
    launch_initial_state(dev_->view, step_, nullptr, s);
    advance_ = true;
  }
}

void GpuEngineBase::reset_random_state() {
  select_device();
  cuda::DeviceArray<double> scratch;
  draw_initial_state(scratch);
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
}

void GpuEngineBase::set_initial_spikes(std::span<const std::uint8_t> counts) {
  engine::check_initial_spikes(counts, layout_.slots);
  select_device();
  dev_->clear(stream_->get());
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(dev_->state.xlast.get(), counts.data(), counts.size(), cudaMemcpyHostToDevice,
                                     stream_->get()));
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  advance_ = true;
}

void GpuEngineBase::set_initial_activation(std::span<const double> activation) {
  engine::check_initial_activation(activation, layout_.slots, shape_, info_.name);
  select_device();
  dev_->clear(stream_->get());
  cuda::DeviceArray<double> s;
  s.upload(std::vector<double>(activation.begin(), activation.end()));
  load_activation_from(s.get());
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
}

EngineState GpuEngineBase::save_state() const {
  select_device();
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  EngineState e;
  e.step = step_;
  e.advance = advance_;
  dev_->save(e);
  return e;
}

void GpuEngineBase::load_state(const EngineState& e) {
  engine::check_state(e, layout_.slots, shape_);
  select_device();
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  dev_->load(e);
  step_ = e.step;
  advance_ = e.advance;
}

void GpuEngineBase::set_stimulus(std::shared_ptr<const StimulusTable> table) {
  select_device();
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  stimulus_ = (table && !table->empty()) ? std::move(table) : nullptr;
  dev_->view.stim = StimulusView{};
  dev_->stimulus.upload(stimulus_.get());
  dev_->view.stim = dev_->stimulus.view();
}

void GpuEngineBase::set_filters(const FilterSpec& spec_in) {
  shape_ = engine::reshape(shape_, spec_in, info_.name);
  select_device();
  cudaStream_t s = stream_->get();
  if (shape_.self_len)  // after the stream's earlier work: pageable copies are staged before this returns
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(dev_->self_filter.get(), shape_.spec.self_filter.data(),
                                       shape_.self_len * sizeof(double), cudaMemcpyHostToDevice, s));
  info_.spec = shape_.spec;
  dev_->view.consts = shape_.consts;
}

RunView GpuEngineBase::run_view(std::uint64_t record_from, std::int64_t stimulus_start, bool stimulus_on) const {
  RunView r{};
  r.run_first_step = step_;
  r.record_from = record_from;
  r.stimulus_start = stimulus_start;
  r.stimulus_on = stimulus_on && stimulus_ ? 1 : 0;
  r.replica_offset = opt_.replica_offset;
  r.rows = 1;
  return r;
}

void GpuEngineBase::begin_steps(const RunView& r, bool graphs) const {
  cudaStream_t s = stream_->get();
  dev_->counters.zero(s);
  dev_->list_len.zero(s);
  dev_->unit_len.zero(s);
  launch_build_lists(dev_->view, static_cast<int>(step_ & 1u), strategy_->per_unit_lists(), s);
  strategy_->begin(r, step_, advance_, graphs);
}

void GpuEngineBase::enqueue_tapped_epoch(std::uint64_t first_step, std::int64_t equilibration, std::int64_t steps,
                                         const EpochTap& tap) {
  if (running_) throw Error("tune: a run of this engine is in progress");
  if (tap.slot_begin + tap.slots > layout_.slots || tap.steps < static_cast<std::uint64_t>(equilibration + steps))
    throw Error("tune: the tap does not lie within this engine's slots or does not cover the epoch's steps");
  if (steps < 1 || equilibration < 0 || equilibration + steps >= (std::int64_t{1} << 32))
    throw Error("tune: an epoch needs steps >= 1, equilibration >= 0 and fewer than 2^32 steps in all");
  select_device();
  cudaStream_t s = stream_->get();
  step_ = first_step;
  tap_first_step_ = first_step;
  draw_initial_state(tap_activation_);  // as reset_random_state, without its sync
  RunView r = run_view(step_ + static_cast<std::uint64_t>(equilibration), 0, true);
  r.tap = tap;
  r.tap.first_step = first_step;  // the tap's step 0 is the epoch's first step
  // [0]: "none", written once and only read (epochs queue without a host
  // sync between them); [1]: the epoch's record, copied back.
  if (h_tap_bad_.size() == 0) {
    h_tap_bad_.resize(2);
    h_tap_bad_.get()[0] = h_tap_bad_.get()[1] = BadRecord{kNoBad, 0, 0, 0.0, 0.0};
  }
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(dev_->view.bad, h_tap_bad_.get(), sizeof(BadRecord), cudaMemcpyHostToDevice, s));
  begin_steps(r, false);
  const std::int64_t total = equilibration + steps;
  strategy_->enqueue(r, step_, total, advance_, false);
  strategy_->end(false);  // as after run(): the pending spikes live in xlast
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_tap_bad_.get() + 1, dev_->view.bad, sizeof(BadRecord), cudaMemcpyDeviceToHost, s));
  step_ += static_cast<std::uint64_t>(total);
  advance_ = true;
}

void GpuEngineBase::check_tapped_epoch() const {
  const BadRecord& b = h_tap_bad_.get()[1];
  if (b.key != kNoBad) throw_bad(b, tap_first_step_);
}

void GpuEngineBase::inspect(std::vector<double>* input, std::vector<double>* rate, std::int64_t stimulus_time) const {
  engine::check_inspect_time(stimulus_time);
  if (running_) throw Error("inspect: not available while a run is in progress (e.g. from a progress callback)");
  select_device();
  cudaStream_t s = stream_->get();
  // Save the state, run one plain step that writes g and phi(g) of every slot, restore.
  const StateArrays<DeviceBuffer> saved = dev_->snapshot(s);
  cuda::DeviceArray<double> g(layout_.slots), p(layout_.slots);
  BadRecord none{kNoBad, 0, 0, 0.0, 0.0};
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(dev_->view.bad, &none, sizeof none, cudaMemcpyHostToDevice, s));
  CASCADE_CUDA_CHECK(cudaMemsetAsync(dev_->view.list_len, 0, 2 * sizeof(std::uint32_t), s));
  launch_build_lists(dev_->view, static_cast<int>(step_ & 1u), false, s);
  RunView r = run_view(step_, stimulus_time == kStimulusOff ? 0 : stimulus_time, stimulus_time != kStimulusOff);
  r.inspect_g = g.get();
  r.inspect_rate = p.get();
  enqueue_plain_step(strategy_->context(), r, StepRef{nullptr, step_}, advance_);
  dev_->restore(saved, s);
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));
  if (input) *input = g.download();
  if (rate) *rate = p.download();
}

void GpuEngineBase::throw_bad(const BadRecord& b, std::uint64_t run_first_step) const {
  engine::throw_non_finite(layout_, nets_, run_first_step + (b.key >> 32), b.key & 0xffffffffu, b.g, b.rate);
}

}  // namespace cascade::gpu

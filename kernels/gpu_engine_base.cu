// Host side of the GPU engine: device state, strategies, the run loop with
// chunked recording copied asynchronously to pinned memory.
#include <cusparse.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>

#include "cascade/engine/engine_layer.hpp"
#include "gpu_engine.cuh"

#define CASCADE_CUSPARSE_CHECK(call)                                                              \
  do {                                                                                            \
    const cusparseStatus_t st_ = (call);                                                          \
    if (st_ != CUSPARSE_STATUS_SUCCESS)                                                           \
      ::cascade::throw_at(__FILE__, __LINE__, std::string(#call) + ": " + cusparseGetErrorString(st_)); \
  } while (0)

namespace cascade::gpu {
namespace {

std::string gib(std::uint64_t bytes) {
  std::ostringstream os;
  os.precision(3);
  os << static_cast<double>(bytes) / 1073741824.0 << " GiB";
  return os.str();
}

/// Grid of the per-step kernels: enough blocks to fill the device, fixed so a
/// captured graph stays valid whatever the activity.
int step_grid(std::uint64_t items, int sms) {
  const std::uint64_t want = (items + kStepThreads - 1) / kStepThreads;
  const std::uint64_t cap = static_cast<std::uint64_t>(sms) * 16;
  return static_cast<int>(std::max<std::uint64_t>(1, std::min(want, cap)));
}

__global__ void iota_double_kernel(double* out, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = static_cast<double>(i);
}

__global__ void gather_csc_kernel(const double* perm, const std::int32_t* q, std::int32_t* out_q, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out_q[i] = q[static_cast<std::int64_t>(perm[i])];
}

__global__ void widen_kernel(const std::int32_t* in, std::int64_t* out, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i];
}

int blocks_for(std::int64_t n) { return static_cast<int>(std::max<std::int64_t>(1, (n + 255) / 256)); }

}  // namespace

GpuEngineBase::GpuEngineBase(const ModelInfo& info, std::vector<std::shared_ptr<const Network>> nets,
                             const SimulatorOptions& opt)
    : info_(info), nets_(std::move(nets)), opt_(opt) {
  shape_ = engine::make_engine_shape(info_.spec, nets_, info_.name);
  engine::check_batch(nets_, shape_, info_.allows_self_coupling, info_.name, opt_);
  info_.spec = shape_.spec;
  const FilterSpec& spec = info_.spec;

  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw Error("backend 'gpu': no CUDA device is present (or no driver); use --backend cpu or auto");
  }
  if (opt_.device < 0 || opt_.device >= count)
    throw Error("device " + std::to_string(opt_.device) + " does not exist; this machine has " + std::to_string(count) +
                " CUDA device(s), numbered from 0");
  CASCADE_CUDA_CHECK(cudaSetDevice(opt_.device));
  stream_.emplace();
  cudaDeviceProp prop{};
  CASCADE_CUDA_CHECK(cudaGetDeviceProperties(&prop, opt_.device));
  device_name_ = prop.name;
  sms_ = prop.multiProcessorCount;
  smem_optin_ = prop.sharedMemPerBlockOptin;

  // Layout: units replica-major, as the CPU engine (the slot order is the
  // recording order and the order a non-finite rate is reported in).
  per_edge_ = nets_.front()->filter_length() > 0;
  net_offset_.resize(nets_.size());
  std::uint64_t edges = 0, q_entries = 0;
  std::size_t max_syn_unit = 0;
  std::vector<DevNet> dnets(nets_.size());
  std::int64_t row_base = 0;
  for (std::size_t k = 0; k < nets_.size(); ++k) {
    const Network& n = *nets_[k];
    net_offset_[k] = total_neurons_;
    DevNet& d = dnets[k];
    d.row_base = row_base;
    d.edge_base = static_cast<std::int64_t>(edges);
    d.q_base = static_cast<std::int64_t>(q_entries);
    d.col_base = row_base;
    d.global0 = static_cast<std::int64_t>(total_neurons_);
    d.scale = n.scale();
    d.n = static_cast<std::uint32_t>(n.n_neurons());
    d.instance = n.instance_id();
    d.T = static_cast<std::uint32_t>(n.filter_length());
    row_base += static_cast<std::int64_t>(n.n_neurons()) + 1;
    edges += n.n_synapses();
    q_entries += n.quantised().size();
    total_neurons_ += n.n_neurons();
    max_n_ = std::max(max_n_, n.n_neurons());
    max_syn_unit = std::max(max_syn_unit, n.n_synapses());
  }
  slots_ = total_neurons_ * opt_.replicas;
  if (slots_ >= (std::uint64_t{1} << 32))
    throw Error("the GPU engine indexes neuron slots with 32 bits: replicas x total neurons = " + std::to_string(slots_) +
                " exceeds 2^32; split the batch");
  for (std::uint32_t r = 0; r < opt_.replicas; ++r)
    for (std::uint32_t k = 0; k < nets_.size(); ++k)
      units_host_.push_back(DevUnit{static_cast<std::int64_t>(r * total_neurons_ + net_offset_[k]),
                                    opt_.replica_offset + r, k});

  if (per_edge_) {
    for (const auto& n : nets_) ring_len_ = std::max(ring_len_, n->filter_length());
  } else {
    ring_len_ = spec.coupling == CouplingKind::kTruncatedExp ? static_cast<std::size_t>(spec.window) : 0;
    self_len_ = spec.self_filter.size();
  }
  const FilterConsts consts = make_filter_consts(spec, per_edge_, ring_len_, self_len_);

  // Strategy (docs/gpu.md): the block strategy keeps a unit's accumulators in
  // shared memory, so every network must fit; pull needs scalar weights.
  const std::size_t smem_limit = smem_optin_ > 1024 ? smem_optin_ - 1024 : 0;  // less the static shared memory
  const std::size_t block_limit = smem_limit / 18;  // accumulators and spike lists: 18 bytes per neuron
  const bool block_ok = BlockSmem::layout(max_n_, 0, 0, false).bytes <= smem_limit;
  block_state_ = BlockSmem::layout(max_n_, ring_len_, self_len_, true).bytes <= smem_limit;
  block_smem_ = BlockSmem::layout(max_n_, ring_len_, self_len_, block_state_).bytes;
  const std::size_t units = units_host_.size();
  switch (opt_.gpu_strategy) {
    case GpuStrategy::kAuto:
      // Measured on an H200 (bench/results/gpu-h200-2026-11-26): one block per
      // unit wins for small units (<= 2^17 synapses) and for many units whose
      // state fits in shared memory; one large unit is faster spread over the
      // device by the graph of per-step kernels.
      // Otherwise per-step kernels: fused (one kernel a step) while rows are
      // short, the two-kernel graph (a block per spiking row) for long rows.
      strategy_ = block_ok && (max_syn_unit <= (std::size_t{1} << 17) ||
                               (units >= static_cast<std::size_t>(sms_) / 4 && block_state_))
                      ? GpuStrategy::kBlock
                  : (!per_edge_ && edges <= 1024 * total_neurons_) ? GpuStrategy::kFused
                                                                   : GpuStrategy::kGraph;
      break;
    case GpuStrategy::kBlock:
      if (!block_ok)
        throw Error("gpu strategy 'block': a network has " + std::to_string(max_n_) +
                    " neurons, but the block strategy keeps one unit's accumulators and spike lists in shared memory, "
                    "at most " + std::to_string(block_limit) + " neurons on " + device_name_ + "; use step, graph or auto");
      strategy_ = GpuStrategy::kBlock;
      break;
    case GpuStrategy::kFused:
      if (per_edge_)
        throw Error("gpu strategy 'fused': per-edge filter networks are scattered into a future-drive ring; "
                    "use block, step, graph or auto");
      strategy_ = GpuStrategy::kFused;
      break;
    case GpuStrategy::kCluster: {
      if (per_edge_)
        throw Error("gpu strategy 'cluster': per-edge filter networks are scattered into a future-drive ring; "
                    "use block, step, graph or auto");
      if (prop.major < 9)
        throw Error("gpu strategy 'cluster': thread-block clusters need compute capability 9.0 or newer; " +
                    device_name_ + " is " + std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                    "; use block, step, graph, fused or auto");
      // The smallest cluster that gives each block at most 256 neurons (one
      // neuron a thread), more while a block's share of the state does not fit.
      std::uint32_t C = 2;
      while (C < kMaxCluster && (max_n_ + C - 1) / C > 256) C *= 2;
      auto share = [&](std::uint32_t c) { return BlockSmem::layout((max_n_ + c - 1) / c, ring_len_, self_len_, true).bytes; };
      while (C < kMaxCluster && share(C) > smem_limit) C *= 2;
      if (share(C) > smem_limit)
        throw Error("gpu strategy 'cluster': a network of " + std::to_string(max_n_) + " neurons needs " +
                    std::to_string(share(C)) + " bytes of shared memory per block even spread over " +
                    std::to_string(kMaxCluster) + " blocks (" + device_name_ + " has " + std::to_string(smem_limit) +
                    "); use graph, fused or auto");
      cluster_size_ = C;
      cluster_slice_ = static_cast<std::uint32_t>((max_n_ + C - 1) / C);
      cluster_smem_ = share(C);
      cluster_threads_ = static_cast<int>(
          std::min<std::uint32_t>(kClusterThreads, std::max<std::uint32_t>(32, (cluster_slice_ + 31) / 32 * 32)));
      strategy_ = GpuStrategy::kCluster;
      break;
    }
    case GpuStrategy::kPull:
      if (per_edge_)
        throw Error("gpu strategy 'pull': per-edge filter networks are scattered into a future-drive ring; "
                    "use block, step, graph or auto");
      strategy_ = GpuStrategy::kPull;
      break;
    default:
      strategy_ = opt_.gpu_strategy;
  }
  // Rows of a hundred edges or more: a block per spiking neuron, else a warp.
  scatter_by_block_ = edges >= 128 * total_neurons_;
  block_threads_ = static_cast<int>(std::min<std::size_t>(kBlockMaxThreads, std::max<std::size_t>(32, (max_n_ + 31) / 32 * 32)));

  // Memory: what the engine will hold, against what the device has free.
  const std::uint64_t net_bytes = static_cast<std::uint64_t>(row_base) * 8 + edges * 4 + q_entries * 4 +
                                  (strategy_ == GpuStrategy::kPull ? static_cast<std::uint64_t>(row_base) * 8 + edges * 8 + edges * 16 : 0);
  const std::uint64_t state_bytes =
      static_cast<std::uint64_t>(slots_) *
      (8 + 8 + 1 + 4 + ring_len_ * 8 + self_len_ + 2 * (4 + 1) + (strategy_ == GpuStrategy::kFused ? 8 : 0));
  std::size_t free_b = 0, total_b = 0;
  CASCADE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  if (net_bytes + state_bytes > free_b / 20 * 19)
    throw Error("the GPU engine needs " + gib(net_bytes + state_bytes) + " of device memory (networks " + gib(net_bytes) +
                ", state " + gib(state_bytes) + ") but " + device_name_ + " has " + gib(free_b) +
                " free; use fewer replicas or networks, or --backend cpu");
  if (q_entries >= (std::uint64_t{1} << 62)) throw Error("too many synapses");

  // Upload the networks.
  std::vector<std::int64_t> row_ptr(static_cast<std::size_t>(row_base));
  std::vector<std::int32_t> post(edges), q(q_entries);
  for (std::size_t k = 0; k < nets_.size(); ++k) {
    const Network& n = *nets_[k];
    std::copy(n.row_ptr().begin(), n.row_ptr().end(), row_ptr.begin() + dnets[k].row_base);
    std::copy(n.post().begin(), n.post().end(), post.begin() + dnets[k].edge_base);
    std::copy(n.quantised().begin(), n.quantised().end(), q.begin() + dnets[k].q_base);
  }
  d_nets_.upload(dnets);
  d_units_.upload(units_host_);
  std::vector<std::uint32_t> slot_unit(slots_);
  for (std::size_t u = 0; u < units_host_.size(); ++u) {
    const std::size_t n = nets_[units_host_[u].net]->n_neurons();
    std::fill_n(slot_unit.begin() + units_host_[u].slot_base, n, static_cast<std::uint32_t>(u));
  }
  d_slot_unit_.upload(slot_unit);
  d_row_ptr_.upload(row_ptr);
  d_post_.upload(post);
  d_q_.upload(q);
  d_self_filter_.upload(per_edge_ ? std::vector<double>{} : spec.self_filter);
  d_S_.resize(slots_);
  d_acc_.resize(slots_);
  if (strategy_ == GpuStrategy::kFused) d_acc_next_.resize(slots_);
  d_ring_.resize(slots_ * ring_len_);
  d_xhist_.resize(slots_ * self_len_);
  d_xlast_.resize(slots_);
  for (int b = 0; b < 2; ++b) {
    d_list_slot_[b].resize(slots_);
    d_list_count_[b].resize(slots_);
  }
  d_list_len_.resize(2);
  d_unit_len_.resize(2 * units_host_.size());
  d_counters_.resize(1);
  d_bad_.resize(1);
  d_step_base_.resize(1);

  view_.nets = d_nets_.get();
  view_.units = d_units_.get();
  view_.slot_unit = d_slot_unit_.get();
  view_.row_ptr = d_row_ptr_.get();
  view_.post = d_post_.get();
  view_.q = d_q_.get();
  view_.S = d_S_.get();
  view_.acc = d_acc_.get();
  view_.acc_next = d_acc_next_.get();
  view_.ring = d_ring_.get();
  view_.xhist = d_xhist_.get();
  view_.xlast = d_xlast_.get();
  for (int b = 0; b < 2; ++b) {
    view_.list_slot[b] = d_list_slot_[b].get();
    view_.list_count[b] = d_list_count_[b].get();
  }
  view_.list_len = d_list_len_.get();
  view_.unit_len = d_unit_len_.get();
  view_.counters = d_counters_.get();
  view_.bad = d_bad_.get();
  view_.self_filter = d_self_filter_.get();
  view_.consts = consts;
  view_.slots = slots_;
  view_.seed = opt_.seed;
  view_.n_units = static_cast<std::uint32_t>(units_host_.size());
  view_.ring_len = static_cast<std::uint32_t>(ring_len_);
  view_.self_len = static_cast<std::uint32_t>(self_len_);
  view_.per_edge = per_edge_ ? 1u : 0u;
  view_.stim = StimulusView{};
  if (strategy_ == GpuStrategy::kPull) build_csc();
  step_ = opt_.first_step;
  reset_random_state();
}

GpuEngineBase::~GpuEngineBase() {
  if (stream_) {
    CASCADE_CUDA_LOG(cudaSetDevice(opt_.device));
    CASCADE_CUDA_LOG(cudaStreamSynchronize(stream_->get()));
  }
}

int GpuEngineBase::select_device() const {
  CASCADE_CUDA_CHECK(cudaSetDevice(opt_.device));
  return opt_.device;
}

std::uint64_t GpuEngineBase::device_bytes() const {
  std::uint64_t b = d_nets_.bytes() + d_units_.bytes() + d_slot_unit_.bytes() + d_row_ptr_.bytes() + d_post_.bytes() +
                    d_q_.bytes() + d_col_ptr_.bytes() + d_csc_pre_.bytes() + d_csc_q_.bytes() + d_S_.bytes() +
                    d_acc_.bytes() + d_ring_.bytes() + d_xhist_.bytes() + d_xlast_.bytes() + d_self_filter_.bytes();
  for (int k = 0; k < 2; ++k) b += d_list_slot_[k].bytes() + d_list_count_[k].bytes();
  b += d_stim_.bytes();
  return b;
}

/// CSR -> CSC per network with cuSPARSE (exact: the values carried through
/// are edge numbers as doubles, < 2^53; the int32 weights are then gathered).
void GpuEngineBase::build_csc() {
  cusparseHandle_t h = nullptr;
  CASCADE_CUSPARSE_CHECK(cusparseCreate(&h));
  struct HandleGuard {
    cusparseHandle_t h;
    ~HandleGuard() { cusparseDestroy(h); }
  } guard{h};
  CASCADE_CUSPARSE_CHECK(cusparseSetStream(h, stream_->get()));
  const std::size_t rows = d_row_ptr_.size();
  d_col_ptr_.resize(rows);
  d_csc_pre_.resize(d_post_.size());
  d_csc_q_.resize(d_post_.size());
  std::vector<DevNet> dnets = d_nets_.download();
  for (std::size_t k = 0; k < nets_.size(); ++k) {
    const Network& net = *nets_[k];
    const auto n = static_cast<std::int64_t>(net.n_neurons());
    const auto nnz = static_cast<std::int64_t>(net.n_synapses());
    if (nnz >= (std::int64_t{1} << 31))
      throw Error("gpu strategy 'pull': network " + std::to_string(k) + " has " + std::to_string(nnz) +
                  " synapses; cuSPARSE's CSC conversion takes fewer than 2^31; use step, graph or auto");
    std::vector<std::int32_t> rp32(net.row_ptr().begin(), net.row_ptr().end());
    cuda::DeviceArray<std::int32_t> d_rp, d_cp;
    d_rp.upload(rp32);
    d_cp.resize(static_cast<std::size_t>(n) + 1);
    cuda::DeviceArray<double> val(std::max<std::int64_t>(nnz, 1)), cval(std::max<std::int64_t>(nnz, 1));
    if (nnz > 0) {
      iota_double_kernel<<<blocks_for(nnz), 256, 0, stream_->get()>>>(val.get(), nnz);
      CASCADE_CUDA_CHECK_LAUNCH();
      // cuSPARSE wants aligned arrays: a network's slice of the batch
      // arrays may not be, so it works on copies.
      cuda::DeviceArray<std::int32_t> cols(nnz), rows(nnz);
      CASCADE_CUDA_CHECK(cudaMemcpyAsync(cols.get(), d_post_.get() + dnets[k].edge_base, nnz * sizeof(std::int32_t),
                                         cudaMemcpyDeviceToDevice, stream_->get()));
      std::size_t buf_size = 0;
      CASCADE_CUSPARSE_CHECK(cusparseCsr2cscEx2_bufferSize(
          h, static_cast<int>(n), static_cast<int>(n), static_cast<int>(nnz), val.get(), d_rp.get(), cols.get(), cval.get(),
          d_cp.get(), rows.get(), CUDA_R_64F, CUSPARSE_ACTION_NUMERIC, CUSPARSE_INDEX_BASE_ZERO, CUSPARSE_CSR2CSC_ALG1,
          &buf_size));
      cuda::DeviceArray<std::uint8_t> buf(std::max<std::size_t>(buf_size, 1));
      CASCADE_CUSPARSE_CHECK(cusparseCsr2cscEx2(h, static_cast<int>(n), static_cast<int>(n), static_cast<int>(nnz),
                                                val.get(), d_rp.get(), cols.get(), cval.get(), d_cp.get(), rows.get(),
                                                CUDA_R_64F, CUSPARSE_ACTION_NUMERIC, CUSPARSE_INDEX_BASE_ZERO,
                                                CUSPARSE_CSR2CSC_ALG1, buf.get()));
      CASCADE_CUDA_CHECK(cudaMemcpyAsync(d_csc_pre_.get() + dnets[k].edge_base, rows.get(), nnz * sizeof(std::int32_t),
                                         cudaMemcpyDeviceToDevice, stream_->get()));
      gather_csc_kernel<<<blocks_for(nnz), 256, 0, stream_->get()>>>(cval.get(), d_q_.get() + dnets[k].q_base,
                                                                     d_csc_q_.get() + dnets[k].edge_base, nnz);
      CASCADE_CUDA_CHECK_LAUNCH();
      CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));  // before the temporaries are freed
    } else {
      CASCADE_CUDA_CHECK(cudaMemsetAsync(d_cp.get(), 0, (n + 1) * sizeof(std::int32_t), stream_->get()));
    }
    widen_kernel<<<blocks_for(n + 1), 256, 0, stream_->get()>>>(d_cp.get(), d_col_ptr_.get() + dnets[k].col_base, n + 1);
    CASCADE_CUDA_CHECK_LAUNCH();
    CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));  // temporaries die here
  }
  view_.col_ptr = d_col_ptr_.get();
  view_.csc_pre = d_csc_pre_.get();
  view_.csc_q = d_csc_q_.get();
}

void GpuEngineBase::clear_state() const {
  cudaStream_t s = stream_->get();
  d_S_.zero(s);
  d_acc_.zero(s);
  d_ring_.zero(s);
  d_xhist_.zero(s);
  d_xlast_.zero(s);
}

void GpuEngineBase::load_activation_from(const double* device_activation) {
  launch_load_activation(view_, device_activation, stream_->get());
  advance_ = false;  // the first step reads the activation as given
}

void GpuEngineBase::reset_random_state() {
  select_device();
  clear_state();
  if (info_.spec.initial == InitialState::kRandomActivation && !per_edge_) {
    cuda::DeviceArray<double> s(slots_);
    launch_initial_state(view_, step_, s.get(), stream_->get());
    load_activation_from(s.get());
    CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  } else {
    launch_initial_state(view_, step_, nullptr, stream_->get());
    advance_ = true;
    CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  }
}

void GpuEngineBase::set_initial_spikes(std::span<const std::uint8_t> counts) {
  if (counts.size() != slots_)
    throw Error("initial spikes: expected " + std::to_string(slots_) + " values (replicas x total neurons), got " +
                std::to_string(counts.size()));
  select_device();
  clear_state();
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(d_xlast_.get(), counts.data(), counts.size(), cudaMemcpyHostToDevice, stream_->get()));
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  advance_ = true;
}

void GpuEngineBase::set_initial_activation(std::span<const double> activation) {
  if (activation.size() != slots_)
    throw Error("initial activation: expected " + std::to_string(slots_) + " values (replicas x total neurons), got " +
                std::to_string(activation.size()));
  if (info_.spec.initial != InitialState::kRandomActivation || per_edge_)
    throw Error(std::string("initial activation: model '") + info_.name +
                "' keeps a spike history, not an activation; set initial spikes instead");
  for (double v : activation)
    if (!math::is_finite(v)) throw Error("initial activation: values must be finite");
  select_device();
  clear_state();
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
  e.S = d_S_.download();
  e.acc = d_acc_.download();
  e.ring = d_ring_.download();
  e.xhist = d_xhist_.download();
  e.xlast = d_xlast_.download();
  return e;
}

void GpuEngineBase::load_state(const EngineState& e) {
  engine::check_state(e, slots_, shape_);
  select_device();
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  auto put = [&](const auto& dst, const auto& src) {
    if (!src.empty())
      CASCADE_CUDA_CHECK(cudaMemcpy(dst.get(), src.data(), src.size() * sizeof(src[0]), cudaMemcpyHostToDevice));
  };
  put(d_S_, e.S);
  put(d_acc_, e.acc);
  put(d_ring_, e.ring);
  put(d_xhist_, e.xhist);
  put(d_xlast_, e.xlast);
  step_ = e.step;
  advance_ = e.advance;
}

void GpuEngineBase::set_stimulus(std::shared_ptr<const StimulusTable> table) {
  select_device();
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
  stimulus_ = (table && !table->empty()) ? std::move(table) : nullptr;
  view_.stim = StimulusView{};
  d_stim_.upload(stimulus_.get());
  view_.stim = d_stim_.view();
}

void GpuEngineBase::enqueue_one_step(const RunView& r, StepRef sref, bool advance, GpuStrategy strategy) const {
  cudaStream_t s = stream_->get();
  if (strategy == GpuStrategy::kFused) {
    launch_fused(view_, r, sref, advance ? 1 : 0, step_grid(slots_, sms_), s);
    return;
  }
  const bool pull = strategy == GpuStrategy::kPull;
  if (advance) {
    if (pull) launch_pull(view_, r, sref, step_grid(slots_ * 32, sms_), s);
    else if (scatter_by_block_) launch_scatter(view_, r, sref, true, step_grid(slots_ * kStepThreads, sms_), s);
    else launch_scatter(view_, r, sref, false, step_grid(slots_ * 32, sms_), s);
  }
  launch_update(view_, r, sref, advance ? 1 : 0, step_grid(slots_, sms_), s);
}

/// A graph of kGraphSteps steps whose step numbers come from the device step
/// base, which its last node advances: one capture serves the whole run.
constexpr int kGraphSteps = 32;

void GpuEngineBase::capture_graph(const RunView& r, GpuStrategy strategy) const {
  cudaStream_t s = stream_->get();
  cudaGraph_t g = nullptr;
  CASCADE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  try {
    for (int k = 0; k < kGraphSteps; ++k)
      enqueue_one_step(r, StepRef{d_step_base_.get(), static_cast<std::uint64_t>(k)}, true, strategy);
    launch_advance_base(d_step_base_.get(), kGraphSteps, s);
  } catch (...) {
    cudaStreamEndCapture(s, &g);
    if (g) cudaGraphDestroy(g);
    throw;
  }
  CASCADE_CUDA_CHECK(cudaStreamEndCapture(s, &g));
  graph_.adopt(g);
}

void GpuEngineBase::enqueue_steps(const RunView& r, std::uint64_t first, std::int64_t n, bool advance_first,
                                  GpuStrategy strategy, bool allow_graph) const {
  if (n <= 0) return;
  cudaStream_t s = stream_->get();
  if (strategy == GpuStrategy::kCluster) {
    launch_cluster(view_, r, first, n, advance_first ? 1 : 0, cluster_threads_, cluster_smem_, cluster_size_,
                   cluster_slice_, s);
    return;
  }
  if (strategy == GpuStrategy::kBlock) {
    launch_block(view_, r, first, n, advance_first ? 1 : 0, block_threads_, block_smem_, block_state_,
                 static_cast<std::uint32_t>(max_n_), s);
    return;
  }
  std::int64_t k = 0;
  if (!advance_first) {
    enqueue_one_step(r, StepRef{nullptr, first}, false, strategy);
    k = 1;
  }
  const bool graphed = allow_graph && (strategy == GpuStrategy::kGraph || strategy == GpuStrategy::kFused);
  if (graphed && n - k >= kGraphSteps) {
    launch_set_base(d_step_base_.get(), first + static_cast<std::uint64_t>(k), s);
    for (; n - k >= kGraphSteps; k += kGraphSteps) CASCADE_CUDA_CHECK(cudaGraphLaunch(graph_.get(), s));
  }
  for (; k < n; ++k) enqueue_one_step(r, StepRef{nullptr, first + static_cast<std::uint64_t>(k)}, true, strategy);
}

void GpuEngineBase::scatter_pending(const RunView& r) const {
  if (strategy_ != GpuStrategy::kFused) return;
  // The fused kernel scatters a step's spikes into the next step's buffer;
  // the pending spikes (xlast) are scattered here, into the buffer of step_.
  cudaStream_t s = stream_->get();
  d_acc_next_.zero(s);
  if (!advance_) return;
  EngineView v = view_;
  v.acc = (step_ & 1u) ? d_acc_next_.get() : d_acc_.get();
  const StepRef at{nullptr, step_};
  if (scatter_by_block_) launch_scatter(v, r, at, true, step_grid(slots_ * kStepThreads, sms_), s);
  else launch_scatter(v, r, at, false, step_grid(slots_ * 32, sms_), s);
}

void GpuEngineBase::throw_bad(const BadRecord& b, std::uint64_t run_first_step) const {
  const std::uint64_t slot = b.key & 0xffffffffu;
  std::size_t u = 0;
  while (u + 1 < units_host_.size() && static_cast<std::uint64_t>(units_host_[u + 1].slot_base) <= slot) ++u;
  const DevUnit& du = units_host_[u];
  (void)du;
  engine::BatchLayout layout;
  for (const DevUnit& x : units_host_)
    layout.units.push_back({x.replica, x.net, static_cast<std::size_t>(x.slot_base)});
  engine::throw_non_finite(layout, nets_, run_first_step + (b.key >> 32), slot, b.g, b.rate);
}

void GpuEngineBase::set_filters(const FilterSpec& spec_in) {
  shape_ = engine::reshape(shape_, spec_in, info_.name);
  FilterSpec spec = shape_.spec;
  select_device();
  cudaStream_t s = stream_->get();
  if (self_len_)  // after the stream's earlier work: pageable copies are staged before this returns
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(d_self_filter_.get(), spec.self_filter.data(), self_len_ * sizeof(double),
                                       cudaMemcpyHostToDevice, s));
  info_.spec = std::move(spec);
  view_.consts = make_filter_consts(info_.spec, per_edge_, ring_len_, self_len_);
}

void GpuEngineBase::enqueue_tapped_epoch(std::uint64_t first_step, std::int64_t equilibration, std::int64_t steps,
                                         const EpochTap& tap) {
  if (running_) throw Error("tune: a run of this engine is in progress");
  if (tap.slot_begin + tap.slots > slots_ || tap.steps < static_cast<std::uint64_t>(equilibration + steps))
    throw Error("tune: the tap does not lie within this engine's slots or does not cover the epoch's steps");
  if (steps < 1 || equilibration < 0 || equilibration + steps >= (std::int64_t{1} << 32))
    throw Error("tune: an epoch needs steps >= 1, equilibration >= 0 and fewer than 2^32 steps in all");
  select_device();
  cudaStream_t s = stream_->get();
  step_ = first_step;
  tap_first_step_ = first_step;
  // A fresh random state at first_step, drawn on the device (as reset_random_state, without its sync).
  clear_state();
  if (info_.spec.initial == InitialState::kRandomActivation && !per_edge_) {
    if (d_tap_activation_.size() != slots_) d_tap_activation_.resize(slots_);
    launch_initial_state(view_, step_, d_tap_activation_.get(), s);
    load_activation_from(d_tap_activation_.get());
  } else {
    launch_initial_state(view_, step_, nullptr, s);
    advance_ = true;
  }
  RunView r{};
  r.run_first_step = step_;
  r.record_from = step_ + static_cast<std::uint64_t>(equilibration);
  r.stimulus_start = 0;
  r.stimulus_on = stimulus_ ? 1 : 0;
  r.replica_offset = opt_.replica_offset;
  r.rows = 1;
  r.tap = tap;
  r.tap.first_step = first_step;  // the tap's step 0 is the epoch's first step
  if (h_tap_bad_.size() == 0) h_tap_bad_.resize(1);
  h_tap_bad_.get()[0] = BadRecord{kNoBad, 0, 0, 0.0, 0.0};
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(view_.bad, h_tap_bad_.get(), sizeof(BadRecord), cudaMemcpyHostToDevice, s));
  d_counters_.zero(s);
  d_list_len_.zero(s);
  d_unit_len_.zero(s);
  launch_build_lists(view_, static_cast<int>(step_ & 1u), strategy_ == GpuStrategy::kBlock, s);
  scatter_pending(r);
  const std::int64_t total = equilibration + steps;
  enqueue_steps(r, step_, total, advance_, strategy_, false);
  if (strategy_ == GpuStrategy::kFused) {  // as after run(): the pending spikes live in xlast
    d_acc_.zero(s);
    d_acc_next_.zero(s);
  }
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_tap_bad_.get(), view_.bad, sizeof(BadRecord), cudaMemcpyDeviceToHost, s));
  step_ += static_cast<std::uint64_t>(total);
  advance_ = true;
}

void GpuEngineBase::check_tapped_epoch() const {
  const BadRecord& b = h_tap_bad_.get()[0];
  if (b.key != kNoBad) throw_bad(b, tap_first_step_);
}

void GpuEngineBase::inspect(std::vector<double>* input, std::vector<double>* rate, std::int64_t stimulus_time) const {
  if (stimulus_time != kStimulusOff && stimulus_time < 0)
    throw Error("inspect: stimulus time " + std::to_string(stimulus_time) + " is invalid; expected >= 0");
  if (running_) throw Error("inspect: not available while a run is in progress (e.g. from a progress callback)");
  select_device();
  cudaStream_t s = stream_->get();
  // Save the state, run one step that writes g and phi(g) of every slot, restore.
  cuda::DeviceArray<double> S(d_S_.size()), g(slots_), p(slots_);
  cuda::DeviceArray<std::int64_t> acc(d_acc_.size()), ring(d_ring_.size());
  cuda::DeviceArray<std::uint8_t> xhist(d_xhist_.size()), xlast(d_xlast_.size());
  auto copy = [&](const auto& dst, const auto& src) {
    if (src.size()) CASCADE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), src.bytes(), cudaMemcpyDeviceToDevice, s));
  };
  copy(S, d_S_);
  copy(acc, d_acc_);
  copy(ring, d_ring_);
  copy(xhist, d_xhist_);
  copy(xlast, d_xlast_);
  BadRecord none{kNoBad, 0, 0, 0.0, 0.0};
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(view_.bad, &none, sizeof none, cudaMemcpyHostToDevice, s));
  CASCADE_CUDA_CHECK(cudaMemsetAsync(view_.list_len, 0, 2 * sizeof(std::uint32_t), s));
  const int cur = static_cast<int>(step_ & 1u);
  launch_build_lists(view_, cur, false, s);
  RunView r{};
  r.run_first_step = step_;
  r.record_from = step_;
  r.stimulus_start = stimulus_time == kStimulusOff ? 0 : stimulus_time;
  r.stimulus_on = stimulus_time != kStimulusOff && stimulus_ ? 1 : 0;
  r.rows = 1;
  r.inspect_g = g.get();
  r.inspect_rate = p.get();
  enqueue_one_step(r, StepRef{nullptr, step_}, advance_, GpuStrategy::kStep);
  copy(d_S_, S);
  copy(d_acc_, acc);
  copy(d_ring_, ring);
  copy(d_xhist_, xhist);
  copy(d_xlast_, xlast);
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));
  if (input) *input = g.download();
  if (rate) *rate = p.download();
}

RunSummary GpuEngineBase::run(const RunOptions& options, const RecordTarget* target) {
  engine::check_run_options(options, step_);
  if (options.equilibration_steps + options.steps >= (std::int64_t{1} << 32))
    throw Error("the GPU engine runs fewer than 2^32 steps per call; split the run (RunOptions::fresh_state = false "
                "continues it)");
  if (running_) throw Error("run: a run of this simulator is already in progress");
  const auto t0 = std::chrono::steady_clock::now();
  select_device();
  if (options.fresh_state) reset_random_state();
  cudaStream_t s = stream_->get();
  RunSummary sum = engine::start_summary("gpu", step_, dt(), options);
  sum.threads = 1;
  sum.gpu_strategy = gpu_strategy_name(strategy_);
  sum.device = device_name_;
  const std::int64_t total = options.equilibration_steps + options.steps;
  const std::int64_t eq = options.equilibration_steps;

  RunView r{};
  r.run_first_step = step_;
  r.record_from = step_ + static_cast<std::uint64_t>(eq);
  r.stimulus_start = options.stimulus_start;
  r.stimulus_on = options.stimulus && stimulus_ ? 1 : 0;
  r.replica_offset = opt_.replica_offset;
  r.rows = 1;

  // Recording: a ring of `rows` steps on the device, copied out per chunk
  // into one of two pinned buffers while the next chunk runs.
  const bool recording = target && target->raster && target->end > target->begin;
  std::size_t floats = 0;
  cuda::DeviceArray<std::int32_t> d_index;
  cuda::DeviceArray<std::uint8_t> d_counts;
  cuda::DeviceArray<float> d_g, d_rate;
  cuda::PinnedArray<std::uint8_t> h_counts[2];
  cuda::PinnedArray<float> h_g[2], h_rate[2];
  if (recording) {
    r.record = 1;
    r.begin = target->begin;
    r.end = target->end;
    r.rec_neurons = target->neurons;
    r.row_len = static_cast<std::uint64_t>(opt_.replicas) * target->neurons;
    floats = (target->input ? 1 : 0) + (target->rate ? 1 : 0);
    const std::uint64_t row_bytes = std::max<std::uint64_t>(1, r.row_len * (1 + 4 * floats));
    std::size_t free_b = 0, total_b = 0;
    CASCADE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    const std::uint64_t budget = std::min<std::uint64_t>(std::uint64_t{128} << 20, free_b / 8);
    r.rows = static_cast<std::int64_t>(std::clamp<std::uint64_t>(budget / row_bytes, 1, static_cast<std::uint64_t>(r.end - r.begin)));
    if (opt_.gpu_chunk_steps > 0) r.rows = std::min(r.rows, opt_.gpu_chunk_steps);
    if (target->index) {
      d_index.upload(std::vector<std::int32_t>(target->index, target->index + total_neurons_));
      r.index = d_index.get();
    }
    const std::size_t entries = static_cast<std::size_t>(r.rows) * r.row_len;
    d_counts.resize(entries);
    r.counts = d_counts.get();
    if (target->input) d_g.resize(entries), r.g = d_g.get();
    if (target->rate) d_rate.resize(entries), r.rate = d_rate.get();
    for (int b = 0; b < 2; ++b) {
      h_counts[b].resize(entries);
      if (target->input) h_g[b].resize(entries);
      if (target->rate) h_rate[b].resize(entries);
    }
  }
  sum.device_bytes = device_bytes() + d_index.bytes() + d_counts.bytes() + d_g.bytes() + d_rate.bytes();

  // Fresh counters and lists (rebuilt from the previous step's counts).
  d_counters_.zero(s);
  BadRecord none{kNoBad, 0, 0, 0.0, 0.0};
  cuda::PinnedArray<BadRecord> h_bad;
  h_bad.resize(2);
  h_bad.get()[0] = none;
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(view_.bad, h_bad.get(), sizeof none, cudaMemcpyHostToDevice, s));
  d_list_len_.zero(s);
  d_unit_len_.zero(s);
  launch_build_lists(view_, static_cast<int>(step_ & 1u), strategy_ == GpuStrategy::kBlock, s);
  scatter_pending(r);
  if (strategy_ == GpuStrategy::kGraph || strategy_ == GpuStrategy::kFused) capture_graph(r, strategy_);
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));

  cuda::Event ev_start, ev_stop, seg_done[2];
  CASCADE_CUDA_CHECK(cudaEventRecord(ev_start.get(), s));

  // Segments end at chunk boundaries and at progress ticks; the host handles
  // segment i-1 (copy-out, non-finite check, progress) while i runs.
  struct Segment {
    std::int64_t end = 0;
    int chunk_buffer = -1;  // pinned buffer holding a recorded chunk, or -1
    std::int64_t chunk_first = 0, chunk_rows = 0;
  };
  const std::int64_t tick = std::max<std::int64_t>(256, total / 64);
  const std::int64_t win_lo = recording ? eq + r.begin : total, win_hi = recording ? eq + r.end : total;
  std::int64_t next_chunk_end = recording ? std::min(win_lo + r.rows, win_hi) : total + 1;
  int chunks = 0;
  Segment pending;
  bool have_pending = false;
  std::int64_t done = 0;
  std::int64_t last_progress = 0;
  const std::int64_t pstride = std::max<std::int64_t>(1, total / 1000);
  std::uint64_t bad_rel = ~0ull;

  auto finish_segment = [&](const Segment& sg, int parity) {
    CASCADE_CUDA_CHECK(cudaEventSynchronize(seg_done[parity].get()));
    const BadRecord& b = h_bad.get()[parity];
    if (b.key != kNoBad) {
      bad_rel = b.key >> 32;
      throw_bad(b, r.run_first_step);
    }
    if (sg.chunk_buffer >= 0) {
      const int cb = sg.chunk_buffer;
      const std::uint8_t* hc = h_counts[cb].get();
      const float* hg = floats && target->input ? h_g[cb].get() : nullptr;
      const float* hr = floats && target->rate ? h_rate[cb].get() : nullptr;
      const std::size_t steps_total = target->raster->steps();
      for (std::uint32_t rep = 0; rep < opt_.replicas; ++rep)
        for (std::size_t idx = 0; idx < target->neurons; ++idx) {
          const std::size_t col = rep * target->neurons + idx;
          const std::size_t flat0 = (rep * target->neurons + idx) * steps_total;
          for (std::int64_t row = 0; row < sg.chunk_rows; ++row) {
            const std::size_t at = static_cast<std::size_t>(row) * r.row_len + col;
            const std::size_t t = static_cast<std::size_t>(sg.chunk_first + row);
            target->raster->set(rep, idx, t, hc[at]);
            if (hg) target->input[flat0 + t] = hg[at];
            if (hr) target->rate[flat0 + t] = hr[at];
          }
        }
    }
    done = sg.end;
    if (options.progress && (done - last_progress >= pstride || done == total)) {
      last_progress = done;
      options.progress(done, total);
    }
  };

  std::int64_t pos = 0, enqueued = 0;
  int seg_index = 0;
  running_ = true;
  try {
    while (pos < total) {
      const bool stopping = options.stop && options.stop->load(std::memory_order_relaxed);
      std::int64_t end = pos;
      if (stopping) {
        // Stop here; a chunk recorded in part is copied out by one more,
        // empty, segment.
        sum.stopped = true;
        const std::int64_t chunk_start = win_lo + static_cast<std::int64_t>(chunks) * r.rows;
        if (!(recording && next_chunk_end <= total && pos > chunk_start)) break;
        next_chunk_end = pos;
      } else {
        end = std::min(total, pos + tick);
        if (recording && next_chunk_end > pos) end = std::min(end, next_chunk_end);
        const bool adv = pos > 0 || advance_;
        enqueue_steps(r, step_ + static_cast<std::uint64_t>(pos), end - pos, adv, strategy_);
        enqueued = end;
      }
      Segment sg;
      sg.end = end;
      const int parity = seg_index & 1;
      if (recording && end == next_chunk_end) {
        const std::int64_t first_t = win_lo + static_cast<std::int64_t>(chunks) * r.rows - eq - r.begin;
        sg.chunk_first = first_t;
        sg.chunk_rows = next_chunk_end - (win_lo + static_cast<std::int64_t>(chunks) * r.rows);
        sg.chunk_buffer = chunks & 1;
        const std::size_t n = static_cast<std::size_t>(sg.chunk_rows) * r.row_len;
        CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_counts[sg.chunk_buffer].get(), d_counts.get(), n, cudaMemcpyDeviceToHost, s));
        if (target->input)
          CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_g[sg.chunk_buffer].get(), d_g.get(), n * 4, cudaMemcpyDeviceToHost, s));
        if (target->rate)
          CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_rate[sg.chunk_buffer].get(), d_rate.get(), n * 4, cudaMemcpyDeviceToHost, s));
        ++chunks;
        next_chunk_end = std::min(next_chunk_end + r.rows, win_hi);
        if (next_chunk_end == end) next_chunk_end = total + 1;
      }
      CASCADE_CUDA_CHECK(cudaMemcpyAsync(&h_bad.get()[parity], view_.bad, sizeof(BadRecord), cudaMemcpyDeviceToHost, s));
      CASCADE_CUDA_CHECK(cudaEventRecord(seg_done[parity].get(), s));
      if (have_pending) finish_segment(pending, parity ^ 1);
      pending = sg;
      have_pending = true;
      pos = end;
      ++seg_index;
      if (stopping) break;
    }
    CASCADE_CUDA_CHECK(cudaEventRecord(ev_stop.get(), s));
    if (have_pending) finish_segment(pending, (seg_index - 1) & 1);
    CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));
  } catch (...) {
    // Every enqueued step ran (those after a non-finite rate as no-ops): the
    // state is at the end of the last enqueued step, as the step counter.
    running_ = false;
    cudaStreamSynchronize(s);
    step_ = r.run_first_step + (bad_rel != ~0ull ? bad_rel + 1 : static_cast<std::uint64_t>(enqueued));
    advance_ = true;
    if (strategy_ == GpuStrategy::kFused) {
      cudaMemsetAsync(d_acc_.get(), 0, d_acc_.bytes(), s);
      cudaMemsetAsync(d_acc_next_.get(), 0, d_acc_next_.bytes(), s);
      cudaStreamSynchronize(s);
    }
    throw;
  }
  running_ = false;
  if (strategy_ == GpuStrategy::kFused) {
    // Between runs the pending spikes live in xlast, as on the CPU: drop the
    // drive already scattered for the next step (the next run scatters it again).
    d_acc_.zero(s);
    d_acc_next_.zero(s);
    CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));
  }
  float ms = 0.f;
  CASCADE_CUDA_CHECK(cudaEventElapsedTime(&ms, ev_start.get(), ev_stop.get()));
  sum.device_seconds = ms / 1000.0;
  step_ += static_cast<std::uint64_t>(enqueued);
  advance_ = advance_ || enqueued > 0;

  DevCounters c{};
  CASCADE_CUDA_CHECK(cudaMemcpy(&c, d_counters_.get(), sizeof c, cudaMemcpyDeviceToHost));
  engine::finish_summary(sum, engine::RunCounters{c.events, c.scattered, c.recorded_spikes, c.capped, c.saturated},
                         enqueued, eq, slots_);
  sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace cascade::gpu

// The pull strategy: per-step kernels whose drive is gathered over each
// slot's in-edges (no atomics; every in-edge read): for dense activity. The
// CSC it reads is built on the device by cuSPARSE, exactly (edge numbers
// carried as doubles, then the int32 weights gathered).
#include <cusparse.h>

#include "strategy.hpp"

#define CASCADE_CUSPARSE_CHECK(call)                                                              \
  do {                                                                                            \
    const cusparseStatus_t st_ = (call);                                                          \
    if (st_ != CUSPARSE_STATUS_SUCCESS)                                                           \
      ::cascade::throw_at(__FILE__, __LINE__, std::string(#call) + ": " + cusparseGetErrorString(st_)); \
  } while (0)

namespace cascade::gpu {

namespace {

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

/// One network's CSR -> CSC with cuSPARSE into the batch's CSC arrays.
void network_csc(cusparseHandle_t h, DeviceState& d, const Network& net, const DevNet& dn, cudaStream_t s) {
  const auto n = static_cast<std::int64_t>(net.n_neurons());
  const auto nnz = static_cast<std::int64_t>(net.n_synapses());
  std::vector<std::int32_t> rp32(net.row_ptr().begin(), net.row_ptr().end());
  cuda::DeviceArray<std::int32_t> d_rp, d_cp;
  d_rp.upload(rp32);
  d_cp.resize(static_cast<std::size_t>(n) + 1);
  cuda::DeviceArray<double> val(std::max<std::int64_t>(nnz, 1)), cval(std::max<std::int64_t>(nnz, 1));
  if (nnz > 0) {
    iota_double_kernel<<<blocks_for(nnz), 256, 0, s>>>(val.get(), nnz);
    CASCADE_CUDA_CHECK_LAUNCH();
    // cuSPARSE wants aligned arrays: a network's slice of the batch arrays
    // may not be, so it works on copies.
    cuda::DeviceArray<std::int32_t> cols(nnz), rows(nnz);
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(cols.get(), d.post.get() + dn.edge_base, nnz * sizeof(std::int32_t),
                                       cudaMemcpyDeviceToDevice, s));
    std::size_t buf_size = 0;
    CASCADE_CUSPARSE_CHECK(cusparseCsr2cscEx2_bufferSize(
        h, static_cast<int>(n), static_cast<int>(n), static_cast<int>(nnz), val.get(), d_rp.get(), cols.get(),
        cval.get(), d_cp.get(), rows.get(), CUDA_R_64F, CUSPARSE_ACTION_NUMERIC, CUSPARSE_INDEX_BASE_ZERO,
        CUSPARSE_CSR2CSC_ALG1, &buf_size));
    cuda::DeviceArray<std::uint8_t> buf(std::max<std::size_t>(buf_size, 1));
    CASCADE_CUSPARSE_CHECK(cusparseCsr2cscEx2(h, static_cast<int>(n), static_cast<int>(n), static_cast<int>(nnz),
                                              val.get(), d_rp.get(), cols.get(), cval.get(), d_cp.get(), rows.get(),
                                              CUDA_R_64F, CUSPARSE_ACTION_NUMERIC, CUSPARSE_INDEX_BASE_ZERO,
                                              CUSPARSE_CSR2CSC_ALG1, buf.get()));
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(d.csc_pre.get() + dn.edge_base, rows.get(), nnz * sizeof(std::int32_t),
                                       cudaMemcpyDeviceToDevice, s));
    gather_csc_kernel<<<blocks_for(nnz), 256, 0, s>>>(cval.get(), d.q.get() + dn.q_base, d.csc_q.get() + dn.edge_base,
                                                      nnz);
    CASCADE_CUDA_CHECK_LAUNCH();
    CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));  // before the temporaries are freed
  } else {
    CASCADE_CUDA_CHECK(cudaMemsetAsync(d_cp.get(), 0, (n + 1) * sizeof(std::int32_t), s));
  }
  widen_kernel<<<blocks_for(n + 1), 256, 0, s>>>(d_cp.get(), d.col_ptr.get() + dn.col_base, n + 1);
  CASCADE_CUDA_CHECK_LAUNCH();
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));  // temporaries die here
}

class PullStrategy : public PerStepStrategy {
 public:
  using PerStepStrategy::PerStepStrategy;
  GpuStrategy kind() const override { return GpuStrategy::kPull; }
  std::uint64_t extra_network_bytes(const BatchFacts& f) const override {
    return static_cast<std::uint64_t>(f.row_entries) * 8 + f.edges * 8 + f.edges * 16;
  }

  /// The CSC of every network (cuSPARSE Csr2cscEx2, exact).
  void allocate() override {
    DeviceState& d = *ctx_.dev;
    for (std::size_t k = 0; k < ctx_.nets->size(); ++k)
      if ((*ctx_.nets)[k]->n_synapses() >= (std::uint64_t{1} << 31))
        throw Error("gpu strategy 'pull': network " + std::to_string(k) + " has " +
                    std::to_string((*ctx_.nets)[k]->n_synapses()) +
                    " synapses; cuSPARSE's CSC conversion takes fewer than 2^31; use step, graph or auto");
    cusparseHandle_t h = nullptr;
    CASCADE_CUSPARSE_CHECK(cusparseCreate(&h));
    struct HandleGuard {
      cusparseHandle_t h;
      ~HandleGuard() { cusparseDestroy(h); }
    } guard{h};
    CASCADE_CUSPARSE_CHECK(cusparseSetStream(h, ctx_.stream));
    d.col_ptr.resize(d.row_ptr.size());
    d.csc_pre.resize(d.post.size());
    d.csc_q.resize(d.post.size());
    for (std::size_t k = 0; k < ctx_.nets->size(); ++k) network_csc(h, d, *(*ctx_.nets)[k], d.host_nets[k], ctx_.stream);
    d.view.col_ptr = d.col_ptr.get();
    d.view.csc_pre = d.csc_pre.get();
    d.view.csc_q = d.csc_q.get();
  }

  void one_step(const RunView& r, StepRef sref, bool advance) const override {
    if (advance) launch_pull(ctx_.dev->view, r, sref, step_grid(ctx_.slots * 32, ctx_.sms), ctx_.stream);
    ctx_.kernels->update(ctx_.dev->view, r, sref, advance ? 1 : 0, step_grid(ctx_.slots, ctx_.sms), ctx_.stream);
  }
};

}  // namespace

StrategyEntry pull_strategy() {
  return StrategyEntry{GpuStrategy::kPull,
                       [](const BatchFacts& f) -> std::optional<std::string> {
                         if (f.per_edge)
                           return std::string(
                               "gpu strategy 'pull': per-edge filter networks are scattered into a future-drive "
                               "ring; use block, step, graph or auto");
                         return std::nullopt;
                       },
                       nullptr,
                       [](const BatchFacts&, const StrategyContext& c) -> std::unique_ptr<Strategy> {
                         return std::make_unique<PullStrategy>(c);
                       }};
}

}  // namespace cascade::gpu

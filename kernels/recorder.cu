#include "recorder.hpp"

#include <algorithm>
#include <vector>

namespace cascade::gpu {

Recorder::Recorder(const RecordTarget* target, std::uint32_t replicas, std::size_t total_neurons,
                   std::int64_t chunk_steps, RunView& r) {
  r.rows = 1;
  if (!(target && target->raster && target->end > target->begin)) return;
  target_ = target;
  replicas_ = replicas;
  r.record = 1;
  r.begin = target->begin;
  r.end = target->end;
  r.rec_neurons = target->neurons;
  r.row_len = row_len_ = static_cast<std::uint64_t>(replicas) * target->neurons;
  const std::size_t floats = (target->input ? 1 : 0) + (target->rate ? 1 : 0);
  const std::uint64_t row_bytes = std::max<std::uint64_t>(1, r.row_len * (1 + 4 * floats));
  std::size_t free_b = 0, total_b = 0;
  CASCADE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const std::uint64_t budget = std::min<std::uint64_t>(std::uint64_t{128} << 20, free_b / 8);
  r.rows = static_cast<std::int64_t>(
      std::clamp<std::uint64_t>(budget / row_bytes, 1, static_cast<std::uint64_t>(r.end - r.begin)));
  if (chunk_steps > 0) r.rows = std::min(r.rows, chunk_steps);
  rows_ = r.rows;
  if (target->index) {
    index_.upload(std::vector<std::int32_t>(target->index, target->index + total_neurons));
    r.index = index_.get();
  }
  const std::size_t entries = static_cast<std::size_t>(r.rows) * r.row_len;
  counts_.resize(entries);
  r.counts = counts_.get();
  if (target->input) g_.resize(entries), r.g = g_.get();
  if (target->rate) rate_.resize(entries), r.rate = rate_.get();
  for (int b = 0; b < 2; ++b) {
    h_counts_[b].resize(entries);
    if (target->input) h_g_[b].resize(entries);
    if (target->rate) h_rate_[b].resize(entries);
  }
}

void Recorder::copy_out(int buffer, std::int64_t rows, cudaStream_t s) const {
  const std::size_t n = static_cast<std::size_t>(rows) * row_len_;
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_counts_[buffer].get(), counts_.get(), n, cudaMemcpyDeviceToHost, s));
  if (target_->input)
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_g_[buffer].get(), g_.get(), n * 4, cudaMemcpyDeviceToHost, s));
  if (target_->rate)
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_rate_[buffer].get(), rate_.get(), n * 4, cudaMemcpyDeviceToHost, s));
}

void Recorder::deliver(int buffer, std::int64_t first, std::int64_t rows) const {
  const std::uint8_t* hc = h_counts_[buffer].get();
  const float* hg = target_->input ? h_g_[buffer].get() : nullptr;
  const float* hr = target_->rate ? h_rate_[buffer].get() : nullptr;
  const std::size_t steps_total = target_->raster->steps();
  for (std::uint32_t rep = 0; rep < replicas_; ++rep)
    for (std::size_t idx = 0; idx < target_->neurons; ++idx) {
      const std::size_t col = rep * target_->neurons + idx;
      const std::size_t flat0 = (rep * target_->neurons + idx) * steps_total;
      for (std::int64_t row = 0; row < rows; ++row) {
        const std::size_t at = static_cast<std::size_t>(row) * row_len_ + col;
        const std::size_t t = static_cast<std::size_t>(first + row);
        target_->raster->set(rep, idx, t, hc[at]);
        if (hg) target_->input[flat0 + t] = hg[at];
        if (hr) target_->rate[flat0 + t] = hr[at];
      }
    }
}

}  // namespace cascade::gpu

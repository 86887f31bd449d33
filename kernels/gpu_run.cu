// The GPU engine's run loop: a run's steps enqueued in segments that end at
// recording-chunk boundaries and progress ticks; the host handles segment
// i-1 (its chunk's copy-out, the non-finite check, progress) while segment i
// runs. No per-step host synchronisation.
#include <algorithm>
#include <chrono>

#include "cascade/extend/gpu/gpu_engine.cuh"
#include "device_state.hpp"
#include "recorder.hpp"
#include "strategy.hpp"

namespace cascade::gpu {

class RunLoop {
 public:
  RunLoop(GpuEngineBase& e, const RunOptions& o, const Recorder& rec, const RunView& r)
      : e_(e), o_(o), rec_(rec), r_(r), s_(e.stream_->get()), eq_(o.equilibration_steps),
        total_(o.equilibration_steps + o.steps),
        tick_(std::max<std::int64_t>(256, total_ / 64)),
        win_lo_(rec.recording() ? eq_ + r.begin : total_), win_hi_(rec.recording() ? eq_ + r.end : total_),
        next_chunk_end_(rec.recording() ? std::min(win_lo_ + r.rows, win_hi_) : total_ + 1),
        pstride_(std::max<std::int64_t>(1, total_ / 1000)) {
    h_bad_.resize(2);
  }

  /// Runs the steps; true when a stop request ended the run early. On an
  /// error the engine's step counter and state are left consistent.
  bool run() {
    bool stopped = false;
    e_.running_ = true;
    try {
      while (pos_ < total_)
        if (!segment(stopped)) break;
      CASCADE_CUDA_CHECK(cudaEventRecord(ev_stop_.get(), s_));
      if (have_pending_) finish(pending_, (seg_index_ - 1) & 1);
      CASCADE_CUDA_CHECK(cudaStreamSynchronize(s_));
    } catch (...) {
      // Every enqueued step ran (those after a non-finite rate as no-ops): the
      // state is at the end of the last enqueued step, as the step counter.
      e_.running_ = false;
      cudaStreamSynchronize(s_);
      e_.step_ = r_.run_first_step + (bad_rel_ != ~0ull ? bad_rel_ + 1 : static_cast<std::uint64_t>(enqueued_));
      e_.advance_ = true;
      e_.strategy_->end(true);
      cudaStreamSynchronize(s_);
      throw;
    }
    e_.running_ = false;
    return stopped;
  }

  void start_clock() { CASCADE_CUDA_CHECK(cudaEventRecord(ev_start_.get(), s_)); }
  double device_seconds() const {
    float ms = 0.f;
    CASCADE_CUDA_CHECK(cudaEventElapsedTime(&ms, ev_start_.get(), ev_stop_.get()));
    return ms / 1000.0;
  }
  std::int64_t enqueued() const { return enqueued_; }

 private:
  struct Segment {
    std::int64_t end = 0;
    int chunk_buffer = -1;  // pinned buffer holding a recorded chunk, or -1
    std::int64_t chunk_first = 0, chunk_rows = 0;
  };

  /// Enqueues one segment (or, when stopping, copies out a chunk recorded in
  /// part); false when the loop ends.
  bool segment(bool& stopped) {
    const bool stopping = o_.stop && o_.stop->load(std::memory_order_relaxed);
    std::int64_t end = pos_;
    if (stopping) {
      // Stop here; a chunk recorded in part is copied out by one more, empty, segment.
      stopped = true;
      const std::int64_t chunk_start = win_lo_ + static_cast<std::int64_t>(chunks_) * r_.rows;
      if (!(rec_.recording() && next_chunk_end_ <= total_ && pos_ > chunk_start)) return false;
      next_chunk_end_ = pos_;
    } else {
      end = std::min(total_, pos_ + tick_);
      if (rec_.recording() && next_chunk_end_ > pos_) end = std::min(end, next_chunk_end_);
      const bool adv = pos_ > 0 || e_.advance_;
      e_.strategy_->enqueue(r_, e_.step_ + static_cast<std::uint64_t>(pos_), end - pos_, adv, true);
      enqueued_ = end;
    }
    Segment sg;
    sg.end = end;
    const int parity = seg_index_ & 1;
    if (rec_.recording() && end == next_chunk_end_) {
      const std::int64_t chunk_start = win_lo_ + static_cast<std::int64_t>(chunks_) * r_.rows;
      sg.chunk_first = chunk_start - eq_ - r_.begin;
      sg.chunk_rows = next_chunk_end_ - chunk_start;
      sg.chunk_buffer = chunks_ & 1;
      rec_.copy_out(sg.chunk_buffer, sg.chunk_rows, s_);
      ++chunks_;
      next_chunk_end_ = std::min(next_chunk_end_ + r_.rows, win_hi_);
      if (next_chunk_end_ == end) next_chunk_end_ = total_ + 1;
    }
    CASCADE_CUDA_CHECK(
        cudaMemcpyAsync(&h_bad_.get()[parity], e_.dev_->view.bad, sizeof(BadRecord), cudaMemcpyDeviceToHost, s_));
    CASCADE_CUDA_CHECK(cudaEventRecord(seg_done_[parity].get(), s_));
    if (have_pending_) finish(pending_, parity ^ 1);
    pending_ = sg;
    have_pending_ = true;
    pos_ = end;
    ++seg_index_;
    return !stopping;
  }

  /// A segment's work on the host once it has run: the non-finite check, the
  /// chunk's delivery, progress.
  void finish(const Segment& sg, int parity) {
    CASCADE_CUDA_CHECK(cudaEventSynchronize(seg_done_[parity].get()));
    const BadRecord& b = h_bad_.get()[parity];
    if (b.key != kNoBad) {
      bad_rel_ = b.key >> 32;
      e_.throw_bad(b, r_.run_first_step);
    }
    if (sg.chunk_buffer >= 0) rec_.deliver(sg.chunk_buffer, sg.chunk_first, sg.chunk_rows);
    done_ = sg.end;
    if (o_.progress && (done_ - last_progress_ >= pstride_ || done_ == total_)) {
      last_progress_ = done_;
      o_.progress(done_, total_);
    }
  }

  GpuEngineBase& e_;
  const RunOptions& o_;
  const Recorder& rec_;
  const RunView& r_;
  cudaStream_t s_;
  const std::int64_t eq_, total_, tick_, win_lo_, win_hi_;
  std::int64_t next_chunk_end_;
  const std::int64_t pstride_;
  int chunks_ = 0, seg_index_ = 0;
  Segment pending_;
  bool have_pending_ = false;
  std::int64_t pos_ = 0, enqueued_ = 0, done_ = 0, last_progress_ = 0;
  std::uint64_t bad_rel_ = ~0ull;
  cuda::PinnedArray<BadRecord> h_bad_;
  cuda::Event ev_start_, ev_stop_, seg_done_[2];
};

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
  sum.gpu_strategy = gpu_strategy_name(strategy_->kind());
  sum.device = device_name_;
  RunView r = run_view(step_ + static_cast<std::uint64_t>(options.equilibration_steps), options.stimulus_start,
                       options.stimulus);
  const Recorder recorder(target, opt_.replicas, layout_.total_neurons, opt_.gpu_chunk_steps, r);
  sum.device_bytes = device_bytes() + recorder.bytes();

  // Fresh counters and lists (rebuilt from the previous step's counts).
  BadRecord none{kNoBad, 0, 0, 0.0, 0.0};
  cuda::PinnedArray<BadRecord> h_none;
  h_none.resize(1);
  h_none.get()[0] = none;
  CASCADE_CUDA_CHECK(cudaMemcpyAsync(dev_->view.bad, h_none.get(), sizeof none, cudaMemcpyHostToDevice, s));
  begin_steps(r, true);
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));

  RunLoop loop(*this, options, recorder, r);
  loop.start_clock();
  sum.stopped = loop.run();
  strategy_->end(false);
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));
  sum.device_seconds = loop.device_seconds();
  const std::int64_t enqueued = loop.enqueued();
  step_ += static_cast<std::uint64_t>(enqueued);
  advance_ = advance_ || enqueued > 0;

  DevCounters c{};
  CASCADE_CUDA_CHECK(cudaMemcpy(&c, dev_->counters.get(), sizeof c, cudaMemcpyDeviceToHost));
  engine::finish_summary(sum, engine::RunCounters{c.events, c.scattered, c.recorded_spikes, c.capped, c.saturated},
                         enqueued, options.equilibration_steps, layout_.slots);
  sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace cascade::gpu

// A simulation's outputs as one set: the dense .npy writers (counts, g,
// phi(g)) and the SONATA writers, the disk check, the mapping of a batch's
// recorded rows to output rows, streaming chunk by chunk, and the end of the
// run (commit with provenance, keep for a resume, or discard).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cascade/npy.hpp"
#include "cascade/run/plan.hpp"
#include "cascade/simulator.hpp"
#include "cascade/sonata.hpp"

namespace cascade::run {

/// The recorded rows of one batch and where they go.
struct BatchRows {
  std::size_t first = 0, count = 0;          // networks [first, first + count) of the dataset
  std::vector<std::uint32_t> selection;      // recorded neurons of the batch (batch-global); empty: all
  std::size_t rows = 0;                      // recorded rows per replica
  std::size_t out_row = 0;                   // output row of the first of them
  std::vector<std::vector<std::size_t>> net_rows;   // SONATA: per network of the batch, its rows
  std::vector<std::vector<std::uint64_t>> net_ids;  // and their node ids
  bool records = false;                      // the batch records anything
};

/// In a distributed run rank 0 alone writes, from the rows gathered on it,
/// unless the ranks write in parallel (parallel(): dense outputs only, no
/// SONATA): rank 0 creates each file, every rank writes its own neurons'
/// rows at their offsets, and rank 0 commits once every rank has closed.
/// Every rank calls every method then; open, flush and commit are
/// collective (an error on any rank is every rank's).
class OutputSet {
 public:
  explicit OutputSet(const SimulationPlan& plan);
  ~OutputSet();
  /// The ranks write their own rows (the engine need not gather them).
  bool parallel() const { return parallel_; }

  /// Refuses a dense output larger than the free space of its disk.
  void check_disk() const;
  BatchRows rows_of(std::size_t first, std::size_t count) const;

  /// Opens the writers once the first batch passed its checks (`resume`:
  /// reopen the partial outputs of a checkpointed run).
  void open(bool resume);
  bool is_open() const { return open_; }

  /// One chunk of a batch: `res` holds recorded steps [lo, hi) of the run
  /// (output window coordinates), of which [lo, hi_done) were simulated;
  /// the rows it holds (SimulationResult::rows_begin/rows_end) are written.
  /// Collective in a distributed run (a failure on any rank is every rank's).
  void write(const BatchRows& b, const SimulationResult& res, std::int64_t lo, std::int64_t hi, std::int64_t hi_done,
             double dt_ms);

  /// Everything written so far reaches the disk (before a checkpoint names it).
  void flush();
  /// An interrupted checkpointed run: the partial outputs stay as *.tmp.
  void keep();
  /// A checkpoint names the partial files: failures keep them from now on.
  void keep_on_failure();
  /// A finished run: every output under its final name, with its provenance.
  void commit(const std::string& provenance);
  /// The outputs committed (an .npy stands for its .json sidecar too).
  std::vector<std::string> written() const;
  /// The partial files of the dense outputs (what a checkpoint names).
  std::vector<std::string> partial_files() const;

 private:
  void open_writers(bool resume);
  void write_here(const BatchRows& b, const SimulationResult& res, std::int64_t lo, std::int64_t hi,
                  std::int64_t hi_done, double dt_ms);
  template <class F>
  void each_npy(F&& f) {
    for (auto& w : npy_) f(*w);
    if (input_) f(*input_);
    if (rate_) f(*rate_);
  }

  const SimulationPlan& plan_;
  Communicator* comm_ = nullptr;  // a distributed run's ranks (null: one process)
  bool root_ = true;              // rank 0, or the only process
  bool parallel_ = false;
  std::vector<std::unique_ptr<NpyFileWriter>> npy_;
  std::unique_ptr<NpyFileWriter> input_, rate_;
  std::vector<std::unique_ptr<SonataWriter>> h5_;
  std::vector<std::int64_t> population_of_;  // network x replica -> SONATA population (-1: none, nothing recorded)
  bool open_ = false;
};

}  // namespace cascade::run

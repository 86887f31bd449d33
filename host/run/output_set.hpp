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

class OutputSet {
 public:
  explicit OutputSet(const SimulationPlan& plan);
  ~OutputSet();

  /// Refuses a dense output larger than the free space of its disk.
  void check_disk() const;
  BatchRows rows_of(std::size_t first, std::size_t count) const;

  /// Opens the writers once the first batch passed its checks (`resume`:
  /// reopen the partial outputs of a checkpointed run).
  void open(bool resume);
  bool is_open() const { return open_; }

  /// One chunk of a batch: `res` holds recorded steps [lo, hi) of the run
  /// (output window coordinates), of which [lo, hi_done) were simulated.
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
  const SimulationPlan& plan_;
  std::vector<std::unique_ptr<NpyFileWriter>> npy_;
  std::unique_ptr<NpyFileWriter> input_, rate_;
  std::vector<std::unique_ptr<SonataWriter>> h5_;
  std::vector<std::int64_t> population_of_;  // network x replica -> SONATA population (-1: none, nothing recorded)
  bool open_ = false;
};

}  // namespace cascade::run

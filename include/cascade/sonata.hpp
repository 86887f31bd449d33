// SONATA spike files (HDF5): /spikes/<population>/timestamps (float64, ms)
// and node_ids (uint64), root attributes magic and version, a `sorting`
// enum attribute (none / by_id / by_time, as libsonata reads it; BMTK-style
// readers accept it), and free-form provenance attributes. Written
// incrementally to "<path>.tmp" and renamed by commit(), so an interrupted
// run never leaves a file that looks finished.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cascade/raster.hpp"

namespace cascade {

class SonataWriter {
 public:
  /// One population per entry (its name and neuron count); `attributes`
  /// become string attributes of the root group.
  SonataWriter(const std::string& path, const std::vector<std::pair<std::string, std::size_t>>& populations,
               const std::vector<std::pair<std::string, std::string>>& attributes = {});
  ~SonataWriter();
  SonataWriter(const SonataWriter&) = delete;
  SonataWriter& operator=(const SonataWriter&) = delete;

  /// Appends the spikes of raster rows [first, first + count) of `replica` as
  /// population `population` (node id = row - first), steps in order, at
  /// times (step_offset + t) * dt ms; a count c > 1 gives c entries. Calls
  /// must come in time order per population (the file is sorted by time).
  void append(std::size_t population, const Raster& raster, std::size_t replica, std::size_t first,
              std::size_t count, std::int64_t step_offset, double dt_ms);
  /// As above for explicit raster rows, each written with its node id.
  void append_rows(std::size_t population, const Raster& raster, std::size_t replica,
                   const std::vector<std::size_t>& rows, const std::vector<std::uint64_t>& node_ids,
                   std::int64_t step_offset, double dt_ms);
  /// Adds a string attribute to the root group (e.g. the wall time, known at the end).
  void set_attribute(const std::string& name, const std::string& value);
  /// Finishes the file and renames it into place.
  void commit();
  std::uint64_t spikes_written() const { return spikes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t spikes_ = 0;
};

/// Reads a population back (tests and tools): timestamps and node ids.
void read_sonata_population(const std::string& path, const std::string& population, std::vector<double>* timestamps,
                            std::vector<std::uint64_t>* node_ids);

/// A string attribute of the file's root group (e.g. "provenance"); throws
/// naming the file when it is not an HDF5 file or has no such attribute.
std::string read_sonata_attribute(const std::string& path, const std::string& name);

}  // namespace cascade

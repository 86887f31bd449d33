// The GPU engine's device memory: the batch's networks (concatenated CSR,
// fixed-point weights, the self filter), the five state arrays (one
// StateArrays type with the host's EngineState), the spike lists, counters
// and the non-finite record, and the plain EngineView the kernels receive.
// Strategies add what only they need (fused: the next step's accumulators;
// pull: the CSC arrays) to the same object.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/extend/engine_layer.hpp"
#include "cascade/extend/gpu/cuda_util.hpp"
#include "device_stimulus.hpp"
#include "cascade/extend/gpu/device_view.hpp"

namespace cascade::gpu {

/// Where each network of the batch sits in the concatenated arrays.
struct NetworkPlacement {
  std::vector<DevNet> nets;
  std::int64_t row_entries = 0;   // row_ptr entries (neurons + 1 per network)
  std::uint64_t edges = 0;        // synapses of the batch
  std::uint64_t q_entries = 0;    // weights (edges x T for per-edge filters)
  /// Device bytes of the networks (row_ptr, post, q).
  std::uint64_t bytes() const { return static_cast<std::uint64_t>(row_entries) * 8 + edges * 4 + q_entries * 4; }
};
NetworkPlacement place_networks(const engine::Networks& nets);

template <class T>
using DeviceBuffer = cuda::DeviceArray<T>;

class DeviceState {
 public:
  /// Uploads the networks and allocates the state of `slots` slots (no
  /// strategy extras), then fills `view`.
  DeviceState(const engine::Networks& nets, const NetworkPlacement& placement, const engine::BatchLayout& layout,
              const engine::EngineShape& shape, std::uint64_t seed);

  /// Zeroes the five state arrays.
  void clear(cudaStream_t s) const;
  /// Device memory held now.
  std::uint64_t bytes() const;
  /// The state arrays as host vectors (after the stream is synchronised), and back.
  void save(EngineState& e) const;
  void load(const EngineState& e);
  /// A device copy of the state arrays, and restoring from one (inspect).
  StateArrays<DeviceBuffer> snapshot(cudaStream_t s) const;
  void restore(const StateArrays<DeviceBuffer>& from, cudaStream_t s) const;

  std::vector<DevUnit> host_units;
  std::vector<DevNet> host_nets;

  DeviceBuffer<DevNet> nets;
  DeviceBuffer<DevUnit> units;
  DeviceBuffer<std::uint32_t> slot_unit;
  DeviceBuffer<std::int64_t> row_ptr;
  DeviceBuffer<std::int32_t> post, q;
  DeviceBuffer<double> self_filter;
  StateArrays<DeviceBuffer> state;
  DeviceBuffer<std::int64_t> acc_next;              // fused strategy
  DeviceBuffer<std::int64_t> col_ptr;               // pull strategy: CSC of each network
  DeviceBuffer<std::int32_t> csc_pre, csc_q;
  DeviceBuffer<std::uint32_t> list_slot[2];
  DeviceBuffer<std::uint8_t> list_count[2];
  DeviceBuffer<std::uint32_t> list_len, unit_len;
  DeviceBuffer<DevCounters> counters;
  DeviceBuffer<BadRecord> bad;
  DeviceBuffer<std::uint64_t> step_base;            // graphs: the device step counter
  cuda::DeviceStimulus stimulus;
  EngineView view{};
};

}  // namespace cascade::gpu

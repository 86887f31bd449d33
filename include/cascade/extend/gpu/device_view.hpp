// Plain views of the GPU engine's device state, passed by value to the
// kernels (owning buffers live in the engine). Layout mirrors the CPU engine:
// a "unit" is one (replica, network) pair; a "slot" is one neuron of one unit,
// slot = unit.slot_base + local neuron; state arrays are indexed by slot and
// histories are position-major ([lag][slot]).
#pragma once
#include <cstddef>
#include <cstdint>

#include "cascade/extend/neuron_update.hpp"
#include "cascade/stimulus/stimulus_eval.hpp"

namespace cascade::gpu {

struct DevNet {
  std::int64_t row_base;   // first entry of this network's row_ptr in the concatenated array
  std::int64_t edge_base;  // first edge of this network in post[]
  std::int64_t q_base;     // first entry in q[] (edges * T for per-edge filters)
  std::int64_t col_base;   // first entry of its col_ptr in the CSC arrays (pull)
  std::int64_t global0;    // first global neuron of the batch
  double scale;            // 2^exponent of its fixed point
  std::uint32_t n;         // neurons
  std::uint32_t instance;  // keys its random streams
  std::uint32_t T;         // per-edge filter length (0: scalar weights)
  std::uint32_t pad = 0;
};

struct DevUnit {
  std::int64_t slot_base;
  std::uint32_t replica;  // absolute replica index
  std::uint32_t net;
};

struct DevCounters {
  unsigned long long events, scattered, recorded_spikes, capped, saturated;
};

/// The first non-finite rate of a run: key = (step within the run << 32) | slot.
struct BadRecord {
  unsigned long long key;
  int lock;
  int pad;
  double g, rate;
};

struct EngineView {
  const DevNet* nets;
  const DevUnit* units;
  const std::uint32_t* slot_unit;  // unit of each slot
  const std::int64_t* row_ptr;     // concatenated per-network CSR rows (local edge offsets)
  const std::int32_t* post;        // local postsynaptic index per edge
  const std::int32_t* q;           // fixed-point weight per edge (per edge and lag for filters)
  const std::int64_t* col_ptr;     // pull path: CSC columns (local in-edge offsets)
  const std::int32_t* csc_pre;     // pull path: presynaptic local index per in-edge
  const std::int32_t* csc_q;       // pull path: weight per in-edge
  double* S;
  std::int64_t* acc;
  std::int64_t* acc_next;          // fused strategy: step s reads acc[s & 1 ? next : acc] (see fused_acc)
  std::int64_t* ring;
  std::uint8_t* xhist;
  std::uint8_t* xlast;
  std::uint32_t* list_slot[2];     // spiking slots of the step whose parity is the index
  std::uint8_t* list_count[2];
  std::uint32_t* list_len;         // [2] global lists (step strategies)
  std::uint32_t* unit_len;         // [units][2] per-unit lists (block strategy)
  DevCounters* counters;
  BadRecord* bad;
  const double* self_filter;
  FilterConsts consts;
  std::uint64_t slots;
  std::uint64_t seed;
  std::uint32_t n_units;
  std::uint32_t ring_len;
  std::uint32_t self_len;
  std::uint32_t per_edge;
  StimulusView stim;
};

/// What one run records, and its clocks (constant during the run).
struct RunView {
  std::uint64_t run_first_step;   // global step of the run's first step
  std::uint64_t record_from;      // global step of the first recorded step
  std::int64_t stimulus_start;    // stimulus time of the first recorded step
  std::int32_t stimulus_on;       // stimuli apply in the recorded window
  std::int32_t record;            // a recording target exists
  std::int64_t begin, end;        // recorded window, in recorded steps
  std::int64_t rows;              // rows of the device chunk ring
  std::uint64_t row_len;          // entries per row: replicas x recorded neurons
  std::uint64_t rec_neurons;      // recorded neurons per replica
  std::uint32_t replica_offset;
  const std::int32_t* index;      // global neuron -> recorded index or -1 (null: identity)
  std::uint8_t* counts;           // [rows][row_len]
  float* g;                       // [rows][row_len] or null
  float* rate;
  double* inspect_g;              // inspect: g and rate of every slot (else null)
  double* inspect_rate;
  EpochTap tap;                   // tune: g, S, drive and counts of every slot (device memory; null g: off)
};

}  // namespace cascade::gpu

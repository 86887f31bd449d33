// The GPU replay's entry point for host/tune.cpp (no CUDA types). A build
// without CUDA gets a stub that says so.
#pragma once
#include <memory>
#include <vector>

#include "cascade/models/registry.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus.hpp"
#include "cascade/tune.hpp"
#include "cascade/tune/replay_math.hpp"

namespace cascade::replay {

/// Per-unit sums of the replay computed on the device, units in the CPU
/// replay's order (replica-major): [units][2 + slots] = phi, the smallest
/// kink distance, then d phi / d(slot q). `table` may be null (no stimuli).
/// Throws cascade::Error when a network is too large for one block's shared
/// memory or more than kMaxSlots parameters are selected.
std::vector<double> device_unit_sums(const AnyModel& model, const std::vector<std::shared_ptr<const Network>>& nets,
                                     const SpikeRecord& rec, const StimulusTable* table, const std::vector<Slot>& slots,
                                     int device);

}  // namespace cascade::replay

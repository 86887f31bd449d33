// Per-edge filters in the reference's layout, from a model and a network: the
// bridge between the separable models and the general per-edge-filter path,
// and what the reference's connectivity_filter() returns.
#pragma once
#include <cstdint>
#include <vector>

#include "cascade/models/registry.hpp"
#include "cascade/network.hpp"

namespace cascade {

struct EdgeFilters {
  std::vector<std::int64_t> pre, post;  // edge_index rows (source, target)
  std::vector<double> filters;          // [E, T], lag order (column 0 = previous step)
  std::size_t T = 0;
};

/// The reference's edge order: row-major non-zeros of W0 (by pre, then post);
/// a BernoulliGLM then appends one self-edge per neuron (0..N-1) carrying its
/// refractory filter. Filters are in lag order (the reference stores them
/// time-reversed). SA models give T = 1 (the weights).
EdgeFilters connectivity_filter(const AnyModel& model, const Network& network);

/// A network for the general path carrying these filters (the same instance id).
Network to_filter_network(const EdgeFilters& f, const Network& like);

}  // namespace cascade

// Host-callable wrappers around device evaluation of the shared math, for the
// GPU test that checks device results equal the CPU's bit for bit. No CUDA
// types in this header.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cascade/stimulus.hpp"

namespace cascade::kernels {

/// Evaluates exp, log, sin, cos and sigmoid of each x on the device; results
/// in that order, 5 values per input.
std::vector<double> evaluate_math_on_device(const std::vector<double>& x);

/// Poisson(mu_i) and Bernoulli(p_i) draws of the shared samplers on the device
/// for the streams (seed, step, instance 0, replica 0, neuron i).
std::vector<std::uint32_t> sample_on_device(const std::vector<double>& mu, std::uint64_t seed, std::uint64_t step);

/// E_i(t) of a batch's stimuli evaluated on the device, [times][neurons], for
/// the batch layout given per global neuron (its network and local index).
struct StimulusProbeLayout {
  std::vector<std::uint32_t> net;      // per global neuron
  std::vector<std::uint32_t> local;    // per global neuron
  std::vector<std::uint32_t> n_local;  // per global neuron: its network's size
};
std::vector<double> evaluate_stimulus_on_device(const StimulusTable& table, const StimulusProbeLayout& layout,
                                                const std::vector<std::int64_t>& times);

}  // namespace cascade::kernels

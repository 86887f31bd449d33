// Host-callable wrappers around device evaluation of the shared math, for the
// GPU test that checks device results equal the CPU's bit for bit. No CUDA
// types in this header.
#pragma once
#include <cstdint>
#include <vector>

namespace cascade::kernels {

/// Number of visible CUDA devices (0 when none or no driver).
int device_count();

/// Evaluates exp, log, sin, cos and sigmoid of each x on the device; results
/// in that order, 5 values per input.
std::vector<double> evaluate_math_on_device(const std::vector<double>& x);

/// Poisson(mu_i) and Bernoulli(p_i) draws of the shared samplers on the device
/// for the streams (seed, step, instance 0, replica 0, neuron i).
std::vector<std::uint32_t> sample_on_device(const std::vector<double>& mu, std::uint64_t seed, std::uint64_t step);

}  // namespace cascade::kernels

// Loading networks from .npy files: one dense W0, or a directory of them
// (a dataset, in the reference's lexicographic file-name order; a network's
// instance id is its position in that order).
#pragma once
#include <string>
#include <vector>

#include "cascade/network.hpp"

namespace cascade {

/// File names of a dataset directory in the reference's order (lexicographic
/// by name: 0, 1, 10, 11, ..., 2). Only *.npy files; .pt files are refused
/// with a pointer to a converter.
std::vector<std::string> dataset_files(const std::string& dir);

/// One dense [N, N] W0 .npy file (rows presynaptic).
Network load_dense_network(const std::string& path, std::uint32_t instance_id = 0);

/// A file (one network, instance id 0) or a directory (a dataset).
std::vector<Network> load_networks(const std::string& path);

}  // namespace cascade

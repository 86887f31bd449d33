// Loading and saving networks and datasets.
//
// One network is any of:
//   - a dense W0 .npy [N, N] (rows presynaptic), float32 or float64;
//   - a Matrix Market coordinate file (.mtx; 1-based; rows presynaptic);
//   - an edge-list directory: edge_index.npy (integer [2, E], rows (pre, post)),
//     weights.npy (float [E]) and optionally num_nodes.npy (one integer; without
//     it N = largest index + 1).
// A dataset is a directory of such entries, taken in the reference's order
// (lexicographic by name: 0, 1, 10, 11, ..., 2); a network's instance id is
// its position in that order. Large networks never pass through an N x N array.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cascade/communicator.hpp"
#include "cascade/generators.hpp"
#include "cascade/network.hpp"

namespace cascade {

/// *.npy files of a directory in dataset order; `what` names their content in
/// messages. .pt files are refused with a pointer to tools/pt_to_npy.py.
std::vector<std::string> npy_files_in(const std::string& dir, const std::string& what);

/// The network entries of a dataset directory (dense .npy files, .mtx files,
/// edge-list directories), in dataset order, as paths.
std::vector<std::string> dataset_files(const std::string& dir);

/// True when `dir` is an edge-list directory (holds edge_index.npy).
bool is_edge_list_dir(const std::string& dir);

Network load_dense_network(const std::string& path, std::uint32_t instance_id = 0);
Network load_edge_list(const std::string& dir, std::uint32_t instance_id = 0);
Network load_matrix_market(const std::string& path, std::uint32_t instance_id = 0);
/// Any single-network form above, chosen by what the path is.
Network load_network(const std::string& path, std::uint32_t instance_id = 0);

/// A network path or a dataset directory, listed without loading: batches
/// are loaded on demand.
class NetworkSource {
 public:
  NetworkSource() = default;  // no networks
  explicit NetworkSource(const std::string& path);
  /// `count` networks of `neurons` neurons each made on demand by `make(k)`
  /// (a generator; network k gets instance id k); `label` names them.
  static NetworkSource generated(const std::string& label, std::size_t count, std::size_t neurons,
                                 std::function<Network(std::uint32_t)> make);
  std::size_t size() const { return entries_.size(); }
  const std::vector<std::string>& entries() const { return entries_; }
  /// Network k (instance id k).
  Network load(std::size_t k) const;
  /// The number of neurons of network k, reading as little as the format allows.
  std::size_t neuron_count(std::size_t k) const;
  /// Networks [first, first + count).
  std::vector<Network> load_range(std::size_t first, std::size_t count) const;

  /// Distributed runs: a generator that makes parts (sparse) gives each
  /// rank its part without the whole network, and so do dense .npy files,
  /// Matrix Market files and edge-list directories with num_nodes.npy
  /// (streamed: each rank reads the whole file a block at a time, checks
  /// every entry alike, keeps its own); see load_part.
  void set_part_maker(std::function<GeneratedPart(std::uint32_t, std::size_t, std::size_t)> make_part) {
    make_part_ = std::move(make_part);
  }
  bool makes_parts() const;
  /// Each neuron's in-synapses of network k, from a pass over its file (the
  /// sources read in parts; empty for the others and for generated ones):
  /// a distributed run's partition balances them. Every rank reads alike.
  std::vector<std::uint32_t> in_degrees(std::size_t k) const;
  /// Network k's part onto its neurons [lo, hi) (Network::part), made or
  /// read without the whole network where makes_parts() says so, otherwise
  /// loaded whole and cut. Collective over `comm` (every rank calls it for
  /// the same k, in the same order): an error on any rank is raised on
  /// every rank (CollectiveError, the lowest failing rank's message), and a
  /// generated part's scale, synapse count and self-edge flag are the
  /// whole's, reduced over every rank's part.
  Network load_part(std::size_t k, std::size_t lo, std::size_t hi, Communicator* comm) const;

 private:
  std::vector<std::string> entries_;
  std::function<Network(std::uint32_t)> make_;
  std::function<GeneratedPart(std::uint32_t, std::size_t, std::size_t)> make_part_;
  std::size_t neurons_ = 0;
};

/// Every network of a path (a file, an edge-list directory or a dataset).
std::vector<Network> load_networks(const std::string& path);

/// Writes a dense W0 .npy (float32 or float64; refuses N > 20000).
void save_dense_network(const Network& net, const std::string& path, bool float32 = true);
/// Writes an edge-list directory (created if missing): edge_index.npy int64
/// [2, E], weights.npy float32 or float64 [E], num_nodes.npy int64 [1].
void save_edge_list(const Network& net, const std::string& dir, bool float32 = true);

}  // namespace cascade

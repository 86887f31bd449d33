// A network: N neurons and their synapses, stored as CSR by presynaptic
// neuron (postsynaptic indices ascending within a row), with the weights both
// as given (double) and quantised to int32 fixed point with one power-of-two
// scale per network (design.md section 2). Convention: W0[j, i] is the
// weight from presynaptic j to postsynaptic i; an edge exists where it is
// non-zero.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cascade {

/// Largest number of incoming synapses of one neuron: keeps every int64
/// fixed-point sum exact (in-degree * 255 * 2^30 < 2^63).
inline constexpr std::int64_t kMaxInDegree = std::int64_t{1} << 24;
/// Largest network: neuron indices are int32 on the CPU and GPU.
inline constexpr std::size_t kMaxNeurons = 2147483647u;

class Network {
 public:
  /// From a dense row-major [n, n] matrix (rows presynaptic). Zero entries are
  /// not synapses. `label` names the source in error messages.
  static Network from_dense(std::span<const double> w0, std::size_t n, std::uint32_t instance_id = 0,
                            std::string label = "W0");
  static Network from_dense(std::span<const float> w0, std::size_t n, std::uint32_t instance_id = 0,
                            std::string label = "W0");

  /// From an edge list (pre[e], post[e], weight[e]) in any order. Duplicate
  /// (pre, post) pairs are refused; zero weights are kept as (inert) synapses.
  static Network from_edges(std::size_t n, std::span<const std::int64_t> pre, std::span<const std::int64_t> post,
                            std::span<const double> weight, std::uint32_t instance_id = 0,
                            std::string label = "edge list");
  /// The same, taking the arrays over (no copy: a loader's peak memory).
  static Network from_owned_edges(std::size_t n, std::vector<std::int64_t>&& pre, std::vector<std::int64_t>&& post,
                                  std::vector<double>&& weight, std::uint32_t instance_id = 0,
                                  std::string label = "edge list");

  /// From CSR arrays by presynaptic neuron, taken over without copies (the
  /// memory-lean path for very large networks): row_ptr [n + 1] from 0 to E,
  /// posts strictly ascending within each row (so no duplicates), finite weights.
  static Network from_csr(std::size_t n, std::vector<std::int64_t> row_ptr, std::vector<std::int32_t> post,
                          std::vector<double> weight, std::uint32_t instance_id = 0, std::string label = "CSR");

  /// General path: an arbitrary per-edge filter W[e, k], k = 0..T-1 in lag
  /// order (k = 0 is the previous step), row-major [E, T]. Such a network
  /// replaces the model's coupling and self filters (including a
  /// BernoulliGLM's refractory filter: pass it as self-edges, as the
  /// reference's connectivity_filter does). `time_reversed` accepts the
  /// reference's layout (column T-1 is lag 0).
  static Network from_edge_filters(std::size_t n, std::span<const std::int64_t> pre,
                                   std::span<const std::int64_t> post, std::span<const double> filters,
                                   std::size_t T, bool time_reversed = false, std::uint32_t instance_id = 0,
                                   std::string label = "edge filters");

  /// Memory building a network of n neurons and E synapses (per_edge values
  /// each) takes at its peak; checked against the available memory first.
  static std::uint64_t build_bytes(std::uint64_t n, std::uint64_t edges, std::uint64_t per_edge = 1) {
    return 24 * n + (36 + 12 * per_edge) * edges;
  }

  std::size_t n_neurons() const { return n_; }
  std::size_t n_synapses() const { return post_.size(); }
  std::uint32_t instance_id() const { return instance_id_; }
  const std::string& label() const { return label_; }

  /// The same network with another instance id (which keys its random streams).
  Network with_instance_id(std::uint32_t id) const;

  // CSR by presynaptic neuron.
  const std::vector<std::int64_t>& row_ptr() const { return row_ptr_; }
  const std::vector<std::int32_t>& post() const { return post_; }
  /// Scalar weights as given (empty for per-edge-filter networks).
  const std::vector<double>& weight() const { return weight_; }
  std::int64_t out_degree(std::size_t j) const { return row_ptr_[j + 1] - row_ptr_[j]; }
  bool has_self_edges() const { return has_self_edges_; }

  /// Per-edge filter length T (0: scalar weights).
  std::size_t filter_length() const { return filter_length_; }
  /// Per-edge filters as given, [E, T] in lag order, CSR edge order.
  const std::vector<double>& edge_filters() const { return filters_; }

  /// Fixed point: value = quantised * 2^exponent, |quantised| < 2^30.
  /// For scalar networks one entry per edge; for filter networks E * T.
  const std::vector<std::int32_t>& quantised() const { return quantised_; }
  int scale_exponent() const { return scale_exponent_; }
  /// 2^scale_exponent as a double (exact).
  double scale() const;

  /// The part a rank of a distributed run keeps (docs/distributed.md): the
  /// synapses onto neurons [lo, hi), in CSR order, with the whole network's
  /// neuron count, fixed-point scale (every quantised weight is the whole's)
  /// and self-edge flag.
  Network part(std::size_t lo, std::size_t hi) const;
  /// A part made by a generator for neurons [lo, hi) (CSR rows hold only
  /// targets in it), quantised with the whole network's largest |weight|.
  static Network part_from_csr(std::size_t n, std::size_t lo, std::size_t hi, std::vector<std::int64_t> row_ptr,
                               std::vector<std::int32_t> post, std::vector<double> weight, double whole_max_abs,
                               std::uint64_t whole_synapses, bool whole_has_self_edges, std::uint32_t instance_id,
                               std::string label);
  /// `built` (the synapses onto [lo, hi) of a network, made by any of the
  /// builders) as that network's part: quantised with the whole network's
  /// largest |weight|, with its synapse count and self-edge flag.
  /// `whole_self_neuron` / `whole_self_weight`: its first self-edge (the
  /// lowest neuron's; -1: none or not known), for the messages of models
  /// that refuse self-edges.
  static Network as_part(Network built, std::size_t lo, std::size_t hi, double whole_max_abs,
                         std::uint64_t whole_synapses, bool whole_has_self_edges, std::int64_t whole_self_neuron = -1,
                         double whole_self_weight = 0.0);
  /// A part holds only the synapses onto [part_lo, part_hi); a whole network
  /// is its own part [0, n).
  bool is_part() const { return is_part_; }
  std::size_t part_lo() const { return is_part_ ? part_lo_ : 0; }
  std::size_t part_hi() const { return is_part_ ? part_hi_ : n_; }
  /// The synapses of the whole network (n_synapses() for a whole one).
  std::uint64_t whole_synapses() const { return is_part_ ? whole_synapses_ : post_.size(); }
  /// A part cut from a whole network: the whole's first self-edge (neuron,
  /// weight), for messages (-1: none, or not known).
  std::int64_t whole_self_edge_neuron() const { return whole_self_neuron_; }
  double whole_self_edge_weight() const { return whole_self_weight_; }
  /// Dense row-major copy (tests and small outputs only; refuses n > 20000).
  std::vector<double> dense() const;

 private:
  Network() = default;
  void finish(std::vector<std::int64_t> pre, std::vector<std::int64_t> post, std::vector<double> values,
              std::size_t per_edge, bool filter_network);

  std::size_t n_ = 0;
  std::uint32_t instance_id_ = 0;
  std::string label_;
  std::vector<std::int64_t> row_ptr_;
  std::vector<std::int32_t> post_;
  std::vector<double> weight_;
  std::vector<double> filters_;
  std::size_t filter_length_ = 0;
  std::vector<std::int32_t> quantised_;
  int scale_exponent_ = 0;
  bool has_self_edges_ = false;
  bool is_part_ = false;
  std::size_t part_lo_ = 0, part_hi_ = 0;
  std::uint64_t whole_synapses_ = 0;
  std::int64_t whole_self_neuron_ = -1;
  double whole_self_weight_ = 0.0;
};

/// Quantisation shared by every network: the exponent e such that
/// max_abs * 2^-e lies in [2^29, 2^30) (0 for an all-zero network).
int fixed_point_exponent(double max_abs);

}  // namespace cascade

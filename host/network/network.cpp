// Network construction: validation, CSR by presynaptic neuron (targets
// ascending), and int32 fixed-point quantisation with one power-of-two scale.
#include "cascade/network.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "cascade/error.hpp"
#include "cascade/stop.hpp"
#include "core/limits.hpp"
#include "cascade/rng.hpp"

namespace cascade {

namespace {
std::string num(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

template <class T>
Network dense_impl(std::span<const T> w0, std::size_t n, std::uint32_t id, std::string label,
                   Network (*from_edges)(std::size_t, std::span<const std::int64_t>, std::span<const std::int64_t>,
                                         std::span<const double>, std::uint32_t, std::string)) {
  if (n == 0) throw Error(label + ": a network needs at least 1 neuron");
  if (n > 200000)
    throw Error(label + ": a dense W0 of " + std::to_string(n) + " x " + std::to_string(n) +
                " is too large; give large networks as an edge list");
  if (w0.size() != n * n)
    throw Error(label + ": W0 must be square [N, N]; expected " + std::to_string(n * n) + " values for N = " +
                std::to_string(n) + ", got " + std::to_string(w0.size()));
  // The synapses are counted first, so that the memory they take is checked
  // (and reserved) before the edge arrays grow.
  std::size_t nnz = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if ((j & 0xff) == 0) check_stop("building a network");
    for (std::size_t i = 0; i < n; ++i) nnz += w0[j * n + i] != 0;
  }
  require_memory(Network::build_bytes(n, nnz) + 24 * static_cast<std::uint64_t>(nnz),
                 label + ": a network of " + std::to_string(n) + " neurons and " + std::to_string(nnz) + " synapses");
  std::vector<std::int64_t> pre, post;
  std::vector<double> w;
  pre.reserve(nnz);
  post.reserve(nnz);
  w.reserve(nnz);
  for (std::size_t j = 0; j < n; ++j) {
    if ((j & 0xff) == 0) check_stop("building a network");
    for (std::size_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(w0[j * n + i]);
      if (!std::isfinite(v))
        throw Error(label + ": W0[" + std::to_string(j) + ", " + std::to_string(i) + "] = " + num(v) +
                    " is not finite");
      if (v != 0.0) {
        pre.push_back(static_cast<std::int64_t>(j));
        post.push_back(static_cast<std::int64_t>(i));
        w.push_back(v);
      }
    }
  }
  return from_edges(n, pre, post, w, id, std::move(label));
}
}  // namespace

int fixed_point_exponent(double max_abs) {
  if (!(max_abs > 0.0)) return 0;
  return std::ilogb(max_abs) + 1 - 30;
}

double Network::scale() const { return std::ldexp(1.0, scale_exponent_); }

Network Network::from_dense(std::span<const double> w0, std::size_t n, std::uint32_t id, std::string label) {
  return dense_impl<double>(w0, n, id, std::move(label), &Network::from_edges);
}
Network Network::from_dense(std::span<const float> w0, std::size_t n, std::uint32_t id, std::string label) {
  return dense_impl<float>(w0, n, id, std::move(label), &Network::from_edges);
}

Network Network::from_edges(std::size_t n, std::span<const std::int64_t> pre, std::span<const std::int64_t> post,
                            std::span<const double> weight, std::uint32_t id, std::string label) {
  return from_owned_edges(n, {pre.begin(), pre.end()}, {post.begin(), post.end()}, {weight.begin(), weight.end()}, id,
                          std::move(label));
}

Network Network::from_owned_edges(std::size_t n, std::vector<std::int64_t>&& pre, std::vector<std::int64_t>&& post,
                                  std::vector<double>&& weight, std::uint32_t id, std::string label) {
  if (pre.size() != post.size() || pre.size() != weight.size())
    throw Error(label + ": edge arrays differ in length (pre " + std::to_string(pre.size()) + ", post " +
                std::to_string(post.size()) + ", weights " + std::to_string(weight.size()) + ")");
  Network net;
  net.n_ = n;
  net.instance_id_ = id;
  net.label_ = std::move(label);
  net.finish(std::move(pre), std::move(post), std::move(weight), 1, false);
  return net;
}

Network Network::from_edge_filters(std::size_t n, std::span<const std::int64_t> pre,
                                   std::span<const std::int64_t> post, std::span<const double> filters,
                                   std::size_t T, bool time_reversed, std::uint32_t id, std::string label) {
  if (T == 0) throw Error(label + ": per-edge filters need T >= 1 columns");
  if (pre.size() != post.size() || filters.size() != pre.size() * T)
    throw Error(label + ": per-edge filters must be [E, T] = [" + std::to_string(pre.size()) + ", " +
                std::to_string(T) + "] with E matching the edge list; got " + std::to_string(filters.size()) +
                " values");
  std::vector<double> lagged(filters.size());
  for (std::size_t e = 0; e < pre.size(); ++e)
    for (std::size_t k = 0; k < T; ++k)
      lagged[e * T + k] = time_reversed ? filters[e * T + (T - 1 - k)] : filters[e * T + k];
  Network net;
  net.n_ = n;
  net.instance_id_ = id;
  net.label_ = std::move(label);
  net.finish({pre.begin(), pre.end()}, {post.begin(), post.end()}, std::move(lagged), T, true);
  return net;
}

Network Network::with_instance_id(std::uint32_t id) const {
  if (id > kMaxInstance)
    throw Error(label_ + ": instance id " + std::to_string(id) + " exceeds the limit " + std::to_string(kMaxInstance));
  Network copy = *this;
  copy.instance_id_ = id;
  return copy;
}

void Network::finish(std::vector<std::int64_t> pre, std::vector<std::int64_t> post, std::vector<double> values,
                     std::size_t per_edge, bool filter_network) {
  if (n_ == 0) throw Error(label_ + ": a network needs at least 1 neuron");
  if (n_ > kMaxNeurons) throw Error(label_ + ": " + std::to_string(n_) + " neurons exceed the limit 2^31 - 1");
  if (instance_id_ > kMaxInstance)
    throw Error(label_ + ": instance id " + std::to_string(instance_id_) + " exceeds the limit " +
                std::to_string(kMaxInstance));
  const std::size_t E = pre.size();
  require_memory(build_bytes(n_, E, per_edge), label_ + ": a network of " + std::to_string(n_) + " neurons and " +
                                                   std::to_string(E) + " synapses");
  const auto N = static_cast<std::int64_t>(n_);
  std::vector<std::int64_t> in_degree(n_, 0);
  row_ptr_.assign(n_ + 1, 0);
  for (std::size_t e = 0; e < E; ++e) {
    if (pre[e] < 0 || pre[e] >= N)
      throw Error(label_ + ": edge " + std::to_string(e) + " has presynaptic index " + std::to_string(pre[e]) +
                  " outside [0, " + std::to_string(n_) + ")");
    if (post[e] < 0 || post[e] >= N)
      throw Error(label_ + ": edge " + std::to_string(e) + " has postsynaptic index " + std::to_string(post[e]) +
                  " outside [0, " + std::to_string(n_) + ")");
    for (std::size_t k = 0; k < per_edge; ++k)
      if (!std::isfinite(values[e * per_edge + k]))
        throw Error(label_ + ": edge " + std::to_string(e) + " (" + std::to_string(pre[e]) + " -> " +
                    std::to_string(post[e]) + ") has a non-finite weight " + num(values[e * per_edge + k]));
    ++row_ptr_[pre[e] + 1];
    if (++in_degree[post[e]] > kMaxInDegree)
      throw Error(label_ + ": neuron " + std::to_string(post[e]) + " has more than 2^24 incoming synapses");
  }
  std::partial_sum(row_ptr_.begin(), row_ptr_.end(), row_ptr_.begin());
  // Counting sort by presynaptic neuron, then targets ascending within a row:
  // the CSR (and so every result) does not depend on the input edge order.
  std::vector<std::int64_t> order(E);
  {
    std::vector<std::int64_t> fill(row_ptr_.begin(), row_ptr_.end() - 1);
    for (std::size_t e = 0; e < E; ++e) order[fill[pre[e]]++] = static_cast<std::int64_t>(e);
  }
  for (std::size_t j = 0; j < n_; ++j) {
    if ((j & 0xffff) == 0) check_stop("building a network");
    std::sort(order.begin() + row_ptr_[j], order.begin() + row_ptr_[j + 1],
              [&](std::int64_t a, std::int64_t b) { return post[a] < post[b]; });
  }
  post_.resize(E);
  std::vector<double> sorted(E * per_edge);
  double max_abs = 0.0;
  for (std::size_t j = 0; j < n_; ++j)
    for (std::int64_t s = row_ptr_[j]; s < row_ptr_[j + 1]; ++s) {
      const std::int64_t e = order[s];
      if (s > row_ptr_[j] && post[order[s - 1]] == post[e])
        throw Error(label_ + ": the synapse " + std::to_string(j) + " -> " + std::to_string(post[e]) +
                    " appears more than once");
      post_[s] = static_cast<std::int32_t>(post[e]);
      if (post[e] == static_cast<std::int64_t>(j)) has_self_edges_ = true;
      for (std::size_t k = 0; k < per_edge; ++k) {
        const double v = values[e * per_edge + k];
        sorted[s * per_edge + k] = v;
        max_abs = std::max(max_abs, std::fabs(v));
      }
    }
  scale_exponent_ = fixed_point_exponent(max_abs);
  if (scale_exponent_ < -1000)
    throw Error(label_ + ": the largest |weight| " + num(max_abs) + " is too small to represent (below 1e-292)");
  quantised_.resize(sorted.size());
  for (std::size_t s = 0; s < sorted.size(); ++s)
    quantised_[s] = static_cast<std::int32_t>(std::llrint(std::ldexp(sorted[s], -scale_exponent_)));
  if (!filter_network) {
    weight_ = std::move(sorted);
    filter_length_ = 0;
  } else {
    filters_ = std::move(sorted);
    filter_length_ = per_edge;
  }
}

Network Network::from_csr(std::size_t n, std::vector<std::int64_t> row_ptr, std::vector<std::int32_t> post,
                          std::vector<double> weight, std::uint32_t id, std::string label) {
  Network net;
  net.n_ = n;
  net.instance_id_ = id;
  net.label_ = std::move(label);
  if (n == 0) throw Error(net.label_ + ": a network needs at least 1 neuron");
  if (n > kMaxNeurons) throw Error(net.label_ + ": " + std::to_string(n) + " neurons exceed the limit 2^31 - 1");
  if (id > kMaxInstance)
    throw Error(net.label_ + ": instance id " + std::to_string(id) + " exceeds the limit " + std::to_string(kMaxInstance));
  const std::size_t E = post.size();
  if (row_ptr.size() != n + 1 || row_ptr.front() != 0 || row_ptr.back() != static_cast<std::int64_t>(E))
    throw Error(net.label_ + ": row_ptr must have n + 1 entries from 0 to the number of synapses");
  if (weight.size() != E)
    throw Error(net.label_ + ": " + std::to_string(weight.size()) + " weights for " + std::to_string(E) + " synapses");
  require_memory(build_bytes(n, 0), net.label_ + ": a network of " + std::to_string(n) + " neurons");
  std::vector<std::int64_t> in_degree(n, 0);
  double max_abs = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    if (row_ptr[j + 1] < row_ptr[j]) throw Error(net.label_ + ": row_ptr decreases at row " + std::to_string(j));
    for (std::int64_t e = row_ptr[j]; e < row_ptr[j + 1]; ++e) {
      const std::int32_t i = post[e];
      if (i < 0 || static_cast<std::size_t>(i) >= n)
        throw Error(net.label_ + ": synapse " + std::to_string(e) + " has postsynaptic index " + std::to_string(i) +
                    " outside [0, " + std::to_string(n) + ")");
      if (e > row_ptr[j] && post[e - 1] >= i)
        throw Error(net.label_ + ": row " + std::to_string(j) + " must list its targets strictly ascending (" +
                    std::to_string(post[e - 1]) + " then " + std::to_string(i) + ")");
      if (!std::isfinite(weight[e]))
        throw Error(net.label_ + ": synapse " + std::to_string(j) + " -> " + std::to_string(i) +
                    " has a non-finite weight " + num(weight[e]));
      if (++in_degree[i] > kMaxInDegree)
        throw Error(net.label_ + ": neuron " + std::to_string(i) + " has more than 2^24 incoming synapses");
      if (static_cast<std::size_t>(i) == j) net.has_self_edges_ = true;
      max_abs = std::max(max_abs, std::fabs(weight[e]));
    }
  }
  net.scale_exponent_ = fixed_point_exponent(max_abs);
  if (net.scale_exponent_ < -1000)
    throw Error(net.label_ + ": the largest |weight| " + num(max_abs) + " is too small to represent (below 1e-292)");
  net.quantised_.resize(E);
  for (std::size_t e = 0; e < E; ++e)
    net.quantised_[e] = static_cast<std::int32_t>(std::llrint(std::ldexp(weight[e], -net.scale_exponent_)));
  net.row_ptr_ = std::move(row_ptr);
  net.post_ = std::move(post);
  net.weight_ = std::move(weight);
  return net;
}

std::vector<double> Network::dense() const {
  if (n_ > 20000) throw Error(label_ + ": refusing a dense copy of a " + std::to_string(n_) + "-neuron network");
  std::vector<double> d(n_ * n_, 0.0);
  for (std::size_t j = 0; j < n_; ++j)
    for (std::int64_t e = row_ptr_[j]; e < row_ptr_[j + 1]; ++e)
      d[j * n_ + post_[e]] = filter_length_ ? filters_[e * filter_length_] : weight_[e];
  return d;
}

Network Network::part(std::size_t lo, std::size_t hi) const {
  if (lo > hi || hi > n_)
    throw Error(label_ + ": part [" + std::to_string(lo) + ", " + std::to_string(hi) + ") is outside [0, " +
                std::to_string(n_) + ")");
  Network p;
  p.n_ = n_;
  p.instance_id_ = instance_id_;
  p.label_ = label_;
  p.filter_length_ = filter_length_;
  p.scale_exponent_ = scale_exponent_;
  p.has_self_edges_ = has_self_edges_;
  p.is_part_ = true;
  p.part_lo_ = lo;
  p.part_hi_ = hi;
  p.whole_synapses_ = whole_synapses();
  p.whole_self_neuron_ = whole_self_neuron_;
  p.whole_self_weight_ = whole_self_weight_;
  for (std::size_t j = 0; has_self_edges_ && !is_part_ && j < n_ && p.whole_self_neuron_ < 0; ++j)
    for (std::int64_t e = row_ptr_[j]; e < row_ptr_[j + 1]; ++e)
      if (static_cast<std::size_t>(post_[e]) == j) {
        p.whole_self_neuron_ = static_cast<std::int64_t>(j);
        p.whole_self_weight_ = filter_length_ ? filters_[e * filter_length_] : weight_[e];
        break;
      }
  const auto lo32 = static_cast<std::int32_t>(lo), hi32 = static_cast<std::int32_t>(hi);
  // Rows are sorted by target: each row's part is one contiguous run.
  std::vector<std::int64_t> first(n_), last(n_);
  p.row_ptr_.assign(n_ + 1, 0);
  for (std::size_t j = 0; j < n_; ++j) {
    const std::int32_t* b = post_.data() + row_ptr_[j];
    const std::int32_t* e = post_.data() + row_ptr_[j + 1];
    first[j] = std::lower_bound(b, e, lo32) - post_.data();
    last[j] = std::lower_bound(b, e, hi32) - post_.data();
    p.row_ptr_[j + 1] = p.row_ptr_[j] + (last[j] - first[j]);
  }
  const std::size_t E = static_cast<std::size_t>(p.row_ptr_[n_]);
  const std::size_t T = filter_length_ ? filter_length_ : 1;
  require_memory(build_bytes(n_, E, T), label_ + ": its part of " + std::to_string(E) + " synapses");
  p.post_.reserve(E);
  p.quantised_.reserve(E * T);
  if (!weight_.empty()) p.weight_.reserve(E);
  if (!filters_.empty()) p.filters_.reserve(E * T);
  for (std::size_t j = 0; j < n_; ++j) {
    p.post_.insert(p.post_.end(), post_.begin() + first[j], post_.begin() + last[j]);
    p.quantised_.insert(p.quantised_.end(), quantised_.begin() + first[j] * T, quantised_.begin() + last[j] * T);
    if (!weight_.empty()) p.weight_.insert(p.weight_.end(), weight_.begin() + first[j], weight_.begin() + last[j]);
    if (!filters_.empty())
      p.filters_.insert(p.filters_.end(), filters_.begin() + first[j] * T, filters_.begin() + last[j] * T);
  }
  return p;
}

Network Network::part_from_csr(std::size_t n, std::size_t lo, std::size_t hi, std::vector<std::int64_t> row_ptr,
                               std::vector<std::int32_t> post, std::vector<double> weight, double whole_max_abs,
                               std::uint64_t whole_synapses, bool whole_has_self_edges, std::uint32_t instance_id,
                               std::string label) {
  return as_part(from_csr(n, std::move(row_ptr), std::move(post), std::move(weight), instance_id, std::move(label)), lo,
                 hi, whole_max_abs, whole_synapses, whole_has_self_edges);
}

Network Network::as_part(Network p, std::size_t lo, std::size_t hi, double whole_max_abs, std::uint64_t whole_synapses,
                         bool whole_has_self_edges, std::int64_t whole_self_neuron, double whole_self_weight) {
  if (p.filter_length_ || lo > hi || hi > p.n_)
    throw Error(p.label_ + ": a part of scalar weights onto [lo, hi) within the network was expected");
  for (std::int32_t i : p.post_)
    if (i < static_cast<std::int64_t>(lo) || i >= static_cast<std::int64_t>(hi))
      throw Error(p.label_ + ": a part's synapse targets neuron " + std::to_string(i) + " outside its part [" +
                  std::to_string(lo) + ", " + std::to_string(hi) + ")");
  // The whole network's scale: every weight quantised as the whole network quantises it.
  p.scale_exponent_ = fixed_point_exponent(whole_max_abs);
  for (std::size_t e = 0; e < p.weight_.size(); ++e)
    p.quantised_[e] = static_cast<std::int32_t>(std::llrint(std::ldexp(p.weight_[e], -p.scale_exponent_)));
  p.has_self_edges_ = whole_has_self_edges;
  p.whole_self_neuron_ = whole_has_self_edges ? whole_self_neuron : -1;
  p.whole_self_weight_ = whole_has_self_edges ? whole_self_weight : 0.0;
  p.is_part_ = true;
  p.part_lo_ = lo;
  p.part_hi_ = hi;
  p.whole_synapses_ = whole_synapses;
  return p;
}

}  // namespace cascade

// Connectivity generators. Random draws come from Philox with Purpose::kNetwork
// (docs/rng.md): entry (r, c) of a draw uses the counter (step = r,
// instance = index, neuron = c), so networks do not depend on thread counts.
#include "cascade/generators.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "cascade/error.hpp"
#include "cascade/math.hpp"
#include "cascade/rng.hpp"
#include "cascade/stop.hpp"
#include "core/limits.hpp"

namespace cascade {

namespace {

void need(bool ok, const char* gen, const char* name, double value, const char* expected) {
  if (!ok) throw Error(std::string(gen) + " generator: " + name + " = " + format_value(value) + " is invalid; expected " + expected);
}

double as_float32(double v) { return static_cast<double>(static_cast<float>(v)); }

// Streams (replica field) so that structure and weights never share counters.
constexpr std::uint32_t kDenseStream = 0;      // dense generators: one block per entry
constexpr std::uint32_t kSparseWeights = 1;    // sparse: the weight of (pre, post)
constexpr std::uint32_t kSparseInDegree = 2;   // sparse, fixed in-degree: candidate draws per post
constexpr std::uint32_t kSparseProbability = 3;  // sparse, fixed probability: gaps per pre

Block4 entry_block(std::uint64_t seed, std::uint32_t index, std::uint32_t stream, std::uint64_t row,
                   std::uint32_t col) {
  return NeuronStream{seed, row, index, stream, col}.block(Purpose::kNetwork, 0);
}

double normal_from(const Block4& b) { return normal_box_muller(uniform52(b.w[0], b.w[1]), uniform32(b.w[2])); }

void check_size(std::size_t n, const char* gen) {
  need(n >= 1 && n <= 2147483647u, gen, "n", static_cast<double>(n), "1 <= n < 2^31");
}

}  // namespace

void validate_generator(const NormalGenerator& g) {
  check_size(g.n, "normal");
  need(g.n % 2 == 0 && g.n >= 2, "normal", "n", static_cast<double>(g.n),
       "an even number >= 2 (as many excitatory as inhibitory neurons)");
  need(std::isfinite(g.mean), "normal", "mean", g.mean, "a finite number");
  need(std::isfinite(g.std) && g.std >= 0, "normal", "std", g.std, "a finite number >= 0");
  need(g.sparsity >= 0.5 && g.sparsity <= 1.0, "normal", "sparsity", g.sparsity,
       "a value in [0.5, 1] (Dale's law already halves the edges)");
}

void validate_generator(const UniformGenerator& g) {
  check_size(g.n, "uniform");
  need(std::isfinite(g.low), "uniform", "low", g.low, "a finite number");
  need(std::isfinite(g.high) && g.high >= g.low, "uniform", "high", g.high, "a finite number >= low");
  need(g.sparsity >= 0.0 && g.sparsity <= 1.0, "uniform", "sparsity", g.sparsity, "a value in [0, 1]");
  if ((g.high - g.low) / 2 == g.high)
    need(g.n % 2 == 0, "uniform", "n", static_cast<double>(g.n),
         "an even number when low = -high (the Dale split needs as many excitatory as inhibitory neurons)");
}

void validate_generator(const MexicanHatGenerator& g) {
  check_size(g.n, "mexican_hat");
  need(std::isfinite(g.a), "mexican_hat", "a", g.a, "a finite number");
  need(std::isfinite(g.sigma_1) && g.sigma_1 > 0, "mexican_hat", "sigma_1", g.sigma_1, "a finite number > 0");
  need(std::isfinite(g.sigma_2) && g.sigma_2 > 0, "mexican_hat", "sigma_2", g.sigma_2, "a finite number > 0");
}

void validate_generator(const SparseGenerator& g) {
  check_size(g.n, "sparse");
  if (g.rule == SparseGenerator::Rule::kFixedInDegree)
    need(g.in_degree >= 0 && g.in_degree <= static_cast<std::int64_t>(g.n) - 1 && g.in_degree < kMaxInDegree,
         "sparse", "in_degree", static_cast<double>(g.in_degree), "an integer in [0, n - 1] (no self-connections)");
  else
    need(g.p >= 0.0 && g.p <= 1.0, "sparse", "p", g.p, "a probability in [0, 1]");
  if (g.weights == SparseGenerator::Weights::kNormal) {
    need(std::isfinite(g.mean), "sparse", "mean", g.mean, "a finite number");
    need(std::isfinite(g.std) && g.std >= 0, "sparse", "std", g.std, "a finite number >= 0");
  } else {
    need(std::isfinite(g.low), "sparse", "low", g.low, "a finite number");
    need(std::isfinite(g.high) && g.high >= g.low, "sparse", "high", g.high, "a finite number >= low");
  }
  need(g.excitatory_fraction >= 0.0 && g.excitatory_fraction <= 1.0, "sparse", "excitatory_fraction",
       g.excitatory_fraction, "a value in [0, 1]");
  need(std::isfinite(g.inhibitory_scale) && g.inhibitory_scale >= 0, "sparse", "inhibitory_scale",
       g.inhibitory_scale, "a finite number >= 0");
}

namespace {

/// A generated network's memory at its peak (edge lists grown by push_back,
/// then built), checked before the first draw.
void require_generated(std::uint64_t n, double expected_edges, const std::string& label) {
  const double e = expected_edges * 1.01 + 1024;  // far beyond the count's spread
  if (!(e < 1e18)) throw Error(label + ": about " + format_value(expected_edges) + " synapses are far too many");
  const auto edges = static_cast<std::uint64_t>(e);
  require_memory(48 * edges + Network::build_bytes(n, edges),
                 label + ": " + std::to_string(n) + " neurons with about " + std::to_string(edges) + " synapses");
}

/// The reference's Dale split of an (n/2) x n draw: value(r, c) and kept(r, c)
/// for the half matrix; positive parts to row r, negative parts to row r + n/2.
template <class Draw>
Network dale_split(std::size_t n, double keep, std::uint32_t index, const std::string& label, Draw draw) {
  const std::size_t half = n / 2;
  require_generated(n, static_cast<double>(half) * static_cast<double>(n) * keep, label);
  std::vector<std::int64_t> pre, post;
  std::vector<double> w;
  // Rows r (positive parts) first, then rows r + n/2 (negative parts): CSR order.
  std::vector<double> h(n);
  std::vector<std::int64_t> neg_pre, neg_post;
  std::vector<double> neg_w;
  for (std::size_t r = 0; r < half; ++r) {
    check_stop("generating a network");
    for (std::size_t c = 0; c < n; ++c) {
      const double v = draw(r, c);
      if (v > 0 && c != r) {
        pre.push_back(static_cast<std::int64_t>(r));
        post.push_back(static_cast<std::int64_t>(c));
        w.push_back(v);
      } else if (v < 0 && c != r + half) {
        neg_pre.push_back(static_cast<std::int64_t>(r + half));
        neg_post.push_back(static_cast<std::int64_t>(c));
        neg_w.push_back(v);
      }
    }
  }
  pre.insert(pre.end(), neg_pre.begin(), neg_pre.end());
  post.insert(post.end(), neg_post.begin(), neg_post.end());
  w.insert(w.end(), neg_w.begin(), neg_w.end());
  return Network::from_edges(n, pre, post, w, index, label);
}

std::string label_of(const char* kind, std::uint64_t seed, std::uint32_t index) {
  return std::string(kind) + " generator (seed " + std::to_string(seed) + ", network " + std::to_string(index) + ")";
}

}  // namespace

Network generate(const NormalGenerator& g, std::uint64_t seed, std::uint32_t index) {
  validate_generator(g);
  const double keep = 2.0 * (1.0 - g.sparsity);
  const double root_n = std::sqrt(static_cast<double>(g.n));
  return dale_split(g.n, keep, index, label_of("normal", seed, index), [&](std::size_t r, std::size_t c) {
    const Block4 b = entry_block(seed, index, kDenseStream, r, static_cast<std::uint32_t>(c));
    double v = g.mean + g.std * normal_from(b);
    if (g.glorot) v = v / root_n;
    if (uniform32(b.w[3]) > keep) return 0.0;  // the reference zeroes where rand > 2 (1 - sparsity)
    return as_float32(v);
  });
}

Network generate(const UniformGenerator& g, std::uint64_t seed, std::uint32_t index) {
  validate_generator(g);
  const std::string label = label_of("uniform", seed, index);
  auto value = [&](std::size_t r, std::size_t c, double keep) {
    const Block4 b = entry_block(seed, index, kDenseStream, r, static_cast<std::uint32_t>(c));
    if (uniform32(b.w[2]) > keep) return 0.0;
    return as_float32(uniform52(b.w[0], b.w[1]) * (g.high - g.low) + g.low);
  };
  if ((g.high - g.low) / 2 == g.high) {
    const double keep = 2.0 * (1.0 - g.sparsity);
    return dale_split(g.n, keep, index, label, [&](std::size_t r, std::size_t c) { return value(r, c, keep); });
  }
  require_generated(g.n, static_cast<double>(g.n) * static_cast<double>(g.n - 1) * (1.0 - g.sparsity), label);
  std::vector<std::int64_t> pre, post;
  std::vector<double> w;
  for (std::size_t r = 0; r < g.n; ++r) {
    check_stop("generating a network");
    for (std::size_t c = 0; c < g.n; ++c) {
      if (r == c) continue;
      const double v = value(r, c, 1.0 - g.sparsity);
      if (v != 0.0) {
        pre.push_back(static_cast<std::int64_t>(r));
        post.push_back(static_cast<std::int64_t>(c));
        w.push_back(v);
      }
    }
  }
  return Network::from_edges(g.n, pre, post, w, index, label);
}

Network generate(const MexicanHatGenerator& g, std::uint32_t index) {
  validate_generator(g);
  const std::string label = "mexican_hat generator (network " + std::to_string(index) + ")";
  require_generated(g.n, static_cast<double>(g.n) * static_cast<double>(g.n - 1), label);
  std::vector<std::int64_t> pre, post;
  std::vector<double> w;
  const std::int64_t n = static_cast<std::int64_t>(g.n);
  for (std::int64_t i = 0; i < n; ++i) {
    check_stop("generating a network");
    for (std::int64_t j = 0; j < n; ++j) {
      if (i == j) continue;
      const std::int64_t a = i > j ? i - j : j - i;
      const double d = static_cast<double>(std::min(a, n - a));
      const double x1 = d / g.sigma_1, x2 = d / g.sigma_2;
      const double v = as_float32(math::exp(-0.5 * (x1 * x1)) - g.a * math::exp(-0.5 * (x2 * x2)));
      if (v != 0.0) {
        pre.push_back(i);
        post.push_back(j);
        w.push_back(v);
      }
    }
  }
  return Network::from_edges(g.n, pre, post, w, index, label);
}

namespace {

/// The sparse generator's synapses onto neurons [lo, hi) (all of them for
/// [0, n)), as CSR by presynaptic neuron with the weights; entry (j, i)'s
/// draws depend on (seed, index, j, i) only, so a part is the whole's rows cut.
GeneratedPart sparse_part(const SparseGenerator& g, std::uint64_t seed, std::uint32_t index, std::size_t lo,
                          std::size_t hi, int threads) {
  validate_generator(g);
  const std::size_t n = g.n;
  if (lo > hi || hi > n)
    throw Error("sparse generator: part [" + std::to_string(lo) + ", " + std::to_string(hi) + ") is outside [0, " +
                std::to_string(n) + ")");
  const std::size_t n_exc = static_cast<std::size_t>(std::llround(g.excitatory_fraction * static_cast<double>(n)));
  const double root_n = std::sqrt(static_cast<double>(n));
  auto weight = [&](std::size_t j, std::size_t i) {
    const Block4 b = entry_block(seed, index, kSparseWeights, j, static_cast<std::uint32_t>(i));
    double v = g.weights == SparseGenerator::Weights::kNormal
                   ? g.mean + g.std * normal_from(b)
                   : uniform52(b.w[0], b.w[1]) * (g.high - g.low) + g.low;
    if (g.glorot) v = v / root_n;
    if (g.dale) v = j < n_exc ? std::fabs(v) : -g.inhibitory_scale * std::fabs(v);
    return as_float32(v);
  };
  // Candidates for neuron x exclude x itself: candidate c maps to c < x ? c : c + 1.
  const std::uint64_t M = n - 1;
  const std::size_t targets = hi - lo;
#if defined(_OPENMP)
  const int team = threads > 0 ? threads : omp_get_max_threads();
#else
  const int team = 1;
  (void)threads;
  (void)team;
#endif
  GeneratedPart out;
  out.label = label_of("sparse", seed, index);
  // The structure as CSR by presynaptic neuron (targets ascending), built
  // without an edge-list copy: about 16 bytes per synapse at the peak.
  {
    const double edges = (g.rule == SparseGenerator::Rule::kFixedInDegree
                              ? static_cast<double>(n) * static_cast<double>(g.in_degree)
                              : static_cast<double>(n) * static_cast<double>(M) * g.p) *
                         (static_cast<double>(targets) / static_cast<double>(n));
    const std::string& label = out.label;
    if (n > kMaxNeurons) throw Error(label + ": n = " + std::to_string(n) + " exceeds the limit 2^31 - 1");
    if (!(edges < 1e18)) throw Error(label + ": about " + format_value(edges) + " synapses are far too many");
    require_memory(static_cast<std::uint64_t>(edges * 1.01 + 1024) * 16 + 56 * static_cast<std::uint64_t>(n) +
                       static_cast<std::uint64_t>(team) * M,
                   label + ": " + std::to_string(n) + " neurons with about " +
                       std::to_string(static_cast<std::uint64_t>(edges)) + " synapses" +
                       (targets < n ? " onto this rank's " + std::to_string(targets) + " neurons" : std::string()));
  }
  // A stop request is seen by every thread; the loops then skip their rest.
  const std::atomic<bool>* stop = current_stop();
  std::atomic<bool> stopped{false};
  auto stopping = [&](std::int64_t i) {
    if (stop && (i & 63) == 0 && stop->load(std::memory_order_relaxed)) stopped.store(true, std::memory_order_relaxed);
    return stopped.load(std::memory_order_relaxed);
  };
  auto throw_if_stopped = [&] {
    if (stopped.load()) throw Stopped("stopped while generating a network");
  };
  std::vector<std::int64_t>& row_ptr = out.row_ptr;
  std::vector<std::int32_t>& post = out.post;
  row_ptr.assign(n + 1, 0);
  if (g.rule == SparseGenerator::Rule::kFixedInDegree) {
    const std::uint64_t K = static_cast<std::uint64_t>(g.in_degree);
    // Pick min(K, M - K) distinct candidates by rejection (expected draws
    // < 2 per pick), then take them or their complement.
    const bool complement = K > M / 2;
    const std::uint64_t picks = complement ? M - K : K;
    std::vector<std::vector<std::int32_t>> pres(targets);  // per post of the part, ascending
#pragma omp parallel num_threads(team)
    {
      std::vector<std::uint8_t> mark(M, 0);
      std::vector<std::int64_t> sel;
#pragma omp for schedule(dynamic, 64)
      for (std::int64_t ii = static_cast<std::int64_t>(lo); ii < static_cast<std::int64_t>(hi); ++ii) {
        if (stopping(ii)) continue;
        const std::size_t i = static_cast<std::size_t>(ii);
        sel.clear();
        for (std::uint64_t m = 0; sel.size() < picks; ++m) {
          const Block4 b = entry_block(seed, index, kSparseInDegree, m, static_cast<std::uint32_t>(i));
          for (int h = 0; h < 2 && sel.size() < picks; ++h) {
            const std::uint64_t c = std::min<std::uint64_t>(
                M - 1, static_cast<std::uint64_t>(uniform52(b.w[2 * h], b.w[2 * h + 1]) * static_cast<double>(M)));
            if (!mark[c]) {
              mark[c] = 1;
              sel.push_back(static_cast<std::int64_t>(c));
            }
          }
        }
        auto& list = pres[i - lo];
        list.clear();
        list.reserve(K);
        if (complement) {
          for (std::uint64_t c = 0; c < M; ++c)
            if (!mark[c]) list.push_back(static_cast<std::int32_t>(c < i ? c : c + 1));
        } else {
          for (std::int64_t c : sel) list.push_back(static_cast<std::int32_t>(c < static_cast<std::int64_t>(i) ? c : c + 1));
          std::sort(list.begin(), list.end());
        }
        for (std::int64_t c : sel) mark[static_cast<std::size_t>(c)] = 0;
      }
    }
    throw_if_stopped();
    // Transpose: rows by pre; posts come out ascending because i ascends.
    for (const auto& l : pres)
      for (std::int32_t j : l) ++row_ptr[static_cast<std::size_t>(j) + 1];
    for (std::size_t j = 0; j < n; ++j) row_ptr[j + 1] += row_ptr[j];
    post.resize(static_cast<std::size_t>(row_ptr[n]));
    std::vector<std::int64_t> fill(row_ptr.begin(), row_ptr.end() - 1);
    for (std::size_t i = lo; i < hi; ++i) {
      for (std::int32_t j : pres[i - lo])
        post[static_cast<std::size_t>(fill[static_cast<std::size_t>(j)]++)] = static_cast<std::int32_t>(i);
      std::vector<std::int32_t>().swap(pres[i - lo]);
    }
  } else {
    std::vector<std::vector<std::int32_t>> rows(n);
    if (g.p > 0.0 && targets > 0) {
      const double log_q = std::log1p(-g.p);  // -inf when p = 1: every gap is 0
#pragma omp parallel for schedule(dynamic, 64) num_threads(team)
      for (std::int64_t jj = 0; jj < static_cast<std::int64_t>(n); ++jj) {
        if (stopping(jj)) continue;
        const std::size_t j = static_cast<std::size_t>(jj);
        auto& list = rows[j];
        std::uint64_t pos = 0, m = 0;
        for (;;) {
          const Block4 b = entry_block(seed, index, kSparseProbability, m++, static_cast<std::uint32_t>(j));
          // Geometric gap (failures before the next success) by inversion.
          const double gap = g.p >= 1.0 ? 0.0 : std::floor(math::log(uniform52(b.w[0], b.w[1])) / log_q);
          if (gap >= static_cast<double>(M - pos)) break;
          pos += static_cast<std::uint64_t>(gap);
          const std::uint64_t target = pos < j ? pos : pos + 1;
          if (target >= hi) break;  // the row's targets ascend: the rest lie beyond the part
          if (target >= lo) list.push_back(static_cast<std::int32_t>(target));
          if (++pos >= M) break;
        }
      }
    }
    throw_if_stopped();
    for (std::size_t j = 0; j < n; ++j) row_ptr[j + 1] = row_ptr[j] + static_cast<std::int64_t>(rows[j].size());
    post.resize(static_cast<std::size_t>(row_ptr[n]));
    for (std::size_t j = 0; j < n; ++j) {
      std::copy(rows[j].begin(), rows[j].end(), post.begin() + row_ptr[j]);
      std::vector<std::int32_t>().swap(rows[j]);
    }
  }
  std::vector<double>& w = out.weight;
  w.resize(post.size());
  double max_abs = 0.0;
#pragma omp parallel for schedule(dynamic, 64) num_threads(team) reduction(max : max_abs)
  for (std::int64_t jj = 0; jj < static_cast<std::int64_t>(n); ++jj)
    for (std::int64_t e = row_ptr[jj]; e < row_ptr[jj + 1]; ++e) {
      w[e] = weight(static_cast<std::size_t>(jj), static_cast<std::size_t>(post[e]));
      max_abs = std::max(max_abs, std::fabs(w[e]));
    }
  out.max_abs = max_abs;
  out.self_edges = false;  // candidates exclude the neuron itself
  return out;
}

}  // namespace

Network generate(const SparseGenerator& g, std::uint64_t seed, std::uint32_t index, int threads) {
  GeneratedPart p = sparse_part(g, seed, index, 0, g.n, threads);
  return Network::from_csr(g.n, std::move(p.row_ptr), std::move(p.post), std::move(p.weight), index, p.label);
}

GeneratedPart generate_part(const SparseGenerator& g, std::uint64_t seed, std::uint32_t index, std::size_t lo,
                            std::size_t hi, int threads) {
  return sparse_part(g, seed, index, lo, hi, threads);
}

}  // namespace cascade

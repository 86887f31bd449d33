// Connectivity generators: shapes, Dale's law (disjoint supports of rows i
// and i + n/2), zero diagonals, kept fractions and weight moments within
// derived tolerances, and seed -> same network.
//
// Tolerances are 5 standard errors: each comparison fails by chance with
// probability < 1e-6.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

struct Moments {
  double n = 0, sum = 0, sq = 0;
  void add(double x) {
    ++n;
    sum += x;
    sq += x * x;
  }
  double mean() const { return sum / n; }
  double var() const { return sq / n - mean() * mean(); }
};

bool same_network(const Network& a, const Network& b) {
  return a.n_neurons() == b.n_neurons() && a.row_ptr() == b.row_ptr() && a.post() == b.post() &&
         a.weight() == b.weight();
}

std::vector<std::vector<double>> rows_of(const Network& net) {
  const std::size_t n = net.n_neurons();
  std::vector<std::vector<double>> w(n, std::vector<double>(n, 0.0));
  for (std::size_t j = 0; j < n; ++j)
    for (std::int64_t e = net.row_ptr()[j]; e < net.row_ptr()[j + 1]; ++e) w[j][net.post()[e]] = net.weight()[e];
  return w;
}

}  // namespace

TEST(NormalGenerator, FollowsTheReferenceShapeDaleSplitAndMoments) {
  const std::size_t n = 400;
  const double std_dev = 5.0, sparsity = 0.7;
  const NormalGenerator g{n, 0.0, std_dev, sparsity, true};
  const Network net = generate(g, 9, 0);
  ASSERT_EQ(net.n_neurons(), n);
  const auto w = rows_of(net);
  const std::size_t half = n / 2;
  Moments pos, neg;
  for (std::size_t r = 0; r < half; ++r)
    for (std::size_t c = 0; c < n; ++c) {
      EXPECT_FALSE(w[r][c] != 0 && w[r + half][c] != 0) << "rows " << r << " and " << r + half << " share column " << c;
      EXPECT_GE(w[r][c], 0.0);
      EXPECT_LE(w[r + half][c], 0.0);
      if (w[r][c] > 0) pos.add(w[r][c]);
      if (w[r + half][c] < 0) neg.add(-w[r + half][c]);
    }
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(w[i][i], 0.0);
  // Kept: each of the (n/2) x n draws with probability q = 2 (1 - sparsity);
  // the two draws of row r that land on a diagonal (columns r and r + n/2)
  // are lost with probability 1/2 each, so E[edges] = q (n/2)(n - 1).
  const double q = 2 * (1 - sparsity);
  const double draws = static_cast<double>(half * n);
  const double expected = q * static_cast<double>(half) * static_cast<double>(n - 1);
  EXPECT_NEAR(static_cast<double>(net.n_synapses()), expected, 5 * std::sqrt(draws * q * (1 - q) + draws * 0.25 / n));
  // |H| is half-normal with sigma = std / sqrt(n): mean sigma sqrt(2/pi), sd sigma sqrt(1 - 2/pi).
  const double sigma = std_dev / std::sqrt(static_cast<double>(n));
  for (const Moments* m : {&pos, &neg}) {
    EXPECT_NEAR(m->mean(), sigma * std::sqrt(2 / M_PI), 5 * sigma * std::sqrt(1 - 2 / M_PI) / std::sqrt(m->n));
    // About half of the kept draws are positive.
    EXPECT_NEAR(m->n, expected / 2, 5 * std::sqrt(expected / 4));
  }
  // Weights are float32-exact.
  for (double x : net.weight()) EXPECT_EQ(x, static_cast<double>(static_cast<float>(x)));
}

TEST(NormalGenerator, SameSeedSameNetworkAndValidation) {
  const NormalGenerator g{50, 0.5, 2.0, 0.5, false};
  EXPECT_TRUE(same_network(generate(g, 1, 3), generate(g, 1, 3)));
  EXPECT_FALSE(same_network(generate(g, 1, 3), generate(g, 2, 3)));
  EXPECT_FALSE(same_network(generate(g, 1, 3), generate(g, 1, 4)));
  EXPECT_EQ(generate(g, 1, 3).instance_id(), 3u);
  // sparsity 0.5 keeps every draw (2 (1 - 0.5) = 1): positive mean, almost all positive.
  EXPECT_ERROR_HAS(generate(NormalGenerator{51, 0, 1, 0.5, false}, 0), "normal generator: n = 51 is invalid; expected an even number");
  EXPECT_ERROR_HAS(generate(NormalGenerator{50, 0, 1, 0.4, false}, 0), "sparsity = 0.40000000000000002 is invalid; expected a value in [0.5, 1]");
  EXPECT_ERROR_HAS(generate(NormalGenerator{50, 0, -1, 0.5, false}, 0), "std = -1 is invalid");
  EXPECT_ERROR_HAS(generate(NormalGenerator{50, NAN, 1, 0.5, false}, 0), "mean = nan is invalid");
  // sparsity 1 keeps nothing.
  EXPECT_EQ(generate(NormalGenerator{50, 0, 1, 1.0, false}, 0).n_synapses(), 0u);
}

TEST(UniformGenerator, DaleSplitWhenSymmetricAndPlainOtherwise) {
  const std::size_t n = 300;
  {
    const UniformGenerator g{n, -0.5, 0.5, 0.8};
    const Network net = generate(g, 4, 0);
    const auto w = rows_of(net);
    Moments pos;
    for (std::size_t r = 0; r < n / 2; ++r)
      for (std::size_t c = 0; c < n; ++c) {
        EXPECT_FALSE(w[r][c] != 0 && w[r + n / 2][c] != 0);
        EXPECT_GE(w[r][c], 0.0);
        EXPECT_LE(w[r + n / 2][c], 0.0);
        if (w[r][c] > 0) pos.add(w[r][c]);
      }
    const double q = 2 * (1 - 0.8), draws = static_cast<double>(n / 2 * n);
    const double expected = q * (n / 2.0) * (n - 1.0);
    EXPECT_NEAR(static_cast<double>(net.n_synapses()), expected, 5 * std::sqrt(draws * q * (1 - q) + draws * 0.25 / n));
    // Positive parts are uniform on (0, 0.5): mean 0.25, sd 0.5 / sqrt(12).
    EXPECT_NEAR(pos.mean(), 0.25, 5 * 0.5 / std::sqrt(12.0 * pos.n));
  }
  {
    const UniformGenerator g{n, 0.1, 0.4, 0.25};
    const Network net = generate(g, 4, 0);
    Moments m;
    for (double x : net.weight()) {
      EXPECT_GE(x, 0.1f);
      EXPECT_LE(x, 0.4f);
      m.add(x);
    }
    const double q = 1 - 0.25, draws = n * (n - 1.0);
    EXPECT_NEAR(static_cast<double>(net.n_synapses()), q * draws, 5 * std::sqrt(draws * q * (1 - q)));
    EXPECT_NEAR(m.mean(), 0.25, 5 * 0.3 / std::sqrt(12.0 * m.n));
    EXPECT_NEAR(m.var(), 0.09 / 12, 5 * 0.09 / 12 * std::sqrt(0.8 / m.n));  // var of the variance of U: (4/5) sigma^4 / n
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(rows_of(net)[i][i], 0.0);
  }
  EXPECT_ERROR_HAS(generate(UniformGenerator{5, -1, 1, 0.5}, 0), "n = 5 is invalid; expected an even number when low = -high");
  EXPECT_ERROR_HAS(generate(UniformGenerator{6, 1, 0, 0.5}, 0), "high = 0 is invalid; expected a finite number >= low");
  EXPECT_ERROR_HAS(generate(UniformGenerator{6, 0, 1, 1.5}, 0), "sparsity = 1.5 is invalid");
}

TEST(MexicanHatGenerator, MatchesTheRingFormula) {
  const MexicanHatGenerator g{30, 0.6, 2.0, 5.0};
  const Network net = generate(g, 0);
  const auto w = rows_of(net);
  for (int i = 0; i < 30; ++i)
    for (int j = 0; j < 30; ++j) {
      const int a = std::abs(i - j), d = std::min(a, 30 - a);
      const double want = i == j ? 0.0
                                 : static_cast<float>(std::exp(-d * d / (2 * 4.0)) - 0.6 * std::exp(-d * d / (2 * 25.0)));
      EXPECT_NEAR(w[i][j], want, 1e-7) << i << "," << j;
    }
  EXPECT_ERROR_HAS(generate(MexicanHatGenerator{30, 0.6, 0.0, 5.0}, 0), "sigma_1 = 0 is invalid");
}

TEST(SparseGenerator, FixedInDegreeIsExactAndDaleSigned) {
  for (std::int64_t K : {7, 150}) {  // 150 of 199 candidates takes the complement path
    SparseGenerator g;
    g.n = 200;
    g.in_degree = K;
    g.std = 0.3;
    g.excitatory_fraction = 0.8;
    g.inhibitory_scale = 4.0;
    const Network net = generate(g, 21, 2, 1);
    std::vector<std::int64_t> in(200, 0);
    Moments exc, inh;
    for (std::size_t j = 0; j < 200; ++j)
      for (std::int64_t e = net.row_ptr()[j]; e < net.row_ptr()[j + 1]; ++e) {
        const std::size_t i = net.post()[e];
        EXPECT_NE(i, j) << "self-connection";
        ++in[i];
        const double w = net.weight()[e];
        if (j < 160) {
          EXPECT_GE(w, 0.0);
          exc.add(w);
        } else {
          EXPECT_LE(w, 0.0);
          inh.add(-w);
        }
      }
    for (auto d : in) EXPECT_EQ(d, K);
    // Magnitudes are half-normal(0.3) (times 4 for inhibitory neurons).
    EXPECT_NEAR(exc.mean(), 0.3 * std::sqrt(2 / M_PI), 5 * 0.3 * std::sqrt(1 - 2 / M_PI) / std::sqrt(exc.n));
    EXPECT_NEAR(inh.mean(), 1.2 * std::sqrt(2 / M_PI), 5 * 1.2 * std::sqrt(1 - 2 / M_PI) / std::sqrt(inh.n));
    // Presynaptic choices are uniform: each neuron's out-degree is about K.
    // Out-degree ~ Binomial(n - 1, K / (n - 1)) roughly; check the mean exactly.
    EXPECT_EQ(net.n_synapses(), static_cast<std::size_t>(200 * K));
    EXPECT_TRUE(same_network(net, generate(g, 21, 2, 2)));  // thread count does not matter
  }
}

TEST(SparseGenerator, FixedProbabilityKeepsTheExpectedFraction) {
  SparseGenerator g;
  g.n = 3000;
  g.rule = SparseGenerator::Rule::kFixedProbability;
  g.p = 0.01;
  g.weights = SparseGenerator::Weights::kUniform;
  g.low = 0.5;
  g.high = 1.5;
  g.dale = false;
  const Network net = generate(g, 8, 0, 1);
  const double pairs = 3000.0 * 2999.0;
  EXPECT_NEAR(static_cast<double>(net.n_synapses()), 0.01 * pairs, 5 * std::sqrt(pairs * 0.01 * 0.99));
  Moments m;
  for (double w : net.weight()) m.add(w);
  EXPECT_NEAR(m.mean(), 1.0, 5 / std::sqrt(12.0 * m.n));
  for (std::size_t j = 0; j < 3000; ++j)
    for (std::int64_t e = net.row_ptr()[j]; e < net.row_ptr()[j + 1]; ++e) ASSERT_NE(net.post()[e], static_cast<std::int32_t>(j));
  EXPECT_TRUE(same_network(net, generate(g, 8, 0, 2)));
  g.p = 1.0;
  g.n = 40;
  EXPECT_EQ(generate(g, 8, 0).n_synapses(), 40u * 39u);
  g.p = 0.0;
  EXPECT_EQ(generate(g, 8, 0).n_synapses(), 0u);
  g.p = 1.5;
  EXPECT_ERROR_HAS(generate(g, 8, 0), "sparse generator: p = 1.5 is invalid; expected a probability in [0, 1]");
  SparseGenerator k;
  k.n = 10;
  k.in_degree = 10;
  EXPECT_ERROR_HAS(generate(k, 0, 0), "in_degree = 10 is invalid; expected an integer in [0, n - 1]");
}

TEST(Generators, SavedFloat32NetworksLoadBackIdentical) {
  const fs::path dir = fs::temp_directory_path() / ("cascade_gen_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const Network a = generate(NormalGenerator{60, 0, 5, 0.6, true}, 3, 0);
  save_dense_network(a, (dir / "0.npy").string());
  EXPECT_EQ(read_npy((dir / "0.npy").string()).dtype, NpyDtype::kFloat32);
  EXPECT_TRUE(same_network(a, load_network((dir / "0.npy").string())));
  SparseGenerator g;
  g.n = 500;
  g.in_degree = 20;
  const Network b = generate(g, 3, 1);
  save_edge_list(b, (dir / "1").string());
  EXPECT_TRUE(same_network(b, load_network((dir / "1").string(), 1)));
  fs::remove_all(dir);
}

// Distributed runs (docs/distributed.md): a rank's part of a generated network,
// made alone, is the whole network's synapses onto its neurons, bit for bit
// (weights, their quantisation with the whole's scale, CSR order).
namespace {
void expect_same_part(const Network& cut, const Network& made) {
  EXPECT_EQ(cut.row_ptr(), made.row_ptr());
  EXPECT_EQ(cut.post(), made.post());
  EXPECT_EQ(cut.weight(), made.weight());
  EXPECT_EQ(cut.quantised(), made.quantised());
  EXPECT_EQ(cut.scale_exponent(), made.scale_exponent());
  EXPECT_EQ(cut.whole_synapses(), made.whole_synapses());
  EXPECT_EQ(cut.part_lo(), made.part_lo());
  EXPECT_EQ(cut.part_hi(), made.part_hi());
}
}  // namespace

TEST(Generators, SparsePartsAreTheWholeNetworksRowsCut) {
  for (int rule = 0; rule < 2; ++rule) {
    SparseGenerator g;
    g.n = 700;
    g.rule = rule ? SparseGenerator::Rule::kFixedProbability : SparseGenerator::Rule::kFixedInDegree;
    g.in_degree = 30;
    g.p = 0.04;
    g.glorot = true;
    const Network whole = generate(g, 9, 2, 2);
    const std::size_t cuts[] = {0, 1, 233, 234, 699, 700};
    // The parts' largest |weight| and synapse count are what the whole network has.
    double max_abs = 0;
    std::uint64_t synapses = 0;
    for (std::size_t c = 0; c + 1 < std::size(cuts); ++c) {
      const GeneratedPart p = generate_part(g, 9, 2, cuts[c], cuts[c + 1], 2);
      max_abs = std::max(max_abs, p.max_abs);
      synapses += p.post.size();
      EXPECT_FALSE(p.self_edges);
    }
    EXPECT_EQ(synapses, whole.n_synapses());
    EXPECT_EQ(fixed_point_exponent(max_abs), whole.scale_exponent());
    for (std::size_t c = 0; c + 1 < std::size(cuts); ++c) {
      GeneratedPart p = generate_part(g, 9, 2, cuts[c], cuts[c + 1], 1);
      const Network made = Network::part_from_csr(g.n, cuts[c], cuts[c + 1], std::move(p.row_ptr), std::move(p.post),
                                                  std::move(p.weight), max_abs, synapses, false, 2, p.label);
      expect_same_part(whole.part(cuts[c], cuts[c + 1]), made);
    }
  }
  SparseGenerator g;
  g.n = 50;
  g.in_degree = 5;
  EXPECT_ERROR_HAS(generate_part(g, 1, 0, 30, 51), "part [30, 51) is outside [0, 50)");
}

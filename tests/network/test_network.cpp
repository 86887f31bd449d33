// Network construction: CSR layout, fixed-point quantisation, validation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.hpp"

using namespace cascade;

namespace {
std::string error_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Network, DenseToCsrByPresynapticNeuronWithTargetsAscending) {
  // W0[j, i]: rows presynaptic.
  const std::vector<double> w = {0, 2, 3,
                                 0, 0, 0,
                                 -1, 0.5, 0};
  const Network net = Network::from_dense(std::span<const double>(w), 3, 7);
  EXPECT_EQ(net.n_neurons(), 3u);
  EXPECT_EQ(net.n_synapses(), 4u);
  EXPECT_EQ(net.instance_id(), 7u);
  EXPECT_EQ(net.row_ptr(), (std::vector<std::int64_t>{0, 2, 2, 4}));
  EXPECT_EQ(net.post(), (std::vector<std::int32_t>{1, 2, 0, 1}));
  EXPECT_EQ(net.weight(), (std::vector<double>{2, 3, -1, 0.5}));
  EXPECT_EQ(net.dense(), w);
  EXPECT_FALSE(net.has_self_edges());
}

TEST(Network, QuantisationUsesOnePowerOfTwoScaleBelow2To30) {
  const std::vector<double> w = {0, 3.0, -0.1234567, 0};
  const Network net = Network::from_dense(std::span<const double>(w), 2);
  const double scale = net.scale();
  EXPECT_EQ(scale, std::ldexp(1.0, net.scale_exponent()));
  // max |W| = 3 maps into [2^29, 2^30).
  EXPECT_GE(std::abs(net.quantised()[0]), 1 << 29);
  EXPECT_LT(std::abs(net.quantised()[0]), 1 << 30);
  for (std::size_t e = 0; e < net.n_synapses(); ++e)
    EXPECT_LE(std::fabs(net.quantised()[e] * scale - net.weight()[e]), 0.5 * scale);
  EXPECT_EQ(fixed_point_exponent(1.0), -29);  // 1.0 -> 2^29
  EXPECT_EQ(fixed_point_exponent(0.0), 0);
}

TEST(Network, EdgeOrderDoesNotChangeTheCsr) {
  const std::vector<std::int64_t> pre = {2, 0, 1, 0}, post = {0, 2, 2, 1};
  const std::vector<double> w = {1, 2, 3, 4};
  const std::vector<std::int64_t> pre2 = {0, 1, 0, 2}, post2 = {1, 2, 2, 0};
  const std::vector<double> w2 = {4, 3, 2, 1};
  const Network a = Network::from_edges(3, pre, post, w), b = Network::from_edges(3, pre2, post2, w2);
  EXPECT_EQ(a.row_ptr(), b.row_ptr());
  EXPECT_EQ(a.post(), b.post());
  EXPECT_EQ(a.quantised(), b.quantised());
}

TEST(Network, BadInputIsRefusedWithAClearMessage) {
  const std::vector<double> w3(9, 1.0);
  EXPECT_NE(error_of([&] { Network::from_dense(std::span<const double>(w3), 2, 0, "net.npy"); })
                .find("net.npy: W0 must be square [N, N]; expected 4 values for N = 2, got 9"),
            std::string::npos);
  std::vector<double> nan = {0, 1, std::nan(""), 0};
  EXPECT_NE(error_of([&] { Network::from_dense(std::span<const double>(nan), 2); }).find("W0[1, 0] = nan is not finite"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Network::from_dense(std::span<const double>(), 0); }).find("at least 1 neuron"),
            std::string::npos);
  const std::vector<std::int64_t> pre = {0, 5}, post = {1, 0};
  const std::vector<double> w = {1, 1};
  EXPECT_NE(error_of([&] { Network::from_edges(3, pre, post, w); })
                .find("edge 1 has presynaptic index 5 outside [0, 3)"),
            std::string::npos);
  const std::vector<std::int64_t> post_bad = {1, -1};
  EXPECT_NE(error_of([&] { Network::from_edges(6, pre, post_bad, w); })
                .find("edge 1 has postsynaptic index -1 outside [0, 6)"),
            std::string::npos);
  const std::vector<std::int64_t> dpre = {0, 0}, dpost = {1, 1};
  EXPECT_NE(error_of([&] { Network::from_edges(2, dpre, dpost, w); }).find("synapse 0 -> 1 appears more than once"),
            std::string::npos);
  const std::vector<double> wshort = {1};
  EXPECT_NE(error_of([&] { Network::from_edges(2, dpre, dpost, wshort); }).find("edge arrays differ in length"),
            std::string::npos);
  const std::vector<double> inf = {1, std::numeric_limits<double>::infinity()};
  EXPECT_NE(error_of([&] { Network::from_edges(6, pre, post, inf); }).find("non-finite weight"), std::string::npos);
  const std::vector<double> one = {1.0};
  EXPECT_NE(error_of([&] { Network::from_dense(std::span<const double>(one), 1, 1u << 24); }).find("instance id"),
            std::string::npos);
}

TEST(Network, DatasetDirectoryIsReadInLexicographicOrder) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "cascade_test_dataset";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (int k : {0, 1, 2, 10, 11}) {
    const float v[4] = {0, static_cast<float>(k + 1), 0, 0};
    write_npy((dir / (std::to_string(k) + ".npy")).string(), NpyDtype::kFloat32, {2, 2}, v);
  }
  const auto nets = load_networks(dir.string());
  ASSERT_EQ(nets.size(), 5u);
  const int expected_k[] = {0, 1, 10, 11, 2};  // the reference's order
  for (std::size_t n = 0; n < nets.size(); ++n) {
    EXPECT_EQ(nets[n].instance_id(), n);
    EXPECT_EQ(nets[n].weight()[0], expected_k[n] + 1);
  }
  {
    FILE* f = std::fopen((dir / "3.pt").c_str(), "w");
    std::fclose(f);
  }
  EXPECT_NE(error_of([&] { load_networks(dir.string()); }).find("PyTorch .pt files cannot be read"), std::string::npos);
  fs::remove_all(dir);
  const std::vector<float> notsq = {1, 2, 3};
  const std::string p = (fs::temp_directory_path() / "cascade_test_notsquare.npy").string();
  write_npy(p, NpyDtype::kFloat32, {3}, notsq.data());
  EXPECT_NE(error_of([&] { load_dense_network(p); }).find("W0 must be a square 2-d array [N, N]; got shape (3)"),
            std::string::npos);
  const std::vector<std::int32_t> ints = {1, 2, 3, 4};
  write_npy(p, NpyDtype::kInt32, {2, 2}, ints.data());
  EXPECT_NE(error_of([&] { load_dense_network(p); }).find("W0 must hold float32 or float64 weights, got <i4"),
            std::string::npos);
  fs::remove(p);
}

// A rank's part (docs/distributed.md): the synapses onto [lo, hi), in CSR
// order, quantised exactly as in the whole network (its scale), with the
// whole's neuron count, synapse count and self-edge flag.
TEST(Network, PartKeepsTheSynapsesOntoItsNeuronsWithTheWholeScale) {
  // 0 -> 1 (0.5), 0 -> 3 (-2), 1 -> 1 (self, 0.25), 2 -> 0 (1), 3 -> 2 (4)
  const std::vector<std::int64_t> pre = {0, 0, 1, 2, 3}, post = {1, 3, 1, 0, 2};
  const std::vector<double> w = {0.5, -2, 0.25, 1, 4};
  const Network whole = Network::from_edges(4, pre, post, w, 7, "toy");
  const Network p = whole.part(1, 3);  // targets 1 and 2
  EXPECT_EQ(p.n_neurons(), 4u);
  EXPECT_EQ(p.instance_id(), 7u);
  EXPECT_EQ(p.n_synapses(), 3u);
  EXPECT_EQ(p.whole_synapses(), 5u);
  EXPECT_TRUE(p.is_part());
  EXPECT_TRUE(p.has_self_edges());
  EXPECT_EQ(p.row_ptr(), (std::vector<std::int64_t>{0, 1, 2, 2, 3}));
  EXPECT_EQ(p.post(), (std::vector<std::int32_t>{1, 1, 2}));
  EXPECT_EQ(p.weight(), (std::vector<double>{0.5, 0.25, 4}));
  EXPECT_EQ(p.scale_exponent(), whole.scale_exponent());  // the whole's largest |w| (4), not the part's
  EXPECT_EQ(p.quantised(), (std::vector<std::int32_t>{whole.quantised()[0], whole.quantised()[2], whole.quantised()[4]}));
  EXPECT_EQ(whole.part(0, 4).quantised(), whole.quantised());
  EXPECT_EQ(whole.part(2, 2).n_synapses(), 0u);
  EXPECT_FALSE(whole.is_part());
  EXPECT_EQ(whole.whole_synapses(), 5u);
  EXPECT_ERROR_HAS(whole.part(3, 5), "toy: part [3, 5) is outside [0, 4)");
}

// Network loaders: edge lists and Matrix Market round trips, dataset order
// and sizes, the streaming .npy writer, and the message for each malformed input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

class Loaders : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cascade_load_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  std::string mtx(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  std::string edge_dir(const std::string& name, std::vector<std::int64_t> ei, std::vector<double> w,
                       std::int64_t n = -1) const {
    fs::create_directories(dir / name);
    write_npy((dir / name / "edge_index.npy").string(), NpyDtype::kInt64, {2, ei.size() / 2}, ei.data());
    write_npy((dir / name / "weights.npy").string(), NpyDtype::kFloat64, {w.size()}, w.data());
    if (n >= 0) write_npy((dir / name / "num_nodes.npy").string(), NpyDtype::kInt64, {}, &n);
    return (dir / name).string();
  }
  fs::path dir;
};

std::vector<double> dense(const Network& n) { return n.dense(); }

}  // namespace

TEST_F(Loaders, EdgeListRoundTripAndSize) {
  // Edges (pre, post): 0->2 (0.5), 3->1 (-1.25), 2->0 (2); N = 6 (two isolated neurons at the end).
  const std::string d = edge_dir("net", {0, 3, 2, 2, 1, 0}, {0.5, -1.25, 2.0}, 6);
  const Network net = load_network(d, 4);
  EXPECT_EQ(net.n_neurons(), 6u);
  EXPECT_EQ(net.instance_id(), 4u);
  std::vector<double> want(36, 0.0);
  want[0 * 6 + 2] = 0.5;
  want[3 * 6 + 1] = -1.25;
  want[2 * 6 + 0] = 2.0;
  EXPECT_EQ(dense(net), want);
  // Without num_nodes.npy: N = largest index + 1.
  const std::string d2 = edge_dir("net2", {0, 3, 2, 2, 1, 0}, {0.5, -1.25, 2.0});
  EXPECT_EQ(load_network(d2).n_neurons(), 4u);
  // save_edge_list -> load is the identity.
  save_edge_list(net, path("copy"), false);
  EXPECT_EQ(dense(load_network(path("copy"))), want);
  EXPECT_EQ(NetworkSource(path("copy")).neuron_count(0), 6u);
}

TEST_F(Loaders, EdgeListErrorsNameTheFileAndTheProblem) {
  edge_dir("a", {0, 1}, {1.0});
  const std::int64_t three[3] = {0, 1, 1};
  write_npy((dir / "a" / "edge_index.npy").string(), NpyDtype::kInt64, {3, 1}, three);
  EXPECT_ERROR_HAS(load_network(path("a")), "edge_index must be [2, E] (rows pre, post); got shape (3, 1)");
  EXPECT_ERROR_HAS(load_network(edge_dir("b", {0, 1, 1, 0}, {1.0})),
                   "weights must be [E] with E = 2 (edge_index's columns); got shape (1,)");
  EXPECT_ERROR_HAS(load_network(edge_dir("c", {0, -1, 1, 0}, {1.0, 2.0})), "edge 1 has a negative presynaptic index -1");
  EXPECT_ERROR_HAS(load_network(edge_dir("d", {0, 5, 1, 0}, {1.0, 2.0}, 3)), "edge 1 has presynaptic index 5");
  EXPECT_ERROR_HAS(load_network(edge_dir("e", {0, 0, 1, 1}, {1.0, 2.0}, 3)), "the synapse 0 -> 1 appears more than once");
  EXPECT_ERROR_HAS(load_network(edge_dir("f", {0, 1, 1, 0}, {1.0, NAN}, 3)), "edge 1 (1 -> 0) has a non-finite weight nan");
  EXPECT_ERROR_HAS(load_network(edge_dir("g", {0, 1, 1, 0}, {1.0, 2.0}, 0)), "num_nodes = 0; expected >= 1");
  fs::create_directories(dir / "h");
  const std::int64_t ei[2] = {0, 1};
  write_npy((dir / "h" / "edge_index.npy").string(), NpyDtype::kInt64, {2, 1}, ei);
  EXPECT_ERROR_HAS(load_network(path("h")), "an edge-list directory needs weights.npy");
  const double w[1] = {1};
  write_npy((dir / "h" / "weights.npy").string(), NpyDtype::kFloat64, {1}, w);
  const double fei[2] = {0, 1};
  write_npy((dir / "h" / "edge_index.npy").string(), NpyDtype::kFloat64, {2, 1}, fei);
  EXPECT_ERROR_HAS(load_network(path("h")), "edge_index must hold int64 or int32 indices, got <f8");
  write_npy((dir / "h" / "edge_index.npy").string(), NpyDtype::kInt64, {2, 1}, ei);
  const float wf[1] = {1};
  write_npy((dir / "h" / "weights.npy").string(), NpyDtype::kUInt8, {1}, wf);
  EXPECT_ERROR_HAS(load_network(path("h")), "weights must be float32 or float64, got |u1");
  write_npy((dir / "h" / "weights.npy").string(), NpyDtype::kFloat64, {1}, w);
  const double nn = 3;
  write_npy((dir / "h" / "num_nodes.npy").string(), NpyDtype::kFloat64, {1}, &nn);
  EXPECT_ERROR_HAS(load_network(path("h")), "num_nodes must hold one integer (int64 or int32); got dtype <f8");
}

TEST_F(Loaders, MatrixMarketFormsMapRowsToPresynaptic) {
  const std::string g = mtx("g.mtx",
                            "%%MatrixMarket matrix coordinate real general\n% a comment\n\n3 3 3\n1 2 0.5\n3 1 -2e-1\n2 2 4\n");
  std::vector<double> want(9, 0.0);
  want[0 * 3 + 1] = 0.5;
  want[2 * 3 + 0] = -0.2;
  want[1 * 3 + 1] = 4;
  EXPECT_EQ(dense(load_network(g)), want);
  EXPECT_EQ(NetworkSource(g).neuron_count(0), 3u);

  const std::string p = mtx("p.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n2 1\n");
  EXPECT_EQ(dense(load_network(p)), (std::vector<double>{0, 0, 1, 0}));
  const std::string s = mtx("s.mtx", "%%MatrixMarket matrix coordinate integer symmetric\n3 3 2\n2 1 3\n3 3 -1\n");
  EXPECT_EQ(dense(load_network(s)), (std::vector<double>{0, 3, 0, 3, 0, 0, 0, 0, -1}));
  const std::string k = mtx("k.mtx", "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 1.5\n");
  EXPECT_EQ(dense(load_network(k)), (std::vector<double>{0, -1.5, 1.5, 0}));
}

TEST_F(Loaders, MatrixMarketErrorsNameTheLine) {
  struct Bad {
    const char* text;
    const char* message;
  };
  const Bad cases[] = {
      {"", "empty file"},
      {"%%NotMarket matrix coordinate real general\n1 1 0\n", ":1: not a Matrix Market file"},
      {"%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", ":1: dense 'array' files are not supported"},
      {"%%MatrixMarket matrix coordinate complex general\n1 1 0\n", ":1: field 'complex' is not supported"},
      {"%%MatrixMarket matrix coordinate real hermitian\n1 1 0\n", ":1: symmetry 'hermitian' is not supported"},
      {"%%MatrixMarket matrix coordinate real\n1 1 0\n", ":1: the header must read"},
      {"%%MatrixMarket matrix coordinate real general\n", "truncated: no size line"},
      {"%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 1\n", ":2: W0 must be square; the size line says 2 x 3"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 x\n", ":2: expected the size line 'rows cols entries'"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n", "truncated: the size line promises 3 entries, the file has 1"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n", ":4: more entries than the 1 the size line promises"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n", ":3: entry (3, 1) is outside the 1-based range 1..2"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 1\n0 1 1\n", ":3: entry (0, 1) is outside the 1-based range"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 inf\n", ":3: value 'inf' is not a finite number"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2\n", ":3: expected an entry 'row col value'"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1.5 2 1\n", ":3: row and column must be integers"},
      {"%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 1\n", ":3: a symmetric file stores the lower triangle only"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 2\n1 2 1\n1 2 3\n", ":4: the entry (1, 2) repeats the one on line 3"},
      {"%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n2 1 1\n% a comment\n3 3 1\n\n2 1 5\n",
       ":7: the entry (2, 1) repeats the one on line 3"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 9\n", ":2: the size line promises 9 entries, more than a 2 x 2 matrix holds"},
      {"%%MatrixMarket matrix coordinate real general\n100000 100000 10000000000\n1 2 1\n",
       ":2: the size line promises 10000000000 entries, more than the file's 78 bytes can hold"},
      {"%%MatrixMarket matrix coordinate real general\n3000000000 3000000000 1\n1 2 1\n",
       ":2: 3000000000 rows exceed the limit of 2^31 - 1 neurons"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string f = mtx("bad" + std::to_string(i++) + ".mtx", c.text);
    EXPECT_ERROR_HAS(load_network(f), c.message) << c.text;
    // A distributed rank reads every line whatever its part: the same
    // message (a repeated entry: on the ranks holding a copy of it; the
    // ranks agree on the error, tests/mpi).
    const bool repeat = std::string(c.message).find("repeats") != std::string::npos;
    for (const auto& [lo, hi] : {std::pair<std::size_t, std::size_t>{0, 1}, {1, 2}})
      if (!repeat || lo == 1)
        EXPECT_ERROR_HAS(NetworkSource(f).load_part(0, lo, hi, nullptr), c.message) << c.text << " part " << lo;
  }
  // Readers refuse early what no Matrix Market file holds.
  const std::string long_line = mtx("long.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 " +
                                                    std::string(70000, '2') + "\n");
  EXPECT_ERROR_HAS(load_network(long_line), ":3: a line longer than 65536 characters");
  std::filesystem::create_symlink("/dev/zero", path("zero.mtx"));
  EXPECT_ERROR_HAS(load_network(path("zero.mtx")), "zero.mtx: the Matrix Market file is not a regular file");
}

TEST_F(Loaders, DatasetsAreListedLexicographicallyAcrossFormats) {
  // Names 0, 1, 10, 2 with mixed formats: order 0, 1, 10, 2 (the reference's).
  const float w0[4] = {0, 1, 0, 0};
  write_npy(path("0.npy"), NpyDtype::kFloat32, {2, 2}, w0);
  mtx("1.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 3 2\n");
  edge_dir("10", {0, 1}, {3.0}, 5);
  const float w2[9] = {0, 0, 0, 0, 0, 4, 0, 0, 0};
  write_npy(path("2.npy"), NpyDtype::kFloat32, {3, 3}, w2);
  std::ofstream(path("notes.txt")) << "ignored";
  const NetworkSource src(dir.string());
  ASSERT_EQ(src.size(), 4u);
  const std::vector<std::size_t> sizes{2, 3, 5, 3};
  const std::vector<double> first_weight{1, 2, 3, 4};
  for (std::size_t k = 0; k < 4; ++k) {
    const Network n = src.load(k);
    EXPECT_EQ(n.instance_id(), k);
    EXPECT_EQ(n.n_neurons(), sizes[k]);
    EXPECT_EQ(src.neuron_count(k), sizes[k]);
    EXPECT_EQ(n.weight().front(), first_weight[k]);
  }
  EXPECT_EQ(fs::path(src.entries()[2]).filename(), "10");
  // .pt files point to the converter.
  std::ofstream(path("3.pt")) << "x";
  EXPECT_ERROR_HAS(NetworkSource(dir.string()), "PyTorch .pt files cannot be read; convert them with cascade-pt-to-npy SRC DST");
  fs::remove(path("3.pt"));
  EXPECT_ERROR_HAS(load_network(path("nothing.npy")), "nothing.npy: no such file or directory");
  std::ofstream(path("x.csv")) << "1,2";
  EXPECT_ERROR_HAS(load_network(path("x.csv")), "unknown network format '.csv'");
  fs::create_directories(dir / "empty");
  EXPECT_ERROR_HAS(NetworkSource(path("empty")), "the directory holds no networks");
}

TEST_F(Loaders, StreamingNpyWriterWritesPartsAndCommitsAtomically) {
  {
    NpyFileWriter w(path("s.npy"), NpyDtype::kInt32, {2, 3});
    const std::int32_t b[3] = {4, 5, 6}, a[2] = {1, 2};
    w.write(12, b, 12);
    w.write(0, a, 8);
    EXPECT_FALSE(fs::exists(path("s.npy")));  // not before commit
    EXPECT_ERROR_HAS(w.write(20, a, 8), "write past the end of the array");
    w.commit();
  }
  const NpyArray r = read_npy(path("s.npy"));
  EXPECT_EQ(r.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(r.to_int64(), (std::vector<std::int64_t>{1, 2, 0, 4, 5, 6}));  // unwritten parts are zero
  {
    NpyFileWriter w(path("u.npy"), NpyDtype::kUInt8, {4});
    const std::uint8_t x = 1;
    w.write(0, &x, 1);
  }  // destroyed without commit: nothing is left behind
  EXPECT_FALSE(fs::exists(path("u.npy")));
  EXPECT_FALSE(fs::exists(path("u.npy.tmp")));
  EXPECT_ERROR_HAS(NpyFileWriter(path("no/such/dir/x.npy"), NpyDtype::kUInt8, {1}), "cannot write");
  const NpyHeader h = read_npy_header(path("s.npy"));
  EXPECT_EQ(h.dtype, NpyDtype::kInt32);
  EXPECT_EQ(h.shape, (std::vector<std::size_t>{2, 3}));
}

// Distributed runs (docs/distributed.md): an edge list with num_nodes.npy is
// streamed a block at a time; a rank's part equals the whole network cut,
// quantisation (the whole's scale) and CSR order included; a bad index or
// weight anywhere is refused by every rank alike (each reads every edge).
TEST_F(Loaders, EdgeListPartsAreStreamedAndEqualTheWholeCut) {
  const double w_one = 1.0;
  // 0->3 (0.5), 4->1 (-2), 2->2 (self, 0.25), 1->4 (8), 3->0 (1), 0->1 (-1)
  const std::string d = edge_dir("el", {0, 4, 2, 1, 3, 0, 3, 1, 2, 4, 0, 1}, {0.5, -2, 0.25, 8, 1, -1}, 5);
  const NetworkSource src(d);
  EXPECT_TRUE(src.makes_parts());
  const Network whole = src.load(0);
  for (const auto& [lo, hi] : {std::pair<std::size_t, std::size_t>{0, 2}, {2, 3}, {3, 5}, {0, 5}, {4, 4}}) {
    const Network part = src.load_part(0, lo, hi, nullptr), cut = whole.part(lo, hi);
    EXPECT_EQ(part.row_ptr(), cut.row_ptr()) << lo << ".." << hi;
    EXPECT_EQ(part.post(), cut.post());
    EXPECT_EQ(part.weight(), cut.weight());
    EXPECT_EQ(part.quantised(), cut.quantised());
    EXPECT_EQ(part.scale_exponent(), whole.scale_exponent());  // 8 is the whole's largest |w|, wherever it lies
    EXPECT_EQ(part.whole_synapses(), 6u);
    EXPECT_TRUE(part.has_self_edges());
  }
  // Every rank reads every edge and refuses a bad one with the whole
  // loader's message, in the whole loader's order (negative indices, the pre
  // row first; then num_nodes; then each edge's range and weight). The
  // messages are those the loader gave when it read the arrays whole.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {edge_dir("bad", {0, 1, 1, 7}, {1, 1}, 5), "bad: edge 1 has postsynaptic index 7 outside [0, 5)"},
      {edge_dir("nan", {0, 1, 1, 2}, {1, std::nan("")}, 5), "nan: edge 1 (1 -> 2) has a non-finite weight nan"},
      // a negative post at edge 0, a negative pre at edge 3: the pre row first
      {edge_dir("neg", {0, 1, 9, -2, -1, 3, 0, 2}, {1, 1, 1, 1}, 5),
       "neg/edge_index.npy: edge 3 has a negative presynaptic index -2"},
      // an index out of range at edge 0, a negative one at edge 1: the negative first
      {edge_dir("negpost", {0, 1, 2, 9, -4, 1}, {1, 1, 1}, 5),
       "negpost/edge_index.npy: edge 1 has a negative postsynaptic index -4"},
      {edge_dir("badn", {0, 1, 1, 2}, {1, 1}, 0), "badn/num_nodes.npy: num_nodes = 0; expected >= 1"},
  };
  for (const auto& [d, want] : bad) {
    EXPECT_ERROR_HAS(load_edge_list(d), want);
    for (const auto& [lo, hi] : {std::pair<std::size_t, std::size_t>{0, 2}, {2, 5}})
      EXPECT_ERROR_HAS(NetworkSource(d).load_part(0, lo, hi, nullptr), want) << d << " part " << lo;
  }
  // A stray network file beside the edge list: ambiguous, refused as the whole loader refuses it.
  const std::string stray = edge_dir("stray", {0, 1, 1, 2}, {1, 1}, 5);
  write_npy((fs::path(stray) / "extra.npy").string(), NpyDtype::kFloat64, {1}, &w_one);
  EXPECT_ERROR_HAS(NetworkSource(stray).load_part(0, 0, 2, nullptr), "beside them makes it ambiguous");
  // Without num_nodes.npy the size needs every index: read whole, then cut.
  const std::string plain = edge_dir("plain", {0, 1, 1, 2}, {1, 2});
  EXPECT_FALSE(NetworkSource(plain).makes_parts());
  EXPECT_EQ(NetworkSource(plain).load_part(0, 2, 3, nullptr).post(), (std::vector<std::int32_t>{2}));
}

namespace {
/// A part read by a rank equals the whole network cut at [lo, hi): CSR,
/// weights, quantisation with the whole's scale, synapse count, self-edges.
void expect_part_is_cut(const NetworkSource& src, std::size_t lo, std::size_t hi) {
  const Network whole = src.load(0), part = src.load_part(0, lo, hi, nullptr), cut = whole.part(lo, hi);
  EXPECT_TRUE(part.is_part());
  EXPECT_EQ(part.part_lo(), lo);
  EXPECT_EQ(part.part_hi(), hi);
  EXPECT_EQ(part.row_ptr(), cut.row_ptr()) << src.entries()[0] << " " << lo << ".." << hi;
  EXPECT_EQ(part.post(), cut.post());
  EXPECT_EQ(part.weight(), cut.weight());
  EXPECT_EQ(part.quantised(), cut.quantised());
  EXPECT_EQ(part.scale_exponent(), whole.scale_exponent());
  EXPECT_EQ(part.whole_synapses(), whole.n_synapses());
  EXPECT_EQ(part.has_self_edges(), whole.has_self_edges());
  // The whole's first self-edge, for messages, wherever it lies.
  EXPECT_EQ(part.whole_self_edge_neuron(), cut.whole_self_edge_neuron());
  EXPECT_EQ(part.whole_self_edge_weight(), cut.whole_self_edge_weight());
}
}  // namespace

// Distributed runs: dense W0 .npy (a block of rows at a time) and Matrix
// Market files (line by line) are streamed by each rank, which keeps only
// the synapses onto its neurons; its part equals the whole network cut.
TEST_F(Loaders, DenseAndMatrixMarketPartsAreStreamedAndEqualTheWholeCut) {
  const std::size_t n = 7;
  std::vector<double> w(n * n, 0.0);
  for (std::size_t k = 0; k < n * n; k += 3) w[k] = (k % 2 ? -1.0 : 1.0) * (0.125 + 0.01 * static_cast<double>(k));
  w[2 * n + 2] = 0.0;
  w[3 * n + 5] = 9.5;  // the largest |w| lies in one part only
  const std::vector<float> wf(w.begin(), w.end());
  write_npy(path("w64.npy"), NpyDtype::kFloat64, {n, n}, w.data());
  write_npy(path("w32.npy"), NpyDtype::kFloat32, {n, n}, wf.data());
  std::vector<double> nodiag = w;
  for (std::size_t j = 0; j < n; ++j) nodiag[j * n + j] = 0.0;
  write_npy(path("nodiag.npy"), NpyDtype::kFloat64, {n, n}, nodiag.data());
  const std::string g = mtx("g.mtx", "%%MatrixMarket matrix coordinate real general\n% c\n5 5 5\n1 2 0.5\n5 1 -3\n"
                                     "3 3 0.25\n2 5 1\n4 4 0\n");
  const std::string s = mtx("s.mtx", "%%MatrixMarket matrix coordinate integer symmetric\n5 5 3\n2 1 3\n5 2 -7\n4 4 1\n");
  const std::string k = mtx("k.mtx", "%%MatrixMarket matrix coordinate real skew-symmetric\n5 5 2\n2 1 1.5\n5 3 4\n");
  const std::string p = mtx("p.mtx", "%%MatrixMarket matrix coordinate pattern general\n5 5 2\n2 1\n4 5\n");
  for (const std::string f : {path("w64.npy"), path("w32.npy"), path("nodiag.npy")}) {
    ASSERT_TRUE(NetworkSource(f).makes_parts());
    for (const auto& [lo, hi] : {std::pair<std::size_t, std::size_t>{0, 3}, {3, 4}, {4, 7}, {0, 7}, {5, 5}})
      expect_part_is_cut(NetworkSource(f), lo, hi);
  }
  for (const std::string f : {g, s, k, p}) {
    ASSERT_TRUE(NetworkSource(f).makes_parts());
    for (const auto& [lo, hi] : {std::pair<std::size_t, std::size_t>{0, 1}, {1, 3}, {3, 5}, {0, 5}, {2, 2}})
      expect_part_is_cut(NetworkSource(f), lo, hi);
  }
  // Every rank checks every weight: a non-finite one outside its columns too,
  // with the whole reader's message.
  std::vector<double> bad = w;
  bad[6 * n + 1] = std::nan("");
  write_npy(path("nan.npy"), NpyDtype::kFloat64, {n, n}, bad.data());
  EXPECT_ERROR_HAS(load_network(path("nan.npy")), "nan.npy: W0[6, 1] = nan is not finite");
  EXPECT_ERROR_HAS(NetworkSource(path("nan.npy")).load_part(0, 4, 7, nullptr), "nan.npy: W0[6, 1] = nan is not finite");
  // A size that does not match the header: the whole reader's message.
  write_npy(path("short.npy"), NpyDtype::kFloat64, {n, n}, w.data());
  fs::resize_file(path("short.npy"), fs::file_size(path("short.npy")) - 8);
  std::string whole_msg;
  try {
    load_network(path("short.npy"));
  } catch (const Error& e) {
    whole_msg = e.what();
  }
  ASSERT_FALSE(whole_msg.empty());
  EXPECT_ERROR_HAS(NetworkSource(path("short.npy")).load_part(0, 0, 3, nullptr), whole_msg);
  // A repeated entry is found by every rank holding any copy of it.
  const std::string rep =
      mtx("rep.mtx", "%%MatrixMarket matrix coordinate real symmetric\n4 4 3\n3 1 1\n4 4 2\n3 1 5\n");
  for (const auto& [lo, hi] : {std::pair<std::size_t, std::size_t>{0, 1}, {2, 3}})
    EXPECT_ERROR_HAS(NetworkSource(rep).load_part(0, lo, hi, nullptr), "rep.mtx:5: the entry (3, 1) repeats the one on line 3");
  // A dataset of dense files and Matrix Market files is read in parts.
  fs::create_directories(dir / "ds");
  fs::copy_file(path("w64.npy"), dir / "ds" / "0.npy");
  fs::copy_file(g, dir / "ds" / "1.mtx");
  EXPECT_TRUE(NetworkSource((dir / "ds").string()).makes_parts());
}

// Distributed runs balance a file's parts by in-synapses: a first pass
// counts each neuron's, for every format read in parts, equal to the
// whole network's; generated sources and files read whole give none.
TEST_F(Loaders, InDegreesOfStreamedFilesEqualTheWholeNetworks) {
  auto whole_in = [](const Network& net) {
    std::vector<std::uint32_t> d(net.n_neurons(), 0);
    for (std::int32_t i : net.post()) ++d[static_cast<std::size_t>(i)];
    return d;
  };
  const std::size_t n = 6;
  std::vector<float> w(n * n, 0.0f);
  for (std::size_t j = 0; j < n; ++j) w[j * n + 0] = j == 0 ? 0.0f : 1.0f;  // neuron 0 takes every other one
  w[2 * n + 4] = -2.0f;
  write_npy(path("d.npy"), NpyDtype::kFloat32, {n, n}, w.data());
  const std::string s = mtx("s.mtx", "%%MatrixMarket matrix coordinate real symmetric\n5 5 3\n2 1 3\n5 2 -7\n4 4 1\n");
  const std::string el = edge_dir("el", {0, 4, 2, 1, 3, 0, 3, 1, 2, 4, 0, 1}, {0.5, -2, 0.25, 8, 1, -1}, 5);
  for (const std::string f : {path("d.npy"), s, el}) {
    const NetworkSource src(f);
    EXPECT_EQ(src.in_degrees(0), whole_in(src.load(0))) << f;
  }
  EXPECT_EQ(NetworkSource(path("d.npy")).in_degrees(0), (std::vector<std::uint32_t>{5, 0, 0, 0, 1, 0}));
  EXPECT_TRUE(NetworkSource(edge_dir("plain", {0, 1, 1, 2}, {1, 2})).in_degrees(0).empty());  // no num_nodes.npy
  const NetworkSource gen = NetworkSource::generated("g", 1, 3, [](std::uint32_t) {
    return Network::from_edges(3, std::vector<std::int64_t>{0}, std::vector<std::int64_t>{1}, std::vector<double>{1.0});
  });
  EXPECT_TRUE(gen.in_degrees(0).empty());
  // A bad entry is the reader's to refuse: the count pass says the same.
  const std::string bad = mtx("bad.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n");
  EXPECT_ERROR_HAS(NetworkSource(bad).in_degrees(0), ":3: entry (3, 1) is outside the 1-based range 1..2");
}

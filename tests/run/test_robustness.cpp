// Every row of docs/robustness.md: the bad input is made here, the command
// runs, and the exit status and one-line message must be as the table says.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>

#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

struct Row {
  std::string id, command;
  int exit;
  std::string message;
};

std::vector<Row> read_table() {
  std::ifstream in(std::string(CASCADE_TEST_DATA_DIR) + "/../../docs/robustness.md");
  std::vector<Row> rows;
  std::string line;
  // | R1 | what | `command` | exit | `message` |
  const std::regex row(R"(^\| (R\d+) \| [^|]+ \| `([^`]*)` \| (\d) \| `([^`]*)` \|\s*$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, row)) rows.push_back({m[1], m[2], std::stoi(m[3]), m[4]});
    else if (line.rfind("| R", 0) == 0) ADD_FAILURE() << "docs/robustness.md: malformed row: " << line;
  }
  return rows;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

/// A version-1.0 .npy image with the given header dictionary and data bytes.
std::string npy_image(const std::string& dict, const std::string& data) {
  std::string header = dict;
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

void edge_list(const fs::path& dir, std::vector<std::int64_t> ei, std::size_t rows, std::vector<double> w,
               std::int64_t n = -1, bool with_weights = true) {
  fs::create_directories(dir);
  write_npy((dir / "edge_index.npy").string(), NpyDtype::kInt64, {rows, ei.size() / rows}, ei.data());
  if (with_weights) write_npy((dir / "weights.npy").string(), NpyDtype::kFloat64, {w.size()}, w.data());
  if (n >= 0) write_npy((dir / "num_nodes.npy").string(), NpyDtype::kInt64, {1}, &n);
}

void make_inputs(const fs::path& d) {
  const float w3[9] = {0, 1.5f, -2, 0.5f, 0, 0, -1, 1, 0};
  write_npy((d / "w.npy").string(), NpyDtype::kFloat32, {3, 3}, w3);
  write_bytes(d / "bad_magic.npy", "NOTNUMPY and some more bytes");
  write_bytes(d / "short_header.npy", std::string("\x93NUMPY\x01\x00\x50\x00{'descr'", 18));
  write_bytes(d / "no_shape.npy", npy_image("{'descr': '<f4', 'fortran_order': False, }", std::string(4, '\0')));
  write_bytes(d / "complex.npy", npy_image("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 2), }", std::string(32, '\0')));
  write_bytes(d / "big_endian.npy", npy_image("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }", std::string(32, '\0')));
  write_bytes(d / "short_data.npy", npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }", std::string(12, '\0')));
  write_bytes(d / "trailing.npy", npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", std::string(7, '\0')));
  const float rect[6] = {0, 1, 0, 0, 0, 0};
  write_npy((d / "rect.npy").string(), NpyDtype::kFloat32, {2, 3}, rect);
  write_npy((d / "vector.npy").string(), NpyDtype::kFloat32, {3}, rect);
  const std::int32_t iw[4] = {0, 1, 1, 0};
  write_npy((d / "int_w0.npy").string(), NpyDtype::kInt32, {2, 2}, iw);
  const float nanw[4] = {0, 1, NAN, 0}, infw[4] = {0, INFINITY, 1, 0}, diag[4] = {1, 1, 0, 0};
  write_npy((d / "nan_w0.npy").string(), NpyDtype::kFloat32, {2, 2}, nanw);
  write_npy((d / "inf_w0.npy").string(), NpyDtype::kFloat32, {2, 2}, infw);
  write_npy((d / "diag.npy").string(), NpyDtype::kFloat32, {2, 2}, diag);
  edge_list(d / "el_shape", {0, 1, 1}, 3, {1.0});
  edge_list(d / "el_len", {0, 1, 1, 0}, 2, {1.0});
  edge_list(d / "el_neg", {0, -1, 1, 0}, 2, {1.0, 2.0}, 3);
  edge_list(d / "el_range", {0, 5, 1, 0}, 2, {1.0, 2.0}, 3);
  edge_list(d / "el_dup", {0, 0, 1, 1}, 2, {1.0, 2.0}, 3);
  edge_list(d / "el_noweights", {0, 1}, 2, {}, -1, false);
  write_text(d / "existing.ckpt", "an earlier run's checkpoint");
  write_text(d / "truncated.ckpt", std::string("CASCADE-CHECKPOINT") + std::string(1, '\0') + std::string(40, 'x'));
  write_text(d / "banner.mtx", "%%NotMarket matrix coordinate real general\n1 1 0\n");
  write_text(d / "array.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n");
  write_text(d / "complex.mtx", "%%MatrixMarket matrix coordinate complex general\n1 1 0\n");
  write_text(d / "rect.mtx", "%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 1\n");
  write_text(d / "short.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 2 1\n");
  write_text(d / "range.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n");
  write_text(d / "inf.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 inf\n");
  fs::create_directories(d / "with_pt");
  write_npy((d / "with_pt" / "0.npy").string(), NpyDtype::kFloat32, {3, 3}, w3);
  write_text(d / "with_pt" / "1.pt", "pickle");
  fs::create_directories(d / "empty");
  fs::create_directories(d / "ds3");
  for (const char* n : {"0.npy", "1.npy", "2.npy"}) write_npy((d / "ds3" / n).string(), NpyDtype::kFloat32, {3, 3}, w3);
  const std::uint8_t m4[4] = {1, 1, 0, 0}, m23[6] = {1, 0, 1, 0, 1, 1}, mtwo[3] = {1, 2, 0}, m3[3] = {1, 0, 1};
  write_npy((d / "mask4.npy").string(), NpyDtype::kBool, {4}, m4);
  write_npy((d / "masks2.npy").string(), NpyDtype::kUInt8, {2, 3}, m23);
  write_npy((d / "mask_two.npy").string(), NpyDtype::kUInt8, {3}, mtwo);
  write_npy((d / "mask3.npy").string(), NpyDtype::kUInt8, {3}, m3);
  const float snan[6] = {0, NAN, 0, 0, 0, 0}, s25[10] = {};
  write_npy((d / "stim_nan.npy").string(), NpyDtype::kFloat32, {3, 2}, snan);
  write_npy((d / "stim_2x5.npy").string(), NpyDtype::kFloat32, {2, 5}, s25);
  write_text(d / "exists.npy", "x");
  write_text(d / "trunc.json", "{\"model\": \"bernoulli_glm\",\n \"params\": {");
  write_text(d / "badtype.json", "{\"model\": \"bernoulli_glm\", \"params\": {\"theta\": \"x\"}}");
  const std::string nets = "[networks]\npath = \"" + (d / "w.npy").string() + "\"\n";
  write_text(d / "broken.toml", "[run\nsteps = 1\n");
  write_text(d / "misspelt.toml", nets + "[run]\nstesp = 10\n");
  write_text(d / "wrongtype.toml", nets + "[run]\nsteps = \"ten\"\n");
  write_text(d / "nonetworks.toml", "[run]\nsteps = 10\n");
  write_text(d / "section.toml", nets + "[outputs]\nfiles = []\n");
  write_text(d / "stimkind.toml", nets + "[[stimulus]]\nstrength = 1\n");
  fs::create_symlink(d / "w.npy", d / "link.npy");
  write_text(d / "params.json", "{\"model\": \"bernoulli_glm\", \"params\": {}}");
  write_text(d / "run10.toml", nets + "[run]\nsteps = 10\n");
  for (const char* ds : {"ds_dangling", "ds_subdir", "ds_fifo"}) {
    fs::create_directories(d / ds);
    for (const char* n : {"0.npy", "2.npy"}) write_npy((d / ds / n).string(), NpyDtype::kFloat32, {3, 3}, w3);
  }
  fs::create_symlink(d / "gone.npy", d / "ds_dangling" / "1.npy");
  fs::create_directories(d / "ds_subdir" / "figures");
  ASSERT_EQ(mkfifo((d / "ds_fifo" / "1.npy").c_str(), 0644), 0);
  edge_list(d / "el_noindex", {0, 1}, 2, {1.0});
  fs::remove(d / "el_noindex" / "edge_index.npy");
  for (const char* z : {"zero.npy", "zero.toml", "zero.json"}) fs::create_symlink("/dev/zero", d / z);
  write_text(d / "bomb.mtx", "%%MatrixMarket matrix coordinate real general\n100000 100000 10000000000\n1 2 1\n");
  write_text(d / "dup.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 2 1\n2 1 1\n1 2 3\n");
  edge_list(d / "el_huge_n", {0, 1, 1, 0}, 2, {1.0, 1.0}, 3000000000);
  edge_list(d / "el_huge_index", {0, 1, 1, 2147483647}, 2, {1.0, 1.0});
  save_dense_network(generate(NormalGenerator{50, 0.0, 5.0, 0.5, false}, 0, 0), (d / "n50.npy").string(), true);
  write_bytes(d / "f16.npy", npy_image("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", std::string(6, '\0')));
  write_text(d / "nan.toml", nets + "[model]\nname = \"bernoulli_glm\"\nparams = { theta = nan }\n[run]\nsteps = 10\n");
  write_text(d / "emptypath.toml", "[networks]\npath = \"\"\n[run]\nsteps = 10\n");
  write_text(d / "nomodel.json", "{\"model\": \"nomodel\", \"params\": {}}");
  // Outputs that are not regular files, and links that lead nowhere.
  ASSERT_EQ(mkfifo((d / "fifo.npy").c_str(), 0644), 0);
  fs::create_directories(d / "odir.npy");
  fs::create_directories(d / "side.npy.json");
  fs::create_symlink(d / "nowhere.npy", d / "dangling.npy");
  fs::create_symlink(d / "loop_b.npy", d / "loop_a.npy");
  fs::create_symlink(d / "loop_a.npy", d / "loop_b.npy");
  write_text(d / "dupkey.json", "{\"model\": \"bernoulli_glm\", \"params\": {\"theta\": 4, \"theta\": 9}}");
  write_text(d / "maskint.json", "{\"model\": \"bernoulli_glm\", \"params\": {}, \"stimuli\": "
                                 "[{\"spec\": \"regular:strength=1,period=2,tau=1\", \"mask\": 5}]}");
  write_text(d / "speck.json", "{\"model\": \"bernoulli_glm\", \"params\": {}, \"stimuli\": "
                               "[{\"spec\": \"regular:strength=1,period=2,tau=1\", \"speck\": 1}]}");
  {  // A version-2 header declaring 200 MB in a small file.
    std::string img = "\x93NUMPY\x02";
    img += '\0';
    const std::uint32_t len = 200000000;
    img.append(reinterpret_cast<const char*>(&len), 4);
    img += "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }";
    write_bytes(d / "hugehdr.npy", img);
  }
  const std::vector<std::int64_t> big_ints(10 * 4, (std::int64_t{1} << 62) + 1);
  write_npy((d / "i64.npy").string(), NpyDtype::kInt64, {10, 4}, big_ints.data());
  write_text(d / "pskew.mtx", "%%MatrixMarket matrix coordinate pattern skew-symmetric\n3 3 1\n2 1\n");
  write_text(d / "intfrac.mtx", "%%MatrixMarket matrix coordinate integer general\n3 3 1\n1 2 1.5\n");
  {
    const char nul[] = "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 2 1.0\0junk\n";
    write_bytes(d / "nul.mtx", std::string(nul, sizeof nul - 1));
  }
  edge_list(d / "el_selfzero", {0, 1, 0, 2}, 2, {0.0, 2.0});
  edge_list(d / "el_extra", {0, 1, 1, 0}, 2, {1.0, 1.0});
  write_npy((d / "el_extra" / "0.npy").string(), NpyDtype::kFloat32, {3, 3}, w3);
  fs::create_directories(d / "ds_upper");
  write_npy((d / "ds_upper" / "0.npy").string(), NpyDtype::kFloat32, {3, 3}, w3);
  write_npy((d / "ds_upper" / "1.NPY").string(), NpyDtype::kFloat32, {3, 3}, w3);
  fs::create_directories(d / "maskdir" / "sub");
  {
    const std::uint8_t m3[3] = {1, 0, 1};
    for (const char* n : {"0.npy", "1.npy", "2.npy"}) write_npy((d / "maskdir" / n).string(), NpyDtype::kUInt8, {3}, m3);
  }
  fs::create_directories(d / "proj");
  write_text(d / "proj" / "rel.toml", "[networks]\npath = \"nothere_rel.npy\"\n[run]\nsteps = 10\n");
  write_text(d / "huge.toml", "");
  fs::resize_file(d / "huge.toml", std::uintmax_t{17} << 20);
}

}  // namespace

TEST(Robustness, EveryBadInputInTheTableGetsItsMessage) {
  const auto rows = read_table();
  ASSERT_GE(rows.size(), 40u) << "docs/robustness.md should list at least 40 bad inputs";
  const fs::path d = fs::temp_directory_path() / ("cascade_robust_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  make_inputs(d);
  // A state saved from w.npy (a real run of the CLI).
  ASSERT_EQ(std::system((std::string(CASCADE_CLI_PATH) + " simulate --steps 0 --equilibration 5 --weights " +
                         (d / "w.npy").string() + " --save-state " + (d / "w.state").string() + " --quiet").c_str()),
            0);
  // Inputs the rows try to overwrite: byte for byte the same afterwards.
  std::map<std::string, std::string> kept;
  for (const char* f : {"w.npy", "params.json", "mask3.npy", "run10.toml", "ds3/0.npy"}) kept[f] = slurp(d / f);
  for (const auto& r : rows) {
    const std::string cmd = std::string(CASCADE_CLI_PATH) + " " + replace_all(r.command, "{d}", d.string()) + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    const int st = pclose(p);
    const int status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    const std::string message = replace_all(r.message, "{d}", d.string());
    EXPECT_EQ(status, r.exit) << r.id << ": " << out;
    EXPECT_EQ(out.rfind("cascade: error: ", 0), 0u) << r.id << ": " << out;
    EXPECT_EQ(out.find('\n'), out.size() - 1) << r.id << " (one line): " << out;
    EXPECT_NE(out.find(message), std::string::npos) << r.id << " expected '" << message << "', got: " << out;
  }
  // Nothing half-written was left behind.
  for (const auto& e : fs::recursive_directory_iterator(d)) EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  for (const auto& [f, bytes] : kept) EXPECT_EQ(slurp(d / f), bytes) << f << " was changed";
  EXPECT_FALSE(fs::exists(d / "ds3" / "3.npy"));
  EXPECT_FALSE(fs::exists(d / "a.npy"));
  EXPECT_FALSE(fs::exists(d / "big.npy"));
  EXPECT_FALSE(fs::exists(d / "gen"));
  fs::remove_all(d);
}

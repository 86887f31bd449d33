// Network files and datasets: dense .npy, Matrix Market, edge-list directories.
#include "cascade/dataset.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <optional>
#include <memory>
#include <sstream>

#include "cascade/error.hpp"
#include "cascade/npy.hpp"
#include "cascade/stop.hpp"
#include "core/limits.hpp"

namespace fs = std::filesystem;

namespace cascade {

namespace {

[[noreturn]] void refuse_pt(const std::string& path) {
  throw Error(path +
              ": PyTorch .pt files cannot be read; convert them with cascade-pt-to-npy SRC DST (installed beside "
              "cascade; tools/pt_to_npy.py in the source tree; it needs torch) which writes one .npy per tensor");
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

namespace {

/// A dataset entry that would be read as a network must be one that can be
/// read: a dangling link or a special file with a network's name would
/// otherwise drop out and renumber every network after it.
void check_readable_entry(const fs::directory_entry& entry, const std::string& dir) {
  std::error_code ec;
  const std::string path = (fs::path(dir) / entry.path().filename()).string();
  if (entry.is_symlink(ec) && !fs::exists(entry.path(), ec))
    throw Error(path + ": a dangling symbolic link (skipping it would renumber the entries after it); remove it or "
                       "restore its target");
  if (!entry.is_regular_file(ec) && !entry.is_directory(ec))
    throw Error(path + ": not a regular file (a device, pipe or socket), so it cannot be read; remove it");
}

bool network_name(const std::string& ext) { return ext == ".npy" || ext == ".mtx" || ext == ".pt"; }

/// A network's extension in other letters (1.NPY, 2.Mtx) would be skipped,
/// silently renumbering the others: refused, naming the file.
void refuse_odd_case(const fs::path& entry) {
  std::string ext = entry.extension().string();
  const std::string given = ext;
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != given && network_name(ext))
    throw Error(entry.string() + ": '" + given + "' is not '" + ext + "' (names are case-sensitive), so the file "
                "would be left out and the networks after it renumbered; rename it to " + entry.stem().string() + ext);
}

/// An edge-list network's other files without its edge_index.npy.
void refuse_headless_edge_list(const std::string& dir) {
  std::error_code ec;
  for (const char* part : {"weights.npy", "num_nodes.npy"})
    if (fs::exists(fs::path(dir) / part, ec) && !fs::exists(fs::path(dir) / "edge_index.npy", ec))
      throw Error(dir + ": holds " + part + " but no edge_index.npy: an edge-list directory needs edge_index.npy " +
                  "(int [2, E], rows pre and post) beside weights.npy");
}

}  // namespace

std::vector<std::string> npy_files_in(const std::string& dir, const std::string& what) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a directory");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (network_name(ext)) check_readable_entry(entry, dir);
    refuse_odd_case(entry.path());
    if (entry.is_directory(ec) && name[0] != '.')
      throw Error(dir + ": '" + name + "' is a directory among the " + what + "; move it out, so that their "
                  "numbering is not in doubt");
    if (!entry.is_regular_file()) continue;
    if (ext == ".pt") refuse_pt(dir + "/" + name);
    if (ext == ".npy") names.push_back(name);
  }
  if (ec) throw Error(dir + ": cannot list the directory (" + ec.message() + ")");
  if (names.empty()) throw Error(dir + ": the directory holds no .npy files (" + what + ")");
  std::sort(names.begin(), names.end());  // the reference's order: lexicographic by name
  for (auto& n : names) n = (fs::path(dir) / n).string();
  return names;
}

bool is_edge_list_dir(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_regular_file(fs::path(dir) / "edge_index.npy", ec);
}

std::vector<std::string> dataset_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a directory");
  refuse_headless_edge_list(dir);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (network_name(ext)) check_readable_entry(entry, dir);
    refuse_odd_case(entry.path());
    if (entry.is_regular_file()) {
      if (ext == ".pt") refuse_pt(dir + "/" + name);
      if (ext == ".npy" || ext == ".mtx") names.push_back(name);
    } else if (entry.is_directory()) {
      if (is_edge_list_dir(entry.path().string())) {
        names.push_back(name);
      } else if (name[0] != '.') {
        refuse_headless_edge_list(entry.path().string());
        throw Error((fs::path(dir) / name).string() +
                    ": a directory in the dataset that is no network (an edge-list directory holds edge_index.npy); "
                    "move it out, so that the networks' numbering is not in doubt");
      }
    } else if (entry.is_symlink(ec) && !fs::exists(entry.path(), ec)) {
      check_readable_entry(entry, dir);  // a dangling link of any name could be a network
    }
  }
  if (ec) throw Error(dir + ": cannot list the directory (" + ec.message() + ")");
  if (names.empty())
    throw Error(dir + ": the directory holds no networks (dense W0 .npy files, .mtx files or edge-list "
                      "directories with edge_index.npy)");
  std::sort(names.begin(), names.end());  // the reference's order: lexicographic by name
  for (auto& n : names) n = (fs::path(dir) / n).string();
  return names;
}

namespace {
/// The dtype first: W0's own message for any other (float16, int32, ...).
void check_w0_dtype(const std::string& path) {
  const std::string descr = read_npy_descr(path);
  if (descr == "<f4" || descr == "<f8") return;
  if (!descr.empty() && descr[0] == '>') read_npy_header(path);  // the reader's own big-endian message
  const std::string known = npy_descr_name(descr);
  throw Error(path + ": W0 must hold float32 or float64 weights, got " + descr +
              (known.empty() ? "" : " (" + known + ")") + "; convert it, e.g. numpy: w.astype(numpy.float32)");
}
}  // namespace

namespace {
struct PartRange;
std::optional<Network> stream_dense(const std::string& path, std::uint32_t id, const PartRange* part,
                                    std::vector<std::uint32_t>* in_degrees = nullptr);
}  // namespace

Network load_dense_network(const std::string& path, std::uint32_t instance_id) {
  check_w0_dtype(path);
  // Streamed a block of rows at a time where the layout allows: the file is
  // never held whole, nor as N x N doubles.
  if (auto net = stream_dense(path, instance_id, nullptr)) return std::move(*net);
  const NpyArray a = read_npy(path);
  if (a.shape.size() != 2 || a.shape[0] != a.shape[1])
    throw Error(path + ": W0 must be a square 2-d array [N, N]; got shape " + [&] {
      std::string s = "(";
      for (std::size_t i = 0; i < a.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(a.shape[i]);
      return s + ")";
    }());
  if (a.dtype != NpyDtype::kFloat32 && a.dtype != NpyDtype::kFloat64)
    throw Error(path + ": W0 must hold float32 or float64 weights, got " + npy_descr(a.dtype));
  const std::vector<double> w = a.to_doubles();
  return Network::from_dense(std::span<const double>(w), a.shape[0], instance_id, path);
}

namespace {

/// A network size from a file, checked before anything of that size exists.
void check_network_size(std::int64_t n, std::size_t edges, const std::string& origin) {
  if (static_cast<std::uint64_t>(n) > kMaxNeurons)
    throw Error(origin + ": " + std::to_string(n) + " neurons exceed the limit 2^31 - 1 (a corrupt value?)");
  require_memory(Network::build_bytes(static_cast<std::uint64_t>(n), edges),
                 origin + ": a network of " + std::to_string(n) + " neurons");
}

}  // namespace

/// num_nodes.npy of an edge-list directory (which must hold one).
std::size_t neuron_count_of_edge_list(const std::string& dir) {
  const std::string n_path = (fs::path(dir) / "num_nodes.npy").string();
  const NpyArray nn = read_npy(n_path);
  if (nn.size() != 1 || (nn.dtype != NpyDtype::kInt64 && nn.dtype != NpyDtype::kInt32))
    throw Error(n_path + ": num_nodes must hold one integer (int64 or int32); got dtype " +
                std::string(npy_descr(nn.dtype)) + " with shape " + npy_shape_text(nn.shape));
  const std::int64_t n = nn.to_int64()[0];
  if (n < 1) throw Error(n_path + ": num_nodes = " + std::to_string(n) + "; expected >= 1");
  return static_cast<std::size_t>(n);
}

namespace {
/// Anything else that looks like a network beside an edge list makes the
/// directory ambiguous (an edge list, or a dataset with a stray file?).
void refuse_stray_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "edge_index.npy" || name == "weights.npy" || name == "num_nodes.npy" || name[0] == '.') continue;
    if (network_name(entry.path().extension().string()) || entry.is_directory(ec))
      throw Error(dir + ": an edge-list directory holds edge_index.npy, weights.npy and num_nodes.npy only; '" +
                  name + "' beside them makes it ambiguous (a dataset of networks?): move it out");
  }
}
}  // namespace

namespace {
std::optional<Network> stream_edge_list(const std::string& dir, std::uint32_t id,
                                        const std::pair<std::size_t, std::size_t>* part);
}  // namespace

Network load_edge_list(const std::string& dir, std::uint32_t instance_id) {
  // Streamed a block at a time where the size is stated and the layout
  // allows: the file's arrays are never held whole.
  if (auto net = stream_edge_list(dir, instance_id, nullptr)) return std::move(*net);
  const std::string ei_path = (fs::path(dir) / "edge_index.npy").string();
  const std::string w_path = (fs::path(dir) / "weights.npy").string();
  const std::string n_path = (fs::path(dir) / "num_nodes.npy").string();
  std::error_code ec;
  if (!fs::is_regular_file(ei_path, ec)) throw Error(dir + ": an edge-list directory needs edge_index.npy");
  refuse_stray_files(dir);
  if (!fs::is_regular_file(w_path, ec))
    throw Error(dir + ": an edge-list directory needs weights.npy (float [E]) beside edge_index.npy");
  const NpyArray ei = read_npy(ei_path);
  if (ei.dtype != NpyDtype::kInt64 && ei.dtype != NpyDtype::kInt32)
    throw Error(ei_path + ": edge_index must hold int64 or int32 indices, got " + npy_descr(ei.dtype));
  if (ei.shape.size() != 2 || ei.shape[0] != 2)
    throw Error(ei_path + ": edge_index must be [2, E] (rows pre, post); got shape " + npy_shape_text(ei.shape));
  const std::size_t E = ei.shape[1];
  const NpyArray w = read_npy(w_path);
  if (w.dtype != NpyDtype::kFloat32 && w.dtype != NpyDtype::kFloat64)
    throw Error(w_path + ": weights must be float32 or float64, got " + npy_descr(w.dtype));
  if (w.shape.size() != 1 || w.shape[0] != E)
    throw Error(w_path + ": weights must be [E] with E = " + std::to_string(E) + " (edge_index's columns); got shape " +
                npy_shape_text(w.shape));
  const std::vector<std::int64_t> idx = ei.to_int64();
  for (std::size_t e = 0; e < 2 * E; ++e)
    if (idx[e] < 0)
      throw Error(ei_path + ": edge " + std::to_string(e % E) + " has a negative " + (e < E ? "pre" : "post") +
                  "synaptic index " + std::to_string(idx[e]));
  std::int64_t n = 0;
  if (fs::is_regular_file(n_path, ec)) {
    const NpyArray nn = read_npy(n_path);
    if (nn.size() != 1 || (nn.dtype != NpyDtype::kInt64 && nn.dtype != NpyDtype::kInt32))
      throw Error(n_path + ": num_nodes must hold one integer (int64 or int32); got dtype " +
                  std::string(npy_descr(nn.dtype)) + " with shape " + npy_shape_text(nn.shape));
    n = nn.to_int64()[0];
    if (n < 1) throw Error(n_path + ": num_nodes = " + std::to_string(n) + "; expected >= 1");
    check_network_size(n, E, n_path + ": num_nodes = " + std::to_string(n));
  } else {
    std::size_t at = 0;
    for (std::size_t e = 0; e < 2 * E; ++e)
      if (idx[e] + 1 > n) n = idx[e] + 1, at = e;
    if (n == 0) throw Error(dir + ": no edges and no num_nodes.npy: the network size is unknown");
    check_network_size(n, E,
                       ei_path + ": the largest index, " + std::to_string(n - 1) + " (edge " + std::to_string(at % E) +
                           ", " + (at < E ? "pre" : "post") + "), sets the size (no num_nodes.npy)");
  }
  const std::vector<double> weights = w.to_doubles();
  return Network::from_edges(static_cast<std::size_t>(n), std::span<const std::int64_t>(idx.data(), E),
                             std::span<const std::int64_t>(idx.data() + E, E), weights, instance_id, dir);
}

namespace {

/// A streamed file's first self-edge (the lowest neuron's), which a part
/// cannot find among its own synapses: the messages of models that refuse
/// self-edges name it as the whole network's.
struct SelfEdge {
  std::int64_t neuron = -1;
  double weight = 0.0;
  void see(std::int64_t j, double w) {
    if (neuron < 0 || j < neuron) neuron = j, weight = w;
  }
};

/// A repeated Matrix Market entry, with the line that repeats: ranks that
/// each see some repeats agree on the earliest line, as one process reports.
struct RepeatedEntry : Error {
  RepeatedEntry(const std::string& what, std::size_t line_number) : Error(what), line(line_number) {}
  std::size_t line;
};

/// Streams elements [first, first + count) of a C-order .npy's data as
/// int64 or double (distributed runs read edge lists a block at a time).
class NpyStream {
 public:
  NpyStream(const std::string& path, const NpyHeader& h) : path_(path), h_(h), f_(std::fopen(path.c_str(), "rb")) {
    if (!f_) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  }
  ~NpyStream() { std::fclose(f_); }
  NpyStream(const NpyStream&) = delete;
  NpyStream& operator=(const NpyStream&) = delete;
  template <class T>
  void read(std::size_t first, std::size_t count, std::vector<T>& out) {
    const std::size_t size = npy_itemsize(h_.dtype);
    buf_.resize(count * size);
    if (std::fseek(f_, static_cast<long>(h_.data_offset + first * size), SEEK_SET) != 0 ||
        std::fread(buf_.data(), 1, buf_.size(), f_) != buf_.size())
      throw Error(path_ + ": cannot read its data (cut short?)");
    out.resize(count);
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint8_t* b = buf_.data() + k * size;
      switch (h_.dtype) {
        case NpyDtype::kInt64: { std::int64_t v; std::memcpy(&v, b, 8); out[k] = static_cast<T>(v); break; }
        case NpyDtype::kInt32: { std::int32_t v; std::memcpy(&v, b, 4); out[k] = static_cast<T>(v); break; }
        case NpyDtype::kFloat64: { double v; std::memcpy(&v, b, 8); out[k] = static_cast<T>(v); break; }
        case NpyDtype::kFloat32: { float v; std::memcpy(&v, b, 4); out[k] = static_cast<T>(v); break; }
        default: throw Error(path_ + ": unexpected dtype " + npy_descr(h_.dtype));
      }
    }
  }

 private:
  std::string path_;
  NpyHeader h_;
  std::FILE* f_;
  std::vector<std::uint8_t> buf_;
};

/// A rank's part of an edge-list network with num_nodes.npy: edge_index and
/// the weights streamed in blocks, only the synapses onto [lo, hi) kept; every
/// index and weight is checked (every rank reads them all, so every rank
/// refuses alike), and the whole network's largest |weight|, synapse count
/// and self-edges come from the same pass. Other layouts: read whole, cut.
/// An edge list with num_nodes.npy streamed in blocks, whole or (`part`, a
/// distributed rank's) only the synapses onto [lo, hi); nothing for the
/// layouts the streamed read does not take (the whole reader's checks and
/// messages take those).
std::optional<Network> stream_edge_list(const std::string& dir, std::uint32_t id, const std::pair<std::size_t, std::size_t>* part) {
  const std::string ei_path = (fs::path(dir) / "edge_index.npy").string();
  const std::string w_path = (fs::path(dir) / "weights.npy").string();
  const std::string n_path = (fs::path(dir) / "num_nodes.npy").string();
  std::error_code ec;
  if (!fs::is_regular_file(ei_path, ec) || !fs::is_regular_file(w_path, ec) || !fs::is_regular_file(n_path, ec))
    return std::nullopt;
  refuse_stray_files(dir);
  const NpyHeader ei = read_npy_header(ei_path), wh = read_npy_header(w_path);
  const bool layout_ok = !ei.fortran && !wh.fortran && (ei.dtype == NpyDtype::kInt64 || ei.dtype == NpyDtype::kInt32) &&
                         (wh.dtype == NpyDtype::kFloat32 || wh.dtype == NpyDtype::kFloat64) && ei.shape.size() == 2 &&
                         ei.shape[0] == 2 && wh.shape.size() == 1 && wh.shape[0] == ei.shape[1];
  if (!layout_ok) return std::nullopt;
  const std::size_t E = ei.shape[1];
  // The whole loader's checks, in its order and with its messages: negative
  // indices (the pre row first), then num_nodes, then each edge's range and
  // weight. One pass finds them all; the first in that order is thrown.
  // Memory: the part's own (a rank never builds the whole network).
  std::size_t n = 0;
  std::exception_ptr bad_size;
  try {
    n = neuron_count_of_edge_list(dir);
    if (n > kMaxNeurons)
      throw Error(n_path + ": num_nodes = " + std::to_string(n) + ": " + std::to_string(n) +
                  " neurons exceed the limit 2^31 - 1 (a corrupt value?)");
  } catch (const Stopped&) {
    throw;
  } catch (...) {
    bad_size = std::current_exception();
    n = 0;
  }
  const std::size_t lo = part ? part->first : 0, hi = part ? part->second : n;
  NpyStream pre_in(ei_path, ei), post_in(ei_path, ei), w_in(w_path, wh);
  std::vector<std::int64_t> pre, post, keep_pre, keep_post;
  std::vector<double> w, keep_w;
  std::optional<std::string> neg_pre, neg_post, bad_edge;
  double max_abs = 0.0;
  bool self = false;
  SelfEdge first_self;
  constexpr std::size_t kBlock = std::size_t{1} << 20;
  for (std::size_t e0 = 0; e0 < E; e0 += kBlock) {
    check_stop("reading an edge list");
    const std::size_t m = std::min(kBlock, E - e0);
    pre_in.read(e0, m, pre);
    post_in.read(E + e0, m, post);
    w_in.read(e0, m, w);
    for (std::size_t k = 0; k < m; ++k) {
      const std::size_t e = e0 + k;
      if (pre[k] < 0 || post[k] < 0) {
        auto& first = pre[k] < 0 ? neg_pre : neg_post;
        if (!first)
          first = ei_path + ": edge " + std::to_string(e) + " has a negative " + (pre[k] < 0 ? "pre" : "post") +
                  "synaptic index " + std::to_string(pre[k] < 0 ? pre[k] : post[k]);
        if (pre[k] < 0 && post[k] < 0 && !neg_post)
          neg_post = ei_path + ": edge " + std::to_string(e) + " has a negative postsynaptic index " +
                     std::to_string(post[k]);
        continue;
      }
      if (bad_size || bad_edge) continue;  // only the negative indices can still come first
      const std::int64_t N = static_cast<std::int64_t>(n);
      if (pre[k] >= N || post[k] >= N) {
        const bool p = pre[k] >= N;
        bad_edge = dir + ": edge " + std::to_string(e) + " has " + (p ? "pre" : "post") + "synaptic index " +
                   std::to_string(p ? pre[k] : post[k]) + " outside [0, " + std::to_string(n) + ")";
        continue;
      }
      if (!std::isfinite(w[k])) {
        bad_edge = dir + ": edge " + std::to_string(e) + " (" + std::to_string(pre[k]) + " -> " +
                   std::to_string(post[k]) + ") has a non-finite weight " +
                   (std::ostringstream() << std::setprecision(9) << w[k]).str();
        continue;
      }
      max_abs = std::max(max_abs, std::fabs(w[k]));
      self = self || pre[k] == post[k];
      if (pre[k] == post[k]) first_self.see(pre[k], w[k]);
      if (static_cast<std::size_t>(post[k]) >= lo && static_cast<std::size_t>(post[k]) < hi) {
        if (keep_pre.size() == keep_pre.capacity()) {  // the part's arrays grow: checked before each doubling
          const std::uint64_t next = std::max<std::uint64_t>(1024, 2 * keep_pre.size());
          require_memory(24 * next + Network::build_bytes(n, next),
                         part ? dir + ": this rank's part of a network of " + std::to_string(n) + " neurons (" +
                                    std::to_string(next) + " of its " + std::to_string(E) + " synapses)"
                              : dir + ": a network of " + std::to_string(n) + " neurons and " + std::to_string(next) +
                                    " synapses");
          keep_pre.reserve(next), keep_post.reserve(next), keep_w.reserve(next);
        }
        keep_pre.push_back(pre[k]);
        keep_post.push_back(post[k]);
        keep_w.push_back(w[k]);
      }
    }
  }
  if (neg_pre) throw Error(*neg_pre);
  if (neg_post) throw Error(*neg_post);
  if (bad_size) std::rethrow_exception(bad_size);
  if (bad_edge) throw Error(*bad_edge);
  Network net = Network::from_owned_edges(n, std::move(keep_pre), std::move(keep_post), std::move(keep_w), id, dir);
  if (!part) return net;
  return Network::as_part(std::move(net), lo, hi, max_abs, E, self, first_self.neuron, first_self.weight);
}

Network load_edge_list_part(const std::string& dir, std::uint32_t id, std::size_t lo, std::size_t hi) {
  const std::pair<std::size_t, std::size_t> part{lo, hi};
  if (auto net = stream_edge_list(dir, id, &part)) return std::move(*net);
  return load_edge_list(dir, id).part(lo, hi);  // the whole loader's checks and messages
}

/// Reads a text file line by line with the line number for messages.
class LineReader {
 public:
  explicit LineReader(const std::string& path)
      : path_(path), size_(regular_file_size(path, "the Matrix Market file")), f_(std::fopen(path.c_str(), "rb")) {
    if (!f_) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  }
  ~LineReader() {
    if (f_) std::fclose(f_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  bool next(std::string& line) {
    if ((number_ & 0xffff) == 0) check_stop("reading a Matrix Market file");
    line.clear();
    int c;
    bool any = false;
    while ((c = getc_unlocked(f_)) != EOF) {
      any = true;
      if (c == '\n') break;
      if (line.size() == kMaxLine) {
        ++number_;
        fail("a line longer than " + std::to_string(kMaxLine) + " characters (not a Matrix Market file?)");
      }
      line.push_back(static_cast<char>(c));
    }
    if (!any) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }
  std::uint64_t file_size() const { return size_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + ":" + std::to_string(number_) + ": " + what);
  }

 private:
  static constexpr std::size_t kMaxLine = 1 << 16;  // the format's lines are short (its spec: 1024)
  std::string path_;
  std::uint64_t size_;
  std::FILE* f_;
  std::size_t number_ = 0;
};

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t") == std::string::npos;
}

/// Splits on blanks.
std::vector<std::string_view> fields(const std::string& s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > b) out.emplace_back(s.data() + b, i - b);
  }
  return out;
}

bool parse_int(std::string_view s, std::int64_t& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_real(std::string_view s, double& v) {
  const std::string t(s);
  errno = 0;
  char* end = nullptr;
  v = std::strtod(t.c_str(), &end);
  return end != t.c_str() && *end == '\0' && errno != ERANGE;
}

/// An entry given twice is an error in the file: say where, 1-based as the file is.
/// A mirrored copy is keyed by its entry (row >= col) and comes from the same
/// line, so a part holding only the copies onto its neurons (a distributed
/// rank's) refuses a repeat with the same message as the whole file.
void refuse_repeated_entries(const std::string& path, const std::vector<std::int64_t>& pre,
                             const std::vector<std::int64_t>& post, const std::vector<std::size_t>& line_of,
                             bool mirror) {
  auto key = [&](std::size_t e) {
    return mirror ? std::pair{std::max(pre[e], post[e]), std::min(pre[e], post[e])} : std::pair{pre[e], post[e]};
  };
  std::vector<std::size_t> order(pre.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return key(a) != key(b) ? key(a) < key(b) : line_of[a] < line_of[b];
  });
  // The repeat on the earliest line is named (whichever entries a part holds).
  std::size_t at = order.size();
  for (std::size_t k = 1; k < order.size(); ++k) {
    const std::size_t a = order[k - 1], b = order[k];
    if (key(a) == key(b) && line_of[a] != line_of[b] && (at == order.size() || line_of[b] < line_of[order[at]])) at = k;
  }
  if (at == order.size()) return;
  const std::size_t a = order[at - 1], b = order[at];
  throw RepeatedEntry(path + ":" + std::to_string(line_of[b]) + ": the entry (" + std::to_string(key(b).first + 1) +
                          ", " + std::to_string(key(b).second + 1) + ") repeats the one on line " +
                          std::to_string(line_of[a]) + " (a synapse appears once)",
                      line_of[b]);
}

/// Network k's neurons [lo, hi) of a distributed run (Network::part).
struct PartRange {
  std::size_t lo = 0, hi = 0;
  bool keeps(std::int64_t post) const {
    return static_cast<std::size_t>(post) >= lo && static_cast<std::size_t>(post) < hi;
  }
};

/// A Matrix Market file whole, or (`part`) only its synapses onto the part's
/// neurons: every line is read and checked alike on every rank, and the
/// whole network's largest |weight|, synapse count and self-edges come from
/// the same pass. `in_degrees`: only each neuron's in-synapses are counted
/// (a distributed run's partition), and no network is made.
std::optional<Network> read_matrix_market(const std::string& path, std::uint32_t instance_id, const PartRange* part,
                                          std::vector<std::uint32_t>* in_degrees = nullptr) {
  LineReader in(path);
  std::string line;
  if (!in.next(line)) throw Error(path + ": empty file; expected a Matrix Market header '%%MatrixMarket matrix coordinate ...'");
  const auto head = fields(line);
  if (head.empty() || lower(std::string(head[0])) != "%%matrixmarket")
    in.fail("not a Matrix Market file: the first line must start with %%MatrixMarket");
  if (head.size() != 5) in.fail("the header must read '%%MatrixMarket matrix coordinate <field> <symmetry>'");
  const std::string object = lower(std::string(head[1])), format = lower(std::string(head[2])),
                    field = lower(std::string(head[3])), symmetry = lower(std::string(head[4]));
  if (object != "matrix") in.fail("object '" + std::string(head[1]) + "' is not supported; expected matrix");
  if (format == "array") in.fail("dense 'array' files are not supported: save a dense W0 as .npy, or use 'coordinate'");
  if (format != "coordinate") in.fail("format '" + std::string(head[2]) + "' is unknown; expected coordinate");
  if (field != "real" && field != "integer" && field != "pattern")
    in.fail("field '" + std::string(head[3]) + "' is not supported; expected real, integer or pattern");
  if (symmetry != "general" && symmetry != "symmetric" && symmetry != "skew-symmetric")
    in.fail("symmetry '" + std::string(head[4]) + "' is not supported; expected general, symmetric or skew-symmetric");
  if (field == "pattern" && symmetry == "skew-symmetric")
    in.fail("a pattern matrix cannot be skew-symmetric (the format has no negated pattern entries)");
  const bool pattern = field == "pattern";
  const bool mirror = symmetry != "general";
  const double mirror_sign = symmetry == "skew-symmetric" ? -1.0 : 1.0;

  // Size line (after comments).
  std::int64_t rows = 0, cols = 0, nnz = 0;
  for (;;) {
    if (!in.next(line)) throw Error(path + ": truncated: no size line 'rows cols entries' after the header");
    if (blank(line) || line[line.find_first_not_of(" \t")] == '%') continue;
    const auto f = fields(line);
    if (f.size() != 3 || !parse_int(f[0], rows) || !parse_int(f[1], cols) || !parse_int(f[2], nnz))
      in.fail("expected the size line 'rows cols entries' (three integers)");
    break;
  }
  if (rows != cols)
    in.fail("W0 must be square; the size line says " + std::to_string(rows) + " x " + std::to_string(cols));
  if (rows < 1) in.fail("the matrix must have at least 1 row; the size line says " + std::to_string(rows));
  if (static_cast<std::uint64_t>(rows) > kMaxNeurons)
    in.fail(std::to_string(rows) + " rows exceed the limit of 2^31 - 1 neurons");
  if (nnz < 0) in.fail("the number of entries must be >= 0; the size line says " + std::to_string(nnz));
  if (nnz > rows * rows / (mirror ? 2 : 1) + rows)
    in.fail("the size line promises " + std::to_string(nnz) + " entries, more than a " + std::to_string(rows) +
            " x " + std::to_string(rows) + " matrix holds");

  // Each entry takes a line of at least "i j\n" (pattern) or "i j v\n".
  const std::uint64_t min_line = pattern ? 4 : 6;
  if (static_cast<std::uint64_t>(nnz) > in.file_size() / min_line)
    in.fail("the size line promises " + std::to_string(nnz) + " entries, more than the file's " +
            std::to_string(in.file_size()) + " bytes can hold (at least " + std::to_string(min_line) + " bytes each)");
  const std::uint64_t edges = static_cast<std::uint64_t>(nnz) * (mirror ? 2 : 1);
  const std::string what =
      path + ": a network of " + std::to_string(rows) + " neurons and " + std::to_string(edges) + " synapses";
  std::vector<std::int64_t> pre, post;
  std::vector<double> w;
  std::vector<std::size_t> line_of;
  if (in_degrees) {
    require_memory(4 * static_cast<std::uint64_t>(rows), path + ": the in-degrees of " + std::to_string(rows) + " neurons");
    in_degrees->assign(static_cast<std::size_t>(rows), 0);
  } else if (!part) {
    require_memory(40 * edges + Network::build_bytes(static_cast<std::uint64_t>(rows), edges), what);
    pre.reserve(static_cast<std::size_t>(edges));
    post.reserve(pre.capacity());
    w.reserve(pre.capacity());
    line_of.reserve(pre.capacity());
  }
  double max_abs = 0.0;
  std::uint64_t stored = 0;  // the whole network's synapses
  bool self = false;
  SelfEdge first_self;
  auto keep = [&](std::int64_t a, std::int64_t b, double v) {
    ++stored;
    max_abs = std::max(max_abs, std::fabs(v));
    self = self || a == b;
    if (a == b) first_self.see(a, v);
    if (in_degrees) {
      std::uint32_t& d = (*in_degrees)[static_cast<std::size_t>(b)];
      d += d != UINT32_MAX;
      return;
    }
    if (part && !part->keeps(b)) return;
    if (part && pre.size() == pre.capacity()) {  // a part's arrays grow: checked before each doubling
      const std::uint64_t next = std::max<std::uint64_t>(1024, 2 * pre.size());
      require_memory(40 * next + Network::build_bytes(static_cast<std::uint64_t>(rows), next),
                     what + " (this rank's part of " + std::to_string(next) + " synapses)");
      for (auto* x : {&pre, &post}) x->reserve(next);
      w.reserve(next);
      line_of.reserve(next);
    }
    pre.push_back(a);
    post.push_back(b);
    w.push_back(v);
    line_of.push_back(in.number());
  };
  std::int64_t seen = 0;
  while (seen < nnz) {
    if (!in.next(line))
      throw Error(path + ": truncated: the size line promises " + std::to_string(nnz) + " entries, the file has " +
                  std::to_string(seen));
    if (line.find('\0') != std::string::npos) in.fail("a NUL byte in the line: a Matrix Market file is text");
    if (blank(line) || line[line.find_first_not_of(" \t")] == '%') continue;  // comments, as above the size line
    const auto f = fields(line);
    std::int64_t i = 0, j = 0;
    double v = 1.0;
    if (f.size() != (pattern ? 2u : 3u))
      in.fail(pattern ? "expected an entry 'row col'" : "expected an entry 'row col value'");
    if (!parse_int(f[0], i) || !parse_int(f[1], j)) in.fail("row and column must be integers");
    if (i < 1 || i > rows || j < 1 || j > rows)
      in.fail("entry (" + std::to_string(i) + ", " + std::to_string(j) + ") is outside the 1-based range 1.." +
              std::to_string(rows));
    std::int64_t whole = 0;
    if (field == "integer" && !parse_int(f[2], whole)) in.fail("an integer matrix holds integer values");
    if (!pattern && (!parse_real(f[2], v) || !std::isfinite(v)))
      in.fail("value '" + std::string(f[2]) + "' is not a finite number");
    if (mirror && j > i) in.fail("a " + symmetry + " file stores the lower triangle only (row >= col)");
    if (symmetry == "skew-symmetric" && i == j) in.fail("a skew-symmetric matrix has no diagonal entries");
    keep(i - 1, j - 1, v);
    if (mirror && i != j) keep(j - 1, i - 1, mirror_sign * v);
    ++seen;
  }
  while (in.next(line))
    if (!blank(line) && line[line.find_first_not_of(" \t")] != '%')
      in.fail("more entries than the " + std::to_string(nnz) + " the size line promises");
  if (in_degrees) return std::nullopt;
  refuse_repeated_entries(path, pre, post, line_of, mirror);
  std::vector<std::size_t>().swap(line_of);  // freed before the network is built
  Network net =
      Network::from_owned_edges(static_cast<std::size_t>(rows), std::move(pre), std::move(post), std::move(w), instance_id, path);
  if (!part) return net;
  return Network::as_part(std::move(net), part->lo, part->hi, max_abs, stored, self, first_self.neuron,
                          first_self.weight);
}

/// A dense W0 .npy read a block of rows at a time (never whole), whole or
/// (`part`, a distributed rank's) only the columns [lo, hi): every weight is
/// checked alike on every rank, and the whole network's largest |weight|,
/// synapse count and self-edges come from the same pass. Nothing for the
/// layouts the streamed read does not take (Fortran order, a size that does
/// not match the header): the whole reader's checks and messages take those.
/// `in_degrees`: the first pass alone, counting each neuron's in-synapses.
std::optional<Network> stream_dense(const std::string& path, std::uint32_t id, const PartRange* range,
                                    std::vector<std::uint32_t>* in_degrees) {
  const NpyHeader h = read_npy_header(path);
  const std::size_t n = h.shape.size() == 2 ? h.shape[0] : 0;
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  const bool streamed = !ec && !h.fortran && h.shape.size() == 2 && h.shape[1] == n && n >= 1 && n <= 200000 &&
                        bytes == h.data_offset + n * n * npy_itemsize(h.dtype);
  if (!streamed) return std::nullopt;
  const PartRange part = range ? *range : PartRange{0, n};
  if (in_degrees) in_degrees->assign(n, 0);
  NpyStream in(path, h);
  const std::size_t rows_per_block = std::max<std::size_t>(1, (std::size_t{1} << 20) / n);
  std::vector<double> block;
  double max_abs = 0.0;
  std::uint64_t whole = 0, mine = 0;
  bool self = false;
  SelfEdge first_self;
  // Pass 1 checks every weight and counts; pass 2 (after the memory check) keeps.
  std::vector<std::int64_t> pre, post;
  std::vector<double> w;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t j0 = 0; j0 < n; j0 += rows_per_block) {
      check_stop("reading a dense W0");
      const std::size_t m = std::min(rows_per_block, n - j0);
      in.read(j0 * n, m * n, block);
      for (std::size_t r = 0; r < m; ++r) {
        const std::size_t j = j0 + r;
        const double* row = block.data() + r * n;
        if (pass == 0) {
          for (std::size_t i = 0; i < n; ++i) {
            if (!std::isfinite(row[i]))
              throw Error(path + ": W0[" + std::to_string(j) + ", " + std::to_string(i) + "] = " +
                          (std::ostringstream() << std::setprecision(9) << row[i]).str() + " is not finite");
            if (row[i] == 0.0) continue;
            ++whole;
            max_abs = std::max(max_abs, std::fabs(row[i]));
            self = self || i == j;
            if (i == j) first_self.see(static_cast<std::int64_t>(j), row[i]);
            mine += part.keeps(static_cast<std::int64_t>(i));
            if (in_degrees) ++(*in_degrees)[i];  // at most n <= 200000
          }
        } else {
          for (std::size_t i = part.lo; i < part.hi; ++i)
            if (row[i] != 0.0) {
              pre.push_back(static_cast<std::int64_t>(j));
              post.push_back(static_cast<std::int64_t>(i));
              w.push_back(row[i]);
            }
        }
      }
    }
    if (pass == 0 && in_degrees) return std::nullopt;
    if (pass == 0) {
      require_memory(Network::build_bytes(n, mine) + 24 * mine,
                     range ? path + ": this rank's part of a network of " + std::to_string(n) + " neurons (" +
                                 std::to_string(mine) + " of its " + std::to_string(whole) + " synapses)"
                           : path + ": a network of " + std::to_string(n) + " neurons and " + std::to_string(mine) +
                                 " synapses");
      pre.reserve(mine);
      post.reserve(mine);
      w.reserve(mine);
    }
  }
  Network net = Network::from_owned_edges(n, std::move(pre), std::move(post), std::move(w), id, path);
  if (!range) return net;
  return Network::as_part(std::move(net), part.lo, part.hi, max_abs, whole, self, first_self.neuron, first_self.weight);
}

Network load_dense_part(const std::string& path, std::uint32_t id, PartRange part) {
  check_w0_dtype(path);
  if (auto net = stream_dense(path, id, &part)) return std::move(*net);
  return load_dense_network(path, id).part(part.lo, part.hi);
}

}  // namespace

Network load_matrix_market(const std::string& path, std::uint32_t instance_id) {
  return std::move(*read_matrix_market(path, instance_id, nullptr));
}

namespace {
/// Why a network path names nothing: empty, a link to nowhere (or a loop), or absent.
[[noreturn]] void refuse_missing(const std::string& path) {
  if (path.empty()) throw Error("an empty path; expected a network file or dataset directory");
  std::error_code ec;
  if (fs::symlink_status(path, ec).type() == fs::file_type::symlink)
    throw Error(path + ": a symbolic link that leads nowhere (its target is missing, or the links form a loop)");
  throw Error(path + ": no such file or directory");
}
}  // namespace

Network load_network(const std::string& path, std::uint32_t instance_id) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (is_edge_list_dir(path)) return load_edge_list(path, instance_id);
    throw Error(path + ": a directory is a dataset, not one network (edge-list directories hold edge_index.npy)");
  }
  if (!fs::exists(path, ec)) refuse_missing(path);
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".pt") refuse_pt(path);
  if (ext == ".mtx") return load_matrix_market(path, instance_id);
  if (ext == ".npy") return load_dense_network(path, instance_id);
  throw Error(path + ": unknown network format '" + ext +
              "'; expected a dense W0 .npy, a Matrix Market .mtx or an edge-list directory");
}

NetworkSource::NetworkSource(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec) && !is_edge_list_dir(path)) entries_ = dataset_files(path);
  else if (fs::exists(path, ec)) entries_ = {path};
  else refuse_missing(path);
}

NetworkSource NetworkSource::generated(const std::string& label, std::size_t count, std::size_t neurons,
                                       std::function<Network(std::uint32_t)> make) {
  if (count == 0) throw Error(label + ": a generated dataset needs count >= 1");
  NetworkSource s;
  for (std::size_t k = 0; k < count; ++k) s.entries_.push_back(label + " #" + std::to_string(k));
  s.make_ = std::move(make);
  s.neurons_ = neurons;
  return s;
}

Network NetworkSource::load(std::size_t k) const {
  if (k >= entries_.size())
    throw Error("network " + std::to_string(k) + " requested from a source of " + std::to_string(entries_.size()));
  if (make_) return make_(static_cast<std::uint32_t>(k));
  return load_network(entries_[k], static_cast<std::uint32_t>(k));
}

std::size_t NetworkSource::neuron_count(std::size_t k) const {
  if (make_) return neurons_;
  const std::string& path = entries_.at(k);
  const std::string ext = fs::path(path).extension().string();
  std::error_code ec;
  if (!fs::is_directory(path, ec) && ext == ".npy") {
    check_w0_dtype(path);
    const NpyHeader h = read_npy_header(path);
    if (h.shape.size() == 2 && h.shape[0] == h.shape[1] && h.shape[0] > 0) return h.shape[0];
  } else if (!fs::is_directory(path, ec) && ext == ".mtx") {
    LineReader in(path);
    std::string line;
    bool header = true;
    while (in.next(line)) {
      if (header) {
        header = false;
        continue;
      }
      if (blank(line) || line[line.find_first_not_of(" \t")] == '%') continue;
      const auto f = fields(line);
      std::int64_t rows = 0;
      if (!f.empty() && parse_int(f[0], rows) && rows > 0) return static_cast<std::size_t>(rows);
      break;
    }
  } else if (is_edge_list_dir(path) && fs::is_regular_file(fs::path(path) / "num_nodes.npy", ec)) {
    const NpyArray nn = read_npy((fs::path(path) / "num_nodes.npy").string());
    if (nn.size() == 1 && (nn.dtype == NpyDtype::kInt64 || nn.dtype == NpyDtype::kInt32) && nn.to_int64()[0] > 0)
      return static_cast<std::size_t>(nn.to_int64()[0]);
  }
  return load(k).n_neurons();  // the full loader gives the precise error
}

std::vector<Network> NetworkSource::load_range(std::size_t first, std::size_t count) const {
  std::vector<Network> out;
  for (std::size_t k = first; k < first + count && k < entries_.size(); ++k) out.push_back(load(k));
  return out;
}

namespace {
/// Each neuron's in-synapses of an edge-list directory with num_nodes.npy:
/// the post row of edge_index streamed (an index out of range is skipped
/// here; the reader refuses it). Empty for layouts not streamed.
std::vector<std::uint32_t> edge_list_in_degrees(const std::string& dir) {
  const std::string ei_path = (fs::path(dir) / "edge_index.npy").string();
  const NpyHeader ei = read_npy_header(ei_path);
  if (ei.fortran || (ei.dtype != NpyDtype::kInt64 && ei.dtype != NpyDtype::kInt32) || ei.shape.size() != 2 ||
      ei.shape[0] != 2)
    return {};
  const std::size_t n = neuron_count_of_edge_list(dir), E = ei.shape[1];
  require_memory(4 * static_cast<std::uint64_t>(n), dir + ": the in-degrees of " + std::to_string(n) + " neurons");
  std::vector<std::uint32_t> deg(n, 0);
  NpyStream in(ei_path, ei);
  std::vector<std::int64_t> post;
  constexpr std::size_t kBlock = std::size_t{1} << 20;
  for (std::size_t e0 = 0; e0 < E; e0 += kBlock) {
    check_stop("reading an edge list");
    in.read(E + e0, std::min(kBlock, E - e0), post);
    for (std::int64_t v : post)
      if (v >= 0 && static_cast<std::size_t>(v) < n) deg[static_cast<std::size_t>(v)] += deg[static_cast<std::size_t>(v)] != UINT32_MAX;
  }
  return deg;
}

/// Whether a network entry is read in parts by a distributed rank (streamed,
/// never whole): dense .npy, Matrix Market, edge lists with num_nodes.npy.
bool read_in_parts(const std::string& e) {
  std::error_code ec;
  if (is_edge_list_dir(e)) return fs::is_regular_file(fs::path(e) / "num_nodes.npy", ec);
  const std::string ext = fs::path(e).extension().string();
  return fs::is_regular_file(e, ec) && (ext == ".npy" || ext == ".mtx");
}
}  // namespace

bool NetworkSource::makes_parts() const {
  if (make_part_) return true;
  if (make_ || entries_.empty()) return false;
  return std::all_of(entries_.begin(), entries_.end(), read_in_parts);
}

std::vector<std::uint32_t> NetworkSource::in_degrees(std::size_t k) const {
  if (k >= entries_.size())
    throw Error("network " + std::to_string(k) + " requested from a source of " + std::to_string(entries_.size()));
  if (make_ || make_part_ || !read_in_parts(entries_[k])) return {};
  const std::string& e = entries_[k];
  std::vector<std::uint32_t> deg;
  if (is_edge_list_dir(e)) return edge_list_in_degrees(e);
  if (fs::path(e).extension() == ".mtx") read_matrix_market(e, static_cast<std::uint32_t>(k), nullptr, &deg);
  else stream_dense(e, static_cast<std::uint32_t>(k), nullptr, &deg);
  return deg;
}

Network NetworkSource::load_part(std::size_t k, std::size_t lo, std::size_t hi, Communicator* comm) const {
  if (k >= entries_.size())
    throw Error("network " + std::to_string(k) + " requested from a source of " + std::to_string(entries_.size()));
  // Each rank reads or makes its part alone; an error on any rank is then
  // every rank's (a stop request is not agreed: the front end ends the job).
  std::exception_ptr failure;
  std::optional<Network> net;
  GeneratedPart p;
  try {
    if (make_part_) {
      p = make_part_(static_cast<std::uint32_t>(k), lo, hi);
    } else {
      const std::string& e = entries_[k];
      const auto id = static_cast<std::uint32_t>(k);
      const PartRange part{lo, hi};
      if (make_ || !read_in_parts(e)) net.emplace(load(k).part(lo, hi));
      else if (is_edge_list_dir(e)) net.emplace(load_edge_list_part(e, id, lo, hi));
      else if (fs::path(e).extension() == ".mtx") net.emplace(std::move(*read_matrix_market(e, id, &part)));
      else net.emplace(load_dense_part(e, id, part));
    }
  } catch (const Stopped&) {
    throw;
  } catch (...) {
    failure = std::current_exception();
  }
  if (comm) {
    // Every rank reads every line, so a malformed line fails every rank
    // alike; a repeated entry only the ranks holding it: the earliest is named.
    std::uint64_t line = failure ? 0 : UINT64_MAX;
    try {
      if (failure) std::rethrow_exception(failure);
    } catch (const RepeatedEntry& e) {
      line = e.line;
    } catch (...) {
    }
    const std::vector<std::uint64_t> lines = comm->gather_sizes(line);
    if (failure && line != *std::min_element(lines.begin(), lines.end())) failure = nullptr;
    comm->agree(failure);
  } else if (failure) {
    std::rethrow_exception(failure);
  }
  if (!make_part_) return std::move(*net);
  // The whole network's scale, size and self-edge flag, from every rank's part.
  const double max_abs = comm ? comm->max(p.max_abs) : p.max_abs;
  const std::uint64_t synapses = comm ? comm->sum(p.post.size()) : p.post.size();
  const bool self = comm ? comm->any(p.self_edges) : p.self_edges;
  return Network::part_from_csr(neurons_, lo, hi, std::move(p.row_ptr), std::move(p.post), std::move(p.weight), max_abs,
                                synapses, self, static_cast<std::uint32_t>(k), p.label);
}

std::vector<Network> load_networks(const std::string& path) {
  const NetworkSource src(path);
  return src.load_range(0, src.size());
}

void save_dense_network(const Network& net, const std::string& path, bool float32) {
  const std::vector<double> d = net.dense();
  const std::size_t n = net.n_neurons();
  if (float32) {
    std::vector<float> f(d.begin(), d.end());
    write_npy(path, NpyDtype::kFloat32, {n, n}, f.data());
  } else {
    write_npy(path, NpyDtype::kFloat64, {n, n}, d.data());
  }
}

void save_edge_list(const Network& net, const std::string& dir, bool float32) {
  if (net.filter_length() > 0) throw Error(net.label() + ": per-edge-filter networks have no edge-list form");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": cannot create the directory");
  const std::size_t E = net.n_synapses();
  std::vector<std::int64_t> ei(2 * E);
  const auto& rp = net.row_ptr();
  for (std::size_t j = 0; j < net.n_neurons(); ++j)
    for (std::int64_t e = rp[j]; e < rp[j + 1]; ++e) {
      ei[static_cast<std::size_t>(e)] = static_cast<std::int64_t>(j);
      ei[E + static_cast<std::size_t>(e)] = net.post()[static_cast<std::size_t>(e)];
    }
  write_npy((fs::path(dir) / "edge_index.npy").string(), NpyDtype::kInt64, {2, E}, ei.data());
  if (float32) {
    std::vector<float> f(net.weight().begin(), net.weight().end());
    write_npy((fs::path(dir) / "weights.npy").string(), NpyDtype::kFloat32, {E}, f.data());
  } else {
    write_npy((fs::path(dir) / "weights.npy").string(), NpyDtype::kFloat64, {E}, net.weight().data());
  }
  const std::int64_t n = static_cast<std::int64_t>(net.n_neurons());
  write_npy((fs::path(dir) / "num_nodes.npy").string(), NpyDtype::kInt64, {1}, &n);
}

}  // namespace cascade

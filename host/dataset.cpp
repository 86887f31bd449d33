#include "cascade/dataset.hpp"

#include <algorithm>
#include <filesystem>

#include "cascade/error.hpp"
#include "cascade/npy.hpp"

namespace fs = std::filesystem;

namespace cascade {

std::vector<std::string> dataset_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a directory");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (ext == ".pt")
      throw Error(dir + "/" + name +
                  ": PyTorch .pt files cannot be read; save each network's dense W0 with numpy.save as <name>.npy first");
    if (ext == ".npy") names.push_back(name);
  }
  if (ec) throw Error(dir + ": cannot list the directory (" + ec.message() + ")");
  if (names.empty()) throw Error(dir + ": the directory holds no .npy networks");
  std::sort(names.begin(), names.end());  // the reference's order: lexicographic by name
  for (auto& n : names) n = (fs::path(dir) / n).string();
  return names;
}

Network load_dense_network(const std::string& path, std::uint32_t instance_id) {
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

std::vector<Network> load_networks(const std::string& path) {
  std::error_code ec;
  std::vector<Network> out;
  if (fs::is_directory(path, ec)) {
    const auto files = dataset_files(path);
    for (std::size_t k = 0; k < files.size(); ++k)
      out.push_back(load_dense_network(files[k], static_cast<std::uint32_t>(k)));
  } else {
    out.push_back(load_dense_network(path, 0));
  }
  return out;
}

}  // namespace cascade

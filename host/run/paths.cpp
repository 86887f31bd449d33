#include "paths.hpp"

#include <filesystem>

#include "cascade/error.hpp"

namespace fs = std::filesystem;

namespace cascade::run {

std::string path_identity(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) p = fs::absolute(path).lexically_normal();
  return p.string();
}

namespace {

bool same_file(const std::string& a, const std::string& b) {
  if (path_identity(a) == path_identity(b)) return true;
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);  // hard links
}

bool inside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  const fs::path d = path_identity(dir), p = path_identity(path);
  const auto [dend, pend] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  return dend == d.end() && pend != p.end();
}

}  // namespace

std::vector<NamedPath> output_files(const std::string& path, const std::string& option, bool sidecar) {
  const std::string what = option + " '" + path + "'";
  std::vector<NamedPath> out{{path, what}, {path + ".tmp", "the partial file of " + what}};
  if (sidecar) {
    out.push_back({path + ".json", "the provenance of " + what});
    out.push_back({path + ".json.tmp", "the partial provenance file of " + what});
  }
  return out;
}

void check_outputs_against_inputs(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  for (const NamedPath& o : outputs) {
    for (const NamedPath& in : inputs) {
      if (same_file(o.path, in.path))
        throw Error(o.what + " would overwrite the run's input " + in.what +
                    ": --force replaces stale outputs, never an input; choose another name");
      if (inside(o.path, in.path))
        throw Error(o.what + " lies inside the run's input directory " + in.what +
                    " (writing it would change that input); write it elsewhere");
    }
  }
  for (std::size_t a = 0; a < outputs.size(); ++a)
    for (std::size_t b = a + 1; b < outputs.size(); ++b)
      if (same_file(outputs[a].path, outputs[b].path))
        throw Error(outputs[b].what + " is also " + outputs[a].what + "; every output of a run needs its own file");
}

void check_writable_kinds(const std::vector<NamedPath>& outputs) {
  for (const NamedPath& o : outputs) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(o.path, ec);
    if (ec || st.type() == fs::file_type::not_found || st.type() == fs::file_type::regular) continue;
    if (st.type() == fs::file_type::directory)
      throw Error(o.what + " is a directory; expected a file name (the run writes a file there)");
    if (st.type() == fs::file_type::symlink)
      throw Error(o.what + " is a symbolic link; a run replaces files, not links (--force included): give the "
                           "path it points to, or remove the link");
    throw Error(o.what + " is a device, pipe or socket; a run writes only regular files (--force included), "
                         "which it replaces whole: choose a file name");
  }
}

}  // namespace cascade::run

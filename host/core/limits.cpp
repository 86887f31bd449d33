#include "core/limits.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

#include "cascade/error.hpp"
#include "cascade/raster.hpp"

namespace cascade {

std::string byte_text(std::uint64_t bytes) {
  std::ostringstream os;
  os.precision(3);
  if (bytes >= (std::uint64_t{1} << 30)) os << static_cast<double>(bytes) / 1073741824.0 << " GiB";
  else if (bytes >= (std::uint64_t{1} << 20)) os << static_cast<double>(bytes) / 1048576.0 << " MiB";
  else os << bytes << " bytes";
  return os.str();
}

std::uint64_t regular_file_size(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(path + ": cannot open " + what + " (" + std::strerror(errno) + ")");
  if (S_ISDIR(st.st_mode)) throw Error(path + ": " + what + " is a directory; expected a file");
  if (!S_ISREG(st.st_mode))
    throw Error(path + ": " + what + " is not a regular file (a device, pipe or socket); expected a file");
  return static_cast<std::uint64_t>(st.st_size);
}

std::string read_small_file(const std::string& path, const std::string& what, std::uint64_t max_bytes) {
  const std::uint64_t size = regular_file_size(path, what);
  if (size > max_bytes)
    throw Error(path + ": " + what + " is " + byte_text(size) + ", more than the " + byte_text(max_bytes) +
                " such a file can reasonably be; is it the right file?");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw Error(path + ": cannot open " + what + " (" + std::strerror(errno) + ")");
  std::string text(static_cast<std::size_t>(size), '\0');
  const std::size_t got = std::fread(text.data(), 1, text.size(), f.get());
  if (std::ferror(f.get())) throw Error(path + ": cannot read " + what + " (" + std::strerror(errno) + ")");
  text.resize(got);  // a file that shrank while read
  return text;
}

void require_memory(std::uint64_t bytes, const std::string& what) {
  const std::uint64_t avail = available_memory_bytes();
  if (avail > 0 && bytes > avail / 10 * 9)
    throw Error(what + " needs " + byte_text(bytes) + " of memory but only " + byte_text(avail) + " are available");
}

std::uint64_t checked_product(std::uint64_t a, std::uint64_t b, std::uint64_t limit, const std::string& what) {
  if (a != 0 && b > limit / a)
    throw Error(what + " = " + std::to_string(a) + " x " + std::to_string(b) + " exceeds " + std::to_string(limit));
  return a * b;
}

}  // namespace cascade

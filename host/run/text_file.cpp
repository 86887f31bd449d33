#include "text_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "cascade/error.hpp"

namespace cascade::run {

void stage_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream f(tmp, std::ios::binary);
  if (!f) throw Error("cannot write '" + path + "': cannot create '" + tmp + "' (" + std::strerror(errno) + ")");
  f << text;
  f.close();
  if (!f) {
    const int err = errno;
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "' (" + std::strerror(err) + ")");
  }
}

void commit_text_file(const std::string& path) {
  const std::string tmp = path + ".tmp";
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "': cannot rename '" + tmp + "' into place (" + std::strerror(err) + ")");
  }
}

void discard_text_file(const std::string& path) { std::remove((path + ".tmp").c_str()); }

void write_text_file(const std::string& path, const std::string& text) {
  stage_text_file(path, text);
  commit_text_file(path);
}

}  // namespace cascade::run

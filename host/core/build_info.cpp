#include "cascade/build_info.hpp"

#include "cascade/config.hpp"
#include "cascade_git_hash.hpp"

namespace cascade {

BuildInfo build_info() {
  BuildInfo b;
  b.version = kVersion;
  b.git_hash = CASCADE_GIT_HASH;
  b.build_type = CASCADE_BUILD_TYPE;
#if defined(__clang__)
  b.compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  b.compiler = std::string("gcc ") + __VERSION__;
#else
  b.compiler = "unknown";
#endif
  b.cuda = CASCADE_HAVE_CUDA;
  b.cuda_architectures = CASCADE_CUDA_ARCHS;
  return b;
}

}  // namespace cascade

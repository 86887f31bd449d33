// Helpers shared by the tests: paths to the reference data, statistics.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "cascade/cascade.hpp"
#include "stats_util.hpp"

namespace cascade::test {

inline std::string shared_dir() { return CASCADE_SHARED_DIR; }
inline std::string fixtures_dir() { return shared_dir() + "/reference/spikeometric_fixtures"; }
inline bool have_fixtures() { return std::filesystem::is_directory(fixtures_dir()); }

#define CASCADE_REQUIRE_FIXTURES()                                                                 \
  do {                                                                                             \
    if (!::cascade::test::have_fixtures())                                                         \
      GTEST_SKIP() << "reference fixtures not found at " << ::cascade::test::fixtures_dir()        \
                   << " (configure with -DCASCADE_SHARED_DIR=... to run this test)";               \
  } while (0)

/// The message of the cascade::Error `f` throws ("no error" when it does not).
inline std::string error_message(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

#define EXPECT_ERROR_HAS(expr, text) \
  EXPECT_NE(::cascade::test::error_message([&] { (void)(expr); }).find(text), std::string::npos) \
      << "message: " << ::cascade::test::error_message([&] { (void)(expr); })

inline std::vector<double> dense_of(const std::string& path) { return read_npy(path).to_doubles(); }

}  // namespace cascade::test

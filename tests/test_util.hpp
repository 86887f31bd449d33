// Helpers shared by the tests: paths to the reference data, statistics.
#pragma once
#include <algorithm>
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

/// Whether part[r, i, t] == whole[r, i, offset + t] for every replica and
/// neuron and the first `steps` steps of `part` (all of them by default): a
/// continued or stopped run against the uninterrupted one.
inline bool same_window(const Raster& whole, std::size_t offset, const Raster& part,
                        std::size_t steps = static_cast<std::size_t>(-1)) {
  if (whole.replicas() != part.replicas() || whole.neurons() != part.neurons()) return false;
  steps = std::min(steps, part.steps());
  if (offset + steps > whole.steps()) return false;
  for (std::size_t r = 0; r < part.replicas(); ++r)
    for (std::size_t i = 0; i < part.neurons(); ++i)
      for (std::size_t t = 0; t < steps; ++t)
        if (whole.at(r, i, offset + t) != part.at(r, i, t)) return false;
  return true;
}

inline std::vector<double> dense_of(const std::string& path) { return read_npy(path).to_doubles(); }

}  // namespace cascade::test

// Progress on long runs: a redrawn bar on stderr when it is a terminal
// (steps per second, ETA), plain lines at every 10 % (or every 5 s)
// otherwise, nothing with --quiet. Runs shorter than 0.5 s (terminal) or 2 s
// show nothing.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace cascade::cli {

class Progress {
 public:
  Progress(bool enabled, std::string unit, std::int64_t total);
  /// The total, when it is known only once the run is under way.
  void set_total(std::int64_t total) { total_ = total; }
  /// `done` of `total` units; `extra` is appended (e.g. the current rate).
  void update(std::int64_t done, const std::string& extra = "");
  void finish();

 private:
  bool enabled_, tty_;  // enabled_: not --quiet
  std::string unit_;
  std::int64_t total_;
  std::chrono::steady_clock::time_point start_, last_;
  int last_decile_ = -1;
  bool drawn_ = false;
};

}  // namespace cascade::cli

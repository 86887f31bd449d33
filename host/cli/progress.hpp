// Progress on long runs: a redrawn bar on stderr when it is a terminal
// (steps per second, ETA), plain lines otherwise: one per 10 % reached, and
// one a minute in between while the run advances (never the same line
// twice), nothing with --quiet. Runs shorter than 0.5 s (terminal) or 2 s
// show nothing. The rate counts from the first step reported, so the set-up
// before it (loading, planning) is not taken for slow steps.
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
  /// Turns the reports off (a resumed run that was started with --quiet).
  void disable() { enabled_ = false; }
  /// `done` of `total` units; `extra` is appended (e.g. the current rate).
  void update(std::int64_t done, const std::string& extra = "");
  void finish();

 private:
  bool enabled_, tty_;  // enabled_: not --quiet
  std::string unit_;
  std::int64_t total_;
  std::chrono::steady_clock::time_point start_, last_;
  std::chrono::steady_clock::time_point first_time_;  // the first update: where the rate is measured from
  std::int64_t first_done_ = -1, last_printed_ = -1;
  int last_decile_ = -1;
  bool drawn_ = false;
};

}  // namespace cascade::cli

#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace cascade::cli {

namespace {
std::string clock_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  char b[32];
  std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return b;
}
std::string format_rate(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}
}  // namespace

Progress::Progress(bool enabled, std::string unit, std::int64_t total)
    : enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(std::int64_t done, const std::string& extra) {
  if (!enabled_ || total_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (first_done_ < 0) {
    first_done_ = done;
    first_time_ = now;
  }
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double measured = std::chrono::duration<double>(now - first_time_).count();
  const double frac = static_cast<double>(done) / static_cast<double>(total_);
  // Steps per second since the first report (none yet: unknown, not zero).
  const double speed = measured > 0 && done > first_done_ ? static_cast<double>(done - first_done_) / measured : NAN;
  const double eta = speed > 0 ? static_cast<double>(total_ - done) / speed : NAN;
  const std::string rate = std::isfinite(speed) ? format_rate(speed) + " " + unit_ + "/s" : "rate not yet known";
  // Quick runs show nothing: a bar after 0.5 s, progress lines after 2 s.
  if (elapsed < (tty_ ? 0.5 : 2.0)) return;
  if (tty_) {
    if (std::chrono::duration<double>(now - last_).count() < 0.1 && done < total_) return;  // ~10 redraws/s
    last_ = now;
    const int width = 30, fill = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r[%.*s%*s] %3.0f%% %lld/%lld %s, %s, ETA %s%s%s\033[K", fill,
                 "##############################", width - fill, "", 100 * frac, static_cast<long long>(done),
                 static_cast<long long>(total_), unit_.c_str(), rate.c_str(), clock_text(eta).c_str(),
                 extra.empty() ? "" : ", ", extra.c_str());
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  // Off a terminal (a log file): a new line only when it says something new.
  if (done == last_printed_) return;
  const int decile = static_cast<int>(frac * 10);
  const bool minute = std::chrono::duration<double>(now - last_).count() >= 60.0;
  if (decile == last_decile_ && !minute) return;
  last_decile_ = decile;
  last_printed_ = done;
  last_ = now;
  std::fprintf(stderr, "cascade: progress %5.1f%% (%lld/%lld %s, %s, ETA %s)%s%s\n", 100 * frac,
               static_cast<long long>(done), static_cast<long long>(total_), unit_.c_str(), rate.c_str(),
               clock_text(eta).c_str(), extra.empty() ? "" : " ", extra.c_str());
}

void Progress::finish() {
  if (enabled_ && tty_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace cascade::cli

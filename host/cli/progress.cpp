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
}  // namespace

Progress::Progress(bool enabled, std::string unit, std::int64_t total)
    : enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(std::int64_t done, const std::string& extra) {
  if (!enabled_ || total_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double frac = static_cast<double>(done) / static_cast<double>(total_);
  const double speed = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = speed > 0 ? static_cast<double>(total_ - done) / speed : NAN;
  // Quick runs show nothing: a bar after 0.5 s, progress lines after 2 s.
  if (elapsed < (tty_ ? 0.5 : 2.0)) return;
  if (tty_) {
    if (std::chrono::duration<double>(now - last_).count() < 0.1 && done < total_) return;  // ~10 redraws/s
    last_ = now;
    const int width = 30, fill = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r[%.*s%*s] %3.0f%% %lld/%lld %s, %.3g %s/s, ETA %s%s%s\033[K",
                 fill, "##############################", width - fill, "", 100 * frac,
                 static_cast<long long>(done), static_cast<long long>(total_), unit_.c_str(), speed, unit_.c_str(),
                 clock_text(eta).c_str(), extra.empty() ? "" : ", ", extra.c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else {
    const int decile = static_cast<int>(frac * 10);
    const bool time_due = std::chrono::duration<double>(now - last_).count() >= 5.0;
    if (decile == last_decile_ && !time_due) return;
    if (done == total_ && decile == last_decile_) return;
    last_decile_ = decile;
    last_ = now;
    std::fprintf(stderr, "cascade: progress %3.0f%% (%lld/%lld %s, %.3g %s/s, ETA %s)%s%s\n", 100 * frac,
                 static_cast<long long>(done), static_cast<long long>(total_), unit_.c_str(), speed, unit_.c_str(),
                 clock_text(eta).c_str(), extra.empty() ? "" : " ", extra.c_str());
  }
}

void Progress::finish() {
  if (enabled_ && tty_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace cascade::cli

#include "log.hpp"

#include <cstdarg>
#include <cstdio>

namespace cascade::cli {

namespace {
LogLevel g_level = LogLevel::kInfo;
bool g_muted = false;  // a distributed run's ranks other than 0 report errors only

void emit(std::FILE* out, const char* prefix, const char* format, std::va_list args) {
  std::fputs(prefix, out);
  std::vfprintf(out, format, args);
  std::fputc('\n', out);
}
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
void mute_log_for_rank(bool muted) { g_muted = muted; }
LogLevel log_level() { return g_level; }
void set_log_level_from_flags(bool quiet, bool verbose) {
  g_level = quiet ? LogLevel::kError : verbose ? LogLevel::kDebug : LogLevel::kInfo;
}

void log_info(const char* format, ...) {
  if (g_muted || g_level < LogLevel::kInfo) return;
  std::va_list a;
  va_start(a, format);
  emit(stdout, "cascade: ", format, a);
  va_end(a);
}

void log_warning(const char* format, ...) {
  if (g_muted || g_level < LogLevel::kWarning) return;
  std::va_list a;
  va_start(a, format);
  emit(stdout, "cascade: warning: ", format, a);
  va_end(a);
}

void log_debug(const char* format, ...) {
  if (g_muted || g_level < LogLevel::kDebug) return;
  std::va_list a;
  va_start(a, format);
  emit(stderr, "cascade: debug: ", format, a);
  va_end(a);
  std::fflush(stderr);
}

}  // namespace cascade::cli

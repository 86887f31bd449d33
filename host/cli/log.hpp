// The command line's one logging facility: levels error < warning < info <
// debug. Info and warnings go to stdout as "cascade: ..." lines, debug to
// stderr; errors are printed by main(). --quiet keeps errors only, --verbose
// adds debug lines. (CLI state only: the library never logs.)
#pragma once

namespace cascade::cli {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

void set_log_level(LogLevel level);
/// Ranks other than 0 of a distributed run log nothing but errors.
void mute_log_for_rank(bool muted);
LogLevel log_level();
/// Sets the level from the common flags: --quiet (errors only), --verbose (debug).
void set_log_level_from_flags(bool quiet, bool verbose);

void log_info(const char* format, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char* format, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace cascade::cli

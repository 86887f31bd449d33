// The command line of a command read into run settings: CLI11 parses the
// options the table (run/settings.hpp) gives the command, with Cascade's own
// one-line messages; a leading RUN.toml is read first and the command line
// overrides it.
#pragma once
#include <string>
#include <vector>

#include "cascade/run/settings.hpp"

namespace cascade::cli {

/// `argv` (after the command's name): a run file's settings (when argv
/// starts with RUN.toml), overridden by the options that follow it.
run::Settings parse_settings(run::Command command, const std::vector<std::string>& argv);

/// Just the flags of a command without options (resume, info): every token
/// must be one of `flags` or a positional argument.
struct FlagsAndArgs {
  std::vector<std::string> flags, positional;
  bool has(const std::string& f) const;
};
FlagsAndArgs parse_flags(const std::vector<std::string>& argv, const std::vector<std::string>& flags);

}  // namespace cascade::cli

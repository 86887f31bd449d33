// TOML run files (docs/run-files.md): `cascade simulate run.toml [flags]`.
#pragma once
#include <string>
#include <vector>

namespace cascade::cli {

struct RunFile {
  std::string text;               // the file as read (recorded in the provenance)
  std::vector<std::string> args;  // the equivalent command-line options
};

/// Reads and checks a run file for `command` ("simulate" or "tune"); unknown
/// keys and wrong types are errors naming the key, its line and what was expected.
RunFile read_run_file(const std::string& path, const std::string& command);

/// The file's options followed by the command line's, which override them
/// (single values by coming last; stimuli, outputs, networks and the tune
/// selection by replacing the file's).
std::vector<std::string> merge_run_args(const std::vector<std::string>& file_args, const std::vector<std::string>& cli);

/// When argv starts with a .toml file: replaces argv by the merged options
/// and returns the file's text and path.
bool expand_run_file(std::vector<std::string>& argv, const std::string& command, std::string* text, std::string* path);

}  // namespace cascade::cli

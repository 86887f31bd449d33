// The files a run reads and writes, compared by identity before anything
// runs: --force replaces a stale output, never one of the run's inputs, nor
// another output of the same run (a provenance sidecar, a partial file, a
// checkpoint's lock included), nor a file inside a dataset directory.
#pragma once
#include <string>
#include <vector>

namespace cascade::run {

/// A path as one file: absolute, with its existing part resolved (symlinks,
/// "."/"..") so that a.npy, ./a.npy and d/../a.npy are the same.
std::string path_identity(const std::string& path);

/// A path and what it is to the run, for messages ("--weights 'w.npy'").
struct NamedPath {
  std::string path;
  std::string what;
};

/// Refuses an output that is one of the inputs (or a hard link to one), lies
/// inside an input directory, or is the file of another output.
void check_outputs_against_inputs(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

/// Refuses an output path that exists as anything but a regular file: a
/// directory, a symbolic link, a device, a pipe or a socket (a run writes
/// FILE.tmp and renames it over FILE, which would replace any of them).
void check_writable_kinds(const std::vector<NamedPath>& outputs);

/// An output and the files written beside it: its partial file (".tmp") and,
/// for a dense .npy, its provenance sidecar (".json") and that one's partial file.
std::vector<NamedPath> output_files(const std::string& path, const std::string& option, bool sidecar);

}  // namespace cascade::run

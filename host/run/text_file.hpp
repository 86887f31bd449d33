// Small text outputs (provenance sidecars, tuned parameters) written whole.
#pragma once
#include <string>

namespace cascade::run {

/// Writes text to path via path.tmp and a rename: a reader sees the old file
/// or the new one, never a part. Errors name the file and the reason.
void write_text_file(const std::string& path, const std::string& text);

/// The two halves, for files that must appear together with others: the
/// text written to path.tmp (nothing under the final name yet), then renamed.
void stage_text_file(const std::string& path, const std::string& text);
void commit_text_file(const std::string& path);
/// Removes a staged path.tmp (after a failure elsewhere).
void discard_text_file(const std::string& path);

}  // namespace cascade::run

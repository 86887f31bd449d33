// Small text outputs (provenance sidecars, tuned parameters) written whole.
#pragma once
#include <string>

namespace cascade::run {

/// Writes text to path via path.tmp and a rename: a reader sees the old file
/// or the new one, never a part.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace cascade::run

// Sizes checked before anything is allocated: a file's size from the file
// system (never by reading it), the memory a buffer needs against what is
// available, products that must not wrap. Messages name the file or field,
// the number and what it needs.
#pragma once
#include <cstdint>
#include <string>

namespace cascade {

/// "1.50 GiB", "12.0 MiB", "512 bytes".
std::string byte_text(std::uint64_t bytes);

/// The size of a regular file; refuses a missing file, a directory, a
/// device (/dev/zero), a pipe or a socket, naming `what` (e.g. "the run file").
std::uint64_t regular_file_size(const std::string& path, const std::string& what);

/// A whole text file of at most `max_bytes`, read once its size is checked.
std::string read_small_file(const std::string& path, const std::string& what, std::uint64_t max_bytes);

/// Refuses `bytes` for `what` when they exceed 90 % of the memory available now.
void require_memory(std::uint64_t bytes, const std::string& what);

/// a * b, or an error naming `what` when the product exceeds `limit`.
std::uint64_t checked_product(std::uint64_t a, std::uint64_t b, std::uint64_t limit, const std::string& what);

}  // namespace cascade

// A small, strict reader and writer for NumPy .npy files (format 1.0, 2.0
// and 3.0 headers; dtypes f4, f8, i4, i8, u1, b1; little-endian). Malformed,
// truncated or unsupported files are refused with the file name and reason.
// Fortran-ordered arrays are transposed to C order on reading.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace cascade {

enum class NpyDtype { kFloat32, kFloat64, kInt32, kInt64, kUInt8, kBool };

const char* npy_descr(NpyDtype d);  // "<f4", ... "|b1"
std::size_t npy_itemsize(NpyDtype d);

struct NpyArray {
  NpyDtype dtype = NpyDtype::kFloat64;
  std::vector<std::size_t> shape;
  std::vector<std::uint8_t> data;  // C order, little-endian

  std::size_t size() const;  // number of elements
  /// All elements converted to double (exact for every supported dtype
  /// except int64 beyond 2^53, which is refused).
  std::vector<double> to_doubles() const;
  std::vector<std::int64_t> to_int64() const;  // integer or bool dtypes only
};

struct NpyHeader {
  NpyDtype dtype = NpyDtype::kFloat64;
  std::vector<std::size_t> shape;
  bool fortran = false;
  std::size_t data_offset = 0;  // bytes from the start of the file
};

NpyArray read_npy(const std::string& path);
/// A shape as NumPy prints it: "(2, 3)", "(3,)".
std::string npy_shape_text(const std::vector<std::size_t>& shape);
/// NumPy's name of a descr ("<f2" -> "float16"; "" when unknown).
std::string npy_descr_name(const std::string& descr);
/// The dtype string a .npy header declares, whether or not Cascade reads it.
std::string read_npy_descr(const std::string& path);
/// The header only (dtype and shape) without reading the data.
NpyHeader read_npy_header(const std::string& path);
NpyHeader parse_npy_header(const std::uint8_t* bytes, std::size_t size, const std::string& name);
/// Parses an in-memory .npy image; `name` appears in error messages.
NpyArray parse_npy(const std::uint8_t* bytes, std::size_t size, const std::string& name);

/// Writes data (C order) with the given dtype and shape. Writes to
/// "<path>.tmp" first and renames, so a failed write never leaves a file that
/// looks complete.
void write_npy(const std::string& path, NpyDtype dtype, const std::vector<std::size_t>& shape, const void* data);

/// Writes a large .npy in parts: "<path>.tmp" until commit() renames it, so
/// an interrupted or failed write never leaves a file that looks complete
/// (the destructor removes an uncommitted file). Offsets are bytes into the data.
class NpyFileWriter {
 public:
  /// Writes PATH.tmp, renamed to PATH by commit(); removed if never committed.
  /// `resume`: reopen an existing PATH.tmp of this dtype and shape (a
  /// checkpointed run continuing) instead of creating it.
  NpyFileWriter(const std::string& path, NpyDtype dtype, const std::vector<std::size_t>& shape, bool resume = false);
  /// Another process's writer joined (a distributed run's ranks each write
  /// their own rows): opens the PATH.tmp that process created (its header
  /// already on disk) and writes into it; never removes or renames it:
  /// close() ends this side, the creating process commits.
  struct Join {};
  NpyFileWriter(const std::string& path, NpyDtype dtype, const std::vector<std::size_t>& shape, Join);
  ~NpyFileWriter();
  NpyFileWriter(const NpyFileWriter&) = delete;
  NpyFileWriter& operator=(const NpyFileWriter&) = delete;
  void write(std::size_t offset, const void* data, std::size_t bytes);
  /// Everything written so far reaches the disk (before a checkpoint names it).
  void flush();
  /// Closes without committing and keeps PATH.tmp (an interrupted run that a
  /// checkpoint will resume).
  void keep();
  /// A checkpoint names PATH.tmp from now on: a failed write or commit, or
  /// the destructor, keeps it instead of removing it.
  void keep_on_failure() { keep_on_failure_ = true; }
  void commit();
  /// A joined writer's end: everything written reaches the file, which is
  /// closed (throws when it cannot be written).
  void close();

 private:
  void open_existing(const std::string& header, const std::string& why);
  [[noreturn]] void fail();
  void discard();
  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
  bool keep_on_failure_ = false;
  bool joined_ = false;  // another process created PATH.tmp and commits it
  std::size_t data_offset_ = 0, data_bytes_ = 0;
};

}  // namespace cascade

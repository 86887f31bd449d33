// Strict .npy reader/writer (NumPy format 1.0, 2.0, 3.0).
#include "cascade/npy.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>

#include "cascade/error.hpp"
#include "cascade/stop.hpp"
#include "core/limits.hpp"

namespace cascade {

const char* npy_descr(NpyDtype d) {
  switch (d) {
    case NpyDtype::kFloat32: return "<f4";
    case NpyDtype::kFloat64: return "<f8";
    case NpyDtype::kInt32: return "<i4";
    case NpyDtype::kInt64: return "<i8";
    case NpyDtype::kUInt8: return "|u1";
    case NpyDtype::kBool: return "|b1";
  }
  return "?";
}

std::size_t npy_itemsize(NpyDtype d) {
  switch (d) {
    case NpyDtype::kFloat32: case NpyDtype::kInt32: return 4;
    case NpyDtype::kFloat64: case NpyDtype::kInt64: return 8;
    case NpyDtype::kUInt8: case NpyDtype::kBool: return 1;
  }
  return 0;
}

std::size_t NpyArray::size() const {
  std::size_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::vector<double> NpyArray::to_doubles() const {
  const std::size_t n = size();
  std::vector<double> out(n);
  const std::uint8_t* p = data.data();
  for (std::size_t i = 0; i < n; ++i) {
    switch (dtype) {
      case NpyDtype::kFloat32: { float v; std::memcpy(&v, p + 4 * i, 4); out[i] = v; break; }
      case NpyDtype::kFloat64: { double v; std::memcpy(&v, p + 8 * i, 8); out[i] = v; break; }
      case NpyDtype::kInt32: { std::int32_t v; std::memcpy(&v, p + 4 * i, 4); out[i] = v; break; }
      case NpyDtype::kInt64: {
        std::int64_t v;
        std::memcpy(&v, p + 8 * i, 8);
        if (v > (std::int64_t{1} << 53) || v < -(std::int64_t{1} << 53))
          throw Error("int64 value " + std::to_string(v) + " cannot be represented exactly as a double");
        out[i] = static_cast<double>(v);
        break;
      }
      case NpyDtype::kUInt8: case NpyDtype::kBool: out[i] = p[i]; break;
    }
  }
  return out;
}

std::vector<std::int64_t> NpyArray::to_int64() const {
  const std::size_t n = size();
  std::vector<std::int64_t> out(n);
  const std::uint8_t* p = data.data();
  for (std::size_t i = 0; i < n; ++i) {
    switch (dtype) {
      case NpyDtype::kInt32: { std::int32_t v; std::memcpy(&v, p + 4 * i, 4); out[i] = v; break; }
      case NpyDtype::kInt64: { std::int64_t v; std::memcpy(&v, p + 8 * i, 8); out[i] = v; break; }
      case NpyDtype::kUInt8: case NpyDtype::kBool: out[i] = p[i]; break;
      default: throw Error(std::string("expected an integer array, got dtype ") + npy_descr(dtype));
    }
  }
  return out;
}

namespace {

// A minimal parser for the header's Python dict literal.
struct HeaderParser {
  const std::string& s;
  const std::string& name;
  std::size_t i = 0;

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(name + ": malformed .npy header (" + why + "): " + s);
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) { ++i; return true; }
    return false;
  }
  std::string str() {
    ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) fail("expected a quoted string");
    const char q = s[i++];
    const std::size_t start = i;
    while (i < s.size() && s[i] != q) ++i;
    if (i >= s.size()) fail("unterminated string");
    return s.substr(start, i++ - start);
  }
  bool boolean() {
    ws();
    if (s.compare(i, 4, "True") == 0) { i += 4; return true; }
    if (s.compare(i, 5, "False") == 0) { i += 5; return false; }
    fail("expected True or False");
  }
  std::vector<std::size_t> tuple() {
    if (!eat('(')) fail("expected a shape tuple");
    std::vector<std::size_t> out;
    while (true) {
      ws();
      if (eat(')')) break;
      std::size_t v = 0;
      const std::size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (v > (std::numeric_limits<std::size_t>::max() - 9) / 10) fail("shape entry too large");
        v = v * 10 + static_cast<std::size_t>(s[i++] - '0');
      }
      if (i == start) fail("shape entries must be non-negative integers");
      if (i < s.size() && s[i] == 'L') ++i;
      out.push_back(v);
      if (eat(',')) continue;
      if (eat(')')) break;
      fail("expected ',' or ')' in the shape");
    }
    return out;
  }
};

}  // namespace

namespace {

/// The header's fields as written, the dtype not yet interpreted.
struct RawHeader {
  std::string descr;
  bool fortran = false;
  std::vector<std::size_t> shape;
  std::size_t data_offset = 0;
};

RawHeader parse_raw_header(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  static const unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(bytes, kMagic, 6) != 0)
    throw Error(name + ": not a .npy file (bad magic; expected \\x93NUMPY)");
  const int major = bytes[6];
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = bytes[8] | (static_cast<std::size_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw Error(name + ": truncated .npy header");
    header_len = bytes[8] | (static_cast<std::size_t>(bytes[9]) << 8) | (static_cast<std::size_t>(bytes[10]) << 16) |
                 (static_cast<std::size_t>(bytes[11]) << 24);
    header_start = 12;
  } else {
    throw Error(name + ": unsupported .npy format version " + std::to_string(major) + "." +
                std::to_string(bytes[7]) + " (expected 1.0, 2.0 or 3.0)");
  }
  if (header_start + header_len > (std::size_t{1} << 26))
    throw Error(name + ": the .npy header declares " + std::to_string(header_len) +
                " bytes, more than the 64 MiB a header may have (numpy writes headers of under 1 KiB)");
  if (header_start + header_len > size)
    throw Error(name + ": truncated .npy header (needs " + std::to_string(header_len) + " bytes, file has " +
                std::to_string(size - header_start) + ")");
  const std::string header(reinterpret_cast<const char*>(bytes + header_start), header_len);
  HeaderParser p{header, name};
  std::string descr;
  bool fortran = false, have_descr = false, have_order = false, have_shape = false;
  std::vector<std::size_t> shape;
  if (!p.eat('{')) p.fail("expected '{'");
  while (!p.eat('}')) {
    const std::string key = p.str();
    if (!p.eat(':')) p.fail("expected ':' after '" + key + "'");
    if (key == "descr") { descr = p.str(); have_descr = true; }
    else if (key == "fortran_order") { fortran = p.boolean(); have_order = true; }
    else if (key == "shape") { shape = p.tuple(); have_shape = true; }
    else p.fail("unexpected key '" + key + "'");
    if (!p.eat(',')) {
      if (!p.eat('}')) p.fail("expected ',' or '}'");
      break;
    }
  }
  if (!have_descr || !have_order || !have_shape)
    throw Error(name + ": .npy header lacks " +
                std::string(!have_descr ? "'descr'" : !have_order ? "'fortran_order'" : "'shape'"));
  return RawHeader{descr, fortran, shape, header_start + header_len};
}

}  // namespace

std::string npy_descr_name(const std::string& descr) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"f2", "float16"}, {"f4", "float32"}, {"f8", "float64"}, {"f16", "float128"}, {"i1", "int8"},
      {"i2", "int16"},   {"i4", "int32"},   {"i8", "int64"},   {"u1", "uint8"},     {"u2", "uint16"},
      {"u4", "uint32"},  {"u8", "uint64"},  {"b1", "bool"},    {"c8", "complex64"}, {"c16", "complex128"}};
  const std::string code = descr.size() > 1 && (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=')
                               ? descr.substr(1)
                               : descr;
  for (const auto& [c, n] : kNames)
    if (code == c) return n;
  return "";
}

NpyHeader parse_npy_header(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  const RawHeader raw = parse_raw_header(bytes, size, name);
  const std::string& descr = raw.descr;
  NpyHeader a;
  if (descr == "<f4") a.dtype = NpyDtype::kFloat32;
  else if (descr == "<f8") a.dtype = NpyDtype::kFloat64;
  else if (descr == "<i4") a.dtype = NpyDtype::kInt32;
  else if (descr == "<i8") a.dtype = NpyDtype::kInt64;
  else if (descr == "|u1" || descr == "<u1") a.dtype = NpyDtype::kUInt8;
  else if (descr == "|b1" || descr == "<b1") a.dtype = NpyDtype::kBool;
  else if (!descr.empty() && descr[0] == '>')
    throw Error(name + ": big-endian dtype '" + descr + "' is not supported; save the array little-endian");
  else {
    const std::string known = npy_descr_name(descr);
    throw Error(name + ": unsupported dtype '" + descr + "'" + (known.empty() ? "" : " (" + known + ")") +
                "; Cascade reads float32, float64, int32, int64, uint8 and bool arrays (which one an input takes: "
                "docs/inputs.md)");
  }
  a.shape = raw.shape;
  a.fortran = raw.fortran;
  a.data_offset = raw.data_offset;
  return a;
}

namespace {

/// Bytes of data the header promises (refusing a product that wraps).
std::size_t promised_bytes(const NpyHeader& h, const std::string& name) {
  const std::size_t item = npy_itemsize(h.dtype);
  std::size_t count = 1;
  for (auto s : h.shape) {
    if (s != 0 && count > (std::numeric_limits<std::size_t>::max() / item) / s)
      throw Error(name + ": shape " + npy_shape_text(h.shape) + " is too large");
    count *= s;
  }
  return count * item;
}

/// The data part must be exactly what the header promises.
void check_data_size(std::size_t need, std::uint64_t have, const std::string& name) {
  if (have < need)
    throw Error(name + ": data is truncated: the header promises " + std::to_string(need) + " bytes, the file has " +
                std::to_string(have));
  if (have > need)
    throw Error(name + ": " + std::to_string(have - need) + " unexpected bytes after the data (corrupt file?)");
}

/// Bool bytes checked; Fortran order transposed to C order.
void finish_array(NpyArray& a, bool fortran, const std::string& name) {
  if (a.dtype == NpyDtype::kBool)
    for (auto& b : a.data)
      if (b > 1) throw Error(name + ": bool array holds a byte other than 0 or 1");
  const auto& shape = a.shape;
  if (!fortran || shape.size() < 2) return;
  // F offset = i0 + s0 (i1 + s1 (i2 + ...)).
  const std::size_t item = npy_itemsize(a.dtype), count = a.size();
  std::vector<std::uint8_t> c(a.data.size());
  const std::size_t nd = shape.size();
  std::vector<std::size_t> idx(nd, 0), fstride(nd, 1);
  for (std::size_t d = 1; d < nd; ++d) fstride[d] = fstride[d - 1] * shape[d - 1];
  for (std::size_t lin = 0; lin < count; ++lin) {
    std::size_t foff = 0;
    for (std::size_t d = 0; d < nd; ++d) foff += idx[d] * fstride[d];
    std::memcpy(c.data() + lin * item, a.data.data() + foff * item, item);
    for (std::size_t d = nd; d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  a.data.swap(c);
}

/// The header's bytes: the fixed prefix, then as many as it declares (at
/// most 64 MiB, far beyond any real header) or the file holds.
std::vector<std::uint8_t> header_bytes(std::FILE* f) {
  std::vector<std::uint8_t> bytes(12, 0);
  const std::size_t got = std::fread(bytes.data(), 1, 12, f);
  bytes.resize(got);
  if (got < 10) return bytes;
  std::size_t len = bytes[6] == 1 ? 10 + (bytes[8] | (static_cast<std::size_t>(bytes[9]) << 8))
                    : got >= 12   ? 12 + (bytes[8] | (static_cast<std::size_t>(bytes[9]) << 8) |
                                        (static_cast<std::size_t>(bytes[10]) << 16) |
                                        (static_cast<std::size_t>(bytes[11]) << 24))
                                  : got;
  len = std::min<std::size_t>(len, std::size_t{1} << 26);
  if (len > got) {
    bytes.resize(len);
    bytes.resize(got + std::fread(bytes.data() + got, 1, len - got, f));
  }
  return bytes;
}

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

File open_npy(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  return f;
}

}  // namespace

NpyArray parse_npy(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  const NpyHeader h = parse_npy_header(bytes, size, name);
  const std::size_t need = promised_bytes(h, name);
  check_data_size(need, size - h.data_offset, name);
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.data.assign(bytes + h.data_offset, bytes + h.data_offset + need);
  finish_array(a, h.fortran, name);
  return a;
}

// The header first, then the sizes against the file and the memory, and only
// then the data: a wrong or hostile file is refused before anything large is
// allocated or read.
NpyArray read_npy(const std::string& path) {
  const std::uint64_t file_size = regular_file_size(path, "the .npy file");
  const File f = open_npy(path);
  const std::vector<std::uint8_t> head = header_bytes(f.get());
  const NpyHeader h = parse_npy_header(head.data(), head.size(), path);
  const std::size_t need = promised_bytes(h, path);
  check_data_size(need, file_size - h.data_offset, path);
  require_memory(need, path + ": the array " + npy_shape_text(h.shape));
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.data.resize(need);
  if (std::fseek(f.get(), static_cast<long>(h.data_offset), SEEK_SET) != 0)
    throw Error(path + ": read error (" + std::strerror(errno) + ")");
  constexpr std::size_t kChunk = std::size_t{64} << 20;  // a stop request is seen between chunks
  for (std::size_t at = 0; at < need; at += kChunk) {
    check_stop("reading a .npy file");
    const std::size_t n = std::min(kChunk, need - at);
    if (std::fread(a.data.data() + at, 1, n, f.get()) != n)
      throw Error(path + ": read error (" + std::strerror(errno) + "; did the file change while it was read?)");
  }
  finish_array(a, h.fortran, path);
  return a;
}

std::string read_npy_descr(const std::string& path) {
  regular_file_size(path, "the .npy file");
  const File f = open_npy(path);
  const std::vector<std::uint8_t> head = header_bytes(f.get());
  return parse_raw_header(head.data(), head.size(), path).descr;
}

NpyHeader read_npy_header(const std::string& path) {
  regular_file_size(path, "the .npy file");
  const File f = open_npy(path);
  const std::vector<std::uint8_t> head = header_bytes(f.get());
  return parse_npy_header(head.data(), head.size(), path);
}

namespace {
std::string npy_header_bytes(NpyDtype dtype, const std::vector<std::size_t>& shape) {
  std::string header = "{'descr': '" + std::string(npy_descr(dtype)) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t d = 0; d < shape.size(); ++d) {
    header += std::to_string(shape[d]);
    if (shape.size() == 1 || d + 1 < shape.size()) header += ",";
    if (d + 1 < shape.size()) header += " ";
  }
  header += "), }";
  const bool v2 = header.size() + 11 > 65535;
  const std::size_t prefix = v2 ? 12 : 10;
  std::size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string pre = {static_cast<char>(0x93), 'N', 'U', 'M', 'P', 'Y', static_cast<char>(v2 ? 2 : 1), 0};
  const std::size_t hl = header.size();
  pre += static_cast<char>(hl & 0xff);
  pre += static_cast<char>((hl >> 8) & 0xff);
  if (v2) {
    pre += static_cast<char>((hl >> 16) & 0xff);
    pre += static_cast<char>((hl >> 24) & 0xff);
  }
  return pre + header;
}
}  // namespace

NpyFileWriter::NpyFileWriter(const std::string& path, NpyDtype dtype, const std::vector<std::size_t>& shape,
                             bool resume)
    : path_(path), tmp_(path + ".tmp") {
  const std::string header = npy_header_bytes(dtype, shape);
  std::size_t count = 1;
  for (auto d : shape) count *= d;
  data_offset_ = header.size();
  data_bytes_ = count * npy_itemsize(dtype);
  if (resume) {
    open_existing(header, "cannot resume '" + path + "': its partial file '" + tmp_ + "'");
    return;
  }
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (!file_) throw Error("cannot write '" + path + "': " + std::strerror(errno));
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size()) fail();
}

NpyFileWriter::NpyFileWriter(const std::string& path, NpyDtype dtype, const std::vector<std::size_t>& shape, Join)
    : path_(path), tmp_(path + ".tmp"), keep_on_failure_(true), joined_(true) {
  const std::string header = npy_header_bytes(dtype, shape);
  std::size_t count = 1;
  for (auto d : shape) count *= d;
  data_offset_ = header.size();
  data_bytes_ = count * npy_itemsize(dtype);
  open_existing(header, "cannot write '" + path + "': the file '" + tmp_ + "' that rank 0 created");
}

void NpyFileWriter::open_existing(const std::string& header, const std::string& why) {
  file_ = std::fopen(tmp_.c_str(), "r+b");
  if (!file_) throw Error(why + " cannot be opened (" + std::strerror(errno) + ")");
  std::string found(header.size(), '\0');
  if (std::fread(found.data(), 1, found.size(), file_) != found.size() || found != header) {
    std::fclose(file_);
    file_ = nullptr;
    throw Error(why + " does not hold the array this run writes");
  }
}

NpyFileWriter::~NpyFileWriter() {
  if (file_) {
    std::fclose(file_);
    discard();
  }
}

void NpyFileWriter::discard() {
  if (!keep_on_failure_) std::remove(tmp_.c_str());
}

void NpyFileWriter::fail() {
  const int err = errno;
  std::fclose(file_);
  file_ = nullptr;
  discard();
  throw Error("cannot write '" + path_ + "': " + std::strerror(err));
}

void NpyFileWriter::write(std::size_t offset, const void* data, std::size_t bytes) {
  if (!file_) throw Error("'" + path_ + "': write after the file was closed");
  if (offset + bytes > data_bytes_) throw Error("'" + path_ + "': write past the end of the array");
  if (bytes == 0) return;
  if (std::fseek(file_, static_cast<long>(data_offset_ + offset), SEEK_SET) != 0) fail();
  if (std::fwrite(data, 1, bytes, file_) != bytes) fail();
}

void NpyFileWriter::flush() {
  if (!file_) return;
  if (std::fflush(file_) != 0) fail();
  // A full disk or quota often shows only here (NFS): a checkpoint must not
  // name data that never reached the disk. (EINVAL: a file without sync.)
  if (::fsync(::fileno(file_)) != 0 && errno != EINVAL) fail();
}

void NpyFileWriter::keep() {
  if (!file_) return;
  std::fflush(file_);
  ::fsync(::fileno(file_));
  std::fclose(file_);
  file_ = nullptr;
}

void NpyFileWriter::close() {
  if (!file_) return;
  std::FILE* f = file_;
  file_ = nullptr;
  const bool flushed = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int err = errno;
  if (std::fclose(f) != 0 || !flushed) {
    discard();
    throw Error("cannot write '" + path_ + "': " + std::strerror(flushed ? errno : err));
  }
}

void NpyFileWriter::commit() {
  if (joined_) throw Error("'" + path_ + "': a joined writer closes; the process that created the file commits it");
  if (!file_) throw Error("'" + path_ + "': committed twice");
  // Extend to the full size (parts never written read as zeros).
  if (std::fseek(file_, 0, SEEK_END) != 0) fail();
  const long end = std::ftell(file_);
  const std::size_t want = data_offset_ + data_bytes_;
  if (end < 0) fail();
  if (static_cast<std::size_t>(end) < want) {
    if (std::fseek(file_, static_cast<long>(want - 1), SEEK_SET) != 0 || std::fputc(0, file_) == EOF) fail();
  }
  if (std::fflush(file_) != 0) fail();
  if (std::fclose(file_) != 0) {
    file_ = nullptr;
    discard();
    throw Error("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  file_ = nullptr;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    discard();
    throw Error("cannot write '" + path_ + "': " + std::strerror(err));
  }
}

void write_npy(const std::string& path, NpyDtype dtype, const std::vector<std::size_t>& shape, const void* data) {
  NpyFileWriter w(path, dtype, shape);
  std::size_t count = 1;
  for (auto d : shape) count *= d;
  w.write(0, data, count * npy_itemsize(dtype));
  w.commit();
}

std::string npy_shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  s += shape.size() == 1 ? ",)" : ")";
  return s;
}

}  // namespace cascade

// The .npy reader/writer: round trips and every refusal message.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cascade/error.hpp"
#include "cascade/npy.hpp"
#include "test_util.hpp"

using namespace cascade;

namespace {
std::vector<std::uint8_t> image(const std::string& header, const std::vector<std::uint8_t>& data, int major = 1) {
  std::vector<std::uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  const std::size_t hl = header.size();
  out.push_back(hl & 0xff);
  out.push_back((hl >> 8) & 0xff);
  if (major >= 2) {
    out.push_back((hl >> 16) & 0xff);
    out.push_back((hl >> 24) & 0xff);
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}
std::string error_of(const std::vector<std::uint8_t>& bytes) {
  try {
    parse_npy(bytes.data(), bytes.size(), "f.npy");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}
std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("cascade_test_npy_" + name)).string();
}
}  // namespace

TEST(Npy, RoundTripsEverySupportedDtype) {
  const std::vector<std::size_t> shape = {2, 3};
  struct Case {
    NpyDtype d;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Case> cases;
  {
    std::vector<float> v = {1.5f, -2, 0, 3, 4, 5};
    cases.push_back({NpyDtype::kFloat32, {reinterpret_cast<std::uint8_t*>(v.data()), reinterpret_cast<std::uint8_t*>(v.data()) + 24}});
    std::vector<double> d = {1.5, -2, 0, 3, 4, 1e-300};
    cases.push_back({NpyDtype::kFloat64, {reinterpret_cast<std::uint8_t*>(d.data()), reinterpret_cast<std::uint8_t*>(d.data()) + 48}});
    std::vector<std::int32_t> i = {1, -2, 3, 4, 5, 6};
    cases.push_back({NpyDtype::kInt32, {reinterpret_cast<std::uint8_t*>(i.data()), reinterpret_cast<std::uint8_t*>(i.data()) + 24}});
    std::vector<std::int64_t> l = {1, -2, 3, 4, 5, 1LL << 40};
    cases.push_back({NpyDtype::kInt64, {reinterpret_cast<std::uint8_t*>(l.data()), reinterpret_cast<std::uint8_t*>(l.data()) + 48}});
    cases.push_back({NpyDtype::kUInt8, {0, 1, 2, 255, 4, 5}});
    cases.push_back({NpyDtype::kBool, {0, 1, 1, 0, 0, 1}});
  }
  for (const auto& c : cases) {
    const std::string path = tmp(std::string(npy_descr(c.d)).substr(1) + ".npy");
    write_npy(path, c.d, shape, c.bytes.data());
    const NpyArray a = read_npy(path);
    EXPECT_EQ(a.dtype, c.d);
    EXPECT_EQ(a.shape, shape);
    EXPECT_EQ(a.data, c.bytes);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    std::remove(path.c_str());
  }
}

TEST(Npy, HeaderIsAlignedAndOneDimensionalShapeHasTrailingComma) {
  const std::string path = tmp("1d.npy");
  const std::vector<std::uint8_t> d = {1, 2, 3};
  write_npy(path, NpyDtype::kUInt8, {3}, d.data());
  FILE* f = std::fopen(path.c_str(), "rb");
  std::vector<char> buf(256);
  const std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
  std::fclose(f);
  ASSERT_EQ(n, 128u + 3u);  // header padded to a multiple of 64 bytes
  EXPECT_EQ(buf[127], '\n');
  EXPECT_NE(std::string(buf.data() + 10, 118).find("'shape': (3,)"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Npy, FortranOrderIsTransposedToCOrder) {
  // Fortran [2, 3] holding C-order values 0..5 column by column.
  std::vector<std::uint8_t> f = {0, 3, 1, 4, 2, 5};
  const auto a = parse_npy(
      image("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", f).data(), image("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", f).size(), "f.npy");
  EXPECT_EQ(a.data, (std::vector<std::uint8_t>{0, 1, 2, 3, 4, 5}));
}

TEST(Npy, Version2HeaderIsRead) {
  const auto img = image("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", {7, 0, 0, 0}, 2);
  const auto a = parse_npy(img.data(), img.size(), "f.npy");
  EXPECT_EQ(a.to_int64(), (std::vector<std::int64_t>{7}));
}

TEST(Npy, MalformedFilesAreRefusedWithTheReason) {
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::vector<std::uint8_t> eight(8, 0);
  auto bad_magic = image(ok, eight);
  bad_magic[1] = 'X';
  EXPECT_NE(error_of(bad_magic).find("bad magic"), std::string::npos);
  EXPECT_NE(error_of({0x93, 'N', 'U'}).find("bad magic"), std::string::npos);
  auto truncated_header = image(ok, {});
  truncated_header.resize(30);
  EXPECT_NE(error_of(truncated_header).find("truncated .npy header"), std::string::npos);
  EXPECT_NE(error_of(image(ok, {1, 2, 3})).find("data is truncated"), std::string::npos);
  EXPECT_NE(error_of(image(ok, std::vector<std::uint8_t>(12, 0))).find("unexpected bytes"), std::string::npos);
  EXPECT_NE(error_of(image("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", eight)).find("unsupported dtype '<c8'"),
            std::string::npos);
  EXPECT_NE(error_of(image("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", eight)).find("big-endian"),
            std::string::npos);
  EXPECT_NE(error_of(image("{'descr': '<f4', 'shape': (2,), }", eight)).find("lacks 'fortran_order'"), std::string::npos);
  EXPECT_NE(error_of(image("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", eight)).find("malformed"),
            std::string::npos);
  EXPECT_NE(error_of(image("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", eight)).find("True or False"),
            std::string::npos);
  EXPECT_NE(error_of(image("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", {0, 7})).find("other than 0 or 1"),
            std::string::npos);
  auto v9 = image(ok, eight);
  v9[6] = 9;
  EXPECT_NE(error_of(v9).find("unsupported .npy format version 9.0"), std::string::npos);
  try {
    read_npy("/nonexistent/dir/w.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/w.npy: cannot open"), std::string::npos);
  }
}

// The sizes are checked against the file before any data is read: 16 GiB of
// junk after a 9-value array (a sparse file: no disk is used) is refused
// from the header and the file size alone, as are a device and a header
// promising more than the file holds.
TEST(Npy, SizesAreCheckedBeforeTheDataIsRead) {
  const std::string dir = ::testing::TempDir();
  const std::string junk = dir + "/cascade_junk.npy";
  const float w[9] = {};
  write_npy(junk, NpyDtype::kFloat32, {3, 3}, w);
  const auto size = std::filesystem::file_size(junk);
  std::filesystem::resize_file(junk, std::uintmax_t{16} << 30);
  EXPECT_ERROR_HAS(read_npy(junk), std::to_string((std::uintmax_t{16} << 30) - size) + " unexpected bytes after the data");
  std::filesystem::resize_file(junk, size - 4);
  EXPECT_ERROR_HAS(read_npy(junk), "data is truncated: the header promises 36 bytes, the file has 32");
  std::filesystem::remove(junk);
  EXPECT_ERROR_HAS(read_npy("/dev/zero"), "/dev/zero: the .npy file is not a regular file");
  EXPECT_ERROR_HAS(read_npy_header("/dev/zero"), "/dev/zero: the .npy file is not a regular file");
  EXPECT_ERROR_HAS(read_npy(dir), "the .npy file is a directory");
}

TEST(Npy, UnwritablePathIsReportedAndLeavesNothing) {
  const std::vector<std::uint8_t> d = {1};
  try {
    write_npy("/nonexistent/dir/out.npy", NpyDtype::kUInt8, {1}, d.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write '/nonexistent/dir/out.npy'"), std::string::npos);
  }
}

#include "cascade/sonata.hpp"

#include <hdf5.h>

#include <cstdio>

#include "cascade/error.hpp"

namespace cascade {

namespace {

/// Throws with the operation and file when an HDF5 call fails.
hid_t check(hid_t id, const std::string& what, const std::string& path) {
  if (id < 0) throw Error("cannot write '" + path + "': HDF5 " + what + " failed");
  return id;
}
void check_status(herr_t s, const std::string& what, const std::string& path) {
  if (s < 0) throw Error("cannot write '" + path + "': HDF5 " + what + " failed");
}

void string_attribute(hid_t obj, const std::string& name, const std::string& value, const std::string& path) {
  // Every string attribute one type: variable-length UTF-8 (h5py reads str,
  // libsonata and h5dump read it too), never fixed-length bytes.
  const hid_t type = check(H5Tcopy(H5T_C_S1), "string type", path);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attr = check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "attribute " + name, path);
  const char* text = value.c_str();
  const herr_t s = H5Awrite(attr, type, &text);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  check_status(s, "attribute " + name, path);
}

/// An extendable 1-d chunked dataset.
hid_t extendable(hid_t group, const char* name, hid_t type, const std::string& path) {
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = 8192;  // 64 KiB chunks: small files stay small
  const hid_t space = H5Screate_simple(1, &zero, &unlimited);
  const hid_t props = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(props, 1, &chunk);
  const hid_t d = H5Dcreate2(group, name, type, space, H5P_DEFAULT, props, H5P_DEFAULT);
  H5Pclose(props);
  H5Sclose(space);
  return check(d, std::string("dataset ") + name, path);
}

void append_to(hid_t dset, hid_t type, const void* data, hsize_t n, hsize_t& size, const std::string& path) {
  if (n == 0) return;
  const hsize_t total = size + n;
  check_status(H5Dset_extent(dset, &total), "extend", path);
  const hid_t file_space = H5Dget_space(dset);
  H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &size, nullptr, &n, nullptr);
  const hid_t mem = H5Screate_simple(1, &n, nullptr);
  const herr_t s = H5Dwrite(dset, type, mem, file_space, H5P_DEFAULT, data);
  H5Sclose(mem);
  H5Sclose(file_space);
  check_status(s, "write", path);
  size = total;
}

}  // namespace

struct SonataWriter::Impl {
  std::string path, tmp;
  hid_t file = -1;
  struct Pop {
    hid_t group = -1, timestamps = -1, node_ids = -1;
    hsize_t size = 0;
    std::size_t neurons = 0;
  };
  std::vector<Pop> pops;
  void close() {
    for (auto& p : pops) {
      if (p.timestamps >= 0) H5Dclose(p.timestamps);
      if (p.node_ids >= 0) H5Dclose(p.node_ids);
      if (p.group >= 0) H5Gclose(p.group);
      p = Pop{};
    }
    if (file >= 0) H5Fclose(file);
    file = -1;
  }
};

SonataWriter::SonataWriter(const std::string& path, const std::vector<std::pair<std::string, std::size_t>>& populations,
                           const std::vector<std::pair<std::string, std::string>>& attributes)
    : impl_(std::make_unique<Impl>()) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions here, not prints
  impl_->path = path;
  impl_->tmp = path + ".tmp";
  try {
    impl_->file = check(H5Fcreate(impl_->tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "file creation", path);
    const hid_t root = impl_->file;
    {  // magic (0x0A7A) and version [0, 1]: the SONATA file signature
      const std::uint32_t magic = 0x0A7A;
      const hid_t s = H5Screate(H5S_SCALAR);
      const hid_t a = check(H5Acreate2(root, "magic", H5T_STD_U32LE, s, H5P_DEFAULT, H5P_DEFAULT), "magic", path);
      H5Awrite(a, H5T_NATIVE_UINT32, &magic);
      H5Aclose(a);
      H5Sclose(s);
      const std::uint32_t version[2] = {0, 1};
      const hsize_t two = 2;
      const hid_t s2 = H5Screate_simple(1, &two, nullptr);
      const hid_t a2 = check(H5Acreate2(root, "version", H5T_STD_U32LE, s2, H5P_DEFAULT, H5P_DEFAULT), "version", path);
      H5Awrite(a2, H5T_NATIVE_UINT32, version);
      H5Aclose(a2);
      H5Sclose(s2);
    }
    for (const auto& [k, v] : attributes) string_attribute(root, k, v, path);
    const hid_t spikes = check(H5Gcreate2(root, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "group /spikes", path);
    // libsonata's Sorting enum: none = 0, by_id = 1, by_time = 2 (int8 base).
    const hid_t sorting = H5Tenum_create(H5T_NATIVE_INT8);
    const std::int8_t none = 0, by_id = 1, by_time = 2;
    H5Tenum_insert(sorting, "none", &none);
    H5Tenum_insert(sorting, "by_id", &by_id);
    H5Tenum_insert(sorting, "by_time", &by_time);
    for (const auto& [name, neurons] : populations) {
      if (name.empty() || name.find('/') != std::string::npos)
        throw Error("SONATA population name '" + name + "' must be non-empty and without '/'");
      Impl::Pop p;
      p.neurons = neurons;
      p.group = check(H5Gcreate2(spikes, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "group " + name, path);
      const hid_t s = H5Screate(H5S_SCALAR);
      const hid_t a = check(H5Acreate2(p.group, "sorting", sorting, s, H5P_DEFAULT, H5P_DEFAULT), "sorting", path);
      H5Awrite(a, sorting, &by_time);
      H5Aclose(a);
      H5Sclose(s);
      p.timestamps = extendable(p.group, "timestamps", H5T_IEEE_F64LE, path);
      string_attribute(p.timestamps, "units", "ms", path);
      p.node_ids = extendable(p.group, "node_ids", H5T_STD_U64LE, path);
      impl_->pops.push_back(p);
    }
    H5Tclose(sorting);
    H5Gclose(spikes);
  } catch (...) {
    impl_->close();
    std::remove(impl_->tmp.c_str());
    throw;
  }
}

SonataWriter::~SonataWriter() {
  if (impl_ && impl_->file >= 0) {
    impl_->close();
    std::remove(impl_->tmp.c_str());
  }
}

void SonataWriter::append(std::size_t population, const Raster& raster, std::size_t replica, std::size_t first,
                          std::size_t count, std::int64_t step_offset, double dt_ms) {
  if (impl_->file < 0) throw Error("'" + impl_->path + "': append after commit");
  if (population >= impl_->pops.size()) throw Error("SONATA: no population " + std::to_string(population));
  auto& p = impl_->pops[population];
  if (count != p.neurons)
    throw Error("SONATA: population " + std::to_string(population) + " has " + std::to_string(p.neurons) +
                " neurons, not " + std::to_string(count));
  std::vector<double> ts;
  std::vector<std::uint64_t> ids;
  for (std::size_t t = 0; t < raster.steps(); ++t) {
    const double time = static_cast<double>(step_offset + static_cast<std::int64_t>(t)) * dt_ms;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint32_t c = raster.at(replica, first + i, t);
      for (std::uint32_t k = 0; k < c; ++k) {
        ts.push_back(time);
        ids.push_back(i);
      }
    }
  }
  hsize_t size_ids = p.size;
  append_to(p.timestamps, H5T_NATIVE_DOUBLE, ts.data(), ts.size(), p.size, impl_->path);
  append_to(p.node_ids, H5T_NATIVE_UINT64, ids.data(), ids.size(), size_ids, impl_->path);
  spikes_ += ts.size();
}

void SonataWriter::append_rows(std::size_t population, const Raster& raster, std::size_t replica,
                               const std::vector<std::size_t>& rows, const std::vector<std::uint64_t>& node_ids,
                               std::int64_t step_offset, double dt_ms) {
  if (impl_->file < 0) throw Error("'" + impl_->path + "': append after commit");
  if (population >= impl_->pops.size()) throw Error("SONATA: no population " + std::to_string(population));
  if (rows.size() != node_ids.size()) throw Error("SONATA: rows and node ids differ in number");
  auto& p = impl_->pops[population];
  std::vector<double> ts;
  std::vector<std::uint64_t> ids;
  for (std::size_t t = 0; t < raster.steps(); ++t) {
    const double time = static_cast<double>(step_offset + static_cast<std::int64_t>(t)) * dt_ms;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const std::uint32_t c = raster.at(replica, rows[k], t);
      for (std::uint32_t m = 0; m < c; ++m) {
        ts.push_back(time);
        ids.push_back(node_ids[k]);
      }
    }
  }
  hsize_t size_ids = p.size;
  append_to(p.timestamps, H5T_NATIVE_DOUBLE, ts.data(), ts.size(), p.size, impl_->path);
  append_to(p.node_ids, H5T_NATIVE_UINT64, ids.data(), ids.size(), size_ids, impl_->path);
  spikes_ += ts.size();
}

void SonataWriter::set_attribute(const std::string& name, const std::string& value) {
  if (impl_->file < 0) throw Error("'" + impl_->path + "': attribute after commit");
  string_attribute(impl_->file, name, value, impl_->path);
}

void SonataWriter::commit() {
  if (impl_->file < 0) throw Error("'" + impl_->path + "': committed twice");
  const herr_t f = H5Fflush(impl_->file, H5F_SCOPE_GLOBAL);
  impl_->close();
  if (f < 0 || std::rename(impl_->tmp.c_str(), impl_->path.c_str()) != 0) {
    std::remove(impl_->tmp.c_str());
    throw Error("cannot write '" + impl_->path + "'");
  }
}

void read_sonata_population(const std::string& path, const std::string& population, std::vector<double>* timestamps,
                            std::vector<std::uint64_t>* node_ids) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) throw Error(path + ": cannot open as HDF5");
  const std::string base = "/spikes/" + population + "/";
  for (int which = 0; which < 2; ++which) {
    const std::string name = base + (which == 0 ? "timestamps" : "node_ids");
    const hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
    if (d < 0) {
      H5Fclose(file);
      throw Error(path + ": no dataset " + name);
    }
    const hid_t s = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(s, &n, nullptr);
    herr_t st = 0;
    if (which == 0) {
      timestamps->resize(n);
      if (n) st = H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, timestamps->data());
    } else {
      node_ids->resize(n);
      if (n) st = H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, node_ids->data());
    }
    H5Sclose(s);
    H5Dclose(d);
    if (st < 0) {
      H5Fclose(file);
      throw Error(path + ": cannot read " + name);
    }
  }
  H5Fclose(file);
}

std::string read_sonata_attribute(const std::string& path, const std::string& name) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) throw Error(path + ": cannot open as HDF5");
  std::string out;
  bool ok = false;
  if (H5Aexists(file, name.c_str()) > 0) {
    const hid_t a = H5Aopen(file, name.c_str(), H5P_DEFAULT);
    const hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
      const hid_t mem = H5Tcopy(H5T_C_S1);
      H5Tset_size(mem, H5T_VARIABLE);
      H5Tset_cset(mem, H5T_CSET_UTF8);
      char* v = nullptr;
      if (H5Aread(a, mem, &v) >= 0 && v) {
        out = v;
        ok = true;
        const hid_t space = H5Aget_space(a);
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, &v);
        H5Sclose(space);
      }
      H5Tclose(mem);
    }
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
  }
  H5Fclose(file);
  if (!ok) throw Error(path + ": no string attribute '" + name + "' (expected a SONATA spike file written by cascade)");
  return out;
}

}  // namespace cascade

#include "output_set.hpp"

#include "text_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cascade/build_info.hpp"
#include "cascade/config.hpp"
#include "cascade/error.hpp"

namespace fs = std::filesystem;

namespace cascade::run {

OutputSet::OutputSet(const SimulationPlan& plan) : plan_(plan) {
  Communicator* comm = plan.options.communicator.get();
  if (!comm || comm->size() == 1) return;
  comm_ = comm;
  root_ = comm->rank() == 0;
  parallel_ = plan.h5_outputs.empty();  // SONATA's writer takes every row on rank 0
}
OutputSet::~OutputSet() = default;

void OutputSet::check_disk() const {
  for (const auto& o : plan_.npy_outputs) {
    const double bytes = static_cast<double>(plan_.options.replicas) * static_cast<double>(plan_.recorded_neurons()) *
                         static_cast<double>(plan_.window()) * static_cast<double>(record_dtype_size(plan_.dtype));
    std::error_code ec;
    const auto dir = fs::absolute(o).parent_path();
    const auto space = fs::space(dir, ec);
    if (!ec && bytes > static_cast<double>(space.available)) {
      std::ostringstream os;
      os.precision(3);
      os << "--output '" << o << "': the dense recording [" << plan_.options.replicas << ", "
         << plan_.recorded_neurons() << ", " << plan_.window() << "] as " << record_dtype_name(plan_.dtype)
         << " needs " << bytes / 1073741824.0 << " GiB but only " << static_cast<double>(space.available) / 1073741824.0
         << " GiB are free in '" << dir.string()
         << "'; record fewer steps, replicas or networks, a 1-byte dtype, or SONATA (.h5) spikes";
      throw Error(os.str());
    }
  }
}

BatchRows OutputSet::rows_of(std::size_t first, std::size_t count) const {
  BatchRows b;
  b.first = first;
  b.count = count;
  const auto& fn = plan_.first_neuron;
  std::vector<std::size_t> local_first(count + 1, 0);
  for (std::size_t k = 0; k < count; ++k) local_first[k + 1] = local_first[k] + (fn[first + k + 1] - fn[first + k]);
  // The batch's recorded neurons (batch-global) and their first output row.
  const std::size_t b0 = fn[first], b1 = fn[first + count];
  b.out_row = b0;
  const auto& sel = plan_.neurons;
  if (!sel.empty()) {
    const auto lo = std::lower_bound(sel.begin(), sel.end(), b0);
    const auto hi = std::lower_bound(sel.begin(), sel.end(), b1);
    b.out_row = static_cast<std::size_t>(lo - sel.begin());
    for (auto it = lo; it != hi; ++it) b.selection.push_back(static_cast<std::uint32_t>(*it - b0));
  }
  b.records = plan_.records() && (sel.empty() || !b.selection.empty());
  b.rows = sel.empty() ? local_first[count] : b.selection.size();
  // SONATA: per network of the batch, its recorded rows and node ids.
  b.net_rows.resize(count);
  b.net_ids.resize(count);
  for (std::size_t j = 0; j < b.rows; ++j) {
    const std::size_t g = sel.empty() ? j : b.selection[j];
    const std::size_t k =
        static_cast<std::size_t>(std::upper_bound(local_first.begin(), local_first.end(), g) - local_first.begin()) - 1;
    b.net_rows[k].push_back(j);
    b.net_ids[k].push_back(g - local_first[k]);
  }
  return b;
}

void OutputSet::open(bool resume) {
  if (open_) return;
  open_ = true;
  if (!parallel_) {
    if (root_) open_writers(resume);
    return;
  }
  // Rank 0 creates (or reopens) each file with its header on disk; then the
  // other ranks join it. Each step is agreed: a rank that cannot open a file
  // ends every rank with its message.
  std::exception_ptr failure;
  if (root_) {
    try {
      open_writers(resume);
      each_npy([](NpyFileWriter& w) { w.flush(); });
    } catch (...) {
      failure = std::current_exception();
    }
  }
  comm_->agree(failure);
  if (!root_) {
    const std::vector<std::size_t> shape{plan_.options.replicas, plan_.recorded_neurons(), plan_.window()};
    try {
      for (const auto& o : plan_.npy_outputs)
        npy_.push_back(std::make_unique<NpyFileWriter>(o, to_npy_dtype(plan_.dtype), shape, NpyFileWriter::Join{}));
      if (!plan_.input_output.empty())
        input_ = std::make_unique<NpyFileWriter>(plan_.input_output, NpyDtype::kFloat32, shape, NpyFileWriter::Join{});
      if (!plan_.rate_output.empty())
        rate_ = std::make_unique<NpyFileWriter>(plan_.rate_output, NpyDtype::kFloat32, shape, NpyFileWriter::Join{});
    } catch (...) {
      failure = std::current_exception();
    }
  }
  comm_->agree(failure);
}

void OutputSet::open_writers(bool resume) {
  const std::vector<std::size_t> shape{plan_.options.replicas, plan_.recorded_neurons(), plan_.window()};
  for (const auto& o : plan_.npy_outputs)
    npy_.push_back(std::make_unique<NpyFileWriter>(o, to_npy_dtype(plan_.dtype), shape, resume));
  if (!plan_.input_output.empty())
    input_ = std::make_unique<NpyFileWriter>(plan_.input_output, NpyDtype::kFloat32, shape, resume);
  if (!plan_.rate_output.empty())
    rate_ = std::make_unique<NpyFileWriter>(plan_.rate_output, NpyDtype::kFloat32, shape, resume);
  // SONATA populations: one per network and replica, in dataset order, for
  // the networks with a recorded neuron (an unrecorded one is no population).
  std::vector<std::pair<std::string, std::size_t>> populations;
  const auto& sel = plan_.neurons;
  population_of_.assign(plan_.network_count() * plan_.options.replicas, -1);
  for (std::size_t k = 0; k < plan_.network_count(); ++k) {
    const std::size_t b0 = plan_.first_neuron[k], b1 = plan_.first_neuron[k + 1];
    if (!sel.empty() && std::lower_bound(sel.begin(), sel.end(), b0) == std::lower_bound(sel.begin(), sel.end(), b1))
      continue;
    for (std::uint32_t r = 0; r < plan_.options.replicas; ++r) {
      population_of_[k * plan_.options.replicas + r] = static_cast<std::int64_t>(populations.size());
      populations.emplace_back("net" + std::to_string(k) + "_r" + std::to_string(plan_.options.replica_offset + r),
                               b1 - b0);
    }
  }
  for (const auto& o : plan_.h5_outputs)
    h5_.push_back(std::make_unique<SonataWriter>(
        o, populations,
        std::vector<std::pair<std::string, std::string>>{{"cascade_version", kVersion},
                                                         {"git_hash", build_info().git_hash},
                                                         {"rng_stream", kRngStreamVersion}}));
}

void OutputSet::write(const BatchRows& b, const SimulationResult& res, std::int64_t lo, std::int64_t hi,
                      std::int64_t hi_done, double dt_ms) {
  if (hi_done <= lo) return;
  if (!comm_) return write_here(b, res, lo, hi, hi_done, dt_ms);
  // Distributed: a rank that cannot write its rows (a full disk, a size
  // limit) fails every rank at once, with its message; rank 0's writers then
  // remove their partial files (unless a checkpoint names them).
  std::exception_ptr failure;
  try {
    if (root_ || parallel_) write_here(b, res, lo, hi, hi_done, dt_ms);
  } catch (...) {
    failure = std::current_exception();
  }
  comm_->agree(failure);
}

void OutputSet::write_here(const BatchRows& b, const SimulationResult& res, std::int64_t lo, std::int64_t hi,
                           std::int64_t hi_done, double dt_ms) {
  const std::size_t replicas = plan_.options.replicas, n_out = plan_.recorded_neurons(), window = plan_.window();
  // The rows this process holds, [r0, r1); raster row k is row first + k.
  const std::size_t r0 = res.rows_begin, r1 = std::min(res.rows_end, b.rows), first = res.first_row,
                    held = res.raster.neurons();
  // Rows of the result are hi - lo steps long; hi_done - lo of them were simulated.
  const std::size_t n = static_cast<std::size_t>(hi_done - lo), stride = static_cast<std::size_t>(hi - lo),
                    t_off = static_cast<std::size_t>(lo - plan_.window_begin);
  // Row j of replica r goes to output row out_row + j at time t_off; whole
  // windows make one contiguous block per replica.
  auto write_rows = [&](NpyFileWriter& w, const std::uint8_t* data, std::size_t it) {
    if (r0 >= r1) return;
    for (std::size_t r = 0; r < replicas; ++r) {
      if (n == window) {
        w.write((r * n_out + b.out_row + r0) * window * it, data + (r * held + r0 - first) * n * it, (r1 - r0) * n * it);
      } else {
        for (std::size_t j = r0; j < r1; ++j)
          w.write(((r * n_out + b.out_row + j) * window + t_off) * it, data + (r * held + j - first) * stride * it, n * it);
      }
    }
  };
  for (auto& w : npy_) write_rows(*w, res.raster.data(), record_dtype_size(plan_.dtype));
  if (input_) write_rows(*input_, reinterpret_cast<const std::uint8_t*>(res.input.data()), 4);
  if (rate_) write_rows(*rate_, reinterpret_cast<const std::uint8_t*>(res.rate.data()), 4);
  for (auto& w : h5_)
    for (std::size_t k = 0; k < b.count; ++k)
      for (std::uint32_t r = 0; r < replicas; ++r)
        if (const std::int64_t pop = population_of_[(b.first + k) * replicas + r]; pop >= 0)
          w->append_rows(static_cast<std::size_t>(pop), res.raster, r, b.net_rows[k], b.net_ids[k], lo, dt_ms);
}

void OutputSet::flush() {
  if (!parallel_) return each_npy([](NpyFileWriter& w) { w.flush(); });
  std::exception_ptr failure;
  try {
    each_npy([](NpyFileWriter& w) { w.flush(); });
  } catch (...) {
    failure = std::current_exception();
  }
  comm_->agree(failure);  // every rank's rows are on disk before a checkpoint names the files
}

void OutputSet::keep() {
  each_npy([](NpyFileWriter& w) { w.keep(); });
}

void OutputSet::keep_on_failure() {
  each_npy([](NpyFileWriter& w) { w.keep_on_failure(); });
}

void OutputSet::commit(const std::string& provenance) {
  if (parallel_) {  // every rank's rows on disk and its file closed before rank 0 renames
    std::exception_ptr failure;
    if (!root_) {
      try {
        each_npy([](NpyFileWriter& w) { w.close(); });
      } catch (...) {
        failure = std::current_exception();
      }
    }
    comm_->agree(failure);
  }
  if (!root_) return;
  // The sidecars are written first (under .tmp names), so that a failure to
  // write one leaves no output under its final name without its provenance.
  try {
    for (const auto& o : plan_.npy_outputs) stage_text_file(o + ".json", provenance);
  } catch (...) {
    for (const auto& o : plan_.npy_outputs) discard_text_file(o + ".json");
    throw;
  }
  for (auto& w : npy_) w->commit();
  if (input_) input_->commit();
  if (rate_) rate_->commit();
  for (const auto& o : plan_.npy_outputs) commit_text_file(o + ".json");
  for (auto& w : h5_) {
    w->set_attribute("provenance", provenance);
    w->commit();
  }
}

std::vector<std::string> OutputSet::written() const {
  std::vector<std::string> out = plan_.npy_outputs;
  out.insert(out.end(), plan_.h5_outputs.begin(), plan_.h5_outputs.end());
  if (!plan_.input_output.empty()) out.push_back(plan_.input_output);
  if (!plan_.rate_output.empty()) out.push_back(plan_.rate_output);
  return out;
}

}  // namespace cascade::run

namespace cascade::run {
std::vector<std::string> OutputSet::partial_files() const {
  std::vector<std::string> out;
  for (const auto& o : plan_.npy_outputs) out.push_back(o + ".tmp");
  if (!plan_.input_output.empty()) out.push_back(plan_.input_output + ".tmp");
  if (!plan_.rate_output.empty()) out.push_back(plan_.rate_output + ".tmp");
  return out;
}
}  // namespace cascade::run

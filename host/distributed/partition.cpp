// The partition of a distributed run and its per-step exchange
// (extend/partition.hpp, docs/distributed.md).
#include "cascade/extend/partition.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "cascade/error.hpp"

namespace cascade::engine {

namespace {

std::size_t total_neurons(const Networks& nets) {
  std::size_t n = 0;
  for (const auto& net : nets) n += net->n_neurons();
  return n;
}

void check_bounds(const std::vector<std::size_t>& b, int ranks, std::size_t total) {
  bool ok = b.size() == static_cast<std::size_t>(ranks) + 1 && b.front() == 0 && b.back() == total;
  for (std::size_t k = 1; ok && k < b.size(); ++k) ok = b[k - 1] <= b[k];
  if (!ok)
    throw Error("partition: expected " + std::to_string(ranks + 1) + " ascending boundaries from 0 to the batch's " +
                std::to_string(total) + " neurons (one part per rank), got " + std::to_string(b.size()));
}

}  // namespace

std::vector<std::size_t> even_bounds(std::size_t total, int ranks) {
  std::vector<std::size_t> b(static_cast<std::size_t>(ranks) + 1);
  for (int r = 0; r <= ranks; ++r)
    b[static_cast<std::size_t>(r)] = static_cast<std::size_t>(
        static_cast<unsigned __int128>(total) * static_cast<unsigned>(r) / static_cast<unsigned>(ranks));
  return b;
}

std::vector<std::size_t> balanced_bounds(const Networks& nets, int ranks) {
  const std::size_t total = total_neurons(nets);
  // cost of a neuron = its in-synapses (the scatter into it) + 1 (its update)
  std::vector<std::uint64_t> prefix(total + 1, 0);
  std::size_t off = 0;
  for (const auto& net : nets) {
    if (net->is_part())
      throw Error("partition: network '" + net->label() + "' is already a part; give the partition's boundaries");
    for (std::int32_t i : net->post()) ++prefix[off + static_cast<std::size_t>(i) + 1];
    off += net->n_neurons();
  }
  for (std::size_t g = 0; g < total; ++g) prefix[g + 1] += prefix[g] + 1;
  const std::uint64_t cost = prefix[total];
  std::vector<std::size_t> b(static_cast<std::size_t>(ranks) + 1, total);
  b[0] = 0;
  for (int r = 1; r < ranks; ++r) {
    const std::uint64_t want = static_cast<std::uint64_t>(static_cast<unsigned __int128>(cost) * static_cast<unsigned>(r) /
                                                          static_cast<unsigned>(ranks));
    // the first boundary whose prefix reaches the share (ties: the earlier neuron)
    b[static_cast<std::size_t>(r)] =
        static_cast<std::size_t>(std::lower_bound(prefix.begin(), prefix.end(), want) - prefix.begin());
    b[static_cast<std::size_t>(r)] = std::max(b[static_cast<std::size_t>(r)], b[static_cast<std::size_t>(r) - 1]);
  }
  return b;
}

Partition distribute(Networks& nets, SimulatorOptions& opt) {
  Partition p;
  const std::size_t total = total_neurons(nets);
  const int ranks = ranks_of(opt.communicator.get());
  bool parts = false;
  for (const auto& n : nets) parts = parts || n->is_part();
  if (ranks == 1 && opt.partition.empty() && !parts) {
    p.bounds = {0, total};
    return p;
  }
  p.rank = rank_of(opt.communicator.get());
  if (opt.partition.empty())
    opt.partition = ranks == 1 ? std::vector<std::size_t>{0, total} : balanced_bounds(nets, ranks);
  check_bounds(opt.partition, ranks, total);
  p.bounds = opt.partition;
  std::size_t off = 0;
  for (auto& net : nets) {
    const std::size_t N = net->n_neurons();
    const std::size_t lo = std::clamp(p.lo(), off, off + N) - off, hi = std::clamp(p.hi(), off, off + N) - off;
    if (net->is_part()) {
      if (net->part_lo() != lo || net->part_hi() != hi)
        throw Error("partition: network '" + net->label() + "' is the part [" + std::to_string(net->part_lo()) + ", " +
                    std::to_string(net->part_hi()) + ") but rank " + std::to_string(p.rank) + " owns its neurons [" +
                    std::to_string(lo) + ", " + std::to_string(hi) + ")");
    } else {
      net = std::make_shared<const Network>(net->part(lo, hi));
    }
    off += N;
  }
  return p;
}

StepFlags SpikeExchange::exchange(const StepFlags& mine) {
  const auto t0 = std::chrono::steady_clock::now();
  struct Header {
    std::uint64_t spikes, bad_slot;
    double bad_g, bad_rate;
    std::uint64_t failure_bytes;
    std::uint32_t stop, failed;
  };
  const int K = comm_->size();
  Header h{out_.size(), mine.bad_slot, mine.bad_g, mine.bad_rate, mine.failure.size(), mine.stop ? 1u : 0u,
           mine.failed_rank >= 0 ? 1u : 0u};
  std::vector<Header> all(static_cast<std::size_t>(K));
  comm_->allgather(&h, sizeof h, all.data());
  offset_.assign(static_cast<std::size_t>(K) + 1, 0);
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(K));
  StepFlags merged;
  std::uint64_t failure_total = 0;
  for (int r = 0; r < K; ++r) {
    const Header& x = all[static_cast<std::size_t>(r)];
    offset_[static_cast<std::size_t>(r) + 1] = offset_[static_cast<std::size_t>(r)] + x.spikes;
    counts[static_cast<std::size_t>(r)] = x.spikes * sizeof(std::uint64_t);
    merged.stop = merged.stop || x.stop;
    if (x.bad_slot < merged.bad_slot) {
      merged.bad_slot = x.bad_slot;
      merged.bad_g = x.bad_g;
      merged.bad_rate = x.bad_rate;
    }
    if (x.failed && merged.failed_rank < 0) merged.failed_rank = r;
    failure_total += x.failure_bytes;
  }
  in_.resize(offset_.back());
  if (!in_.empty()) comm_->allgatherv(out_.data(), out_.size() * sizeof(std::uint64_t), in_.data(), counts);
  bytes_ += sizeof(Header) * static_cast<std::uint64_t>(K) + (out_.size() + in_.size()) * sizeof(std::uint64_t);
  if (merged.failed_rank >= 0) {
    std::vector<std::uint64_t> lens(static_cast<std::size_t>(K));
    for (int r = 0; r < K; ++r) lens[static_cast<std::size_t>(r)] = all[static_cast<std::size_t>(r)].failure_bytes;
    std::string text(failure_total, '\0');
    if (failure_total) comm_->allgatherv(mine.failure.data(), mine.failure.size(), text.data(), lens);
    std::size_t at = 0;
    for (int r = 0; r < merged.failed_rank; ++r) at += lens[static_cast<std::size_t>(r)];
    merged.failure = text.substr(at, lens[static_cast<std::size_t>(merged.failed_rank)]);
  }
  out_.clear();
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return merged;
}

void allgather_owned(Communicator& comm, const Partition& p, std::size_t total, std::size_t replicas,
                     std::size_t per_slot, std::size_t elem, void* data) {
  auto* a = static_cast<std::uint8_t*>(data);
  const std::size_t slots = replicas * total;
  const int K = p.ranks();
  auto chunk = [&](int r) { return (p.hi_of(r) - p.lo_of(r)) * elem; };
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(K));
  std::uint64_t sum = 0;
  for (int r = 0; r < K; ++r) sum += counts[static_cast<std::size_t>(r)] = chunk(r) * per_slot * replicas;
  std::vector<std::uint8_t> send(counts[static_cast<std::size_t>(p.rank)]), recv(sum);
  auto each = [&](int r, auto&& f) {  // f(offset in a, bytes) over rank r's runs, in send order
    for (std::size_t lag = 0; lag < per_slot; ++lag)
      for (std::size_t rep = 0; rep < replicas; ++rep) f(((lag * slots) + rep * total + p.lo_of(r)) * elem, chunk(r));
  };
  std::size_t at = 0;
  each(p.rank, [&](std::size_t off, std::size_t n) {
    std::memcpy(send.data() + at, a + off, n);
    at += n;
  });
  comm.allgatherv(send.data(), send.size(), recv.data(), counts);
  at = 0;
  for (int r = 0; r < K; ++r)
    each(r, [&](std::size_t off, std::size_t n) {
      std::memcpy(a + off, recv.data() + at, n);
      at += n;
    });
}

void gather_rows_to_root(Communicator& comm, std::span<const std::size_t> row_bounds, std::size_t replicas,
                         std::size_t rows, std::size_t row_bytes, std::uint8_t* data) {
  const int K = comm.size(), me = comm.rank();
  auto mine = [&](int r) { return (row_bounds[static_cast<std::size_t>(r) + 1] - row_bounds[static_cast<std::size_t>(r)]) * row_bytes; };
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(K));
  std::uint64_t sum = 0;
  for (int r = 0; r < K; ++r) sum += counts[static_cast<std::size_t>(r)] = mine(r) * replicas;
  std::vector<std::uint8_t> send(counts[static_cast<std::size_t>(me)]);
  for (std::size_t rep = 0; rep < replicas; ++rep)
    std::memcpy(send.data() + rep * mine(me), data + (rep * rows + row_bounds[static_cast<std::size_t>(me)]) * row_bytes,
                mine(me));
  std::vector<std::uint8_t> recv(me == 0 ? sum : 0);
  comm.gatherv(send.data(), send.size(), recv.data(), counts, 0);
  if (me != 0) return;
  std::size_t at = 0;
  for (int r = 0; r < K; ++r)
    for (std::size_t rep = 0; rep < replicas; ++rep) {
      std::memcpy(data + (rep * rows + row_bounds[static_cast<std::size_t>(r)]) * row_bytes, recv.data() + at, mine(r));
      at += mine(r);
    }
}

std::vector<std::size_t> recorded_row_bounds(const Partition& p, const std::int32_t* index, std::size_t recorded) {
  std::vector<std::size_t> b(p.bounds.size());
  if (!index) {
    for (std::size_t r = 0; r < b.size(); ++r) b[r] = std::min(p.bounds[r], recorded);
    return b;
  }
  // index is ascending over the recorded neurons: rank r's first row is the
  // number of recorded neurons below its first neuron.
  std::size_t k = 0, g = 0;
  for (std::size_t r = 0; r < b.size(); ++r) {
    for (; g < p.bounds[r]; ++g)
      if (index[g] >= 0) ++k;
    b[r] = k;
  }
  return b;
}

}  // namespace cascade::engine

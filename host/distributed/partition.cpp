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
  const std::string want = "partition: expected " + std::to_string(ranks + 1) +
                           " ascending boundaries from 0 to the batch's " + std::to_string(total) +
                           " neurons (one part per rank)";
  if (b.size() != static_cast<std::size_t>(ranks) + 1) throw Error(want + ", got " + std::to_string(b.size()));
  if (b.front() != 0 || b.back() != total)
    throw Error(want + ", got boundaries from " + std::to_string(b.front()) + " to " + std::to_string(b.back()));
  for (std::size_t k = 1; k < b.size(); ++k)
    if (b[k - 1] > b[k])
      throw Error(want + ", got " + std::to_string(b[k - 1]) + " before " + std::to_string(b[k]));
}

/// Every rank must simulate the same batch with the same options: a digest
/// of what each rank was given, compared (collective; the same error on
/// every rank). Differences would give other spikes, or hang.
void check_same_batch(const Networks& nets, const SimulatorOptions& opt, Communicator& comm) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::uint64_t v) {
    for (int k = 0; k < 8; ++k) h = (h ^ ((v >> (8 * k)) & 0xFF)) * 1099511628211ull;
  };
  for (std::size_t b : opt.partition) mix(b);
  for (const auto& n : nets) {
    mix(n->n_neurons()), mix(n->instance_id()), mix(n->whole_synapses()), mix(n->filter_length());
    mix(static_cast<std::uint64_t>(static_cast<std::int64_t>(n->scale_exponent())));
  }
  mix(opt.replicas), mix(opt.replica_offset), mix(opt.seed), mix(opt.first_step);
  const std::vector<std::uint64_t> all = comm.gather_sizes(h);
  for (std::size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw Error("distributed run: rank " + std::to_string(r) + " was given other networks or options than rank 0 "
                  "(neuron counts, instance ids, synapse counts, weight scales, replicas, seed, first step or "
                  "partition differ); every rank must build the same simulator");
}

}  // namespace

std::vector<std::size_t> even_bounds(std::size_t total, int ranks) {
  std::vector<std::size_t> b(static_cast<std::size_t>(ranks) + 1);
  for (int r = 0; r <= ranks; ++r)
    b[static_cast<std::size_t>(r)] = static_cast<std::size_t>(
        static_cast<unsigned __int128>(total) * static_cast<unsigned>(r) / static_cast<unsigned>(ranks));
  return b;
}

namespace {
/// Boundaries where the prefix of the per-neuron cost reaches each rank's share.
std::vector<std::size_t> bounds_of_prefix(const std::vector<std::uint64_t>& prefix, int ranks) {
  const std::size_t total = prefix.size() - 1;
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
}  // namespace

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
  return bounds_of_prefix(prefix, ranks);
}

std::vector<std::size_t> balanced_bounds(std::span<const std::uint32_t> in_degrees, int ranks) {
  std::vector<std::uint64_t> prefix(in_degrees.size() + 1, 0);
  for (std::size_t g = 0; g < in_degrees.size(); ++g) prefix[g + 1] = prefix[g] + in_degrees[g] + 1;
  return bounds_of_prefix(prefix, ranks);
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
  if (ranks > 1) check_same_batch(nets, opt, *opt.communicator);
  return p;
}

StepFlags SpikeExchange::exchange(const StepFlags& mine, std::uint64_t step) {
  const auto t0 = std::chrono::steady_clock::now();

  const int K = comm_->size();
  Header h{step, out_.size(), mine.bad_slot, mine.bad_g, mine.bad_rate, mine.failure.size(), mine.stop ? 1u : 0u,
           mine.failed_rank >= 0 ? 1u : 0u};
  headers_.resize(static_cast<std::size_t>(K));  // kept between steps: no allocation per step
  comm_->allgather(&h, sizeof h, headers_.data());
  const std::vector<Header>& all = headers_;
  offset_.assign(static_cast<std::size_t>(K) + 1, 0);
  std::vector<std::uint64_t>& counts = counts_;
  counts.resize(static_cast<std::size_t>(K));
  StepFlags merged;
  std::uint64_t failure_total = 0;
  for (int r = 0; r < K; ++r)
    if (all[static_cast<std::size_t>(r)].step != step)
      throw Error("distributed run: rank " + std::to_string(r) + " is at step " +
                  std::to_string(all[static_cast<std::size_t>(r)].step) + " while rank " + std::to_string(comm_->rank()) +
                  " is at step " + std::to_string(step) + ": every rank must make the same calls with the same options");
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
  for (int r = 0; r < K; ++r) sum += counts[static_cast<std::size_t>(r)] = chunk(r) * replicas;
  std::vector<std::uint8_t> send(counts[static_cast<std::size_t>(p.rank)]), recv(sum);
  // One collective per history row ([lag][slot]): a call carries one row of
  // the array (slots * elem bytes), whatever the history's length.
  for (std::size_t lag = 0; lag < per_slot; ++lag) {
    std::uint8_t* row = a + lag * slots * elem;
    for (std::size_t rep = 0; rep < replicas; ++rep)
      std::memcpy(send.data() + rep * chunk(p.rank), row + (rep * total + p.lo()) * elem, chunk(p.rank));
    comm.allgatherv(send.data(), send.size(), recv.data(), counts);
    std::size_t at = 0;
    for (int r = 0; r < K; ++r)
      for (std::size_t rep = 0; rep < replicas; ++rep) {
        std::memcpy(row + (rep * total + p.lo_of(r)) * elem, recv.data() + at, chunk(r));
        at += chunk(r);
      }
  }
}

void gather_rows_to_root(Communicator& comm, std::span<const std::size_t> row_bounds, std::size_t replicas,
                         std::size_t rows, std::size_t row_bytes, std::uint8_t* data) {
  const int K = comm.size(), me = comm.rank();
  if (row_bytes == 0) return;
  auto rows_of = [&](int r) { return row_bounds[static_cast<std::size_t>(r) + 1] - row_bounds[static_cast<std::size_t>(r)]; };
  std::size_t most = 0;
  for (int r = 0; r < K; ++r) most = std::max(most, rows_of(r));
  // Rounds of at most 1 GiB a call (MPI counts are int): each rank sends up
  // to `per_round` of its rows, straight from the recording.
  const std::size_t per_round = std::max<std::size_t>(1, (std::size_t{1} << 30) / (static_cast<std::size_t>(K) * row_bytes));
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(K));
  std::vector<std::uint8_t> recv;
  for (std::size_t rep = 0; rep < replicas; ++rep)
    for (std::size_t start = 0; start < most; start += per_round) {
      std::uint64_t sum = 0;
      for (int r = 0; r < K; ++r) {
        const std::size_t n = rows_of(r) > start ? std::min(per_round, rows_of(r) - start) : 0;
        sum += counts[static_cast<std::size_t>(r)] = n * row_bytes;
      }
      const std::uint8_t* send = data + (rep * rows + row_bounds[static_cast<std::size_t>(me)] + start) * row_bytes;
      if (me == 0) recv.resize(sum);
      comm.gatherv(counts[static_cast<std::size_t>(me)] ? send : data, counts[static_cast<std::size_t>(me)], recv.data(),
                   counts, 0);
      if (me != 0) continue;
      std::size_t at = counts[0];  // rank 0's rows are already in place
      for (int r = 1; r < K; ++r) {
        std::memcpy(data + (rep * rows + row_bounds[static_cast<std::size_t>(r)] + start) * row_bytes, recv.data() + at,
                    counts[static_cast<std::size_t>(r)]);
        at += counts[static_cast<std::size_t>(r)];
      }
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

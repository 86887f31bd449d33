// Distributed runs (docs/distributed.md): how the batch is split over the
// ranks of a communicator, and the per-step exchange of spikes. A rank owns
// one contiguous range of the batch's global neurons, for every replica, and
// keeps only the synapses onto them (Network::part). Random draws are keyed
// by global ids and drives are exact integer sums, so the spikes are the
// single-process run's for any number of ranks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cascade/communicator.hpp"
#include "cascade/engine/engine.hpp"
#include "cascade/network.hpp"

namespace cascade::engine {

using Networks = std::vector<std::shared_ptr<const Network>>;

/// The batch's global neurons [0, total) cut into ranks() contiguous parts.
struct Partition {
  int rank = 0;
  std::vector<std::size_t> bounds{0, 0};  // ranks() + 1 ascending boundaries, bounds.back() = total neurons
  int ranks() const { return static_cast<int>(bounds.size()) - 1; }
  std::size_t lo() const { return bounds[static_cast<std::size_t>(rank)]; }
  std::size_t hi() const { return bounds[static_cast<std::size_t>(rank) + 1]; }
  std::size_t lo_of(int r) const { return bounds[static_cast<std::size_t>(r)]; }
  std::size_t hi_of(int r) const { return bounds[static_cast<std::size_t>(r) + 1]; }
  bool distributed() const { return ranks() > 1; }
};

/// Boundaries balanced by cost: the neurons' in-synapses plus one each (the
/// update), from whole networks. Deterministic: every rank computes the same.
std::vector<std::size_t> balanced_bounds(const Networks& nets, int ranks);
/// The same balance from each neuron's in-synapses (the batch's neurons in
/// order; networks streamed per rank count them in a first pass).
std::vector<std::size_t> balanced_bounds(std::span<const std::uint32_t> in_degrees, int ranks);
/// Boundaries by neuron count alone (networks generated per part, whose
/// in-degrees are not known before they are made).
std::vector<std::size_t> even_bounds(std::size_t total_neurons, int ranks);

/// The run's partition for `opt.communicator` (one part without one), and
/// `nets` replaced by this rank's parts (whole networks are cut; parts must
/// be the partition's). `opt.partition`, when given, fixes the boundaries;
/// else they are balanced by synapses and written into `opt.partition`.
Partition distribute(Networks& nets, SimulatorOptions& opt);

/// One spike in the exchange: the unit (replica x network), its neuron, its count.
inline std::uint64_t pack_spike(std::uint32_t unit, std::int32_t neuron, std::uint32_t count) {
  return (static_cast<std::uint64_t>(count) << 56) | (static_cast<std::uint64_t>(unit) << 32) |
         static_cast<std::uint32_t>(neuron);
}
inline std::uint32_t spike_unit(std::uint64_t s) { return static_cast<std::uint32_t>((s >> 32) & 0xFFFFFFu); }
inline std::int32_t spike_neuron(std::uint64_t s) { return static_cast<std::int32_t>(s & 0xFFFFFFFFu); }
inline std::uint8_t spike_count(std::uint64_t s) { return static_cast<std::uint8_t>(s >> 56); }
/// Units a packed spike can name.
inline constexpr std::size_t kMaxExchangeUnits = std::size_t{1} << 24;

/// What every rank learns after a step besides the spikes.
struct StepFlags {
  bool stop = false;                    // a stop request on any rank
  std::uint64_t bad_slot = UINT64_MAX;  // the lowest slot with a non-finite rate
  double bad_g = 0, bad_rate = 0;
  int failed_rank = -1;                 // the lowest rank whose step threw
  std::string failure;                  // its message
};

/// The per-step exchange of spike lists and flags (allgather of a fixed
/// 56-byte header, then allgatherv of the spikes: O(spikes) bytes, never
/// O(neurons)).
class SpikeExchange {
 public:
  explicit SpikeExchange(std::shared_ptr<Communicator> comm) : comm_(std::move(comm)) {}
  /// This rank's spikes of the step just done; cleared by exchange().
  std::vector<std::uint64_t>& outbox() { return out_; }
  /// Collective: every rank's spikes (rank order) and the merged flags;
  /// `step` (the step just done) must be the same on every rank.
  StepFlags exchange(const StepFlags& mine, std::uint64_t step);
  /// After exchange(): the spikes rank r sent.
  std::span<const std::uint64_t> from(int r) const {
    return {in_.data() + offset_[static_cast<std::size_t>(r)],
            offset_[static_cast<std::size_t>(r) + 1] - offset_[static_cast<std::size_t>(r)]};
  }
  double seconds() const { return seconds_; }
  std::uint64_t bytes() const { return bytes_; }  // sent and received by this rank
  void reset_stats() { seconds_ = 0, bytes_ = 0; }
  Communicator& comm() { return *comm_; }

 private:
  struct Header {  // what each rank says after a step (56 bytes)
    std::uint64_t step;  // the step just done: ranks making different calls are caught, not mismatched
    std::uint64_t spikes, bad_slot;
    double bad_g, bad_rate;
    std::uint64_t failure_bytes;
    std::uint32_t stop, failed;
  };
  std::shared_ptr<Communicator> comm_;
  std::vector<std::uint64_t> out_, in_, counts_;
  std::vector<std::size_t> offset_;
  std::vector<Header> headers_;
  double seconds_ = 0;
  std::uint64_t bytes_ = 0;
};

/// Collective: the values of every rank's own slots into `a` on every rank.
/// `a` holds `per_slot` rows of `slots` values ([lag][slot]); slot =
/// replica * total + global neuron; rank r owns neurons [lo_of(r), hi_of(r)).
void allgather_owned(Communicator& comm, const Partition& p, std::size_t total, std::size_t replicas,
                     std::size_t per_slot, std::size_t elem_bytes, void* a);
template <class T>
void allgather_owned(Communicator& comm, const Partition& p, std::size_t total, std::size_t replicas,
                     std::size_t per_slot, std::vector<T>& a) {
  if (!a.empty()) allgather_owned(comm, p, total, replicas, per_slot, sizeof(T), a.data());
}

/// Collective: a recording's rows to rank 0. `data` is [replicas][rows][row
/// elements]; rank r recorded the rows [row_bounds[r], row_bounds[r + 1]).
void gather_rows_to_root(Communicator& comm, std::span<const std::size_t> row_bounds, std::size_t replicas,
                         std::size_t rows, std::size_t row_bytes, std::uint8_t* data);

/// The recorded rows each rank holds: recorded index k of global neuron g is
/// index[g] (null: k = g); rank r holds the ks of its neurons.
std::vector<std::size_t> recorded_row_bounds(const Partition& p, const std::int32_t* index, std::size_t recorded);

}  // namespace cascade::engine

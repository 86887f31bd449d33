// The partition of a distributed run (extend/partition.hpp), without MPI:
// boundaries balanced by synapses, even boundaries, the parts each rank
// keeps, the recorded rows each rank holds, the exchange's packing.
#include <gtest/gtest.h>

#include "cascade/extend/partition.hpp"
#include "test_util.hpp"

using namespace cascade;
using namespace cascade::engine;

namespace {
std::shared_ptr<const Network> chain(std::size_t n, std::uint32_t id) {
  // neuron i receives i synapses (from 0..i-1): cost(i) = i + 1
  std::vector<std::int64_t> pre, post;
  std::vector<double> w;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j) pre.push_back(static_cast<std::int64_t>(j)), post.push_back(static_cast<std::int64_t>(i)), w.push_back(1);
  return std::make_shared<const Network>(Network::from_edges(n, pre, post, w, id));
}
}  // namespace

TEST(Partition, BoundsBalanceSynapsesPlusOneAneuron) {
  // costs 1..8 (sum 36): halves at the first prefix >= 18: 1+..+6 = 21 > 18 >= 1+..+5 = 15 -> boundary 6
  const Networks nets = {chain(8, 0)};
  EXPECT_EQ(balanced_bounds(nets, 1), (std::vector<std::size_t>{0, 8}));
  EXPECT_EQ(balanced_bounds(nets, 2), (std::vector<std::size_t>{0, 6, 8}));
  // more ranks than neurons: some parts are empty, none reversed
  const auto b = balanced_bounds({chain(2, 0)}, 5);
  ASSERT_EQ(b.size(), 6u);
  for (std::size_t k = 1; k < b.size(); ++k) EXPECT_LE(b[k - 1], b[k]);
  EXPECT_EQ(b.back(), 2u);
  EXPECT_EQ(even_bounds(10, 3), (std::vector<std::size_t>{0, 3, 6, 10}));
  // From in-degrees (files streamed per rank): the same boundaries.
  std::vector<std::uint32_t> in(8);
  for (std::uint32_t i = 0; i < 8; ++i) in[i] = i;  // chain(8): neuron i takes i synapses
  EXPECT_EQ(balanced_bounds(std::span<const std::uint32_t>(in), 2), (std::vector<std::size_t>{0, 6, 8}));
  EXPECT_EQ(balanced_bounds(std::span<const std::uint32_t>(in), 3), balanced_bounds(nets, 3));
}

TEST(Partition, DistributeCutsEveryNetworkOfTheBatchAtTheRanksBoundaries) {
  Networks nets = {chain(5, 0), chain(4, 1)};  // global neurons 0-4 and 5-8
  SimulatorOptions opt;
  opt.partition = {0, 3, 7, 9};
  // one process with explicit boundaries for 3 ranks: refused (one part per rank)
  Networks copy = nets;
  EXPECT_ERROR_HAS(distribute(copy, opt), "expected 2 ascending boundaries");
  // a whole network and no communicator: nothing to cut
  Networks whole = nets;
  SimulatorOptions plain;
  EXPECT_EQ(distribute(whole, plain).ranks(), 1);
  EXPECT_FALSE(whole[0]->is_part());
}

TEST(Partition, RecordedRowsOfEachRank) {
  Partition p;
  p.bounds = {0, 4, 4, 10};
  EXPECT_EQ(recorded_row_bounds(p, nullptr, 10), (std::vector<std::size_t>{0, 4, 4, 10}));
  // recorded neurons 1, 3, 4, 8 -> rows 0..3
  const std::int32_t index[10] = {-1, 0, -1, 1, 2, -1, -1, -1, 3, -1};
  EXPECT_EQ(recorded_row_bounds(p, index, 4), (std::vector<std::size_t>{0, 2, 2, 4}));
}

TEST(Partition, PackedSpikesReadBack) {
  const std::uint64_t s = pack_spike(0xABCDEF, 2147483647, 255);
  EXPECT_EQ(spike_unit(s), 0xABCDEFu);
  EXPECT_EQ(spike_neuron(s), 2147483647);
  EXPECT_EQ(spike_count(s), 255);
  const std::uint64_t z = pack_spike(0, 0, 1);
  EXPECT_EQ(spike_unit(z), 0u);
  EXPECT_EQ(spike_neuron(z), 0);
  EXPECT_EQ(spike_count(z), 1);
}

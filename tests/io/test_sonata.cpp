// SONATA spike output: layout, contents against the raster, ordering,
// atomic commit, and the command line's .h5 output and chunked streaming.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>

#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

fs::path temp_dir(const char* what) {
  const fs::path d = fs::temp_directory_path() / (std::string(what) + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

int run_cli(const std::string& args) {
  const std::string cmd = std::string(CASCADE_CLI_PATH) + " " + args + " > /dev/null 2>&1";
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

TEST(Sonata, WritesEverySpikeOfTheRasterSortedByTime) {
  const fs::path dir = temp_dir("cascade_sonata_");
  Raster r(RecordDtype::kInt32, 2, 5, 4);  // [replicas, neurons, steps]
  r.set(0, 1, 0, 1);
  r.set(0, 4, 0, 2);  // a count of 2: two entries
  r.set(0, 2, 3, 1);
  r.set(1, 3, 1, 1);
  const std::string path = (dir / "s.h5").string();
  {
    SonataWriter w(path, {{"a_r0", 3}, {"b_r0", 2}, {"a_r1", 3}}, {{"note", "test"}});
    EXPECT_FALSE(fs::exists(path));  // not before commit
    w.append(0, r, 0, 0, 3, 10, 0.5);  // network a = rows 0..2
    w.append(1, r, 0, 3, 2, 10, 0.5);  // network b = rows 3..4
    w.append(2, r, 1, 0, 3, 10, 0.5);
    EXPECT_ERROR_HAS(w.append(0, r, 0, 0, 2, 0, 1.0), "population 0 has 3 neurons, not 2");
    w.commit();
    EXPECT_EQ(w.spikes_written(), 4u);
  }
  std::vector<double> ts;
  std::vector<std::uint64_t> ids;
  read_sonata_population(path, "a_r0", &ts, &ids);
  EXPECT_EQ(ts, (std::vector<double>{5.0, 6.5}));  // (10 + t) * 0.5 ms
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2}));
  read_sonata_population(path, "b_r0", &ts, &ids);
  EXPECT_EQ(ts, (std::vector<double>{5.0, 5.0}));
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 1}));  // row 4 is node 1 of b, twice
  read_sonata_population(path, "a_r1", &ts, &ids);
  EXPECT_TRUE(ts.empty());
  EXPECT_ERROR_HAS(read_sonata_population(path, "zzz", &ts, &ids), "no dataset /spikes/zzz/timestamps");
  // Not committed: nothing left behind.
  {
    SonataWriter w((dir / "u.h5").string(), {{"p", 1}});
  }
  EXPECT_FALSE(fs::exists(dir / "u.h5"));
  EXPECT_FALSE(fs::exists(dir / "u.h5.tmp"));
  EXPECT_ERROR_HAS(SonataWriter((dir / "x.h5").string(), {{"a/b", 1}}), "must be non-empty and without '/'");
  EXPECT_ERROR_HAS(SonataWriter((dir / "no" / "x.h5").string(), {{"a", 1}}), "cannot write");
  fs::remove_all(dir);
}

TEST(Sonata, CommandLineH5MatchesTheDenseOutputAndChunkingChangesNothing) {
  const fs::path dir = temp_dir("cascade_sonata_cli_");
  const auto p = [&](const char* n) { return (dir / n).string(); };
  ASSERT_EQ(run_cli("generate normal --n 30 --param mean=0 --param std=5 --param glorot=true --count 2 --quiet --out " +
                    p("ds")), 0);
  const std::string base = "simulate --weights " + p("ds") + " --steps 400 --replicas 2 --seed 4 --quiet " +
                           "--stimulus sin:amplitude=2,period=40,duration=300 ";
  ASSERT_EQ(run_cli(base + "--output " + p("a.npy") + " --output " + p("a.h5")), 0);
  ASSERT_EQ(run_cli(base + "--chunk-steps 37 --batch-size 1 --output " + p("b.npy") + " --output " + p("b.h5")), 0);
  const NpyArray a = read_npy(p("a.npy")), b = read_npy(p("b.npy"));
  EXPECT_EQ(a.data, b.data);
  for (const char* pop : {"net0_r0", "net0_r1", "net1_r0", "net1_r1"}) {
    std::vector<double> ta, tb;
    std::vector<std::uint64_t> ia, ib;
    read_sonata_population(p("a.h5"), pop, &ta, &ia);
    read_sonata_population(p("b.h5"), pop, &tb, &ib);
    EXPECT_EQ(ta, tb) << pop;
    EXPECT_EQ(ia, ib) << pop;
    // Against the dense raster: replica r, network k occupies rows 30k..30k+29.
    const std::size_t r = pop[6] == '1' ? 1 : 0, k = pop[3] == '1' ? 1 : 0;
    std::map<std::pair<std::int64_t, std::uint64_t>, int> want, got;
    const auto counts = a.to_int64();
    for (std::size_t i = 0; i < 30; ++i)
      for (std::size_t t = 0; t < 400; ++t)
        if (const auto c = counts[(r * 60 + 30 * k + i) * 400 + t]) want[{static_cast<std::int64_t>(t), i}] = static_cast<int>(c);
    for (std::size_t e = 0; e < ta.size(); ++e) {
      ++got[{static_cast<std::int64_t>(ta[e]), ia[e]}];
      if (e) {
        EXPECT_LE(ta[e - 1], ta[e]);
      }
    }
    EXPECT_EQ(want, got) << pop;
    EXPECT_FALSE(want.empty());
  }
  EXPECT_NE(run_cli(base + "--output " + p("c.txt")), 0);
  EXPECT_NE(run_cli(base + "--output " + p("a.h5")), 0);  // exists
  fs::remove_all(dir);
}

// Cascade against the reference package itself: firing statistics of networks
// neither was tuned on (tests/data/reference_stats, made by
// tools/reference_stats.py with spikeometric 1.0.3 on the CPU: 16 runs per
// case). Cascade runs 16 replicas (independent runs) of each case; per
// statistic the means must agree within 4.4 standard errors of the
// difference (two-sided 1e-5 per comparison, about 2e-4 for the 18
// comparisons; the seeds are fixed, so a given build passes or fails
// deterministically).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "test_util.hpp"

using namespace cascade;

namespace {

struct RefCase {
  std::string name, model, weights;
  std::int64_t n_steps = 0, equilibration = 0;
  int runs = 0;
  std::vector<std::pair<std::string, double>> params;
  double rate_mean, rate_sd, cv_mean, cv_sd, corr_mean, corr_sd;
};

std::vector<RefCase> read_cases() {
  std::ifstream in(std::string(CASCADE_TEST_DATA_DIR) + "/reference_stats/reference_stats.tsv");
  std::vector<RefCase> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    RefCase c;
    c.name = f[0];
    c.model = f[1];
    c.weights = f[2];
    c.n_steps = std::stoll(f[4]);
    c.equilibration = std::stoll(f[5]);
    c.runs = std::stoi(f[7]);
    std::stringstream ps(f[8]);
    while (std::getline(ps, cell, ';')) {
      const auto eq = cell.find('=');
      c.params.emplace_back(cell.substr(0, eq), std::stod(cell.substr(eq + 1)));
    }
    c.rate_mean = std::stod(f[9]);
    c.rate_sd = std::stod(f[10]);
    c.cv_mean = std::stod(f[11]);
    c.cv_sd = std::stod(f[12]);
    c.corr_mean = std::stod(f[13]);
    c.corr_sd = std::stod(f[14]);
    out.push_back(c);
  }
  return out;
}

std::string cascade_model_name(const std::string& ref) {
  static const std::map<std::string, std::string> names = {{"BernoulliGLM", "bernoulli_glm"},
                                                           {"PoissonGLM", "poisson_glm"},
                                                           {"RectifiedLNP", "rectified_lnp"},
                                                           {"ThresholdSAM", "threshold_sam"},
                                                           {"RectifiedSAM", "rectified_sam"}};
  return names.at(ref);
}

struct Stats {
  double rate, cv, corr;
};

// The statistic definitions of tests/data/reference_stats/README.md.
Stats replica_stats(const Raster& r, std::size_t q, double dt) {
  const std::size_t N = r.neurons(), T = r.steps();
  double total = 0;
  double cv_sum = 0;
  int cv_n = 0;
  const std::size_t bins = T / 50;
  std::vector<std::vector<double>> binned(N, std::vector<double>(bins, 0.0));
  for (std::size_t i = 0; i < N; ++i) {
    std::vector<double> times;
    for (std::size_t t = 0; t < T; ++t) {
      const double c = r.at(q, i, t);
      total += c;
      if (c >= 1) times.push_back(static_cast<double>(t));
      if (t / 50 < bins) binned[i][t / 50] += c;
    }
    if (times.size() >= 4) {
      std::vector<double> isi(times.size() - 1);
      for (std::size_t k = 0; k + 1 < times.size(); ++k) isi[k] = times[k + 1] - times[k];
      const double m = std::accumulate(isi.begin(), isi.end(), 0.0) / isi.size();
      double v = 0;
      for (double d : isi) v += (d - m) * (d - m);
      cv_sum += std::sqrt(v / isi.size()) / m;
      ++cv_n;
    }
  }
  double corr_sum = 0;
  int corr_n = 0;
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = i + 1; j < N; ++j) {
      const auto& a = binned[i];
      const auto& b = binned[j];
      const double ma = std::accumulate(a.begin(), a.end(), 0.0) / bins;
      const double mb = std::accumulate(b.begin(), b.end(), 0.0) / bins;
      double sab = 0, saa = 0, sbb = 0;
      for (std::size_t k = 0; k < bins; ++k) {
        sab += (a[k] - ma) * (b[k] - mb);
        saa += (a[k] - ma) * (a[k] - ma);
        sbb += (b[k] - mb) * (b[k] - mb);
      }
      if (saa > 0 && sbb > 0) {
        corr_sum += sab / std::sqrt(saa * sbb);
        ++corr_n;
      }
    }
  return {total / (N * T) * 1000.0 / dt, cv_n ? cv_sum / cv_n : NAN, corr_n ? corr_sum / corr_n : NAN};
}

void expect_agree(const char* what, const std::string& name, const std::vector<double>& ours, double ref_mean,
                  double ref_sd, int ref_runs) {
  const double n = static_cast<double>(ours.size());
  const double m = std::accumulate(ours.begin(), ours.end(), 0.0) / n;
  double v = 0;
  for (double x : ours) v += (x - m) * (x - m);
  v /= (n - 1);
  const double se = std::sqrt(v / n + ref_sd * ref_sd / ref_runs);
  std::printf("%-14s %-18s cascade %10.5g  reference %10.5g  (%.2f SE)\n", name.c_str(), what, m, ref_mean,
              std::fabs(m - ref_mean) / se);
  EXPECT_LE(std::fabs(m - ref_mean), 4.4 * se)
      << name << " " << what << ": cascade " << m << " (sd " << std::sqrt(v) << "), reference " << ref_mean
      << " (sd " << ref_sd << ")";
}

}  // namespace

TEST(ReferenceStatistics, RatesIsiCvAndCountCorrelationsMatchSpikeometric) {
  const auto cases = read_cases();
  ASSERT_EQ(cases.size(), 6u) << "tests/data/reference_stats/reference_stats.tsv";
  for (const auto& c : cases) {
    AnyModel m = make_model(cascade_model_name(c.model));
    for (const auto& [k, v] : c.params) set_param(m, k, v);
    const Network net =
        load_dense_network(std::string(CASCADE_TEST_DATA_DIR) + "/reference_stats/" + c.weights);
    SimulatorOptions o;
    o.replicas = 16;
    o.seed = 2026;
    Simulator sim(m, {net}, o);
    const auto res = sim.simulate(c.n_steps, c.equilibration, RecordDtype::kInt32);
    std::vector<double> rate, cv, corr;
    for (std::size_t q = 0; q < 16; ++q) {
      const Stats s = replica_stats(res.raster, q, sim.dt());
      rate.push_back(s.rate);
      cv.push_back(s.cv);
      corr.push_back(s.corr);
    }
    expect_agree("rate (Hz)", c.name, rate, c.rate_mean, c.rate_sd, c.runs);
    expect_agree("ISI CV", c.name, cv, c.cv_mean, c.cv_sd, c.runs);
    expect_agree("count correlation", c.name, corr, c.corr_mean, c.corr_sd, c.runs);
  }
}

// Stimulus-locked rates (tests/data/reference_stats/stimulus_stats.tsv, made
// by tools/reference_stimulus_stats.py): BernoulliGLM on the 100-neuron glorot
// network with a regular, sin or Poisson stimulus on the first 50 neurons.
// Groups of steps chosen by the stimulus's phase pin the stimulus clock and
// rules. Same 4.4-SE rule as above (8 comparisons). Cascade runs 16 seeds, so
// a Poisson stimulus gets a new plan per run, as in the reference script.
TEST(ReferenceStatistics, StimulusLockedRatesMatchSpikeometric) {
  std::ifstream in(std::string(CASCADE_TEST_DATA_DIR) + "/reference_stats/stimulus_stats.tsv");
  ASSERT_TRUE(in) << "tests/data/reference_stats/stimulus_stats.tsv missing";
  std::string line;
  std::getline(in, line);
  struct Row {
    std::string case_name, weights, stimulus, stat;
    std::int64_t steps, equilibration;
    int runs;
    std::size_t masked;
    double mean, sd;
  };
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    if (f.size() != 10) continue;
    rows.push_back({f[0], f[1], f[5], f[7], std::stoll(f[2]), std::stoll(f[3]), std::stoi(f[4]),
                    static_cast<std::size_t>(std::stoul(f[6])), std::stod(f[8]), std::stod(f[9])});
  }
  ASSERT_EQ(rows.size(), 8u);
  const Network net = load_dense_network(std::string(CASCADE_TEST_DATA_DIR) + "/reference_stats/" + rows[0].weights);
  AnyModel m = make_model("bernoulli_glm");
  for (const auto& [k, v] : std::vector<std::pair<const char*, double>>{
           {"theta", 5.0}, {"dt", 1.0}, {"coupling_window", 5}, {"alpha", 0.2}, {"abs_ref_scale", 3},
           {"abs_ref_strength", -100.0}, {"rel_ref_scale", 7}, {"rel_ref_strength", -30.0}, {"beta", 0.5}, {"r", 1.0}})
    set_param(m, k, v);
  std::map<std::string, std::map<std::string, std::vector<double>>> ours;  // case -> stat -> per run
  for (const auto& r : rows) {
    if (ours.count(r.case_name)) continue;
    Stimulus s = parse_stimulus(r.stimulus);
    std::vector<std::uint8_t> mask(net.n_neurons(), 0);
    std::fill(mask.begin(), mask.begin() + static_cast<std::ptrdiff_t>(r.masked), 1);
    s.masks = {mask};
    for (std::uint64_t seed = 0; seed < 16; ++seed) {
      SimulatorOptions o;
      o.seed = 7000 + seed;
      Simulator sim(m, {net}, o);
      sim.set_stimuli({s});
      const Raster x = sim.simulate(r.steps, r.equilibration, RecordDtype::kInt32).raster;
      auto rate = [&](bool masked, auto&& step_in) {
        double sum = 0, n = 0;
        for (std::size_t i = masked ? 0 : r.masked; i < (masked ? r.masked : net.n_neurons()); ++i)
          for (std::size_t t = 0; t < x.steps(); ++t)
            if (step_in(t)) {
              sum += x.at(0, i, t);
              ++n;
            }
        return sum / n * 1000.0;
      };
      auto& st = ours[r.case_name];
      auto all = [](std::size_t) { return true; };
      if (r.case_name == "regular") {
        st["masked_on"].push_back(rate(true, [](std::size_t t) { return t % 50 < 10; }));
        st["masked_off"].push_back(rate(true, [](std::size_t t) { return t % 50 >= 10; }));
      } else if (r.case_name == "sin") {
        st["masked_rising"].push_back(rate(true, [](std::size_t t) { return t % 100 >= 1 && t % 100 < 50; }));
        st["masked_falling"].push_back(rate(true, [](std::size_t t) { return t % 100 >= 51; }));
      } else {
        st["masked"].push_back(rate(true, all));
      }
      st["unmasked"].push_back(rate(false, all));
    }
  }
  for (const auto& r : rows) {
    ASSERT_TRUE(ours[r.case_name].count(r.stat)) << r.case_name << " " << r.stat;
    expect_agree(r.stat.c_str(), r.case_name, ours[r.case_name][r.stat], r.mean, r.sd, r.runs);
  }
}

// The connectivity fit's entry points for the built-in models, the spikes
// and candidates it reads, the cross-correlation baseline and the recovery
// figures (cascade/fit.hpp).
#include "cascade/fit.hpp"

#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <cmath>
#include <numeric>
#include <string>
#include <variant>
#include <vector>

#include "cascade/dataset.hpp"
#include "cascade/error.hpp"
#include "cascade/extend/fit_model.hpp"
#include "cascade/network.hpp"
#include "cascade/npy.hpp"
#include "cascade/sonata.hpp"
#include "core/limits.hpp"

namespace cascade {

std::size_t Candidates::edges() const {
  std::size_t e = 0;
  for (const auto& p : pre) e += p.size();
  return e;
}

SpikeData spikes_from_counts(std::vector<std::uint8_t> counts, std::size_t trials, std::size_t neurons,
                             std::size_t steps, const std::string& what) {
  SpikeData s;
  s.trials = trials;
  s.neurons = neurons;
  s.steps = steps;
  s.source = what;
  if (counts.size() != trials * neurons * steps)
    throw Error(what + ": " + std::to_string(counts.size()) + " counts for " + std::to_string(trials) + " x " +
                std::to_string(neurons) + " x " + std::to_string(steps));
  s.counts = std::move(counts);
  return s;
}

namespace {

/// A cascade output's provenance must describe one network, every neuron recorded.
void check_one_full_network(const nlohmann::json& prov, const std::string& path) {
  if (prov.contains("networks") && prov.at("networks").size() != 1)
    throw Error(path + ": " + std::to_string(prov.at("networks").size()) +
                " networks in one raster; fit takes one network (simulate it alone, or pass the rows of one "
                "network from Python: cascade.fit(x[:, first:last]))");
  if (prov.contains("recorded_neurons") && prov.at("recorded_neurons").get<std::string>() != "all")
    throw Error(path + ": recorded neurons '" + prov.at("recorded_neurons").get<std::string>() +
                "'; the fit needs every neuron of the network (unrecorded inputs cannot be fitted)");
}

/// A .npy's provenance sidecar (FILE.npy.json, when cascade wrote one):
/// checked as above; its record window's first step.
std::int64_t npy_stimulus_start(const std::string& path) {
  const std::string side = path + ".json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(side, ec)) return 0;
  nlohmann::json prov;
  try {
    prov = nlohmann::json::parse(read_small_file(side, "the provenance of " + path, 64u << 20));
    check_one_full_network(prov, path);
    return prov.contains("record_window") ? prov.at("record_window").at(0).get<std::int64_t>() : 0;
  } catch (const nlohmann::json::exception& e) {
    throw Error(side + ": not the provenance cascade writes (" + e.what() + "); move it away to fit " + path +
                " as a bare array");
  }
}

/// A cascade SONATA spike file back as counts: the provenance attribute says
/// the window, dt, replicas and network; one population per replica.
SpikeData load_sonata_spikes(const std::string& path) {
  nlohmann::json prov;
  try {
    prov = nlohmann::json::parse(read_sonata_attribute(path, "provenance"));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": the provenance attribute is not JSON (" + e.what() + ")");
  }
  std::size_t trials = 0, neurons = 0, steps = 0, offset = 0;
  double dt = 0;
  std::int64_t begin = 0;
  try {
    check_one_full_network(prov, path);
    trials = prov.at("shape").at(0).get<std::size_t>();
    neurons = prov.at("shape").at(1).get<std::size_t>();
    steps = prov.at("shape").at(2).get<std::size_t>();
    begin = prov.at("record_window").at(0).get<std::int64_t>();
    dt = prov.at("dt_ms").get<double>();
    offset = prov.at("replica_offset").get<std::size_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": the provenance attribute lacks what the fit needs (" + e.what() + ")");
  }
  require_memory(checked_product(checked_product(trials, neurons, std::uint64_t{1} << 40, path), steps,
                                 std::uint64_t{1} << 44, path + ": trials x neurons x steps"),
                 "the spike counts of " + path);
  std::vector<std::uint8_t> counts(trials * neurons * steps, 0);
  std::vector<double> times;
  std::vector<std::uint64_t> ids;
  for (std::size_t r = 0; r < trials; ++r) {
    const std::string pop = "net0_r" + std::to_string(offset + r);
    read_sonata_population(path, pop, &times, &ids);
    if (times.size() != ids.size()) throw Error(path + ": population " + pop + ": timestamps and node ids differ in number");
    for (std::size_t q = 0; q < times.size(); ++q) {
      const double s = std::round(times[q] / dt) - static_cast<double>(begin);
      if (ids[q] >= neurons || !(s >= 0 && s < static_cast<double>(steps)))
        throw Error(path + ": population " + pop + ": spike " + std::to_string(q) + " (node " + std::to_string(ids[q]) +
                    ", " + format_value(times[q]) + " ms) lies outside " + std::to_string(neurons) + " neurons x " +
                    std::to_string(steps) + " steps");
      std::uint8_t& c = counts[(r * neurons + ids[q]) * steps + static_cast<std::size_t>(s)];
      if (c < 255) ++c;
    }
  }
  SpikeData out = spikes_from_counts(std::move(counts), trials, neurons, steps, path);
  out.stimulus_start = begin;
  return out;
}

}  // namespace

SpikeData load_spikes(const std::string& path) {
  const std::string ext = path.size() >= 3 ? path.substr(path.size() - 3) : "";
  if (ext == ".h5") return load_sonata_spikes(path);
  const NpyHeader h = read_npy_header(path);
  if (h.shape.size() != 2 && h.shape.size() != 3)
    throw Error(path + ": spikes of shape " + npy_shape_text(h.shape) +
                "; expected [neurons, steps] or [replicas, neurons, steps] (a cascade simulate raster)");
  const NpyArray a = read_npy(path);
  const std::size_t trials = a.shape.size() == 3 ? a.shape[0] : 1;
  const std::size_t neurons = a.shape[a.shape.size() - 2], steps = a.shape.back();
  std::vector<std::uint8_t> counts(a.size());
  if (a.dtype == NpyDtype::kUInt8 || a.dtype == NpyDtype::kBool) {
    std::copy(a.data.begin(), a.data.end(), counts.begin());
    if (a.dtype == NpyDtype::kBool)
      for (auto& c : counts) c = c != 0;
  } else {
    const std::vector<double> v = a.to_doubles();
    for (std::size_t q = 0; q < v.size(); ++q) {
      if (!(v[q] >= 0.0 && v[q] <= 255.0 && v[q] == std::floor(v[q])))
        throw Error(path + ": element " + std::to_string(q) + " is " + format_value(v[q]) +
                    "; expected spike counts (whole numbers 0 to 255)");
      counts[q] = static_cast<std::uint8_t>(v[q]);
    }
  }
  SpikeData out = spikes_from_counts(std::move(counts), trials, neurons, steps, path);
  out.stimulus_start = npy_stimulus_start(path);
  return out;
}

Candidates all_pairs(std::size_t n, bool self_edges) {
  require_memory(checked_product(n, n, std::uint64_t{1} << 40, "fit: all pairs of the neurons") * 4,
                 "fit: the candidate edges (all pairs of " + std::to_string(n) + " neurons)");
  Candidates c;
  c.neurons = n;
  c.pre.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (j != i || self_edges) c.pre[i].push_back(static_cast<std::uint32_t>(j));
  return c;
}

Candidates candidates_from_dense(const std::vector<double>& mask, std::size_t n, bool self_edges,
                                 const std::string& what) {
  if (mask.size() != n * n)
    throw Error(what + ": " + std::to_string(mask.size()) + " entries; expected " + std::to_string(n) + " x " +
                std::to_string(n));
  Candidates c;
  c.neurons = n;
  c.pre.resize(n);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < n; ++i)
      if (mask[j * n + i] != 0.0) {
        if (i == j && !self_edges)
          throw Error(what + ": entry [" + std::to_string(j) + ", " + std::to_string(j) +
                      "] is a self edge, which this model keeps for its own refractory filter; expected a zero "
                      "diagonal");
        c.pre[i].push_back(static_cast<std::uint32_t>(j));
      }
  return c;
}

Candidates candidates_from_network(const Network& net, std::size_t n, bool self_edges, const std::string& what) {
  if (net.n_neurons() != n)
    throw Error(what + ": a network of " + std::to_string(net.n_neurons()) + " neurons, but the spikes have " +
                std::to_string(n) + "; expected the same network");
  Candidates c;
  c.neurons = n;
  c.pre.resize(n);
  for (std::size_t j = 0; j < n; ++j)
    for (std::int64_t e = net.row_ptr()[j]; e < net.row_ptr()[j + 1]; ++e) {
      const std::size_t i = static_cast<std::size_t>(net.post()[e]);
      if (i == j && !self_edges)
        throw Error(what + ": entry [" + std::to_string(j) + ", " + std::to_string(j) +
                    "] is a self edge, which this model keeps for its own refractory filter; expected a zero "
                    "diagonal");
      c.pre[i].push_back(static_cast<std::uint32_t>(j));
    }
  for (auto& p : c.pre) std::sort(p.begin(), p.end());
  return c;
}

Candidates candidates_from_file(const std::string& path, std::size_t n, bool self_edges) {
  return candidates_from_network(load_network(path), n, self_edges, "--candidates " + path);
}

std::vector<double> dense_weights(const Network& net) {
  const std::size_t n = net.n_neurons();
  require_memory(checked_product(n, n, std::uint64_t{1} << 40, "a dense W0") * 8,
                 "a dense W0 of " + std::to_string(n) + " neurons");
  std::vector<double> w(n * n, 0.0);
  if (net.weight().size() != net.n_synapses())
    throw Error(net.label() + ": a network with per-edge filters has no scalar W0 to compare with");
  for (std::size_t j = 0; j < n; ++j)
    for (std::int64_t e = net.row_ptr()[j]; e < net.row_ptr()[j + 1]; ++e)
      w[j * n + static_cast<std::size_t>(net.post()[e])] = net.weight()[e];
  return w;
}

bool fits_self_edges(const AnyModel& model) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kAllowsSelfCoupling; }, model);
}

std::string fit_refusal(const AnyModel& model) {
  return std::visit(
      [](const auto& m) -> std::string {
        using M = std::decay_t<decltype(m)>;
        if constexpr (FittableModel<M>) return "";
        else return no_likelihood_reason<M>();
      },
      model);
}

std::int64_t default_burn_in(const AnyModel& model) {
  return std::visit([](const auto& m) { return fit_detail::settle_steps(m.filters()); }, model);
}

void validate_fit(const AnyModel& model, const SpikeData& spikes, const Candidates& candidates,
                  const FitOptions& options) {
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (FittableModel<M>) (void)validate_fit_of(m, spikes, candidates, options);
        else throw Error(std::string("fit: ") + M::kName + " cannot be fitted: " + no_likelihood_reason<M>());
      },
      model);
}

FitResult fit_connectivity(const AnyModel& model, const SpikeData& spikes, const Candidates& candidates,
                           const std::vector<Stimulus>& stimuli, const FitOptions& options,
                           const FitProgress& progress) {
  return std::visit(
      [&](const auto& m) { return fit_connectivity_of(m, spikes, candidates, stimuli, options, progress); }, model);
}

std::vector<double> filtered_cross_correlation(const AnyModel& model, const SpikeData& s, std::int64_t burn_in,
                                               int threads) {
  const FilterSpec f = std::visit([](const auto& m) { return m.filters(); }, model);
  const bool self_edges = fits_self_edges(model);
  if (burn_in < 0) burn_in = fit_detail::settle_steps(f);
  if (burn_in >= static_cast<std::int64_t>(s.steps))
    throw Error("fit: the burn-in of " + std::to_string(burn_in) + " steps leaves no recorded step of " + s.source);
  const std::size_t N = s.neurons, T = s.steps;
  require_memory(checked_product(N, N, std::uint64_t{1} << 40, "fit: the cross-correlations") * 8,
                 "fit: the cross-correlations of " + std::to_string(N) + " neurons");
  const fit_detail::Prepared p = fit_detail::prepare(s, f, burn_in, {}, 0);
  const double obs = static_cast<double>(p.observations());
  // Each neuron's filtered counts F_j: mean and centred sum of squares over observed steps.
  std::vector<double> f_mean(N, 0.0), f_ss(N, 0.0), x_mean(N, 0.0), x_ss(N, 0.0);
  const int team = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
  for (std::int64_t jj = 0; jj < static_cast<std::int64_t>(N); ++jj) {
    const std::size_t j = static_cast<std::size_t>(jj);
    std::vector<double> y(T), F;
    double fs = 0, fq = 0, xs = 0, xq = 0;
    for (std::size_t r = 0; r < s.trials; ++r) {
      for (std::size_t t = 0; t < T; ++t) y[t] = s.at(r, j, t);
      fit_detail::filter_forward(f, p.decay_window, y, F);
      for (std::size_t t = static_cast<std::size_t>(burn_in); t < T; ++t) {
        fs += F[t];
        fq += F[t] * F[t];
        xs += y[t];
        xq += y[t] * y[t];
      }
    }
    f_mean[j] = fs / obs;
    f_ss[j] = fq - fs * fs / obs;
    x_mean[j] = xs / obs;
    x_ss[j] = xq - xs * xs / obs;
  }
  std::vector<double> score(N * N, 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
  for (std::int64_t ii = 0; ii < static_cast<std::int64_t>(N); ++ii) {
    const std::size_t i = static_cast<std::size_t>(ii);
    std::vector<double> e(T, 0.0), A;
    std::vector<double> cov(N, 0.0);
    for (std::size_t r = 0; r < s.trials; ++r) {
      for (std::size_t t = static_cast<std::size_t>(burn_in); t < T; ++t) e[t] = s.at(r, i, t) - x_mean[i];
      fit_detail::filter_adjoint(f, p.decay_window, e, A);
      // sum_t F_j(t) (n_i(t) - mean) = sum_s n_j(s) A(s): over j's spikes only.
      for (std::size_t j = 0; j < N; ++j) {
        const std::size_t row = j * s.trials + r;
        double acc = 0.0;
        for (std::int64_t q = p.offset[row]; q < p.offset[row + 1]; ++q) acc += A[p.step[q]] * p.count[q];
        cov[j] += acc;
      }
    }
    for (std::size_t j = 0; j < N; ++j) {
      const double den = std::sqrt(f_ss[j] * x_ss[i]);
      score[j * N + i] = (j == i && !self_edges) || !(den > 0.0) ? 0.0 : cov[j] / den;
    }
  }
  return score;
}

FitComparison fit_and_compare(const AnyModel& model, const SpikeData& spikes, const FitSetup& setup,
                              const std::vector<Stimulus>& stimuli, const FitOptions& options,
                              const FitProgress& progress,
                              const std::function<void(const Candidates&, const std::string&)>& started) {
  const std::size_t N = spikes.neurons;
  if (setup.candidates && setup.screen)
    throw Error("fit: a screen and " + setup.candidates_what + " both choose the edges to fit: give one");
  // The spikes and options first, before the cross-correlation's O(N x spikes).
  validate_fit(model, spikes, Candidates{N, std::vector<std::vector<std::uint32_t>>(N)}, options);
  std::vector<double> truth;
  if (setup.truth) {
    if (setup.truth->n_neurons() != N)
      throw Error(setup.truth_what + ": a network of " + std::to_string(setup.truth->n_neurons()) +
                  " neurons, but the spikes have " + std::to_string(N) + "; expected the network that made them");
    truth = dense_weights(*setup.truth);
  }
  const bool self = fits_self_edges(model);
  std::vector<double> xcorr;
  if (setup.screen || setup.truth)
    xcorr = filtered_cross_correlation(model, spikes, options.burn_in, options.threads);
  FitComparison out;
  Candidates cand;
  if (setup.candidates) {
    cand = candidates_from_network(*setup.candidates, N, self, setup.candidates_what);
    out.candidates = setup.candidates_source;
  } else if (setup.screen) {
    cand = screen_candidates(xcorr, N, setup.screen, self);
    out.candidates = "screened: the " + std::to_string(setup.screen) +
                     " presynaptic neurons of largest filtered cross-correlation per neuron";
  } else {
    cand = all_pairs(N, self);
    out.candidates = self ? "every pair" : "every pair but the diagonal";
  }
  validate_fit(model, spikes, cand, options);
  if (started) started(cand, out.candidates);
  out.result = fit_connectivity(model, spikes, cand, stimuli, options, progress);
  if (setup.truth) {
    out.has_truth = true;
    out.recovery = recovery(out.result.weights, truth, cand);
    out.baseline = recovery(xcorr, truth, cand);
  }
  return out;
}

Candidates screen_candidates(const std::vector<double>& scores, std::size_t n, std::size_t k, bool self_edges) {
  if (scores.size() != n * n) throw Error("fit: screening scores are not " + std::to_string(n) + " x " + std::to_string(n));
  if (k == 0) throw Error("fit: --screen 0 keeps no candidate; expected K >= 1 presynaptic neurons per neuron");
  Candidates c;
  c.neurons = n;
  c.pre.resize(n);
  std::vector<std::uint32_t> order;
  for (std::size_t i = 0; i < n; ++i) {
    order.clear();
    for (std::size_t j = 0; j < n; ++j)
      if (j != i || self_edges) order.push_back(static_cast<std::uint32_t>(j));
    const std::size_t keep = std::min(k, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                      [&](std::uint32_t a, std::uint32_t b) {
                        const double sa = std::fabs(scores[a * n + i]), sb = std::fabs(scores[b * n + i]);
                        return sa != sb ? sa > sb : a < b;
                      });
    c.pre[i].assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep));
    std::sort(c.pre[i].begin(), c.pre[i].end());
  }
  return c;
}

namespace {

/// ROC AUC (Mann-Whitney U with mid-ranks for ties).
double roc_auc(const std::vector<double>& score, const std::vector<bool>& positive) {
  std::vector<std::size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double rank_sum = 0.0;
  std::size_t pos = 0;
  for (std::size_t q = 0; q < idx.size();) {
    std::size_t e = q;
    while (e < idx.size() && score[idx[e]] == score[idx[q]]) ++e;
    const double mid = 0.5 * static_cast<double>(q + 1 + e);  // ranks q+1 .. e
    for (std::size_t u = q; u < e; ++u)
      if (positive[idx[u]]) {
        rank_sum += mid;
        ++pos;
      }
    q = e;
  }
  const double P = static_cast<double>(pos), Q = static_cast<double>(idx.size() - pos);
  if (P == 0 || Q == 0) return std::nan("");
  return (rank_sum - P * (P + 1) / 2) / (P * Q);
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  if (a.size() < 2) return std::nan("");
  double ma = 0, mb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ma += a[k];
    mb += b[k];
  }
  ma /= n;
  mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    sab += (a[k] - ma) * (b[k] - mb);
    saa += (a[k] - ma) * (a[k] - ma);
    sbb += (b[k] - mb) * (b[k] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

}  // namespace

Recovery recovery(const std::vector<double>& estimate, const std::vector<double>& truth, const Candidates& scored) {
  const std::size_t N = scored.neurons;
  if (estimate.size() != N * N || truth.size() != N * N)
    throw Error("fit: the estimate (" + std::to_string(estimate.size()) + " entries) and the truth (" +
                std::to_string(truth.size()) + ") must both be " + std::to_string(N) + " x " + std::to_string(N));
  Recovery r;
  std::vector<double> score, est_true, w_true;
  std::vector<bool> positive;
  std::size_t sign_ok = 0, in_set = 0;
  for (std::size_t i = 0; i < N; ++i)
    for (std::uint32_t j : scored.pre[i]) {
      const double e = estimate[j * N + i], t = truth[j * N + i];
      score.push_back(std::fabs(e));
      positive.push_back(t != 0.0);
      if (t != 0.0) {
        est_true.push_back(e);
        w_true.push_back(t);
        sign_ok += (e > 0) == (t > 0) && e != 0.0;
        ++in_set;
      }
    }
  for (std::size_t q = 0; q < N * N; ++q) r.true_edges += truth[q] != 0.0;
  r.pairs = score.size();
  r.true_edges_not_scored = r.true_edges - in_set;
  r.weight_correlation = pearson(est_true, w_true);
  r.auc = roc_auc(score, positive);
  r.sign_accuracy = in_set ? static_cast<double>(sign_ok) / static_cast<double>(in_set) : std::nan("");
  return r;
}

}  // namespace cascade

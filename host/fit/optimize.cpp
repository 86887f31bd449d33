// OWL-QN (Andrew & Gao, "Scalable training of L1-regularized log-linear
// models", ICML 2007): L-BFGS on the smooth part of the objective, the L1
// term through its pseudo-gradient, an orthant-constrained direction and a
// projected backtracking line search. With l1 = 0 it is plain L-BFGS with
// an Armijo backtracking search.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

#include "cascade/extend/fit_model.hpp"

namespace cascade::fit_detail {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

double l1_norm(const std::vector<double>& w) {
  double s = 0.0;
  for (double v : w) s += std::fabs(v);
  return s;
}

double sign(double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }

/// The L1 objective's steepest-descent (negated) direction's generator: the
/// minimum-norm subgradient.
void pseudo_gradient(const std::vector<double>& w, const std::vector<double>& g, double l1, std::vector<double>& pg) {
  pg.resize(w.size());
  for (std::size_t k = 0; k < w.size(); ++k) {
    if (l1 == 0.0) pg[k] = g[k];
    else if (w[k] != 0.0) pg[k] = g[k] + l1 * sign(w[k]);
    else if (g[k] + l1 < 0.0) pg[k] = g[k] + l1;
    else if (g[k] - l1 > 0.0) pg[k] = g[k] - l1;
    else pg[k] = 0.0;
  }
}

struct Pair {
  std::vector<double> s, y;
  double rho;
};

/// d = -H pg (two-loop recursion over the kept pairs).
void direction(const std::deque<Pair>& mem, const std::vector<double>& pg, std::vector<double>& d) {
  d = pg;
  std::vector<double> alpha(mem.size());
  for (std::size_t q = mem.size(); q-- > 0;) {
    alpha[q] = mem[q].rho * dot(mem[q].s, d);
    for (std::size_t k = 0; k < d.size(); ++k) d[k] -= alpha[q] * mem[q].y[k];
  }
  if (!mem.empty()) {
    const Pair& last = mem.back();
    const double gamma = dot(last.s, last.y) / dot(last.y, last.y);
    for (double& v : d) v *= gamma;
  }
  for (std::size_t q = 0; q < mem.size(); ++q) {
    const double beta = mem[q].rho * dot(mem[q].y, d);
    for (std::size_t k = 0; k < d.size(); ++k) d[k] += (alpha[q] - beta) * mem[q].s[k];
  }
  for (double& v : d) v = -v;
}

}  // namespace

Minimum minimize(const Objective& f, std::size_t dim, const FitOptions& o, double l1,
                 const std::function<double(const std::vector<double>&, double)>& loglik) {
  Minimum out;
  std::vector<double> w(dim, 0.0), g(dim), pg, d, wn(dim), gn(dim);
  double smooth = f(w, g);
  double F = smooth + l1 * l1_norm(w);
  out.objective.push_back(F);
  out.log_likelihood.push_back(loglik(w, smooth));
  std::deque<Pair> mem;
  out.reason = "iterations";
  for (std::int64_t it = 1; it <= o.max_iterations; ++it) {
    pseudo_gradient(w, g, l1, pg);
    double gmax = 0.0;
    bool finite = true;
    for (double v : pg) {
      finite = finite && std::isfinite(v);
      gmax = std::max(gmax, std::fabs(v));
    }
    if (!finite) {
      out.reason = "non-finite gradient";
      break;
    }
    if (gmax <= o.gradient_tolerance || gmax == 0.0) {
      out.reason = "gradient";
      break;
    }
    direction(mem, pg, d);
    if (l1 > 0.0)
      for (std::size_t k = 0; k < dim; ++k)
        if (d[k] * pg[k] >= 0.0) d[k] = 0.0;  // keep only the components that descend
    if (dot(d, pg) >= 0.0) {  // not a descent direction: start the memory again
      mem.clear();
      for (std::size_t k = 0; k < dim; ++k) d[k] = -pg[k];
    }
    // The orthant the step stays in: the current signs, or the descent's at 0.
    // The first step moves by 1 in the pseudo-gradient's norm (computed
    // scaled by its largest entry, so a tiny gradient does not overflow).
    double scaled = 0.0;
    for (double v : pg) scaled += (v / gmax) * (v / gmax);
    double step = mem.empty() ? 1.0 / (gmax * std::sqrt(scaled)) : 1.0;
    double Fn = 0.0, smooth_n = 0.0;
    bool accepted = false;
    for (int tries = 0; tries < 60; ++tries, step *= 0.5) {
      for (std::size_t k = 0; k < dim; ++k) {
        wn[k] = w[k] + step * d[k];
        if (l1 > 0.0) {
          const double orthant = w[k] != 0.0 ? sign(w[k]) : sign(-pg[k]);
          if (sign(wn[k]) != orthant) wn[k] = 0.0;
        }
      }
      smooth_n = f(wn, gn);
      Fn = smooth_n + l1 * l1_norm(wn);
      double decrease = 0.0;
      for (std::size_t k = 0; k < dim; ++k) decrease += pg[k] * (wn[k] - w[k]);
      if (std::isfinite(Fn) && Fn <= F + 1e-4 * decrease) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      out.reason = "line search";
      break;
    }
    Pair p{std::vector<double>(dim), std::vector<double>(dim), 0.0};
    for (std::size_t k = 0; k < dim; ++k) {
      p.s[k] = wn[k] - w[k];
      p.y[k] = gn[k] - g[k];
    }
    const double sy = dot(p.s, p.y), ss = dot(p.s, p.s), yy = dot(p.y, p.y);
    if (yy > 0.0 && sy > 1e-10 * std::sqrt(ss * yy)) {  // enough curvature: keep the pair
      p.rho = 1.0 / sy;
      mem.push_back(std::move(p));
      if (static_cast<int>(mem.size()) > o.memory) mem.pop_front();
    }
    const double relative = (F - Fn) / std::max({std::fabs(F), std::fabs(Fn), 1e-300});
    w.swap(wn);
    g.swap(gn);
    F = Fn;
    smooth = smooth_n;
    out.iterations = it;
    out.objective.push_back(F);
    out.log_likelihood.push_back(loglik(w, smooth));
    if (relative <= o.tolerance) {
      out.reason = "objective";
      break;
    }
  }
  out.converged = out.reason == "gradient" || out.reason == "objective";
  out.w = std::move(w);
  return out;
}

FitResult assemble(std::vector<Minimum>& minima, const Candidates& c, const Prepared& p, double null_loglik) {
  const std::size_t N = c.neurons;
  FitResult r;
  r.neurons = N;
  r.burn_in = p.burn_in;
  r.observations = p.observations();
  r.null_log_likelihood = null_loglik;
  r.weights.assign(N * N, 0.0);
  std::size_t rows = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const Minimum& m = minima[i];
    for (std::size_t k = 0; k < c.pre[i].size(); ++k) r.weights[static_cast<std::size_t>(c.pre[i][k]) * N + i] = m.w[k];
    r.edges += c.pre[i].size();
    r.converged += m.converged;
    r.iterations.push_back(m.iterations);
    r.stop_reason.push_back(m.reason);
    rows = std::max(rows, m.objective.size());
  }
  // Totals in neuron order: the same for any thread count.
  for (std::size_t k = 0; k < rows; ++k) {
    FitIteration row;
    row.iteration = static_cast<std::int64_t>(k);
    for (std::size_t i = 0; i < N; ++i) {
      const Minimum& m = minima[i];
      const std::size_t at = std::min(k, m.objective.size() - 1);
      row.objective += m.objective[at];
      row.log_likelihood += m.log_likelihood[at];
      row.active += m.iterations >= static_cast<std::int64_t>(k) ? 1 : 0;
    }
    r.history.push_back(row);
  }
  r.log_likelihood = r.history.back().log_likelihood;
  return r;
}

}  // namespace cascade::fit_detail

// Chi-square machinery for the statistical tests (header-only).
#pragma once
#include <cmath>
#include <utility>
#include <vector>

namespace cascade::test {

// Regularised lower incomplete gamma P(a, x) by series / continued fraction
// (Numerical Recipes' split at x < a + 1), independent of the code under test.
inline double gamma_p(double a, double x) {
  if (x <= 0) return 0.0;
  const double gln = std::lgamma(a);
  if (x < a + 1.0) {
    double ap = a, sum = 1.0 / a, del = sum;
    for (int n = 0; n < 100000; ++n) {
      ap += 1.0;
      del *= x / ap;
      sum += del;
      if (std::fabs(del) < std::fabs(sum) * 1e-15) break;
    }
    return sum * std::exp(-x + a * std::log(x) - gln);
  }
  double b = x + 1.0 - a, c = 1.0 / 1e-300, d = 1.0 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (std::fabs(c) < 1e-300) c = 1e-300;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < 1e-15) break;
  }
  return 1.0 - std::exp(-x + a * std::log(x) - gln) * h;
}

inline double chi2_sf(double x, double k) { return 1.0 - gamma_p(k / 2.0, x / 2.0); }

/// Pearson statistic; adjacent bins are merged until each expects >= 5.
inline std::pair<double, double> chi2_statistic(const std::vector<double>& observed, const std::vector<double>& probs) {
  double n = 0;
  for (double o : observed) n += o;
  std::vector<double> O, E;
  double o_acc = 0, e_acc = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    o_acc += observed[i];
    e_acc += probs[i] * n;
    if (e_acc >= 5.0) {
      O.push_back(o_acc);
      E.push_back(e_acc);
      o_acc = e_acc = 0;
    }
  }
  if (!E.empty()) {
    O.back() += o_acc;
    E.back() += e_acc;
  }
  double stat = 0;
  for (std::size_t i = 0; i < O.size(); ++i) stat += (O[i] - E[i]) * (O[i] - E[i]) / E[i];
  return {stat, static_cast<double>(O.size()) - 1.0};
}

}  // namespace cascade::test

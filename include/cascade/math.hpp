// Cascade's own transcendental functions, compiled identically by g++ and nvcc.
//
// glibc's and CUDA's libm differ in the last bit for exp/log/sin/cos, and one
// bit in a rate can flip a spike. These versions use only IEEE +, -, *, / and
// sqrt (correctly rounded on both sides), floor and bit manipulation, so with
// contraction disabled (host -ffp-contract=off, device --fmad=false) they give
// the same bits everywhere. They are accurate to about 1 ulp (tests/test_math
// compares them with the standard library); speed is secondary to sameness.
#pragma once
#include <cstdint>
#include <cstring>

#include "cascade/config.hpp"

namespace cascade::math {

CASCADE_HD_INLINE double from_bits(std::uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
#endif
}

CASCADE_HD_INLINE std::uint64_t to_bits(double d) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(d));
#else
  std::uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
#endif
}

inline constexpr double kInf = __builtin_huge_val();
inline constexpr double kNaN = __builtin_nan("");
inline constexpr double kPi = 3.14159265358979311600e+00;
inline constexpr double kTwoPi = 6.28318530717958623200e+00;

CASCADE_HD_INLINE bool is_nan(double x) { return x != x; }
CASCADE_HD_INLINE bool is_finite(double x) { return x - x == 0.0; }

CASCADE_HD_INLINE double floor(double x) {
#if defined(__CUDA_ARCH__)
  return ::floor(x);
#else
  return __builtin_floor(x);
#endif
}

CASCADE_HD_INLINE double sqrt(double x) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(x);
#else
  return __builtin_sqrt(x);
#endif
}

/// 2^k as a double for -1022 <= k <= 1023 (exact).
CASCADE_HD_INLINE double pow2(int k) {
  return from_bits(static_cast<std::uint64_t>(k + 1023) << 52);
}

/// e^x. Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, degree-13 Taylor
/// polynomial (truncation error < 4e-18 relative), then exact scaling by 2^k.
CASCADE_HD_INLINE double exp(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 significant bits
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  if (is_nan(x)) return x;
  if (x > 709.782712893383973096) return kInf;
  if (x < -745.133219101941108420) return 0.0;
  const double kd = floor(x * kInvLn2 + 0.5);
  const int k = static_cast<int>(kd);
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  double p = 1.0 / 6227020800.0;        // 1/13!
  p = p * r + 1.0 / 479001600.0;        // 1/12!
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  if (k > 1023) return p * pow2(1023) * 2.0;
  if (k < -1021) return (p * pow2(k + 600)) * pow2(-600);  // one rounding into subnormals
  return p * pow2(k);
}

/// Natural logarithm. x = m 2^e with m in (sqrt(1/2), sqrt(2)], then
/// log m = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.1716, series to f^25.
CASCADE_HD_INLINE double log(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kSqrt2 = 1.41421356237309514547e+00;
  if (is_nan(x) || x < 0.0) return kNaN;
  if (x == 0.0) return -kInf;
  if (x == kInf) return kInf;
  int e_adjust = 0;
  if (x < 2.2250738585072014e-308) {  // subnormal: scale into the normal range
    x *= 18014398509481984.0;         // 2^54
    e_adjust = -54;
  }
  const std::uint64_t b = to_bits(x);
  int e = static_cast<int>((b >> 52) & 0x7ff) - 1023 + e_adjust;
  double m = from_bits((b & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
  if (m > kSqrt2) {
    m *= 0.5;
    e += 1;
  }
  const double f = (m - 1.0) / (m + 1.0);
  const double s = f * f;
  double R = 1.0 / 25.0;
  R = R * s + 1.0 / 23.0;
  R = R * s + 1.0 / 21.0;
  R = R * s + 1.0 / 19.0;
  R = R * s + 1.0 / 17.0;
  R = R * s + 1.0 / 15.0;
  R = R * s + 1.0 / 13.0;
  R = R * s + 1.0 / 11.0;
  R = R * s + 1.0 / 9.0;
  R = R * s + 1.0 / 7.0;
  R = R * s + 1.0 / 5.0;
  R = R * s + 1.0 / 3.0;
  R = R * s;
  const double two_f = 2.0 * f;
  const double ed = static_cast<double>(e);
  return ed * kLn2Hi + (two_f + (two_f * R + ed * kLn2Lo));
}

namespace detail {
// Taylor polynomials on |r| <= pi/4 (+ reduction slack); errors < 1e-17.
CASCADE_HD_INLINE double sin_poly(double r) {
  const double s = r * r;
  double p = -1.0 / 121645100408832000.0;  // -1/19!
  p = p * s + 1.0 / 355687428096000.0;     // 1/17!
  p = p * s - 1.0 / 1307674368000.0;
  p = p * s + 1.0 / 6227020800.0;
  p = p * s - 1.0 / 39916800.0;
  p = p * s + 1.0 / 362880.0;
  p = p * s - 1.0 / 5040.0;
  p = p * s + 1.0 / 120.0;
  p = p * s - 1.0 / 6.0;
  return r + r * (s * p);
}
CASCADE_HD_INLINE double cos_poly(double r) {
  const double s = r * r;
  double p = 1.0 / 6402373705728000.0;  // 1/18!
  p = p * s - 1.0 / 20922789888000.0;   // -1/16!
  p = p * s + 1.0 / 87178291200.0;
  p = p * s - 1.0 / 479001600.0;
  p = p * s + 1.0 / 3628800.0;
  p = p * s - 1.0 / 40320.0;
  p = p * s + 1.0 / 720.0;
  p = p * s - 1.0 / 24.0;
  p = p * s + 0.5;
  return 1.0 - s * p;
}
// x = k pi/2 + r with a three-part pi/2 (each part 33 bits, so k * part is
// exact for |k| < 2^20): accurate reduction for |x| < ~1.6e6. Beyond that the
// result degrades gracefully; callers with large phases reduce them exactly
// first (e.g. in integer time steps).
CASCADE_HD_INLINE double reduce_pio2(double x, int& quadrant) {
  constexpr double kTwoOverPi = 6.36619772367581382433e-01;
  constexpr double kPio2_1 = 1.57079632673412561417e+00;
  constexpr double kPio2_2 = 6.07710050630396597660e-11;
  constexpr double kPio2_3 = 2.02226624871116645580e-21;
  const double kd = floor(x * kTwoOverPi + 0.5);
  const double r = ((x - kd * kPio2_1) - kd * kPio2_2) - kd * kPio2_3;
  const long long k = static_cast<long long>(kd);
  quadrant = static_cast<int>(k & 3);
  return r;
}
}  // namespace detail

CASCADE_HD_INLINE double sin(double x) {
  if (!is_finite(x)) return kNaN;
  int q;
  const double r = detail::reduce_pio2(x, q);
  switch (q) {
    case 0: return detail::sin_poly(r);
    case 1: return detail::cos_poly(r);
    case 2: return -detail::sin_poly(r);
    default: return -detail::cos_poly(r);
  }
}

CASCADE_HD_INLINE double cos(double x) {
  if (!is_finite(x)) return kNaN;
  int q;
  const double r = detail::reduce_pio2(x, q);
  switch (q) {
    case 0: return detail::cos_poly(r);
    case 1: return -detail::sin_poly(r);
    case 2: return -detail::cos_poly(r);
    default: return detail::sin_poly(r);
  }
}

/// Logistic function 1/(1+e^-x), accurate in both tails (sigmoid(-105) is a
/// subnormal, kept as such).
CASCADE_HD_INLINE double sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
  const double e = exp(x);
  return e / (1.0 + e);
}

// NaN passes through (so a non-finite input is detected downstream, not hidden).
CASCADE_HD_INLINE double relu(double x) { return (x > 0.0 || x != x) ? x : 0.0; }
CASCADE_HD_INLINE double abs(double x) { return x < 0.0 ? -x : x; }

}  // namespace cascade::math

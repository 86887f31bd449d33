#include "core/parse.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace cascade {

bool parse_number(std::string_view text, double& out) {
  if (text.empty() || text.front() == ' ' || text.front() == '\t' || text.front() == '\n') return false;
  if (text.find_first_of("xX") != std::string_view::npos) return false;  // strtod reads hex (0x10); users mean decimal
  const std::string s(text);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  if (errno == ERANGE && std::isinf(v)) return false;  // 1e400: not a representable number
  out = v;
  return true;
}

bool parse_integer(std::string_view text, std::int64_t& out) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  if (!digits.empty() && (digits.front() != '-' || digits.size() == text.size())) {  // no "+-5"
    std::int64_t v = 0;
    const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (res.ec == std::errc() && res.ptr == digits.data() + digits.size()) {
      out = v;
      return true;
    }
    if (res.ec == std::errc::result_out_of_range) return false;
  }
  double d = 0.0;
  // 2^63 itself is not an int64; every whole double below it is.
  if (!parse_number(text, d) || !std::isfinite(d) || d != std::floor(d) || std::fabs(d) >= 9223372036854775808.0)
    return false;
  out = static_cast<std::int64_t>(d);
  return true;
}

bool is_whole_number_text(std::string_view text) {
  double d = 0.0;
  if (parse_number(text, d)) return std::isfinite(d) && d == std::floor(d);
  // Beyond double's range (1e400) or a long run of digits: still written as a whole number.
  std::string_view digits = text;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
  return !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace cascade

// Numbers as users write them, parsed one way everywhere (flags, run files,
// NAME=VALUE lists): the whole text, an optional sign.
#pragma once
#include <cstdint>
#include <string_view>

namespace cascade {

/// Decimal or scientific (+4.5, -2e-3, 1e4), inf, nan; false for anything
/// else, blanks included, and for values beyond double's range.
bool parse_number(std::string_view text, double& out);

/// An integer: digits with an optional sign, or a number whose value is a
/// whole number exactly (1e4, 2.5e3, 100.0); false otherwise or beyond int64.
bool parse_integer(std::string_view text, std::int64_t& out);

/// True when text is written as a whole number, whatever its size (1e20,
/// 99999999999999999999): a failed parse_integer is then a range problem.
bool is_whole_number_text(std::string_view text);

}  // namespace cascade

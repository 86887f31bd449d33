// The command-line reader: CLI11 parses --name VALUE / --name=VALUE options,
// repeatable options, flags and positionals; every error is Cascade's own
// one line naming the option and what was expected.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cascade::cli {

class Args {
 public:
  /// `value_options`: options taking a value; `flags`: options without one.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
       const std::set<std::string>& flags);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;  // the last occurrence
  std::vector<std::string> values(const std::string& name) const;   // every occurrence, in order
  const std::vector<std::string>& positional() const { return positional_; }

  std::string required(const std::string& name) const;
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  std::uint64_t unsigned_integer(const std::string& name, std::uint64_t fallback) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace cascade::cli

#include "args.hpp"

#include <charconv>

#include "cascade/error.hpp"

namespace cascade::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
           const std::set<std::string>& flags) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2), val;
    bool has_inline = false;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      val = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline = true;
    }
    if (flags.count(name)) {
      if (has_inline) throw Error("option --" + name + " takes no value");
      flags_.insert(name);
    } else if (value_options.count(name)) {
      if (!has_inline) {
        if (i + 1 >= argv.size()) throw Error("option --" + name + " needs a value");
        val = argv[++i];
      }
      values_[name].push_back(val);
    } else {
      throw Error("unknown option --" + name + " (see --help)");
    }
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::required(const std::string& name) const {
  auto v = value(name);
  if (!v) throw Error("option --" + name + " is required (see --help)");
  return *v;
}

std::int64_t Args::integer(const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t max) const {
  auto v = value(name);
  if (!v) return fallback;
  std::int64_t out = 0;
  const auto res = std::from_chars(v->data(), v->data() + v->size(), out);
  if (v->empty() || res.ec != std::errc() || res.ptr != v->data() + v->size())
    throw Error("option --" + name + ": '" + *v + "' is not an integer");
  if (out < min || out > max)
    throw Error("option --" + name + ": " + *v + " is out of range; expected " + std::to_string(min) + " to " +
                std::to_string(max));
  return out;
}

std::uint64_t Args::unsigned_integer(const std::string& name, std::uint64_t fallback) const {
  auto v = value(name);
  if (!v) return fallback;
  std::uint64_t out = 0;
  const auto res = std::from_chars(v->data(), v->data() + v->size(), out);
  if (v->empty() || res.ec != std::errc() || res.ptr != v->data() + v->size())
    throw Error("option --" + name + ": '" + *v + "' is not a non-negative integer");
  return out;
}

}  // namespace cascade::cli

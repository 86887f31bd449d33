#include "args.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <map>

#include "cascade/error.hpp"

namespace cascade::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
           const std::set<std::string>& flags) {
  // CLI11 does the parsing; Cascade keeps its own help texts and its
  // one-line error messages (docs/robustness.md).
  CLI::App app{"cascade"};
  app.set_help_flag();  // --help is an ordinary flag here: each command prints its own text
  app.allow_extras(false);
  std::map<std::string, std::vector<std::string>> parsed;
  std::map<std::string, std::int64_t> counts;
  for (const auto& name : value_options) {
    CLI::Option* o = app.add_option("--" + name, parsed[name]);
    o->expected(1);
    o->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    o->allow_extra_args(false);
  }
  for (const auto& name : flags) app.add_flag("--" + name, counts[name]);
  app.add_option("positional", positional_)->expected(0, 1 << 20);
  // parse(vector) wants the arguments in reverse order.
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ExtrasError& e) {
    std::string extra = e.what();
    extra = extra.substr(extra.find(':') + 1);
    extra.erase(0, extra.find_first_not_of(' '));
    extra = extra.substr(0, extra.find(' '));
    if (extra.rfind("--", 0) == 0) {
      const std::string name = extra.substr(2, extra.find('=') == std::string::npos ? std::string::npos : extra.find('=') - 2);
      if (flags.count(name)) throw Error("option --" + name + " takes no value");
      throw Error("unknown option " + extra.substr(0, extra.find('=')) + " (see --help)");
    }
    throw Error("unexpected argument '" + extra + "' (see --help)");
  } catch (const CLI::ArgumentMismatch& e) {
    const std::string what = e.what();
    throw Error("option " + what.substr(0, what.find(':')) + " needs a value");
  } catch (const CLI::ParseError& e) {
    throw Error(std::string("command line: ") + e.what());
  }
  for (auto& [name, v] : parsed)
    if (!v.empty()) values_[name] = std::move(v);
  for (const auto& [name, n] : counts)
    if (n > 0) flags_.insert(name);
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

// Settings: the options of a command as given, typed reads with their
// origins in every message, the run-file/command-line merge, the command line
// they stand for, and their JSON form for checkpoints.
#include "cascade/run/settings.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cascade/error.hpp"
#include "core/parse.hpp"

namespace cascade::run {

namespace {

const char* type_name(const Setting& s) {
  switch (s.value.index()) {
    case 0: return "a string";
    case 1: return "an integer";
    case 2: return "a number";
    default: return "a boolean";
  }
}

[[noreturn]] void wrong_type(const Setting& s, const char* want) {
  throw Error(s.origin + " must be " + want + ", not " + type_name(s));
}

}  // namespace

std::string number_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int p = 15; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

double number_of(const Setting& s) {
  if (const auto* d = std::get_if<double>(&s.value)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&s.value)) return static_cast<double>(*i);
  const auto* t = std::get_if<std::string>(&s.value);
  if (!t || !s.text) wrong_type(s, "a number");
  double x = 0.0;
  if (!parse_number(*t, x)) throw Error(s.origin + ": '" + *t + "' is not a number");
  return x;
}

std::int64_t integer_of(const Setting& s, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  std::string shown;
  if (const auto* i = std::get_if<std::int64_t>(&s.value)) {
    v = *i;
    shown = std::to_string(v);
  } else if (const auto* t = std::get_if<std::string>(&s.value); t && s.text) {
    if (!parse_integer(*t, v)) {
      if (is_whole_number_text(*t))
        throw Error(s.origin + ": " + *t + " is out of range; expected " + std::to_string(min) + " to " +
                    std::to_string(max));
      throw Error(s.origin + ": '" + *t + "' is not an integer");
    }
    shown = *t;
  } else {
    wrong_type(s, "an integer");
  }
  if (v < min || v > max)
    throw Error(s.origin + ": " + shown + " is out of range; expected " + std::to_string(min) + " to " +
                std::to_string(max));
  return v;
}

std::uint64_t unsigned_of(const Setting& s) {
  if (const auto* i = std::get_if<std::int64_t>(&s.value)) {
    if (*i < 0) throw Error(s.origin + ": " + std::to_string(*i) + " is not a non-negative integer");
    return static_cast<std::uint64_t>(*i);
  }
  const auto* t = std::get_if<std::string>(&s.value);
  if (!t || !s.text) wrong_type(s, "an integer");
  std::uint64_t v = 0;
  const auto res = std::from_chars(t->data(), t->data() + t->size(), v);
  if (!t->empty() && res.ec == std::errc() && res.ptr == t->data() + t->size()) return v;
  std::int64_t w = 0;  // +5, 1e3: a whole number written otherwise
  if (!parse_integer(*t, w) || w < 0) throw Error(s.origin + ": '" + *t + "' is not a non-negative integer");
  return static_cast<std::uint64_t>(w);
}

std::string text_of(const Setting& s) {
  const auto* t = std::get_if<std::string>(&s.value);
  if (!t) wrong_type(s, "a string");
  return *t;
}

std::string setting_text(const Setting& s) {
  switch (s.value.index()) {
    case 0: return std::get<std::string>(s.value);
    case 1: return std::to_string(std::get<std::int64_t>(s.value));
    case 2: return number_text(std::get<double>(s.value));
    default: return std::get<bool>(s.value) ? "true" : "false";
  }
}

// --- Settings ----------------------------------------------------------------

const OptionSpec& Settings::spec(std::string_view option) const {
  const OptionSpec* o = find_option(command_, option);
  CASCADE_REQUIRE(o, "no option --" + std::string(option) + " for " + command_name(command_));
  return *o;
}

void Settings::add(const std::string& option, Setting s) {
  const OptionSpec& o = spec(option);
  // An empty value is never a path, a name or a specification (a shell's
  // unset variable, "$W", gives one): refused where it is given.
  if (o.kind == ValueKind::kText) {
    if (const auto* t = std::get_if<std::string>(&s.value); t && t->empty())
      throw Error(s.origin + ": an empty value; expected " + (o.value_name ? o.value_name : "a value"));
  }
  entries_.push_back({option, std::move(s)});
}

bool Settings::has(std::string_view option) const { return last(option) != nullptr; }

bool Settings::flag(std::string_view option) const {
  for (const Entry& e : entries_)
    if (e.option == option) {
      const auto* b = std::get_if<bool>(&e.setting.value);
      if (!b || *b) return true;
    }
  return false;
}

const Setting* Settings::last(std::string_view option) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    if (it->option == option) return &it->setting;
  return nullptr;
}

std::vector<const Setting*> Settings::all(std::string_view option) const {
  std::vector<const Setting*> out;
  for (const Entry& e : entries_)
    if (e.option == option) out.push_back(&e.setting);
  return out;
}

std::optional<std::int64_t> Settings::integer_if(std::string_view option) const {
  const OptionSpec& o = spec(option);
  if (const Setting* s = last(option)) return integer_of(*s, o.min, o.max);
  return std::nullopt;
}

std::int64_t Settings::integer(std::string_view option) const {
  const OptionSpec& o = spec(option);
  if (const auto v = integer_if(option)) return *v;
  CASCADE_REQUIRE(o.default_text, "option --" + std::string(option) + " has no default");
  return std::strtoll(o.default_text, nullptr, 10);
}

std::uint64_t Settings::unsigned_integer(std::string_view option) const {
  const OptionSpec& o = spec(option);
  if (const Setting* s = last(option)) return unsigned_of(*s);
  return o.default_text ? std::strtoull(o.default_text, nullptr, 10) : 0;
}

std::optional<double> Settings::number_if(std::string_view option) const {
  spec(option);
  if (const Setting* s = last(option)) return number_of(*s);
  return std::nullopt;
}

double Settings::number(std::string_view option) const {
  const OptionSpec& o = spec(option);
  if (const auto v = number_if(option)) return *v;
  CASCADE_REQUIRE(o.default_text, "option --" + std::string(option) + " has no default");
  return std::strtod(o.default_text, nullptr);
}

std::optional<std::string> Settings::text_if(std::string_view option) const {
  spec(option);
  if (const Setting* s = last(option)) return text_of(*s);
  return std::nullopt;
}

std::string Settings::text(std::string_view option) const {
  const OptionSpec& o = spec(option);
  if (const auto v = text_if(option)) return *v;
  return o.default_text ? o.default_text : "";
}

std::vector<std::string> Settings::texts(std::string_view option) const {
  spec(option);
  std::vector<std::string> out;
  for (const Setting* s : all(option)) out.push_back(text_of(*s));
  return out;
}

void Settings::require(std::string_view option) const {
  spec(option);
  if (!has(option)) throw Error("option --" + std::string(option) + " is required (see --help)");
}

void Settings::override_with(const Settings& later) {
  auto given = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (later.has(n)) return true;
    return false;
  };
  // Lists given later replace these; groups go together (a stimulus and its
  // mask, the two ways of naming networks).
  std::vector<std::vector<std::string>> replaced;
  if (given({"stimulus", "stimulus-mask"})) replaced.push_back({"stimulus", "stimulus-mask"});
  if (given({"output"})) replaced.push_back({"output"});
  if (given({"weights", "generate"})) replaced.push_back({"weights", "generate"});
  if (given({"tune"})) replaced.push_back({"tune"});
  if (given({"params-file"})) replaced.push_back({"param"});  // a parameters file is a complete set
  std::vector<Entry> kept;
  for (Entry& e : entries_) {
    bool drop = false;
    for (const auto& group : replaced)
      if (std::find(group.begin(), group.end(), e.option) != group.end()) drop = true;
    if (!drop) kept.push_back(std::move(e));
  }
  entries_ = std::move(kept);
  for (const Entry& e : later.entries_) entries_.push_back(e);
  if (!later.positional.empty()) positional = later.positional;
}

std::vector<std::string> Settings::command_line() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) {
    const OptionSpec& o = spec(e.option);
    if (o.kind == ValueKind::kFlag) {
      if (!(std::holds_alternative<bool>(e.setting.value) && !std::get<bool>(e.setting.value)))
        out.push_back("--" + e.option);
      continue;
    }
    out.push_back("--" + e.option);
    out.push_back(e.setting.name.empty() ? setting_text(e.setting) : e.setting.name + "=" + setting_text(e.setting));
  }
  out.insert(out.end(), positional.begin(), positional.end());
  return out;
}

// --- JSON (checkpoints) ------------------------------------------------------

std::string settings_to_json(const Settings& s) {
  nlohmann::ordered_json j;
  j["command"] = command_name(s.command());
  j["run_file"] = s.run_file_path;
  j["run_file_text"] = s.run_file_text;
  j["positional"] = s.positional;
  auto& entries = j["entries"] = nlohmann::ordered_json::array();
  static const char* kTags[] = {"s", "i", "d", "b"};
  for (const auto& e : s.entries()) {
    // Values as text (exact for doubles, NaN included) with their type.
    entries.push_back({{"option", e.option},
                       {"type", kTags[e.setting.value.index()]},
                       {"value", setting_text(e.setting)},
                       {"text", e.setting.text},
                       {"origin", e.setting.origin},
                       {"name", e.setting.name}});
  }
  return j.dump();
}

Settings settings_from_json(const std::string& text, const std::string& where) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    const std::string cmd = j.at("command").get<std::string>();
    Command c = cmd == "tune" ? Command::kTune : cmd == "generate" ? Command::kGenerate : Command::kSimulate;
    Settings s(c);
    s.run_file_path = j.at("run_file").get<std::string>();
    s.run_file_text = j.at("run_file_text").get<std::string>();
    s.positional = j.at("positional").get<std::vector<std::string>>();
    for (const auto& e : j.at("entries")) {
      Setting st;
      const std::string tag = e.at("type").get<std::string>(), v = e.at("value").get<std::string>();
      if (tag == "i") st.value = static_cast<std::int64_t>(std::strtoll(v.c_str(), nullptr, 10));
      else if (tag == "d") st.value = std::strtod(v.c_str(), nullptr);
      else if (tag == "b") st.value = v == "true";
      else st.value = v;
      st.text = e.at("text").get<bool>();
      st.origin = e.at("origin").get<std::string>();
      st.name = e.at("name").get<std::string>();
      const std::string option = e.at("option").get<std::string>();
      if (!find_option(c, option))
        throw Error(where + ": the run's settings name an option --" + option + " that cascade " +
                    command_name(c) + " does not have (written by another version of cascade?)");
      s.add(option, std::move(st));
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": the run's settings are unreadable (" + e.what() + ")");
  }
}

}  // namespace cascade::run

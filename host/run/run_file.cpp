// TOML run files (docs/run-files.md) read into typed settings: a key means
// exactly what its option means (the table in options_table.cpp), values
// keep their TOML types, and every setting remembers its file, line and key.
// toml++ is used header-only here, so the library carries no link dependency.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 1
#include <toml++/toml.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cascade/error.hpp"
#include "cascade/run/settings.hpp"
#include "core/limits.hpp"

namespace cascade::run {

namespace {

std::string toml_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

const char* kSections[] = {"networks", "model", "stimulus", "run", "output", "tune"};

class Reader {
 public:
  Reader(std::string path, Command command, Settings& out) : path_(std::move(path)), command_(command), out_(out) {}

  [[noreturn]] void fail(const toml::node& n, const std::string& what) const {
    throw Error(path_ + ":" + std::to_string(n.source().begin.line) + ": " + what);
  }
  std::string at(const toml::node& n, const std::string& key) const {
    return path_ + ":" + std::to_string(n.source().begin.line) + ": " + key;
  }

  void read(const toml::table& root) {
    only_keys(root, "the run file", std::vector<std::string>(std::begin(kSections), std::end(kSections)));
    const toml::table* nets = table_at(root, "networks");
    if (!nets) throw Error(path_ + ": missing section [networks] (path = \"...\" or [networks.generate])");
    if (!nets->get("path") && !nets->get("generate"))
      throw Error(path_ + ": [networks] needs path = \"...\" or a [networks.generate] table");
    if (nets->get("path") && nets->get("generate"))
      fail(*nets->get("generate"), "[networks] takes path or generate, not both");
    for (const char* section : kSections) {
      if (std::string(section) == "stimulus") {
        stimuli(root);
        continue;
      }
      if (const toml::table* t = table_at(root, section)) read_section(section, *t);
    }
  }

 private:
  const toml::table* table_at(const toml::table& root, const char* name) const {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (!n->is_table()) fail(*n, std::string("[") + name + "] must be a table, not " + toml_type_name(*n));
    return n->as_table();
  }

  void only_keys(const toml::table& t, const std::string& where, const std::vector<std::string>& allowed) const {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(v, "unknown key '" + key + "' in " + where + "; expected one of: " + list);
      }
    }
  }

  /// The keys of `section` over every command, in table order.
  static std::vector<std::string> keys_of(const std::string& section) {
    std::vector<std::string> keys;
    for (Command c : {Command::kSimulate, Command::kTune})
      for (const OptionSpec* o : options_of(c)) {
        if (!o->run_key) continue;
        const std::string k = o->run_key;
        if (k.rfind(section + ".", 0) != 0) continue;
        const std::string name = k.substr(section.size() + 1);
        if (std::find(keys.begin(), keys.end(), name) == keys.end()) keys.push_back(name);
      }
    return keys;
  }

  /// The option a key stands for: this command's, else another command's
  /// (then the value is checked and not used), else null.
  const OptionSpec* option_for(const std::string& key, bool* used) const {
    for (const OptionSpec* o : options_of(command_))
      if (o->run_key && key == o->run_key) {
        *used = true;
        return o;
      }
    *used = false;
    for (Command c : {Command::kSimulate, Command::kTune})
      for (const OptionSpec* o : options_of(c))
        if (o->run_key && key == o->run_key) return o;
    return nullptr;
  }

  /// The keys of a section in the order their options enter the command
  /// line the file stands for (provenance records it): [networks], [model]
  /// and [output] in table order, [run] and [tune] in the file's (TOML's
  /// sorted) order.
  std::vector<std::string> ordered_keys(const std::string& section, const toml::table& t) const {
    std::vector<std::string> keys;
    if (section == "networks" || section == "model" || section == "output") {
      for (const auto& k : keys_of(section))
        if (t.get(k)) keys.push_back(k);
    } else {
      for (const auto& [k, v] : t) keys.push_back(std::string(k.str()));
    }
    return keys;
  }

  void read_section(const std::string& section, const toml::table& t) {
    only_keys(t, "[" + section + "]", keys_of(section));
    for (const std::string& name : ordered_keys(section, t)) {
      const toml::node& v = *t.get(name);
      const std::string key = section + "." + name, shown = "[" + section + "]." + name;
      bool used = false;
      const OptionSpec* o = option_for(key, &used);
      if (key == "networks.generate") generate(v, used);
      else if (key == "model.params") params(v, used);
      else if (key == "output.files") files(v, used, *o);
      else if (key == "tune.select") select(v, used, *o);
      else scalar(v, used, *o, shown);
    }
  }

  void add(const OptionSpec& o, bool used, Setting s) {
    if (used) out_.add(o.name, std::move(s));
  }

  /// A plain key: typed as its option wants.
  void scalar(const toml::node& v, bool used, const OptionSpec& o, const std::string& shown) {
    Setting s;
    s.origin = at(v, shown);
    switch (o.kind) {
      case ValueKind::kFlag:
        if (!v.is_boolean()) fail(v, shown + " must be a boolean, not " + toml_type_name(v));
        s.value = v.as_boolean()->get();
        break;
      case ValueKind::kInteger:
      case ValueKind::kUnsigned:
        if (!v.is_integer()) fail(v, shown + " must be an integer, not " + toml_type_name(v));
        s.value = v.as_integer()->get();
        break;
      case ValueKind::kNumber:
        if (v.is_integer()) s.value = static_cast<double>(v.as_integer()->get());
        else if (v.is_floating_point()) s.value = finite(v, shown);
        else fail(v, shown + " must be a number, not " + toml_type_name(v));
        break;
      case ValueKind::kText:
        s.value = string_value(v, shown);
        break;
    }
    add(o, used, std::move(s));
  }

  /// A value inside a specification (generator, stimulus) as its text.
  std::string spec_value(const toml::node& v, const std::string& shown) const {
    if (const auto* i = v.as_integer()) return std::to_string(i->get());
    if (v.is_floating_point()) return number_text(finite(v, shown));
    if (const auto* b = v.as_boolean()) return b->get() ? "true" : "false";
    fail(v, shown + " must be a number, not " + toml_type_name(v));
  }

  /// A string value; an empty one is refused here, where the file and line are known.
  std::string string_value(const toml::node& v, const std::string& shown) const {
    const auto* s = v.as_string();
    if (!s) fail(v, shown + " must be a string, not " + toml_type_name(v));
    if (s->get().empty()) fail(v, shown + " is empty; give a value or leave the key out");
    return s->get();
  }

  /// A float value; nan and inf are no setting of Cascade's.
  double finite(const toml::node& v, const std::string& shown) const {
    const double x = v.as_floating_point()->get();
    if (!std::isfinite(x)) fail(v, shown + " = " + number_text(x) + " is not a finite number");
    return x;
  }

  void generate(const toml::node& g, bool used) {
    if (!g.is_table()) fail(g, "[networks].generate must be a table, not " + toml_type_name(g));
    const auto& gt = *g.as_table();
    const toml::node* kind = gt.get("kind");
    if (!kind) fail(g, "[networks.generate] needs kind = \"normal\" | \"uniform\" | \"mexican_hat\" | \"sparse\"");
    std::string spec = string_value(*kind, "[networks.generate].kind") + ":";
    bool first = true;
    for (const auto& [k, v] : gt) {
      const std::string key(k.str());
      if (key == "kind") continue;
      const std::string val = key == "weights" ? string_value(v, "[networks.generate].weights")
                                               : spec_value(v, "[networks.generate]." + key);
      spec += (first ? "" : ",") + key + "=" + val;
      first = false;
    }
    Setting s{spec, true, at(g, "[networks.generate]"), ""};
    add(*find_option(Command::kSimulate, "generate"), used, std::move(s));
  }

  void params(const toml::node& p, bool used) {
    if (!p.is_table()) fail(p, "[model].params must be a table, not " + toml_type_name(p));
    for (const auto& [k, v] : *p.as_table()) {
      const std::string name(k.str()), shown = "[model.params]." + name;
      Setting s;
      s.origin = at(v, shown);
      s.name = name;
      if (v.is_integer()) s.value = static_cast<double>(v.as_integer()->get());
      else if (v.is_floating_point()) s.value = finite(v, shown);
      else fail(v, shown + " must be a number, not " + toml_type_name(v));
      add(*find_option(Command::kSimulate, "param"), used, std::move(s));
    }
  }

  void files(const toml::node& f, bool used, const OptionSpec& o) {
    const toml::array* arr = f.as_array();
    if (!arr) fail(f, "[output].files must be an array of file names, not " + toml_type_name(f));
    for (const auto& e : *arr) {
      Setting s{string_value(e, "[output].files"), true, at(e, "[output].files"), ""};
      add(o, used, std::move(s));
    }
  }

  void select(const toml::node& v, bool used, const OptionSpec& o) {
    std::string sel;
    if (const auto* arr = v.as_array()) {
      for (const auto& e : *arr) {
        if (!sel.empty()) sel += ',';
        sel += string_value(e, "[tune].select");
      }
    } else {
      sel = string_value(v, "[tune].select");
    }
    add(o, used, Setting{sel, true, at(v, "[tune].select"), ""});
  }

  void stimuli(const toml::table& root) {
    const toml::node* s = root.get("stimulus");
    if (!s) return;
    const toml::array* arr = s->as_array();
    if (!arr || !arr->is_array_of_tables()) fail(*s, "stimulus must be an array of tables ([[stimulus]])");
    const OptionSpec& stim = *find_option(command_, "stimulus");
    const OptionSpec& mask = *find_option(command_, "stimulus-mask");
    for (const auto& e : *arr) {
      const auto& t = *e.as_table();
      const toml::node* kind = t.get("kind");
      if (!kind) fail(e, "[[stimulus]] needs kind = \"regular\" | \"poisson\" | \"sin\" | \"loaded\"");
      const std::string k = string_value(*kind, "[[stimulus]].kind");
      std::string spec = k + ":";
      if (k == "loaded") {
        only_keys(t, "[[stimulus]] (loaded)", {"kind", "path", "mask"});
        const toml::node* p = t.get("path");
        if (!p) fail(e, "a loaded [[stimulus]] needs path = \"values.npy\"");
        spec += string_value(*p, "[[stimulus]].path");
      } else {
        bool first = true;
        for (const auto& [key, v] : t) {
          const std::string name(key.str());
          if (name == "kind" || name == "mask") continue;
          spec += (first ? "" : ",") + name + "=" + spec_value(v, "[[stimulus]]." + name);
          first = false;
        }
      }
      add(stim, true, Setting{spec, true, at(e, "[[stimulus]]"), ""});
      const toml::node* m = t.get("mask");
      add(mask, true,
          Setting{m ? string_value(*m, "[[stimulus]].mask") : std::string("all"), true,
                  at(m ? *m : e, "[[stimulus]].mask"), ""});
    }
  }

  std::string path_;
  Command command_;
  Settings& out_;
};

/// TOML 1.0 allows non-ASCII characters only inside strings and comments.
/// Refused anywhere else before toml++ sees the text, with the line named
/// (toml++'s own message for them is less direct).
void check_ascii_outside_strings(const std::string& t, const std::string& path) {
  std::size_t line = 1, i = 0;
  auto starts = [&](const char* q) { return t.compare(i, 3, q) == 0; };
  while (i < t.size()) {
    const char c = t[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == '#') {
      while (i < t.size() && t[i] != '\n') ++i;
    } else if (starts("\"\"\"") || starts("'''")) {
      const std::string close = t.substr(i, 3);
      i += 3;
      while (i < t.size() && t.compare(i, 3, close) != 0) {
        if (t[i] == '\n') ++line;
        if (close[0] == '"' && t[i] == '\\') ++i;
        ++i;
      }
      i += 3;
    } else if (c == '"' || c == '\'') {
      for (++i; i < t.size() && t[i] != c && t[i] != '\n'; ++i)
        if (c == '"' && t[i] == '\\') ++i;
      ++i;
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      throw Error(path + ":" + std::to_string(line) +
                  ": a non-ASCII character outside a string or comment (TOML keys, values and spacing are ASCII)");
    } else {
      ++i;
    }
  }
}

}  // namespace

Settings parse_run_file(const std::string& text, const std::string& path, Command command) {
  Settings s(command);
  s.run_file_path = path;
  s.run_file_text = text;
  check_ascii_outside_strings(text, path);
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw Error(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  Reader(path, command, s).read(root);
  return s;
}

Settings read_run_file(const std::string& path, Command command) {
  // Run files are a few kilobytes: 16 MiB is room for any, and no more.
  return parse_run_file(read_small_file(path, "the run file", std::uint64_t{16} << 20), path, command);
}

}  // namespace cascade::run

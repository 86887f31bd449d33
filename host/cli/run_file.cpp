// TOML run files: a run described in a file, translated into the command
// line it stands for, so that a file and flags mean exactly the same thing
// and flags given on the command line override the file.
#include "run_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cascade/error.hpp"
#include "json.hpp"

namespace cascade::cli {

namespace {

struct Ctx {
  std::string path;
  [[noreturn]] void fail(const toml::node& n, const std::string& what) const {
    throw Error(path + ":" + std::to_string(n.source().begin.line) + ": " + what);
  }
};

std::string type_name(const toml::node& n) {
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

std::string number_text(const toml::node& n, const Ctx& c, const std::string& key) {
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  if (const auto* f = n.as_floating_point()) return json_number(f->get());
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  c.fail(n, key + " must be a number, not " + type_name(n));
}

std::string string_of(const toml::node& n, const Ctx& c, const std::string& key) {
  if (const auto* s = n.as_string()) return s->get();
  c.fail(n, key + " must be a string, not " + type_name(n));
}

std::string integer_of(const toml::node& n, const Ctx& c, const std::string& key) {
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  c.fail(n, key + " must be an integer, not " + type_name(n));
}

/// Checks that every key of `t` is allowed.
void only_keys(const toml::table& t, const std::string& where, const std::vector<std::string>& allowed, const Ctx& c) {
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      c.fail(v, "unknown key '" + key + "' in " + where + "; expected one of: " + list);
    }
  }
}

}  // namespace

RunFile read_run_file(const std::string& path, const std::string& command) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the run file");
  std::stringstream ss;
  ss << in.rdbuf();
  RunFile rf;
  rf.text = ss.str();
  toml::table root;
  try {
    root = toml::parse(rf.text, path);
  } catch (const toml::parse_error& e) {
    throw Error(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  const Ctx c{path};
  only_keys(root, "the run file", {"networks", "model", "stimulus", "run", "output", "tune"}, c);
  auto& a = rf.args;
  auto table_at = [&](const char* name) -> const toml::table* {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (!n->is_table()) c.fail(*n, std::string("[") + name + "] must be a table, not " + type_name(*n));
    return n->as_table();
  };

  // [networks]: path or generate, batch_size.
  const toml::table* nets = table_at("networks");
  if (!nets) throw Error(path + ": missing section [networks] (path = \"...\" or [networks.generate])");
  only_keys(*nets, "[networks]", {"path", "generate", "batch_size"}, c);
  if (const auto* p = nets->get("path")) a.insert(a.end(), {"--weights", string_of(*p, c, "[networks].path")});
  if (const auto* g = nets->get("generate")) {
    if (!g->is_table()) c.fail(*g, "[networks].generate must be a table, not " + type_name(*g));
    const auto& gt = *g->as_table();
    const toml::node* kind = gt.get("kind");
    if (!kind) c.fail(*g, "[networks.generate] needs kind = \"normal\" | \"uniform\" | \"mexican_hat\" | \"sparse\"");
    std::string spec = string_of(*kind, c, "[networks.generate].kind") + ":";
    bool first = true;
    for (const auto& [k, v] : gt) {
      const std::string key(k.str());
      if (key == "kind") continue;
      const std::string val = (key == "weights") ? string_of(v, c, "[networks.generate].weights")
                                                 : number_text(v, c, "[networks.generate]." + key);
      spec += (first ? "" : ",") + key + "=" + val;
      first = false;
    }
    a.insert(a.end(), {"--generate", spec});
  }
  if (!nets->get("path") && !nets->get("generate"))
    throw Error(path + ": [networks] needs path = \"...\" or a [networks.generate] table");
  if (nets->get("path") && nets->get("generate")) c.fail(*nets->get("generate"), "[networks] takes path or generate, not both");
  if (const auto* b = nets->get("batch_size")) {
    if (command == "simulate") a.insert(a.end(), {"--batch-size", integer_of(*b, c, "[networks].batch_size")});
    else integer_of(*b, c, "[networks].batch_size");
  }

  // [model]: name, params.
  if (const toml::table* m = table_at("model")) {
    only_keys(*m, "[model]", {"name", "params"}, c);
    if (const auto* n = m->get("name")) a.insert(a.end(), {"--model", string_of(*n, c, "[model].name")});
    if (const auto* p = m->get("params")) {
      if (!p->is_table()) c.fail(*p, "[model].params must be a table, not " + type_name(*p));
      for (const auto& [k, v] : *p->as_table())
        a.insert(a.end(), {"--param", std::string(k.str()) + "=" + number_text(v, c, "[model.params]." + std::string(k.str()))});
    }
  }

  // [[stimulus]]: kind, its parameters (or path for loaded), mask.
  if (const toml::node* s = root.get("stimulus")) {
    const toml::array* arr = s->as_array();
    if (!arr || !arr->is_array_of_tables()) c.fail(*s, "stimulus must be an array of tables ([[stimulus]])");
    for (const auto& e : *arr) {
      const auto& t = *e.as_table();
      const toml::node* kind = t.get("kind");
      if (!kind) c.fail(e, "[[stimulus]] needs kind = \"regular\" | \"poisson\" | \"sin\" | \"loaded\"");
      const std::string k = string_of(*kind, c, "[[stimulus]].kind");
      std::string spec = k + ":";
      if (k == "loaded") {
        only_keys(t, "[[stimulus]] (loaded)", {"kind", "path", "mask"}, c);
        const toml::node* p = t.get("path");
        if (!p) c.fail(e, "a loaded [[stimulus]] needs path = \"values.npy\"");
        spec += string_of(*p, c, "[[stimulus]].path");
      } else {
        bool first = true;
        for (const auto& [key, v] : t) {
          const std::string name(key.str());
          if (name == "kind" || name == "mask") continue;
          spec += (first ? "" : ",") + name + "=" + number_text(v, c, "[[stimulus]]." + name);
          first = false;
        }
      }
      a.insert(a.end(), {"--stimulus", spec});
      const toml::node* mask = t.get("mask");
      a.insert(a.end(), {"--stimulus-mask", mask ? string_of(*mask, c, "[[stimulus]].mask") : std::string("all")});
    }
  }

  // [run]
  if (const toml::table* r = table_at("run")) {
    only_keys(*r, "[run]",
              {"steps", "equilibration", "replicas", "replica_offset", "seed", "threads", "backend", "gpu_strategy",
               "device", "record_dtype", "chunk_steps"},
              c);
    const std::map<std::string, std::string> ints = {{"steps", "--steps"},       {"equilibration", "--equilibration"},
                                                     {"replicas", "--replicas"}, {"replica_offset", "--replica-offset"},
                                                     {"seed", "--seed"},         {"threads", "--threads"},
                                                     {"chunk_steps", "--chunk-steps"}, {"device", "--device"}};
    for (const auto& [key, v] : *r) {
      const std::string name(key.str());
      const bool tune = command == "tune";
      if (name == "backend") a.insert(a.end(), {"--backend", string_of(v, c, "[run].backend")});
      else if (name == "gpu_strategy") a.insert(a.end(), {"--gpu-strategy", string_of(v, c, "[run].gpu_strategy")});
      else if (name == "record_dtype") {
        const std::string d = string_of(v, c, "[run].record_dtype");
        if (!tune) a.insert(a.end(), {"--record-dtype", d});
      } else {
        const std::string val = integer_of(v, c, "[run]." + name);
        // tune's epoch steps and equilibration come from [tune]; replica offset and chunking do not apply.
        if (tune && (name == "steps" || name == "equilibration" || name == "replica_offset" || name == "chunk_steps"))
          continue;
        a.insert(a.end(), {ints.at(name), val});
      }
    }
  }

  // [output]
  if (const toml::table* o = table_at("output")) {
    only_keys(*o, "[output]", {"files", "force"}, c);
    if (const auto* f = o->get("files")) {
      const toml::array* arr = f->as_array();
      if (!arr) c.fail(*f, "[output].files must be an array of file names, not " + type_name(*f));
      for (const auto& e : *arr)
        if (command == "simulate") a.insert(a.end(), {"--output", string_of(e, c, "[output].files")});
    }
    if (const auto* f = o->get("force")) {
      if (!f->is_boolean()) c.fail(*f, "[output].force must be a boolean, not " + type_name(*f));
      if (f->as_boolean()->get()) a.push_back("--force");
    }
  }

  // [tune]
  if (const toml::table* t = table_at("tune")) {
    only_keys(*t, "[tune]", {"target_hz", "select", "epochs", "steps", "equilibration", "lr", "output_params"}, c);
    if (command == "tune") {
      for (const auto& [key, v] : *t) {
        const std::string name(key.str());
        if (name == "target_hz") a.insert(a.end(), {"--target-hz", number_text(v, c, "[tune].target_hz")});
        else if (name == "lr") a.insert(a.end(), {"--lr", number_text(v, c, "[tune].lr")});
        else if (name == "output_params") a.insert(a.end(), {"--output-params", string_of(v, c, "[tune].output_params")});
        else if (name == "select") {
          if (const auto* arr = v.as_array()) {
            std::string sel;
            for (const auto& e : *arr) {
              if (!sel.empty()) sel += ',';
              sel += string_of(e, c, "[tune].select");
            }
            a.insert(a.end(), {"--tune", sel});
          } else {
            a.insert(a.end(), {"--tune", string_of(v, c, "[tune].select")});
          }
        } else {
          a.insert(a.end(), {"--" + name, integer_of(v, c, "[tune]." + name)});
        }
      }
    }
  }
  return rf;
}

std::vector<std::string> merge_run_args(const std::vector<std::string>& file_args, const std::vector<std::string>& cli) {
  // Options the command line gives replace the file's: single values by
  // coming last; lists (stimuli with their masks, outputs) are dropped from
  // the file's part when the command line has its own.
  std::set<std::string> cli_has;
  for (const auto& s : cli)
    if (s.rfind("--", 0) == 0) cli_has.insert(s.substr(2, s.find('=') == std::string::npos ? std::string::npos : s.find('=') - 2));
  const bool drop_stimuli = cli_has.count("stimulus") || cli_has.count("stimulus-mask");
  const bool drop_outputs = cli_has.count("output");
  const bool drop_networks = cli_has.count("weights") || cli_has.count("generate");
  const bool drop_selection = cli_has.count("tune");
  const bool drop_params = cli_has.count("params-file");  // a parameters file is a complete set
  std::vector<std::string> out;
  for (std::size_t i = 0; i < file_args.size(); ++i) {
    const std::string& o = file_args[i];
    const bool flag = o == "--force";
    const std::string name = o.substr(2);
    const bool drop = (drop_stimuli && (name == "stimulus" || name == "stimulus-mask")) ||
                      (drop_outputs && name == "output") || (drop_networks && (name == "weights" || name == "generate")) ||
                      (drop_selection && name == "tune") || (drop_params && name == "param");
    if (!drop) {
      out.push_back(o);
      if (!flag) out.push_back(file_args[i + 1]);
    }
    if (!flag) ++i;
  }
  out.insert(out.end(), cli.begin(), cli.end());
  return out;
}

bool expand_run_file(std::vector<std::string>& argv, const std::string& command, std::string* text, std::string* path) {
  if (argv.empty() || argv.front().rfind("--", 0) == 0) return false;
  const std::string& f = argv.front();
  if (f.size() < 5 || f.compare(f.size() - 5, 5, ".toml") != 0) return false;
  const RunFile rf = read_run_file(f, command);
  *text = rf.text;
  *path = f;
  argv = merge_run_args(rf.args, std::vector<std::string>(argv.begin() + 1, argv.end()));
  return true;
}

}  // namespace cascade::cli

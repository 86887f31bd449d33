#include "args.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>

#include "cascade/error.hpp"

namespace cascade::cli {

namespace {

/// CLI11 checks the command line against the table's options: unknown
/// options, missing values, values given to flags. Cascade keeps its own
/// help texts and its one-line error messages (docs/robustness.md).
void check_with_cli11(const std::vector<std::string>& argv, const std::vector<std::string>& value_options,
                      const std::vector<std::string>& flags) {
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
  std::vector<std::string> positional;
  app.add_option("positional", positional)->expected(0, 1 << 20);
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());  // parse(vector) wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ExtrasError& e) {
    std::string extra = e.what();
    extra = extra.substr(extra.find(':') + 1);
    extra.erase(0, extra.find_first_not_of(' '));
    extra = extra.substr(0, extra.find(' '));
    if (extra.rfind("--", 0) == 0) {
      const std::string name = extra.substr(2, extra.find('=') == std::string::npos ? std::string::npos : extra.find('=') - 2);
      if (std::find(flags.begin(), flags.end(), name) != flags.end()) throw Error("option --" + name + " takes no value");
      throw Error("unknown option " + extra.substr(0, extra.find('=')) + " (see --help)");
    }
    throw Error("unexpected argument '" + extra + "' (see --help)");
  } catch (const CLI::ArgumentMismatch& e) {
    const std::string what = e.what();
    throw Error("option " + what.substr(0, what.find(':')) + " needs a value");
  } catch (const CLI::ParseError& e) {
    throw Error(std::string("command line: ") + e.what());
  }
}

}  // namespace

run::Settings parse_settings(run::Command command, const std::vector<std::string>& argv_in) {
  std::vector<std::string> argv = argv_in;
  run::Settings file(command);
  bool from_file = false;
  if ((command == run::Command::kSimulate || command == run::Command::kTune) && !argv.empty() && argv.front().rfind("--", 0) != 0 &&
      argv.front().size() >= 5 && argv.front().compare(argv.front().size() - 5, 5, ".toml") == 0) {
    file = run::read_run_file(argv.front(), command);
    from_file = true;
    argv.erase(argv.begin());
  }
  std::vector<std::string> value_options, flags;
  for (const run::OptionSpec* o : run::options_of(command))
    (o->kind == run::ValueKind::kFlag ? flags : value_options).push_back(o->name);
  check_with_cli11(argv, value_options, flags);
  // The settings in the order given (provenance records the command line so).
  run::Settings given(command);
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& tok = argv[i];
    if (tok.rfind("--", 0) != 0) {
      given.positional.push_back(tok);
      continue;
    }
    const std::size_t eq = tok.find('=');
    const std::string name = tok.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const run::OptionSpec* o = run::find_option(command, name);
    run::Setting s;
    s.origin = "option --" + name;
    s.text = true;
    if (o->kind == run::ValueKind::kFlag) s.value = true;
    else if (eq != std::string::npos) s.value = tok.substr(eq + 1);
    else s.value = argv[++i];
    given.add(name, std::move(s));
  }
  if (!from_file) return given;
  file.override_with(given);
  return file;
}

bool FlagsAndArgs::has(const std::string& f) const { return std::find(flags.begin(), flags.end(), f) != flags.end(); }

FlagsAndArgs parse_flags(const std::vector<std::string>& argv, const std::vector<std::string>& flags) {
  check_with_cli11(argv, {}, flags);
  FlagsAndArgs out;
  for (const auto& a : argv) (a.rfind("--", 0) == 0 ? out.flags : out.positional).push_back(a.substr(a.rfind("--", 0) == 0 ? 2 : 0));
  return out;
}

}  // namespace cascade::cli

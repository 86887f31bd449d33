// What a run was asked for, before it is planned: every option of a command
// (simulate, tune, generate) as given on the command line or in a TOML run
// file, typed, with where it was given. One table of options (name, type,
// default, help, run-file key) is the single description of the command
// line, the run-file schema and the help text; every front end reads it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cascade::run {

enum class Command : unsigned { kSimulate = 1u, kTune = 2u, kGenerate = 4u, kFit = 8u };
const char* command_name(Command c);

enum class ValueKind : std::uint8_t {
  kFlag,      // no value (--force)
  kInteger,   // a signed integer in [min, max]
  kUnsigned,  // a 64-bit unsigned integer (seeds)
  kNumber,    // a real number
  kText,      // a word, a path or a specification parsed by the plan
};

/// One option of the table.
struct OptionSpec {
  const char* name;          // "steps": --steps
  unsigned commands;         // Command bits it belongs to
  ValueKind kind;
  bool repeatable;           // may be given several times (a list, in order)
  const char* value_name;    // "N" in "--steps N" (help)
  const char* default_text;  // used when absent and shown in the help; null: none (or required)
  std::int64_t min, max;     // kInteger
  const char* run_key;       // its key in run files ("run.steps"), null: none
  const char* help;          // the help text, lines separated by '\n'
};

/// The options of `command`, in help order.
std::vector<const OptionSpec*> options_of(Command command);
/// The option `name` of `command`, or null.
const OptionSpec* find_option(Command command, std::string_view name);
/// The command's --help text, made from the table.
std::string help_text(Command command);

/// One value as given, with where it was given.
struct Setting {
  std::variant<std::string, std::int64_t, double, bool> value;
  bool text = false;   // command-line text: numbers are parsed when read; false: typed (a run file)
  std::string origin;  // for messages: "option --steps" or "run.toml:12: [run].steps"
  std::string name;    // --param from a run file: the parameter's name (value: its number)
};

/// The value of a setting as a number, integer or text; errors name its origin.
double number_of(const Setting& s);
std::int64_t integer_of(const Setting& s, std::int64_t min, std::int64_t max);
std::uint64_t unsigned_of(const Setting& s);
std::string text_of(const Setting& s);
/// The setting as command-line text ("4.5", "true", the text as given).
std::string setting_text(const Setting& s);
/// A number as a run file's value becomes text: the shortest form that reads
/// back as the same double ("nan", "inf" and "-inf" spelled out).
std::string number_text(double v);

/// The settings of one command, in the order given (a run file's first).
class Settings {
 public:
  explicit Settings(Command command = Command::kSimulate) : command_(command) {}
  Command command() const { return command_; }

  /// Appends a value of `option` (a table option of this command).
  void add(const std::string& option, Setting s);
  bool has(std::string_view option) const;
  /// A flag is set by a true value (a run file's `force = false` leaves it unset).
  bool flag(std::string_view option) const;
  /// The value in force (the last given), or null.
  const Setting* last(std::string_view option) const;
  /// Every value given, in order.
  std::vector<const Setting*> all(std::string_view option) const;

  /// Typed reads with the table's default and range; errors name the origin.
  std::optional<std::int64_t> integer_if(std::string_view option) const;
  std::int64_t integer(std::string_view option) const;  // the table's default when absent
  std::uint64_t unsigned_integer(std::string_view option) const;
  std::optional<double> number_if(std::string_view option) const;
  double number(std::string_view option) const;
  std::optional<std::string> text_if(std::string_view option) const;
  std::string text(std::string_view option) const;  // the table's default when absent
  std::vector<std::string> texts(std::string_view option) const;
  /// Throws "option --NAME is required (see --help)" when absent.
  void require(std::string_view option) const;

  /// These settings with `later` given after them (the command line after a
  /// run file): single values by coming last; stimuli with their masks,
  /// outputs, networks and the tune selection by replacing these; a
  /// parameters file by replacing these model parameters.
  void override_with(const Settings& later);

  /// The command line the settings stand for (options, run file ones first),
  /// without the command: provenance and checkpoints record it.
  std::vector<std::string> command_line() const;

  /// Positional arguments (generate's KIND).
  std::vector<std::string> positional;
  /// The run file they came from, and its text (recorded in provenance).
  std::string run_file_path, run_file_text;

  struct Entry {
    std::string option;
    Setting setting;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  const OptionSpec& spec(std::string_view option) const;
  Command command_;
  std::vector<Entry> entries_;
};

/// A run file for `command` (docs/run-files.md): its settings, typed, each
/// with the file, line and key it came from. Unknown sections or keys and
/// values of the wrong type are errors naming them.
Settings read_run_file(const std::string& path, Command command);
Settings parse_run_file(const std::string& text, const std::string& path, Command command);

/// Settings as JSON text and back (checkpoints keep the settings of a run).
std::string settings_to_json(const Settings& s);
Settings settings_from_json(const std::string& json, const std::string& where);

}  // namespace cascade::run

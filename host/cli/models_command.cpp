// `cascade models`: every model with its parameters, defaults, units,
// whether tune can fit them, and the networks the defaults suit.
#include <cstdio>

#include "args.hpp"
#include "cascade/cascade.hpp"
#include "commands.hpp"

namespace cascade::cli {

int models_command(const std::vector<std::string>& argv) {
  const FlagsAndArgs args = parse_flags(argv, {"help"});
  if (args.has("help")) {
    std::puts("usage: cascade models [NAME]\n\nLists every model (or one, by name or class name) with its parameters: "
              "default value, unit, whether tune can fit it, meaning; and the networks the defaults suit.");
    return 0;
  }
  if (args.positional.size() > 1) throw Error("models: expected at most one model name");
  const std::string only = args.positional.empty() ? "" : model_name(make_model(args.positional.front()));
  bool first = true;
  for (const ModelInfo& m : model_infos()) {
    if (!only.empty() && m.name != only) continue;
    if (!first) std::printf("\n");
    first = false;
    std::printf("%s (the reference's %s)\n  %s\n  defaults suit: %s\n", m.name.c_str(), m.class_name.c_str(),
                m.summary.c_str(), m.default_scale.c_str());
    std::printf("  %-18s %12s  %-20s %-8s %s\n", "parameter", "default", "unit", "tunable", "meaning");
    for (const ParamInfo& p : m.params) {
      char value[32];
      std::snprintf(value, sizeof value, p.integer ? "%.0f" : "%.6g", p.default_value);
      std::printf("  %-18s %12s  %-20s %-8s %s\n", p.name.c_str(), value, p.unit.empty() ? "-" : p.unit.c_str(),
                  p.tunable ? "yes" : "no", p.meaning.c_str());
    }
  }
  std::printf("\nSet parameters with --param NAME=VALUE (or [model.params] in a run file); the defaults are the "
              "reference's test-suite values.\n");
  return 0;
}

}  // namespace cascade::cli

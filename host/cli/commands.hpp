// The command line's commands: short glue over the library's run plans
// (cascade/run/): read the settings, plan, run, report.
#pragma once
#include <string>
#include <vector>

namespace cascade::cli {
int simulate_command(const std::vector<std::string>& argv);
int resume_command(const std::vector<std::string>& argv);
int generate_command(const std::vector<std::string>& argv);
int tune_command(const std::vector<std::string>& argv);
int fit_command(const std::vector<std::string>& argv);
int info_command(const std::vector<std::string>& argv);
int models_command(const std::vector<std::string>& argv);
}  // namespace cascade::cli

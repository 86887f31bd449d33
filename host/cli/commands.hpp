#pragma once
#include <string>
#include <vector>

namespace cascade::cli {
struct CheckpointData;
/// `resume`: continue a checkpointed run (its arguments replace `args`).
int simulate_command(const std::vector<std::string>& args, const CheckpointData* resume = nullptr);
int resume_command(const std::vector<std::string>& args);
int generate_command(const std::vector<std::string>& argv);
int tune_command(const std::vector<std::string>& argv);
int info_command(const std::vector<std::string>& args);
}  // namespace cascade::cli

// Reading the reference fixtures (../shared/reference/spikeometric_fixtures).
#pragma once
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "test_util.hpp"

namespace cascade::test {

/// "name": value pairs of the "params" object of a fixture's params.json.
inline std::vector<std::pair<std::string, double>> fixture_params(const std::string& model_dir) {
  std::ifstream in(model_dir + "/params.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  std::vector<std::pair<std::string, double>> out;
  std::size_t i = s.find("\"params\"");
  if (i == std::string::npos) return out;
  i = s.find('{', i);
  const std::size_t end = s.find('}', i);
  while (true) {
    const std::size_t q1 = s.find('"', i);
    if (q1 == std::string::npos || q1 > end) break;
    const std::size_t q2 = s.find('"', q1 + 1);
    const std::size_t colon = s.find(':', q2);
    std::size_t stop = s.find_first_of(",}", colon);
    out.emplace_back(s.substr(q1 + 1, q2 - q1 - 1), std::stod(s.substr(colon + 1, stop - colon - 1)));
    i = stop;
  }
  return out;
}

inline AnyModel fixture_model(const std::string& name) {
  AnyModel m = make_model(name);
  for (const auto& [k, v] : fixture_params(fixtures_dir() + "/" + name)) set_param(m, k, v);
  return m;
}

inline Network fixture_network(const std::string& name, std::uint32_t id = 0) {
  return load_dense_network(fixtures_dir() + "/" + name + "/W0.npy", id);
}

inline bool near_ref(double a, double b) { return std::fabs(a - b) <= 1e-6 + 1e-5 * std::fabs(b); }

}  // namespace cascade::test

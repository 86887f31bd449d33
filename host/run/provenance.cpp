#include "provenance.hpp"

#include "cascade/communicator.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <ctime>
#include <fstream>

#include "cascade/build_info.hpp"
#include "cascade/config.hpp"

namespace cascade::run {

using Json = nlohmann::ordered_json;

std::string utc_time_text(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  char when[64];
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return when;
}

std::string host_cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) return line.substr(line.find(':') + 2);
  return "unknown";
}

namespace {

Json nullable(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

/// What opens every provenance: version, git hash, RNG stream, the command
/// line (a run file's options first), the run file and its text.
Json header(const Settings& s) {
  std::string command = std::string("cascade ") + command_name(s.command());
  for (const auto& a : s.command_line()) command += " " + a;
  Json j;
  j["cascade_version"] = kVersion;
  j["git_hash"] = build_info().git_hash;
  j["rng_stream"] = kRngStreamVersion;
  j["command"] = command;
  j["run_file"] = nullable(s.run_file_path);
  j["run_file_text"] = s.run_file_path.empty() ? Json(nullptr) : nullable(s.run_file_text);
  return j;
}

/// Integer parameters as integers; those beyond 2^53 (a stimulus's "no
/// stop") as the double they are held in.
Json value_of(const ParamValue& p) {
  return p.integer && std::fabs(p.value) < 9007199254740992.0 ? Json(static_cast<std::int64_t>(p.value)) : Json(p.value);
}

Json params_of(const AnyModel& model) {
  Json j = Json::object();
  for (const auto& p : list_params(model)) j[p.name] = value_of(p);
  return j;
}

}  // namespace

std::string simulation_provenance(const SimulationPlan& plan, const RunSummary& s, double dt_ms,
                                  std::chrono::system_clock::time_point started, bool resumed) {
  const ModelSetup& setup = plan.setup;
  Json j = header(plan.settings);
  j["model"] = model_name(setup.model);
  j["params"] = params_of(setup.model);
  Json stimuli = Json::array();
  const auto sp = list_stimulus_params(setup.stimuli);
  for (std::size_t k = 0; k < setup.stimuli.size(); ++k) {
    Json params = Json::object();
    const std::string prefix = "stimulus" + std::to_string(k) + ".";
    for (const auto& p : sp)
      if (p.name.rfind(prefix, 0) == 0) params[p.name.substr(prefix.size())] = value_of(p);
    const Stimulus& st = setup.stimuli[k];
    stimuli.push_back(Json{{"kind", stimulus_kind_name(st.spec)},
                           {"spec", setup.stimulus_specs[k]},
                           {"params", params},
                           {"mask", st.mask_source.empty() ? std::string("all") : st.mask_source}});
  }
  j["stimuli"] = stimuli;
  Json nets = Json::array();
  for (std::size_t i = 0; i < plan.network_count(); ++i)
    nets.push_back(Json{{"file", plan.networks.source.entries()[i]},
                        {"instance_id", i},
                        {"neurons", plan.first_neuron[i + 1] - plan.first_neuron[i]}});
  j["networks"] = nets;
  j["batch_size"] = plan.batch_size;
  j["dt_ms"] = dt_ms;
  j["recorded_neurons"] = plan.neurons_text;
  j["record_window"] = {plan.window_begin, plan.window_end};
  j["shape"] = {plan.options.replicas, plan.recorded_neurons(), plan.window()};
  j["dtype"] = record_dtype_name(plan.dtype);
  j["seed"] = plan.options.seed;
  j["replica_offset"] = plan.options.replica_offset;
  j["equilibration_steps"] = plan.equilibration;
  j["device"] = s.backend == "gpu" ? s.device : host_cpu_name();
  if (s.backend == "gpu") j["gpu_strategy"] = s.gpu_strategy;
  j["backend"] = s.backend;
  j["threads"] = s.threads;
  if (plan.options.communicator && plan.options.communicator->size() > 1) {  // one process: as before
    j["ranks"] = plan.options.communicator->size();
    j["mpi"] = plan.options.communicator->describe();
  }
  j["started"] = utc_time_text(started);
  j["wall_seconds"] = s.wall_seconds;
  j["mean_rate_hz"] = s.mean_rate_hz;
  j["synaptic_events"] = s.synaptic_events;
  j["rate_capped"] = s.rate_capped;
  j["counts_saturated"] = s.counts_saturated;
  if (resumed) j["resumed"] = true;  // continued from a checkpoint (`started`: the last resumption)
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string tune_provenance(const TunePlan& plan, const TuneResult& r, const TuneCheck& check, double wall_seconds,
                            std::chrono::system_clock::time_point started) {
  Json j = header(plan.settings);
  j["model"] = model_name(r.model);
  j["params"] = params_of(r.model);
  Json stimuli = Json::array();
  for (const auto& st : r.stimuli)
    stimuli.push_back(Json{{"spec", stimulus_spec_string(st)},
                           {"mask", st.mask_source.empty() ? std::string("all") : st.mask_source}});
  j["stimuli"] = stimuli;
  if (plan.options.communicator && plan.options.communicator->size() > 1) {  // one process: as before
    j["ranks"] = plan.options.communicator->size();
    j["mpi"] = plan.options.communicator->describe();
  }
  j["tuned"] = r.names;
  Json initial = Json::object(), final_values = Json::object();
  for (std::size_t q = 0; q < r.names.size(); ++q) {
    initial[r.names[q]] = r.initial[q];
    final_values[r.names[q]] = r.final[q];
  }
  j["initial"] = initial;
  j["final"] = final_values;
  j["target_hz"] = plan.tune.target_hz;
  j["lr"] = plan.tune.lr;
  j["epochs"] = plan.tune.epochs;
  j["steps"] = plan.tune.steps;
  j["equilibration"] = plan.tune.equilibration;
  j["gradient"] = r.gradient_path;
  j["replicas"] = plan.options.replicas;
  j["seed"] = plan.options.seed;
  j["networks"] = plan.networks.source.entries();
  j["started"] = utc_time_text(started);
  j["wall_seconds"] = wall_seconds;
  Json history = Json::array();
  for (const auto& h : r.history)
    history.push_back(Json{{"epoch", h.epoch}, {"loss", h.loss}, {"rate_hz", h.rate_hz}, {"values", h.values}});
  j["history"] = history;
  Json c{{"steps", check.steps},         {"equilibration", check.equilibration},
         {"rate_hz", check.rate_hz},     {"standard_error_hz", check.standard_error_hz},
         {"target_hz", check.target_hz}, {"allowed_hz", check.allowed_hz},
         {"within_tolerance", check.within}};
  if (!check.advice.empty()) c["advice"] = check.advice;
  if (r.silent_epoch >= 0) c["silent_epoch"] = r.silent_epoch;
  j["check"] = c;
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

namespace {

Json recovery_json(const Recovery& r) {
  auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
  return Json{{"pairs", r.pairs},
              {"true_edges", r.true_edges},
              {"true_edges_not_candidates", r.true_edges_not_scored},
              {"weight_correlation", num(r.weight_correlation)},
              {"auc", num(r.auc)},
              {"sign_accuracy", num(r.sign_accuracy)}};
}

}  // namespace

std::string fit_provenance(const FitPlan& plan, const FitOutcome& out, std::chrono::system_clock::time_point started) {
  const FitResult& r = out.result;
  Json j = header(plan.settings);
  j["model"] = model_name(plan.setup.model);
  j["params"] = params_of(plan.setup.model);
  Json stimuli = Json::array();
  for (const auto& st : plan.setup.stimuli)
    stimuli.push_back(Json{{"spec", stimulus_spec_string(st)},
                           {"mask", st.mask_source.empty() ? std::string("all") : st.mask_source}});
  j["stimuli"] = stimuli;
  j["spikes"] = Json{{"path", plan.spikes}, {"trials", out.trials}, {"neurons", out.neurons}, {"steps", out.steps}};
  j["candidates"] = out.candidates;
  j["edges"] = r.edges;
  j["l1"] = plan.fit.l1;
  j["l2"] = plan.fit.l2;
  j["burn_in"] = r.burn_in;
  j["observations_per_neuron"] = r.observations;
  j["optimizer"] = Json{{"method", "OWL-QN (L-BFGS)"},     {"memory", plan.fit.memory},
                        {"max_iterations", plan.fit.max_iterations}, {"tolerance", plan.fit.tolerance},
                        {"gradient_tolerance", plan.fit.gradient_tolerance}};
  Json reasons = Json::object();
  for (const auto& why : r.stop_reason) reasons[why] = reasons.value(why, 0) + 1;
  j["neurons_converged"] = r.converged;
  j["stop_reasons"] = reasons;
  j["log_likelihood"] = r.log_likelihood;
  j["null_log_likelihood"] = r.null_log_likelihood;
  j["started"] = utc_time_text(started);
  j["wall_seconds"] = out.wall_seconds;
  if (out.has_truth) {
    j["truth"] = plan.truth;
    j["recovery"] = recovery_json(out.recovery);
    j["baseline_cross_correlation"] = recovery_json(out.baseline);
  }
  Json history = Json::array();
  for (const auto& h : r.history)
    history.push_back(Json{{"iteration", h.iteration},
                           {"objective", h.objective},
                           {"log_likelihood", h.log_likelihood},
                           {"active_neurons", h.active}});
  j["history"] = history;
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace cascade::run

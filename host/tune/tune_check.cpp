// The end of a tune: the rate of a longer run with the tuned parameters,
// against the target (docs/tune.md "The check").
#include <algorithm>
#include <cmath>
#include <sstream>

#include "cascade/error.hpp"
#include "cascade/extend/engine_layer.hpp"
#include "cascade/simulator.hpp"
#include "cascade/stop.hpp"
#include "cascade/tune.hpp"

namespace cascade {

namespace {

constexpr std::int64_t kMaxCheckSteps = 100000;
constexpr double kSpikesWanted = 1e4;  // a relative standard error of about 1 % at the target

std::int64_t auto_steps(const TuneOptions& o, std::size_t slots, double dt_ms) {
  const std::int64_t at_least = std::min<std::int64_t>(kMaxCheckSteps, std::max<std::int64_t>(1000, 10 * o.steps));
  if (!(o.target_hz > 0)) return at_least;
  const double per_step = static_cast<double>(slots) * o.target_hz * dt_ms / 1000.0;  // spikes per step at the target
  const double want = std::ceil(kSpikesWanted / per_step);
  return std::max(at_least, static_cast<std::int64_t>(std::min(want, static_cast<double>(kMaxCheckSteps))));
}

std::string miss_advice(const TuneResult& r, const TuneOptions& o, const TuneCheck& c) {
  if (r.silent_epoch >= 0) return r.advice;
  std::ostringstream os;
  os.precision(4);
  const double last = r.history.empty() ? 0.0 : r.history.back().rate_hz;
  if (std::fabs(last - o.target_hz) <= c.allowed_hz) {
    os << "the last epoch reached " << last << " Hz, but a longer run with the tuned parameters gives " << c.rate_hz
       << " Hz: epochs of " << o.steps << " steps after " << o.equilibration
       << " of equilibration do not show the network's steady state; try more --steps and --equilibration per epoch";
  } else {
    os << "the tune did not converge in " << o.epochs << " epochs (the last one: " << last
       << " Hz); try more --epochs, or another --lr (" << o.lr
       << " is an absolute Adam step per epoch: compare it with the tuned parameters' values)";
    if (!(c.rate_hz > 0)) os << ", or start from parameters that give some activity";
  }
  return os.str();
}

}  // namespace

TuneCheck check_tuned_rate(const TuneResult& r, const std::vector<Network>& networks, const SimulatorOptions& options,
                           const TuneOptions& o, const TuneCheckOptions& k) {
  if (k.steps < 0) throw Error("tune check: steps = " + std::to_string(k.steps) + " is invalid; expected >= 0 (0: auto)");
  if (!(std::isfinite(k.tolerance) && k.tolerance >= 0))
    throw Error("tune check: tolerance = " + format_value(k.tolerance) + " is invalid; expected a finite value >= 0");
  if (!(std::isfinite(k.tolerance_hz) && k.tolerance_hz >= 0))
    throw Error("tune check: tolerance_hz = " + format_value(k.tolerance_hz) + " is invalid; expected >= 0 Hz");
  SimulatorOptions so = options;
  // Fresh noise: the random streams after the tune's epochs (when they fit the counter).
  const std::uint64_t after = options.first_step + static_cast<std::uint64_t>(o.epochs) *
                                                       static_cast<std::uint64_t>(o.equilibration + o.steps);
  std::size_t neurons = 0;
  for (const auto& n : networks) neurons += n.n_neurons();
  const double dt = std::visit([](const auto& m) { return engine::model_dt(m); }, r.model);
  TuneCheck c;
  c.steps = k.steps > 0 ? k.steps : auto_steps(o, neurons * so.replicas, dt);
  c.equilibration = std::max<std::int64_t>(o.equilibration, 100);
  const std::uint64_t need = static_cast<std::uint64_t>(c.equilibration + c.steps);
  so.first_step = after + need <= kMaxStep ? after : 0;
  Simulator check(r.model, networks, so);
  if (!r.stimuli.empty()) check.set_stimuli(r.stimuli);
  RunOptions ro;
  ro.steps = c.steps;
  ro.equilibration_steps = c.equilibration;
  ro.record = false;
  ro.stop = current_stop();
  const RunSummary s = check.run(ro).summary;
  if (s.stopped) throw Stopped("stopped during tune's check run");
  c.rate_hz = s.mean_rate_hz;
  const double seconds = static_cast<double>(s.recorded_neuron_steps) * s.dt / 1000.0;
  c.standard_error_hz = seconds > 0 ? std::sqrt(static_cast<double>(s.recorded_spike_count)) / seconds : 0.0;
  c.target_hz = o.target_hz;
  c.allowed_hz = std::max(k.tolerance * o.target_hz, k.tolerance_hz);
  c.within = std::isfinite(c.rate_hz) && std::fabs(c.rate_hz - o.target_hz) <= c.allowed_hz + 3 * c.standard_error_hz;
  if (!c.within) c.advice = miss_advice(r, o, c);
  return c;
}

}  // namespace cascade

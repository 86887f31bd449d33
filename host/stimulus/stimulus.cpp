#include "cascade/stimulus.hpp"

#include <cmath>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "cascade/dataset.hpp"
#include "cascade/error.hpp"
#include "core/parse.hpp"
#include "core/limits.hpp"
#include "cascade/npy.hpp"
#include "cascade/rng.hpp"

namespace fs = std::filesystem;

namespace cascade {

namespace {

std::string pname(std::size_t index, const char* name) { return "stimulus" + std::to_string(index) + "." + name; }

void require(bool ok, std::size_t index, const char* name, double value, const char* expected) {
  if (!ok) throw Error(pname(index, name) + " = " + format_value(value) + " is invalid; expected " + expected);
}

/// Each stimulus kind's parameters as (name, value reference, integer, tunable).
template <class F>
void for_each_stimulus_param(StimulusSpec& spec, F&& f) {
  std::visit(
      [&](auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, RegularStimulus>) {
          f("strength", s.strength, true);
          f("period", s.period, false);
          f("tau", s.tau, false);
          f("start", s.start, false);
          f("stop", s.stop, false);
        } else if constexpr (std::is_same_v<S, PoissonStimulus>) {
          f("strength", s.strength, true);
          f("mean_interval", s.mean_interval, false);
          f("duration", s.duration, false);
          f("tau", s.tau, false);
          f("start", s.start, false);
        } else if constexpr (std::is_same_v<S, SinStimulus>) {
          f("amplitude", s.amplitude, true);
          f("period", s.period, true);
          f("duration", s.duration, false);
          f("phase", s.phase, true);
          f("baseline", s.baseline, true);
          f("start", s.start, false);
          f("dt", s.dt, false);
        }
      },
      spec);
}

bool is_integral_value(double v) {
  // Range first: converting an out-of-range double to an integer is undefined
  // (found by fuzz/fuzz_params).
  return math::is_finite(v) && v >= -9.2e18 && v <= 9.2e18 && v == static_cast<double>(static_cast<long long>(v));
}

template <class T>
void assign(T& ref, double value, const std::string& name) {
  if constexpr (std::is_integral_v<T>) {
    if (!is_integral_value(value)) throw Error(name + " = " + format_value(value) + " is invalid; expected an integer");
    ref = static_cast<T>(value);
  } else {
    ref = value;
  }
}

/// The values as doubles; an integer a double cannot hold exactly is named with its file.
std::vector<double> doubles_of(const NpyArray& a, const std::string& path) {
  try {
    return a.to_doubles();
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

/// 0/1 per entry of an .npy array, with the file named in errors.
std::vector<std::uint8_t> mask_values(const NpyArray& a, const std::string& path, std::size_t first, std::size_t n) {
  const std::vector<double> v = doubles_of(a, path);
  std::vector<std::uint8_t> m(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = v[first + i];
    if (x != 0.0 && x != 1.0)
      throw Error(path + ": stimulus mask entry " + std::to_string(first + i) + " is " + format_value(x) +
                  "; expected 0 or 1 (true/false)");
    m[i] = x == 1.0;
  }
  return m;
}

std::shared_ptr<const StimulusValues> values_from(const std::vector<double>& v, std::size_t n, std::size_t steps,
                                                  std::size_t stride_n, std::size_t stride_t, std::size_t offset,
                                                  const std::string& source) {
  auto out = std::make_shared<StimulusValues>();
  out->neurons = n;
  out->steps = steps;
  out->source = source;
  out->data.resize(n * steps);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < steps; ++t) {
      const double x = v[offset + i * stride_n + t * stride_t];
      if (!math::is_finite(x))
        throw Error(source + ": stimulus value at neuron " + std::to_string(i) + ", step " + std::to_string(t) +
                    " is " + format_value(x) + "; expected a finite number");
      out->data[t * n + i] = x;
    }
  return out;
}

void check_value_dtype(const NpyArray& a, const std::string& path) {
  if (a.dtype == NpyDtype::kBool)
    throw Error(path + ": stimulus values must be numbers (float32, float64 or integers), got bool");
}

}  // namespace

const char* stimulus_kind_name(const StimulusSpec& spec) {
  switch (spec.index()) {
    case 0: return "regular";
    case 1: return "poisson";
    case 2: return "sin";
    default: return "loaded";
  }
}

void validate_stimulus(const Stimulus& s, std::size_t k) {
  std::visit(
      [&](const auto& p) {
        using S = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<S, RegularStimulus>) {
          require(math::is_finite(p.strength), k, "strength", p.strength, "a finite number");
          require(p.period >= 1, k, "period", static_cast<double>(p.period), "an integer >= 1 (steps)");
          require(math::is_finite(p.tau) && p.tau > 0, k, "tau", p.tau,
                  "a finite number > 0 (steps on in each period; 0 would never be on)");
          require(p.start >= 0, k, "start", static_cast<double>(p.start), "an integer >= 0 (steps)");
          require(p.stop >= 0, k, "stop", static_cast<double>(p.stop), "an integer >= 0 (steps)");
          if (p.stop <= p.start)
            throw Error("stimulus" + std::to_string(k) + " (regular): stop = " + std::to_string(p.stop) +
                        " is not after start = " + std::to_string(p.start) +
                        ", so the stimulus would never be on; expected stop > start (or no stop)");
        } else if constexpr (std::is_same_v<S, PoissonStimulus>) {
          require(math::is_finite(p.strength), k, "strength", p.strength, "a finite number");
          require(p.mean_interval >= 0 && p.mean_interval < (std::int64_t{1} << 40), k, "mean_interval",
                  static_cast<double>(p.mean_interval), "an integer in [0, 2^40) (steps)");
          require(p.duration >= 0 && p.duration < (std::int64_t{1} << 40), k, "duration",
                  static_cast<double>(p.duration), "an integer in [0, 2^40) (steps)");
          require(p.tau >= 1, k, "tau", static_cast<double>(p.tau),
                  "an integer >= 1 (steps on after each event; 0 would never be on)");
          require(p.duration >= 1, k, "duration", static_cast<double>(p.duration),
                  "an integer >= 1 (steps; 0 leaves no event, so the stimulus would never be on)");
          require(p.start >= 0 && p.start < (std::int64_t{1} << 40), k, "start", static_cast<double>(p.start),
                  "an integer in [0, 2^40) (steps)");
        } else if constexpr (std::is_same_v<S, SinStimulus>) {
          require(math::is_finite(p.amplitude) && p.amplitude >= 0, k, "amplitude", p.amplitude,
                  "a finite number >= 0 (use phase = pi to invert)");
          require(math::is_finite(p.period) && p.period > 0, k, "period", p.period, "a finite number > 0 (ms)");
          require(p.duration >= 0, k, "duration", static_cast<double>(p.duration), "an integer >= 0 (steps)");
          require(math::is_finite(p.phase), k, "phase", p.phase, "a finite number (radians)");
          require(math::is_finite(p.baseline), k, "baseline", p.baseline, "a finite number");
          require(math::is_finite(p.start) && p.start >= 0, k, "start", p.start, "a finite number >= 0 (steps)");
          require(math::is_finite(p.dt) && p.dt > 0, k, "dt", p.dt, "a finite number > 0 (ms per step)");
          require(std::isfinite(2.0 * 3.141592653589793 / p.period * p.dt), k, "period", p.period,
                  "a period whose angular step 2 pi dt / period is finite (this one is too small)");
          if (!(static_cast<double>(p.duration) > p.start))
            throw Error("stimulus" + std::to_string(k) + " (sin): duration = " + std::to_string(p.duration) +
                        " (its end, in steps from t = 0) is not after start = " + format_value(p.start) +
                        ", so the stimulus would never be on; expected duration > start");
        } else {
          if (p.per_network.empty())
            throw Error("stimulus" + std::to_string(k) + " (loaded): no values were given");
        }
      },
      s.spec);
  for (std::size_t m = 0; m < s.masks.size(); ++m)
    for (std::uint8_t v : s.masks[m])
      if (v > 1)
        throw Error("stimulus" + std::to_string(k) + ": mask " + std::to_string(m) + " holds " + std::to_string(v) +
                    "; expected 0 or 1");
}

Stimulus parse_stimulus(std::string_view text) {
  const std::size_t colon = text.find(':');
  const std::string kind(text.substr(0, colon));
  const std::string what = "--stimulus '" + std::string(text) + "'";
  if (colon == std::string_view::npos || colon + 1 == text.size())
    throw Error(what + ": expected KIND:key=value,... (regular, poisson, sin) or loaded:PATH");
  const std::string rest(text.substr(colon + 1));
  Stimulus s;
  if (kind == "loaded") {
    s.spec = load_stimulus_values(rest);
    return s;
  }
  if (kind == "regular") s.spec = RegularStimulus{};
  else if (kind == "poisson") s.spec = PoissonStimulus{};
  else if (kind == "sin") s.spec = SinStimulus{};
  else throw Error(what + ": unknown kind '" + kind + "'; expected regular, poisson, sin or loaded");

  std::map<std::string, bool> seen;
  std::string valid;
  for_each_stimulus_param(s.spec, [&](const char* name, auto&, bool) {
    seen[name] = false;
    valid += (valid.empty() ? "" : ", ") + std::string(name);
  });
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    const std::size_t comma = std::min(rest.find(',', pos), rest.size());
    const std::string item = rest.substr(pos, comma - pos);
    pos = comma + 1;
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw Error(what + ": '" + item + "' is not key=value");
    const std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    auto it = seen.find(key);
    if (it == seen.end()) throw Error(what + ": unknown key '" + key + "' for " + kind + "; valid keys: " + valid);
    if (it->second) throw Error(what + ": key '" + key + "' is given twice");
    it->second = true;
    double v = 0.0;
    if (!parse_number(val, v)) throw Error(what + ": " + key + " = '" + val + "' is not a number");
    for_each_stimulus_param(s.spec, [&](const char* name, auto& ref, bool) {
      if (key == name) assign(ref, v, what + ": " + key);
    });
  }
  // The reference's required arguments.
  std::vector<const char*> required;
  if (kind == "regular") required = {"strength", "period", "tau"};
  else if (kind == "poisson") required = {"strength", "mean_interval", "duration"};
  else required = {"amplitude", "period", "duration"};
  for (const char* r : required)
    if (!seen[r]) throw Error(what + ": missing required key '" + r + "'");
  validate_stimulus(s, 0);
  return s;
}

std::string stimulus_spec_string(const Stimulus& s) {
  if (const auto* l = std::get_if<LoadedStimulus>(&s.spec)) {
    if (l->source.empty()) throw Error("a loaded stimulus built in memory has no command-line form");
    return "loaded:" + l->source;
  }
  std::string out = std::string(stimulus_kind_name(s.spec)) + ":";
  bool first = true;
  StimulusSpec spec = s.spec;
  for_each_stimulus_param(spec, [&](const char* name, const auto& ref, bool) {
    using T = std::decay_t<decltype(ref)>;
    if constexpr (std::is_integral_v<T>)
      if (ref == kNoStop) return;  // "no stop" is the default: leave it out
    if (!first) out += ',';
    out += name;
    out += '=';
    if constexpr (std::is_integral_v<T>) out += std::to_string(ref);
    else out += format_value(ref);
    first = false;
  });
  return out;
}

LoadedStimulus load_stimulus_values(const std::string& path) {
  LoadedStimulus out;
  out.source = path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& f : npy_files_in(path, "stimulus values")) {
      const NpyArray a = read_npy(f);
      check_value_dtype(a, f);
      if (a.shape.size() != 2)
        throw Error(f + ": stimulus values must be [N, steps] in a directory of per-network files; got shape " +
                    npy_shape_text(a.shape));
      out.per_network.push_back(values_from(doubles_of(a, f), a.shape[0], a.shape[1], a.shape[1], 1, 0, f));
    }
    return out;
  }
  const NpyArray a = read_npy(path);
  check_value_dtype(a, path);
  if (a.shape.size() == 2) {
    out.per_network.push_back(values_from(doubles_of(a, path), a.shape[0], a.shape[1], a.shape[1], 1, 0, path));
  } else if (a.shape.size() == 3) {
    const std::vector<double> v = doubles_of(a, path);
    const std::size_t n = a.shape[0], steps = a.shape[1], K = a.shape[2];
    if (K == 0) throw Error(path + ": stimulus values hold zero networks (shape " + npy_shape_text(a.shape) + ")");
    for (std::size_t k = 0; k < K; ++k)
      out.per_network.push_back(
          values_from(v, n, steps, steps * K, K, k, path + " (network " + std::to_string(k) + ")"));
  } else {
    throw Error(path + ": stimulus values must be [N, steps] or [N, steps, networks]; got shape " +
                npy_shape_text(a.shape));
  }
  return out;
}

std::vector<std::vector<std::uint8_t>> load_stimulus_masks(const std::string& path) {
  std::vector<std::vector<std::uint8_t>> out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& f : npy_files_in(path, "stimulus masks")) {
      const NpyArray a = read_npy(f);
      if (a.shape.size() != 1)
        throw Error(f + ": a stimulus mask in a directory must be [N]; got shape " + npy_shape_text(a.shape));
      out.push_back(mask_values(a, f, 0, a.shape[0]));
    }
    return out;
  }
  const NpyArray a = read_npy(path);
  if (a.shape.size() == 1) {
    out.push_back(mask_values(a, path, 0, a.shape[0]));
  } else if (a.shape.size() == 2) {
    if (a.shape[0] == 0) throw Error(path + ": the stimulus masks hold zero networks (shape " + npy_shape_text(a.shape) + ")");
    for (std::size_t k = 0; k < a.shape[0]; ++k) out.push_back(mask_values(a, path, k * a.shape[1], a.shape[1]));
  } else {
    throw Error(path + ": a stimulus mask must be [N] or [networks, N]; got shape " + npy_shape_text(a.shape));
  }
  return out;
}

std::vector<ParamValue> list_stimulus_params(const std::vector<Stimulus>& stimuli) {
  std::vector<ParamValue> out;
  for (std::size_t k = 0; k < stimuli.size(); ++k) {
    StimulusSpec spec = stimuli[k].spec;
    for_each_stimulus_param(spec, [&](const char* name, const auto& ref, bool tunable) {
      using T = std::decay_t<decltype(ref)>;
      out.push_back({pname(k, name), static_cast<double>(ref), std::is_integral_v<T>, tunable});
    });
  }
  return out;
}

void set_stimulus_param(std::vector<Stimulus>& stimuli, std::string_view name, double value) {
  bool found = false;
  for (std::size_t k = 0; k < stimuli.size() && !found; ++k)
    for_each_stimulus_param(stimuli[k].spec, [&](const char* p, auto& ref, bool) {
      if (!found && name == pname(k, p)) {
        found = true;
        assign(ref, value, std::string(name));
      }
    });
  if (!found) {
    std::string valid;
    for (const auto& p : list_stimulus_params(stimuli)) valid += (valid.empty() ? "" : ", ") + p.name;
    throw Error("unknown stimulus parameter '" + std::string(name) + "'; valid: " +
                (valid.empty() ? std::string("none (no stimulus with parameters)") : valid));
  }
}

namespace {

/// The Poisson plan drawn up to a limit: interval k is the sum of
/// Poisson(mean / m) pieces of mean <= 32 each (exact in distribution; each
/// piece far from the sampler's 255 cap), one counter-based uniform per piece.
/// The pieces are non-negative, so a partial sum already at the limit ends
/// the plan exactly where the whole interval would: the cost is the planned
/// span / 32 draws, never the interval's mean.
class PoissonPlanner {
 public:
  PoissonPlanner(const PoissonStimulus& p, std::uint64_t seed, std::uint32_t index, const std::atomic<bool>* stop)
      : p_(p), seed_(seed), index_(index), stop_(stop) {
    const double mean = static_cast<double>(p.mean_interval);
    pieces_ = static_cast<std::uint64_t>(mean / 32.0) + 1;
    piece_mean_ = mean / static_cast<double>(pieces_);
  }

  /// Event times t + start with t = cumsum([0, k1, ...]) < limit (<= duration).
  std::vector<std::int64_t> plan(std::int64_t limit) {
    std::vector<std::int64_t> times;
    if (limit <= 0) return times;
    if (p_.mean_interval == 0) return {p_.start};  // every interval 0: one event (repeated) at start
    std::uint64_t expect = static_cast<std::uint64_t>(limit) / static_cast<std::uint64_t>(p_.mean_interval) + 1;
    expect += expect / 8 + 64;  // a margin far beyond the count's spread
    require_memory(8 * expect, "the Poisson stimulus's event plan (about " + std::to_string(expect) + " events)");
    std::int64_t t = 0;
    times.push_back(p_.start);
    for (std::uint64_t k = 0; k < static_cast<std::uint64_t>(p_.duration); ++k) {
      if (!add_interval(k, limit - t, t)) break;
      if (times.back() != t + p_.start) times.push_back(t + p_.start);  // repeated times add nothing
    }
    return times;
  }

 private:
  /// Adds interval k to t unless it reaches `room` (the event is past the limit).
  bool add_interval(std::uint64_t k, std::int64_t room, std::int64_t& t) {
    std::int64_t total = 0;
    for (std::uint64_t m = 0; m < pieces_; ++m) {
      const NeuronStream rng{seed_, k, index_, 0, static_cast<std::uint32_t>(m)};
      const Block4 b = rng.block(Purpose::kStimulus, 0);
      total += sample_poisson(piece_mean_, uniform52(b.w[0], b.w[1]));
      if (total >= room) return false;
      if ((++draws_ & 0xffff) == 0 && stop_ && stop_->load(std::memory_order_relaxed))
        throw Stopped("stopped while planning a Poisson stimulus");
    }
    t += total;
    return true;
  }

  PoissonStimulus p_;
  std::uint64_t seed_;
  std::uint32_t index_;
  const std::atomic<bool>* stop_;
  std::uint64_t pieces_ = 1, draws_ = 0;
  double piece_mean_ = 0.0;
};

}  // namespace

std::vector<std::int64_t> poisson_event_times(const PoissonStimulus& p, std::uint64_t seed, std::uint32_t index,
                                              std::int64_t horizon, const std::atomic<bool>* stop) {
  if (p.duration <= 0 || horizon <= p.start) return {};
  const std::int64_t limit = std::min<std::int64_t>(p.duration, horizon - p.start);
  return PoissonPlanner(p, seed, index, stop).plan(limit);
}

StimulusTable::StimulusTable(const std::vector<Stimulus>& stimuli,
                             const std::vector<std::shared_ptr<const Network>>& nets, std::uint64_t seed,
                             std::int64_t horizon, const std::atomic<bool>* stop)
    : horizon_(horizon) {
  if (stimuli.size() > kMaxStimuli)
    throw Error(std::to_string(stimuli.size()) + " stimuli given; at most " + std::to_string(kMaxStimuli) +
                " are supported (add values into one loaded stimulus instead)");
  n_nets_ = static_cast<std::uint32_t>(nets.size());
  std::vector<std::size_t> first(nets.size() + 1, 0);
  for (std::size_t b = 0; b < nets.size(); ++b) first[b + 1] = first[b] + nets[b]->n_neurons();
  const std::size_t total = first.back();

  for (std::size_t k = 0; k < stimuli.size(); ++k) {
    const Stimulus& s = stimuli[k];
    validate_stimulus(s, k);
    const std::string who = "stimulus" + std::to_string(k) + " (" + stimulus_kind_name(s.spec) + ")";
    StimulusParams p;
    std::visit(
        [&](const auto& q) {
          using S = std::decay_t<decltype(q)>;
          if constexpr (std::is_same_v<S, RegularStimulus>) {
            p.kind = StimulusKind::kRegular;
            p.amplitude = q.strength;
            p.period_steps = q.period;
            p.tau = q.tau;
            p.start = q.start;
            p.stop = q.stop;
          } else if constexpr (std::is_same_v<S, PoissonStimulus>) {
            p.kind = StimulusKind::kPoisson;
            p.amplitude = q.strength;
            p.event_tau = q.tau;
            p.events_begin = static_cast<std::int64_t>(events_.size());
            const auto times = poisson_event_times(q, seed, static_cast<std::uint32_t>(k), horizon, stop);
            events_.insert(events_.end(), times.begin(), times.end());
            p.events_end = static_cast<std::int64_t>(events_.size());
          } else if constexpr (std::is_same_v<S, SinStimulus>) {
            p.kind = StimulusKind::kSin;
            p.amplitude = q.amplitude;
            p.period = q.period;
            p.phase = q.phase;
            p.baseline = q.baseline;
            p.dt = q.dt;
            p.start_real = q.start;
            p.stop = q.duration;
          } else {
            p.kind = StimulusKind::kLoaded;
            for (std::size_t b = 0; b < nets.size(); ++b) {
              const Network& net = *nets[b];
              const std::size_t id = net.instance_id();
              const StimulusValues* v = nullptr;
              if (q.per_network.size() == 1) v = q.per_network.front().get();
              else if (id < q.per_network.size()) v = q.per_network[id].get();
              else
                throw Error(who + ": values for " + std::to_string(q.per_network.size()) +
                            " networks were given, but network '" + net.label() + "' is number " +
                            std::to_string(id) + " of its dataset");
              if (v->neurons != net.n_neurons())
                throw Error(who + ": " + v->source + " has values for " + std::to_string(v->neurons) +
                            " neurons, but network '" + net.label() + "' has " + std::to_string(net.n_neurons()));
              loaded_offset_.push_back(static_cast<std::int64_t>(loaded_.size()));
              loaded_steps_.push_back(static_cast<std::int64_t>(v->steps));
              loaded_.insert(loaded_.end(), v->data.begin(), v->data.end());
            }
          }
        },
        s.spec);
    if (p.kind != StimulusKind::kLoaded)
      for (std::size_t b = 0; b < nets.size(); ++b) {
        loaded_offset_.push_back(0);
        loaded_steps_.push_back(0);
      }
    params_.push_back(p);

    if (s.masks.empty()) {
      mask_offset_.push_back(-1);
      continue;
    }
    mask_offset_.push_back(static_cast<std::int64_t>(masks_.size()));
    masks_.resize(masks_.size() + total);
    std::uint8_t* m = masks_.data() + mask_offset_.back();
    for (std::size_t b = 0; b < nets.size(); ++b) {
      const Network& net = *nets[b];
      const std::size_t id = net.instance_id();
      const std::vector<std::uint8_t>* mask = nullptr;
      if (s.masks.size() == 1) mask = &s.masks.front();
      else if (id < s.masks.size()) mask = &s.masks[id];
      else
        throw Error(who + ": " + std::to_string(s.masks.size()) + " masks" +
                    (s.mask_source.empty() ? std::string() : " in " + s.mask_source) + " were given, but network '" +
                    net.label() + "' is number " + std::to_string(id) + " of its dataset");
      if (mask->size() != net.n_neurons())
        throw Error(who + ": the mask" + (s.mask_source.empty() ? std::string() : " from " + s.mask_source) +
                    " has " + std::to_string(mask->size()) + " entries, but network '" + net.label() + "' has " +
                    std::to_string(net.n_neurons()) + " neurons");
      std::copy(mask->begin(), mask->end(), m + first[b]);
    }
  }
}

StimulusView StimulusTable::view() const {
  StimulusView v;
  v.count = count();
  v.n_nets = n_nets_;
  v.params = params_.data();
  v.events = events_.data();
  v.masks = masks_.data();
  v.mask_offset = mask_offset_.data();
  v.loaded = loaded_.data();
  v.loaded_offset = loaded_offset_.data();
  v.loaded_steps = loaded_steps_.data();
  return v;
}

}  // namespace cascade

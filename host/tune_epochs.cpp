// tune's epochs on one CPU engine kept across epochs, the gradient formed by
// the tangent pass over the engine's tap (tune/epoch_runner.hpp), and the
// choice of runner.
#include <algorithm>
#include <limits>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "cascade/engine/cpu_engine.hpp"
#include "cascade/engine/gpu_engine.hpp"
#include "cascade/error.hpp"
#include "cascade/tune/epoch_runner.hpp"
#include "cascade/tune/tangent.hpp"

namespace cascade::replay {
namespace {

/// Slots per task of the tangent pass: a fixed partition, summed in order, so
/// the result does not depend on the thread count.
constexpr std::uint64_t kTangentChunk = 256;

template <class Model>
class CpuEpochRunner final : public EpochRunner {
 public:
  CpuEpochRunner(const Model& m, std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& so,
                 const std::vector<std::string>& names, std::int64_t equilibration, std::int64_t steps)
      : engine_(m, nets, so), nets_(std::move(nets)), so_(so), equilibration_(equilibration), steps_(steps) {
    for (const auto& n : names) slots_.push_back(parse_slot(n));
    for (const auto& n : nets_) total_ += n->n_neurons();
    slot_count_ = total_ * so.replicas;
    const std::uint64_t T = static_cast<std::uint64_t>(equilibration + steps);
    g_.resize(T * slot_count_);
    S_.resize(T * slot_count_);
    y_.resize(T * slot_count_);
    x_.resize(T * slot_count_);
    x0_.resize(slot_count_);
    tap_ = EpochTap{g_.data(), S_.data(), y_.data(), x_.data(), x0_.data(), slot_count_, 0, T};
  }

  const char* backend() const override { return "cpu"; }

  ReplayValue run(const AnyModel& model, const std::vector<Stimulus>& stimuli, std::uint64_t first_step) override {
    const Model& m = std::get<Model>(model);
    if (engine_.current_step() != first_step)
      throw Error("tune: epoch runner asked for step " + std::to_string(first_step) + " at step " +
                  std::to_string(engine_.current_step()));
    engine_.set_model(m);
    std::shared_ptr<const StimulusTable> table;
    if (!stimuli.empty()) table = std::make_shared<const StimulusTable>(stimuli, nets_, so_.seed);
    engine_.set_stimulus(table);
    tap_.first_step = first_step;
    engine_.set_tap(tap_);
    RunOptions ro;
    ro.steps = steps_;
    ro.equilibration_steps = equilibration_;
    ro.record = false;
    ro.fresh_state = true;
    engine_.run(ro, nullptr);
    engine_.set_tap(EpochTap{});

    const Coupling cf = coupling_of(m);
    const int H = self_length(m);
    std::vector<double> h(H), dh_beta(H), dh_rel(H);
    for (int k = 0; k < H; ++k) self_filter_terms(m, k, h[k], dh_beta[k], dh_rel[k]);
    const SelfTerms self{h.data(), dh_beta.data(), dh_rel.data(), H};
    const StimulusView stim = table ? table->view() : StimulusView{};
    const std::uint32_t P_ = static_cast<std::uint32_t>(slots_.size());
    const std::uint64_t chunks = (slot_count_ + kTangentChunk - 1) / kTangentChunk;
    std::vector<double> sums(chunks * (2 + P_), 0.0);
    int team = 1;
#if defined(_OPENMP)
    team = so_.threads > 0 ? so_.threads : omp_get_max_threads();
#endif
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
    for (std::int64_t c = 0; c < static_cast<std::int64_t>(chunks); ++c) {
      double* out = sums.data() + static_cast<std::uint64_t>(c) * (2 + P_);
      double phi = 0.0, kink = std::numeric_limits<double>::infinity();
      std::vector<double> slot_dtv(P_, 0.0);
      std::unique_ptr<bool[]> in_mask(new bool[P_ + 1]);
      const std::uint64_t lo = static_cast<std::uint64_t>(c) * kTangentChunk,
                          hi = std::min(slot_count_, lo + kTangentChunk);
      for (std::uint64_t slot = lo; slot < hi; ++slot) {
        const std::uint64_t global = slot % total_;
        slot_masks(stim, slots_.data(), P_, global, in_mask.get());
        tangent_slot(m, cf, self, tap_, slot, static_cast<std::uint64_t>(equilibration_), stim, slots_.data(), P_,
                     slot_dtv.data(), in_mask.get(), phi, out + 2, kink);
      }
      out[0] = phi;
      out[1] = kink;
    }
    (void)team;
    double phi = 0.0, kink = std::numeric_limits<double>::infinity();
    std::vector<double> d(P_, 0.0);
    for (std::uint64_t c = 0; c < chunks; ++c) {
      const double* in = sums.data() + c * (2 + P_);
      phi += in[0];
      kink = std::min(kink, in[1]);
      for (std::uint32_t q = 0; q < P_; ++q) d[q] += in[2 + q];
    }
    return value_from_sums(phi, kink, d, static_cast<double>(m.dt), slot_count_ * static_cast<std::uint64_t>(steps_));
  }

 private:
  CpuEngine<Model> engine_;
  std::vector<std::shared_ptr<const Network>> nets_;
  SimulatorOptions so_;
  std::int64_t equilibration_, steps_;
  std::vector<Slot> slots_;
  std::uint64_t total_ = 0, slot_count_ = 0;
  std::vector<double> g_, S_, y_;
  std::vector<std::uint8_t> x_, x0_;
  EpochTap tap_;
};

/// Taps larger than this record and replay instead (host memory).
constexpr std::uint64_t kMaxHostTap = std::uint64_t{2} << 30;

}  // namespace

std::unique_ptr<EpochRunner> make_epoch_runner(const AnyModel& model,
                                               const std::vector<std::shared_ptr<const Network>>& nets,
                                               const SimulatorOptions& options, const std::vector<std::string>& names,
                                               std::int64_t equilibration, std::int64_t steps) {
  for (const auto& n : nets)
    if (n->filter_length() > 0) return nullptr;  // tune refuses these (Replay says why)
  std::uint64_t total = 0;
  for (const auto& n : nets) total += n->n_neurons();
  const std::uint64_t slots = total * options.replicas;
  const std::uint64_t T = static_cast<std::uint64_t>(equilibration + steps);
  if (resolve_backend(options.backend) == Backend::kGpu)
    return make_gpu_epoch_runner(model, nets, options, names, equilibration, steps);
  if (tap_bytes(slots, T) > kMaxHostTap) return nullptr;
  return std::visit(
      [&](const auto& m) -> std::unique_ptr<EpochRunner> {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, ThresholdSAM>) {
          throw Error("tune: threshold_sam has no rate objective");
        } else {
          return std::make_unique<CpuEpochRunner<M>>(m, nets, options, names, equilibration, steps);
        }
      },
      model);
}

}  // namespace cascade::replay

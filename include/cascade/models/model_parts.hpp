// Pieces several built-in models share, each written once with its
// derivatives beside it (mixed into a model struct M by deriving from
// Part<M>; M names its parameters in its Param enum):
//   LinearInput   g = r S + E + b            (PoissonGLM, RectifiedLNP, RectifiedSAM)
//   RectifiedRate phi = lambda_0 relu(g - theta) dt, Poisson emission  (RectifiedLNP, RectifiedSAM)
#pragma once
#include <cstdint>

#include "cascade/models/model_api.hpp"

namespace cascade {

template <class M>
struct LinearInput {
  CASCADE_HD double input(const InputTerms& in, const NeuronStream&) const {
    return m().r * in.coupling + in.stimulus + m().b;
  }
  CASCADE_HD double input_partial(std::uint32_t k, const InputTerms& in) const {
    return k == M::kR ? in.coupling : k == M::kB ? 1.0 : 0.0;
  }
  CASCADE_HD InputTerms input_gradient(const InputTerms&) const { return InputTerms{m().r, 0.0, 1.0}; }

 private:
  CASCADE_HD const M& m() const { return static_cast<const M&>(*this); }
};

template <class M>
struct RectifiedRate {
  CASCADE_HD double rate(double g) const { return m().lambda_0 * math::relu(g - m().theta) * m().dt; }
  CASCADE_HD Emission emit(double mu, const NeuronStream& rng) const { return emit_poisson(mu, rng); }
  CASCADE_HD double rate_derivative(double g) const { return g > m().theta ? m().lambda_0 * m().dt : 0.0; }
  CASCADE_HD double rate_partial(std::uint32_t k, const RateTerms& t) const {
    return k == M::kTheta ? -t.dphi_dg : k == M::kLambda0 ? math::relu(t.g - m().theta) * m().dt : 0.0;
  }
  /// The rate has a kink at g = theta (tune's finite-difference checks stay clear of it).
  CASCADE_HD double kink_distance(double g) const { return math::abs(g - m().theta); }

 private:
  CASCADE_HD const M& m() const { return static_cast<const M&>(*this); }
};

}  // namespace cascade

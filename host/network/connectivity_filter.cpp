#include "cascade/connectivity_filter.hpp"

namespace cascade {

EdgeFilters connectivity_filter(const AnyModel& model, const Network& net) {
  if (net.filter_length() > 0) throw Error("network '" + net.label() + "' already carries per-edge filters");
  return std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        m.validate();
        const FilterSpec spec = m.filters();
        EdgeFilters f;
        f.T = static_cast<std::size_t>(spec.history_length);
        const std::size_t N = net.n_neurons();
        for (std::size_t j = 0; j < N; ++j)
          for (std::int64_t e = net.row_ptr()[j]; e < net.row_ptr()[j + 1]; ++e) {
            if (!M::kAllowsSelfCoupling && static_cast<std::size_t>(net.post()[e]) == j)
              throw Error("network '" + net.label() + "': W0 has a non-zero diagonal entry; model '" +
                          std::string(M::kName) + "' uses the diagonal for its refractory filter");
            f.pre.push_back(static_cast<std::int64_t>(j));
            f.post.push_back(net.post()[e]);
            for (std::size_t k = 0; k < f.T; ++k) f.filters.push_back(net.weight()[e] * spec.coupling_taps[k]);
          }
        if (!spec.self_filter.empty()) {
          for (std::size_t i = 0; i < N; ++i) {
            f.pre.push_back(static_cast<std::int64_t>(i));
            f.post.push_back(static_cast<std::int64_t>(i));
            for (std::size_t k = 0; k < f.T; ++k) f.filters.push_back(spec.self_filter[k]);
          }
        }
        return f;
      },
      model);
}

Network to_filter_network(const EdgeFilters& f, const Network& like) {
  return Network::from_edge_filters(like.n_neurons(), f.pre, f.post, f.filters, f.T, false, like.instance_id(),
                                    like.label() + " (per-edge filters)");
}

}  // namespace cascade

#include "device_state.hpp"

#include <algorithm>

namespace cascade::gpu {

NetworkPlacement place_networks(const engine::Networks& nets) {
  NetworkPlacement p;
  p.nets.resize(nets.size());
  std::int64_t global0 = 0;
  for (std::size_t k = 0; k < nets.size(); ++k) {
    const Network& n = *nets[k];
    DevNet& d = p.nets[k];
    d.row_base = p.row_entries;
    d.edge_base = static_cast<std::int64_t>(p.edges);
    d.q_base = static_cast<std::int64_t>(p.q_entries);
    d.col_base = p.row_entries;
    d.global0 = global0;
    d.scale = n.scale();
    d.n = static_cast<std::uint32_t>(n.n_neurons());
    d.instance = n.instance_id();
    d.T = static_cast<std::uint32_t>(n.filter_length());
    p.row_entries += static_cast<std::int64_t>(n.n_neurons()) + 1;
    p.edges += n.n_synapses();
    p.q_entries += n.quantised().size();
    global0 += static_cast<std::int64_t>(n.n_neurons());
  }
  return p;
}

DeviceState::DeviceState(const engine::Networks& nets_in, const NetworkPlacement& p, const engine::BatchLayout& layout,
                         const engine::EngineShape& shape, std::uint64_t seed)
    : host_nets(p.nets) {
  const std::size_t slots = layout.slots;
  for (const auto& u : layout.units)
    host_units.push_back(DevUnit{static_cast<std::int64_t>(u.slot_base), u.replica, u.net});
  // The networks, concatenated.
  std::vector<std::int64_t> rp(static_cast<std::size_t>(p.row_entries));
  std::vector<std::int32_t> po(p.edges), qq(p.q_entries);
  for (std::size_t k = 0; k < nets_in.size(); ++k) {
    const Network& n = *nets_in[k];
    std::copy(n.row_ptr().begin(), n.row_ptr().end(), rp.begin() + p.nets[k].row_base);
    std::copy(n.post().begin(), n.post().end(), po.begin() + p.nets[k].edge_base);
    std::copy(n.quantised().begin(), n.quantised().end(), qq.begin() + p.nets[k].q_base);
  }
  nets.upload(host_nets);
  units.upload(host_units);
  std::vector<std::uint32_t> su(slots);
  for (std::size_t u = 0; u < host_units.size(); ++u) {
    const std::size_t n = nets_in[host_units[u].net]->n_neurons();
    std::fill_n(su.begin() + host_units[u].slot_base, n, static_cast<std::uint32_t>(u));
  }
  slot_unit.upload(su);
  row_ptr.upload(rp);
  post.upload(po);
  q.upload(qq);
  self_filter.upload(shape.per_edge ? std::vector<double>{} : shape.spec.self_filter);
  StateArrays<DeviceBuffer>::for_each_array(state, [&](auto& a, const char*, StateExtent e) {
    a.resize(slots * shape.per_slot(e));
  });
  for (int b = 0; b < 2; ++b) {
    list_slot[b].resize(slots);
    list_count[b].resize(slots);
  }
  list_len.resize(2);
  unit_len.resize(2 * host_units.size());
  counters.resize(1);
  bad.resize(1);
  step_base.resize(1);

  view.nets = nets.get();
  view.units = units.get();
  view.slot_unit = slot_unit.get();
  view.row_ptr = row_ptr.get();
  view.post = post.get();
  view.q = q.get();
  view.S = state.S.get();
  view.acc = state.acc.get();
  view.acc_next = nullptr;
  view.ring = state.ring.get();
  view.xhist = state.xhist.get();
  view.xlast = state.xlast.get();
  for (int b = 0; b < 2; ++b) {
    view.list_slot[b] = list_slot[b].get();
    view.list_count[b] = list_count[b].get();
  }
  view.list_len = list_len.get();
  view.unit_len = unit_len.get();
  view.counters = counters.get();
  view.bad = bad.get();
  view.self_filter = self_filter.get();
  view.consts = shape.consts;
  view.slots = slots;
  view.seed = seed;
  view.n_units = static_cast<std::uint32_t>(host_units.size());
  view.ring_len = static_cast<std::uint32_t>(shape.ring_len);
  view.self_len = static_cast<std::uint32_t>(shape.self_len);
  view.per_edge = shape.per_edge ? 1u : 0u;
  view.stim = StimulusView{};
}

void DeviceState::clear(cudaStream_t s) const {
  StateArrays<DeviceBuffer>::for_each_array(state, [&](const auto& a, const char*, StateExtent) { a.zero(s); });
}

std::uint64_t DeviceState::bytes() const {
  std::uint64_t b = nets.bytes() + units.bytes() + slot_unit.bytes() + row_ptr.bytes() + post.bytes() + q.bytes() +
                    col_ptr.bytes() + csc_pre.bytes() + csc_q.bytes() + self_filter.bytes();
  StateArrays<DeviceBuffer>::for_each_array(state, [&](const auto& a, const char*, StateExtent) { b += a.bytes(); });
  for (int k = 0; k < 2; ++k) b += list_slot[k].bytes() + list_count[k].bytes();
  return b + stimulus.bytes();
}

void DeviceState::save(EngineState& e) const {
  EngineState::for_each_pair(e, state, [](auto& to, const auto& from, const char*, StateExtent) { to = from.download(); });
}

void DeviceState::load(const EngineState& e) {
  EngineState::for_each_pair(state, e, [](const auto& to, const auto& from, const char*, StateExtent) {
    if (!from.empty())
      CASCADE_CUDA_CHECK(cudaMemcpy(to.get(), from.data(), from.size() * sizeof(from[0]), cudaMemcpyHostToDevice));
  });
}

StateArrays<DeviceBuffer> DeviceState::snapshot(cudaStream_t s) const {
  StateArrays<DeviceBuffer> copy;
  StateArrays<DeviceBuffer>::for_each_pair(copy, state, [&](auto& to, const auto& from, const char*, StateExtent) {
    to.resize(from.size());
    if (from.size())
      CASCADE_CUDA_CHECK(cudaMemcpyAsync(to.get(), from.get(), from.bytes(), cudaMemcpyDeviceToDevice, s));
  });
  return copy;
}

void DeviceState::restore(const StateArrays<DeviceBuffer>& from_state, cudaStream_t s) const {
  StateArrays<DeviceBuffer>::for_each_pair(state, from_state, [&](const auto& to, const auto& from, const char*,
                                                                    StateExtent) {
    if (from.size())
      CASCADE_CUDA_CHECK(cudaMemcpyAsync(to.get(), from.get(), from.bytes(), cudaMemcpyDeviceToDevice, s));
  });
}

}  // namespace cascade::gpu

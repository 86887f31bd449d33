// A StimulusTable copied to the device, with its view for the kernels.
#pragma once
#include "cascade/stimulus.hpp"
#include "cascade/extend/gpu/cuda_util.hpp"

namespace cascade::cuda {

class DeviceStimulus {
 public:
  /// Uploads `t` (null or empty: no stimuli; the view's count is 0).
  void upload(const StimulusTable* t) {
    view_ = StimulusView{};
    if (!t || t->empty()) return;
    params_.upload(t->params());
    events_.upload(t->events());
    masks_.upload(t->masks());
    mask_offset_.upload(t->mask_offset());
    loaded_.upload(t->loaded());
    loaded_offset_.upload(t->loaded_offset());
    loaded_steps_.upload(t->loaded_steps());
    view_.count = t->count();
    view_.n_nets = t->n_nets();
    view_.params = params_.get();
    view_.events = events_.get();
    view_.masks = masks_.get();
    view_.mask_offset = mask_offset_.get();
    view_.loaded = loaded_.get();
    view_.loaded_offset = loaded_offset_.get();
    view_.loaded_steps = loaded_steps_.get();
  }
  const StimulusView& view() const { return view_; }
  std::size_t bytes() const {
    return params_.bytes() + events_.bytes() + masks_.bytes() + mask_offset_.bytes() + loaded_.bytes() +
           loaded_offset_.bytes() + loaded_steps_.bytes();
  }

 private:
  DeviceArray<StimulusParams> params_;
  DeviceArray<std::int64_t> events_, mask_offset_, loaded_offset_, loaded_steps_;
  DeviceArray<std::uint8_t> masks_;
  DeviceArray<double> loaded_;
  StimulusView view_;
};

}  // namespace cascade::cuda

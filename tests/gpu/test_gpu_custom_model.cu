// A user model (examples/custom_model.hpp) on the GPU through
// make_gpu_engine_for: the same spikes as the CPU engine, bit for bit.
#include <gtest/gtest.h>

#include <cstring>

#include "cascade/engine/gpu_engine.hpp"
#include "custom_model.hpp"
#include "cascade/extend/gpu/gpu_engine.cuh"
#include "net_util.hpp"

using namespace cascade;

TEST(GpuCustomModel, SoftplusGlmEqualsTheCpuForEveryStrategy) {
  if (gpu_device_count() == 0) GTEST_SKIP() << "no CUDA device: the GPU engine is not tested here";
  SoftplusGLM model;
  const std::size_t n = 400;
  std::vector<Network> nets;
  nets.push_back(test::random_network(n, 0.2, 1.0, 77));
  SimulatorOptions o;
  o.seed = 2024;
  o.replicas = 2;
  RunOptions ro;
  ro.steps = 30000;
  ro.equilibration_steps = 20;
  o.backend = Backend::kCpu;
  Simulator cpu = Simulator::with_model(model, nets, o);
  cpu.set_stimuli({parse_stimulus("regular:strength=0.5,period=30,tau=5")});
  const auto c = cpu.run(ro);
  ASSERT_GE(c.summary.recorded_spike_count, 100000u);
  for (GpuStrategy st : {GpuStrategy::kBlock, GpuStrategy::kStep, GpuStrategy::kGraph, GpuStrategy::kPull,
                         GpuStrategy::kFused}) {
    o.backend = Backend::kGpu;
    o.gpu_strategy = st;
    Simulator gpu = Simulator::with_engine(nets, o, [&](const auto& ns, const auto& opt) {
      return gpu::make_gpu_engine_for(model, ns, opt);
    });
    gpu.set_stimuli({parse_stimulus("regular:strength=0.5,period=30,tau=5")});
    const auto g = gpu.run(ro);
    EXPECT_EQ(g.summary.backend, "gpu");
    EXPECT_EQ(c.summary.synaptic_events, g.summary.synaptic_events) << gpu_strategy_name(st);
    EXPECT_TRUE(std::memcmp(c.raster.data(), g.raster.data(), c.raster.size_bytes()) == 0)
        << gpu_strategy_name(st) << ": CPU " << c.raster.total() << " spikes, GPU " << g.raster.total();
  }
}

TEST(GpuCustomModel, WithModelRefusesTheGpuSayingHow) {
  std::vector<Network> nets;
  nets.push_back(test::random_network(10, 0.2, 1.0, 1));
  SimulatorOptions o;
  o.backend = Backend::kGpu;
  try {
    Simulator::with_model(SoftplusGLM{}, nets, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("make_gpu_engine_for"), std::string::npos) << e.what();
  }
}

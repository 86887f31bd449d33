// Shared by the GPU tests: skip without a device.
#pragma once
#include <gtest/gtest.h>

#include "cascade/engine/gpu_engine.hpp"

#define REQUIRE_GPU()                                                                      \
  do {                                                                                     \
    if (gpu_device_count() == 0) GTEST_SKIP() << "no CUDA device: the GPU engine is not tested here"; \
  } while (0)

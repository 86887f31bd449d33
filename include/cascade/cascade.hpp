// Cascade: the whole public C++ API. No CUDA types appear here.
#pragma once
#include "cascade/config.hpp"
#include "cascade/connectivity_filter.hpp"
#include "cascade/dataset.hpp"
#include "cascade/engine/engine.hpp"
#include "cascade/error.hpp"
#include "cascade/math.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/network.hpp"
#include "cascade/npy.hpp"
#include "cascade/raster.hpp"
#include "cascade/rng.hpp"
#include "cascade/simulator.hpp"

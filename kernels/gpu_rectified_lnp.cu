// The GPU engine instantiated for RectifiedLNP.
#include "gpu_models.cuh"

CASCADE_GPU_BUILTIN(cascade::RectifiedLNP)

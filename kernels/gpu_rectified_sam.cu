// The GPU engine instantiated for RectifiedSAM.
#include "gpu_models.cuh"

CASCADE_GPU_BUILTIN(cascade::RectifiedSAM)

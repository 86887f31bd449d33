// The GPU engine instantiated for ThresholdSAM.
#include "gpu_models.cuh"

CASCADE_GPU_BUILTIN(cascade::ThresholdSAM)

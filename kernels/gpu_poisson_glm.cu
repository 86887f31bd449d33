// The GPU engine instantiated for PoissonGLM.
#include "gpu_models.cuh"

CASCADE_GPU_BUILTIN(cascade::PoissonGLM)

// The GPU engine instantiated for BernoulliGLM.
#include "gpu_models.cuh"

CASCADE_GPU_BUILTIN(cascade::BernoulliGLM)

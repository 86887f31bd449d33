#!/usr/bin/env bash
# Builds, here, what bench/device-check.sh runs on a lent GPU machine (sm_90):
# the GPU test binaries and cascade-bench, plus the shared libraries the
# device image lacks, into .devbuild/ (ignored; name it in the device tool's
# `carry`). cuSPARSE comes from the device's own CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build "$build" -j2 --target test_gpu_engine test_gpu_tune test_gpu_custom_model test_gpu_shared_math \
  cascade_bench cascade_cli
rm -rf .devbuild && mkdir -p .devbuild/lib
cp "$build"/tests/test_gpu_engine "$build"/tests/test_gpu_tune "$build"/tests/test_gpu_custom_model \
   "$build"/tests/test_gpu_shared_math "$build"/bench/cascade-bench "$build"/cascade .devbuild/
strip .devbuild/test_gpu_* .devbuild/cascade-bench .devbuild/cascade
# Open MPI's libraries too: the binaries link them (a process no launcher
# started never initialises MPI, so no MPI plugins or mpiexec are needed).
for lib in libgomp.so.1 libhdf5_serial.so.103 libsz.so.2 libaec.so.0 \
           libmpi.so.40 libopen-rte.so.40 libopen-pal.so.40 libhwloc.so.15 libevent_core-2.1.so.7 \
           libevent_pthreads-2.1.so.7 libudev.so.1 libz.so.1; do
  cp -L "/lib/x86_64-linux-gnu/$lib" .devbuild/lib/ 2>/dev/null || true
done
du -sh .devbuild

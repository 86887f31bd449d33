#!/usr/bin/env bash
# One device session's checks (issue "GPU engine"), well inside 10 minutes:
# the GPU tests (every strategy against the CPU engine), compute-sanitizer
# memcheck and racecheck on a tiny case, the hardware floors and the
# benchmark cases on the GPU, a short table last. Results go under $OUT.
#
# Binaries: carried in .devbuild/ (bench/prepare-device-build.sh builds them
# here for sm_90 with the libraries the device image lacks), else built there.
# Usage (device tool): bash bench/device-check.sh [quick|final|session|compare]
#   compare: every GPU test (the model matrix for $STRATEGIES), the sanitizers,
#   then --gpu-strategy $STRATEGY against auto on the cases in $CASES.
#   session: every GPU test, the sanitizers, then bench/compare_reference.py
#   --device cuda (spikeometric timed on the same GPU in this process tree; its
#   wheel carried in .whl/) and max-scale, instead of the benchmark list.
set -uo pipefail
cd "$(dirname "$0")/.."
# At most eight files, written as the script goes (the device tool returns
# at most eight, and what exists when a time limit strikes): gpu.txt,
# tests.log, sanitizers.log, bench.log, bench_gpu.json, bench_strategies.log,
# bench_strategies.json; in a session: tests.log (the card first),
# sanitizers.log, ref.log, cascade.json, reference.json, comparison.json,
# max_scale.log, max_scale.json.
OUT=${OUT:-/tmp/cascade-device-out}
mkdir -p "$OUT"
quick=${1:-}
log() { echo "== $(date +%T) $*"; }
card="$OUT/gpu.txt"
[ "$quick" = session ] && card="$OUT/tests.log"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1 | tee "$card"

bin=.devbuild
if [ ! -x "$bin/test_gpu_engine" ]; then
  log "no carried build: building here for sm_90"
  cmake -S . -B build-device -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 >"$OUT/cmake.log" 2>&1 &&
    cmake --build build-device -j16 --target test_gpu_engine test_gpu_tune test_gpu_custom_model test_gpu_shared_math \
      cascade_bench cascade_cli >>"$OUT/cmake.log" 2>&1 ||
    { tail -30 "$OUT/cmake.log"; exit 1; }
  mkdir -p "$bin"
  cp build-device/tests/test_gpu_engine build-device/tests/test_gpu_tune build-device/tests/test_gpu_custom_model \
     build-device/tests/test_gpu_shared_math build-device/bench/cascade-bench build-device/cascade "$bin/"
fi
# cuSPARSE and nvJitLink come from the device's CUDA; the carried lib/ has the rest.
cudalib=""
for name in libcusparse.so.12 libnvJitLink.so.13; do
  f=$(find /usr/local/cuda*/ /usr/lib/x86_64-linux-gnu /opt -name "$name" 2>/dev/null | head -1)
  [ -n "$f" ] && cudalib="$cudalib:$(dirname "$f")"
done
export LD_LIBRARY_PATH="$PWD/$bin/lib$cudalib:${LD_LIBRARY_PATH:-}"
status=0

log "GPU tests"
for t in test_gpu_shared_math test_gpu_custom_model test_gpu_engine test_gpu_tune; do
  filter='*'
  # A rerun may name the tests to repeat (the other binaries are then skipped).
  if [ -n "${GPU_TEST_FILTER:-}" ]; then [ "$t" = test_gpu_engine ] || [ "$t" = test_gpu_tune ] || continue; filter=$GPU_TEST_FILTER; fi
  [ "$quick" = quick ] && [ "$t" = test_gpu_engine ] && filter='*Tiny*:*BackendRules*:*Continued*:*States*:*MixedBatch*'
  [ "$quick" = quick ] && [ "$t" = test_gpu_tune ] && filter='*Tiny*:*EndToEnd*'
  # "final"/"compare": everything, the model matrix for the strategies in $STRATEGIES only.
  { [ "$quick" = final ] || [ "$quick" = compare ]; } && [ "$t" = test_gpu_engine ] &&
    export CASCADE_GPU_TEST_STRATEGIES=${STRATEGIES:-}
  timeout 240 "$bin/$t" --gtest_filter="$filter" >"$OUT/current.log" 2>&1
  rc=$?
  cat "$OUT/current.log" >>"$OUT/tests.log"
  grep -E "^\[  (PASSED|FAILED|SKIPPED) |OK \]|FAILED  \]" "$OUT/current.log" | tail -40
  [ $rc -ne 0 ] && { status=1; grep -B2 -A12 "Failure" "$OUT/current.log" | head -80; }
  rm -f "$OUT/current.log"
done
# The golden outputs on the GPU: the spikes, g and phi(g) of tests/golden's
# runs equal the hashes recorded on the CPU.
log "golden outputs on the GPU"
timeout 120 python3 tests/golden/golden.py "$bin/cascade" /tmp/cascade-golden --backend gpu 2>&1 | tee -a "$OUT/tests.log" | tail -3
[ "${PIPESTATUS[0]}" -ne 0 ] && status=1

if [ -n "${SKIP_SANITIZERS:-}" ]; then
  echo "compute-sanitizer: skipped (SKIP_SANITIZERS)"
elif command -v compute-sanitizer >/dev/null; then
  for tool in memcheck racecheck; do
    log "compute-sanitizer $tool (tiny case)"
    timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 "$bin/test_gpu_engine" \
      --gtest_filter='GpuEngine.TinyCaseForTheSanitizers' >"$OUT/current.log" 2>&1 &&
      timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 "$bin/test_gpu_tune" \
        --gtest_filter='GpuTune.TinyCaseForTheSanitizers' >>"$OUT/current.log" 2>&1
    rc=$?
    cat "$OUT/current.log" >>"$OUT/sanitizers.log"
    tail -4 "$OUT/current.log"
    rm -f "$OUT/current.log"
    echo "compute-sanitizer $tool: exit $rc"
    [ $rc -ne 0 ] && status=1
  done
else
  echo "compute-sanitizer: not found"
fi

if [ "$quick" = compare ]; then
  # One strategy against auto on the same cases, side by side in this run.
  log "benchmark: ${STRATEGY:-cluster} against auto"
  # shellcheck disable=SC2046
  timeout 150 "$bin/cascade-bench" --backend gpu --gpu-strategy "${STRATEGY:-cluster}" $(printf -- '--case %s ' $CASES) \
    --repeat 3 --json "$OUT/bench_strategies.json" >"$OUT/bench_strategies.log" 2>&1 || status=1
  # shellcheck disable=SC2046
  timeout 150 "$bin/cascade-bench" --backend gpu $(printf -- '--case %s ' $CASES) --repeat 3 \
    --json "$OUT/bench_gpu.json" >"$OUT/bench.log" 2>&1 || status=1
  tail -n +3 "$OUT/bench_strategies.log"
  python3 bench/device_summary.py "$OUT/bench_gpu.json" || cat "$OUT/bench.log"
  echo "device-check: status $status"
  exit $status
fi

if [ "$quick" = session ] && [ -n "${SKIP_REFERENCE:-}" ]; then
  echo "reference and max-scale: skipped (SKIP_REFERENCE)"
  echo "device-check: status $status"
  exit $status
elif [ "$quick" = session ]; then
  log "reference on this GPU, side by side"
  # spikeometric 1.0.3 declares Python < 3.12; the device has 3.12 (it runs there as here).
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --ignore-requires-python \
    --target /tmp/site .whl/*.whl &&
    export PYTHONPATH=/tmp/site
  ref_cases=${REF_CASES:-ladder-20 ladder-100 ladder-1000 ladder-2236 ladder-10000 batch-10x50 tune-20 tune-2236}
  # shellcheck disable=SC2046
  PYTHONUNBUFFERED=1 timeout 300 python3 bench/compare_reference.py --bench "$bin/cascade-bench" --device cuda \
    --budget 1 --out /tmp/ref $(printf -- '--case %s ' $ref_cases) 2>&1 | tee "$OUT/ref.log" | grep -v "^  "
  [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
  cp /tmp/ref/cascade.json /tmp/ref/reference.json /tmp/ref/comparison.json "$OUT/" 2>/dev/null
  if [ -z "${SKIP_MAXSCALE:-}" ]; then
    log "max-scale"
    timeout 240 "$bin/cascade-bench" --backend gpu --case max-scale --repeat 3 --json "$OUT/max_scale.json" \
      >"$OUT/max_scale.log" 2>&1 || status=1
    tail -5 "$OUT/max_scale.log"
  fi
  python3 bench/device_summary.py "$OUT/cascade.json" || true
  echo "device-check: status $status"
  exit $status
fi

log "benchmark"
cases="--case ladder-20 --case ladder-100 --case ladder-1000 --case ladder-2236 --case ladder-5000 --case ladder-10000
       --case lnp-1000 --case lnp-2236 --case sam-10000 --case batch-10x50 --case batch-10x2236 --case batch-1000x100
       --case replicas-1000x64 --case tune-20 --case tune-2236"
[ -z "$quick" ] && cases="$cases --case microcircuit"
timeout 300 "$bin/cascade-bench" --backend gpu $cases --repeat 3 --json "$OUT/bench_gpu.json" >"$OUT/bench.log" 2>&1 || status=1
if [ "$quick" = final ]; then
  timeout 120 "$bin/cascade-bench" --backend gpu --gpu-strategy fused --case ladder-100 --case ladder-1000 --case ladder-2236 \
    --case ladder-5000 --case ladder-10000 --case batch-10x2236 --case replicas-1000x64 --case sam-10000 --case lnp-2236 \
    --repeat 3 --json "$OUT/bench_strategies.json" >"$OUT/bench_strategies.log" 2>&1 || status=1
fi
[ "$quick" = quick ] || [ "$quick" = final ] || timeout 150 "$bin/cascade-bench" --backend gpu --gpu-strategy each --case ladder-20 --case ladder-100 --case ladder-1000 --case ladder-2236 --case batch-1000x100 \
  --case batch-10x50 --case replicas-1000x64 --repeat 3 --json "$OUT/bench_strategies.json" >"$OUT/bench_strategies.log" 2>&1 || status=1
[ -f "$OUT/bench_strategies.log" ] && tail -25 "$OUT/bench_strategies.log"
log "summary"
python3 bench/device_summary.py "$OUT/bench_gpu.json" || cat "$OUT/bench.log"
echo "device-check: status $status"
exit $status

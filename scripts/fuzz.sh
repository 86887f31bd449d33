#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, AddressSanitizer, UndefinedBehaviorSanitizer)
# and runs each from its committed seed corpus (fuzz/corpus/<name>) for
# FUZZ_SECONDS seconds (default 30). A crash, leak or sanitizer report fails
# the run and leaves the input in <build>/fuzz-artifacts/; add it to the
# corpus and turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-30}
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASCADE_ENABLE_CUDA=OFF \
      -DCASCADE_BUILD_TESTS=OFF -DCASCADE_BUILD_EXAMPLES=OFF -DCASCADE_BUILD_FUZZERS=ON \
      -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -g -O1" >/dev/null
fuzzers=(fuzz_npy fuzz_matrix_market fuzz_run_file fuzz_params)
cmake --build "$build" -j2 --target "${fuzzers[@]}"
mkdir -p "$build/fuzz-artifacts"
for f in "${fuzzers[@]}"; do
  seeds="fuzz/corpus/${f#fuzz_}"
  work="$build/fuzz-corpus/${f#fuzz_}"
  mkdir -p "$work"
  echo "fuzz: $f for ${seconds}s (seeds: $seeds)"
  "$build/fuzz/$f" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
      -artifact_prefix="$build/fuzz-artifacts/$f-" "$work" "$seeds" 2>"$build/fuzz-artifacts/$f.log" ||
    { tail -40 "$build/fuzz-artifacts/$f.log"; echo "fuzz: $f failed"; exit 1; }
  grep -E "^#[0-9]+.*DONE" "$build/fuzz-artifacts/$f.log" | tail -1 || true
done
echo "fuzz: no crashes"

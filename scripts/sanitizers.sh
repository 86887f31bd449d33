#!/usr/bin/env bash
# Builds the CPU engine with AddressSanitizer and UndefinedBehaviorSanitizer
# (no CUDA) and runs a representative subset of the CPU tests under them:
# every input parser and loader, the network and stimulus code, the engine
# on the reference fixtures, tune's replay, the connectivity fit, and the
# command line. Any report
# fails the run (-fno-sanitize-recover, halt_on_error).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASCADE_ENABLE_CUDA=OFF -DCASCADE_BUILD_EXAMPLES=OFF \
      -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
targets=(test_npy test_network test_loaders test_stimulus test_generators test_fixtures test_custom_model test_tune
         test_fit test_cli cascade_cli)
cmake --build "$build" -j2 --target "${targets[@]}"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The slow statistical test of tune is left to the main run.
ctest --test-dir "$build" --output-on-failure -j2 \
      -R '^(Npy|Network|Loaders|Stimulus|NormalGenerator|UniformGenerator|MexicanHatGenerator|SparseGenerator|Generators|Fixtures|SamFixture|Models/GlmFixture|Models/MultiLagInput|CustomModel|TuneGradient|Tune\.(Selection|Deterministic)|Fit|Cli)'
echo "sanitizers: no reports"

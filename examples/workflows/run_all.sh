#!/usr/bin/env bash
# Runs the three worked examples and draws their figures.
#   bash examples/workflows/run_all.sh [path/to/cascade] [python] [figures dir]
# The runs go to $WORK (default build/workflows), the figures to the third
# argument (default: $WORK/figures; pass docs/img to refresh the README's).
# The python needs numpy and matplotlib (pip install numpy matplotlib).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cascade="$(realpath "${1:-$root/build/cascade}")"
python="${2:-python3}"
# A path to a python (a venv's) is made absolute, not resolved: the runs cd.
if [[ "$python" == */* ]]; then python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"; fi
work="$(realpath -m "${WORK:-$root/build/workflows}")"
figures="$(realpath -m "${3:-$work/figures}")"
mkdir -p "$work" "$figures"
cd "$work"
cp "$here"/*.toml .

# 1. Stimulated networks: mask = the first four (excitatory) neurons.
"$python" -c "import numpy as np; m = np.zeros(50, np.uint8); m[:4] = 1; np.save('mask.npy', m)"
"$cascade" simulate stimulus.toml --quiet
# 2. RectifiedLNP: before, tune, after.
"$cascade" simulate tune_lnp.toml --quiet
"$cascade" tune tune_lnp.toml --quiet --force
"$cascade" simulate tune_lnp.toml --params-file lnp_tuned.json --output lnp_after.npy --quiet
# 3. PoissonGLM at 62.5 Hz.
"$cascade" tune poisson_62hz.toml --quiet --force
"$cascade" simulate poisson_62hz.toml --params-file poisson_tuned.json --quiet

"$python" "$here/figures.py" "$work" "$figures"

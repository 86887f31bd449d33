#!/usr/bin/env bash
# Runs the three worked examples and draws their figures into docs/img/.
#   bash examples/workflows/run_all.sh [path/to/cascade] [python]
# The python needs numpy and matplotlib (pip install numpy matplotlib).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cascade="$(realpath "${1:-$root/build/cascade}")"
python="${2:-python3}"
work="${WORK:-$root/build/workflows}"
mkdir -p "$work" "$root/docs/img"
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

"$python" "$here/figures.py" "$work" "$root/docs/img"

#!/usr/bin/env bash
# Distributed scaling (docs/distributed.md): cascade-bench's mpi cases under
# mpiexec -n K for K = 1, 2, 4 (strong: one 20 M-synapse network; weak:
# 5 M synapses a rank), one thread a rank. Writes K.json per K and a table.
#   bench/mpi_scaling.sh BUILD_DIR OUT_DIR [ranks...]
set -euo pipefail
build=${1:?build dir}; out=${2:?output dir}; shift 2
ranks=("$@"); [ ${#ranks[@]} -gt 0 ] || ranks=(1 2 4)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
mkdir -p "$out"
# One process per case and K: a process's peak memory is its lifetime's.
for case in mpi-strong mpi-weak; do
  for k in "${ranks[@]}"; do
    mpiexec -n "$k" "$build/bench/cascade-bench" --case "$case" --threads 1 --repeat 5 --json "$out/$case-ranks$k.json" \
      | tee "$out/$case-ranks$k.txt"
  done
done
python3 - "$out" "${ranks[@]}" <<'PY'
import json, sys
out, ranks = sys.argv[1], [int(k) for k in sys.argv[2:]]
rows = {}
for case in ("mpi-strong", "mpi-weak"):
    for k in ranks:
        for r in json.load(open(f"{out}/{case}-ranks{k}.json"))["results"]:
            rows.setdefault(r["case"], {})[k] = r
lines = ["| case | ranks | us/step (slowest rank) | speed-up vs 1 | exchange share (max) | bytes exchanged/step/rank | peak MiB/rank (max) |",
         "|---|---|---|---|---|---|---|"]
for case, by_k in rows.items():
    base = by_k[min(by_k)]
    for k in sorted(by_k):
        r = by_k[k]
        us = max(r.get("rank_us_per_step", [r["us_per_step_median"]]))
        share = max((e / u for e, u in zip(r.get("rank_exchange_us_per_step", [0]), r.get("rank_us_per_step", [1]))), default=0)
        b = max(r.get("rank_exchange_bytes_per_step", [0]))
        peak = max(r.get("rank_peak_host_bytes", [r["peak_host_bytes"]])) / 2 ** 20
        base_us = max(base.get("rank_us_per_step", [base["us_per_step_median"]]))
        lines.append(f"| {case} | {k} | {us:.0f} | {base_us / us:.2f} | {100 * share:.1f} % | {b:.3g} | {peak:.0f} |")
open(f"{out}/table.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY

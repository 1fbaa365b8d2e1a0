#!/usr/bin/env bash
# One device session: the CUDA checks, then the benchmarks with the time that is left; every
# result in one archive ($OUT/results.tgz). TOTAL: seconds for both (default 520).
set -u
RES=/tmp/gpu-results; WORK=/tmp/gpu-work; mkdir -p "$RES" "$WORK"
T0=$SECONDS
export WORK
# the JPEGs (gpu_bench.sh makes them; BUDGET=0 makes only them and skips every run)
BUDGET=0 OUT="$RES/bench" bash scripts/gpu_bench.sh > "$RES/jpegs.txt" 2>&1
OUT="$RES/checks" bash scripts/gpu_checks.sh "$WORK/jpegs"
LEFT=$(( ${TOTAL:-520} - (SECONDS - T0) ))
BUDGET=$LEFT OUT="$RES/bench" bash scripts/gpu_bench.sh
tar czf "${OUT:-.}/results.tgz" -C "$RES" .

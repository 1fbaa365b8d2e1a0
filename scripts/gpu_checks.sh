#!/usr/bin/env bash
# CUDA-only paths that the CPU test suite cannot reach, each a short real run on the GPU:
# DistributedDataParallel through torchrun (nccl, one process per GPU) with --sync-bn, the CUDA
# prefetcher, --gpu-decode (nvJPEG), and AMP bf16 + channels-last + --compile in a training run.
#   OUT=/path/to/results bash scripts/gpu_checks.sh JPEG_DIR    # from the repository root
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-gpu-checks-out}
DATA=$1
mkdir -p "$OUT"
COMMON=(tests/specs/tiny_bn.json -data "$DATA" -nClasses 10 -imageSize 36 -cropSize 32 -batchSize 32
        -nEpochs 2 -epochSize 4 -nDonkeys 4 -LR 0.05 --device cuda)
check() {  # name, time limit (s), command...
    local name=$1 limit=$2
    shift 2
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    echo "$name: exit $? $(grep -h 'TESTING SUMMARY' "$OUT/$name.log" | tail -1 | cut -c1-140)"
}
N=$(nvidia-smi -L | wc -l)
check ddp_nccl_syncbn 120 torchrun --standalone --nproc_per_node "$N" -m enet_port train "${COMMON[@]}" \
    --sync-bn --run-dir "$OUT/run_ddp"
check test_after_ddp 60 python -m enet_port test tests/specs/tiny_bn.json -retrain "$OUT/run_ddp/model_2.pt" \
    -data "$DATA" -nClasses 10 -imageSize 36 -cropSize 32 -batchSize 32 -nDonkeys 4 --device cuda
check gpu_decode 90 python -m enet_port train "${COMMON[@]}" --gpu-decode --run-dir "$OUT/run_nvjpeg"
check bf16_cl_compile 150 python -m enet_port train "${COMMON[@]}" --amp bf16 --channels-last --compile \
    --run-dir "$OUT/run_compile"
rm -rf "$OUT"/run_*/*.pt

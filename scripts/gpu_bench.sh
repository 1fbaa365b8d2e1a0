#!/usr/bin/env bash
# The GPU figures of BENCHMARKS.md (issue 12), on one GPU in under 8 minutes, no network needed:
# V7, V12 and ResNet-18 training images/s in fp32 and in bf16 + channels-last + torch.compile,
# each beside the same model fed real JPEGs by 16 donkeys (their ratio says how far the data path
# holds the GPU back), and the donkeys / torchvision loader per core on this machine's CPU.
#
#   OUT=/path/to/results bash scripts/gpu_bench.sh      # from the repository root
#
# The JPEGs are made here: 400 of the built-in sample pictures at ImageNet's typical 500x375
# (noisy backgrounds: slower to decode than most photos, so the ratio errs low). Every run writes
# $OUT/<name>.json (bench --json) and $OUT/<name>.err; runs go in order of importance and one
# that would pass the time budget is skipped, so a slow compile cannot take the rest with it
# (a run killed by its time limit leaves an empty .json and its .err).
set -u
export PYTHONUNBUFFERED=1 TORCHINDUCTOR_COMPILE_THREADS=${TORCHINDUCTOR_COMPILE_THREADS:-16}
OUT=${OUT:-gpu-bench-out}
BUDGET=${BUDGET:-450}  # seconds for the runs, after the JPEGs are made
# a smoke test elsewhere: DEVICE=cpu BATCH=4 STEPS=1 DONKEYS=2 BUDGET=120 bash scripts/gpu_bench.sh
# ONLY="v7_fp32 resnet18_fp32": those runs alone (the names below), e.g. to split the runs over two calls
DEVICE=${DEVICE:-cuda} BATCH=${BATCH:-256} STEPS=${STEPS:-20} DONKEYS=${DONKEYS:-16}
mkdir -p "$OUT"
WORK=${WORK:-$(mktemp -d)}

[ -d "$WORK/jpegs/train" ] || python - "$WORK/jpegs" <<'EOF' || { echo "could not make the JPEGs (is enet_port importable here?)"; exit 1; }
import sys
from pathlib import Path
from PIL import Image
from enet_port.data.sample_data import make_sample_dataset
root = make_sample_dataset(Path(sys.argv[1]), train_per_class=40, val_per_class=1, size=500)
for path in root.glob("*/*/*.JPEG"):
    Image.open(path).resize((500, 375), Image.BICUBIC).save(path, "JPEG", quality=90)
print("JPEGs:", sum(1 for _ in root.glob("*/*/*.JPEG")), "at 500x375 in", root)
EOF
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python -c "import torch, torchvision, sys; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'python', sys.version.split()[0])"
  nproc; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

START=$SECONDS
run() {  # name, time limit (s), bench arguments...
    local name=$1 limit=$2 left=$((BUDGET - (SECONDS - START)))
    shift 2
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return; fi
    if [ "$left" -lt 30 ]; then echo "$name: skipped (time budget spent)"; return; fi
    [ "$limit" -gt "$left" ] && limit=$left
    timeout "$limit" python -m enet_port bench "$@" --device "$DEVICE" -data "$WORK/jpegs" -cache "$WORK/cache" \
        -nDonkeys "$DONKEYS" -batchSize "$BATCH" --steps "$STEPS" --json > "$OUT/$name.json" 2> "$OUT/$name.err"
    echo "$name: exit $? after $((SECONDS - START)) s: $(head -c 600 "$OUT/$name.json")"
}
FAST="--amp bf16 --channels-last --compile"
run v7_bf16_cl_compile 170 specs/v7.json $FAST
run resnet18_bf16_cl_compile 130 specs/resnet18.json $FAST
run v12_bf16_cl_compile 130 specs/v12.json $FAST
run resnet18_bf16_cl_gpu_decode 70 specs/resnet18.json --amp bf16 --channels-last --gpu-decode
run v7_fp32 60 specs/v7.json
run v12_fp32 60 specs/v12.json
run resnet18_fp32 60 specs/resnet18.json
echo "results in $OUT"

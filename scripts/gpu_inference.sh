#!/usr/bin/env bash
# The GPU inference rows of BENCHMARKS.md (issue 20): eager vs torch.compile on the GPU for the
# Cityscapes ENet (640x360, 1280x720), V7 and ResNet-18 (224), batch 1 and 8; then ONNX Runtime
# with the CUDA and the TensorRT execution providers where this machine's onnxruntime has them
# (pip install onnxruntime-gpu; a missing provider is one line saying so, and the row is skipped).
#   bash scripts/gpu_inference.sh > gpu-inference.md      # from the repository root
set -u
NET=${NET:-../shared/fixtures/torch7/enet-cityscapes.net}
CASES=("$NET 640x360" "$NET 1280x720" "specs/v7.json 224x224" "specs/resnet18.json 224x224")
for args in "${CASES[@]}"; do
  PYTHONPATH=. timeout 300 python scripts/bench_inference.py $args --batch 1 8 --device cuda --backends torch compile --repeats 20
done
for providers in CUDAExecutionProvider,CPUExecutionProvider TensorrtExecutionProvider,CUDAExecutionProvider,CPUExecutionProvider; do
  for args in "${CASES[@]}"; do
    PYTHONPATH=. timeout 300 python scripts/bench_inference.py $args --batch 1 8 --backends onnxruntime \
      --ort-providers $providers --repeats 20 || break
  done
done

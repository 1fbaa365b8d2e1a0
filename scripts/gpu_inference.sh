#!/usr/bin/env bash
# The GPU inference rows of BENCHMARKS.md (issue 20): eager vs torch.compile on the GPU for the
# Cityscapes ENet (640x360, 1280x720), V7 and ResNet-18 (224), batch 1 and 8; ONNX Runtime rows
# run on the CPU unless onnxruntime-gpu is installed (its CUDA / TensorRT execution providers
# are not wired into enet-port yet: OnnxRuntimeModel asks for CPUExecutionProvider).
#   bash scripts/gpu_inference.sh > gpu-inference.md      # from the repository root
set -u
NET=${NET:-../shared/fixtures/torch7/enet-cityscapes.net}
for args in "$NET 640x360" "$NET 1280x720" "specs/v7.json 224x224" "specs/resnet18.json 224x224"; do
  PYTHONPATH=. timeout 300 python scripts/bench_inference.py $args --batch 1 8 --device cuda --backends torch compile --repeats 20
done

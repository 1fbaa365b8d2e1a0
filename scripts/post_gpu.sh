#!/bin/sh
# The seed post's runs at full size: experiments/post.json (ENet V2, V3, V6, V7 x2 seeds,
# ResNet-18 x2 seeds) on a full ImageNet-layout folder, one GPU, with each run's own batch size,
# LR and epoch count (the post's: batch 128 for the ENets, fb.resnet.torch's 256 for ResNet-18;
# V2 55 epochs, V3 and V6 30, V7 20, ResNet-18 90), 224x224 crops of 256-pixel images (the Lua
# defaults), so no LR scaling and no fitted pooling. Not run here (no GPU, no ImageNet): about
# 300 GPU-epochs of ImageNet. Rerunning the same line continues where it stopped.
#
#   scripts/post_gpu.sh /data/ILSVRC2012 [OUT]     then see OUT/results.md and OUT/figures/
set -eu
DATA=${1:?usage: scripts/post_gpu.sh IMAGENET_DIR [OUT]}
OUT=${2:-runs/post-gpu}
exec python -m enet_port experiment experiments/post.json -data "$DATA" --out "$OUT" \
    -nDonkeys "${DONKEYS:-12}" -backend cudnn --device cuda

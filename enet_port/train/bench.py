"""``enet-port bench``: training and inference speed, peak memory, and donkey throughput.

No Lua counterpart (the Lua trainer printed per-batch times). Model figures use random inputs,
so they measure the network alone; ``data`` measures decoding and augmentation with the
donkeys. Figures go to BENCHMARKS.md with the device and versions this reports.
"""
import platform
import resource
import time

import torch
import torch.nn.functional as F

from . import dataset, donkey
from ..model.build import build
from ..model.spec import load_spec


def bench_model(spec_path, batch_size, steps, dev, warmup=2):
    """``dev``: a :class:`~enet_port.train.train.Device` (device, --amp, --channels-last)."""
    device, amp, channels_last = dev.device, dev.amp, dev.channels_last
    spec = load_spec(spec_path)
    torch.manual_seed(0)
    model = build(spec).to(device)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    x = torch.randn(batch_size, *spec.input, device=device).to(memory_format=fmt)
    y = torch.randint(0, spec.classes, (batch_size,), device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        with dev.autocast():
            loss = F.nll_loss(model(x).float(), y)
        loss.backward()
        optimizer.step()

    def infer_step():
        with torch.no_grad(), dev.autocast():
            model(x)

    model.train()
    train_ips = batch_size / _time(train_step, steps, warmup, device)
    model.eval()
    infer_ips = batch_size / _time(infer_step, steps, warmup, device)
    return {"spec": str(spec_path), "batch_size": batch_size, "device": describe(device), "amp": amp,
            "channels_last": channels_last, "train_images_per_s": train_ips,
            "inference_images_per_s": infer_ips, "peak_memory_mib": peak_memory_mib(device),
            **versions()}


def bench_data(root, cache, batch_size, batches, workers, image_size=256, crop_size=224):
    """Images per second the donkeys decode, scale, crop, flip and normalise."""
    index = dataset.load_index(root, cache)
    groups = dataset.by_class(index["train"], len(index["classes"]))
    train_set = donkey.TrainSet(index["train"], groups, donkey.Transform(image_size, crop_size, [0.5] * 3, [0.25] * 3))
    sampler = donkey.ClassBalancedSampler(groups, batch_size * batches, 0, 1)
    start, seen = time.perf_counter(), 0
    for x, _, _ in donkey.loader(train_set, batch_size, workers, sampler):
        seen += 0 if x is None else len(x)
    return {"data": str(root), "workers": workers, "batch_size": batch_size,
            "data_images_per_s": seen / (time.perf_counter() - start), **versions()}


def _time(step, steps, warmup, device):
    for _ in range(warmup):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return (time.perf_counter() - start) / steps


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_mib(device):
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak RSS, Linux KiB


def describe(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def versions():
    return {"torch": torch.__version__, "python": platform.python_version()}

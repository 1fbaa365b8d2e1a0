"""``enet-port bench``: training and inference speed, peak memory (and with -data, the data path:
:mod:`bench_data`).

No Lua counterpart (the Lua trainer printed per-batch times). Model figures use random inputs,
so they measure the network alone; with real JPEGs, the training speed the donkeys allow beside
it. Figures go to BENCHMARKS.md with the device and versions this reports.
"""
import platform
import resource
import time

import torch
import torch.nn.functional as F

from ..model.build import build
from ..model.spec import load_spec


def bench_model(spec_path, batch_size, steps, dev, warmup=2, compile=False, real=None):
    """``dev``: a :class:`~enet_port.train.train.Device` (device, --amp, --channels-last).
    ``real``: batches of real JPEGs (:func:`enet_port.train.bench_data.real_batches`), for the
    training speed they allow beside the synthetic one; ``compile``: the compiled figures too."""
    spec = load_spec(spec_path)
    torch.manual_seed(0)
    model = build(spec).to(dev.device)
    if dev.channels_last:
        model = model.to(memory_format=torch.channels_last)
    x = dev.put(torch.randn(batch_size, *spec.input))
    y = torch.randint(0, spec.classes, (batch_size,), device=dev.device)
    if dev.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev.device)
    result = {"spec": str(spec_path), "batch_size": batch_size, "device": describe(dev.device), "amp": dev.amp,
              "channels_last": dev.channels_last, **_speeds(model, x, y, dev, steps, warmup, real)}
    if compile:
        model.compile()
        # the first compiled steps compile: more warm-up, so that the timed steps run compiled code
        result.update({f"{k}_compiled": v for k, v in _speeds(model, x, y, dev, steps, warmup + 2, real).items()})
    return {**result, "peak_memory_mib": peak_memory_mib(dev.device), **versions()}


def _speeds(model, x, y, dev, steps, warmup, real):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def train_step(xb=x, yb=y):
        optimizer.zero_grad(set_to_none=True)
        with dev.autocast():
            loss = F.nll_loss(model(xb).float(), yb)
        loss.backward()
        optimizer.step()

    def infer_step():
        with torch.no_grad(), dev.autocast():
            model(x)

    model.train()
    out = {"train_images_per_s": len(x) / _time(train_step, steps, warmup, dev.device)}
    if real is not None:
        batches = iter(real(warmup + steps))
        seconds = _time(lambda: train_step(*next(batches)[:2]), steps, warmup, dev.device)
        out["real_jpeg_train_images_per_s"] = len(x) / seconds
        out["real_to_synthetic_ratio"] = out["real_jpeg_train_images_per_s"] / out["train_images_per_s"]
    model.eval()
    out["inference_images_per_s"] = len(x) / _time(infer_step, steps, warmup, dev.device)
    return out


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

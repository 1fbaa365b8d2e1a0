"""``enet-port bench``: training and inference speed, peak memory (and with -data, the data path:
:mod:`bench_data`).

No Lua counterpart (the Lua trainer printed per-batch times). Model figures use random inputs,
so they measure the network alone; with real JPEGs, the training speed the donkeys allow beside
it. Figures go to BENCHMARKS.md with the device and versions this reports.
"""
import itertools
import platform
import resource
import time

import torch
import torch.nn.functional as F

from ..model.build import build
from ..model.spec import load_spec


def bench_model(spec_path, batch_size, steps, dev, warmup=2, compile=False, real=None):
    """``dev``: a :class:`~enet_port.train.train.Device` (device, --amp, --channels-last).
    ``real``: batches of real JPEGs (:class:`enet_port.data.bench_data.RealJpegs`), for the
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
        out["real_jpeg_train_images_per_s"] = _real_speed(train_step, real, steps, dev.device)
        out["real_to_synthetic_ratio"] = out["real_jpeg_train_images_per_s"] / out["train_images_per_s"]
    model.eval()
    out["inference_images_per_s"] = len(x) / _time(infer_step, steps, warmup, dev.device)
    return out


def _real_speed(train_step, real, steps, device):
    """Steady-state training images/s on real JPEGs (the model is warm). The clock starts after
    the batches the donkeys could make ahead of the trainer (2 per worker) and runs over at
    least 4 per worker, so that a head start does not count as speed."""
    ahead = 2 * real.workers
    batches = iter(real(1 + ahead + max(steps, 4 * real.workers)))
    for x, y, _ in itertools.islice(batches, 1 + ahead):
        train_step(x, y)
    _sync(device)
    start, seen = time.perf_counter(), 0
    for x, y, _ in batches:
        if x is not None:
            train_step(x, y)
            seen += len(x)
    _sync(device)
    return seen / (time.perf_counter() - start)


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


def graph_breaks(model, input_shape):
    """``(mode, batch, explanation)`` of ``torch._dynamo.explain`` in training and evaluation
    mode, batches of 1 (Torch7 BatchNormalization's batch-of-one branch) and 2."""
    for mode in ("train", "eval"):
        getattr(model, mode)()
        for batch in (1, 2):
            torch._dynamo.reset()
            yield mode, batch, torch._dynamo.explain(model)(torch.randn(batch, *input_shape))

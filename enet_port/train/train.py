"""One training epoch: ``train.lua``'s ``train()`` and ``trainBatch()``.

Per batch: forward, ClassNLLCriterion on the LogSoftMax output, backward, one optim.sgd step
(``torch.optim.SGD`` with dampening 0: the same update as optim.sgd as train.lua configures it,
weight decay on every parameter, the first step's momentum buffer equal to the gradient).
``-batchChunks`` splits a batch and accumulates gradients (the e-lab fork): each chunk's mean
loss is weighted by its share of the batch, so the gradient is the whole batch's. The epoch's
top-1 is 100 * correct / (batchSize * epochSize) and its loss the mean of the batch losses, as in
Lua.
"""
import sys
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import logs
from .chunks import chunk_sizes
from ..errors import DataError


@dataclass(frozen=True)
class Device:
    """Where and how tensors run: the device, ``--amp`` and ``--channels-last``."""
    device: torch.device
    amp: str = "off"
    channels_last: bool = False

    def put(self, x):
        fmt = torch.channels_last if self.channels_last and x.dim() == 4 else torch.contiguous_format
        return x.to(self.device, non_blocking=True, memory_format=fmt)

    def autocast(self):
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.amp)
        return torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None)


def make_optimizer(model, lr, wd, momentum, nesterov=False):
    """A fresh optimState: what train.lua builds at a regime start (momentum buffers empty)."""
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, dampening=0.0,
                           weight_decay=wd, nesterov=nesterov and momentum > 0)


def set_lr_wd(optimizer, lr, wd):
    for group in optimizer.param_groups:
        group["lr"], group["weight_decay"] = lr, wd


def train_batch(model, x, y, optimizer, scaler, dev, chunks):
    """trainBatch: one SGD step on (x, y); returns (summed loss, correct)."""
    optimizer.zero_grad(set_to_none=True)
    batch_loss, batch_correct = 0.0, 0
    sizes = chunk_sizes(len(x), chunks)
    for xc, yc in zip(x.split(sizes), y.split(sizes)):
        with dev.autocast():
            out = model(xc)
        loss = F.nll_loss(out.float(), yc) * (len(xc) / len(x))
        scaler.scale(loss).backward()
        batch_loss += loss.item()
        batch_correct += (out.argmax(1) == yc).sum().item()
    scaler.step(optimizer)
    scaler.update()
    return batch_loss, batch_correct


def train_epoch(model, batches, optimizer, scaler, epoch, dev, chunks, planned, epoch_size, run_dir,
                quiet=False):
    """Train over ``batches`` (``epoch_size`` batches, ``planned`` images in all: top-1's
    denominator); returns the epoch's loss, top-1, skipped files and speed."""
    model.train()
    lr = optimizer.param_groups[0]["lr"]
    loss_sum = correct = seen = n_batches = skipped = 0
    start = tick = time.time()
    data_time = 0.0
    # a progress bar on a terminal; train.lua's per-batch lines in a log file or pipe
    lua_lines = not quiet and not sys.stderr.isatty()
    bar = tqdm(batches, desc=f"epoch {epoch}", unit="batch", leave=False, disable=quiet or lua_lines)
    for x, y, bad in bar:
        compute_start = time.time()
        batch_data_time = compute_start - tick
        data_time += batch_data_time
        logs.log_bad_images(run_dir, bad)
        skipped += len(bad)
        if x is None:
            tick = time.time()
            continue
        batch_loss, batch_correct = train_batch(model, dev.put(x), y.to(dev.device, non_blocking=True),
                                                optimizer, scaler, dev, chunks)
        loss_sum, correct, seen, n_batches = loss_sum + batch_loss, correct + batch_correct, seen + len(x), n_batches + 1
        bar.set_postfix(loss=f"{batch_loss:.3f}", top1=f"{100 * batch_correct / len(x):.1f}", LR=f"{lr:.0e}",
                        ips=f"{seen / (time.time() - start):.0f}", data=f"{data_time / n_batches:.3f}")
        if lua_lines:
            print(f"Epoch: [{epoch}][{n_batches}/{epoch_size}]\tTime {time.time() - compute_start:.3f} "
                  f"Err {batch_loss:.4f} Top1-%: {100 * batch_correct / len(x):.2f} LR {lr:.0e} "
                  f"DataLoadingTime {batch_data_time:.3f}", flush=True)
        tick = time.time()
    seconds = time.time() - start
    if n_batches == 0:
        raise DataError(str(run_dir / "bad_images.log"), f"epoch {epoch}: no training image could be read")
    return {"train_loss": loss_sum / n_batches, "train_top1": 100.0 * correct / planned,
            "skipped": skipped, "train_seconds": seconds, "images_per_s": seen / max(seconds, 1e-9)}

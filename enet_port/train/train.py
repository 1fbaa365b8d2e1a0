"""One training epoch: ``train.lua``'s ``train()`` and ``trainBatch()``.

Per batch: forward, ClassNLLCriterion on the LogSoftMax output, backward, one optim.sgd step
(``torch.optim.SGD`` with dampening 0: the same update as optim.sgd as train.lua configures it,
weight decay on every parameter, the first step's momentum buffer equal to the gradient).
``-batchChunks`` splits a batch and accumulates gradients (the e-lab fork): each chunk's mean
loss is weighted by its share of the batch, so the gradient is the whole batch's. The epoch's
top-1 is 100 * correct / (batchSize * epochSize) and its loss the mean of the batch losses, as in
Lua.
"""
import contextlib
import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from . import logs
from .chunks import chunk_sizes
from .distributed import World
from .progress import Progress
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


def warmup_lr(lr, epoch, batch, warmup):
    """``--warmup N``: batch k (1-based) of epoch 1 trains at lr * k / N while k < N. No Lua
    trainer warmed up; the sample run does, so that its first steps at full LR from Torch7's
    initialisation do not leave BN's running statistics behind the weights (NOTES.md)."""
    return lr * batch / warmup if epoch == 1 and batch < warmup else lr


def set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


def train_batch(model, x, y, optimizer, scaler, dev, chunks, total=None, world_size=1):
    """trainBatch: one SGD step on (x, y); returns (the batch's mean loss, as the sum of the
    share-weighted chunk losses, the number correct, the number with the label in the top 5).

    Under DistributedDataParallel ``x`` is this process's slice of a global batch of ``total``
    images: each chunk's loss is weighted by its share of the global batch, times the process
    count because DDP averages the gradients; only the last chunk's backward synchronises."""
    optimizer.zero_grad(set_to_none=True)
    total = total or len(x)
    batch_loss, batch_correct, batch_top5 = 0.0, 0, 0
    sizes = chunk_sizes(len(x), chunks)
    for i, (xc, yc) in enumerate(zip(x.split(sizes), y.split(sizes))):
        sync = i == len(sizes) - 1 or not hasattr(model, "no_sync")
        with contextlib.nullcontext() if sync else model.no_sync():
            with dev.autocast():
                out = model(xc)
            loss = F.nll_loss(out.float(), yc) * (len(xc) / total)
            scaler.scale(loss * world_size).backward()
        batch_loss += loss.item()
        batch_correct += (out.argmax(1) == yc).sum().item()
        top = out.detach().topk(min(5, out.shape[1]), dim=1).indices
        batch_top5 += (top == yc[:, None]).any(1).sum().item()
    scaler.step(optimizer)
    scaler.update()
    return batch_loss, batch_correct, batch_top5


def stand_in_step(model, optimizer, scaler, dev, stand_in, world_size):
    """A zero-weight step for a process whose slice of the batch is empty (its images were
    all unreadable, or a last partial batch smaller than the process count): DDP needs every
    process in every gradient exchange. A batch of one leaves Torch7 BN statistics alone."""
    y = torch.zeros(1, dtype=torch.long, device=dev.device)
    train_batch(model, dev.put(stand_in), y, optimizer, scaler, dev, 1, math.inf, world_size)


def train_epoch(model, batches, optimizer, scaler, epoch, dev, chunks, planned, epoch_size, run_dir,
                quiet=False, world=World(), stand_in=None, print_freq=1, warmup=0):
    """Train over ``batches`` (``epoch_size`` batches, ``planned`` images in all: top-1's and
    top-5's denominator); returns the epoch's loss, top-1, top-5, skipped files and speed. Under
    DDP (``world``) the figures are summed over the processes. ``warmup``: :func:`warmup_lr`."""
    model.train()
    lr = optimizer.param_groups[0]["lr"]
    loss_sum = correct = top5 = seen = n_batches = skipped = 0
    bad_lines = []
    start = tick = time.time()
    data_time = 0.0
    progress = Progress(batches, epoch, epoch_size, quiet, print_freq, world)
    for x, y, bad in progress:
        compute_start = time.time()
        batch_data_time = compute_start - tick
        data_time += batch_data_time
        if world.size == 1:
            logs.log_bad_images(run_dir, bad)
        bad_lines += bad
        skipped += len(bad)
        total = int(world.sum(0 if x is None else len(x))[0])
        if total and x is None:
            stand_in_step(model, optimizer, scaler, dev, stand_in, world.size)
            n_batches += 1
        if x is None:
            tick = time.time()
            continue
        set_lr(optimizer, warmup_lr(lr, epoch, n_batches + 1, warmup))
        batch_loss, batch_correct, batch_top5 = train_batch(model, dev.put(x), y.to(dev.device, non_blocking=True),
                                                            optimizer, scaler, dev, chunks, total, world.size)
        loss_sum, seen, n_batches = loss_sum + batch_loss, seen + len(x), n_batches + 1
        correct, top5 = correct + batch_correct, top5 + batch_top5
        shown = (batch_loss * total / len(x), 100 * batch_correct / len(x), 100 * batch_top5 / len(x))  # this process's
        progress.batch(n_batches, shown, optimizer.param_groups[0]["lr"],
                       (time.time() - compute_start, batch_data_time, data_time / n_batches, seen / (time.time() - start)))
        tick = time.time()
    progress.close()
    seconds = time.time() - start
    set_lr(optimizer, lr)
    if world.size > 1:
        bad_lines = world.gather_lines(bad_lines)
        if world.is_main:
            logs.log_bad_images(run_dir, bad_lines)
        loss_sum, correct, top5, seen, skipped = world.sum(loss_sum, correct, top5, seen, skipped)
    if n_batches == 0:
        raise DataError(str(run_dir / "bad_images.log"), f"epoch {epoch}: no training image could be read")
    return {"train_loss": loss_sum / n_batches, "train_top1": 100.0 * correct / planned,
            "train_top5": 100.0 * top5 / planned,
            "skipped": int(skipped), "train_seconds": seconds, "images_per_s": seen / max(seconds, 1e-9)}

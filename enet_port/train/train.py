"""One training epoch: ``train.lua``'s ``train()`` and ``trainBatch()``.

Per batch: forward, ClassNLLCriterion on the LogSoftMax output, backward, one optim.sgd step
(``torch.optim.SGD`` with dampening 0: the same update as optim.sgd as train.lua configures it,
weight decay on every parameter, the first step's momentum buffer equal to the gradient).
``-batchChunks`` splits a batch and accumulates gradients (the e-lab fork). The epoch's top-1 is
100 * correct / (batchSize * epochSize) and its loss the mean of the batch losses, as in Lua.
"""
import sys
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import logs
from ..errors import DataError


def make_optimizer(model, lr, wd, opt, nesterov=False):
    """A fresh optimState: what train.lua builds at a regime start (momentum buffers empty)."""
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=opt["momentum"], dampening=0.0,
                           weight_decay=wd, nesterov=nesterov and opt["momentum"] > 0)


def set_lr_wd(optimizer, lr, wd):
    for group in optimizer.param_groups:
        group["lr"], group["weight_decay"] = lr, wd


def autocast(device, amp):
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp)
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)


def train_epoch(model, batches, optimizer, scaler, epoch, ctx):
    """Train over ``batches``; returns the epoch's loss, top-1, skipped files and speed."""
    model.train()
    opt, device, run_dir = ctx.opt, ctx.device, ctx.run_dir
    lr = optimizer.param_groups[0]["lr"]
    loss_sum = correct = seen = n_batches = skipped = 0
    start = tick = time.time()
    data_time = 0.0
    # a progress bar on a terminal; train.lua's per-batch lines in a log file or pipe
    lua_lines = not ctx.quiet and not sys.stderr.isatty()
    bar = tqdm(batches, desc=f"epoch {epoch}", unit="batch", leave=False, disable=ctx.quiet or lua_lines)
    for x, y, bad in bar:
        compute_start = time.time()
        batch_data_time = compute_start - tick
        data_time += batch_data_time
        logs.log_bad_images(run_dir, bad)
        skipped += len(bad)
        if x is None:
            tick = time.time()
            continue
        x, y = ctx.to_device(x), y.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        batch_loss, batch_correct = 0.0, 0
        for xc, yc in zip(x.chunk(opt["batchChunks"]), y.chunk(opt["batchChunks"])):
            with autocast(device, opt["amp"]):
                out = model(xc)
            loss = F.nll_loss(out.float(), yc) * (len(xc) / len(x))
            scaler.scale(loss).backward()
            batch_loss += loss.item()
            batch_correct += (out.argmax(1) == yc).sum().item()
        scaler.step(optimizer)
        scaler.update()
        loss_sum, correct, seen, n_batches = loss_sum + batch_loss, correct + batch_correct, seen + len(x), n_batches + 1
        bar.set_postfix(loss=f"{batch_loss:.3f}", top1=f"{100 * batch_correct / len(x):.1f}", LR=f"{lr:.0e}",
                        ips=f"{seen / (time.time() - start):.0f}", data=f"{data_time / n_batches:.3f}")
        if lua_lines:
            print(f"Epoch: [{epoch}][{n_batches}/{opt['epochSize']}]\tTime {time.time() - compute_start:.3f} "
                  f"Err {batch_loss:.4f} Top1-%: {100 * batch_correct / len(x):.2f} LR {lr:.0e} "
                  f"DataLoadingTime {batch_data_time:.3f}", flush=True)
        tick = time.time()
    seconds = time.time() - start
    if n_batches == 0:
        raise DataError(str(run_dir / "bad_images.log"), f"epoch {epoch}: no training image could be read")
    planned = opt["batchSize"] * opt["epochSize"]
    return {"train_loss": loss_sum / max(n_batches, 1), "train_top1": 100.0 * correct / planned,
            "skipped": skipped, "train_seconds": seconds, "images_per_s": seen / max(seconds, 1e-9)}

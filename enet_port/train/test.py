"""Evaluation on the whole validation set: ``test.lua``'s ``test()`` and ``testBatch()``.

Every validation image once, in order (the last batch may be partial), in ``evaluate()`` mode.
top-1 counts the highest output equal to the label, over nTest; the loss is
sum(batch loss * batch size) / nTest. Also top-5, and with ``-conf`` the confusion matrix
(rows: true class, columns: predicted), which the e-lab fork saved as ``confusion.t7``.
"""
import sys
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import logs
from .train import autocast


@torch.no_grad()
def evaluate(model, batches, n_classes, ctx):
    model.eval()
    loss_sum = top1 = top5 = n = skipped = 0
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.long)
    start = time.time()
    quiet = ctx.quiet or not sys.stderr.isatty()
    for x, y, bad in tqdm(batches, desc="test", unit="batch", leave=False, disable=quiet):
        logs.log_bad_images(ctx.run_dir, bad)
        skipped += len(bad)
        if x is None:
            continue
        x, y = ctx.to_device(x), y.to(ctx.device)
        with autocast(ctx.device, ctx.opt["amp"]):
            out = model(x).float()
        loss_sum += F.nll_loss(out, y, reduction="sum").item()
        best = out.topk(min(5, out.shape[1]), dim=1).indices
        top1 += (best[:, 0] == y).sum().item()
        top5 += (best == y[:, None]).any(1).sum().item()
        n += len(y)
        confusion += torch.bincount(y.cpu() * n_classes + best[:, 0].cpu(),
                                    minlength=n_classes * n_classes).view(n_classes, n_classes)
    n = max(n, 1)
    return {"test_loss": loss_sum / n, "test_top1": 100.0 * top1 / n, "test_top5": 100.0 * top5 / n,
            "test_images": n, "test_skipped": skipped, "test_seconds": time.time() - start,
            "confusion": confusion}

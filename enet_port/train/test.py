"""Evaluation on the whole validation set: ``test.lua``'s ``test()`` and ``testBatch()``, and the
``enet-port test`` command.

Every validation image once, in order (the last batch may be partial), in ``evaluate()`` mode.
top-1 counts the highest output equal to the label, over nTest; the loss is
sum(batch loss * batch size) / nTest. Also top-5, and with ``-conf`` the confusion matrix
(rows: true class, columns: predicted), which the e-lab fork saved as ``confusion.t7``.
"""
import dataclasses
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import checkpoints, logs
from ..data import dataset, donkey, feed, pipeline
from .distributed import World
from .session import fitted_pools, model_image_size, pick_device, prepare_model, sample_root, spec_input_size
from ..model.spec import load_spec


@torch.no_grad()
def evaluate(model, batches, n_classes, dev, run_dir, quiet=False, world=World()):
    """Under DDP each process evaluates its part of the set (``model``: the plain module) and
    the sums are added up over the processes."""
    model.eval()
    bad_lines = []
    loss_sum = top1 = top5 = n = skipped = 0
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.long)
    start = time.time()
    for x, y, bad in tqdm(batches, desc="test", unit="batch", leave=False, disable=quiet or not sys.stderr.isatty()):
        if world.size == 1:
            logs.log_bad_images(run_dir, bad)
        bad_lines += bad
        skipped += len(bad)
        if x is None:
            continue
        x, y = dev.put(x), y.to(dev.device)
        with dev.autocast():
            out = model(x).float()
        loss_sum += F.nll_loss(out, y, reduction="sum").item()
        best = out.topk(min(5, out.shape[1]), dim=1).indices
        top1 += (best[:, 0] == y).sum().item()
        top5 += (best == y[:, None]).any(1).sum().item()
        n += len(y)
        confusion += torch.bincount(y.cpu() * n_classes + best[:, 0].cpu(),
                                    minlength=n_classes * n_classes).view(n_classes, n_classes)
    if world.size > 1:
        bad_lines = world.gather_lines(bad_lines)
        if world.is_main:
            logs.log_bad_images(run_dir, bad_lines)
        loss_sum, top1, top5, n, skipped = world.sum(loss_sum, top1, top5, n, skipped)
        confusion = world.sum_tensor(confusion)
    n = max(int(n), 1)
    return {"test_loss": loss_sum / n, "test_top1": 100.0 * top1 / n, "test_top5": 100.0 * top5 / n,
            "test_images": n, "test_skipped": int(skipped), "test_seconds": time.time() - start,
            "confusion": confusion}


def run_test(spec_path, opt, echo=print, explicit=frozenset()):
    """``enet-port test``: evaluate ``-retrain model_N.pt`` on DATA/val alone, with the mean/std
    and classes it was trained with, the checkpoint read once."""
    if Path(opt.retrain).suffix.lower() in (".t7", ".net"):  # Lua's meanstdCache is not in the model file
        raise checkpoints.CheckpointError(opt.retrain, "a Torch7 file holds no training mean/std: import it and "
                                                       "fine-tune with `train -retrain`, whose checkpoints have them")
    saved = checkpoints.load_model_checkpoint(opt.retrain)
    trained = saved.get("options") or {}
    if not (trained.get("mean") and trained.get("std")):
        raise checkpoints.CheckpointError(opt.retrain, "holds no training mean/std (a model_N.pt of enet-port train "
                                                       "has them)")
    classes = saved.get("classes") or checkpoints.classes_beside(opt.retrain)
    items, classes = dataset.scan_val(opt.data or sample_root(opt), classes)
    dev = pick_device(opt)
    opt = spec_input_size(load_spec(spec_path), opt, explicit)
    fitted_pools(load_spec(spec_path), opt, echo)
    model = prepare_model(spec_path, opt, dev, state=saved, can_reset=False)
    opt = dataclasses.replace(opt, pipeline=opt.pipeline or trained.get("pipeline") or "lua")
    opt = model_image_size(load_spec(spec_path), opt, (), echo)
    transform = pipeline.transform(opt, (trained["mean"], trained["std"]))
    batches = feed.DeviceFeed(donkey.loader(donkey.TestSet(items, transform, opt.exif_rotate, opt.gpu_decode), opt.batchSize,
                                            opt.nDonkeys), dev, feed.normaliser(transform, dev.device))
    result = evaluate(model, batches, len(classes), dev, Path(opt.retrain).parent)
    echo(logs.test_summary(saved.get("epoch", 0), result["test_seconds"], result["test_loss"], result["test_top1"],
                            result["test_top5"]))
    return result

"""A plain PyTorch trainer beside the port (issue 17 item 4): the trainer a PyTorch user would pick.

Not a port of a Lua file: ``datasets.ImageFolder``, the standard torchvision transforms
(RandomResizedCrop + RandomHorizontalFlip for training, Resize + CenterCrop for testing, ImageNet
mean/std), a ``DataLoader`` and ``torch.optim.SGD``, with the LR rules of the recipes the port
runs, written out here by hand:

- ``v7`` (the exp-v7 rule of the post, as ``enet-port schedule specs/v7.json -LR X`` prints it):
  epoch 1 at ``--lr`` with WD 5e-4 (imagenet-multiGPU's default, since a given -LR makes epoch 1
  start no regime), then lr_e = lr_{e-1} * 0.9^(e-1) with WD 1e-4, and each epoch a fresh
  optimizer (a new regime resets the momentum in train.lua). Momentum 0.9, no Nesterov.
- ``resnet18`` (fb.resnet.torch): Nesterov, momentum 0.9, WD 1e-4, LR / 10 at epochs 31 and 61,
  one optimizer for the whole run.

The default LRs are the recipes' scaled linearly to ``--batch-size`` (V7: 0.1 at 128; ResNet-18:
0.1 at 256). V7 is built from our spec (``enet_port.model.build``): torchvision has no ENet. Its
final 7x7 average pooling assumes 224 crops (7x7 maps); here it becomes a global average pooling
(``nn.AdaptiveAvgPool2d(1)``), the same replacement the experiment makes when -cropSize differs.

Writes ``--out/results.json`` (the keys of ``enet-port experiment``'s results.json where they
apply) after every run; runs already in it are not run again.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, RandomSampler
from torchvision import datasets, models, transforms

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a file from anywhere: use this checkout's enet_port

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
# the recipes' LR at their own batch size
RECIPE_LR = {"v7": (0.1, 128), "resnet18": (0.1, 256)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="ImageNet layout: train/<class>/*, val/<class>/*")
    p.add_argument("--out", required=True, help="folder for results.json")
    p.add_argument("--models", default="resnet18,v7", help="comma-separated: resnet18, v7")
    p.add_argument("--seeds", default="1,2", help="comma-separated seeds; one run per model and seed")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--epoch-size", type=int, default=80, help="batches per epoch")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--image-size", type=int, default=146, help="test: resize the shorter side to this")
    p.add_argument("--crop-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=None, help="default: the recipe's LR scaled to the batch")
    p.add_argument("-j", "--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    return p.parse_args(argv)


def build_model(name, classes):
    if name == "resnet18":
        return models.resnet18(num_classes=classes)
    from enet_port.model.build import build
    model = build(REPO / "specs" / f"{name}.json", classes=classes)
    model[0][-1] = nn.AdaptiveAvgPool2d(1)  # the spec's 7x7 pooling: global at any crop size
    return model


def loaders(args, seed):
    normalize = transforms.Normalize(MEAN, STD)
    train_tf = transforms.Compose([transforms.RandomResizedCrop(args.crop_size),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize])
    test_tf = transforms.Compose([transforms.Resize(args.image_size), transforms.CenterCrop(args.crop_size),
                                  transforms.ToTensor(), normalize])
    train_set = datasets.ImageFolder(os.path.join(args.data, "train"), train_tf)
    val_set = datasets.ImageFolder(os.path.join(args.data, "val"), test_tf)
    # -epochSize batches drawn afresh each epoch, as the Lua trainers' epochs are
    sampler = RandomSampler(train_set, num_samples=args.epoch_size * args.batch_size,
                            generator=torch.Generator().manual_seed(seed))
    train = DataLoader(train_set, args.batch_size, sampler=sampler, num_workers=args.workers,
                       drop_last=True, persistent_workers=args.workers > 0)
    val = DataLoader(val_set, args.batch_size, num_workers=args.workers)
    return train, val, len(train_set.classes)


def schedule(name, epoch, base_lr, prev_lr):
    """(lr, weight decay, fresh optimizer) of an epoch under the model's recipe."""
    if name == "resnet18":
        return base_lr * 0.1 ** ((epoch - 1) // 30), 1e-4, epoch == 1
    if epoch == 1:
        return base_lr, 5e-4, True
    return prev_lr * 0.9 ** (epoch - 1), 1e-4, True


def make_optimizer(name, model, lr, wd):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=wd,
                           nesterov=name == "resnet18")


def nll(output, target):
    # V7 ends with LogSoftMax, ResNet-18 with raw scores; log_softmax is idempotent on log-probs
    return F.nll_loss(F.log_softmax(output, dim=1), target, reduction="sum")


def train_epoch(model, loader, optimizer):
    model.train()
    loss_sum = correct = seen = 0
    start = time.perf_counter()
    for images, target in loader:
        output = model(images)
        loss = nll(output, target)
        optimizer.zero_grad()
        (loss / len(target)).backward()
        optimizer.step()
        loss_sum += loss.item()
        correct += (output.argmax(1) == target).sum().item()
        seen += len(target)
    return loss_sum / seen, 100.0 * correct / seen, seen / (time.perf_counter() - start)


@torch.no_grad()
def test_epoch(model, loader):
    model.eval()
    loss_sum = correct = seen = 0
    for images, target in loader:
        output = model(images)
        loss_sum += nll(output, target).item()
        correct += (output.argmax(1) == target).sum().item()
        seen += len(target)
    return loss_sum / seen, 100.0 * correct / seen


def run_one(args, name, seed):
    torch.manual_seed(seed)
    train, val, classes = loaders(args, seed)
    model = build_model(name, classes)
    lr0, batch0 = RECIPE_LR[name]
    base_lr = args.lr if args.lr is not None else lr0 * args.batch_size / batch0
    curves = {k: [] for k in ("lr", "train_top1", "train_loss", "test_top1", "test_loss", "images_per_s")}
    start, lr, optimizer = time.perf_counter(), None, None
    for epoch in range(1, args.epochs + 1):
        lr, wd, fresh = schedule(name, epoch, base_lr, lr)
        if fresh:
            optimizer = make_optimizer(name, model, lr, wd)
        for group in optimizer.param_groups:
            group["lr"], group["weight_decay"] = lr, wd
        train_loss, train_top1, speed = train_epoch(model, train, optimizer)
        test_loss, test_top1 = test_epoch(model, val)
        for key, value in zip(curves, (lr, train_top1, train_loss, test_top1, test_loss, speed)):
            curves[key].append(value)
        print(f"{name} seed {seed} epoch {epoch}: lr {lr:.6g} train loss {train_loss:.3f} top-1 "
              f"{train_top1:.1f}% | test loss {test_loss:.3f} top-1 {test_top1:.1f}% | "
              f"{speed:.1f} img/s | {time.perf_counter() - start:.0f} s", flush=True)
    return summarise(args, name, seed, base_lr, curves, time.perf_counter() - start)


def summarise(args, name, seed, base_lr, curves, wall):
    """One entry of results.json; images_per_s is training images over training time only."""
    train_s = sum(args.epoch_size * args.batch_size / speed for speed in curves["images_per_s"])
    best = max(range(len(curves["test_top1"])), key=curves["test_top1"].__getitem__)
    seen = args.epochs * args.epoch_size * args.batch_size
    return {"name": f"{name}-seed{seed}", "spec": "torchvision.models.resnet18" if name == "resnet18"
            else f"specs/{name}.json", "recipe": "fb.resnet.torch" if name == "resnet18" else "exp-v7",
            "trainer": "torchvision_baseline", "seed": seed, "LR": base_lr, "epochs": args.epochs,
            "best_top1": curves["test_top1"][best], "final_top1": curves["test_top1"][-1],
            "best_epoch": best + 1, "images_per_s": seen / train_s, "wall_s": wall,
            "epoch_images_per_s": curves.pop("images_per_s"), **curves}


def write_results(path, runs):
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"runs": runs}, indent=1))
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    runs = json.loads(path.read_text())["runs"] if path.exists() else []
    for seed in (int(s) for s in args.seeds.split(",")):
        for name in args.models.split(","):
            if name not in RECIPE_LR:
                sys.exit(f"--models: unknown model {name!r} (resnet18, v7)")
            if any(r["name"] == f"{name}-seed{seed}" for r in runs):
                continue
            runs.append(run_one(args, name, seed))
            write_results(path, runs)


if __name__ == "__main__":
    main()

"""A training run from start to end: imagenet-multiGPU.torch ``main.lua``, plus fb.resnet.torch's
``-resume``.

Reads like main.lua: options, data, model, optimState, then for each epoch ``train()``,
``test()`` and the checkpoint. Differences from Lua (NOTES.md): the checkpoint is written after
the test so that it always has its epoch's logs; ``--resume`` continues a run folder exactly.
"""
import datetime
import json
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

from . import checkpoints, dataset, donkey, logs, schedules
from ..model.build import build
from ..errors import DataError
from .test import evaluate
from .opts import OPTIONS
from .sample_data import make_sample_dataset
from ..model.spec import load_spec
from .train import make_optimizer, set_lr_wd, train_epoch

RUN_NAME_SKIP = {"data", "cache", "retrain", "optimState", "rngState", "resume", "run_dir", "seed"}


@dataclass
class Context:
    opt: dict
    device: torch.device
    run_dir: Path
    quiet: bool = False

    def to_device(self, x):
        fmt = torch.channels_last if self.opt["channels_last"] else torch.contiguous_format
        return x.to(self.device, non_blocking=True, memory_format=fmt)


def pick_device(opt):
    if opt["device"] == "cpu" or (opt["device"] == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise DataError("--device", "cuda asked for, but no CUDA device is available")
    return torch.device(f"cuda:{opt['GPU'] - 1}")


def prepare_data(opt):
    if opt["imageSize"] < opt["cropSize"]:
        raise DataError("-imageSize", f"{opt['imageSize']} is smaller than -cropSize {opt['cropSize']}")
    root = opt["data"] or make_sample_dataset(Path(opt["cache"]) / "sample-data")
    index = dataset.load_index(root, opt["cache"])
    if len(index["classes"]) != opt["nClasses"]:
        raise DataError(f"{index['data']}/train", f"{len(index['classes'])} class folders, but -nClasses is "
                                                  f"{opt['nClasses']}")
    mean, std = dataset.load_meanstd(index, opt["cache"], opt)
    return index, (mean, std)


def prepare_model(spec, opt, device):
    torch.manual_seed(opt["manualSeed"])
    model = build(spec, classes=opt["nClasses"], input_shape=(3, opt["cropSize"], opt["cropSize"]))
    if opt["retrain"]:
        checkpoints.load_model_into(model, opt["retrain"])
    model.to(device)
    if opt["channels_last"]:
        model.to(memory_format=torch.channels_last)
    if opt["nGPU"] > 1:
        first = opt["GPU"] - 1
        model = torch.nn.DataParallel(model, device_ids=list(range(first, first + opt["nGPU"])))
    if device.type == "cuda" and opt["backend"] == "cudnn":
        torch.backends.cudnn.benchmark = True
    return model


def new_run_dir(spec, opt, explicit):
    if opt["run_dir"]:
        return Path(opt["run_dir"])
    defaults = {o.key: o.default for o in OPTIONS}
    tags = [f"{k}={opt[k]}" for k in sorted(explicit) if k not in RUN_NAME_SKIP and opt[k] != defaults[k]]
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = Path(opt["cache"]) / ",".join([Path(spec.path).stem] + tags) / stamp
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = run_dir.with_name(f"{stamp}-{suffix}")
    return run_dir


def write_run_files(run_dir, opt, spec, recipe, index, meanstd):
    run_dir.mkdir(parents=True, exist_ok=True)
    resolved = {**opt, "spec": spec.path, "recipe": recipe, "data_root": index["data"],
                "mean": meanstd[0], "std": meanstd[1],
                "versions": {"python": platform.python_version(), "torch": torch.__version__}}
    (run_dir / "options.json").write_text(json.dumps(resolved, indent=1, default=str) + "\n")
    (run_dir / "classes.txt").write_text("".join(f"{c}\n" for c in index["classes"]))


def resume_options(opt, explicit):
    """The resumed run's saved options, overridden by what this command line gives."""
    run_dir = Path(opt["resume"])
    saved_path = run_dir / "options.json"
    if not saved_path.is_file():
        raise DataError(str(run_dir), "not a run folder (no options.json)")
    try:
        saved = json.loads(saved_path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(str(saved_path), f"damaged: {exc.msg}") from None
    merged = {o.key: saved.get(o.key, o.default) for o in OPTIONS}
    merged.update({k: opt[k] for k in explicit})
    merged["resume"], merged["run_dir"] = str(run_dir), str(run_dir)
    return merged


def starting_state(opt, model, run_dir):
    """(first epoch, last epoch, optimizer state or None, (lr, wd) or None) for this launch."""
    if opt["resume"]:
        epoch, model_path, optim_path = checkpoints.latest(run_dir)
        checkpoints.remove_partial_files(run_dir)
        checkpoints.load_model_into(model, model_path)
        state = checkpoints.load_optim_state(optim_path)
        checkpoints.restore_rng(state["rng"])
        logs.truncate(run_dir, epoch)
        return epoch + 1, opt["nEpochs"], state["optimizer"], (state["lr"], state["wd"])
    first, last = opt["epochNumber"], opt["epochNumber"] + opt["nEpochs"] - 1
    if opt["rngState"]:
        checkpoints.restore_rng(checkpoints.load_optim_state(opt["rngState"])["rng"])
    if opt["optimState"]:
        state = checkpoints.load_optim_state(opt["optimState"])
        return first, last, state["optimizer"], (state["lr"], state["wd"])
    return first, last, None, None


def warn_about_schedule(rows, recipe, echo):
    if rows and rows[0].lr == 0.0:
        echo(f"warning: epoch {rows[0].epoch} trains with LR 0: recipe '{recipe}' starts no regime there "
             "and -LR is 0, which is what train.lua does too; give -LR to train that epoch")


def run_training(spec_path, opt, explicit, echo=print, quiet=False):
    """Train ``spec_path`` with resolved options ``opt``; returns the run folder."""
    if opt["resume"]:
        opt = resume_options(opt, explicit)
    spec = schedules.check_spec_recipe(load_spec(spec_path))
    recipe = opt["recipe"] or spec.recipe
    index, meanstd = prepare_data(opt)
    device = pick_device(opt)
    model = prepare_model(spec, opt, device)
    run_dir = Path(opt["run_dir"]) if opt["resume"] else new_run_dir(spec, opt, explicit)
    first, last, optim_state, start = starting_state(opt, model, run_dir)
    if first > last:
        echo(f"{run_dir}: already trained to epoch {first - 1} (-nEpochs {last})")
        return run_dir
    write_run_files(run_dir, {**opt, "run_dir": str(run_dir)}, spec, recipe, index, meanstd)
    rows = schedules.plan(recipe, opt["nEpochs"], opt["LR"], opt["weightDecay"], first, last, start,
                          keep_momentum=opt["keep_momentum"])
    warn_about_schedule(rows, recipe, echo)
    ctx = Context(opt, device, run_dir, quiet)
    optimizer = make_optimizer(model, *(start or (opt["LR"], opt["weightDecay"])), opt,
                               schedules.uses_nesterov(recipe))
    if optim_state is not None:
        optimizer.load_state_dict(optim_state)
    echo(f"training {spec.path} ({recipe}) on {device}, epochs {first}..{last}, run folder {run_dir}")
    loops = EpochLoop(spec, model, optimizer, index, meanstd, ctx, recipe, echo)
    for row in rows:
        loops.run_epoch(row)
    return run_dir


class EpochLoop:
    """train.lua's ``train()`` then test.lua's ``test()``, logs and checkpoint, each epoch."""

    def __init__(self, spec, model, optimizer, index, meanstd, ctx, recipe, echo):
        self.spec, self.model, self.optimizer, self.index, self.ctx = spec, model, optimizer, index, ctx
        self.recipe, self.echo = recipe, echo
        opt = ctx.opt
        self.groups = dataset.by_class(index["train"], len(index["classes"]))
        transform = donkey.Transform(opt["imageSize"], opt["cropSize"], *meanstd)
        self.train_set = donkey.TrainSet(index["train"], self.groups, transform)
        self.test_batches = donkey.loader(donkey.TestSet(index["val"], transform), opt["batchSize"],
                                          opt["nDonkeys"])
        self.epoch_size = opt["epochSize"] or -(-len(index["train"]) // opt["batchSize"])
        self.scaler = torch.amp.GradScaler("cuda", enabled=opt["amp"] == "fp16" and ctx.device.type == "cuda")

    def run_epoch(self, row):
        opt, ctx = self.ctx.opt, self.ctx
        if row.momentum_reset and not opt["keep_momentum"]:
            self.optimizer = make_optimizer(self.model, row.lr, row.wd, opt, schedules.uses_nesterov(self.recipe))
        elif row.new_regime:
            set_lr_wd(self.optimizer, row.lr, row.wd)
        sampler = donkey.ClassBalancedSampler(self.groups, opt["batchSize"] * self.epoch_size,
                                              opt["manualSeed"], row.epoch)
        batches = donkey.loader(self.train_set, opt["batchSize"], opt["nDonkeys"], sampler,
                                opt["manualSeed"] + row.epoch)
        train = train_epoch(self.model, batches, self.optimizer, self.scaler, row.epoch,
                            Context({**opt, "epochSize": self.epoch_size}, ctx.device, ctx.run_dir, ctx.quiet))
        self.echo(logs.train_summary(row.epoch, train["train_seconds"], train["train_loss"], train["train_top1"]))
        test = evaluate(self.model, self.test_batches, len(self.index["classes"]), ctx)
        self.echo(logs.test_summary(row.epoch, test["test_seconds"], test["test_loss"], test["test_top1"]))
        self.record(row, train, test)
        checkpoints.save(ctx.run_dir, row.epoch, self.model, self.optimizer, row.lr, row.wd,
                         {**opt, "mean": self.train_set.transform.mean.flatten().tolist(),
                          "std": self.train_set.transform.std.flatten().tolist()}, self.spec.path)

    def record(self, row, train, test):
        run_dir = self.ctx.run_dir
        logs.OptimLogger(run_dir / "train.log", logs.TRAIN_KEYS).add(
            dict(zip(logs.TRAIN_KEYS, (train["train_top1"], train["train_loss"]))))
        logs.OptimLogger(run_dir / "test.log", logs.TEST_KEYS).add(
            dict(zip(logs.TEST_KEYS, (test["test_top1"], test["test_loss"]))))
        confusion = test.pop("confusion")
        if self.ctx.opt["conf"]:
            lines = [",".join(["true\\predicted"] + self.index["classes"])]
            lines += [",".join([c] + [str(v) for v in r.tolist()]) for c, r in zip(self.index["classes"], confusion)]
            (run_dir / f"confusion_{row.epoch}.csv").write_text("\n".join(lines) + "\n")
        logs.append_metrics(run_dir, {**row.as_dict(), **train, **test})
        if train["skipped"] or test["test_skipped"]:
            self.echo(f"epoch {row.epoch}: skipped {train['skipped'] + test['test_skipped']} unreadable "
                      f"file(s), listed in {run_dir / 'bad_images.log'}")


def run_test(spec_path, opt, echo=print):
    """``enet-port test``: evaluate ``-retrain model_N.pt`` on DATA/val with its training mean/std."""
    spec = load_spec(spec_path)
    saved = checkpoints.load(opt["retrain"])
    index, meanstd = prepare_data(opt)
    trained = saved.get("options", {}) if isinstance(saved, dict) else {}
    if trained.get("mean") and trained.get("std"):
        meanstd = (trained["mean"], trained["std"])
    device = pick_device(opt)
    model = prepare_model(spec, opt, device)
    transform = donkey.Transform(opt["imageSize"], opt["cropSize"], *meanstd)
    batches = donkey.loader(donkey.TestSet(index["val"], transform), opt["batchSize"], opt["nDonkeys"])
    ctx = Context(opt, device, Path(opt["retrain"]).parent)
    result = evaluate(model, batches, len(index["classes"]), ctx)
    echo(logs.test_summary(saved.get("epoch", 0), result["test_seconds"], result["test_loss"], result["test_top1"]))
    return result

"""A training run from start to end: imagenet-multiGPU.torch ``main.lua``, plus fb.resnet.torch's
``-resume`` and ``model_best``.

Reads like main.lua: options, data, model, optimState, then for each epoch ``train()``,
``test()`` and the checkpoint. Differences from Lua (NOTES.md): the checkpoint is written after
the test so that it always has its epoch's logs; ``--resume`` continues a run folder exactly.
"""
import contextlib
import dataclasses
import shlex
import sys
from pathlib import Path

import torch

from . import checkpoints, distributed, logs, opts, resume, schedules
from ..data import dataset, donkey, feed, pipeline, shards
from .runfolder import RunLock, elastic_resume, new_run_dir, starting_state, write_run_files
from .session import (device_type, fitted_pools, model_image_size, pick_device, prepare_data, prepare_model,
                      spec_input_size)
from .test import evaluate
from .train import make_optimizer, set_lr_wd, train_epoch
from ..errors import EnetPortError
from ..model.spec import load_spec


class Interrupted(EnetPortError):
    """Ctrl-C during a run: the one line says how to continue it."""
    exit_code = 130


def warn_about_schedule(rows, recipe, echo):
    if rows and rows[0].lr == 0.0:
        echo(f"warning: epoch {rows[0].epoch} trains with LR 0: recipe '{recipe}' starts no regime there "
             "and -LR is 0, which is what train.lua does too; give -LR to train that epoch")


def launch(spec_path, opt, explicit):
    """``-nGPU N`` outside torchrun: torchrun starts N processes of this same command, all
    given one run folder (named here, so that each process and each restart uses it)."""
    if device_type(opt) == "cuda" and opt.GPU - 1 + opt.nGPU > torch.cuda.device_count():
        raise distributed.DistributedError("-nGPU", f"GPUs {opt.GPU}..{opt.GPU + opt.nGPU - 1} asked for, "
                                                    f"{torch.cuda.device_count()} present")
    distributed.World(0, opt.nGPU).batch_share(opt.batchSize)
    if opt.resume:  # refused here once, not by every process
        resume.resume_options(opt, explicit)
    argv = sys.argv[1:]
    if not (opt.resume or opt.run_dir):
        argv += ["--run-dir", str(new_run_dir(load_spec(spec_path), opt, explicit))]
    return distributed.launch(argv, opt.nGPU)


def run_training(spec_path, opt, explicit, echo=print, quiet=False, on_epoch=None):
    """Train ``spec_path`` with resolved options ``opt`` (:class:`~enet_port.train.opts.Opt`);
    returns the run folder. Under torchrun, one of the processes. ``on_epoch(row, train, test)``
    is called in the main process after each epoch's logs and checkpoint are written."""
    world = distributed.start(opt, device_type(opt))
    try:
        if not world.is_main:
            echo, quiet = (lambda *a, **k: None), True
        return _run(spec_path, opt, explicit, world, echo, quiet, on_epoch)
    except torch.distributed.DistBackendError as exc:
        raise world.timeout_error(exc) from None
    finally:
        if world.size > 1:
            distributed.stop()


def _run(spec_path, opt, explicit, world, echo, quiet, on_epoch=None):
    spec = schedules.check_spec_recipe(load_spec(spec_path))
    if distributed.under_torchrun():
        if not (opt.run_dir or opt.resume):
            raise distributed.DistributedError("--run-dir", "under torchrun give --run-dir DIR: every process "
                                                            "and every restart must use the same run folder")
        world.batch_share(opt.batchSize)
        opt = elastic_resume(opt, explicit, str(spec.path), distributed.restart_count() > 0)
    changes = {}
    if opt.resume:
        opt, changes = resume.resume_options(opt, explicit)
    recipe = opt.recipe or spec.recipe
    if not opt.resume:
        opt = spec_input_size(spec, opts.with_recipe(opt, recipe, explicit), explicit)
    opt = model_image_size(spec, opt, explicit, echo)
    deviations = fitted_pools(spec, opt, echo if world.is_main else (lambda *a: None))
    dev = pick_device(opt, world)  # first: a refused --gpu-decode stops before any data work
    with world.main_first():
        index, meanstd = prepare_data(opt)
    model = prepare_model(spec, opt, dev, world=world)
    run_dir = Path(opt.run_dir) if opt.resume else new_run_dir(spec, opt, explicit)
    with RunLock(run_dir) if world.is_main else contextlib.nullcontext(), _continue_hint(run_dir):
        first, last, optim_state, start = starting_state(opt, model, run_dir, writer=world.is_main)
        if first > last:
            echo(f"{run_dir}: already trained to epoch {first - 1}; -epochNumber {opt.epochNumber} "
                 f"-nEpochs {opt.nEpochs} ends at epoch {last}")
            return run_dir
        opt = dataclasses.replace(opt, run_dir=str(run_dir))
        start = resume.overridden_start(start, changes)
        if changes:
            echo(resume.describe(changes, first))
        if world.is_main:
            overrides = resume.override_history(run_dir, changes, first) if opt.resume else []
            write_run_files(run_dir, opt, spec, recipe, index, meanstd, overrides=overrides, deviations=deviations)
            logs.log_bad_images(run_dir, index.get("skipped", []) if first == opt.epochNumber else [])  # once a run
        rows = schedules.plan(recipe, opt.nEpochs, opt.LR, opt.weightDecay, first, last, start,
                              keep_momentum=opt.keep_momentum, lr_scale=opt.lr_scale)
        warn_about_schedule(rows, recipe, echo)
        optimizer = make_optimizer(model, *(start or (opt.LR * opt.lr_scale, opt.weightDecay)), opt.momentum,
                                   schedules.uses_nesterov(recipe))
        if optim_state is not None:
            checkpoints.load_optimizer_state(optimizer, optim_state, opt.optimState or run_dir)
            if changes:
                resume.apply_to_optimizer(optimizer, start, changes)
        where = f"{world.size} processes on {dev.device.type}" if world.size > 1 else str(dev.device)
        echo(f"training {spec.path} ({recipe}) on {where}, epochs {first}..{last}, run folder {run_dir}")
        loop = EpochLoop(spec, model, optimizer, index, meanstd, opt, dev, recipe, echo, quiet, world)
        if changes:
            loop.notes = {"overrides": {opts.BY_KEY[k].flag: [old, new] for k, (old, new) in changes.items()}}
        loop.on_epoch = on_epoch
        for row in rows:
            loop.run_epoch(row)
    return run_dir


@contextlib.contextmanager
def _continue_hint(run_dir):
    """Ctrl-C: say how to continue (the lock is released on the way out)."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(str(run_dir), "interrupted; continue with: enet-port train --resume "
                                        f"{shlex.quote(str(run_dir))}") from None


class EpochLoop:
    """train.lua's ``train()`` then test.lua's ``test()``, logs and checkpoint, each epoch."""

    on_epoch = None

    def __init__(self, spec, model, optimizer, index, meanstd, opt, dev, recipe, echo, quiet, world):
        self.spec, self.model, self.optimizer, self.index, self.opt, self.dev = spec, model, optimizer, index, opt, dev
        self.recipe, self.echo, self.quiet, self.meanstd, self.world = recipe, echo, quiet, meanstd, world
        self.run_dir = Path(opt.run_dir)
        self.groups = dataset.by_class(index["train"], len(index["classes"]))
        transform = pipeline.transform(opt, meanstd)
        self.train_set = donkey.TrainSet(index["train"], self.groups, transform, opt.exif_rotate, opt.gpu_decode)
        self.normalise = feed.normaliser(transform, dev.device)
        test_set = donkey.TestSet(index["val"], transform, opt.exif_rotate, opt.gpu_decode)
        if world.size > 1:  # each process its contiguous part: every image once
            test_set = torch.utils.data.Subset(test_set, shards.rank_range(len(test_set), world))
        self.test_batches = feed.DeviceFeed(donkey.loader(test_set, opt.batchSize, opt.nDonkeys), dev, self.normalise)
        self.stand_in = torch.zeros(1, 3, opt.cropSize, opt.cropSize)
        self.epoch_size = opt.epochSize or -(-len(index["train"]) // opt.batchSize)
        # Lua: top-1 over batchSize * epochSize draws; fb: over the images of the (partial) pass
        self.planned = opt.batchSize * self.epoch_size
        if opt.pipeline == "fb":
            self.planned = min(self.planned, len(index["train"]))
        self.scaler = torch.amp.GradScaler("cuda", enabled=opt.amp == "fp16" and dev.device.type == "cuda")
        self.best_top1 = max((r["test_top1"] for r in logs.read_metrics(self.run_dir)), default=None)
        self.notes = {}  # extra fields of the next metrics.jsonl row (the overrides that took effect)

    def run_epoch(self, row):
        opt = self.opt
        if row.momentum_reset and not opt.keep_momentum:
            self.optimizer = make_optimizer(self.model, row.lr, row.wd, opt.momentum,
                                            schedules.uses_nesterov(self.recipe))
        elif row.new_regime:
            set_lr_wd(self.optimizer, row.lr, row.wd)
        train = train_epoch(self.model, self.train_batches(row.epoch), self.optimizer, self.scaler, row.epoch,
                            self.dev, opt.batchChunks, self.planned, self.epoch_size, self.run_dir, self.quiet,
                            self.world, self.stand_in, opt.print_freq, opt.warmup)
        self.echo(logs.train_summary(row.epoch, train["train_seconds"], train["train_loss"], train["train_top1"],
                                     train["train_top5"]))
        self.world.broadcast_buffers(self.model)
        test = evaluate(checkpoints.unwrap(self.model), self.test_batches, len(self.index["classes"]), self.dev,
                        self.run_dir, self.quiet, self.world)
        self.echo(logs.test_summary(row.epoch, test["test_seconds"], test["test_loss"], test["test_top1"],
                                    test["test_top5"]))
        if not self.world.is_main:
            return
        self.record(row, train, test)
        best = self.best_top1 is None or test["test_top1"] > self.best_top1
        self.best_top1 = test["test_top1"] if best else self.best_top1
        options = {**dataclasses.asdict(opt), "mean": list(self.meanstd[0]), "std": list(self.meanstd[1])}
        checkpoints.save(self.run_dir, row.epoch, self.model, self.optimizer, row.lr, row.wd, options,
                         self.spec.path, self.index["classes"], best=best)
        if self.on_epoch:
            self.on_epoch(row, train, test)

    def train_batches(self, epoch):
        """This process's batches of the epoch: its slice of each global batch (Lua's scatter
        across GPUs); processes other than 0 draw dropout masks from their own seed."""
        opt, world = self.opt, self.world
        sampler = pipeline.train_sampler(opt, self.groups, len(self.index["train"]), epoch, self.planned)
        if world.size == 1:
            batches = donkey.loader(self.train_set, opt.batchSize, opt.nDonkeys, sampler, opt.manualSeed + epoch)
            return feed.DeviceFeed(batches, self.dev, self.normalise)
        if world.rank:
            torch.manual_seed(opt.manualSeed * 1_000_003 + epoch * 1009 + world.rank)
        mine = shards.RankSlice(sampler, opt.batchSize, world)
        batches = donkey.loader(self.train_set, world.batch_share(opt.batchSize), opt.nDonkeys, mine,
                                opt.manualSeed + epoch)
        return feed.DeviceFeed(shards.padded(batches, mine.global_batches()), self.dev, self.normalise)

    def record(self, row, train, test):
        logs.OptimLogger(self.run_dir / "train.log", logs.TRAIN_KEYS).add(
            dict(zip(logs.TRAIN_KEYS, (train["train_top1"], train["train_loss"]))))
        logs.OptimLogger(self.run_dir / "test.log", logs.TEST_KEYS).add(
            dict(zip(logs.TEST_KEYS, (test["test_top1"], test["test_loss"]))))
        confusion = test.pop("confusion")
        if self.opt.conf:
            logs.write_confusion(self.run_dir / f"confusion_{row.epoch}.csv", self.index["classes"], confusion)
        logs.append_metrics(self.run_dir, {**row.as_dict(), **train, **test, **self.notes})
        self.notes = {}
        if train["skipped"] or test["test_skipped"]:
            self.echo(f"epoch {row.epoch}: skipped {train['skipped'] + test['test_skipped']} unreadable "
                      f"file(s), listed in {self.run_dir / 'bad_images.log'}")

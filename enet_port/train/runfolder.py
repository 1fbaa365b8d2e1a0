"""The run folder: its name, its lock, the files written once (``options.json``,
``classes.txt``), and where a launch starts (``--resume``, ``-retrain``/``-optimState``/``-epochNumber``).

Lua counterpart: imagenet-multiGPU.torch ``opts.lua``'s ``opt.save`` folder (named after the
options that differ from the defaults, plus a date), and fb.resnet.torch ``checkpoints.lua``'s
``latest``/``-resume``.
"""
import dataclasses
import datetime
import fcntl
import json
import os
import platform
from pathlib import Path

import torch

from . import checkpoints, logs
from .opts import BY_KEY
from .validate import check_run_files, check_saved_options, check_writable
from .. import userpaths
from ..atomic import atomic_write_text
from ..errors import DataError

# Lua's cmd:string left out data, cache, retrain and optimState; how a run is launched (processes,
# GPUs, loader workers) leaves the name too, so `-nGPU 2` names its folder as one process does
RUN_NAME_SKIP = {"data", "cache", "retrain", "optimState", "rngState", "resume", "run_dir", "seed", "nGPU", "GPU",
                 "nDonkeys", "device", "dist_timeout", "compile", "override", "conf", "print_freq"}


def new_run_dir(spec, opt, explicit):
    """``--run-dir``, which must not hold another run (that is ``--resume``'s), or a new folder
    under -cache named after the options that differ from the defaults, plus the date."""
    if opt.run_dir:
        userpaths.check_folder(opt.run_dir)
        run_dir = Path(opt.run_dir)
        if (run_dir / "latest.json").exists() or (run_dir / "metrics.jsonl").exists():
            raise DataError(str(run_dir), "holds a run already: continue it with --resume, or give another --run-dir")
        return run_dir
    tags = [f"{k}={getattr(opt, k)}" for k in sorted(explicit)
            if k not in RUN_NAME_SKIP and getattr(opt, k) != BY_KEY[k].default]
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = Path(opt.cache) / ",".join([Path(spec.path).stem] + tags) / stamp
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = run_dir.with_name(f"{stamp}-{suffix}")
    return run_dir


class RunLock:
    """One trainer per run folder: an exclusive lock on ``RUN_DIR/.lock`` held for the run
    (released by the OS when the process dies, so a killed run never blocks its resume). The
    file is removed on the way out, still locked; a trainer that opened it just before then
    finds its lock on a removed file and opens the new one."""

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.file = None

    def __enter__(self):
        check_run_files(self.run_dir)
        path = self.run_dir / ".lock"
        while True:  # the lock file may be removed (at exit) between our open and flock: retry
            try:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                self.file = open(path, "a+")
            except OSError as exc:
                raise DataError(str(self.run_dir), f"cannot write in the run folder ({exc.strerror or exc}); "
                                                   "nothing was changed") from None
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.file.close()
                raise DataError(str(self.run_dir), "another trainer is using this run folder") from None
            if path.exists() and os.stat(path).st_ino == os.fstat(self.file.fileno()).st_ino:
                break
            self.file.close()
        check_writable(self.run_dir, self.file)
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"{os.getpid()}\n")
        self.file.flush()
        return self

    def __exit__(self, *exc):
        (self.run_dir / ".lock").unlink(missing_ok=True)
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def write_run_files(run_dir, opt, spec, recipe, index, meanstd, overrides=(), deviations=()):
    """options.json (with the ``--override`` history, and the ``deviations``: what this run does
    differently from the Lua on purpose, e.g. a fitted global pooling) and classes.txt; a copy of
    the spec as ``spec.json``, so that ``--resume RUN`` trains the same spec after its file changed
    or moved."""
    named = spec.path
    if Path(spec.path).resolve() == (run_dir / "spec.json").resolve():  # resumed from the copy: keep the name
        named = read_saved_options(run_dir).get("spec", named)
    else:
        atomic_write_text(run_dir / "spec.json", Path(spec.path).read_text())
    resolved = {**dataclasses.asdict(opt), "spec": named, "recipe": recipe, "data_root": index["data"],
                "mean": meanstd[0], "std": meanstd[1], "overrides": list(overrides), "deviations": list(deviations),
                "versions": {"python": platform.python_version(), "torch": torch.__version__}}
    atomic_write_text(run_dir / "options.json", json.dumps(resolved, indent=1, default=str) + "\n")
    atomic_write_text(run_dir / "classes.txt", "".join(f"{c}\n" for c in index["classes"]))


# options that may change between the launches of one run: how a launch runs, not what it computes
RELAUNCH_FREE = {"nEpochs", "nGPU", "nDonkeys", "resume", "run_dir", "dist_timeout", "GPU", "device", "override",
                 "compile", "conf", "print_freq"}


def elastic_resume(opt, explicit, spec_path, restarted):
    """Under torchrun: ``opt`` set to continue ``--run-dir`` from its last complete epoch when
    torchrun restarted the workers (``--max-restarts``) or the folder already holds a
    checkpoint of a run with this command's options; otherwise ``opt`` unchanged."""
    if opt.resume or not (Path(opt.run_dir) / "options.json").is_file():
        return opt
    run_dir = Path(opt.run_dir)
    if not restarted:
        if not (run_dir / "latest.json").is_file():
            return opt
        saved = read_saved_options(run_dir)
        given = json.loads(json.dumps({k: getattr(opt, k) for k in explicit - RELAUNCH_FREE}))
        if saved.get("spec") != spec_path or any(saved.get(k) != v for k, v in given.items()):
            return opt
    return dataclasses.replace(opt, resume=str(run_dir))


def read_saved_options(run_dir):
    """A run folder's ``options.json`` as a dict; one-line errors for a missing or damaged file."""
    path = Path(run_dir) / "options.json"
    if not path.is_file():
        raise DataError(str(run_dir), "not a run folder (no options.json)")
    try:
        saved = json.loads(userpaths.read_bytes(path))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        saved = None
    if not isinstance(saved, dict):
        raise DataError(str(path), "damaged options file")
    check_saved_options(saved, path)
    return saved


def starting_state(opt, model, run_dir, writer=True):
    """(first epoch, last epoch, optimizer state or None, (lr, wd) or None) for this launch.

    The last epoch is always ``-epochNumber + -nEpochs - 1`` (imagenet-multiGPU.torch), so
    ``--resume`` finishes the epochs the run planned, or as many as a new ``-nEpochs`` counts
    from the run's ``-epochNumber``. It continues from the last complete epoch; a run killed
    before its first checkpoint starts again as it first did, in the same folder. Only the
    ``writer`` (process 0) tidies the folder; every process reads the checkpoint."""
    last = opt.epochNumber + opt.nEpochs - 1
    if opt.resume:
        if writer:
            checkpoints.remove_partial_files(run_dir)
        if (Path(run_dir) / "latest.json").exists():
            return _from_checkpoint(model, run_dir, writer, last)
        if writer:
            logs.truncate(run_dir, 0)
    if opt.rngState:
        checkpoints.restore_rng(checkpoints.load_optim_state(opt.rngState)["rng"], opt.rngState)
    if opt.optimState:
        state = checkpoints.load_optim_state(opt.optimState)
        return opt.epochNumber, last, state["optimizer"], (state["lr"], state["wd"])
    return opt.epochNumber, last, None, None


def _from_checkpoint(model, run_dir, writer, last):
    """``starting_state`` of a run folder with a complete epoch: the model, optimizer and RNG
    as they were after it; the writer drops log rows of later epochs."""
    epoch, model_path, optim_path = checkpoints.latest(run_dir)
    checkpoints.load_state_into(model, checkpoints.load_model_checkpoint(model_path), model_path)
    state = checkpoints.load_optim_state(optim_path)
    checkpoints.restore_rng(state["rng"], optim_path)
    if writer:
        logs.truncate(run_dir, epoch)
    return epoch + 1, last, state["optimizer"], (state["lr"], state["wd"])

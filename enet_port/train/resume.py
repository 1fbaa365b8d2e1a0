"""``--resume RUN``: which spec and which options a resumed run keeps, and ``--override``.

Lua counterpart: fb.resnet.torch ``checkpoints.lua``'s ``-resume``, which reloads the model and
optimState but takes every other option from the new command line, so a restart could change a
run without a trace (imagenet-multiGPU.torch's ``-retrain``/``-optimState`` restarts too). Here a
resumed run keeps the spec and options it was started with: an option given again with another
value is refused, unless ``--override`` asks for the change, which is then recorded with the
epoch it took effect in (``options.json``'s ``overrides``, ``metrics.jsonl`` and the console).
"""
import json
from pathlib import Path

import click

from .opts import BY_KEY, OPTIONS, Opt
from .runfolder import RELAUNCH_FREE, read_saved_options
from ..errors import DataError

# what no resume can change: the epoch numbering, and the class count the checkpoints hold
NEVER = {"epochNumber": "the run started at -epochNumber {old}; --resume keeps that start (-nEpochs counts from it)",
         "nClasses": "the run's checkpoints have {old} classes; --resume keeps them: to fine-tune to {new}, start "
                     "a new run with -retrain and --reset-classifier"}
SPEC_COPY = "spec.json"


def run_spec(run_dir, given=None):
    """The spec a resumed run trains: its own (the file ``options.json`` names while it still
    holds the same spec, else the run's ``spec.json`` copy); a ``given`` SPEC must be that spec."""
    from ..model.spec import load_spec
    run_dir = Path(run_dir)
    saved = read_saved_options(run_dir)
    named = _named_spec(run_dir, saved)
    copy = run_dir / SPEC_COPY
    reference = copy if copy.is_file() else Path(named) if named and Path(named).is_file() else None
    if given is not None:
        if reference is not None and load_spec(given).data != load_spec(reference).data:
            raise DataError(str(given), f"is not the spec run {run_dir} trains ({named or reference}): leave SPEC "
                                        f"out (--resume RUN uses the run's own spec)")
        return str(given)
    if reference is None:
        raise DataError(str(run_dir), f"the run's spec {named} is gone and the folder holds no {SPEC_COPY}: "
                                      "give SPEC")
    if named and Path(named).is_file() and (reference == copy and load_spec(named).data == load_spec(copy).data):
        return named
    return str(reference)


def _named_spec(run_dir, saved):
    """The spec path options.json names, found from another working folder too: a relative path
    is relative to the folder training ran in, which is the run folder's absolute path less its
    saved relative ``run_dir`` (the trainer names the run folder from that same folder)."""
    if not isinstance(saved.get("spec"), str):
        return None
    spec = Path(saved["spec"])
    if spec.is_absolute() or spec.exists():
        return str(spec)
    saved_run_dir = Path(saved.get("run_dir") or "") if isinstance(saved.get("run_dir"), str) else Path()
    here = Path(run_dir).resolve()
    if saved_run_dir.parts and not saved_run_dir.is_absolute() and \
            here.parts[-len(saved_run_dir.parts):] == saved_run_dir.parts:
        candidate = Path(*here.parts[:-len(saved_run_dir.parts)]) / spec
        if candidate.exists():
            return str(candidate)
    return str(spec)


def resume_options(opt, explicit):
    """``(options, changes)``: the run's saved options, with the free options of this command
    line (:data:`RELAUNCH_FREE`) and, under ``--override``, the changed ones; ``changes`` maps
    each overridden key to ``(old, new)``. A changed option without ``--override`` is refused."""
    run_dir = Path(opt.resume)
    saved = read_saved_options(run_dir)
    merged = {o.key: saved.get(o.key, o.default) for o in OPTIONS}
    changes = {k: (merged[k], getattr(opt, k)) for k in sorted(explicit - RELAUNCH_FREE)
               if not _same(k, merged[k], getattr(opt, k))}
    for key, why in NEVER.items():
        if key in changes:
            raise DataError(str(run_dir), why.format(old=changes[key][0], new=changes[key][1]))
    if changes and not opt.override:
        listed = ", ".join(f"{BY_KEY[k].flag} {new} (the run has {old})" for k, (old, new) in changes.items())
        raise DataError(str(run_dir), f"a resumed run keeps its options: {listed}; leave the option out, or add "
                                      f"--override to change it from the next epoch on")
    merged.update({k: getattr(opt, k) for k in explicit & RELAUNCH_FREE})
    merged.update({k: new for k, (old, new) in changes.items()})
    if "seed" in changes:
        merged["manualSeed"] = opt.manualSeed
    merged["resume"], merged["run_dir"], merged["override"] = str(run_dir), str(run_dir), opt.override
    return Opt(**merged), changes


def _same(key, old, new):
    if old == new or json.loads(json.dumps(old)) == json.loads(json.dumps(new)):
        return True
    paths = isinstance(old, str) and isinstance(new, str) and isinstance(BY_KEY[key].type, click.Path)
    return paths and Path(old).expanduser().resolve() == Path(new).expanduser().resolve()


def override_history(run_dir, changes, first_epoch):
    """The run's ``overrides`` list, with this launch's changes taking effect at ``first_epoch``."""
    saved = read_saved_options(run_dir).get("overrides")
    history = saved if isinstance(saved, list) else []
    return history + [{"epoch": first_epoch, "option": BY_KEY[k].flag, "from": old, "to": new}
                      for k, (old, new) in changes.items()]


def describe(changes, first_epoch):
    return (f"from epoch {first_epoch} on (--override): "
            + ", ".join(f"{BY_KEY[k].flag} {old} -> {new}" for k, (old, new) in changes.items()))


def overridden_start(start, changes):
    """The optimState's (lr, wd) to continue with: an overridden -LR (other than 0, "the recipe
    decides") or -weightDecay replaces the checkpoint's, which would otherwise stay in force until
    the recipe next starts a regime."""
    if start is None:
        return None
    lr, wd = start
    if "LR" in changes and changes["LR"][1] != 0.0:
        lr = changes["LR"][1]
    if "weightDecay" in changes:
        wd = changes["weightDecay"][1]
    return lr, wd


def apply_to_optimizer(optimizer, start, changes):
    """A loaded optimState brings its own lr, wd and momentum; the overridden ones replace them."""
    for group in optimizer.param_groups:
        if start is not None:
            group["lr"], group["weight_decay"] = start
        if "momentum" in changes:
            group["momentum"] = changes["momentum"][1]

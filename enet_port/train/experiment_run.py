"""``enet-port experiment``: every run of an experiment file, one after another, as ordinary runs.

Lua counterpart: one ``th main.lua ...`` command line per run of the seed post (each with its own
``-LR``/``-batchSize``/``-netType``), typed by hand. Here each run is :func:`run_training` with
``--out/NAME`` as its run folder, so a run folder of an experiment is one of ``train``.

Options: the run's own (experiment file) < the command line's; options neither sets come from
the recipe (fb.resnet.torch's) and the option table. When the command line's ``-batchSize``
differs from a run's own batch size (its ``options.batchSize``, else its recipe's, else 128), the
run's LRs scale linearly with the batch (``--lr-scale`` = batch / own batch, in its
``options.json``; every LR of the recipe is multiplied by it), unless ``-LR`` or ``--lr-scale``
is given. Rerunning the same command continues: a finished run is skipped, an interrupted one is
resumed from its last complete epoch (``--resume``), a run folder made with other options is an
error rather than a silent mix.
"""
import json
import time
from dataclasses import dataclass
from pathlib import Path

from . import checkpoints, opts
from .experiment import ExperimentError
from .main import run_training
from .runfolder import RELAUNCH_FREE, read_saved_options
from .schedules import RECIPE_DEFAULTS
from ..model.spec import load_spec

CLI_REFUSED = {"resume": "--resume", "run_dir": "--run-dir", "retrain": "-retrain", "optimState": "-optimState",
               "rngState": "-rngState"}


@dataclass
class PlannedRun:
    entry: object  # experiment.Entry
    opt: object  # opts.Opt
    explicit: set
    run_dir: Path
    done_epochs: int

    @property
    def last_epoch(self):
        return self.opt.epochNumber + self.opt.nEpochs - 1

    @property
    def epochs_left(self):
        return max(self.last_epoch - self.done_epochs, 0)


def own_batch(entry):
    """The batch size the run's recipe was written for: its options', its recipe's, or Lua's 128."""
    return (entry.options.get("batchSize") or RECIPE_DEFAULTS.get(entry.recipe, {}).get("batchSize")
            or opts.BY_KEY["batchSize"].default)


def run_values(entry, cli_values, cli_explicit, out):
    """(option values, explicit keys) of one run, before :func:`opts.resolve`."""
    values = {o.key: o.default for o in opts.OPTIONS}
    values.update(entry.options)
    values.update({k: cli_values[k] for k in cli_explicit})
    explicit = set(entry.options) | set(cli_explicit)
    if entry.recipe != load_spec(entry.spec).recipe:
        values["recipe"] = entry.recipe
        explicit.add("recipe")
    if entry.seed is not None:
        values["manualSeed"], values["seed"] = entry.seed, None
        explicit.add("manualSeed")
    own = own_batch(entry)
    if "batchSize" in cli_explicit and values["batchSize"] != own and not {"LR", "lr_scale"} & set(cli_explicit):
        values["lr_scale"] = values["batchSize"] / own
        explicit.add("lr_scale")
    values["run_dir"] = str(Path(out) / entry.name)
    explicit.add("run_dir")
    return values, explicit


def plan_run(entry, cli_values, cli_explicit, out):
    values, explicit = run_values(entry, cli_values, cli_explicit, out)
    run_dir = Path(values["run_dir"])
    done = 0
    if (run_dir / "options.json").is_file():
        check_same_run(run_dir, values, explicit)
        values["resume"] = str(run_dir)
        if (run_dir / "latest.json").is_file():
            done = checkpoints.latest(run_dir)[0]
    opt = opts.resolve(values, explicit, opts.TRAIN)
    return PlannedRun(entry, opt, explicit, run_dir, done)


def check_same_run(run_dir, values, explicit):
    """A run folder continued by a rerun must have been made with this run's options."""
    saved = read_saved_options(run_dir)
    for key in sorted(explicit - RELAUNCH_FREE - {"resume", "run_dir"}):
        given = json.loads(json.dumps(values[key]))
        if saved.get(key, opts.BY_KEY[key].default) != given:
            raise ExperimentError(str(run_dir), f"was run with {opts.BY_KEY[key].flag} {saved.get(key)}, this "
                                                f"experiment gives {given}: use another --out, or remove the folder")


def with_class_count(cli_values, cli_explicit):
    """Without -nClasses: the number of class folders of -data/train (each run's model is built
    for the data it is given; main.lua needed -nClasses to match by hand)."""
    if "nClasses" in cli_explicit:
        return cli_values, cli_explicit
    train = Path(cli_values["data"]) / "train"
    if not train.is_dir():
        raise ExperimentError(str(cli_values["data"]), "no train/ folder (expected train/<class>/* and val/<class>/*)")
    count = sum(1 for p in train.iterdir() if p.is_dir())
    return {**cli_values, "nClasses": count}, set(cli_explicit) | {"nClasses"}


class Progress:
    """One line per epoch: the run, its numbers, and the time left for the whole experiment at
    the mean time per epoch of this launch."""

    def __init__(self, plans, echo):
        self.echo, self.left, self.done, self.start = echo, sum(p.epochs_left for p in plans), 0, time.time()

    def epoch(self, plan, row, train, test):
        self.done, self.left = self.done + 1, self.left - 1
        per_epoch = (time.time() - self.start) / self.done
        self.echo(f"[{plan.entry.name}] epoch {row.epoch}/{plan.last_epoch}: test top-1 {test['test_top1']:.1f}% "
                  f"(train {train['train_top1']:.1f}%), LR {row.lr:.3g}, {train['images_per_s']:.0f} img/s | "
                  f"experiment: {self.left} epoch(s) left, about {_minutes(per_epoch * self.left)}")


def _minutes(seconds):
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def run_experiment(experiment, cli_values, cli_explicit, out, only=None, echo=print):
    """Train the runs of ``experiment`` (``only``: some of them) into ``out``; returns the plans.
    ``cli_values``/``cli_explicit``: the command line's option values and the keys it gave."""
    for key, flag in CLI_REFUSED.items():
        if key in cli_explicit:
            raise ExperimentError(flag, "not for `experiment`: each run's folder is --out/NAME, continued by "
                                        "running the same command again")
    if cli_values.get("nGPU", 1) > 1:
        raise ExperimentError("-nGPU", "`experiment` trains on one device; run a multi-GPU run with `train`")
    if not cli_values.get("data"):
        raise ExperimentError("-data", "`experiment` needs an ImageNet-layout folder")
    cli_values, cli_explicit = with_class_count(cli_values, cli_explicit)
    plans = [plan_run(e, cli_values, cli_explicit, out) for e in experiment.select(only)]
    progress = Progress(plans, echo)
    for plan in plans:
        prefixed = lambda line, name=plan.entry.name: echo(f"[{name}] {line}")
        if not plan.epochs_left:
            prefixed(f"done: epochs 1..{plan.done_epochs} in {plan.run_dir} (kept)")
            continue
        if plan.done_epochs:
            prefixed(f"resuming after epoch {plan.done_epochs}")
        run_training(plan.entry.spec, plan.opt, plan.explicit, echo=prefixed, quiet=True,
                     on_epoch=lambda row, train, test, p=plan: progress.epoch(p, row, train, test))
    return plans

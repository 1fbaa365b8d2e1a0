"""Every training option in one place: name, default, type, help.

Ports imagenet-multiGPU.torch ``opts.lua`` (same names, defaults and meanings, single dash:
``-nGPU 1``) and adds what a PyTorch user expects (double dash: ``--resume``, ``--amp``). The
click options of ``train`` and ``test`` are generated from :data:`OPTIONS`; the resolved values
are written beside every run's outputs and into every checkpoint.
"""
from dataclasses import dataclass

import click

from .schedules import RECIPES


@dataclass(frozen=True)
class Option:
    name: str
    default: object
    type: object
    help: str
    lua: bool = True  # spelled -name as in opts.lua; False: --name, a PyTorch-side addition

    @property
    def flag(self):
        return f"-{self.name}" if self.lua else f"--{self.name}"

    @property
    def key(self):
        return self.name.replace("-", "_")


PATH = click.Path()
OPTIONS = [
    Option("cache", "./imagenet/checkpoint/", PATH, "Folder for the index and mean/std caches and the run folders."),
    Option("data", None, PATH, "ImageNet-layout folder (train/<class>/*, val/<class>/*). "
           "Unset: a small built-in sample dataset and a short run."),
    Option("manualSeed", 2, int, "Seed of the run: model init, sampling, augmentation, dropout."),
    Option("GPU", 1, click.IntRange(1), "First GPU to use (1-based, as in Lua)."),
    Option("nGPU", 1, click.IntRange(1), "Number of GPUs (nn.DataParallel when more than one)."),
    Option("backend", "cudnn", click.Choice(["cudnn", "cunn", "nn"]), "cudnn turns on cudnn.benchmark."),
    Option("nDonkeys", 2, click.IntRange(0), "Data-loading worker processes (0: the main process)."),
    Option("imageSize", 256, click.IntRange(1), "Shorter image side after scaling."),
    Option("cropSize", 224, click.IntRange(1), "Side of the square crop fed to the network."),
    Option("nClasses", 1000, click.IntRange(1), "Number of classes; must equal the number of class folders."),
    Option("nEpochs", 55, click.IntRange(1), "Epochs to run from -epochNumber (with --resume: the last epoch)."),
    Option("epochSize", None, click.IntRange(1), "Batches per epoch (default: one pass over the training set)."),
    Option("epochNumber", 1, click.IntRange(1), "Number of the first epoch (Lua: manual epoch number for restarts)."),
    Option("batchSize", 128, click.IntRange(1), "Mini-batch size."),
    Option("batchChunks", 1, click.IntRange(1), "Split each batch into this many chunks, accumulating gradients."),
    Option("LR", 0.0, float, "Learning rate; 0 means the spec's recipe decides."),
    Option("momentum", 0.9, float, "Momentum."),
    Option("weightDecay", 5e-4, float, "Weight decay (applied to every parameter, as Torch7 does)."),
    Option("retrain", None, click.Path(dir_okay=False), "model_N.pt to start from."),
    Option("optimState", None, click.Path(dir_okay=False), "optimState_N.pt to start from (its LR, WD and momentum win)."),
    Option("rngState", None, click.Path(dir_okay=False), "optimState_N.pt whose RNG state to restore."),
    Option("conf", False, bool, "Write the test confusion matrix every epoch."),
    Option("resume", None, click.Path(file_okay=False), "Continue RUN_DIR from its last complete epoch up to -nEpochs.", False),
    Option("device", "auto", click.Choice(["auto", "cpu", "cuda"]), "Where to train.", False),
    Option("amp", "off", click.Choice(["off", "bf16", "fp16"]), "Automatic mixed precision.", False),
    Option("channels-last", False, bool, "Use the channels-last memory format.", False),
    Option("seed", None, int, "Same as -manualSeed.", False),
    Option("recipe", None, click.Choice(sorted(RECIPES)), "Override the spec's LR/WD recipe.", False),
    Option("keep-momentum", False, bool, "Keep the momentum buffer when a new regime starts.", False),
    Option("run-dir", None, click.Path(file_okay=False), "Folder for this run (default: under -cache).", False),
]
BY_KEY = {o.key: o for o in OPTIONS}

# no -data: the built-in sample dataset, with a run short enough for two CPU cores
SAMPLE_DEFAULTS = {"nEpochs": 4, "epochSize": 10, "batchSize": 32, "nClasses": 10}


def click_options(names):
    """Decorator adding the named options (in :data:`OPTIONS` order) to a click command."""
    def decorate(command):
        for option in reversed([o for o in OPTIONS if o.key in names]):
            if option.type is bool:
                decl = click.option(option.flag, option.key, is_flag=True, default=False, help=option.help)
            else:
                decl = click.option(option.flag, option.key, type=option.type, default=option.default,
                                    show_default=option.default is not None, help=option.help)
            command = decl(command)
        return command
    return decorate


def resolve(values, explicit):
    """Full option dict from click's values; ``explicit``: the keys the user gave."""
    opt = {o.key: values.get(o.key, o.default) for o in OPTIONS}
    if opt["seed"] is not None:
        opt["manualSeed"] = opt["seed"]
    if opt["data"] is None and not opt["resume"]:
        for key, value in SAMPLE_DEFAULTS.items():
            if key not in explicit:
                opt[key] = value
    return opt


def explicit_keys(ctx):
    """The options given on the command line (not defaults)."""
    return {k for k in ctx.params
            if k in BY_KEY and ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE}

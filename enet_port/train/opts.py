"""Every option in one place: name, default, type, help, and the commands that take it.

Ports imagenet-multiGPU.torch ``opts.lua`` (same names, defaults and meanings, single dash:
``-nGPU 1``) and adds what a PyTorch user expects (double dash: ``--resume``, ``--amp``). A
Lua-derived option is spelled the Lua way on every command that has it. The click options of
each command and the frozen :class:`Opt` dataclass are generated from :data:`OPTIONS`; the
resolved values are written beside every run (``options.json``) and into every checkpoint.
"""
import dataclasses
from dataclasses import dataclass

import click

from .schedules import RECIPE_DEFAULTS, RECIPES

TRAIN, TEST, BENCH, SCHEDULE = "train", "test", "bench", "schedule"
RUN = (TRAIN, TEST)
DATA = (TRAIN, TEST, BENCH)


@dataclass(frozen=True)
class Option:
    name: str
    default: object
    type: object
    help: str
    commands: tuple = (TRAIN,)
    lua: bool = True  # spelled -name as in opts.lua; False: --name, a PyTorch-side addition
    aliases: tuple = ()  # older spellings still accepted (hidden from --help)

    @property
    def flag(self):
        return f"-{self.name}" if self.lua else f"--{self.name}"

    @property
    def key(self):
        return self.name.replace("-", "_")


PATH, FILE = click.Path(), click.Path(dir_okay=False)
OPTIONS = [
    Option("cache", "./imagenet/checkpoint/", PATH, "Folder for the index and mean/std caches and the run folders.", DATA),
    Option("data", None, PATH, "ImageNet-layout folder (train/<class>/*, val/<class>/*). "
           "Unset: train and test use a small built-in sample dataset (a short run); bench times synthetic "
           "tensors only.", DATA, aliases=("--data",)),
    Option("manualSeed", 2, int, "Seed of the run: model init, sampling, augmentation, dropout.", RUN),
    Option("GPU", 1, click.IntRange(1), "First GPU to use (1-based, as in Lua).", RUN),
    Option("nGPU", 1, click.IntRange(1), "Number of GPUs, one process each (more than one: torchrun "
           "with DistributedDataParallel; on CPU, that many processes).", RUN),
    Option("backend", "cudnn", click.Choice(["cudnn", "cunn", "nn"]), "cudnn turns on cudnn.benchmark.",
           (*RUN, BENCH)),
    Option("nDonkeys", 2, click.IntRange(0), "Data-loading worker processes (0: the main process).", DATA),
    Option("imageSize", 256, click.IntRange(1), "Shorter image side after scaling (unset, with a spec whose "
           "\"input\" is not 224x224: 256/224 of its side, rounded; 37 for 32).", RUN),
    Option("cropSize", 224, click.IntRange(1), "Side of the square crop fed to the network (unset: the side "
           "of the spec's \"input\", e.g. 32 for [3, 32, 32]; 224 for the built-in specs).", RUN),
    Option("nClasses", 1000, click.IntRange(1), "Number of classes; must equal the number of class folders.", RUN),
    Option("nEpochs", 55, click.IntRange(1), "Epochs to run from -epochNumber (with --resume: from the run's "
           "-epochNumber; default: the run's own).",
           (TRAIN, SCHEDULE)),
    Option("epochSize", None, click.IntRange(1), "Batches per epoch (default: one pass over the training set)."),
    Option("epochNumber", 1, click.IntRange(1), "Number of the first epoch (Lua: manual epoch number for restarts).",
           (TRAIN, SCHEDULE)),
    Option("batchSize", 128, click.IntRange(1), "Mini-batch size.", DATA, aliases=("--batch-size",)),
    Option("batchChunks", 1, click.IntRange(1), "Split each batch into this many chunks, accumulating gradients."),
    Option("LR", 0.0, float, "Learning rate; 0 means the spec's recipe decides.", (TRAIN, SCHEDULE)),
    Option("momentum", 0.9, float, "Momentum."),
    Option("lr-scale", 1.0, click.FloatRange(min=0, min_open=True), "Multiply every learning rate that -LR or "
           "the recipe gives (`experiment` sets it to scale the LR linearly with -batchSize).", (TRAIN, SCHEDULE),
           lua=False),
    Option("weightDecay", 5e-4, float, "Weight decay (applied to every parameter, as Torch7 does).", (TRAIN, SCHEDULE)),
    Option("retrain", None, FILE, "model_N.pt to start from (test: to evaluate).", RUN),
    Option("optimState", None, FILE, "optimState_N.pt to start from (its LR, WD and momentum win)."),
    Option("rngState", None, FILE, "optimState_N.pt whose RNG state to restore."),
    Option("conf", False, bool, "Write the test confusion matrix every epoch.", RUN),
    Option("resume", None, click.Path(file_okay=False), "Continue RUN_DIR from its last complete epoch up to "
           "its -epochNumber + -nEpochs - 1, with the run's own spec (SPEC may be left out) and options (see "
           "--override).",
           lua=False),
    Option("override", False, bool, "With --resume: change the options given on this command line from the "
           "next epoch on (recorded in options.json's \"overrides\" and in metrics.jsonl), e.g. --resume RUN "
           "--override -LR 0.005. Without it a resumed run keeps the options it was started with, and one "
           "given with another value is refused.", lua=False),
    Option("reset-classifier", False, bool, "With -retrain: replace the last nn.Linear by a fresh one for -nClasses "
           "(fine-tuning, as fb.resnet.torch's -resetClassifier).", lua=False),
    Option("device", "auto", click.Choice(["auto", "cpu", "cuda"]), "Where to run.", DATA, lua=False),
    Option("amp", "off", click.Choice(["off", "bf16", "fp16"]), "Automatic mixed precision.", DATA, lua=False),
    Option("channels-last", False, bool, "Use the channels-last memory format.", DATA, lua=False),
    Option("seed", None, int, "Same as -manualSeed.", lua=False),
    Option("recipe", None, click.Choice(sorted(RECIPES)), "Override the spec's LR/WD recipe.", (TRAIN, SCHEDULE),
           lua=False),
    Option("keep-momentum", False, bool, "Keep the momentum buffer when a new regime starts.", (TRAIN, SCHEDULE),
           lua=False),
    Option("warmup", 0, click.IntRange(0), "Batches at the start of epoch 1 over which the LR rises linearly "
           "to its value (no Lua trainer had one; the sample run uses it).", lua=False),
    Option("run-dir", None, click.Path(file_okay=False), "Folder for this run (default: under -cache).", lua=False),
    Option("pipeline", None, click.Choice(["lua", "fb"]), "Data pipeline: imagenet-multiGPU.torch's donkeys "
           "(lua) or fb.resnet.torch's (fb). Default: the recipe's, else lua.", RUN, lua=False),
    Option("exif-rotate", False, bool, "Apply EXIF orientation (Torch7's image.load ignores it).", DATA, lua=False),
    Option("sync-bn", False, bool, "With several processes: batch-norm statistics over the global batch "
           "(default: per process, as DataParallelTable).", lua=False),
    Option("dist-timeout", 1800.0, click.FloatRange(min=1), "Seconds before a stuck collective operation "
           "between processes fails.", RUN, lua=False),
    Option("compile", False, bool, "torch.compile the model (the first batches are slower while it compiles).", DATA,
           lua=False),
    Option("gpu-decode", False, bool, "Decode JPEGs on the GPU (nvJPEG via torchvision.io), in batches: for when "
           "the CPU cores are the bottleneck. CUDA only.", DATA, lua=False),
    Option("print-freq", 1, click.IntRange(1), "In a log file or pipe: print train.lua's per-batch line every N "
           "batches (and the epoch's last); on a terminal a progress bar per epoch stays instead.", lua=False),
    Option("steps", 5, click.IntRange(1), "Timed steps after 2 warm-up steps.", (BENCH,), lua=False),
]
BY_KEY = {o.key: o for o in OPTIONS}

Opt = dataclasses.make_dataclass(
    "Opt", [(o.key, object, dataclasses.field(default=o.default)) for o in OPTIONS], frozen=True)
Opt.__doc__ = "The resolved options of one command (frozen); fields are the option keys."

# no -data: the built-in sample dataset, with a run short enough for two CPU cores. The LR is
# the exp-v7 recipe's 0.1 at batch 128 scaled to batch 16; giving -LR makes epoch 1 train. Small
# batches, many of them, and a warm-up over epoch 1 keep BN's running statistics close to the
# weights, so the test loss does not depend on float noise (NOTES.md, the sample run).
SAMPLE_DEFAULTS = {"nEpochs": 4, "epochSize": 20, "batchSize": 32, "nClasses": 10, "LR": 0.01, "warmup": 20}


def click_options(command_name):
    """Decorator adding every option of ``command_name`` (in :data:`OPTIONS` order)."""
    def decorate(command):
        for option in reversed([o for o in OPTIONS if command_name in o.commands]):
            command = _click_option(option)(command)
        return command
    return decorate


def _click_option(option):
    flags = [option.flag, *option.aliases, option.key]
    if option.type is bool:
        return click.option(*flags, is_flag=True, default=False, help=option.help)
    return click.option(*flags, type=option.type, default=option.default,
                        show_default=option.default is not None, help=option.help)


def resolve(values, explicit=frozenset(), command=TRAIN):
    """:class:`Opt` from click's values; ``explicit``: the keys the user gave. ``train`` and
    ``test`` without -data run on the sample dataset, with :data:`SAMPLE_DEFAULTS`."""
    opt = {o.key: values.get(o.key, o.default) for o in OPTIONS}
    if opt["seed"] is not None:
        opt["manualSeed"] = opt["seed"]
    if command in RUN and opt["data"] is None and not opt["resume"]:
        opt.update({k: v for k, v in SAMPLE_DEFAULTS.items() if k not in explicit})
    return Opt(**opt)


def with_recipe(opt, recipe, explicit, command=TRAIN):
    """``opt`` with ``recipe``'s defaults (fb.resnet.torch: -nEpochs 90 -batchSize 256 ...) where
    neither the command line nor the sample run set the value: command line > sample-run
    defaults > recipe defaults > option defaults."""
    sample_run = command in RUN and opt.data is None and not opt.resume
    keep = set(explicit) | (set(SAMPLE_DEFAULTS) if sample_run else set())
    values = {k: v for k, v in RECIPE_DEFAULTS.get(recipe, {}).items() if k not in keep}
    if opt.pipeline is None:
        values.setdefault("pipeline", "lua")
    return dataclasses.replace(opt, **values)


def explicit_keys(ctx):
    """The options given on the command line (not defaults)."""
    return {k for k in ctx.params
            if k in BY_KEY and ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE}


def as_dict(opt):
    return dataclasses.asdict(opt)

"""The trainer's commands: ``train``, ``test``, ``schedule``, ``plot``, ``bench``.

Lua counterpart: ``th main.lua -netType ... -data ...``. Each command's options come from the
one option table (:mod:`enet_port.train.opts`), spelled the Lua way where Lua had them.
"""
import json

import click

from ..train import opts
from .common import echo


def _resolve(ctx, values):
    return opts.resolve(values, opts.explicit_keys(ctx), ctx.command.name)


@click.command(context_settings={"show_default": True})
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@opts.click_options(opts.TRAIN)
@click.pass_context
def train(ctx, spec, **values):
    """Train SPEC as imagenet-multiGPU.torch's main.lua would (no -data: a short demo run).

    `train --resume RUN` continues a run with its own spec and options; an option given again
    with another value is refused unless --override asks for the change."""
    from ..train.distributed import env_rank, under_torchrun
    from ..train.main import launch, run_training
    from ..train.resume import run_spec
    opt = _resolve(ctx, values)
    if opt.override and not opt.resume:
        raise click.UsageError("--override changes a resumed run: give it with --resume RUN")
    if spec is None and not opt.resume:
        raise click.UsageError("missing SPEC (only --resume RUN may leave it out: the run knows its spec)")
    if opt.resume:
        spec = run_spec(opt.resume, spec)
    if opt.nGPU > 1 and not under_torchrun():
        ctx.exit(launch(spec, opt, opts.explicit_keys(ctx)))
    if opt.data is None and not opt.resume and env_rank() == 0:
        echo("no -data given: training on the built-in sample dataset (10 classes) for a short run", err=True)
    run_dir = run_training(spec, opt, opts.explicit_keys(ctx), echo=echo)
    if env_rank() == 0:
        echo(f"run folder: {run_dir}")


@click.command(context_settings={"show_default": True})
@click.argument("spec", type=click.Path(dir_okay=False))
@opts.click_options(opts.TEST)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.pass_context
def test(ctx, spec, as_json, **values):
    """Evaluate the checkpoint -retrain model_N.pt of SPEC on DATA/val."""
    from ..train.test import run_test
    if not values.get("retrain"):
        raise click.UsageError("-retrain model_N.pt is required")
    result = run_test(spec, _resolve(ctx, values), echo=(lambda s: None) if as_json else echo,
                      explicit=opts.explicit_keys(ctx))
    result.pop("confusion")
    if as_json:
        echo(json.dumps(result))


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@opts.click_options(opts.SCHEDULE)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {epoch, lr, wd, new_regime}.")
@click.pass_context
def schedule(ctx, spec, as_json, **values):
    """The LR, WD and new-regime flag of every epoch, as training will use them."""
    from ..model.spec import load_spec
    from ..train.schedules import LUA_FILES, RECIPE_DEFAULTS, plan
    opt = _resolve(ctx, values)
    recipe = opt.recipe or load_spec(spec).recipe
    opt = opts.with_recipe(opt, recipe, opts.explicit_keys(ctx), opts.SCHEDULE)
    rows = plan(recipe, opt.nEpochs, LR=opt.LR, weightDecay=opt.weightDecay, epochNumber=opt.epochNumber,
                keep_momentum=opt.keep_momentum, lr_scale=opt.lr_scale)
    if as_json:
        echo(json.dumps([r.as_dict() for r in rows]))
        return
    echo(f"recipe {recipe} (Lua: {LUA_FILES[recipe]})")
    if recipe in RECIPE_DEFAULTS:
        echo("recipe defaults: " + " ".join(f"{opts.BY_KEY[k].flag} {v}" for k, v in RECIPE_DEFAULTS[recipe].items()))
    echo(f"{'epoch':>5}  {'LR':>12}  {'WD':>8}  new regime")
    for r in rows:
        flag = ("yes, momentum reset" if r.momentum_reset else "yes") if r.new_regime else ""
        echo(f"{r.epoch:>5}  {r.lr:>12.6g}  {r.wd:>8.2g}  {flag}")
    if rows and rows[0].lr == 0.0:
        echo(f"note: epoch {rows[0].epoch} has LR 0: the recipe starts no regime there and -LR is 0 "
                   "(train.lua does the same); give -LR to set it")


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="RUN_DIR... | --schedule SPEC...",
                type=click.Path(exists=True))
@click.option("-o", "--output", default="curves.png", show_default=True, type=click.Path(dir_okay=False),
              help="Image to write.")
@click.option("--schedule", is_flag=True, help="Draw the LR and WD rules of the SPECs side by side, as "
              "`enet-port schedule SPEC` lists them (e.g. specs/v2.json specs/v3.json specs/v6.json specs/v7.json).")
@click.option("--epochs", default=55, show_default=True, type=click.IntRange(1),
              help="With --schedule: the epochs drawn (-nEpochs of `schedule`).")
def plot(paths, output, schedule, epochs):
    """Top-1 train/test error and LR against epoch for one or more RUN_DIRs; with --schedule, the
    LR rules of SPECs."""
    from ..train.plot import plot_runs, plot_schedules
    echo(plot_schedules(paths, epochs, output) if schedule else plot_runs(paths, output))


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@opts.click_options(opts.BENCH)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def bench(ctx, spec, as_json, **values):
    """Training/inference images per second and peak memory of SPEC; with -data, the donkeys and the
    standard torchvision loader per core, and training on real JPEGs beside synthetic tensors."""
    from ..train.bench import bench_model
    from ..model.spec import load_spec
    from ..data.bench_data import RealJpegs, bench_loaders
    from ..train.session import pick_device
    opt = _resolve(ctx, values)
    dev = pick_device(opt)
    crop = load_spec(spec).input[-1]
    real = opt.data and RealJpegs(opt.data, opt.cache, crop, opt.batchSize, opt.nDonkeys, dev, opt.gpu_decode)
    result = bench_model(spec, opt.batchSize, opt.steps, dev, compile=opt.compile, real=real or None)
    if opt.data:
        result.update(bench_loaders(opt.data, opt.cache, crop, opt.batchSize, min(opt.batchSize * opt.steps, 640)))
    if as_json:
        echo(json.dumps(result))
    else:
        for key, value in result.items():
            echo(f"{key:>24}: {value:.1f}" if isinstance(value, float) else f"{key:>24}: {value}")

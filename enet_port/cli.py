"""The ``enet-port`` command: thin click wrappers around importable functions.

Lua counterpart: the ``th main.lua ...`` entry points. Every user error surfaces as one line on
stderr (``file: place: message``) and exit code 2; ``diff`` exits 1 when models differ.
"""
import json
import sys

import click

from .train import opts
from .errors import EnetPortError
from .train.schedules import RECIPES


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except EnetPortError as exc:
            click.echo(f"enet-port: {exc}", err=True)
            sys.exit(exc.exit_code)


def parse_shape(ctx, param, value):
    """``3x224x224`` -> (3, 224, 224)."""
    if value is None:
        return None
    try:
        shape = tuple(int(v) for v in value.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise click.BadParameter(f"'{value}' is not CxHxW with positive sizes, e.g. 3x224x224")
    return shape


@click.group(cls=_Group)
@click.version_option(package_name="enet-port")
def main():
    """Port, inspect and train the Torch7 ENet ImageNet models in PyTorch."""


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--input", "input_shape", callback=parse_shape, help="CxHxW input size (default: the spec's).")
@click.option("--classes", type=click.IntRange(1), help="Number of classes (default: the spec's).")
@click.option("--features-only", is_flag=True, help="Leave out the classifier (for inputs other than 224x224).")
@click.option("--depth", type=click.IntRange(0), default=0, show_default=True,
              help="How many levels of inner modules to expand under each entry.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def summary(spec, input_shape, classes, features_only, depth, as_json):
    """Per-entry output shape, parameters and multiply-accumulates of SPEC."""
    from .model.spec import load_spec
    from .model.summary import format_table, summarize
    from .train.schedules import check_spec_recipe
    result = summarize(check_spec_recipe(load_spec(spec)), input_shape, classes, features_only, depth)
    click.echo(json.dumps(result) if as_json else format_table(result))


def lua_options(command):
    """``--nClasses`` and ``--opt key=value``: what a Lua model file reads from its globals."""
    command = click.option("--opt", "opts", multiple=True, metavar="KEY=VALUE",
                           help="Set opt.KEY for the Lua file (repeatable), e.g. --opt depth=18; "
                                "lua:EXPR gives a Lua value, e.g. --opt \"classes=lua:{'a','b'}\".")(command)
    return click.option("--nClasses", "n_classes", type=click.IntRange(1), default=1000, show_default=True,
                        help="Value of the nClasses global (and of the spec's $nClasses).")(command)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("luafile", type=click.Path(dir_okay=False))
@lua_options
def diff(spec, luafile, n_classes, opts):
    """Compare SPEC with the model LUAFILE builds: exit 0 identical, 1 different, 2 error."""
    from .lua.diff import compare, count_modules, format_differences
    from .lua.tracer import parse_opt, trace_lua
    from .model.spec import expand, load_spec
    spec_tree = expand(load_spec(spec), classes=n_classes)
    lua_tree = trace_lua(luafile, nClasses=n_classes, opt=parse_opt(opts)).model
    differences = compare(spec_tree, lua_tree)
    if not differences:
        click.echo(f"identical: {spec} and {luafile} ({count_modules(lua_tree)} modules)")
        return
    for line in format_differences(differences):
        click.echo(line)
    click.echo(f"{len(differences)} difference(s) between {spec} and {luafile}")
    sys.exit(1)


@main.command("trace")
@click.argument("luafile", type=click.Path(dir_okay=False))
@lua_options
@click.option("--input", "input_shape", callback=parse_shape, default="3x224x224", show_default=True,
              help="CxHxW input size for the shapes.")
def trace_command(luafile, n_classes, opts, input_shape):
    """Every module LUAFILE builds, with its Lua line, output shape and parameters (Torch7 rules)."""
    from .lua.tracer import parse_opt, torch7_table, trace_lua
    from .model.shapes import format_shape
    from .model.tree import lua_call
    trace = trace_lua(luafile, nClasses=n_classes, opt=parse_opt(opts))
    rows, problem = torch7_table(trace, input_shape)
    for row in rows:
        node, shape = row["module"], row["output_shape"]
        shown = format_shape(shape) if shape is not None else "?"
        click.echo(f"{'  ' * row['depth']}{lua_call(node)}  ->  {shown}  params {row['params']}  [{node.where}]")
    total = sum(r["params"] or 0 for r in rows)
    click.echo(f"total parameters: {total:,}" + (f" (shapes stop: {problem})" if problem else ""))
    for name, where in trace.unknown:
        click.echo(f"unknown Torch7 module {name} at {where}", err=True)


@main.command("import-lua")
@click.argument("luafile", type=click.Path(dir_okay=False))
@lua_options
@click.option("--recipe", default="regimes-55", show_default=True,
              help="Training recipe to name in the spec (see `enet-port schedule`).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the spec here (default: stdout).")
def import_lua(luafile, n_classes, opts, recipe, output):
    """Write a spec for the model LUAFILE builds."""
    from .atomic import atomic_write_text
    from .lua.importer import dumps, import_lua as run_import, init_calls
    from .lua.tracer import parse_opt
    from .train.schedules import make_rule, ScheduleError
    try:
        make_rule(recipe, 0.0, 1)
    except ScheduleError as exc:
        raise click.BadParameter(str(exc), param_hint="--recipe") from None
    spec, trace = run_import(luafile, nClasses=n_classes, opt=parse_opt(opts), recipe=recipe)
    if init_calls(trace):
        click.echo(f"note: {luafile} sets the weights of {init_calls(trace)} modules after building them; "
                   "the spec keeps the structure (biases removed included), not those values", err=True)
    text = dumps(spec)
    if output:
        atomic_write_text(output, text)
    else:
        click.echo(text, nl=False)


def parse_size(ctx, param, value):
    """``640x320`` -> (640, 320) (width, height)."""
    if value is None:
        return None
    try:
        size = tuple(int(v) for v in value.lower().split("x"))
    except ValueError:
        size = ()
    if len(size) != 2 or min(size) < 1:
        raise click.BadParameter(f"'{value}' is not WxH with positive sizes, e.g. 640x320")
    return size


@main.command("import-t7")
@click.argument("t7file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Write the spec here (e.g. model.json) and the weights beside it (model.pt).")
@click.option("--input", "input_shape", callback=parse_shape,
              help="CxHxW input size for the shape check (default: what the file shows, else 224x224).")
@click.option("--recipe", default="regimes-55", show_default=True,
              help="Training recipe to name in the spec (see `enet-port schedule`).")
def import_t7(t7file, output, input_shape, recipe):
    """Write the spec and weights of a Lua-Torch7 model file (.t7/.net, torch.save binary)."""
    from .t7.load import write_import
    from .train.schedules import make_rule, ScheduleError
    try:
        make_rule(recipe, 0.0, 1)
    except ScheduleError as exc:
        raise click.BadParameter(str(exc), param_hint="--recipe") from None
    spec_path, weights_path = write_import(t7file, output, input_shape, recipe)
    click.echo(f"wrote {spec_path} and {weights_path}")


@main.command()
@click.argument("model", type=click.Path())
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--size", callback=parse_size, help="WxH to resize images to (default: the model's input size; "
                                                  "a run folder uses its own test transform).")
@click.option("-o", "--output", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for label images (segmentation) or top5.json (classifier).")
def predict(model, images, size, output):
    """Top-5 classes (classifier) or colour and label PNGs (segmentation) of IMAGES under MODEL
    (a .t7/.net file, a spec with its .pt weights, or a run folder)."""
    from .predict import predict as run_predict
    run_predict(model, images, size, output, echo=click.echo)


TRAIN_OPTIONS = [o.key for o in opts.OPTIONS]
TEST_OPTIONS = ["cache", "data", "nDonkeys", "imageSize", "cropSize", "nClasses", "batchSize", "retrain",
                "GPU", "nGPU", "backend", "device", "amp", "channels_last", "manualSeed", "conf"]


@main.command(context_settings={"show_default": True})
@click.argument("spec", type=click.Path(dir_okay=False))
@opts.click_options(TRAIN_OPTIONS)
@click.pass_context
def train(ctx, spec, **values):
    """Train SPEC as imagenet-multiGPU.torch's main.lua would (no -data: a short demo run)."""
    from .train.main import run_training
    explicit = opts.explicit_keys(ctx)
    opt = opts.resolve(values, explicit)
    if opt["data"] is None and not opt["resume"]:
        click.echo("no -data given: training on the built-in sample dataset (10 classes) for a short run", err=True)
    run_dir = run_training(spec, opt, explicit, echo=click.echo)
    click.echo(f"run folder: {run_dir}")


@main.command(context_settings={"show_default": True})
@click.argument("spec", type=click.Path(dir_okay=False))
@opts.click_options(TEST_OPTIONS)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.pass_context
def test(ctx, spec, as_json, **values):
    """Evaluate the checkpoint -retrain model_N.pt of SPEC on DATA/val."""
    from .train.main import run_test
    if not values.get("retrain"):
        raise click.UsageError("-retrain model_N.pt is required")
    opt = opts.resolve(values, opts.explicit_keys(ctx))
    result = run_test(spec, opt, echo=(lambda s: None) if as_json else click.echo)
    result.pop("confusion")
    if as_json:
        click.echo(json.dumps(result))


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@opts.click_options(["nEpochs", "epochNumber", "LR", "weightDecay", "recipe", "keep_momentum"])
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {epoch, lr, wd, new_regime}.")
def schedule(spec, nEpochs, epochNumber, LR, weightDecay, recipe, keep_momentum, as_json):
    """The LR, WD and new-regime flag of every epoch, as training will use them."""
    from .train.schedules import LUA_FILES, plan
    from .model.spec import load_spec
    recipe = recipe or load_spec(spec).recipe
    rows = plan(recipe, nEpochs, LR=LR, weightDecay=weightDecay, epochNumber=epochNumber,
                keep_momentum=keep_momentum)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows]))
        return
    click.echo(f"recipe {recipe} (Lua: {LUA_FILES[recipe]})")
    click.echo(f"{'epoch':>5}  {'LR':>12}  {'WD':>8}  new regime")
    for r in rows:
        flag = ("yes, momentum reset" if r.momentum_reset else "yes") if r.new_regime else ""
        click.echo(f"{r.epoch:>5}  {r.lr:>12.6g}  {r.wd:>8.2g}  {flag}")
    if rows and rows[0].lr == 0.0:
        click.echo(f"note: epoch {rows[0].epoch} has LR 0: the recipe starts no regime there and -LR is 0 "
                   "(train.lua does the same); give -LR to set it")


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("-o", "--output", default="curves.png", show_default=True, type=click.Path(dir_okay=False),
              help="Image to write.")
def plot(run_dirs, output):
    """Top-1 train/test error and LR against epoch for one or more RUN_DIRS."""
    from .train.plot import plot_runs
    click.echo(plot_runs(run_dirs, output))


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--batch-size", type=click.IntRange(1), default=32, show_default=True)
@click.option("--steps", type=click.IntRange(1), default=5, show_default=True, help="Timed steps after 2 warm-up steps.")
@click.option("--data", type=click.Path(file_okay=False), help="Also time the donkeys on this ImageNet-layout folder.")
@opts.click_options(["cache", "nDonkeys", "device", "amp", "channels_last"])
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench(spec, batch_size, steps, data, cache, nDonkeys, device, amp, channels_last, as_json):
    """Training/inference images per second and peak memory of SPEC (and donkey throughput)."""
    import torch
    from .train.bench import bench_data, bench_model
    if device == "cuda" and not torch.cuda.is_available():
        raise click.BadParameter("no CUDA device is available", param_hint="--device")
    dev = torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")
    result = bench_model(spec, batch_size, steps, dev, amp, channels_last)
    if data:
        result.update(bench_data(data, cache, batch_size, steps, nDonkeys))
    if as_json:
        click.echo(json.dumps(result))
    else:
        for key, value in result.items():
            click.echo(f"{key:>24}: {value:.1f}" if isinstance(value, float) else f"{key:>24}: {value}")

"""The model commands: ``summary``, ``diff``, ``trace``, ``import-lua``.

Lua counterpart: reading a model file with ``th`` and printing ``model`` (``trace``), by hand
for the rest.
"""
import json
import sys

import click

from .common import echo, input_option, parse_shape

DEFAULT_INPUT = (3, 224, 224)

@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--input", "input_shape", callback=parse_shape, help="CxHxW input size (default: the spec's).")
@click.option("--classes", type=click.IntRange(1), help="Number of classes (default: the spec's).")
@click.option("--features-only", is_flag=True, help="Leave out the classifier (for inputs other than 224x224).")
@click.option("--depth", type=click.IntRange(0), default=0, show_default=True,
              help="How many levels of inner modules to expand under each entry.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def summary(spec, input_shape, classes, features_only, depth, as_json):
    """Per-entry output shape, parameters and multiply-accumulates of SPEC."""
    from ..model.spec import load_spec
    from ..model.summary import format_table, summarize
    from ..train.schedules import check_spec_recipe
    result = summarize(check_spec_recipe(load_spec(spec)), input_shape, classes, features_only, depth)
    echo(json.dumps(result) if as_json else format_table(result))


def lua_options(command):
    """``--nClasses`` and ``--opt key=value``: what a Lua model file reads from its globals."""
    command = click.option("--opt", "lua_opts", multiple=True, metavar="KEY=VALUE",
                           help="Set opt.KEY for the Lua file (repeatable), e.g. --opt depth=18; "
                                "lua:EXPR gives a Lua value, e.g. --opt \"classes=lua:{'a','b'}\".")(command)
    command = click.option("--call", "call_name", metavar="NAME",
                           help="The builder to call when the file returns a table of functions "
                                "(e.g. --call lstm; automatic when only one takes opt).")(command)
    command = click.option("--args", "call_args", metavar="LUA",
                           help="Arguments for --call, in Lua syntax, e.g. --args \"65, 128, 2, 0.5\".")(command)
    return click.option("--nClasses", "n_classes", type=click.IntRange(1), default=1000, show_default=True,
                        help="Value of the nClasses global (and of the spec's $nClasses).")(command)


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("luafile", type=click.Path(dir_okay=False))
@lua_options
@input_option("Input size both models are shape-checked for", "the spec's")
def diff(spec, luafile, n_classes, lua_opts, call_name, call_args, input_shape):
    """Compare SPEC with the model LUAFILE builds: exit 0 identical, 1 different, 2 error."""
    from ..lua.diff import compare, count_modules, format_differences
    from ..lua.importer import check_shapes, fill_spec_planes
    from ..lua.tracer import parse_call, parse_opt, trace_lua
    from ..model.spec import expand, load_spec
    loaded = load_spec(spec)
    # custom modules are traced on stand-ins of the spec's input when none is given (char-rnn's
    # OneHot reads input:size(1))
    trace = trace_lua(luafile, nClasses=n_classes, opt=parse_opt(lua_opts), call=parse_call(call_name, call_args),
                      input_shape=loaded.input if input_shape is None else input_shape)
    if input_shape is not None:
        check_shapes(trace, input_shape)
    else:
        fill_spec_planes(trace, loaded.input)
    spec_tree = expand(loaded, classes=n_classes, input_shape=input_shape)
    lua_tree = trace.model
    differences = compare(spec_tree, lua_tree)
    if not differences:
        echo(f"identical: {spec} and {luafile} ({count_modules(lua_tree)} modules)")
        return
    for line in format_differences(differences):
        echo(line)
    echo(f"{len(differences)} difference(s) between {spec} and {luafile}")
    sys.exit(1)


@click.command("trace")
@click.argument("luafile", type=click.Path(dir_okay=False))
@lua_options
@input_option("Input size for the shapes", "the InputSize the file declares, else 3x224x224")
def trace_command(luafile, n_classes, lua_opts, call_name, call_args, input_shape):
    """Every module LUAFILE builds, with its Lua line, output shape and parameters (Torch7 rules)."""
    from ..lua.tracer import parse_call, parse_opt, torch7_table, trace_lua
    from ..model.shapes import format_shape
    from ..model.tree import lua_call
    options = dict(nClasses=n_classes, opt=parse_opt(lua_opts), call=parse_call(call_name, call_args))
    trace = trace_lua(luafile, input_shape=DEFAULT_INPUT if input_shape is None else input_shape, **options)
    if input_shape is None and trace.declared_input:  # custom modules traced again at the declared size
        trace = trace_lua(luafile, input_shape=trace.declared_input, **options)
    rows, problem = torch7_table(trace, (trace.declared_input or DEFAULT_INPUT) if input_shape is None else input_shape)
    for row in rows:
        node, shape = row["module"], row["output_shape"]
        shown = format_shape(shape) if shape is not None else "?"
        echo(f"{'  ' * row['depth']}{lua_call(node)}  ->  {shown}  params {row['params']}  [{node.where}]")
    total = sum(r["params"] or 0 for r in rows)
    echo(f"total parameters: {total:,}" + (f" (shapes stop: {problem})" if problem else ""))
    for name, where in trace.unknown:
        echo(f"unknown Torch7 module {name} at {where}", err=True)


@click.command("import-lua")
@click.argument("luafile", type=click.Path(dir_okay=False))
@lua_options
@click.option("--recipe", default="regimes-55", show_default=True,
              help="Training recipe to name in the spec (see `enet-port schedule`).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the spec here (default: stdout).")
@input_option("Input size the spec records",
              "the InputSize the file's returned table declares, else 3x224x224, or, where the model "
              "does not take it, what its first modules imply or the first of 32, 28, 64, 96, 227, 231, "
              "299 square that it takes")
def import_lua(luafile, n_classes, lua_opts, call_name, call_args, recipe, output, input_shape):
    """Write a spec for the model LUAFILE builds. The file runs twice, the second time for
    nClasses + 1, so that every argument that follows the class count is written $nClasses
    (each run has its own time limit)."""
    from ..atomic import atomic_write_text
    from ..lua.importer import dumps, import_lua as run_import, init_calls, ported_classes
    from ..lua.tracer import parse_call, parse_opt
    from ..train.schedules import make_rule, ScheduleError
    from ..userpaths import check_outputs
    try:
        make_rule(recipe, 0.0, 1)
    except ScheduleError as exc:
        raise click.BadParameter(str(exc), param_hint="--recipe") from None
    if output:
        check_outputs({"the spec": output}, {"the Lua file": luafile})
    spec, trace = run_import(luafile, nClasses=n_classes, opt=parse_opt(lua_opts), recipe=recipe,
                             input_shape=input_shape, call=parse_call(call_name, call_args))
    if input_shape is None and trace.declared_input:
        echo(f"note: {luafile} declares its input size (InputSize): the spec is for "
             f"{'x'.join(map(str, trace.declared_input))} (--input gives another)", err=True)
    elif input_shape is None and spec["input"] != list(DEFAULT_INPUT):
        echo(f"note: no --input given and the model does not take {'x'.join(map(str, DEFAULT_INPUT))}; the spec "
             f"records {'x'.join(map(str, spec['input'])) or 'one index per sample'} (what its first module implies, or the first usual "
             "image size it takes)", err=True)
    for name, file in trace.loaded:
        where = "of the project root, the folder above its own" if file.startswith("../") else "of its folder"
        echo(f"note: {luafile} uses {name} without requiring it; loaded {file} {where}, which defines "
             "it (as the project's entry point would have)", err=True)
    for name, port in ported_classes(trace):
        echo(f"note: {luafile} uses {name}, a class its project defines; taken as enet-port's record of it "
             f"(a port of {port}), its own updateOutput not traced", err=True)
    if init_calls(trace):
        echo(f"note: {luafile} sets the weights of {init_calls(trace)} modules after building them; "
                   "the spec keeps the structure (biases removed included), not those values", err=True)
    text = dumps(spec)
    if output:
        atomic_write_text(output, text)
    else:
        echo(text, nl=False)

"""The ``enet-port`` command: thin click wrappers around importable functions.

Lua counterpart: the ``th main.lua ...`` entry points. Every user error surfaces as one line on
stderr (``file: place: message``) and exit code 2; ``diff`` exits 1 when models differ.
"""
import json
import sys

import click

from .errors import EnetPortError


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
    from .summary import format_table, summarize
    result = summarize(spec, input_shape, classes, features_only, depth)
    click.echo(json.dumps(result) if as_json else format_table(result))

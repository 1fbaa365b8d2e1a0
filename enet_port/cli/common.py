"""What every command module shares: the group class that turns an :class:`EnetPortError` into
one line and its exit code, the echo that escapes what it prints, and the size parsers."""
import sys

import click

from ..errors import EnetPortError, escape


class CommandGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except EnetPortError as exc:
            click.echo(f"enet-port: {exc}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:  # click quotes file names as they are
            exc.message = escape(exc.message)
            raise


def echo(text="", err=False, nl=True):
    """``click.echo`` of ``text`` with control bytes escaped line by line (class names, module
    names, file names and Lua output are the user's input, never terminal commands)."""
    click.echo("\n".join(escape(line) for line in str(text).split("\n")), err=err, nl=nl)


def sizes_parser(names, example):
    """A click callback: ``"3x224x224"`` -> (3, 224, 224) for ``names`` "CxHxW"."""
    count = len(names.split("x"))

    def parse(ctx, param, value):
        if value is None:
            return None
        try:
            sizes = tuple(int(v) for v in value.lower().split("x"))
        except ValueError:
            sizes = ()
        if len(sizes) != count or min(sizes) < 1:
            raise click.BadParameter(f"'{value}' is not {names} with positive sizes, e.g. {example}")
        return sizes
    return parse


parse_shape = sizes_parser("CxHxW", "3x224x224")


def parse_inputs(ctx, param, values):
    """A click callback for a repeatable ``--input``: each ``N``, ``TxF``, ``CxHxW`` or ``CxTxHxW``
    (a volumetric model's clip) -> a tuple,
    ``index`` (one class index per sample, what an nn.OneHot or nn.LookupTable takes) -> ();
    one given -> that tuple, several (one per input of a graph) -> a list of them, none -> None."""
    shapes = []
    for value in values or ():
        if value.strip().lower() == "index":
            shapes.append(())
            continue
        try:
            sizes = tuple(int(v) for v in value.lower().split("x"))
        except ValueError:
            sizes = ()
        if not 1 <= len(sizes) <= 4 or min(sizes) < 1:
            raise click.BadParameter(f"'{value}' is not N, TxF, CxHxW or CxTxHxW with positive sizes, e.g. "
                                     "3x224x224, 20x13, 3 or 3x16x112x112, or 'index' (one index per sample)")
        shapes.append(sizes)
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else shapes


def input_option(what, default):
    """The repeatable ``--input`` of the model commands, one wording for its sizes."""
    return click.option("--input", "input_shape", multiple=True, callback=parse_inputs,
                        help=f"{what}: CxHxW, TxF (a sequence), N (a vector), CxTxHxW (a clip) or 'index' (one "
                             f"index per sample); once per input of a graph with several, in order "
                             f"(default: {default}).")

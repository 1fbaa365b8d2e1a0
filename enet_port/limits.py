"""The limits that keep hostile or mistaken input from exhausting the machine, in one place.

No Lua counterpart: Torch7 ran model files with full rights and built whatever a file asked for.
Each limit has a default and an environment variable that raises (or lowers) it; errors that hit
a limit name the variable (:func:`hint`). Read when used, so a test or a user can set them per
call.
"""
import os
from dataclasses import dataclass

from .errors import EnetPortError


@dataclass(frozen=True)
class Limit:
    env: str
    default: float
    ceiling: float = float("inf")  # beyond it Python itself would fail (recursion), so refused


MODULES = Limit("ENET_PORT_MAX_MODULES", 20_000)  # modules, block modules and loop passes
DEPTH = Limit("ENET_PORT_MAX_DEPTH", 100, ceiling=200)  # levels of nested containers
ACTIVATION = Limit("ENET_PORT_MAX_ACTIVATION", 2 ** 30)  # numbers per sample in one output
PARAMETERS = Limit("ENET_PORT_MAX_PARAMETERS", 200_000_000)  # VGG-19: 144 M
LUA_SECONDS = Limit("ENET_PORT_LUA_SECONDS", 10)  # CPU seconds
LUA_MEMORY_MB = Limit("ENET_PORT_LUA_MEMORY_MB", 256)  # MiB of Lua heap
LUA_OUTPUT_MB = Limit("ENET_PORT_LUA_OUTPUT_MB", 64)  # MiB of the traced model's JSON
LUA_SOURCE_MB = Limit("ENET_PORT_LUA_SOURCE_MB", 16)  # MiB of one Lua file
T7_DEPTH = Limit("ENET_PORT_T7_MAX_DEPTH", 100_000)  # tables and objects nested in a .t7 file
T7_VALUES = Limit("ENET_PORT_T7_MAX_VALUES", 10_000_000)  # values (table entries, objects) in a .t7 file
T7_COPIES = Limit("ENET_PORT_T7_MAX_COPIES", 4)  # tensor bytes copied out of a .t7 file, times its size
T7_VIEW = Limit("ENET_PORT_T7_MAX_VIEW", 2 ** 24)  # elements of a stride-0 (expand) tensor kept as a view


def value(limit):
    """The limit's value: its environment variable when set (a positive number), else the default."""
    text = os.environ.get(limit.env)
    if text is None:
        return limit.default
    try:
        number = float(text)
    except ValueError:
        number = 0
    if not 0 < number <= limit.ceiling:
        most = f" at most {limit.ceiling:g}" if limit.ceiling != float("inf") else ""
        raise EnetPortError(limit.env, f"must be a positive number{most}, got {text!r}")
    return int(number) if number.is_integer() else number


def hint(limit):
    """How to raise it, for error messages."""
    return f"set {limit.env} to raise the limit"

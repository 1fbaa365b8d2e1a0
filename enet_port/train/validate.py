"""Typed checks of what a launch reads back: a run folder's ``options.json`` and ``latest.json``,
and the variables torchrun sets.

Lua counterpart: imagenet-multiGPU.torch ``opts.lua`` checked its options once, on the command
line (``torch.CmdLine``); a run folder's saved options and the environment are read back here and
held to the same rules, the option table's own (:data:`~enet_port.train.opts.OPTIONS`): a value
click would refuse on the command line is refused from the file too, in one line that names the
file and the key, before anything in the run folder is touched.
"""
import math
import os
import tempfile

import click

from .. import userpaths
from ..errors import DataError, EnetPortError
from .opts import BY_KEY
from .schedules import RECIPES


def check_saved_options(saved, path):
    """Every known key of a loaded ``options.json`` against its option's type and range, plus
    the keys the run folder adds (``spec``, ``recipe``, ``mean``, ``std``)."""
    for key, value in saved.items():
        option = BY_KEY.get(key)
        want = _option_rule(option, value) if option else _extra_rule(key, value)
        if want:
            raise DataError(str(path), f"damaged options file ({key} is {value!r:.80}, not {want})")


def _option_rule(option, value):
    """What ``value`` should have been, or None when it fits ``option``."""
    if value is None and option.default is None:
        return None
    kind = option.type
    if kind is bool:
        return None if isinstance(value, bool) else "true or false"
    if kind is int or isinstance(kind, click.IntRange):
        least = getattr(kind, "min", None)
        fits = type(value) is int and (least is None or value >= least)
        return None if fits else "a whole number" + (f" >= {least}" if least is not None else "")
    if kind is float or isinstance(kind, click.FloatRange):
        least = getattr(kind, "min", None)
        fits = _number(value) and (least is None or value >= least)
        return None if fits else "a finite number" + (f" >= {least:g}" if least is not None else "")
    if isinstance(kind, click.Choice):
        return None if value in kind.choices else "one of " + ", ".join(kind.choices)
    return None if isinstance(value, str) else "a path"


def _extra_rule(key, value):
    if key == "spec":
        return None if isinstance(value, str) and value else "a spec file name"
    if key == "recipe":
        return None if value in RECIPES else "one of " + ", ".join(sorted(RECIPES))
    if key in ("mean", "std"):
        fits = isinstance(value, list) and len(value) == 3 and all(_number(v) for v in value)
        if fits and key == "std":
            fits = all(v > 0 for v in value)
        return None if fits else "3 finite numbers" + (" > 0" if key == "std" else "")
    return None


def _number(value):
    return type(value) in (int, float) and math.isfinite(value)


def check_pointer(data, path):
    """``latest.json``: ``(epoch, model file name, optimState file name)``, the epoch a whole
    number >= 1 and the names plain file names in the run folder, or one line naming the file."""
    if not isinstance(data, dict):
        raise DataError(str(path), "damaged pointer file (not a JSON object)")
    epoch = data.get("epoch")
    if type(epoch) is not int or epoch < 1:
        raise DataError(str(path), f"damaged pointer file: epoch is {epoch!r}, not a whole number >= 1; "
                                   "nothing was trained or overwritten")
    names = []
    for key in ("model", "optimState"):
        name = data.get(key)
        if not isinstance(name, str) or name in ("", ".", "..") or os.path.basename(name) != name:
            raise DataError(str(path), f"damaged pointer file: {key} is {name!r}, not a file name in the run folder")
        names.append(name)
    return epoch, *names


def env_count(name, least=0, default=None):
    """The whole number in environment variable ``name`` (torchrun's ``RANK``, ``WORLD_SIZE``,
    ``LOCAL_RANK``, ``TORCHELASTIC_RESTART_COUNT``); ``default`` when unset (None: required)."""
    text = os.environ.get(name)
    if text is None or (text == "" and default is not None):
        if default is None:
            raise EnetPortError(name, "not set, though LOCAL_RANK and WORLD_SIZE are: torchrun sets RANK, "
                                      "LOCAL_RANK and WORLD_SIZE together")
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < least:
        raise EnetPortError(name, f"is {text!r}, not a whole number >= {least} (torchrun sets it)")
    return value


def check_writable(run_dir, lock_file):
    """A run folder the trainer can write in (a file made and removed): a read-only or immutable
    folder is one line before anything in it changes (``lock_file`` is closed on refusal)."""
    try:
        fd, probe = tempfile.mkstemp(dir=run_dir, prefix=".write-test.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        lock_file.close()
        raise DataError(str(run_dir), f"cannot write in the run folder ({exc.strerror or exc}); "
                                      "nothing was changed") from None


# the files a trainer reads or appends to in its run folder (checkpoints go through the opener)
RUN_FILES = (".lock", "options.json", "classes.txt", "latest.json", "metrics.jsonl", "train.log", "test.log",
             "bad_images.log")


def check_run_files(run_dir):
    """A FIFO or device under one of the run folder's own names would block the append that
    opens it: refused, with every other non-regular file, before the run starts."""
    for name in RUN_FILES:
        path = os.path.join(run_dir, name)
        if os.path.lexists(path):
            userpaths.check_regular(path)

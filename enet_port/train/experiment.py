"""Experiment files: the runs of a figure set as data (``experiments/post.json``), read strictly.

Lua counterpart: none as a file; the seed post's runs were separate ``th main.lua`` command
lines (imagenet-multiGPU.torch for V2..V7, fb.resnet.torch for ResNet-18). An experiment lists
them so that one command (:mod:`enet_port.train.experiment_run`) trains them all.

Grammar (JSON):

    experiment := {"description": str, "figures": {FIGURE: title...}, "runs": [run...]}
    run        := {"name": NAME, "spec": path, "recipe": recipe name, "label": str,
                   "options": {LUA_OPTION: value...}, "seeds": [int...], "figures": [FIGURE...],
                   "description": str}

- ``name`` (required): ``[A-Za-z0-9_.-]+``, unique; the run folder is ``--out/NAME``.
- ``spec`` (required): a spec file, relative to the experiment file's folder.
- ``recipe`` (required): the LR/WD recipe of the run (``enet-port schedule``); when it is not
  the spec's own, the run gets ``--recipe``.
- ``options``: the run's own trainer options by their key in the option table
  (:mod:`enet_port.train.opts`: ``batchSize``, ``LR``, ``weightDecay``, ``nEpochs``, ``pipeline``...),
  checked as the command line checks them; not ``data``, ``cache``, ``resume``, ``run_dir``,
  ``seed``, ``manualSeed`` (use ``seeds``), ``recipe`` (use ``recipe``) or ``lr_scale``.
- ``seeds``: distinct whole numbers; one run per seed, named ``NAME-sSEED``, each with that
  ``-manualSeed``. Without ``seeds``: one run named ``NAME``, with the command line's
  ``-manualSeed`` (default 2).
- ``figures`` (required): names of the top-level ``figures`` the run is drawn in; ``label``:
  its name in the figures (default: the name).

Any unknown key, missing key, missing spec file or bad option value is one line naming the file
and the entry (``post.json: runs[3] (v7): options.batchSize: ...``).
"""
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import click

from . import opts, schedules
from ..errors import EnetPortError, SpecError
from ..model.spec import load_spec

TOP_KEYS = {"description", "figures", "runs"}
RUN_KEYS = {"name", "spec", "recipe", "label", "options", "seeds", "figures", "description"}
REQUIRED_RUN_KEYS = ("name", "spec", "recipe", "figures")
NOT_PER_RUN = {"data", "cache", "resume", "run_dir", "seed", "manualSeed", "recipe", "lr_scale"}
NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class ExperimentError(EnetPortError):
    """A malformed experiment file: ``where`` is ``file: runs[i] (name): key``."""


@dataclass(frozen=True)
class Entry:
    """One run of an experiment: ``name`` (with the seed suffix), the entry it comes from."""
    name: str
    entry: str
    spec: str
    recipe: str
    label: str
    options: dict
    figures: tuple
    seed: int = None


@dataclass
class Experiment:
    path: str
    description: str
    figures: dict
    runs: list = field(default_factory=list)

    def select(self, only):
        """The runs named in ``only`` (run names or entry names, comma-separated); all when empty."""
        if not only:
            return list(self.runs)
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        known = {r.name for r in self.runs} | {r.entry for r in self.runs}
        for name in wanted:
            if name not in known:
                raise ExperimentError(f"--only {name}", f"no such run in {self.path} (runs: "
                                                        f"{', '.join(r.name for r in self.runs)})")
        return [r for r in self.runs if r.name in wanted or r.entry in wanted]


def load_experiment(path):
    path = str(path)
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ExperimentError(path, f"cannot read: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise ExperimentError(path, f"invalid JSON: {getattr(exc, 'msg', type(exc).__name__)}") from None
    if not isinstance(data, dict):
        raise ExperimentError(path, "an experiment is a JSON object")
    for key in data:
        if key not in TOP_KEYS:
            raise ExperimentError(f"{path}: {key}", f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    figures, runs = data.get("figures"), data.get("runs")
    if not isinstance(figures, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in figures.items()):
        raise ExperimentError(f"{path}: figures", "must be an object {figure name: title}")
    if not isinstance(runs, list) or not runs:
        raise ExperimentError(f"{path}: runs", "must be a non-empty list of runs")
    experiment = Experiment(path, str(data.get("description", "")), figures)
    for i, item in enumerate(runs):
        for run in _parse_run(path, i, item, figures):
            if any(r.name == run.name for r in experiment.runs):
                raise ExperimentError(f"{path}: runs[{i}] ({run.entry})", f"run name '{run.name}' used twice")
            experiment.runs.append(run)
    return experiment


def _parse_run(path, i, item, figures):
    where = f"{path}: runs[{i}]"
    if not isinstance(item, dict):
        raise ExperimentError(where, "a run is a JSON object")
    name = item.get("name")
    if isinstance(name, str) and NAME.match(name):
        where = f"{where} ({name})"
    for key in item:
        if key not in RUN_KEYS:
            raise ExperimentError(f"{where}: {key}", f"unknown key (known: {', '.join(sorted(RUN_KEYS))})")
    for key in REQUIRED_RUN_KEYS:
        if key not in item:
            raise ExperimentError(f"{where}: {key}", "missing")
    if not isinstance(name, str) or not NAME.match(name):
        raise ExperimentError(f"{where}: name", "must be letters, digits, '_', '.' or '-' (it names the run folder)")
    spec = _spec_path(path, where, item["spec"])
    recipe = item["recipe"]
    if recipe not in schedules.RECIPES:
        raise ExperimentError(f"{where}: recipe", f"unknown recipe {recipe!r} (known: "
                                                  f"{', '.join(sorted(schedules.RECIPES))})")
    options = _options(where, item.get("options", {}))
    names = item["figures"]
    if not isinstance(names, list) or not all(isinstance(f, str) for f in names):
        raise ExperimentError(f"{where}: figures", "must be a list of figure names")
    for figure in names:
        if figure not in figures:
            raise ExperimentError(f"{where}: figures", f"no figure '{figure}' in the top-level figures "
                                                       f"({', '.join(figures)})")
    label = item.get("label", name)
    if not isinstance(label, str):
        raise ExperimentError(f"{where}: label", "must be a string")
    seeds = _seeds(where, item.get("seeds"))
    make = lambda run_name, seed: Entry(run_name, name, spec, recipe, label if seed is None else f"{label} (seed {seed})",
                                        options, tuple(names), seed)
    return [make(name, None)] if seeds is None else [make(f"{name}-s{s}", s) for s in seeds]


def _spec_path(path, where, value):
    if not isinstance(value, str) or not value:
        raise ExperimentError(f"{where}: spec", "must be the path of a spec file")
    spec = Path(path).parent / value
    if not spec.is_file():
        raise ExperimentError(f"{where}: spec", f"no spec file {spec}")
    try:
        load_spec(spec)
    except SpecError as exc:
        raise ExperimentError(f"{where}: spec", str(exc)) from None
    return os.path.normpath(spec)


def _options(where, options):
    if not isinstance(options, dict):
        raise ExperimentError(f"{where}: options", "must be an object {option: value}")
    checked = {}
    for key, value in options.items():
        option = opts.BY_KEY.get(key)
        if option is None or opts.TRAIN not in option.commands:
            raise ExperimentError(f"{where}: options.{key}", "not an option of `enet-port train`")
        if key in NOT_PER_RUN:
            raise ExperimentError(f"{where}: options.{key}", "set on the command line or by the run's own "
                                                             "key (recipe, seeds), not per run")
        checked[key] = _option_value(f"{where}: options.{key}", option, value)
    return checked


def _option_value(where, option, value):
    if option.type is bool:
        if not isinstance(value, bool):
            raise ExperimentError(where, "must be true or false")
        return value
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise ExperimentError(where, f"not a valid value: {json.dumps(value)}")
    try:
        return click.types.convert_type(option.type).convert(value, None, None)
    except click.BadParameter as exc:
        raise ExperimentError(where, exc.format_message()) from None


def _seeds(where, seeds):
    if seeds is None:
        return None
    if not (isinstance(seeds, list) and seeds and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                      for s in seeds) and len(set(seeds)) == len(seeds)):
        raise ExperimentError(f"{where}: seeds", "must be a non-empty list of distinct whole numbers >= 0")
    return seeds

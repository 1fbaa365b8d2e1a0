"""Per-epoch checkpoints: ``model_N.pt``, ``optimState_N.pt`` and a ``latest.json`` pointer.

Ports imagenet-multiGPU.torch's ``saveDataParallel``/``torch.save`` of ``model_N.t7`` and
``optimState_N.t7`` and fb.resnet.torch ``checkpoints.lua``'s ``latest`` pointer. Every file is
written atomically and the pointer last, so a crash or kill leaves the previous epoch loadable.
Files hold tensors, numbers, strings and lists only, and are read with ``weights_only=True``.
"""
import json
import warnings
from pathlib import Path

import torch

from ..atomic import atomic_write, atomic_write_text
from ..errors import EnetPortError


def unwrap(model):
    """The model inside ``nn.DataParallel`` (Lua: the GPU-1 replica)."""
    return model.module if isinstance(model, torch.nn.DataParallel) else model


def save(run_dir, epoch, model, optimizer, lr, wd, opt, spec_path):
    run_dir = Path(run_dir)
    state = {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}
    _save(run_dir / f"model_{epoch}.pt", {"model": state, "epoch": epoch, "spec": str(spec_path), "options": opt})
    rng = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    _save(run_dir / f"optimState_{epoch}.pt", {"optimizer": optimizer.state_dict(), "lr": lr, "wd": wd,
                                               "epoch": epoch, "rng": rng, "options": opt})
    pointer = {"epoch": epoch, "model": f"model_{epoch}.pt", "optimState": f"optimState_{epoch}.pt"}
    atomic_write_text(run_dir / "latest.json", json.dumps(pointer))


def _save(path, obj):
    atomic_write(path, lambda f: torch.save(obj, f))


def load(path):
    """A checkpoint file, safely; one-line error when it is missing or damaged."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns before failing on foreign pickles
            return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise EnetPortError(str(path), "no such checkpoint") from None
    except Exception as exc:  # torch raises many kinds for a damaged file
        raise EnetPortError(str(path), f"not a readable checkpoint ({type(exc).__name__})") from None


def latest(run_dir):
    """``(epoch, model_path, optim_path)`` of the last complete epoch of ``run_dir``."""
    run_dir = Path(run_dir)
    pointer = run_dir / "latest.json"
    if not pointer.is_file():
        raise EnetPortError(str(run_dir), "no latest.json: no complete epoch to resume from")
    try:
        data = json.loads(pointer.read_text())
        return int(data["epoch"]), run_dir / data["model"], run_dir / data["optimState"]
    except (ValueError, KeyError, TypeError):
        raise EnetPortError(str(pointer), "damaged pointer file") from None


def remove_partial_files(run_dir):
    """Temporary files a killed writer left behind (never under a final name)."""
    for tmp in Path(run_dir).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def load_model_into(model, path):
    data = load(path)
    if not isinstance(data, dict) or "model" not in data:
        raise EnetPortError(str(path), "not a model_N.pt checkpoint")
    try:
        unwrap(model).load_state_dict(data["model"])
    except RuntimeError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "state does not match"
        raise EnetPortError(str(path), f"does not fit this model: {first}") from None
    return data


def load_optim_state(path):
    """An optimState_N.pt: optimizer state, lr, wd and RNG state, checked."""
    data = load(path)
    if not isinstance(data, dict) or not {"optimizer", "lr", "wd", "rng"} <= set(data):
        raise EnetPortError(str(path), "not an optimState_N.pt checkpoint")
    return data


def restore_rng(state):
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])

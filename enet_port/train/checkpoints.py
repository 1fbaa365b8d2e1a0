"""Per-epoch checkpoints: ``model_N.pt``, ``optimState_N.pt``, ``model_best.pt`` and a
``latest.json`` pointer.

Ports imagenet-multiGPU.torch's ``saveDataParallel``/``torch.save`` of ``model_N.t7`` and
``optimState_N.t7`` and fb.resnet.torch ``checkpoints.lua`` (its ``latest`` pointer and
``model_best.t7``). Every file is written atomically and the pointer last, so a crash or kill
leaves the previous epoch loadable. Files hold tensors, numbers, strings and lists only, and are
read with ``weights_only=True``.
"""
import json
import numbers
import signal
import threading
import warnings
from pathlib import Path

import torch

from .. import userpaths
from ..atomic import atomic_write, atomic_write_text
from ..errors import EnetPortError
from .validate import check_pointer


class CheckpointError(EnetPortError):
    """A checkpoint that is missing, damaged, or does not fit."""


def unwrap(model):
    """The model inside DistributedDataParallel (Lua: the GPU-1 replica)."""
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def save(run_dir, epoch, model, optimizer, lr, wd, options, spec_path, classes, best=False):
    """The epoch's files, then the pointer; a write that fails (a full disk, ``ulimit -f``, a
    folder made read-only) is one line: every file is written atomically and the pointer last,
    so the run folder still holds the last complete epoch, whole."""
    if hasattr(signal, "SIGXFSZ") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past ulimit -f: an error to report, not a kill
    try:
        _save_epoch(Path(run_dir), epoch, model, optimizer, lr, wd, options, spec_path, classes, best)
    except (OSError, RuntimeError) as exc:
        cause = _os_error(exc)
        if cause is None:
            raise
        raise CheckpointError(str(run_dir), f"could not write the epoch {epoch} checkpoint "
                                            f"({cause.strerror or cause}); nothing lost: latest.json still names "
                                            f"the last complete epoch, whose files are whole") from None


def _os_error(exc):
    """The OSError behind ``exc`` (torch.save's zip writer turns a failed write into a
    RuntimeError), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _save_epoch(run_dir, epoch, model, optimizer, lr, wd, options, spec_path, classes, best):
    state = {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}
    model_file = {"model": state, "epoch": epoch, "spec": str(spec_path), "options": options, "classes": classes}
    _save(run_dir / f"model_{epoch}.pt", model_file)
    if best:
        atomic_write(run_dir / "model_best.pt", lambda f: f.write((run_dir / f"model_{epoch}.pt").read_bytes()))
    rng = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    _save(run_dir / f"optimState_{epoch}.pt", {"optimizer": optimizer.state_dict(), "lr": lr, "wd": wd,
                                               "epoch": epoch, "rng": rng, "options": options})
    pointer = {"epoch": epoch, "model": f"model_{epoch}.pt", "optimState": f"optimState_{epoch}.pt"}
    atomic_write_text(run_dir / "latest.json", json.dumps(pointer))


def _save(path, obj):
    atomic_write(path, lambda f: torch.save(obj, f))


def load(path):
    """A checkpoint file, safely; one-line error when it is missing or damaged."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns before failing on foreign pickles
            with userpaths.open_regular(path) as file:
                return torch.load(file, map_location="cpu", weights_only=True)
    except userpaths.NotRegularFile:
        raise
    except FileNotFoundError:
        raise CheckpointError(str(path), "no such checkpoint") from None
    except Exception as exc:  # torch raises many kinds for a damaged file
        raise CheckpointError(str(path), f"not a readable checkpoint ({type(exc).__name__})") from None


def latest(run_dir):
    """``(epoch, model_path, optim_path)`` of the last complete epoch of ``run_dir``."""
    run_dir = Path(run_dir)
    pointer = run_dir / "latest.json"
    if not pointer.is_file():
        raise CheckpointError(str(run_dir), "no latest.json: no complete epoch to resume from")
    try:
        data = json.loads(userpaths.read_bytes(pointer))
    except (ValueError, OSError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise CheckpointError(str(pointer), "damaged pointer file") from None
    epoch, model_name, optim_name = check_pointer(data, pointer)
    return epoch, run_dir / model_name, run_dir / optim_name


def remove_partial_files(run_dir):
    """Temporary files a killed writer left behind (never under a final name)."""
    for tmp in Path(run_dir).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def load_model_checkpoint(path):
    """A model_N.pt: a dict whose ``model`` maps names to tensors."""
    data = load(path)
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict) or \
            not all(isinstance(v, torch.Tensor) for v in data["model"].values()):
        raise CheckpointError(str(path), "not a model_N.pt checkpoint")
    return data


def load_state_into(model, data, path, reset_classifier=False, can_reset=True):
    """Copy a loaded model_N.pt's weights into ``model``; with ``reset_classifier`` the last
    nn.Linear keeps its fresh weights (fb.resnet.torch ``-resetClassifier``). A checkpoint of
    another class count says which ``-nClasses`` fits (``can_reset``: and that fine-tuning is
    ``--reset-classifier``)."""
    state = dict(data["model"])
    if not reset_classifier:
        _check_class_count(unwrap(model), state, path, can_reset)
    if reset_classifier:
        name = _last_linear(unwrap(model), path)
        state = {k: v for k, v in state.items() if not k.startswith(name + ".")}
        state.update({k: v for k, v in unwrap(model).state_dict().items() if k.startswith(name + ".")})
    try:
        unwrap(model).load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(str(path), f"does not fit this model: {_mismatch(exc)}") from None


def _check_class_count(model, state, path, can_reset):
    """The last nn.Linear's output count is the class count (PyTorch's own error is a raw
    ``size mismatch`` between two torch.Size)."""
    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    saved = state.get(f"{names[-1]}.weight") if names else None
    if saved is None or saved.dim() != 2:
        return
    ours = model.get_submodule(names[-1]).weight.shape
    if saved.shape[1] == ours[1] and saved.shape[0] != ours[0]:
        hint = f"pass -nClasses {saved.shape[0]}" + (", or --reset-classifier to fine-tune" if can_reset else "")
        raise CheckpointError("", f"{path} has {saved.shape[0]} classes, this run -nClasses {ours[0]}: "
                                  f"{hint}")


def _last_linear(model, path):
    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    if not names:
        raise CheckpointError(str(path), "--reset-classifier: the model has no nn.Linear to replace")
    return names[-1]


def _mismatch(exc):
    """PyTorch's multi-line load_state_dict error as one line."""
    lines = [line.strip() for line in str(exc).splitlines()[1:] if line.strip()]
    return "; ".join(lines)[:600] or "state does not match"


def load_optim_state(path):
    """An optimState_N.pt: optimizer state, lr, wd and RNG state, checked."""
    data = load(path)
    if not isinstance(data, dict) or not {"optimizer", "lr", "wd", "rng"} <= set(data):
        raise CheckpointError(str(path), "not an optimState_N.pt checkpoint")
    for key in ("lr", "wd"):
        if not isinstance(data[key], numbers.Real) or isinstance(data[key], bool) or data[key] < 0:
            raise CheckpointError(str(path), f"{key} is {data[key]!r}, not a number >= 0")
    if not isinstance(data["optimizer"], dict) or not isinstance(data["rng"], dict):
        raise CheckpointError(str(path), "damaged optimizer or RNG state")
    return data


def load_optimizer_state(optimizer, state, path):
    """optimizer.load_state_dict, after checking that every saved buffer fits its parameter
    (PyTorch checks only the counts, and would fail at the first step)."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    try:
        saved = state["state"]
        for index, buffers in saved.items():
            for name, value in buffers.items():
                if isinstance(value, torch.Tensor) and value.dim() and value.shape != params[index].shape:
                    raise ValueError(f"{name} of parameter {index} is {tuple(value.shape)}, "
                                     f"the model's is {tuple(params[index].shape)}")
        optimizer.load_state_dict(state)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RuntimeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(str(path), f"optimizer state does not fit this model: {message}") from None


def restore_rng(state, path=""):
    try:
        torch.set_rng_state(state["torch"])
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
    except (KeyError, TypeError, RuntimeError):
        raise CheckpointError(str(path), "damaged RNG state") from None


def classes_beside(path):
    """Class names from ``classes.txt`` in the checkpoint's run folder, or None."""
    listing = Path(path).parent / "classes.txt"
    return listing.read_text().split() if listing.is_file() else None


def load_model_into(model, path, reset_classifier=False):
    """Read a model_N.pt (or an imported model.pt) into ``model``; returns the file's dict."""
    data = load_model_checkpoint(path)
    load_state_into(model, data, path, reset_classifier)
    return data

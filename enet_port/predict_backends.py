"""Where ``enet-port predict``'s images come from and what runs the model on them: the files,
folders and globs given, and the backend (eager PyTorch, ``torch.compile``, ONNX Runtime).

Lua counterpart: none (Torch7 forwarded one image at a time on the model it had); the backends
are a PyTorch addition (issue 20). ``enet_port/predict.py`` is the command over these.
"""
import dataclasses
import glob
from pathlib import Path

import torch

from .errors import DataError, EnetPortError

BACKENDS = ("torch", "compile", "onnxruntime")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".ppm", ".bmp", ".tif", ".tiff", ".webp"}


def image_paths(arguments):
    """Files as given; a folder's image files and a glob's matches, each sorted."""
    paths = []
    for argument in map(str, arguments):
        if Path(argument).is_dir():
            paths += sorted(p for p in Path(argument).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif not Path(argument).exists() and glob.has_magic(argument):
            paths += [Path(p) for p in sorted(glob.glob(argument))]
        else:
            paths.append(Path(argument))
    if not paths:
        raise DataError(", ".join(map(str, arguments)), "no images there")
    return paths


def with_backend(predictor, model_path, backend):
    """The predictor on ``backend``: eager, ``torch.compile`` or ONNX Runtime (a model that is not
    an ONNX file is exported to one first)."""
    is_onnx = Path(model_path).suffix == ".onnx"
    backend = backend or ("onnxruntime" if is_onnx else "torch")
    if is_onnx and backend != "onnxruntime":
        raise EnetPortError(str(model_path), f"an ONNX file runs on --backend onnxruntime, not {backend}")
    if backend == "compile":
        return dataclasses.replace(predictor, model=torch.compile(predictor.model))
    if backend == "onnxruntime" and not is_onnx:
        return dataclasses.replace(predictor, model=on_onnxruntime(predictor.model, predictor.preprocessing["input"]))
    return predictor


def on_onnxruntime(model, input_shape):
    """``model`` exported to a temporary ONNX file (batch and size symbolic) and loaded on ONNX Runtime."""
    import tempfile
    from .export import files, program, runtime
    x = torch.rand(2, *input_shape)
    exported = program.export_program(model, x, dynamic=True)
    with tempfile.TemporaryDirectory() as folder:
        files.write_onnx(exported, model, x, Path(folder) / "model.onnx", {})
        return runtime.OnnxRuntimeModel(Path(folder) / "model.onnx")


def run_batch(predictor, image_paths):
    """The model's output for several images, read and stacked into one batch."""
    x = torch.cat([predictor.read(p) for p in image_paths])
    param = next(predictor.model.parameters(), None)
    with torch.no_grad():
        return predictor.model(x.to(param.dtype if param is not None else torch.float32))

"""``enet-port export``: a model as predict opens it (``.t7``/``.net``, spec with weights, run
folder) written as an ONNX or ``.pt2`` file with its class names and preprocessing.

Lua counterpart: none (a Torch7 model left Lua only as a ``torch.save`` file). Sits above
``predict`` because it opens models the way predict does, so that an exported file is read the
way its source was.
"""
from pathlib import Path

from .export import files, program
from .export.extra import ExportError
from .predict import open_model


def export_model(model_path, output, size=None, input_shape=None, batch=1, dynamic=False, opset=None,
                 optimize=True):
    """Write ``output`` (``.onnx`` or ``.pt2``); returns the metadata written."""
    output = Path(output)
    if output.suffix not in (".onnx", ".pt2"):
        raise ExportError(str(output), "the output is a .onnx (ONNX) or .pt2 (torch.export) file")
    if batch < 1:
        raise ExportError(None, f"--batch {batch}: a batch holds at least one image")
    predictor = open_model(model_path, size)
    pre = dict(predictor.preprocessing)
    if input_shape:
        pre["input"] = list(input_shape)
    x = program.example_input(tuple(pre["input"]), batch, dynamic)
    exported = program.export_program(predictor.model, x, dynamic)
    metadata = {"source": str(model_path), "classes": predictor.classes, "input": pre.pop("input"),
                "preprocessing": pre, "dynamic": program.dynamic_dims(exported) if dynamic else []}
    if output.suffix == ".onnx":
        files.write_onnx(exported, predictor.model, x, output, metadata, opset, optimize)
    else:
        files.write_pt2(exported, output, metadata)
    return metadata

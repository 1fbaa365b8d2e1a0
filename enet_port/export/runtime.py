"""Running exported files again: an ONNX file on ONNX Runtime, a ``.pt2`` file as torch.export
loads it, each with the metadata ``enet-port export`` wrote.

Lua counterpart: none. Both are wrapped as ``nn.Module`` so that ``predict`` runs them as it runs
any model (evaluation mode, a batch in, a batch out).
"""
import json
from pathlib import Path

import torch

from .extra import ExportError, need
from .files import METADATA_KEY

SUFFIXES = (".onnx", ".pt2")


CPU = ("CPUExecutionProvider",)


def _check_providers(ort, providers, path):
    missing = [p for p in providers if p not in ort.get_available_providers()]
    if missing:
        raise ExportError(str(path), f"this ONNX Runtime has no {', '.join(missing)} (it has "
                                     f"{', '.join(ort.get_available_providers())}); the GPU providers "
                                     "come with pip install onnxruntime-gpu")


class OnnxRuntimeModel(torch.nn.Module):
    """An ONNX file on ONNX Runtime (its CPU provider unless ``providers`` names others, in order of
    preference: CUDAExecutionProvider, TensorrtExecutionProvider); a graph with a fixed batch size
    runs a larger batch in slices of that size (the last one padded)."""

    def __init__(self, path, threads=None, providers=CPU):
        super().__init__()
        ort = need("onnxruntime", "--backend onnxruntime")
        _check_providers(ort, providers, path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=list(providers))
        except Exception as exc:
            raise ExportError(str(path), f"ONNX Runtime cannot load it ({str(exc).splitlines()[0]})") from None
        self.input = self.session.get_inputs()[0]
        self.metadata = {k: json.loads(v) for k, v in self.session.get_modelmeta().custom_metadata_map.items()}

    @property
    def fixed_shape(self):
        """The input's sizes, None where the graph leaves a dimension symbolic."""
        return [d if isinstance(d, int) else None for d in self.input.shape]

    def forward(self, x):
        batch = self.fixed_shape[0] or x.shape[0]
        outputs = []
        for start in range(0, x.shape[0], batch):
            part = x[start:start + batch]
            n = part.shape[0]
            if n < batch:
                part = torch.cat([part, part.new_zeros((batch - n, *part.shape[1:]))])
            y = self.session.run(None, {self.input.name: part.contiguous().numpy()})[0]
            outputs.append(torch.from_numpy(y)[:n])
        return torch.cat(outputs)


def load_exported(path, threads=None):
    """``(module, metadata)`` of an ``.onnx`` (ONNX Runtime) or ``.pt2`` (torch.export) file."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(str(path), "no such exported model file")
    if path.suffix == ".onnx":
        model = OnnxRuntimeModel(path, threads)
        return model, model.metadata
    files = {f"{METADATA_KEY}.json": ""}
    try:
        program = torch.export.load(str(path), extra_files=files)
    except Exception as exc:
        raise ExportError(str(path), f"torch.export.load cannot read it ({str(exc).splitlines()[0]})") from None
    return program.module(), json.loads(files[f"{METADATA_KEY}.json"] or "{}")

"""Writing an ExportedProgram as an ONNX file (``torch.onnx.export``, the dynamo exporter) or a
``.pt2`` file (``torch.export.save``), each carrying enet-port's metadata (class names,
preprocessing, input size) so that a consumer need not guess.

Lua counterpart: none. The dynamo exporter is the one torch 2.11 and 2.14 both recommend (the
TorchScript exporter is deprecated there); NOTES.md says why in full.
"""
import io
import json

import torch

from ..atomic import atomic_write
from .extra import ExportError, need
from .program import DIMS, locate_refusal

METADATA_KEY = "enet_port"  # the .pt2 extra file is METADATA_KEY + ".json"


def write_onnx(program, model, x, path, metadata, opset=None, optimize=True):
    """``program`` as an ONNX file at ``path``; ``metadata`` (a dict of JSON values) goes into
    the model's ``metadata_props``, one key each, values as JSON text."""
    proto = onnx_proto(program, model, x, opset, optimize)
    rename_symbolic_dims(proto)
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    atomic_write(path, lambda f: f.write(proto.SerializeToString()))


def onnx_proto(program, model, x, opset=None, optimize=True):
    """The ONNX ModelProto of ``program`` (opset ``opset``; None: the exporter's default)."""
    need("onnx", "ONNX export")
    need("onnxscript", "ONNX export")

    def translate(module_or_program, args):
        return torch.onnx.export(module_or_program, args, dynamo=True, opset_version=opset,
                                 optimize=optimize, verbose=False, input_names=["input"],
                                 output_names=["output"])
    try:
        proto = translate(program, (x,)).model_proto
    except Exception as exc:
        raise locate_refusal(model, x, exc, translate) from None
    written = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    if opset is not None and written != opset:  # the exporter keeps its own when conversion fails
        raise ExportError(None, f"--opset {opset}: the exporter could not convert the graph to it "
                                f"(it wrote opset {written}; 18 and up work)")
    return proto


def rename_symbolic_dims(proto):
    """Name the input's symbolic dimensions ``batch``, ``height``, ``width`` (torch.export calls
    them s0, s1...) wherever they appear in the graph's inputs, outputs and value infos."""
    graph = proto.graph
    names = {d.dim_param: DIMS[i] for i, d in enumerate(graph.input[0].type.tensor_type.shape.dim)
             if d.dim_param}
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        for d in value.type.tensor_type.shape.dim:
            if d.dim_param in names:
                d.dim_param = names[d.dim_param]


def write_pt2(program, path, metadata):
    """``program`` as a ``.pt2`` file; ``torch.export.load(path, extra_files={"enet_port.json": ""})``
    reads it back with the metadata, without this package."""
    def save(f):
        buffer = io.BytesIO()
        torch.export.save(program, buffer, extra_files={f"{METADATA_KEY}.json": json.dumps(metadata)})
        f.write(buffer.getvalue())
    atomic_write(path, save)


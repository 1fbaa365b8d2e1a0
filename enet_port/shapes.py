"""Output shapes and parameter counts from the Torch7 rules alone (no PyTorch).

The formulas are those of torch/nn's ``updateOutput`` size computations (THNN
SpatialConvolutionMM, SpatialMaxPooling, SpatialAveragePooling, JoinTable, Padding, View) and
the parameter tensors each module's ``__init`` allocates. Shapes are per sample (no batch
dimension); a table of tensors is a list of shapes. Used to check specs before building, by the
Lua tracer, and by the parity tests against the PyTorch models.
"""
import math

from .registry import base_name, resolve_args


class ShapeError(ValueError):
    """A module that cannot take the shape its predecessor gives."""


def infer(node, shape, record=None):
    """Output shape of ``node`` for a per-sample input ``shape``; ``record`` collects
    ``(node, output shape)`` for the node and every module inside it, in walk order."""
    kind = base_name(node.name)
    if kind not in _RULES and kind not in ("Sequential", "ConcatTable", "Concat"):
        raise ShapeError(f"unknown Torch7 module {node.name}: no shape rule")
    a = resolve_args(node)
    entry = (node, None)
    if record is not None:
        record.append(entry)
    if kind == "Sequential":
        out = shape
        for child in node.children:
            out = infer(child, out, record)
    elif kind == "ConcatTable":
        out = [infer(child, shape, record) for child in node.children]
    elif kind == "Concat":
        joined = [infer(child, shape, record) for child in node.children]
        out = _join(node, {"dimension": a["dimension"], "nInputDims": None}, joined)
    else:
        out = _RULES[kind](node, a, shape)
    if record is not None:
        record[record.index(entry)] = (node, out)
    return out


def param_tensors(node):
    """The parameter tensors Torch7's constructor allocates: field name -> sizes."""
    a = resolve_args(node)
    kind = base_name(node.name)
    bias = not node.has_modifier("noBias")
    if kind in ("SpatialConvolution", "SpatialDilatedConvolution"):
        n_out = a["nOutputPlane"]
        weight = [n_out, a["nInputPlane"] // a.get("groups", 1), a["kH"], a["kW"]]
        return {"weight": weight, **({"bias": [n_out]} if bias else {})}
    if kind in ("SpatialBatchNormalization", "BatchNormalization"):
        return {"weight": [a["nOutput"]], "bias": [a["nOutput"]]} if a["affine"] else {}
    if kind == "PReLU":
        return {"weight": [max(a["nOutputPlane"], 1)]}
    if kind == "Linear":
        with_bias = bias and a["bias"]
        return {"weight": [a["outputSize"], a["inputSize"]], **({"bias": [a["outputSize"]]} if with_bias else {})}
    return {}


def param_count(node):
    """Trainable numbers the module itself owns (children not included)."""
    return sum(math.prod(sizes) for sizes in param_tensors(node).values())


def _tensor(shape, dims, node):
    if isinstance(shape, list) or len(shape) != dims:
        raise ShapeError(f"{node.name} expects a {dims}-D sample, gets {format_shape(shape)}")
    return shape


def _planes(shape, expected, node):
    if shape[0] != expected:
        raise ShapeError(f"{node.name} expects {expected} input planes, gets {shape[0]} "
                         f"(shape {format_shape(shape)})")


def _out_size(size, k, d, pad, dil, ceil, node):
    span = (size + 2 * pad - dil * (k - 1) - 1) / d
    out = (math.ceil(span) if ceil else math.floor(span)) + 1
    if ceil and pad and (out - 1) * d >= size + pad:
        out -= 1  # Torch7 drops a last window that starts in the padding (only when padded)
    if out < 1:
        raise ShapeError(f"{node.name}: input {size} too small for kernel {k}")
    return out


def _conv(node, a, shape):
    c, h, w = _tensor(shape, 3, node)
    _planes(shape, a["nInputPlane"], node)
    dh, dw = a.get("dilationH", 1), a.get("dilationW", 1)
    return (a["nOutputPlane"], _out_size(h, a["kH"], a["dH"], a["padH"], dh, False, node),
            _out_size(w, a["kW"], a["dW"], a["padW"], dw, False, node))


def _pool(node, a, shape):
    c, h, w = _tensor(shape, 3, node)
    ceil = node.has_modifier("ceil") and [m[0] for m in node.modifiers][-1] != "floor"
    return (c, _out_size(h, a["kH"], a["dH"], a["padH"], 1, ceil, node),
            _out_size(w, a["kW"], a["dW"], a["padW"], 1, ceil, node))


def _same(node, a, shape):
    return shape


def _per_plane(key):
    def rule(node, a, shape):
        if isinstance(shape, list):
            raise ShapeError(f"{node.name} expects a tensor, gets a table")
        if a[key] and shape[0] != a[key]:
            _planes(shape, a[key], node)
        return shape
    return rule


def _padding(node, a, shape):
    # Models run batched: dim counts the batch unless nInputDim says the input is batched.
    batched_dims = len(shape) + 1
    shift = a["nInputDim"] is not None and batched_dims != a["nInputDim"]
    out = list(shape)
    out[_sample_dim(a["dim"] + shift, node)] += abs(a["pad"])
    return tuple(out)


def _sample_dim(batched_lua_dim, node):
    """Lua dim of the batched tensor -> index into the per-sample shape."""
    if batched_lua_dim < 2:
        raise ShapeError(f"{node.name} works along the batch dimension")
    return batched_lua_dim - 2


def _zero_pad(node, a, shape):
    c, h, w = _tensor(shape, 3, node)
    return (c, h + a["pad_t"] + a["pad_b"], w + a["pad_l"] + a["pad_r"])


def _join(node, a, shapes):
    if not isinstance(shapes, list):
        raise ShapeError(f"{node.name} expects a table of tensors, gets {format_shape(shapes)}")
    if a["dimension"] < 0:
        dim = len(shapes[0]) + a["dimension"]
    else:
        shift = a["nInputDims"] is not None and len(shapes[0]) == a["nInputDims"]
        dim = _sample_dim(a["dimension"] + shift, node)
    rest = {tuple(s[:dim]) + tuple(s[dim + 1:]) for s in shapes}
    if len(rest) != 1:
        raise ShapeError(f"{node.name} cannot join shapes {format_shape(shapes)} along dim {a['dimension']}")
    out = list(shapes[0])
    out[dim] = sum(s[dim] for s in shapes)
    return tuple(out)


def _cadd(node, a, shapes):
    if not isinstance(shapes, list) or len(set(shapes)) != 1:
        raise ShapeError(f"{node.name} needs a table of equal shapes, gets {format_shape(shapes)}")
    return shapes[0]


def _view(node, a, shape):
    sizes, total = list(a["sizes"]), math.prod(shape)
    if -1 in sizes:
        sizes[sizes.index(-1)] = total // -math.prod(sizes)
    if math.prod(sizes) != total:
        raise ShapeError(f"{node.name}({', '.join(map(str, a['sizes']))}) cannot view {format_shape(shape)} "
                         f"({total} elements per sample)")
    return tuple(sizes)


def _linear(node, a, shape):
    if len(shape) != 1 or shape[0] != a["inputSize"]:
        raise ShapeError(f"{node.name} expects {a['inputSize']} inputs, gets {format_shape(shape)}")
    return (a["outputSize"],)


def format_shape(shape):
    if isinstance(shape, list):
        return "{" + ", ".join(format_shape(s) for s in shape) + "}"
    return "x".join(str(s) for s in shape)


_RULES = {
    "SpatialConvolution": _conv, "SpatialDilatedConvolution": _conv,
    "SpatialMaxPooling": _pool, "SpatialAveragePooling": _pool,
    "SpatialBatchNormalization": _per_plane("nOutput"), "BatchNormalization": _per_plane("nOutput"),
    "PReLU": _per_plane("nOutputPlane"), "ReLU": _same, "LogSoftMax": _same,
    "SpatialDropout": _same, "Dropout": _same, "Identity": _same,
    "Padding": _padding, "SpatialZeroPadding": _zero_pad, "JoinTable": _join, "CAddTable": _cadd, "View": _view, "Linear": _linear,
}


"""``enet-port summary``: per-entry output shapes, parameters and multiply-accumulates.

No Lua counterpart; Torch7 users printed ``model`` and counted by hand. MACs count the
multiply-accumulates of convolutions and Linear layers only (the convention behind the ENet
authors' G-op figures, which count a MAC as two operations). Shapes come from running the
PyTorch model on the meta device, so the figures describe the model that will train.
"""
import torch

from . import shapes
from .build import build
from .shapes import format_shape
from .spec import Spec, is_flat, load_spec
from .tree import lua_call


def summarize(spec, input_shape=None, classes=None, features_only=False, depth=0):
    """``spec``: a path or a loaded :class:`~enet_port.model.spec.Spec`."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    shape = input_shape or spec.input
    shape = [tuple(s) for s in shape] if isinstance(shape, list) else tuple(shape)  # a list: one per graph input
    model = build(spec, classes=classes, input_shape=shape, features_only=features_only)
    # Counted before the move to the meta device, which gives shared parameters (Lua clones)
    # one copy per module; parameters() counts a shared one once.
    params = {m: sum(p.numel() for p in m.parameters()) for m in model.modules()}
    total_params = params[model]
    outputs = _per_sample(_trace(model, shape), _moved_batches(model, shape))
    rows = []
    for part in ([model] if is_flat(model.t7_node) else model):
        for index, module in enumerate(part):
            _collect(module, outputs, params, rows, f"{_part_name(part)}[{index}]", 0, depth)
    total_macs = sum(_macs(m, outputs) for m in model.modules())
    return {"spec": str(spec.path), "input": _shape_of_list(shape), "params": total_params, "macs": total_macs,
            "gops": 2 * total_macs / 1e9, "layers": rows}


def _part_name(part):
    return part.t7_node.origin.json_path


def _trace(model, shape):
    """Record every module's output on a batch of one, without allocating real memory."""
    outputs, handles = {}, []
    for module in model.modules():
        handles.append(module.register_forward_hook(
            lambda m, inp, out: outputs.__setitem__(m, (inp[0], out))))
    meta = model.to("meta").eval()
    with torch.no_grad():
        meta(_meta_batch(shape))
    for handle in handles:
        handle.remove()
    return outputs


def _moved_batches(model, shape):
    """Where the batch lies in each module's input and output when nn.Transpose moved it from
    dim 1 (cuda-convnet2's layout; :class:`~enet_port.model.shapes.BatchMoved`): node id ->
    (input, output) positions, from the shape rules, for the nodes that have one."""
    ins, moved, record = {}, {}, []
    shapes.infer(model.t7_node, shape, record, visit=lambda node, s: ins.__setitem__(id(node), s))
    for node, out in record:
        where = (shapes.batch_dim(ins.get(id(node))), shapes.batch_dim(out))
        if any(where):
            moved[id(node)] = where
    return moved


def _per_sample(outputs, moved):
    """module -> (input, output) per-sample shapes: the batch of one dropped where it lies."""
    def sample(value, at):
        if isinstance(value, (list, tuple)):
            return [sample(v, at) for v in value]
        sizes = tuple(value.shape)
        return shapes.BatchMoved(sizes[:at] + sizes[at + 1:], at) if at else sizes[1:]
    out = {}
    for module, (inp, output) in outputs.items():
        at = moved.get(id(getattr(module, "t7_node", None)), (0, 0))
        out[module] = (sample(inp, at[0]), sample(output, at[1]))
    return out


def _meta_batch(shape):
    """A batch of one on the meta device: a tensor, or a table of them for several inputs."""
    if isinstance(shape, list):
        return [_meta_batch(s) for s in shape]
    return torch.empty((1,) + tuple(shape), device="meta")


def _shape_of_list(shape):
    return [list(s) for s in shape] if isinstance(shape, list) else list(shape)


def _macs(module, outputs):
    """The module type's own MAC rule (its record), on the shapes the PyTorch model gave."""
    if module not in outputs or not hasattr(module, "t7_node"):
        return 0
    inp, out = outputs[module]
    return shapes.macs(module.t7_node, inp, out)


def _shape_of(out):
    if isinstance(out, list):
        return [_shape_of(o) for o in out]
    return list(out)


def _collect(module, outputs, params, rows, index, level, depth):
    node = module.t7_node
    out = outputs[module][1] if module in outputs else None
    rows.append({
        "index": index, "level": level, "name": node.label or lua_call(node), "lua": node.lua if level == 0 else "",
        "where": node.where, "output_shape": None if out is None else _shape_of(out),
        **({"batch_dim": out.batch} if shapes.batch_dim(out) else {}),
        "params": params[module],
        "macs": sum(_macs(m, outputs) for m in module.modules())})
    if level < depth:
        for i, child in enumerate(module.children()):
            _collect(child, outputs, params, rows, f"{index}.{i}", level + 1, depth)


def format_table(summary):
    head = ("entry", "module", "output", "params", "MACs", "Lua line")
    body = [(("  " * r["level"]) + r["index"], ("  " * r["level"]) + r["name"],
             _fmt_shape(r["output_shape"], r.get("batch_dim", 0)), f"{r['params']:,}", f"{r['macs']:,}", r["lua"])
            for r in summary["layers"]]
    body.append(("total", "", "", f"{summary['params']:,}", f"{summary['macs']:,}",
                 f"{summary['gops']:.2f} G-ops (2 per MAC) on {_fmt_shape(summary['input'])}"))
    widths = [max(len(str(row[i])) for row in [head] + body) for i in range(len(head) - 1)]
    lines = []
    for row in [head] + body:
        cells = [str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
    return "\n".join(lines)


def _fmt_shape(shape, batch=0):
    """``batch``: where nn.Transpose moved the batch (shown as B), 0 when first."""
    if shape is None:
        return "-"
    if shape and isinstance(shape[0], list):
        return format_shape([tuple(s) for s in shape])
    return format_shape(shapes.BatchMoved(shape, batch) if batch else tuple(shape))

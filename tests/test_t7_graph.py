"""import-t7 of nngraph ``nn.gModule`` files, written as nngraph serializes them
(tests/t7writer.py ``gmodule_object``), against the same networks written directly in PyTorch."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.t7.load import import_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Tensor, dumps, gmodule_object  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def module(name, **fields):
    return Object(name, {"train": False, "output": Tensor(np.zeros(0)), **fields})


def conv(rng, n_in, n_out, k=3, pad=1):
    """nn.SpatialConvolution(n_in, n_out, k, k, 1, 1, pad, pad) as Torch7 stores it, and its
    weight and bias for the PyTorch reference."""
    weight = rng.standard_normal((n_out, n_in, k, k)).astype(np.float32)
    bias = rng.standard_normal(n_out).astype(np.float32)
    obj = module("nn.SpatialConvolution", nInputPlane=n_in, nOutputPlane=n_out, kW=k, kH=k, dW=1, dH=1,
                 padW=pad, padH=pad, weight=Tensor(weight), bias=Tensor(bias))
    return obj, lambda x: F.conv2d(x, torch.from_numpy(weight), torch.from_numpy(bias), padding=pad)


def batchnorm(rng, n, eps=1e-3):
    w, b, mean = (rng.standard_normal(n).astype(np.float32) for _ in range(3))
    var = rng.uniform(0.5, 2.0, n).astype(np.float32)
    obj = module("nn.SpatialBatchNormalization", eps=eps, momentum=0.1, affine=True, weight=Tensor(w),
                 bias=Tensor(b), running_mean=Tensor(mean), running_var=Tensor(var))
    t = [torch.from_numpy(a) for a in (mean, var, w, b)]
    return obj, lambda x: F.batch_norm(x, t[0], t[1], t[2], t[3], training=False, eps=eps)


def relu():
    return module("nn.ReLU", threshold=0, val=0, inplace=False)


def residual_block(rng, channels=4):
    """x -> conv -> bn -> relu -> conv; CAddTable({conv, x}); ReLU, as nngraph nodes."""
    (c1, f1), (bn, fbn), (c2, f2) = conv(rng, channels, channels), batchnorm(rng, channels), \
        conv(rng, channels, channels)
    modules = [module("nn.Identity"), c1, bn, relu(), c2, module("nn.CAddTable", inplace=False), relu()]
    reads = [[], [0], [1], [2], [3], [4, 0], [5]]
    graph = gmodule_object(modules, reads, inputs=[0], outputs=[6])
    return graph, lambda x: F.relu(f2(F.relu(fbn(f1(x)))) + x)


def two_input_join(rng, mangle=None):
    """Sequential{ConcatTable{convA, convB}, gModule({a, b}, {JoinTable(1, 3)({b, conv(a)})})}:
    the graph's inputs come through innode:split(2), and the join reads its inputs in the
    opposite order to their creation."""
    (ca, fa), (cb, fb), (cg, fg) = conv(rng, 3, 4), conv(rng, 3, 5), conv(rng, 4, 6, k=1, pad=0)
    modules = [module("nn.Identity"), module("nn.Identity"), cg, module("nn.JoinTable", dimension=1, nInputDims=3)]
    graph = gmodule_object(modules, [[], [], [0], [1, 2]], inputs=[0, 1], outputs=[3], mangle=mangle)
    model = module("nn.Sequential", modules=[module("nn.ConcatTable", modules=[ca, cb]), graph])
    return model, lambda x: torch.cat([fb(x), fg(fa(x))], dim=1)


def split_join(rng):
    """x; t = ConcatTable{convA, convB}(x); a, b = t:split(2); JoinTable(1, 3)({b, a}): a split
    inside the graph (imported as nn.SelectTable nodes)."""
    (ca, fa), (cb, fb) = conv(rng, 3, 2), conv(rng, 3, 5)
    modules = [module("nn.Identity"), module("nn.ConcatTable", modules=[ca, cb]),
               module("nn.JoinTable", dimension=1, nInputDims=3)]
    graph = gmodule_object(modules, [[], [0], [(1, 2, 2), (1, 1, 2)]], inputs=[0], outputs=[2])
    return graph, lambda x: torch.cat([fb(x), fa(x)], dim=1)


def legacy_two_inputs(rng):
    """A gModule of nngraph before split(): the inputs' order is innode.data.mapindex's.
    Sequential{ConcatTable{Identity, convA}, gModule({n1, n0}, {CSubTable({conv(n1), n0})})}."""
    (ca, fa), (cg, fg) = conv(rng, 4, 4), conv(rng, 4, 4)
    modules = [module("nn.Identity"), module("nn.Identity"), cg, module("nn.CSubTable")]
    graph = gmodule_object(modules, [[], [], [1], [2, 0]], inputs=[1, 0], outputs=[3], legacy=True)
    model = module("nn.Sequential", modules=[module("nn.ConcatTable", modules=[module("nn.Identity"), ca]), graph])
    return model, lambda x: fg(x) - fa(x)


def graph_in_graph(rng):
    """A residual gModule as a node of another graph: x; r = block(x); JoinTable(1, 3)({r, x})."""
    block, fblock = residual_block(rng)
    modules = [module("nn.Identity"), block, module("nn.JoinTable", dimension=1, nInputDims=3)]
    graph = gmodule_object(modules, [[], [0], [1, 0]], inputs=[0], outputs=[2])
    return graph, lambda x: torch.cat([fblock(x), x], dim=1)


def write(tmp_path, obj, name="graph.t7"):
    path = tmp_path / name
    path.write_bytes(dumps(obj))
    return path


@pytest.mark.parametrize("make,shape", [(residual_block, (1, 4, 9, 7)), (two_input_join, (2, 3, 8, 6)),
                                        (split_join, (1, 3, 5, 5)), (legacy_two_inputs, (1, 4, 5, 5)),
                                        (graph_in_graph, (1, 4, 6, 5))],
                         ids=["residual", "two_input_join", "split_join", "legacy_two_inputs", "graph_in_graph"])
def test_graph_forward_equals_the_network_written_in_pytorch(tmp_path, make, shape):
    rng = np.random.default_rng(0)
    obj, reference = make(rng)
    imported = import_t7(write(tmp_path, obj), input_shape=shape[1:])
    x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), reference(x), rtol=0, atol=0)
    assert not imported.model.training


def test_graph_spec_wiring(tmp_path):
    obj, _ = two_input_join(np.random.default_rng(0))
    spec = import_t7(write(tmp_path, obj), input_shape=(3, 8, 6)).spec
    graph = spec["features"][1]["nn.gModule"]
    nodes = {n["name"]: n for n in graph["nodes"]}
    assert len(graph["inputs"]) == 2 and [nodes[i]["inputs"] for i in graph["inputs"]] == [[], []]
    join = nodes[graph["outputs"][0]]
    assert join["nn.JoinTable"] == [1, 3]
    first, second = join["inputs"]
    assert first == graph["inputs"][1]  # b, the graph's second input, comes first in the join
    assert nodes[second]["inputs"] == [graph["inputs"][0]] and "nn.SpatialConvolution" in nodes[second]


def test_import_t7_graph_spec_then_summary(tmp_path):
    obj, _ = residual_block(np.random.default_rng(0))
    path = write(tmp_path, module("nn.Sequential", modules=[obj, module("nn.Identity")]))
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "spec.json"),
                                       "--input", "4x9x7"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "spec.json").read_text()
    assert text.count('"nn.SpatialConvolution"') == 2 and '"nn.CAddTable"' in text
    assert json.loads(text)["features"][0]["nn.gModule"]["outputs"]
    summary = subprocess.run([sys.executable, "-m", "enet_port", "summary", str(tmp_path / "spec.json")],
                             cwd=ROOT, capture_output=True, text=True)
    assert summary.returncode == 0, summary.stderr
    params = 2 * (4 * 4 * 3 * 3 + 4) + 2 * 4  # two 4->4 3x3 convolutions with bias, an affine BN
    assert re.search(rf"features\[0\]\s+nn\.gModule\(\{{0\}}, \{{6\}}\)\s+4x9x7\s+{params}\s", summary.stdout), \
        summary.stdout


def _read_missing_node():
    """The graph's conv reads a node that is not in the graph (its data table belongs to no node)."""
    def mangle(nodes):
        nodes[2].fields["data"]["mapindex"].pairs[0] = (1, {"module": module("nn.Identity"), "mapindex": []})
    return two_input_join(np.random.default_rng(0), mangle=mangle)[0]


def _module_not_listed():
    """The graph's conv node holds a module that is not among the gModule's modules."""
    obj = two_input_join(np.random.default_rng(0))[0]
    listed = obj.fields["modules"][1].fields["modules"]
    listed[[m.kind for m in listed].index("nn.SpatialConvolution")] = module("nn.Identity")
    return obj


@pytest.mark.parametrize("make,pattern", [
    (_read_missing_node, r"forwardnodes\[\d+\]: reads a node that is not earlier in the graph"),
    (_module_not_listed, r"forwardnodes\[\d+\]: its module is not one of the gModule's modules"),
], ids=["reads_missing_node", "module_not_listed"])
def test_bad_graph_is_one_line_exit_2(tmp_path, make, pattern):
    path, out = write(tmp_path, make(), "bad.t7"), tmp_path / "out"
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(out / "spec.json")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"enet-port: {path}: modules[2].forwardnodes["), lines
    assert re.search(pattern, lines[0]), lines[0]
    assert not out.exists()

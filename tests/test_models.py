"""Every spec builds, runs forward and backward, and matches Torch7 formulas layer by layer.

Expected shapes and parameter counts are derived here from the Torch7 constructor rules and
ENet's ``_bottleneck`` description (reference/enet-facts.md), walking the spec JSON directly,
not from the interpreter's own shape code.
"""
import math

import pytest
import torch
import torchvision

from enet_port.model.build import build
from conftest import SPECS, SPEC_IDS, is_enet, spec_json

ENET = [p for p in SPECS if is_enet(p)]
ALIAS = {  # internal_scale, asymmetric kernel, dilation (enet-facts.md table)
    "bottleneck": (4, 0, 0), "cbottleneck": (4, 0, 0), "ibottleneck": (1, 0, 0),
    "wbottleneck": (4, 5, 0), "xbottleneck": (4, 7, 0), "dbottleneck": (4, 0, 2),
    "xdbottleneck": (4, 0, 4), "xxdbottleneck": (4, 0, 8), "xxxdbottleneck": (4, 0, 16),
}


@pytest.mark.parametrize("path", SPECS, ids=SPEC_IDS)
def test_builds_runs_forward_and_backward(path):
    torch.manual_seed(0)
    model = build(path).train()
    x = torch.randn(2, 3, 224, 224)
    y = model(x)
    assert y.shape == (2, 1000)
    assert torch.isfinite(y).all()
    y.sum().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("path", SPECS, ids=SPEC_IDS)
def test_classes_parameter_sets_the_last_linear(path):
    model = build(path, classes=17).eval()
    assert model(torch.randn(1, 3, 224, 224)).shape == (1, 17)


def bottleneck_params(alias, n_in, n_out, down):
    scale, asym, _ = ALIAS[alias]
    i, s = n_out // scale, 2 if down else 1
    middle = (2 * i * i * asym + i) if asym else (9 * i * i + i)
    return n_in * i * s * s + 2 * i + i + middle + 2 * i + i + i * n_out + 2 * n_out + n_out


def expected_entries(data):
    """(params, per-sample output shape) for each top-level module of features, in order."""
    c, h, w = data["input"]
    out = []
    def visit(entry):
        nonlocal c, h, w
        if "for" in entry:
            for _ in range(entry["for"][0], entry["for"][1] + 1):
                for inner in entry["body"]:
                    visit(inner)
            return
        name = next(k for k in entry if k not in ("lua", "children", "modifiers"))
        args = entry[name]
        if name == "nn.ConcatTable":  # ENet's initial block: conv 3x3/2 pad 1 beside max-pool 2x2/2
            n = entry["children"][0]["cudnn.SpatialConvolution"][1]
            params, shape = n * c * 9 + n, [(n, (h - 1) // 2 + 1, (w - 1) // 2 + 1), (c, h // 2, w // 2)]
            c, h, w = n + c, h // 2, w // 2
            out.append((params, shape))
            return
        if name in ALIAS:
            params = bottleneck_params(name, *args[:2], len(args) > 2)
            if len(args) > 2:
                h, w = h // 2, w // 2
            c = args[1]
        elif name == "cudnn.SpatialAveragePooling":
            params, h, w = 0, (h - args[1]) // args[3] + 1, (w - args[0]) // args[2] + 1
        else:
            params = {"nn.SpatialBatchNormalization": 2 * c, "nn.PReLU": c}.get(name, 0)
        out.append((params, (c, h, w)))
    for entry in data["features"]:
        visit(entry)
    return out


@pytest.mark.parametrize("path", ENET, ids=[p.stem for p in ENET])
def test_enet_layers_match_torch7_formulas(path):
    data = spec_json(path)
    model = build(path).eval()
    shapes = {}
    for i, module in enumerate(model[0]):
        module.register_forward_hook(lambda m, inp, o, i=i: shapes.__setitem__(i, o))
    with torch.no_grad():
        model(torch.randn(1, 3, 224, 224))
    expected = expected_entries(data)
    assert len(expected) == len(model[0])
    for i, (params, shape) in enumerate(expected):
        got = shapes[i]
        got_shape = [tuple(t.shape[1:]) for t in got] if isinstance(got, list) else tuple(got.shape[1:])
        assert got_shape == shape, f"features[{i}]"
        assert sum(p.numel() for p in model[0][i].parameters()) == params, f"features[{i}]"
    width = expected[-1][1][0]
    linear = model[1][1]
    assert (linear.in_features, linear.out_features) == (width, 1000)


def test_resnet18_matches_torchvision_parameter_count():
    ours = build("specs/resnet18.json")
    theirs = torchvision.models.resnet18()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    convs = [m for m in ours.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 20 and all(m.bias is None for m in convs)


def test_resnet18_stage_shapes_and_fb_init():
    torch.manual_seed(0)
    model = build("specs/resnet18.json").eval()
    stages = {}
    for i in (4, 5, 6, 7):
        model[0][i].register_forward_hook(lambda m, inp, o, i=i: stages.__setitem__(i, tuple(o.shape[1:])))
    model(torch.randn(1, 3, 224, 224))
    assert stages == {4: (64, 56, 56), 5: (128, 28, 28), 6: (256, 14, 14), 7: (512, 7, 7)}
    first = model[0][0]
    assert abs(first.weight.std().item() - math.sqrt(2 / (7 * 7 * 64))) < 0.002
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(torch.all(m.weight == 1) and torch.all(m.bias == 0) for m in bns)
    assert torch.all(model[1][1].bias == 0)


def test_torch7_default_init_of_enet():
    torch.manual_seed(0)
    model = build("specs/v7.json")
    conv = model[0][0][0]  # 3 -> 13, 3x3: U(+-1/sqrt(3*3*3)), bias too
    bound = 1 / math.sqrt(27)
    assert conv.weight.abs().max() <= bound and conv.weight.abs().max() > 0.9 * bound
    assert conv.bias.abs().max() <= bound
    bn = model[0][2]
    assert bn.weight.min() >= 0 and bn.weight.max() <= 1 and bn.weight.std() > 0.2  # U(0,1)
    assert torch.all(bn.bias == 0) and bn.eps == 1e-3 and bn.momentum == 0.1
    assert torch.all(model[0][3].weight == 0.25)

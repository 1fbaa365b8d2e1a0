"""Modules a style-transfer project defines in its own files (fast-neural-style's
nn.InstanceNormalization, nn.ShaveImage, nn.TotalVariation): the tracer takes a torch.class of
such a name as enet-port's record (flagged port_of), the records compute what the Lua classes do,
and a .t7 checkpoint holding them loads. Files of our own in tests/lua/style_transfer; expected
values from the layer sizes and from PyTorch's own functions, never from our output."""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from enet_port.model import layers_style
from enet_port.model.build import build
from enet_port.t7.load import import_t7
from conftest import ROOT
from test_lua_conventions import run

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Tensor, dumps  # noqa: E402

NETS = ROOT / "tests" / "lua" / "style_transfer" / "transfer" / "nets.lua"
OPTS = ["--call", "build_model", "--opt", "scale=150", "--opt", "tv=1e-6", "--input", "3x32x32"]


def conv(cin, cout, k):
    return cout * cin * k * k + cout


def test_project_classes_are_taken_as_records(tmp_path):
    out = tmp_path / "nets.json"
    code, output = run("import-lua", NETS, *OPTS, "-o", out)
    assert code == 0, output
    for name in ("nn.InstanceNormalization", "nn.ShaveImage", "nn.TotalVariation"):
        assert f"uses {name}, a class its project defines; taken as enet-port's record" in output, output
    spec = json.loads(out.read_text())
    entries = spec["features"]
    assert {"nn.InstanceNormalization": [8]}.items() <= entries[1].items()
    assert {"nn.TotalVariation": [1e-6]}.items() <= entries[-1].items()
    code, output = run("diff", out, NETS, *OPTS)
    assert code == 0 and output.startswith("identical"), output
    # 5x5 conv 3->8, IN(8), 3x3/2 conv 8->16, IN(16), two blocks of two unpadded 3x3 convs 16->16
    # with IN(16) each, full conv 16->8, IN(8), 5x5 conv 8->3; an IN holds a weight and a bias per plane
    blocks = 2 * (2 * conv(16, 16, 3) + 2 * 2 * 16)
    expected = conv(3, 8, 5) + 2 * 8 + conv(8, 16, 3) + 2 * 16 + blocks + conv(16, 8, 3) + 2 * 8 + conv(8, 3, 5)
    model = build(out).eval()
    assert sum(p.numel() for p in model.parameters()) == expected == 13011
    with torch.no_grad():  # 32 -> 16 (stride 2) -> 12 -> 8 (each block shaves 4) -> 16 (full conv)
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 3, 16, 16)


def test_a_ported_name_the_file_never_defines_stays_nil(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("require 'nn'\nlocal m = nn.Sequential()\nm:add(nn.ShaveImage(1))\nreturn m\n")
    code, output = run("import-lua", lua, "--input", "3x8x8")
    assert code != 0 and "m.lua:3" in output and "Torch7 itself would fail here" in output, output


def _spec(tmp_path, features, shape):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"name": "s", "recipe": "regimes-55", "classes": 1, "input": shape,
                                "features": features, "classifier": []}))
    return spec


def test_the_records_forward_as_the_lua_classes(tmp_path):
    spec = _spec(tmp_path, [{"nn.InstanceNormalization": [4, 1e-3]}, {"nn.ShaveImage": [2]},
                            {"nn.TotalVariation": [0.5]}], [4, 9, 7])
    model = build(spec).eval()
    norm = [m for m in model.modules() if isinstance(m, layers_style.InstanceNormalization)][0]
    x = torch.randn(3, 4, 9, 7, dtype=torch.float64) * 5 + 2
    model = model.double()
    with torch.no_grad():
        out = model(x)
        expected = F.instance_norm(x, weight=norm.weight, bias=norm.bias, eps=1e-3)
    # ShaveImage(2): rows 3..7 and columns 3..5 of 9x7 (Lua's {s + 1, H - s}), by hand
    rows, cols = [2, 3, 4, 5, 6], [2, 3, 4]
    expected = expected[:, :, rows][:, :, :, cols]
    assert out.shape == (3, 4, 5, 3)
    assert torch.allclose(out, expected, atol=1e-12)
    code, output = run("summary", _spec(tmp_path, [{"nn.ShaveImage": [4]}], [1, 8, 9]))
    assert code != 0 and "shaves 1x8x9 to nothing" in output, output


def _fns_instance_norm(weight, bias, stale):
    """fast-neural-style's stored fields; ``bn`` the inner module of N*C planes after a batch of
    two (weights one optimiser step behind, running statistics of its own)."""
    n = len(weight)
    inner = Object("nn.SpatialBatchNormalization", {
        "weight": Tensor(np.tile(stale, 2)), "bias": Tensor(np.tile(stale, 2)), "eps": 1e-5, "momentum": 0.1,
        "running_mean": Tensor(np.full(2 * n, 3.0)), "running_var": Tensor(np.full(2 * n, 9.0)),
        "affine": True, "train": True, "output": Tensor(np.zeros(0))})
    return Object("nn.InstanceNormalization", {
        "eps": 1e-5, "nOutput": n, "prev_N": 2, "weight": Tensor(weight), "bias": Tensor(bias),
        "gradWeight": Tensor(np.zeros(n)), "gradBias": Tensor(np.zeros(n)), "bn": inner,
        "output": Tensor(np.zeros(0)), "gradInput": Tensor(np.zeros(0)), "train": False})


def test_a_checkpoint_with_the_project_modules_loads_the_outer_weights(tmp_path):
    weight, bias = np.array([0.5, 2.0, -1.0]), np.array([0.1, 0.2, 0.3])
    conv_w = np.arange(27.0).reshape(3, 1, 3, 3) / 27
    model = Object("nn.Sequential", {"train": False, "output": Tensor(np.zeros(0)), "modules": [
        Object("nn.SpatialConvolution", {
            "nInputPlane": 1, "nOutputPlane": 3, "kW": 3, "kH": 3, "dW": 1, "dH": 1, "padW": 1, "padH": 1,
            "weight": Tensor(conv_w), "bias": Tensor(np.zeros(3)), "train": False, "output": Tensor(np.zeros(0))}),
        _fns_instance_norm(weight, bias, stale=np.array([7.0, 7.0, 7.0])),
        Object("nn.ShaveImage", {"size": 1, "train": False, "output": Tensor(np.zeros(0))}),
        Object("nn.TotalVariation", {"strength": 1e-6, "x_diff": Tensor(np.zeros(0)),
                                     "y_diff": Tensor(np.zeros(0)), "train": False, "output": Tensor(np.zeros(0))})]})
    path = tmp_path / "checkpoint.t7"
    path.write_bytes(dumps({"model": model, "opt": {"arch": "c3s1-3"}, "train_loss_history": {1: 2.0}}))
    net = import_t7(path, (1, 8, 8)).model.double()
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        y = F.conv2d(x, torch.from_numpy(conv_w), padding=1)
        expected = F.instance_norm(y, weight=torch.from_numpy(weight), bias=torch.from_numpy(bias), eps=1e-5)
        assert torch.allclose(net(x), expected[:, :, 1:7, 1:7], atol=1e-6)


def test_a_non_affine_instance_norm_of_texture_nets_has_no_parameters(tmp_path):
    stored = Object("nn.InstanceNormalization", {
        "eps": 1e-5, "momentum": 0.0, "affine": False, "nOutput": 2, "prev_batch_size": -1,
        "running_mean": Tensor(np.zeros(2)), "running_var": Tensor(np.ones(2)), "train": True,
        "output": Tensor(np.zeros(0))})
    path = tmp_path / "tn.t7"
    path.write_bytes(dumps(Object("nn.Sequential", {"modules": [stored], "train": True})))
    net = import_t7(path, (2, 4, 4)).model.double()
    assert sum(p.numel() for p in net.parameters()) == 0
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(net(x), F.instance_norm(x), atol=1e-12)

"""Stored cuda-convnet2 modules (``ccn2.*`` in a ``.t7``): their fields and weights in ccn2's
layout import as the records, with the forward of tests/ccn2_reference.py.

The objects are written as cuda-convnet2.torch's ``__init`` leaves them (SpatialConvolution:
nInputPlane, nOutputPlane, kH, dH, padding, groups, weight (nInputPlane/groups*kH*kH) x
nOutputPlane, bias nOutputPlane; the pooling's kW, dW; SpatialCrossResponseNormalization's
size, addScale already divided by size, powScale, minDiv, blocked), in CUDA tensors as a
``model:cuda()`` leaves them; never from our records."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from enet_port.t7.load import import_t7

sys.path.insert(0, str(Path(__file__).parent))
import ccn2_reference as ref  # noqa: E402
from t7writer import Object, Storage, Tensor, dumps  # noqa: E402

RNG = np.random.default_rng(7)
CUDA = "torch.CudaTensor"


def m(name, **fields):
    empty = Tensor(np.zeros(0), CUDA)
    return Object(name, {"train": False, "output": empty, "gradInput": empty, **fields})


def rand(*shape):
    return RNG.uniform(-0.5, 0.5, shape).astype(np.float32)


def conv(n_in, n_out, k, d=1, pad=0, groups=1):
    rows = n_in // groups * k * k
    return m("ccn2.SpatialConvolution", nInputPlane=n_in, nOutputPlane=n_out, kH=k, dH=d, padding=pad,
             groups=groups, weight=Tensor(rand(rows, n_out), CUDA), bias=Tensor(rand(n_out), CUDA),
             gradWeight=Tensor(np.zeros((rows, n_out)), CUDA), gradBias=Tensor(np.zeros(n_out), CUDA))


def norm(size, add_scale, pow_scale, min_div, blocked=False):
    return m("ccn2.SpatialCrossResponseNormalization", size=size, addScale=add_scale / size,
             powScale=pow_scale, minDiv=min_div, blocked=blocked)


def network():
    return m("nn.Sequential", modules=[
        m("nn.Transpose", permutations=[[1, 4], [1, 3], [1, 2]]),
        conv(3, 32, 5, 3),                                 # 20 -> ceil(15/3 + 1) = 6
        m("nn.ReLU", threshold=0, val=0, inplace=True),
        norm(5, 0.3, 0.75, 1.0),
        m("ccn2.SpatialMaxPooling", kW=3, dW=2),           # 6 -> ceil(3/2 + 1) = 3 (cut)
        conv(32, 64, 3, 1, 1, 2),                          # 3 -> 3, two groups
        norm(4, 0.2, 0.5, 2.0, True),
        m("ccn2.SpatialAvgPooling", kW=2, dW=2),           # 3 -> ceil(1/2 + 1) = 2 (cut)
        m("nn.Transpose", permutations=[[4, 1], [4, 2], [4, 3]]),
        m("nn.View", size=Storage(np.array([256], np.int64)), numElements=256),
        m("nn.Linear", weight=Tensor(rand(5, 256), CUDA), bias=Tensor(rand(5), CUDA))])


def t(value):
    return torch.from_numpy(value.array).double()


def reference(net, x):
    layers = net.fields["modules"]
    c1, n1, c2, n2, linear = (layers[i].fields for i in (1, 3, 5, 6, 10))
    h = ref.conv(x, t(c1["weight"]), t(c1["bias"]), 5, 3, 0, 1).clamp(min=0)
    h = ref.pool(ref.cross_map_norm(h, 5, 0.3, 0.75, 1.0), 3, 2, False)
    h = ref.cross_map_norm(ref.conv(h, t(c2["weight"]), t(c2["bias"]), 3, 1, 1, 2), 4, 0.2, 0.5, 2.0, True)
    h = ref.pool(h, 2, 2, True).reshape(x.shape[0], -1)
    return h @ t(linear["weight"]).T + t(linear["bias"])


def test_stored_ccn2_modules_import_with_their_forward(tmp_path):
    net = network()
    path = tmp_path / "ccn2.t7"
    path.write_bytes(dumps(net))
    imported = import_t7(path, input_shape=(3, 20, 20))
    x = torch.randn(2, 3, 20, 20, dtype=torch.float64)
    with torch.no_grad():
        got = imported.model.double()(x)
    torch.testing.assert_close(got, reference(net, x))
    entries = imported.spec["features"]
    # the stored addScale (0.3 / 5) gives back the constructor's 0.3; defaults are left out
    assert entries[3] == {"ccn2.SpatialCrossResponseNormalization": [5, 0.3]}, entries
    assert entries[5] == {"ccn2.SpatialConvolution": [32, 64, 3, 1, 1, 2]}, entries
    assert entries[7] == {"ccn2.SpatialAvgPooling": [2]}, entries


def test_a_stored_weight_of_the_wrong_size_is_refused_in_one_line(tmp_path):
    c = conv(3, 32, 5)
    c.fields["weight"] = Tensor(rand(70, 32), CUDA)  # 3*5*5 = 75 rows in cuda-convnet2's layout
    path = tmp_path / "bad.t7"
    path.write_bytes(dumps(m("nn.Sequential", modules=[m("nn.Transpose", permutations=[[1, 4], [1, 3], [1, 2]]), c])))
    with pytest.raises(Exception) as info:
        import_t7(path)
    assert "(70, 32), not (75, 32)" in str(info.value) and "ccn2.SpatialConvolution" in str(info.value)

"""A class whose own ``write`` adds values after its field table (issue 19): nnx's
``SpatialNormalization`` as nnx wrote it (``parent.write`` = torch7's nn.Module of the time, one
field table; then ``writeObject(self.kernel)``, five ``writeInt``, ten ``writeObject``, four more
ints for a pair of kernels, and in its second version ``writeInt(self.fixedThres or 0)``), saved
with tests/t7writer.py in binary and ASCII, read back, imported and run; other classes that write
more than their table are refused in one line."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from enet_port.t7.load import import_t7
from enet_port.t7.reader import T7Error, read_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7raw import dumps_raw  # noqa: E402
from t7writer import Object, Storage, Tensor  # noqa: E402
from test_nnx_normalization import _nnx_forward  # noqa: E402


def _module(name, **fields):
    return Object(name, {"output": Tensor(np.zeros(0), "torch.DoubleTensor"),
                         "gradInput": Tensor(np.zeros(0), "torch.DoubleTensor"), **fields})


def _pipeline(kernel, nf):
    """One estimator, as nnx builds it (its modules are not read: the kernel says it all)."""
    return _module("nn.Sequential", modules=[_module("nn.SpatialPadding"),
                                             _module("nn.SpatialConvolutionSparse", weight=kernel),
                                             _module("nn.Sum", dimension=1), _module("nn.Replicate", nfeatures=nf)])


def nnx_normalization(kernels, nf, threshold=None, first_version=False):
    """An nnx SpatialNormalization object with its own write's values after the field table."""
    stored = [Tensor(np.asarray(k, dtype=np.float64) / np.sum(k), "torch.DoubleTensor") for k in kernels]
    kernel = stored[0] if len(stored) == 1 else stored
    kh, kw = np.shape(kernels[0])
    subtract = "substractMod" if first_version else "subtractMod"
    fields = {"kernel": kernel, "nfeatures": nf, "padW": kw // 2, "padH": kh // 2, "kerWisPair": 1 - kw % 2,
              "kerHisPair": 1 - kh % 2, "convo": _pipeline(stored[0], nf), "convostd": _pipeline(stored[0], nf),
              "squareMod": _module("nn.Square"), "sqrtMod": _module("nn.Sqrt"), subtract: _module("nn.CSubTable"),
              "meanDiviseMod": _module("nn.CDivTable"), "stdDiviseMod": _module("nn.CDivTable"),
              "thresMod": _module("nn.Threshold", threshold=0, val=0), "diviseMod": _module("nn.CDivTable"),
              "coef": Tensor(np.ones((1, 1)), "torch.DoubleTensor")}
    if threshold is not None:
        fields["fixedThres"] = threshold
    after = [("obj", kernel)] + [("int", fields[k]) for k in ("nfeatures", "padW", "padH", "kerWisPair", "kerHisPair")]
    after += [("obj", fields[k]) for k in ("convo", "convostd", "squareMod", "sqrtMod", subtract, "meanDiviseMod",
                                           "stdDiviseMod", "thresMod", "diviseMod", "coef")]
    if len(stored) == 2:
        fields.update(pad2W=0, pad2H=1, ker2WisPair=0, ker2HisPair=0)
        after += [("int", 0), ("int", 1), ("int", 0), ("int", 0)]
    if not first_version:
        after.append(("int", int(threshold or 0)))  # writeInt truncates a fractional threshold
    return Object("nn.SpatialNormalization", {"output": Tensor(np.zeros(0)), **fields}, after=after)


def _conv():
    weight = np.random.default_rng(3).uniform(-1, 1, (2, 2, 3, 3))
    return _module("nn.SpatialConvolution", nInputPlane=2, nOutputPlane=2, kW=3, kH=3, dW=1, dH=1, padW=1,
                   padH=1, weight=Tensor(weight, "torch.DoubleTensor"),
                   bias=Tensor(np.array([0.5, -0.5]), "torch.DoubleTensor")), weight


def _save(tmp_path, obj, ascii):
    path = tmp_path / ("model-ascii.t7" if ascii else "model.t7")
    path.write_bytes(dumps_raw(obj, ascii=ascii))
    return path


GAUSS = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
PAIR = [[[1], [2], [1]], [[1, 3, 1]]]


@pytest.mark.parametrize("ascii", [False, True], ids=["binary", "ascii"])
@pytest.mark.parametrize("kernels, threshold", [([GAUSS], None), ([GAUSS], 2), (PAIR, 0.5)],
                         ids=["2-D adaptive", "2-D threshold 2", "pair, threshold 0.5"])
def test_a_stored_nnx_normalization_imports_and_runs(tmp_path, ascii, kernels, threshold):
    conv, weight = _conv()
    model_obj = _module("nn.Sequential", modules=[nnx_normalization(kernels, 2, threshold), conv])
    imported = import_t7(_save(tmp_path, model_obj, ascii), (2, 6, 5), dtype=torch.float64)
    x = torch.from_numpy(np.random.default_rng(5).uniform(-1, 3, (1, 2, 6, 5)))
    # nnx's read: fixedThres = readInt(), 0 -> nil: a threshold of 0.5 was stored as 0 and comes back adaptive
    kept = threshold if threshold is not None and threshold >= 1 else None
    normalised = torch.from_numpy(_nnx_forward(x[0].numpy(), kernels, kept))[None]
    bias = torch.tensor([0.5, -0.5], dtype=torch.float64)
    expected = torch.nn.functional.conv2d(normalised, torch.from_numpy(weight), bias, padding=1)
    torch.testing.assert_close(imported.model.eval()(x), expected, rtol=1e-10, atol=1e-12)


def test_the_fields_read_after_the_table_are_the_modules(tmp_path):
    obj = read_t7(_save(tmp_path, nnx_normalization(PAIR, 3, 4), ascii=False))
    assert obj.nfeatures == 3 and obj.pad2H == 1 and obj.fixedThres == 4
    assert obj.convo.torch_typename() == b"nn.Sequential" and isinstance(obj.kernel, list)


def test_nnx_first_version_is_refused_in_one_line(tmp_path):
    path = _save(tmp_path, _module("nn.Sequential", modules=[nnx_normalization([GAUSS], 1, first_version=True)]),
                 ascii=False)
    assert read_t7(path).modules[0].nfeatures == 1  # its layout reads (no trailing threshold)
    with pytest.raises(T7Error, match=r"modules\[1\].*first SpatialNormalization.*H x W x planes"):
        import_t7(path, (1, 5, 5))


def test_another_class_writing_after_its_table_is_refused_in_one_line(tmp_path):
    custom = Object("nn.MyOwnWrite", {"output": Tensor(np.zeros(0))}, after=[("int", 7), ("int", 123456)])
    path = _save(tmp_path, _module("nn.Sequential", modules=[custom, _module("nn.Identity")]), ascii=False)
    with pytest.raises(T7Error, match=r"nn\.MyOwnWrite writes more than its field table.*does not know"):
        read_t7(path)


# A 2011 face detector as neuflow's face.net stores it (ASCII): a class-less table {modules,
# gradInput, output}; nnx's SpatialNormalization, an nn.SpatialConvolutionMap and an nnx
# SpatialLinear each with their own write's values after the field table (nnx
# SpatialConvolutionSparse:write: kW, kH, dW, dH, nInputPlane, nOutputPlane, weight, bias,
# gradWeight, gradBias, connTable; SpatialLinear:write: fanin, fanout, writeDouble(weightDecay),
# weight, bias, gradWeight, gradBias).
RNG = np.random.default_rng(2011)
TABLE = [[1, 1], [1, 2], [1, 3]]  # one input plane to three


def _conv_map():
    weight, bias = RNG.uniform(-1, 1, (3, 3, 3)), RNG.uniform(-1, 1, 3)
    f = {"kW": 3, "kH": 3, "dW": 1, "dH": 1, "nInputPlane": 1, "nOutputPlane": 3,
         "weight": Tensor(weight, "torch.DoubleTensor"), "bias": Tensor(bias, "torch.DoubleTensor"),
         "gradWeight": Tensor(np.zeros((3, 3, 3)), "torch.DoubleTensor"),
         "gradBias": Tensor(np.zeros(3), "torch.DoubleTensor"),
         "connTable": Tensor(np.array(TABLE, dtype=np.float64), "torch.DoubleTensor")}
    after = [("int", f[k]) for k in ("kW", "kH", "dW", "dH", "nInputPlane", "nOutputPlane")]
    after += [("obj", f[k]) for k in ("weight", "bias", "gradWeight", "gradBias", "connTable")]
    return Object("nn.SpatialConvolutionMap", {"output": Tensor(np.zeros(0)), **f}, after=after), weight, bias


def _spatial_linear():
    weight, bias = RNG.uniform(-1, 1, (2, 3)), RNG.uniform(-1, 1, 2)
    f = {"fanin": 3, "fanout": 2, "weightDecay": 0, "weight": Tensor(weight, "torch.DoubleTensor"),
         "bias": Tensor(bias, "torch.DoubleTensor"), "gradWeight": Tensor(np.zeros((2, 3)), "torch.DoubleTensor"),
         "gradBias": Tensor(np.zeros(2), "torch.DoubleTensor")}
    after = [("int", 3), ("int", 2), ("double", 0.0)] + [("obj", f[k]) for k in ("weight", "bias", "gradWeight",
                                                                               "gradBias")]
    return Object("nn.SpatialLinear", {"output": Tensor(np.zeros(0)), **f}, after=after), weight, bias


def _by_hand(x, conv_weight, conv_bias, lin_weight, lin_bias):
    """The 2011 pipeline on one 1 x H x W sample, with loops."""
    y = _nnx_forward(x, [GAUSS])
    h, w = y.shape[1] - 2, y.shape[2] - 2
    conv = np.zeros((3, h, w)) + conv_bias[:, None, None]
    for k, (src, dst) in enumerate(TABLE):
        for i in range(h):
            for j in range(w):
                conv[dst - 1, i, j] += np.sum(y[src - 1, i:i + 3, j:j + 3] * conv_weight[k])
    t = np.tanh(conv)
    return np.einsum("kl,lij->kij", lin_weight, t) + lin_bias[:, None, None]


@pytest.mark.parametrize("ascii", [True, False], ids=["ascii", "binary"])
def test_a_2011_face_net_style_file_imports_and_runs(tmp_path, ascii):
    conv, conv_weight, conv_bias = _conv_map()
    linear, lin_weight, lin_bias = _spatial_linear()
    modules = [nnx_normalization([GAUSS], 1), conv, _module("nn.Tanh"), linear]
    root = {"modules": modules, "gradInput": Tensor(np.zeros(0)), "output": Tensor(np.zeros(0))}  # no class
    imported = import_t7(_save(tmp_path, root, ascii), (1, 7, 6), dtype=torch.float64)
    assert [e for e in imported.spec["features"] if "nn.SpatialLinear" in e] == [{"nn.SpatialLinear": [3, 2]}]
    x = np.random.default_rng(7).uniform(0, 1, (1, 1, 7, 6))
    y = imported.model.eval()(torch.from_numpy(x))
    np.testing.assert_allclose(y[0].detach().numpy(), _by_hand(x[0], conv_weight, conv_bias, lin_weight, lin_bias),
                               rtol=1e-10, atol=1e-12)


def test_a_later_convolution_map_without_its_own_write_still_reads(tmp_path):
    """torch/nn's SpatialConvolutionMap stores its field table only: the layout is not applied
    (the values after the table do not repeat its fields), and the module imports and runs."""
    conv, weight, bias = _conv_map()
    conv.after = []
    imported = import_t7(_save(tmp_path, _module("nn.Sequential", modules=[conv, _module("nn.Tanh")]), False),
                         (1, 5, 5), dtype=torch.float64)
    x = np.random.default_rng(9).uniform(0, 1, (1, 1, 5, 5))
    expected = np.zeros((3, 3, 3)) + bias[:, None, None]
    for k, (_, dst) in enumerate(TABLE):
        for i in range(3):
            for j in range(3):
                expected[dst - 1, i, j] += np.sum(x[0, 0, i:i + 3, j:j + 3] * weight[k])
    np.testing.assert_allclose(imported.model.eval()(torch.from_numpy(x))[0].detach().numpy(), np.tanh(expected),
                               rtol=1e-10, atol=1e-12)


def _with_write(kind, fields, steps):
    """An object as the 2011 nn wrote it: its field table, then ``steps`` repeating fields."""
    after = [(k, fields[name]) for k, name in steps]
    return Object(kind, {"output": Tensor(np.zeros(0)), "gradInput": Tensor(np.zeros(0)), **fields}, after=after)


def _d(array):
    return Tensor(np.asarray(array, dtype=np.float64), "torch.DoubleTensor")


PARAMS = [("obj", "weight"), ("obj", "bias"), ("obj", "gradWeight"), ("obj", "gradBias")]


@pytest.mark.parametrize("ascii", [True, False], ids=["ascii", "binary"])
def test_a_2011_nn_file_with_each_class_own_write_imports_and_runs(tmp_path, ascii):
    """torch7's nn of 2011: Sequential:write adds its modules; SpatialConvolution six ints and its
    parameters; SpatialMaxPooling four ints and indices; Reshape its size; Linear
    writeDouble(weightDecay) and its parameters."""
    rng = np.random.default_rng(12)
    cw, cb = rng.uniform(-1, 1, (2, 1, 3, 3)), rng.uniform(-1, 1, 2)
    lw, lb = rng.uniform(-1, 1, (3, 8)), rng.uniform(-1, 1, 3)
    conv = _with_write("nn.SpatialConvolution", {"kW": 3, "kH": 3, "dW": 1, "dH": 1, "nInputPlane": 1,
                                                  "nOutputPlane": 2, "weight": _d(cw), "bias": _d(cb),
                                                  "gradWeight": _d(cw * 0), "gradBias": _d(cb * 0)},
                       [("int", k) for k in ("kW", "kH", "dW", "dH", "nInputPlane", "nOutputPlane")] + PARAMS)
    pool = _with_write("nn.SpatialMaxPooling", {"kW": 2, "kH": 2, "dW": 2, "dH": 2, "indices": _d(np.zeros(0))},
                       [("int", k) for k in ("kW", "kH", "dW", "dH")] + [("obj", "indices")])
    reshape = _with_write("nn.Reshape", {"size": Storage(np.array([8]))}, [("obj", "size")])
    linear = _with_write("nn.Linear", {"weightDecay": 0.0, "weight": _d(lw), "bias": _d(lb), "gradWeight": _d(lw * 0),
                                       "gradBias": _d(lb * 0)}, [("double", "weightDecay")] + PARAMS)
    model = _with_write("nn.Sequential", {"modules": [conv, _module("nn.Tanh"), pool, reshape, linear]},
                        [("obj", "modules")])
    imported = import_t7(_save(tmp_path, model, ascii), (1, 6, 6), dtype=torch.float64)
    x = torch.from_numpy(np.random.default_rng(13).uniform(-1, 1, (1, 1, 6, 6)))
    hidden = torch.nn.functional.max_pool2d(torch.tanh(torch.nn.functional.conv2d(
        x, torch.from_numpy(cw), torch.from_numpy(cb))), 2).reshape(1, 8)
    expected = hidden @ torch.from_numpy(lw).T + torch.from_numpy(lb)
    torch.testing.assert_close(imported.model.eval()(x), expected, rtol=1e-10, atol=1e-12)

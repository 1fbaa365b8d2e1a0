"""Stored dpnn decorators (``nn.Inception``, ``nn.Decorator``, ``nn.DontCast``, ...) import as the
module they decorate; decorators whose forward is not the module's are refused in one line.

The stored objects are written here as dpnn's ``__init`` leaves them (Inception.lua: the config
fields, ``self.pool`` the same object as the pooling inside the pool column, ``transfer`` a ReLU
that is only cloned, ``module`` = ``modules[1]`` = the ``nn.DepthConcat(2)``; Decorator.lua:
``module`` and ``modules = {module}``), never from our records. The expected forward is an
independent PyTorch computation of the same weights (columns joined along planes, smaller ones
zero-padded as DepthConcat.lua's windowNarrow does: floor((largest - size) / 2) before).
"""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from enet_port.t7.load import import_t7
from enet_port.t7.reader import T7Error

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Storage, Tensor, dumps  # noqa: E402

RNG = np.random.default_rng(19)


def m(name, **fields):
    return Object(name, {"train": False, "output": Tensor(np.zeros(0)), "gradInput": Tensor(np.zeros(0)), **fields})


def rand(*shape):
    return RNG.uniform(-0.5, 0.5, shape).astype(np.float32)


def conv(n_in, n_out, k, stride=1, pad=0):
    return m("nn.SpatialConvolution", nInputPlane=n_in, nOutputPlane=n_out, kW=k, kH=k, dW=stride, dH=stride,
             padW=pad, padH=pad, weight=Tensor(rand(n_out, n_in, k, k)), bias=Tensor(rand(n_out)))


def bn(n):
    return m("nn.SpatialBatchNormalization", eps=1e-5, momentum=0.1, affine=True, weight=Tensor(rand(n) + 1),
             bias=Tensor(rand(n)), running_mean=Tensor(rand(n)), running_var=Tensor(rand(n) + 1))


def relu():
    return m("nn.ReLU", threshold=0, val=0, inplace=False)


def max_pool(k, d):
    return m("nn.SpatialMaxPooling", kW=k, kH=k, dW=d, dH=d, padW=0, padH=0, ceil_mode=False)


def seq(*modules):
    return m("nn.Sequential", modules=list(modules))


def inception(inputSize, kernelSize, kernelStride, outputSize, reduceSize, pool):
    """nn.Inception{...} with batchNorm = true, as Inception.lua's __init builds and keeps it."""
    columns = [seq(conv(inputSize, reduceSize[i], 1), bn(reduceSize[i]), relu(),
                   conv(reduceSize[i], outputSize[i], k, kernelStride[i], k // 2), bn(outputSize[i]), relu())
               for i, k in enumerate(kernelSize)]
    n = len(kernelSize)
    pool_column = [pool]
    if len(reduceSize) > n:
        pool_column += [conv(inputSize, reduceSize[n], 1), bn(reduceSize[n]), relu()]
    columns.append(seq(*pool_column))
    if len(reduceSize) > n + 1:
        columns.append(seq(conv(inputSize, reduceSize[n + 1], 1), bn(reduceSize[n + 1]), relu()))
    depth_concat = m("nn.DepthConcat", dimension=2, size=Storage(np.zeros(0, dtype=np.int64)), modules=columns)
    config = {"inputSize": inputSize, "outputSize": dict(enumerate(outputSize, 1)),
              "reduceSize": dict(enumerate(reduceSize, 1)), "reduceStride": {}, "transfer": relu(),
              "batchNorm": True, "padding": True, "kernelSize": dict(enumerate(kernelSize, 1)),
              "kernelStride": dict(enumerate(kernelStride, 1)), "poolSize": 3, "poolStride": 1, "pool": pool}
    return m("nn.Inception", **config, module=depth_concat, modules=[depth_concat])


# the independent forward ---------------------------------------------------------------------
def t(tensor):
    return torch.from_numpy(tensor.array)


def run(obj, x):
    f, name = obj.fields, obj.kind
    if name == "nn.Sequential":
        for child in f["modules"]:
            x = run(child, x)
        return x
    if name == "nn.SpatialConvolution":
        return F.conv2d(x, t(f["weight"]), t(f["bias"]), (f["dH"], f["dW"]), (f["padH"], f["padW"]))
    if name == "nn.SpatialBatchNormalization":
        return F.batch_norm(x, t(f["running_mean"]), t(f["running_var"]), t(f["weight"]), t(f["bias"]),
                            False, 0.0, f["eps"])
    if name == "nn.ReLU":
        return x.clamp(min=0)
    if name == "nn.SpatialMaxPooling":
        return F.max_pool2d(x, (f["kH"], f["kW"]), (f["dH"], f["dW"]))
    if name == "nn.Inception":
        outs = [run(column, x) for column in f["module"].fields["modules"]]
        height, width = max(o.shape[2] for o in outs), max(o.shape[3] for o in outs)
        padded = []
        for o in outs:
            top, left = (height - o.shape[2]) // 2, (width - o.shape[3]) // 2
            padded.append(F.pad(o, (left, width - o.shape[3] - left, top, height - o.shape[2] - top)))
        return torch.cat(padded, 1)
    raise AssertionError(name)


def network():
    """A conv, an Inception like OpenFace's 3a (all four columns, a stride-2 pool whose column
    comes out smaller) and one like 3c (stride-2 convolutions, no 1x1 column, no pool reduce)."""
    a = inception(8, [3, 5], [1, 1], [6, 3], [4, 2, 3, 5], max_pool(3, 2))
    c = inception(17, [3, 5], [2, 2], [4, 2], [3, 2], max_pool(3, 2))
    return seq(conv(3, 8, 3, 1, 1), relu(), a, c)


def write(tmp_path, obj, name="model.t7"):
    path = tmp_path / name
    path.write_bytes(dumps(obj))
    return path


def test_inception_imports_as_its_depth_concat_with_the_same_forward(tmp_path):
    net = network()
    imported = import_t7(write(tmp_path, net), input_shape=(3, 9, 9))
    x = torch.from_numpy(RNG.standard_normal((2, 3, 9, 9)).astype(np.float32))
    with torch.no_grad():
        expected = run(net, x)
        got = imported.model(x)
    # 3a: 6 + 3 + 3 + 5 planes at 9x9 (the pool column 4x4, padded 2 before and 3 after);
    # 3c: 4 + 2 + 17 planes at 5x5 (the pool column 4x4, padded 0 before and 1 after)
    assert expected.shape == (2, 23, 5, 5)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    text = str(imported.spec)
    assert "nn.Inception" not in text and text.count("nn.DepthConcat") == 2


@pytest.mark.parametrize("name", ["nn.Decorator", "nn.DontCast", "nn.Serial", "nn.NaN", "nn.Profile"])
def test_a_decorator_imports_as_its_module(tmp_path, name):
    inner = conv(3, 4, 3)
    net = seq(m(name, module=inner, modules=[inner]), relu())
    imported = import_t7(write(tmp_path, net), input_shape=(3, 6, 6))
    x = torch.from_numpy(RNG.standard_normal((1, 3, 6, 6)).astype(np.float32))
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), run(seq(inner, relu()), x), rtol=1e-6, atol=1e-6)
    assert name not in str(imported.spec)


@pytest.mark.parametrize("name, words", [("nn.WeightNorm", "recomputes the module's weight"),
                                         ("nn.ReverseRNN", "reverses the sequence")])
def test_a_decorator_with_its_own_forward_is_refused_in_one_line(tmp_path, name, words):
    inner = conv(3, 4, 3)
    path = write(tmp_path, seq(relu(), m(name, module=inner, modules=[inner])))
    with pytest.raises(T7Error) as exc:
        import_t7(path, input_shape=(3, 6, 6))
    message = str(exc.value)
    assert "\n" not in message and "modules[2]" in message and f"{name} is not supported" in message
    assert words in message


def test_a_decorator_without_its_module_is_refused(tmp_path):
    path = write(tmp_path, seq(m("nn.Decorator", modules=[])))
    with pytest.raises(T7Error, match=r"modules\[1\].*nn.Decorator without the module it decorates"):
        import_t7(path, input_shape=(3, 6, 6))


def test_the_first_dpnn_inception_a_container_of_its_depth_concat_imports(tmp_path):
    # dpnn's first Inception.lua was an nn.Container keeping self.depthConcat and modules[1]
    net = network()
    for block in net.fields["modules"][2:]:
        depth_concat = block.fields.pop("module")
        block.fields["depthConcat"] = depth_concat
    imported = import_t7(write(tmp_path, net), input_shape=(3, 9, 9))
    x = torch.from_numpy(RNG.standard_normal((1, 3, 9, 9)).astype(np.float32))
    for block in net.fields["modules"][2:]:
        block.fields["module"] = block.fields["depthConcat"]
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), run(net, x), rtol=1e-5, atol=1e-5)

"""Issue 19 items 10 and 11: `.t7` models whose input is not one image (a vector, a sequence, a
graph with several inputs and outputs), written the way torch/nn and nngraph store them; the input
is given with ``--input`` (once per graph input) or found from what the first modules imply."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.model.build import build
from enet_port.model.spec import load_spec
from enet_port.t7.load import import_t7
from enet_port.t7.reader import T7Error

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Storage, Tensor, dumps, gmodule_object  # noqa: E402

RNG = np.random.default_rng(11)


def module(name, **fields):
    return Object(name, {"train": False, "output": Tensor(np.zeros(0)), **fields})


def linear(n_in, n_out):
    """nn.Linear as stored, and its forward in numpy (float64 of the stored float32 values)."""
    w, b = RNG.standard_normal((n_out, n_in)).astype(np.float32), RNG.standard_normal(n_out).astype(np.float32)
    return module("nn.Linear", weight=Tensor(w), bias=Tensor(b)), lambda x: x @ w.T.astype(float) + b


def write(tmp_path, obj, name="model.t7"):
    path = tmp_path / name
    path.write_bytes(dumps(obj))
    return path


def forward(model, x):
    with torch.no_grad():
        return model.double()(x)


def test_a_vector_model_finds_its_input_from_its_first_linear(tmp_path):
    (l1, f1), (l2, f2) = linear(3, 4), linear(4, 2)
    path = write(tmp_path, module("nn.Sequential", modules=[l1, module("nn.Tanh"), l2]))
    imported = import_t7(path)
    assert imported.spec["input"] == [3] and imported.spec["classes"] == 2
    x = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(forward(imported.model, torch.from_numpy(x)).numpy(), f2(np.tanh(f1(x))), rtol=1e-6)


def sequence_model():
    """A character-CNN shape: TemporalConvolution(13, 8, 3), ReLU, TemporalMaxPooling(2), Reshape(72),
    Linear(72, 5): only 20 or 21 frames give the 9 x 8 the Reshape takes."""
    w, b = RNG.standard_normal((8, 39)).astype(np.float32), RNG.standard_normal(8).astype(np.float32)
    conv = module("nn.TemporalConvolution", inputFrameSize=13, outputFrameSize=8, kW=3, dW=1,
                  weight=Tensor(w), bias=Tensor(b))
    fc, f_fc = linear(72, 5)
    layers = [conv, module("nn.ReLU", threshold=0, val=0, inplace=False), module("nn.TemporalMaxPooling", kW=2, dW=2),
              module("nn.Reshape", size=Storage(np.array([72])), batchsize=Storage(np.array([1, 72])), nelement=72), fc]

    def reference(x):  # x: N x T x 13, Torch7's loops
        frames = np.stack([np.concatenate([x[:, t + k] for k in range(3)], axis=1) @ w.T + b
                           for t in range(x.shape[1] - 2)], axis=1)
        relu = np.maximum(frames, 0)
        pooled = np.maximum(relu[:, 0:18:2], relu[:, 1:18:2])
        return f_fc(pooled.reshape(len(x), 72))
    return module("nn.Sequential", modules=layers), reference


def test_a_sequence_model_is_sized_by_its_temporal_convolution(tmp_path):
    obj, reference = sequence_model()
    path = write(tmp_path, obj)
    imported = import_t7(path)
    assert imported.spec["input"] == [20, 13]  # the fewest frames that fit, of frames of 13
    x = RNG.standard_normal((2, 20, 13))
    np.testing.assert_allclose(forward(imported.model, torch.from_numpy(x)).numpy(), reference(x), rtol=1e-5)
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "seq.json"), "--input", "21x13"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "seq.json").read_text())["input"] == [21, 13]


def two_input_cell():
    """An nngraph RNN cell: h' = tanh(Linear(3, 4)(x) + Linear(4, 4)(h)), out = Linear(4, 2)(h');
    outputs {out, h'}; inputs {x, h} through innode:split(2)."""
    (lx, fx), (lh, fh), (lo, fo) = linear(3, 4), linear(4, 4), linear(4, 2)
    modules = [module("nn.Identity"), module("nn.Identity"), lx, lh, module("nn.CAddTable", inplace=False),
               module("nn.Tanh"), lo]
    graph = gmodule_object(modules, [[], [], [0], [1], [2, 3], [4], [5]], inputs=[0, 1], outputs=[6, 5])

    def reference(x, h):
        new_h = np.tanh(fx(x) + fh(h))
        return fo(new_h), new_h
    return graph, reference


def test_a_two_input_graph_takes_one_input_per_graph_input(tmp_path):
    graph, reference = two_input_cell()
    path = write(tmp_path, graph)
    imported = import_t7(path)
    assert imported.spec["input"] == [[3], [4]]  # each from the Linear that reads it
    x, h = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4))
    out, new_h = forward(imported.model, [torch.from_numpy(x), torch.from_numpy(h)])
    for got, expected in zip((out, new_h), reference(x, h)):
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "cell.json"),
                                       "--input", "3", "--input", "4"])
    assert result.exit_code == 0, result.output
    rebuilt = build(load_spec(tmp_path / "cell.json"))  # the written spec loads and builds
    assert load_spec(tmp_path / "cell.json").input == [(3,), (4,)] and len(rebuilt.t7_node.children) == 1


def test_a_graph_with_eleven_inputs_and_ten_outputs(tmp_path):
    """out_j = Linear(j+1, 2)(in_j) + Linear(j+2, 2)(in_j+1), j = 1..10."""
    linears = [linear(i + 1, 2) for i in range(11)]
    modules = [module("nn.Identity") for _ in range(11)] + [l for l, _ in linears] + \
        [module("nn.CAddTable", inplace=False) for _ in range(10)]
    reads = [[] for _ in range(11)] + [[i] for i in range(11)] + [[11 + j, 12 + j] for j in range(10)]
    graph = gmodule_object(modules, reads, inputs=list(range(11)), outputs=[22 + j for j in range(10)])
    path = write(tmp_path, graph)
    given = [arg for i in range(11) for arg in ("--input", str(i + 1))]
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "g.json")] + given)
    assert result.exit_code == 0, result.output
    imported = import_t7(path)
    assert imported.spec["input"] == [[i + 1] for i in range(11)]
    xs = [RNG.standard_normal((2, i + 1)) for i in range(11)]
    outs = forward(imported.model, [torch.from_numpy(x) for x in xs])
    assert len(outs) == 10
    for j, out in enumerate(outs):
        np.testing.assert_allclose(out.numpy(), linears[j][1](xs[j]) + linears[j + 1][1](xs[j + 1]), rtol=1e-6)


def test_a_wrong_number_of_inputs_is_one_line(tmp_path):
    path = write(tmp_path, two_input_cell()[0])
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "c.json"), "--input", "3"])
    assert result.exit_code != 0 and "2 inputs" in result.output and "Traceback" not in result.output
    with pytest.raises(T7Error, match="no input size fits"):
        import_t7(write(tmp_path, module("nn.Sequential", modules=[linear(3, 4)[0], linear(5, 2)[0]]), "bad.t7"))


def test_predict_refuses_a_model_that_does_not_take_an_image(tmp_path):
    from PIL import Image
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    path = write(tmp_path, two_input_cell()[0])
    result = CliRunner().invoke(main, ["predict", str(path), str(tmp_path / "a.png"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "predict reads images, and this model takes 2 inputs (a vector of 3, a vector of 4)" in result.output


def test_a_graph_input_nothing_sizes_takes_another_inputs_shape(tmp_path):
    """An LSTM-like cell {x, c, h}: c is read only by a CMulTable, so nothing says its size; of
    the others' sizes (3 from x's Linear, 4 from h's), 4 fits."""
    (lx, fx), (lh, fh) = linear(3, 4), linear(4, 4)
    modules = [module("nn.Identity"), module("nn.Identity"), module("nn.Identity"), lx, lh,
               module("nn.CAddTable", inplace=False), module("nn.Sigmoid"), module("nn.CMulTable"), module("nn.Tanh")]
    reads = [[], [], [], [0], [2], [3, 4], [5], [1, 6], [7]]
    path = write(tmp_path, gmodule_object(modules, reads, inputs=[0, 1, 2], outputs=[8, 7]))
    imported = import_t7(path)
    assert imported.spec["input"] == [[3], [4], [4]]
    x, c, h = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))
    next_h, next_c = forward(imported.model, [torch.from_numpy(v) for v in (x, c, h)])
    expected_c = c / (1 + np.exp(-(fx(x) + fh(h))))
    np.testing.assert_allclose(next_c.numpy(), expected_c, rtol=1e-6)
    np.testing.assert_allclose(next_h.numpy(), np.tanh(expected_c), rtol=1e-6)


def test_summary_of_an_imported_two_input_graph(tmp_path):
    path = write(tmp_path, two_input_cell()[0])
    CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "cell.json")])
    result = CliRunner().invoke(main, ["summary", str(tmp_path / "cell.json")])
    assert result.exit_code == 0, result.output
    total = result.output.strip().splitlines()[-1]
    # Linear(3, 4), Linear(4, 4), Linear(4, 2): 16 + 20 + 10 parameters, 12 + 16 + 8 MACs
    assert total.split()[:3] == ["total", "46", "36"] and total.endswith("on {3, 4}")

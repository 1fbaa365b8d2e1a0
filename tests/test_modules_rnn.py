"""The rnn package's Sequencer, Recursor, FastLSTM and MaskZero (issue 19 item 9): forward values
from FastLSTM.lua's step written out in numpy, the state carried over steps and forgotten before
each sequence, shape rules, parameter counts, and a stored rnn model imported."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from enet_port.model.build import build, build_node
from enet_port.model.shapes import ShapeError, infer, macs, param_count
from enet_port.model.spec import Spec
from enet_port.model.tree import Node
from enet_port.t7.load import import_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Tensor, dumps, module_object  # noqa: E402

RNG = np.random.default_rng(7)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def lstm_steps(xs, wi, bi, wo):
    """FastLSTM.lua's buildModel, step by step from zero state: gates = i2g(x) + o2g(h) read as
    4 x n: input (sigmoid), hidden (tanh), forget (sigmoid), output (sigmoid)."""
    n = wo.shape[1]
    h, c, outs = np.zeros((xs[0].shape[0], n)), np.zeros((xs[0].shape[0], n)), []
    for x in xs:
        g = x @ wi.T + bi + h @ wo.T
        i, hidden, f, o = (g[:, k * n:(k + 1) * n] for k in range(4))
        c = sigmoid(i) * np.tanh(hidden) + sigmoid(f) * c
        h = sigmoid(o) * np.tanh(c)
        outs.append(h)
    return outs


def lstm_weights(module):
    return [p.detach().numpy() for p in (module.i2g_weight, module.i2g_bias, module.o2g_weight)]


def test_fast_lstm_keeps_its_state_until_forget():
    node = Node("nn.FastLSTM", [3, 4])
    lstm = build_node(node).double()
    xs = [RNG.standard_normal((2, 3)) for _ in range(3)]
    with torch.no_grad():
        got = [lstm(torch.from_numpy(x)).numpy() for x in xs]
        lstm.forget()
        again = lstm(torch.from_numpy(xs[0])).numpy()
    for g, e in zip(got, lstm_steps(xs, *lstm_weights(lstm))):
        np.testing.assert_allclose(g, e, rtol=1e-12)
    np.testing.assert_allclose(again, got[0], rtol=1e-12)
    assert param_count(node) == 4 * 4 * 3 + 4 * 4 + 4 * 4 * 4 and macs(node, (3,), (4,)) == 4 * 4 * 7
    assert infer(node, (3,)) == (4,)
    with pytest.raises(ShapeError, match="3 inputs"):
        infer(node, (5,))


def test_sequencer_runs_its_step_over_time_and_forgets_between_sequences():
    node = Node("nn.Sequencer", [], children=[Node("nn.FastLSTM", [3, 4])])
    sequencer = build_node(node).double()
    x = RNG.standard_normal((2, 5, 3))  # N x T x F
    expected = np.stack(lstm_steps(list(x.transpose(1, 0, 2)), *lstm_weights(sequencer[0])), 1)
    with torch.no_grad():
        first, second = (sequencer(torch.from_numpy(x)).numpy() for _ in range(2))
        table = sequencer([torch.from_numpy(x[:, t]) for t in range(5)])
    np.testing.assert_allclose(first, expected, rtol=1e-12)
    np.testing.assert_allclose(second, expected, rtol=1e-12)  # remember('neither'): a fresh start
    np.testing.assert_allclose(torch.stack(table, 1).numpy(), expected, rtol=1e-12)
    assert infer(node, (5, 3)) == (5, 4) and infer(node, [(3,)] * 2) == [(4,)] * 2


def test_recursor_and_mask_zero():
    linear = Node("nn.Linear", [3, 2])
    node = Node("nn.Sequencer", [], children=[Node("nn.MaskZero", [1], children=[Node("nn.Recursor", [], children=[linear])])])
    model = build_node(node).double()
    x = RNG.standard_normal((2, 4, 3))
    x[1, 2] = 0  # sample 2's third step is padding
    w, b = (p.detach().numpy() for p in (model[0][0][0].weight, model[0][0][0].bias))
    expected = x @ w.T + b
    expected[1, 2] = 0
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(x)).numpy(), expected, rtol=1e-12)
    assert infer(node, (4, 3)) == (4, 2)


def test_a_stored_rnn_classifier_imports(tmp_path):
    """SplitTable(1, 2) -> Sequencer(FastLSTM(3, 4)) -> SelectTable(-1) -> Linear(4, 2), saved
    the rnn way (weights in the FastLSTM's i2g and o2g) and imported with --input 6x3."""
    spec = {"name": "rnn", "input": [6, 3], "classifier": [], "features": [
        {"nn.SplitTable": [1, 2]}, {"nn.Sequencer": [], "children": [{"nn.FastLSTM": [3, 4]}]},
        {"nn.SelectTable": [-1]}, {"nn.Linear": [4, 2]}]}
    torch.manual_seed(0)
    model = build(Spec(str(tmp_path / "rnn.json"), spec)).double().eval()
    path = tmp_path / "rnn.t7"
    path.write_bytes(dumps(module_object(model)))
    imported = import_t7(path, (6, 3))
    lstm, fc = imported.model[1][0], imported.model[3]
    x = RNG.standard_normal((2, 6, 3))
    expected = lstm_steps(list(x.transpose(1, 0, 2)), *lstm_weights(lstm.double()))[-1] @ \
        fc.weight.detach().double().numpy().T + fc.bias.detach().double().numpy()
    with torch.no_grad():
        np.testing.assert_allclose(imported.model.double()(torch.from_numpy(x)).numpy(), expected, rtol=1e-5)
        torch.testing.assert_close(imported.model(torch.from_numpy(x)), model(torch.from_numpy(x)))
    assert imported.spec["features"][1] == {"nn.Sequencer": [], "children": [{"nn.FastLSTM": [3, 4]}]}


def test_a_sequence_model_without_input_takes_the_shortest_sequence(tmp_path):
    obj = Object("nn.Sequential", {"modules": [
        Object("nn.SplitTable", {"dimension": 1, "nInputDims": 2}),
        Object("nn.Sequencer", {"modules": [Object("nn.Recursor", {"modules": [
            Object("nn.Linear", {"weight": Tensor(np.ones((2, 3))), "bias": Tensor(np.zeros(2))})]})]}),
        Object("nn.JoinTable", {"dimension": 1, "nInputDims": 1})]})
    path = tmp_path / "seq.t7"
    path.write_bytes(dumps(obj))
    assert import_t7(path).spec["input"] == [1, 3]  # any length fits: one step of the Linear's 3

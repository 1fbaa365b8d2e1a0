"""The rnn package's GRU, LSTM (peepholes), Recurrent and SeqLSTM in ``.t7`` files of our own (tests/t7writer.py),
stored as rnn's GRU.lua / LSTM.lua / SeqLSTM.lua leave them: GRU's i2g/o2g fields and its
candidate's layers deep in its recurrentModule; LSTM's inputGate, forgetGate, hiddenLayer,
outputGate Sequentials; SeqLSTM's (D + H) x 4H weight. Each is imported inside a Sequencer and
its forward checked against the module's equations written out here in numpy, step by step."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from enet_port.t7.load import import_t7
from enet_port.t7.reader import T7Error

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Tensor, dumps  # noqa: E402

D, H, T = 3, 4, 5


def m(name, **fields):
    return Object(name, {"train": False, "output": Tensor(np.zeros(0)), **fields})


def seq(*modules):
    return m("nn.Sequential", modules=list(modules))


def linear(rng, n_in, n_out, bias=True):
    weight = rng.standard_normal((n_out, n_in)) * 0.5
    if not bias:
        return m("nn.LinearNoBias", weight=Tensor(weight)), (weight,)
    b = rng.standard_normal(n_out) * 0.5
    return m("nn.Linear", weight=Tensor(weight), bias=Tensor(b)), (weight, b)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def gru(rng):
    (i2g, (wg, bg)), (o2g, (ug,)) = linear(rng, D, 2 * H), linear(rng, H, 2 * H, False)
    (i2h, (wh, bh)), (o2h, (uh,)) = linear(rng, D, H), linear(rng, H, H, False)
    gates = seq(m("nn.ParallelTable", modules=[i2g, o2g]), m("nn.CAddTable"))
    hidden = seq(m("nn.ConcatTable", modules=[seq(m("nn.SelectTable", index=1), i2h),
                                              seq(m("nn.NarrowTable", offset=2, length=2), m("nn.CMulTable"), o2h)]),
                 m("nn.CAddTable"), m("nn.Tanh"))
    step = seq(m("nn.ConcatTable", modules=[m("nn.Identity"), gates]), m("nn.FlattenTable"), hidden)
    stored = m("nn.GRU", inputSize=D, outputSize=H, rho=9999, p=0, mono=False, i2g=i2g, o2g=o2g,
               recurrentModule=step, modules=[step], step=1)

    def forward(x, s):
        s = np.zeros((len(x), H)) if s is None else s
        r, z = np.split(sigmoid(x @ wg.T + bg + s @ ug.T), 2, axis=1)
        out = (1 - z) * np.tanh(x @ wh.T + bh + (r * s) @ uh.T) + z * s
        return out, out
    return stored, forward


def lstm(rng, cell2gate=True):
    parts, weights = {}, {}
    for name in ("inputGate", "forgetGate", "hiddenLayer", "outputGate"):
        (li, (w, b)), (lo, (u,)) = linear(rng, D, H), linear(rng, H, H, False)
        layers = [li, lo]
        if cell2gate and name != "hiddenLayer":
            peep = rng.standard_normal(H)
            layers.append(m("nn.CMul", weight=Tensor(peep), size=Tensor(np.array([H]), "torch.LongTensor")))
        else:
            peep = np.zeros(H)
        last = m("nn.Tanh") if name == "hiddenLayer" else m("nn.Sigmoid")
        parts[name] = seq(m("nn.ParallelTable", modules=layers), m("nn.CAddTable"), last)
        weights[name] = (w, b, u, peep)
    step = seq(m("nn.ConcatTable", modules=[m("nn.NarrowTable", offset=1, length=2), parts["forgetGate"]]))
    stored = m("nn.LSTM", inputSize=D, outputSize=H, rho=9999, cell2gate=cell2gate, recurrentModule=step,
               modules=[step], **parts)

    def forward(x, state):
        h, c = state if state is not None else (np.zeros((len(x), H)), np.zeros((len(x), H)))
        pre = {k: x @ w.T + b + h @ u.T for k, (w, b, u, _) in weights.items()}
        i = sigmoid(pre["inputGate"] + weights["inputGate"][3] * c)
        f = sigmoid(pre["forgetGate"] + weights["forgetGate"][3] * c)
        c = f * c + i * np.tanh(pre["hiddenLayer"])
        h = sigmoid(pre["outputGate"] + weights["outputGate"][3] * c) * np.tanh(c)
        return h, (h, c)
    return stored, forward


def recurrent(rng):
    """rnn's Recurrent(Add(H), Linear(D, H), Linear(H, H), Sigmoid(), rho): its five modules stored
    in ``modules`` (start, input, feedback, transfer, merge), its step clones elsewhere."""
    start = rng.standard_normal(H)
    (lin, (w, b)), (fb, (u, c)) = linear(rng, D, H), linear(rng, H, H)
    modules = [m("nn.Add", bias=Tensor(start), scalar=False), lin, fb, m("nn.Sigmoid"), m("nn.CAddTable")]
    stored = m("nn.Recurrent", rho=5, modules=modules, initialModule=seq(lin, modules[0], m("nn.Sigmoid")),
               sharedClones={}, step=1)

    def forward(x, h):
        if h is None:  # the first step: transfer(start(input(x)))
            out = sigmoid(x @ w.T + b + start)
        else:  # transfer(merge{input(x), feedback(h)})
            out = sigmoid(x @ w.T + b + h @ u.T + c)
        return out, out
    return stored, forward


def run_steps(forward, x):
    """The step module over x's time dimension from zero state, as rnn's Sequencer runs it."""
    state, outs = None, []
    for t in range(x.shape[1]):
        out, state = forward(x[:, t], state)
        outs.append(out)
    return np.stack(outs, 1)


@pytest.mark.parametrize("make", [gru, lstm, lambda rng: lstm(rng, False), recurrent],
                         ids=["gru", "lstm", "lstm-no-peepholes", "recurrent"])
def test_a_sequenced_step_module_computes_its_equations(tmp_path, make):
    stored, forward = make(np.random.default_rng(0))
    path = tmp_path / "model.t7"
    path.write_bytes(dumps(seq(m("nn.Sequencer", module=stored, modules=[stored], _remember="neither"))))
    imported = import_t7(path, (T, D))
    x = np.random.default_rng(1).standard_normal((2, T, D))
    with torch.no_grad():
        got = imported.model(torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(got, run_steps(forward, x), rtol=1e-4, atol=1e-5)


def test_a_seq_lstm_computes_torch_rnn_s_equations(tmp_path):
    rng = np.random.default_rng(2)
    weight, bias = rng.standard_normal((D + H, 4 * H)) * 0.5, rng.standard_normal(4 * H) * 0.5
    stored = m("nn.SeqLSTM", inputsize=D, hiddensize=H, outputsize=H, weight=Tensor(weight), bias=Tensor(bias),
               batchfirst=True, maskzero=False, _remember="neither")
    path = tmp_path / "seq.t7"
    path.write_bytes(dumps(seq(stored)))
    imported = import_t7(path, (T, D))
    assert imported.spec["features"] == [{"nn.SeqLSTM": [D, H]}]
    x = rng.standard_normal((2, T, D))

    def forward(xt, state):
        h, c = state
        a = xt @ weight[:D] + h @ weight[D:] + bias  # gates i, f, o, g (SeqLSTM.lua)
        i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        c = f * c + i * g
        return o * np.tanh(c), (o * np.tanh(c), c)
    state, outs = (np.zeros((2, H)), np.zeros((2, H))), []
    for t in range(T):
        out, state = forward(x[:, t], state)
        outs.append(out)
    with torch.no_grad():
        got = imported.model(torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(got, np.stack(outs, 1), rtol=1e-4, atol=1e-5)


def test_a_seq_gru_reads_its_gates_r_then_u(tmp_path):
    """SeqGRU.lua: a = x Wx + b; r, u = sigmoid(a[:2H] + h Wh[:, :2H]) (r first, unlike torch-rnn's
    GRU); hc = tanh(a[2H:] + (r * h) Wh[:, 2H:]); h = (1 - u) * hc + u * h."""
    rng = np.random.default_rng(7)
    weight, bias = rng.standard_normal((D + H, 3 * H)) * 0.5, rng.standard_normal(3 * H) * 0.5
    path = tmp_path / "seqgru.t7"
    path.write_bytes(dumps(seq(m("nn.SeqGRU", inputSize=D, outputSize=H, weight=Tensor(weight), bias=Tensor(bias),
                                 batchfirst=False, maskzero=False, _remember="neither", seqLength=1, miniBatch=1))))
    imported = import_t7(path, (T, D))
    x, h, outs = rng.standard_normal((2, T, D)), np.zeros((2, H)), []
    for t in range(T):
        a = x[:, t] @ weight[:D] + bias
        r, u = np.split(sigmoid(a[:, :2 * H] + h @ weight[D:, :2 * H]), 2, axis=1)
        hc = np.tanh(a[:, 2 * H:] + (r * h) @ weight[D:, 2 * H:])
        h = (1 - u) * hc + u * h
        outs.append(h)
    with torch.no_grad():
        got = imported.model(torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(got, np.stack(outs, 1), rtol=1e-4, atol=1e-5)


def test_refused_variants_name_the_place(tmp_path):
    stored, _ = gru(np.random.default_rng(3))
    stored.fields["p"] = 0.25
    path = tmp_path / "bayes.t7"
    path.write_bytes(dumps(seq(stored)))
    with pytest.raises(T7Error, match=r"bayes.t7: modules\[1\]: nn.GRU.*p = 0.25 .* not supported"):
        import_t7(path, (D,))
    old, _ = lstm(np.random.default_rng(4))
    gate = old.fields["inputGate"].fields["modules"][0].fields["modules"]
    gate[1] = m("nn.Linear", weight=Tensor(np.zeros((H, H))), bias=Tensor(np.zeros(H)))
    path = tmp_path / "old.t7"
    path.write_bytes(dumps(seq(old)))
    with pytest.raises(T7Error, match=r"old.t7: modules\[1\]: nn.LSTM: nn.LSTM of rnn's first versions"):
        import_t7(path, (D,))


def test_an_rnn_language_model_log_imports_its_model_key(tmp_path):
    """rnn's recurrent-language-model.lua saves {model = nn.Serial(lm), targetmodule, criterion, opt}:
    the model key is the model. Here lm is LookupTableMaskZero(V, D) (index 0 pads: a zero row),
    SplitTable(1, 2), Sequencer(Recurrence(rm, H, 1)) with rm = sigmoid(Linear(x) + Linear(h)), the
    last step, written batch-first as the port reads sequences."""
    rng, n_index = np.random.default_rng(6), 7
    # row 1 is index 0's: zeroed before each forward, so an update after the last one leaves it non-zero
    table = rng.standard_normal((n_index + 1, D))
    (lx, (w, b)), (lh, (u, c)) = linear(rng, D, H), linear(rng, H, H)
    rm = seq(m("nn.ParallelTable", modules=[lx, lh]), m("nn.CAddTable"), m("nn.Sigmoid"))
    recurrence = m("nn.Recurrence", outputSize={1: H}, nInputDim=1, rho=9999, recurrentModule=rm, module=rm,
                   modules=[rm])
    lm = seq(m("nn.LookupTableMaskZero", weight=Tensor(table), paddingValue=0), m("nn.SplitTable", dimension=1,
                                                                                   nInputDims=2),
             m("nn.Sequencer", module=recurrence, modules=[recurrence], _remember="neither"),
             m("nn.SelectTable", index=-1))
    xplog = {"model": Object("nn.Serial", {"modules": [lm], "module": lm, "tensortype": "torch.FloatTensor"}),
             "targetmodule": m("nn.SplitTable", dimension=1), "criterion": m("nn.SequencerCriterion"),
             "opt": {"seqlen": T}, "minvalppl": 123.0}
    path = tmp_path / "ptb.t7"
    path.write_bytes(dumps(xplog))
    imported = import_t7(path, (T,))
    assert [next(iter(e)) for e in imported.spec["features"]][0] == "nn.LookupTableMaskZero"
    ids = np.array([[0, 3, 7, 1, 0], [2, 2, 0, 5, 6]])
    h = np.zeros((2, H))
    for t in range(T):
        x = table[ids[:, t]] * (ids[:, t] != 0)[:, None]  # index i reads row i + 1 (Lua); 0 gives zeros
        h = sigmoid(x @ w.T + b + h @ u.T + c)
    with torch.no_grad():
        got = imported.model(torch.tensor(ids, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(got, h, rtol=1e-4, atol=1e-5)


def test_a_malformed_stored_step_module_is_refused_in_one_line(tmp_path):
    """A GRU without its step, an LSTM gate missing its peephole CMul: errors naming the place."""
    no_step, _ = gru(np.random.default_rng(5))
    del no_step.fields["recurrentModule"]
    no_step.fields["modules"] = []
    no_peephole, _ = lstm(np.random.default_rng(6))
    no_peephole.fields["inputGate"].fields["modules"][0].fields["modules"].pop(2)
    for stored, message in [(no_step, r"nn.GRU: no nn.Linear\(3, 4\) inside"),
                            (no_peephole, r"nn.LSTM: its inputGate's ParallelTable holds 2 modules, not 3")]:
        path = tmp_path / "bad.t7"
        path.write_bytes(dumps(seq(stored)))
        with pytest.raises(T7Error, match=r"bad.t7: modules\[1\]: " + message):
            import_t7(path, (D,))

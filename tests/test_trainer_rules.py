"""Four trainer rules held against the Lua sources (issue 21's mutants), through ``enet-port train``.

- optim.sgd (torch7-facts.md section 2): g += wd*x; buf = g on the first call, else
  mom*buf + g (dampening 0); g = g + mom*buf with Nesterov, else buf; x -= lr*g.
- fb.resnet.torch ``train.lua``: ``nesterov = true``; imagenet-multiGPU ``train.lua``: optim.sgd
  with -weightDecay, and a fresh optimState (empty momentum) whenever ``paramsForEpoch`` starts a
  regime.
- donkey.lua's testHook: the centre crop starts at ``math.ceil((iW - oW) / 2)``.

The specs here have no dropout (dropout masks draw from the global RNG, which a run started at
epoch 2 has not advanced), and a PReLU after a ReLU: its inputs are never negative, so its weight
gets an exactly zero loss gradient and moves by weight decay and momentum alone.
"""
import json
import math

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from enet_port.cli import main
from enet_port.data import donkey
from enet_port.data.sample_data import make_sample_dataset
from enet_port.model.build import build
from enet_port.train import checkpoints

SPEC = {
    "name": "no-dropout", "recipe": "exp-v7", "input": [3, 32, 32], "classes": 10,
    "features": [
        {"cudnn.SpatialConvolution": [3, 8, 3, 3, 2, 2, 1, 1]},
        {"nn.SpatialBatchNormalization": [8, 0.001]},
        {"cudnn.ReLU": [True]},
        {"nn.PReLU": [8]},
        {"cudnn.SpatialAveragePooling": [16, 16, 1, 1, 0, 0]},
    ],
    "classifier": [{"nn.View": [8]}, {"nn.Linear": [8, "$nClasses"]}, {"nn.LogSoftMax": []}],
}
SMALL = ["-imageSize", "36", "-cropSize", "32", "-batchSize", "8", "-nClasses", "10", "-nDonkeys", "0",
         "-manualSeed", "4"]
PRELU = "0.3.weight"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    spec = root / "no_dropout.json"
    spec.write_text(json.dumps(SPEC))
    return spec, make_sample_dataset(root / "samples", 6, 2, size=40)


def train(spec, data, run_dir, *args):
    result = CliRunner().invoke(main, ["train", str(spec), "-data", str(data), *SMALL, "--run-dir", str(run_dir), *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return run_dir


def weights(run_dir, epoch):
    return checkpoints.load(run_dir / f"model_{epoch}.pt")["model"]


def initial_prelu(spec):
    torch.manual_seed(4)  # -manualSeed: the trainer builds the model right after seeding
    return build(spec, classes=10)[0][3].weight.detach().clone()


def lua_sgd_steps(x, steps, lr, wd, momentum, nesterov):
    """optim.sgd as train.lua configures it (dampening 0) on a parameter with zero loss gradient."""
    buf = None
    for _ in range(steps):
        g = wd * x
        buf = g.clone() if buf is None else momentum * buf + g
        x = x - lr * (g + momentum * buf if nesterov else buf)
    return x


def test_weight_decay_moves_a_parameter_with_zero_loss_gradient(setup, tmp_path):
    spec, data = setup
    run = train(spec, data, tmp_path / "run", "-nEpochs", "1", "-epochSize", "1", "-LR", "0.5", "-weightDecay", "0.01")
    x0 = initial_prelu(spec)
    # one step, first call: buf = g = wd*x, so x moves by -lr*wd*x
    assert torch.allclose(weights(run, 1)[PRELU], x0 - 0.5 * 0.01 * x0, rtol=0, atol=1e-7)
    assert not torch.allclose(weights(run, 1)[PRELU], x0, rtol=0, atol=1e-5)


def test_fb_resnet_recipe_steps_are_nesterov(setup, tmp_path):
    spec, data = setup
    run = train(spec, data, tmp_path / "run", "--recipe", "fb.resnet.torch", "--pipeline", "lua", "-nEpochs", "1",
                "-epochSize", "3", "-LR", "0.5", "-weightDecay", "0.01")
    x0 = initial_prelu(spec)
    expected = lua_sgd_steps(x0, 3, 0.5, 0.01, 0.9, nesterov=True)
    assert torch.allclose(weights(run, 1)[PRELU], expected, rtol=0, atol=1e-7)
    plain = lua_sgd_steps(x0, 3, 0.5, 0.01, 0.9, nesterov=False)
    assert (expected - plain).abs().min() > 1e-4  # the check can tell the two apart


def test_momentum_is_reset_when_a_regime_starts(setup, tmp_path):
    # exp-v7 starts a regime at epoch 2: epoch 2 of a run equals epoch 2 trained from model_1
    # with a fresh optimizer (-retrain without -optimState)
    spec, data = setup
    common = ["-epochSize", "3", "-LR", "0.2", "-weightDecay", "0.01"]
    straight = train(spec, data, tmp_path / "a", "-nEpochs", "2", *common)
    restarted = train(spec, data, tmp_path / "b", "-nEpochs", "1", "-epochNumber", "2",
                      "-retrain", str(straight / "model_1.pt"), *common)
    a, b = weights(straight, 2), weights(restarted, 2)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key].float(), b[key].float(), rtol=0, atol=1e-6), key


def test_warmup_raises_the_lr_linearly_over_epoch_1(setup, tmp_path):
    # --warmup 3 (a PyTorch addition the sample run uses): batches 1, 2, 3 at lr/3, 2lr/3, lr;
    # with momentum 0 the zero-gradient PReLU weight shrinks by (1 - lr_k * wd) per batch
    spec, data = setup
    run = train(spec, data, tmp_path / "run", "-nEpochs", "1", "-epochSize", "4", "-LR", "0.6",
                "-weightDecay", "0.05", "-momentum", "0", "--warmup", "3")
    x0 = initial_prelu(spec)
    factor = (1 - 0.2 * 0.05) * (1 - 0.4 * 0.05) * (1 - 0.6 * 0.05) ** 2
    assert torch.allclose(weights(run, 1)[PRELU], x0 * factor, rtol=0, atol=1e-7)
    state = checkpoints.load(run / "optimState_1.pt")
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.6  # the epoch ends at the full LR


def coordinate_image(w, h):
    """Red = 4 * x, green = 6 * y: a crop's corner pixel says where the crop was taken."""
    image = Image.new("RGB", (w, h))
    image.putdata([(4 * x, 6 * y, 0) for y in range(h) for x in range(w)])
    return image


def test_centre_crop_rounds_odd_margins_up():
    w, h, crop = 61, 41, 32  # margins 29 and 9: donkey.lua starts at ceil(14.5) = 15, ceil(4.5) = 5
    out = donkey.Transform(h, crop).test(coordinate_image(w, h)).float()
    assert (out[0, 0, 0].round().item(), out[1, 0, 0].round().item()) == (4 * 15, 6 * 5)
    assert out[0, 0, -1].round().item() == 4 * (15 + crop - 1)
    assert math.ceil((w - crop) / 2) == 15

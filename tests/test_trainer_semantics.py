"""Trainer behaviour checked against values derived here from the Lua sources, not from our code:
donkey.lua's crop offsets and flip, test.lua's top-1/top-5, the e-lab fork's -batchChunks, and
``enet-port test`` against an evaluation written out in this file."""
import json
import math
import random
import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from click.testing import CliRunner
from PIL import Image

from enet_port.cli import main
from enet_port.model.build import build
from enet_port.train import checkpoints
from enet_port.data import donkey
from enet_port.data.sample_data import make_sample_dataset
from enet_port.train.test import evaluate
from enet_port.train.train import Device, train_batch
from conftest import ROOT

TINY = str(ROOT / "tests" / "specs" / "tiny.json")
SMALL = ["-imageSize", "36", "-cropSize", "32", "-batchSize", "16"]
W, H, CROP = 60, 40, 32


def coordinate_image():
    """Red = 4 * x, green = 6 * y: a crop's corner pixel says where the crop was taken."""
    image = Image.new("RGB", (W, H))
    image.putdata([(4 * x, 6 * y, 0) for y in range(H) for x in range(W)])
    return image


def lua_draws(seed):
    """donkey.lua trainHook: h1 = ceil(uniform(1e-2, iH-oH)), then w1 likewise, flip if uniform() > 0.5."""
    rng = random.Random(seed)
    y = math.ceil(rng.uniform(1e-2, H - CROP))
    x = math.ceil(rng.uniform(1e-2, W - CROP))
    return x, y, rng.random() > 0.5


def test_training_crop_offsets_and_flip_follow_donkey_lua():
    transform = donkey.Transform(H, CROP)  # the short side is already imageSize: no scaling
    flips = set()
    for seed in range(40):
        x, y, flip = lua_draws(seed)
        out = transform.train(coordinate_image(), random.Random(seed)).float()  # uint8: 255 * Lua's [0, 1]
        left, right = out[0, 0, 0].round().item(), out[0, 0, -1].round().item()
        assert out[1, 0, 0].round().item() == 6 * y
        assert (left, right) == ((4 * (x + CROP - 1), 4 * x) if flip else (4 * x, 4 * (x + CROP - 1)))
        assert 1 <= x <= W - CROP and 1 <= y <= H - CROP  # Lua never starts a crop at 0
        flips.add(flip)
    assert flips == {True, False}


def test_centre_crop_follows_donkey_lua():
    out = donkey.Transform(H, CROP).test(coordinate_image()).float()
    x, y = math.ceil((W - CROP) / 2), math.ceil((H - CROP) / 2)
    assert out[0, 0, 0].round().item() == 4 * x and out[1, 0, 0].round().item() == 6 * y


class Logits(nn.Module):
    """A 'model' whose output is its input: the test chooses the log-probabilities."""

    def forward(self, x):
        return x


def test_top1_and_top5_count_as_test_lua(tmp_path):
    # label 0 ranked 1st, 3rd, 5th and 6th among 10 classes
    ranks = [1, 3, 5, 6]
    rows = []
    for rank in ranks:
        row = torch.arange(10, 0, -1, dtype=torch.float) / 10  # class 0 best ... class 9 worst
        order = list(range(10))
        order.insert(rank - 1, order.pop(0))
        row = row[torch.tensor(order).argsort()]
        rows.append(torch.log_softmax(row, 0))
    x, y = torch.stack(rows), torch.zeros(4, dtype=torch.long)
    result = evaluate(Logits(), [(x[:3], y[:3], []), (x[3:], y[3:], [])], 10, Device(torch.device("cpu")), tmp_path)
    assert result["test_top1"] == 25.0 and result["test_top5"] == 75.0
    assert result["test_loss"] == pytest.approx(-sum(r[0].item() for r in rows) / 4)
    assert result["confusion"][0].sum() == 4 and result["confusion"][0, 0] == 1


@pytest.mark.parametrize("chunks", [2, 3, 8])
def test_batch_chunks_give_the_whole_batch_gradient(chunks):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 5), nn.LogSoftmax(1))
    x, y = torch.randn(8, 12), torch.randint(0, 5, (8,))
    expected = [p.detach().clone() for p in model.parameters()]
    grads = torch.autograd.grad(F.nll_loss(model(x), y), list(model.parameters()))
    expected = [p - 0.5 * g for p, g in zip(expected, grads)]  # one plain SGD step on the whole batch
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    train_batch(model, x, y, optimizer, scaler, Device(torch.device("cpu")), chunks)
    for got, want in zip(model.parameters(), expected):
        assert torch.allclose(got, want, atol=1e-6)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("semantics")
    data = make_sample_dataset(root / "data", 12, 3, size=48)
    run = root / "run"
    result = CliRunner().invoke(main, ["train", TINY, *SMALL, "-data", str(data), "-nClasses", "10", "-nEpochs", "3",
                                       "-epochSize", "2", "-nDonkeys", "0", "-LR", "0.05", "-cache", str(root),
                                       "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    return data, run


def independent_top1(data, run, checkpoint):
    """test.lua's centre-crop evaluation written out: PIL bilinear scaling of the short side to 36
    (longer side truncated), crop at ceil((W-32)/2), (x/255 - mean)/std, argmax."""
    saved = torch.load(checkpoint, weights_only=True)
    model = build(TINY, classes=10, input_shape=(3, 32, 32))
    model.load_state_dict(saved["model"])
    model.eval()
    mean = torch.tensor(saved["options"]["mean"]).view(3, 1, 1)
    std = torch.tensor(saved["options"]["std"]).view(3, 1, 1)
    classes = sorted(p.name for p in (data / "val").iterdir())
    correct = total = 0
    for label, name in enumerate(classes):
        for path in sorted((data / "val" / name).iterdir()):
            image = Image.open(path).convert("RGB")
            w, h = image.size
            image = image.resize((36, int(h * 36 / w)) if w <= h else (int(w * 36 / h), 36), Image.BILINEAR)
            w, h = image.size
            x0, y0 = math.ceil((w - 32) / 2), math.ceil((h - 32) / 2)
            pixels = torch.from_numpy(np.asarray(image.crop((x0, y0, x0 + 32, y0 + 32)), dtype=np.float32))
            x = (pixels.permute(2, 0, 1) / 255 - mean) / std
            with torch.no_grad():
                correct += int(model(x[None]).argmax(1).item() == label)
            total += 1
    return 100.0 * correct / total


def test_test_command_equals_an_independent_evaluation_on_val_alone(trained, tmp_path):
    data, run = trained
    val_only = tmp_path / "val_only"
    shutil.copytree(data / "val", val_only / "val")  # no train/: test must not need it
    result = CliRunner().invoke(main, ["test", TINY, "-retrain", str(run / "model_2.pt"), "-data", str(val_only),
                                       "-cache", str(tmp_path / "empty-cache"), *SMALL, "-nClasses", "10", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["test_top1"] == pytest.approx(independent_top1(data, run, run / "model_2.pt"))


def test_model_best_is_the_epoch_with_the_best_test_top1(trained):
    _, run = trained
    rows = [json.loads(line) for line in open(run / "metrics.jsonl")]
    best = max(rows, key=lambda r: r["test_top1"])["epoch"]  # the first of equals, as fb.resnet.torch
    got, want = (torch.load(run / name, weights_only=True) for name in ("model_best.pt", f"model_{best}.pt"))
    assert got["epoch"] == best and all(torch.equal(got["model"][k], want["model"][k]) for k in want["model"])


def test_reset_classifier_keeps_the_features_and_replaces_the_last_linear(trained, tmp_path):
    data, run = trained
    saved = checkpoints.load_model_checkpoint(run / "model_3.pt")
    torch.manual_seed(7)
    model = build(TINY, classes=3, input_shape=(3, 32, 32))
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(checkpoints.CheckpointError, match="has 10 classes, this run -nClasses 3: pass -nClasses 10"):
        checkpoints.load_state_into(model, saved, run / "model_3.pt")
    checkpoints.load_state_into(model, saved, run / "model_3.pt", reset_classifier=True)
    state = model.state_dict()
    last = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)][-1]
    for key, value in state.items():
        want = fresh[key] if key.startswith(last + ".") else saved["model"][key]
        assert torch.equal(value, want), key
    three = tmp_path / "three"
    for split in ("train", "val"):
        for name in ("circle", "square", "cross"):
            shutil.copytree(data / split / name, three / split / name)
    result = CliRunner().invoke(main, ["train", TINY, *SMALL, "-data", str(three), "-nClasses", "3", "-nEpochs", "1",
                                       "-epochSize", "1", "-nDonkeys", "0", "-cache", str(tmp_path), "-retrain",
                                       str(run / "model_3.pt"), "--reset-classifier", "--run-dir", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output


def test_the_fb_pipeline_trains_and_tests_end_to_end(trained, tmp_path):
    data, _ = trained
    run = tmp_path / "fb"
    result = CliRunner().invoke(main, ["train", TINY, *SMALL, "-data", str(data), "-nClasses", "10", "-nEpochs", "1",
                                       "-epochSize", "2", "-nDonkeys", "0", "-LR", "0.05", "--pipeline", "fb",
                                       "-cache", str(tmp_path), "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    options = json.loads((run / "options.json").read_text())
    # fb.resnet.torch datasets/imagenet.lua's meanstd constants, no estimate from the data
    assert options["pipeline"] == "fb" and options["mean"] == pytest.approx([0.485, 0.456, 0.406])
    assert options["std"] == pytest.approx([0.229, 0.224, 0.225])
    assert not (tmp_path / "meanstd.json").exists()
    tested = CliRunner().invoke(main, ["test", TINY, "-retrain", str(run / "model_1.pt"), "-data", str(data),
                                       "-cache", str(tmp_path), *SMALL, "-nClasses", "10", "--json"])
    logged = json.loads(open(run / "metrics.jsonl").readline())
    assert tested.exit_code == 0 and json.loads(tested.stdout)["test_top1"] == logged["test_top1"]

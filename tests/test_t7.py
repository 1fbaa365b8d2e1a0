"""The .t7 importer: Torch7's own stored forward passes, a real ENet, round trips through a
Torch7 writer (tests/t7writer.py) and bad files."""
import json
import re
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import enet_port
from enet_port.cli import main
from enet_port.model.build import build
from enet_port.model.spec import expand, load_spec
from enet_port.t7.convert import as_list, fields
from enet_port.t7.load import import_t7, load_t7_state
from enet_port.t7.reader import T7Error, read_t7
from enet_port import predict
from enet_port.train import test as test_command
from enet_port.train.checkpoints import load_model_into
from enet_port.data.sample_data import make_sample_dataset
from conftest import ROOT, SPECS, SPEC_IDS

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Storage, Tensor, dumps, module_object  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures" / "torch7"
TIED = ROOT / "tests" / "specs" / "tied.json"


def fixture(name):
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"Torch7 fixture {name} not found in {FIXTURES} (the shared/ folder beside the checkout)")
    return path


def stored_modules(path):
    return fields(read_t7(path))["modules"]


# Torch7's own forward passes -----------------------------------------------------------------
def test_mnist_mlp_every_layer_matches_torch7():
    path = fixture("mnist-mlp.t7")
    stored = stored_modules(path)
    model = enet_port.load_t7(path)
    assert model.training  # saved with train = true
    h = torch.from_numpy(fields(stored[0])["output"].copy())  # View.output: the batch's input
    assert h.shape == (128, 784)
    for index, (layer, module) in enumerate(zip(model, stored)):
        h = layer(h)
        expected = torch.from_numpy(fields(module)["output"])
        torch.testing.assert_close(h, expected, rtol=1e-5, atol=1e-4, msg=f"layer {index + 1}")


def lenet_input(conv):
    """conv1's finput is the unfolded input: row c*25 + ki*5 + kj, column i*16 + j holds x[c, i+ki, j+kj]."""
    unfolded = fields(conv)["finput"]
    x = np.zeros((3, 20, 20))
    for row in range(75):
        c, ki, kj = row // 25, row // 5 % 5, row % 5
        x[c, ki:ki + 16, kj:kj + 16] = unfolded[row].reshape(16, 16)
    return torch.from_numpy(x)[None]


def test_lenet_every_layer_matches_torch7_in_float64():
    path = fixture("lenet-chars.net")
    stored = stored_modules(path)
    model = import_t7(path, dtype=torch.float64).model
    h = lenet_input(stored[0])
    for index, (layer, module) in enumerate(zip(model, stored)):
        h = layer(h)
        expected = torch.from_numpy(fields(module)["output"])[None]
        torch.testing.assert_close(h, expected, rtol=1e-10, atol=1e-10, msg=f"layer {index + 1}")


def test_enet_cityscapes_segments_a_street(tmp_path):
    model, image = fixture("enet-cityscapes.net"), fixture("frankfurt_000000_001236_leftImg8bit.png")
    result = CliRunner().invoke(main, ["predict", str(model), str(image), "-o", str(tmp_path), "--size", "640x320"])
    assert result.exit_code == 0, result.output
    labels = np.asarray(Image.open(tmp_path / f"{image.stem}_labels.png"))
    colour = Image.open(tmp_path / f"{image.stem}_color.png")
    assert labels.shape == (320, 640) and colour.size == (640, 320) and labels.max() < 20

    def most_frequent(rows, cols):
        return np.bincount(labels[rows, cols].ravel(), minlength=20).argmax()
    # ENet-training's Cityscapes classes, 0-based: 0 Unlabeled, 1 Road, 9 Vegetation, 11 Sky, 14 Car
    assert most_frequent(slice(220, 290), slice(220, 420)) == 1  # the road ahead
    assert most_frequent(slice(110, 170), slice(520, 620)) == 14  # the van on the right
    assert most_frequent(slice(0, 40), slice(240, 300)) == 11  # the sky between the trees
    assert most_frequent(slice(0, 60), slice(0, 150)) == 9  # the trees on the left


def test_enet_cityscapes_structure_and_eval_mode():
    imported = import_t7(fixture("enet-cityscapes.net"))
    spec = imported.spec
    assert not imported.model.training and spec["input"] == [3, 320, 640] and spec["classes"] == 20
    text = json.dumps(spec)
    assert text.count('"nn.SpatialMaxUnpooling": [], "tie": "pool') == 2
    assert text.count('"id": "pool') == 2
    assert '"nn.SpatialFullConvolution": [16, 20, 2, 2, 2, 2]' in text  # the last layer, 20 classes
    bn = next(m for m in imported.model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert bn.eps == 1e-3


# round trips through the Torch7 writer -------------------------------------------------------
def write_t7(path, obj):
    path.write_bytes(dumps(obj))
    return path


def round_trip(tmp_path, model, **kw):
    model.eval()
    path = write_t7(tmp_path / "model.t7", module_object(model, **kw))
    return import_t7(path)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_round_trip_of_every_spec(tmp_path, spec):
    torch.manual_seed(0)
    model = build(spec, classes=10)
    imported = round_trip(tmp_path, model)
    assert imported.spec["classifier"] == json.loads(Path(spec).read_text())["classifier"] or \
        imported.spec["classes"] == 10
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), model(x), rtol=0, atol=0)
    assert not imported.model.training


def test_round_trip_of_tied_unpooling_through_the_cli(tmp_path):
    torch.manual_seed(0)
    model = build(TIED).eval()
    write_t7(tmp_path / "tied.t7", module_object(model))
    result = CliRunner().invoke(main, ["import-t7", str(tmp_path / "tied.t7"), "-o", str(tmp_path / "out.json"),
                                       "--input", "3x30x30"])
    assert result.exit_code == 0, result.output
    spec = load_spec(tmp_path / "out.json")
    again = build(spec)
    load_model_into(again, tmp_path / "out.pt")
    x = torch.randn(2, 3, 30, 30)
    with torch.no_grad():
        torch.testing.assert_close(again.eval()(x), model(x), rtol=0, atol=0)
    entries = spec.data["features"]
    assert "id" not in entries[1] and entries[4].get("id") == "pool1"  # only tied poolings get an id
    assert entries[6] == {"nn.SpatialMaxUnpooling": [], "tie": "pool1"}
    unpool = again[6]
    assert unpool.pooling is again[4]  # tied to its own pooling, not the first one


@pytest.mark.parametrize("kind", ["torch.DoubleTensor", "torch.CudaTensor", "torch.CudaHalfTensor",
                                  "torch.CudaDoubleTensor"])
def test_every_tensor_type_reads(tmp_path, kind):
    torch.manual_seed(0)
    model = build(TIED).eval()
    imported = round_trip(tmp_path, model, kind=kind)
    x = torch.randn(1, 3, 30, 30)
    tolerance = 0.05 if "Half" in kind else 1e-6
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), model(x), rtol=tolerance, atol=tolerance)


def test_cuda_long_tensor_and_storage_values(tmp_path):
    """torchfile 0.1.0 has no torch.CudaLongTensor reader: it read on out of step (False -> 11)."""
    values = np.arange(12, dtype=np.int64).reshape(3, 4)
    obj = {"a": Tensor(values.T, "torch.CudaLongTensor"), "b": False, "c": Storage(np.array([7, 8])),
           "d": Tensor(np.zeros(0), "torch.CudaLongTensor")}
    read = read_t7(write_t7(tmp_path / "x.t7", obj))
    assert read[b"b"] is False and read[b"c"].tolist() == [7, 8] and read[b"d"].size == 0
    assert read[b"a"].tolist() == values.T.tolist()


def test_old_batchnorm_running_std_becomes_running_var(tmp_path):
    torch.manual_seed(0)
    model = build(TIED).eval()
    obj = module_object(model)
    bn = obj.fields["modules"][2]
    var, eps = np.array([0.5, 2.0, 4.0, 1.0, 0.25, 3.0, 1.5, 0.75]), 1e-3
    bn.version = 1
    bn.fields["running_std"] = Tensor(1 / np.sqrt(var + eps))  # what nn before version 2 kept
    del bn.fields["running_var"]
    imported = import_t7(write_t7(tmp_path / "old.t7", obj))
    torch.testing.assert_close(imported.model[2].running_var, torch.tensor(var, dtype=torch.float32))


def test_spatial_convolution_mm_weight_and_data_parallel_table(tmp_path):
    torch.manual_seed(0)
    model = build(TIED).eval()
    obj = module_object(model)
    conv = obj.fields["modules"][0]
    conv.fields["weight"] = Tensor(conv.fields["weight"].array.reshape(8, 27))  # nOut x (nIn*kH*kW)
    wrapped = Object("nn.DataParallelTable", {"modules": [obj], "gpuAssignments": [1, 2]})
    imported = import_t7(write_t7(tmp_path / "dpt.t7", wrapped))
    x = torch.randn(1, 3, 30, 30)
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), model(x), rtol=0, atol=0)


def test_load_t7_state_into_a_built_model(tmp_path):
    torch.manual_seed(0)
    model = build(TIED).eval()
    path = write_t7(tmp_path / "m.t7", module_object(model))
    torch.manual_seed(1)
    other = load_t7_state(path, build(TIED).eval())
    x = torch.randn(1, 3, 30, 30)
    with torch.no_grad():
        torch.testing.assert_close(other(x), model(x), rtol=0, atol=0)


def test_lua_arrays_read_as_dicts_are_lists():
    assert as_list({1: "a", 2: "b"}) == ["a", "b"]
    assert as_list({1: "a", 3: "b"}) == {1: "a", 3: "b"}


def test_predict_prints_a_classifier_top5(tmp_path):
    path = fixture("mnist-mlp.t7")
    assert CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "mnist.json")]).exit_code == 0
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[4:24, 13:16] = 255  # a "1"
    Image.fromarray(digit).save(tmp_path / "one.png")
    result = CliRunner().invoke(main, ["predict", str(tmp_path / "mnist.json"), str(tmp_path / "one.png"),
                                       "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    ranks = re.findall(r"^  (\d)\. (0\.\d+)  class (\d+)", result.output, re.M)
    assert [r[0] for r in ranks] == ["1", "2", "3", "4", "5"]
    probs = [float(r[1]) for r in ranks]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    assert json.loads((tmp_path / "top5.json").read_text())[str(tmp_path / "one.png")][0]["index"] == int(ranks[0][2])


# predict on a run folder of enet-port train ----------------------------------------------------
TINY = ROOT / "tests" / "specs" / "tiny.json"
SIZES = ["-imageSize", "36", "-cropSize", "32", "-nClasses", "10"]


@pytest.fixture(scope="module", params=["lua", "fb"])
def trained(request, tmp_path_factory):
    """A one-batch run of tests/specs/tiny.json with --pipeline lua or fb: (data, run folder)."""
    root = tmp_path_factory.mktemp(f"run-{request.param}")
    data = make_sample_dataset(root / "data", 4, 1, size=40)
    result = CliRunner().invoke(main, ["train", str(TINY), *SIZES, "-batchSize", "8", "-nDonkeys", "0",
                                       "-epochSize", "1", "-nEpochs", "1", "-data", str(data), "-cache", str(root),
                                       "--run-dir", str(root / "run"), "--pipeline", request.param])
    assert result.exit_code == 0, result.output
    return data, root / "run"


def scores_of_the_test_command(run_dir, image, label, tmp_path, monkeypatch):
    """The model's output for ``image`` in ``enet-port test`` on a val set of that one image
    (class ``label``), caught at the model's forward in evaluate(); checked against its loss."""
    val = tmp_path / "one" / "val" / label
    val.mkdir(parents=True)
    shutil.copy(image, val)
    outputs, evaluate = [], test_command.evaluate

    def evaluate_watched(model, *args, **kwargs):
        model.register_forward_hook(lambda module, inputs, output: outputs.append(output.detach().clone()))
        return evaluate(model, *args, **kwargs)
    monkeypatch.setattr(test_command, "evaluate", evaluate_watched)
    result = CliRunner().invoke(main, ["test", str(TINY), "-retrain", str(run_dir / "model_1.pt"), *SIZES,
                                       "-data", str(tmp_path / "one"), "-cache", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    (scores,) = outputs
    index = (run_dir / "classes.txt").read_text().splitlines().index(label)
    assert json.loads(result.stdout)["test_loss"] == pytest.approx(-scores[0, index].item(), rel=1e-6)
    return scores


def test_predict_on_a_run_folder_gives_the_test_commands_scores(trained, tmp_path, monkeypatch):
    data, run_dir = trained
    image = sorted((data / "val").glob("*/*.JPEG"))[3]
    expected = scores_of_the_test_command(run_dir, image, image.parent.name, tmp_path, monkeypatch)
    got = predict.run(predict.open_model(run_dir), image)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    result = CliRunner().invoke(main, ["predict", str(run_dir), str(image), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    probs, indices = torch.softmax(expected[0].double(), 0).topk(5)
    rows = json.loads((tmp_path / "top5.json").read_text())[str(image)]
    assert [r["index"] for r in rows] == indices.tolist()
    assert [r["p"] for r in rows] == pytest.approx(probs.tolist(), rel=1e-4)


@pytest.mark.parametrize("content,pattern", [
    ('{"spec": "x"}', "options.json: damaged options file (imageSize is None, not a count)"),
    ("[1]", "options.json: damaged options file"),
    ("{not json", "options.json: damaged options file"),
    (None, "damaged options file (mean is '0.5', not 3 finite numbers)"),
    ("missing", "run: not a run folder (no options.json)"),
])
def test_predict_on_a_damaged_run_folder_gives_one_line(trained, tmp_path, content, pattern):
    data, run_dir = trained
    folder = shutil.copytree(run_dir, tmp_path / "run")
    if content == "missing":
        (folder / "options.json").unlink()
    elif content is None:  # valid JSON, a mean of the wrong kind
        options = json.loads((folder / "options.json").read_text())
        (folder / "options.json").write_text(json.dumps({**options, "mean": "0.5"}))
    else:
        (folder / "options.json").write_text(content)
    result = CliRunner().invoke(main, ["predict", str(folder), str(next((data / "val").glob("*/*.JPEG"))),
                                       "-o", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and pattern in result.stderr, result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "top5.json").exists()


def test_predict_on_a_run_folder_names_an_unreadable_image(trained, tmp_path):
    _, run_dir = trained
    bad = tmp_path / "bad.JPEG"
    bad.write_bytes(b"not an image")
    result = CliRunner().invoke(main, ["predict", str(run_dir), str(bad), "-o", str(tmp_path)])
    assert result.exit_code == 2 and result.stderr.startswith(f"enet-port: {bad}: ") and len(result.stderr.splitlines()) == 1


# bad files: one line, exit 2, nothing written ------------------------------------------------
def _module(name, **extra):
    return Object(name, {"train": False, **extra})


BAD = [
    ("truncated", lambda good: good[: len(good) // 2], r"truncated|cut short"),
    ("not_torch", lambda good: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, r"not a Torch7 binary file"),
    ("not_a_module", lambda good: dumps({"epoch": 3}), r"not a model but a Lua table of 1 entry \(epoch: the number 3\)"),
    ("unknown_module", lambda good: dumps(_module("nn.Sequential", modules=[_module("nn.Identity"),
                                                                            _module("nn.Frobnicate")])),
     r"modules\[2\]: unknown Torch7 module nn.Frobnicate"),
    ("unknown_tensor", lambda good: dumps(_module("nn.Sequential", output=Tensor(np.zeros(2)).__class__)),
     None),
    ("out_of_step", lambda good: dumps(Object("nn.Weird", 5)), r"nn.Weird .*no field table follows"),
]


def _unknown_tensor_file():
    data = bytearray(dumps(_module("nn.Identity", output=Tensor(np.zeros(2)))))
    at = data.index(b"torch.FloatTensor")
    data[at:at + 17] = b"torch.QuantTensor"
    return bytes(data)


BAD[4] = ("unknown_tensor", lambda good: _unknown_tensor_file(), r"unknown Torch7 type torch.QuantTensor")


def _tensor_past_its_storage_file():
    """A 2-element tensor whose size field says 3 (File.lua writes: class name, int nDimension,
    long sizes, long strides, long offset, storage)."""
    data = bytearray(dumps(_module("nn.Identity", output=Tensor(np.zeros(2)))))
    at = data.index(b"torch.FloatTensor") + len(b"torch.FloatTensor") + 4
    assert struct.unpack("<q", data[at:at + 8]) == (2,)
    data[at:at + 8] = struct.pack("<q", 3)
    return bytes(data)


BAD += [("trailing", lambda good: good + b"\x00" * 4, r"data after the stored object"),
        ("past_storage", lambda good: _tensor_past_its_storage_file(), r"FloatTensor of size \[3\] does not fit")]


@pytest.mark.parametrize("make,pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_file_gives_one_line_and_exit_2(tmp_path, make, pattern):
    torch.manual_seed(0)
    good = dumps(module_object(build(TIED).eval()))
    bad = tmp_path / "bad.t7"
    bad.write_bytes(make(good))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["import-t7", str(bad), "-o", str(out / "model.json")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"enet-port: {bad}"), result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert not out.exists()


def test_reader_errors_are_t7_errors(tmp_path):
    with pytest.raises(T7Error, match="cannot read"):
        read_t7(tmp_path / "missing.t7")


# the spec grammar for ties ------------------------------------------------------------------
def _tied_variant(tmp_path, change):
    data = json.loads(TIED.read_text())
    change(data["features"])
    path = tmp_path / "v.json"
    path.write_text(json.dumps(data))
    return path


TIE_ERRORS = [
    ("no_tie", lambda f: f[6].pop("tie"), r"features\[6\].tie: nn.SpatialMaxUnpooling needs \"tie\""),
    ("unknown_id", lambda f: f[6].__setitem__("tie", "p9"), r"no earlier id 'p9'"),
    ("later_id", lambda f: (f[4].pop("id"), f[7].__setitem__("id", "p2")), r"no earlier id 'p2'"),
    ("not_a_pooling", lambda f: (f[6].__setitem__("tie", "c"), f[0].__setitem__("id", "c")),
     r"'c' is a nn.SpatialConvolution, nn.SpatialMaxUnpooling ties to nn.SpatialMaxPooling"),
    ("twice", lambda f: f[1].__setitem__("id", "p2"), r"features\[4\].id: id 'p2' used twice"),
    ("tie_elsewhere", lambda f: f[5].__setitem__("tie", "p1"), r"nn.SpatialConvolution takes no tie"),
    ("kernel_not_stride", lambda f: f[4].__setitem__("nn.SpatialMaxPooling", [3, 3, 2, 2]),
     r"features\[6\]: .*kernel must equal its stride"),
]


@pytest.mark.parametrize("change,pattern", [t[1:] for t in TIE_ERRORS], ids=[t[0] for t in TIE_ERRORS])
def test_tie_errors(tmp_path, change, pattern):
    path = _tied_variant(tmp_path, change)
    with pytest.raises(Exception, match=pattern):
        expand(load_spec(path))


# the decoder modules against Torch7's rules ----------------------------------------------------
def test_unpooling_puts_values_where_its_pooling_found_the_maxima():
    model = build(TIED)
    pool, unpool = model[4], model[6]
    x = torch.tensor([[1., 9., 2., 0.], [3., 4., 8., 5.], [7., 0., 1., 1.], [0., 6., 2., 3.]]).view(1, 1, 4, 4)
    pooled = pool(x)
    assert pooled.flatten().tolist() == [9., 8., 7., 3.]
    out = unpool(pooled * 10)
    expected = torch.zeros(4, 4)
    expected[0, 1], expected[1, 2], expected[2, 0], expected[3, 3] = 90, 80, 70, 30
    torch.testing.assert_close(out[0, 0], expected)


def test_full_convolution_is_torch7s():
    """Torch7's full convolution: out[o, i*d - pad + ki, j*d - pad + kj] += x[c, i, j] * W[c, o, ki, kj],
    output (in - 1) * d - 2 * pad + k + adj."""
    model = build(TIED)
    full = model[7]
    x = torch.randn(1, 8, 3, 4)
    w, b = full.weight.detach(), full.bias.detach()
    big = torch.zeros(4, 2 * 3 + 2 + 2, 2 * 4 + 2 + 2)
    for i in range(3):
        for j in range(4):
            big[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3] += torch.einsum("c,cokl->okl", x[0, :, i, j], w)
    expected = big[:, 1:1 + (3 - 1) * 2 - 2 + 3 + 1, 1:1 + (4 - 1) * 2 - 2 + 3 + 1] + b.view(4, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(full(x)[0], expected, rtol=1e-5, atol=1e-5)


def test_train_retrain_from_a_torch7_file_with_another_class_count(tmp_path):
    """fb.resnet.torch-style fine-tuning from a Lua-trained file: the features' weights come
    from the .t7, the last Linear is replaced for -nClasses."""
    from enet_port.data.sample_data import make_sample_dataset
    tiny = ROOT / "tests" / "specs" / "tiny.json"
    torch.manual_seed(3)
    lua_model = build(tiny, classes=7)
    path = write_t7(tmp_path / "lua_trained.t7", module_object(lua_model.eval()))
    data = make_sample_dataset(tmp_path / "data", 4, 1, size=40)
    args = ["train", str(tiny), "-data", str(data), "-nClasses", "10", "-imageSize", "36", "-cropSize", "32",
            "-batchSize", "8", "-nEpochs", "1", "-epochSize", "1", "-nDonkeys", "0", "-LR", "0",
            "-cache", str(tmp_path), "-retrain", str(path)]
    refused = CliRunner().invoke(main, args + ["--run-dir", str(tmp_path / "a")])
    assert refused.exit_code == 2 and "lua_trained.t7 has 7 classes, this run -nClasses 10: pass -nClasses 7, or --reset-classifier" in refused.stderr
    done = CliRunner().invoke(main, args + ["--reset-classifier", "--run-dir", str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    saved = torch.load(tmp_path / "b" / "model_1.pt", weights_only=True)["model"]
    # LR 0: the trained features are the Torch7 file's (BN running stats move, weights do not)
    assert torch.equal(saved["0.0.weight"], lua_model.state_dict()["0.0.weight"])
    assert saved["1.1.weight"].shape == (10, 16)


def test_fields_written_as_torch_nn_stores_them_give_the_lua_calls(tmp_path):
    """Fields written by hand from torch/nn's __init (not from our records), so the reader's
    field-to-argument mapping is checked against Torch7's own field names."""
    from enet_port.model.tree import lua_call
    rng = np.random.default_rng(0)

    def t(*shape):
        return Tensor(rng.standard_normal(shape).astype(np.float32))

    def module(kind, **f):
        return Object(kind, {"train": False, "output": Tensor(np.zeros(0)), **f})
    layers = [
        module("nn.SpatialBatchNormalization", eps=1e-3, momentum=0.1, affine=True, weight=t(4), bias=t(4),
               running_mean=t(4), running_var=Tensor(np.ones(4, np.float32))),
        module("nn.SpatialDropout", p=0.2, stochastic_inference=True),
        module("nn.SpatialMaxPooling", kW=3, kH=3, dW=2, dH=2, padW=1, padH=1, ceil_mode=True),
        module("nn.View", size=Storage(np.array([64], np.int64)), numElements=64),
        module("nn.Dropout", p=0.3, v2=True, stochastic_inference=False),
        module("nn.Linear", weight=t(5, 64), bias=t(5)),
    ]
    path = write_t7(tmp_path / "fields.t7", module("nn.Sequential", modules=layers))
    imported = import_t7(path, (4, 7, 7))
    calls = [lua_call(m.t7_node) for m in imported.model.modules() if not list(m.children())]
    assert calls == ["nn.SpatialBatchNormalization(4, 0.001)", "nn.SpatialDropout(0.2, true)",
                     "nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1):ceil()", "nn.View(64)", "nn.Dropout(0.3)",
                     "nn.Linear(64, 5)"]

"""``enet-port export`` and ``predict --backend``: every spec and registry module exports, ONNX
Runtime agrees with PyTorch within 1e-4, the Cityscapes ENet's label map survives the trip."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from conftest import ROOT, SPECS
from enet_port.cli import main
from enet_port.export import extra, files, program
from enet_port.export.extra import ExportError
from enet_port.model.build import build
from enet_port.model.layers import Torch7Dropout
from enet_port.model.registry import REGISTRY

pytest.importorskip("onnxruntime", reason="the export extra is not installed (pip install -e '.[export]')")
TEST_SPECS = sorted((ROOT / "tests" / "specs").glob("*.json"))
FIXTURES = ROOT.parent / "shared" / "fixtures" / "torch7"


def onnx_outputs(model, x, path, dynamic=False, runs=()):
    """PyTorch's and ONNX Runtime's outputs for ``x`` and each input of ``runs``."""
    import onnxruntime
    exported = program.export_program(model, x, dynamic)
    files.write_onnx(exported, model, x, path, {"classes": None}, optimize=False)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        return [(model(v).numpy(), session.run(None, {"input": v.numpy()})[0]) for v in (x, *runs)]


def spec_names(path):
    found = set()

    def walk(value):
        if isinstance(value, dict):
            found.update(k for k in value if k in REGISTRY)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(json.loads(Path(path).read_text()))
    return found


def test_the_tested_specs_hold_every_module_of_the_registry():
    covered = set().union(*(spec_names(p) for p in SPECS + TEST_SPECS))
    assert set(REGISTRY) - covered == set()


@pytest.mark.parametrize("path", SPECS + TEST_SPECS, ids=lambda p: p.stem)
def test_every_spec_exports_and_onnxruntime_agrees(path, tmp_path):
    torch.manual_seed(0)
    model = build(path, classes=10).eval()
    shape = json.loads(path.read_text()).get("input", [3, 224, 224])
    ((ours, theirs),) = onnx_outputs(model, program.example_input(tuple(shape), 1, False), tmp_path / "m.onnx")
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(theirs, ours, atol=1e-4, rtol=0)


def test_dynamic_export_takes_other_batches_and_sizes(tmp_path):
    model = build(ROOT / "tests/specs/tied.json").eval()
    x, other = torch.rand(2, 3, 30, 30), torch.rand(3, 3, 46, 38)
    exported = program.export_program(model, x, dynamic=True)
    assert program.dynamic_dims(exported) == ["batch", "height", "width"]
    for ours, theirs in onnx_outputs(model, x, tmp_path / "m.onnx", True, [other]):
        np.testing.assert_allclose(theirs, ours, atol=1e-4, rtol=0)


def test_stochastic_inference_is_refused_naming_the_entry(tmp_path):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"name": "s", "recipe": "exp-v7", "input": [3, 4, 4], "classifier": [],
                                "features": [{"nn.Dropout": [0.5, False, False, True]}]}))
    with pytest.raises(ExportError, match=r"s.json: features\[0\]: nn.Dropout: stochasticInference"):
        program.export_program(build(spec), torch.rand(1, 3, 4, 4))


def test_a_failing_module_is_named_with_its_spec_entry():
    model = build(ROOT / "tests/specs/torch7_layers.json", classes=4).eval()

    def fails_on_dropout(module, args):
        if isinstance(module, Torch7Dropout):
            raise RuntimeError("no such operator\nmore detail")
    error = program.locate_refusal(model, torch.rand(1, 3, 17, 17), RuntimeError("whole"), fails_on_dropout)
    assert str(error).endswith("torch7_layers.json: features[4]: nn.SpatialDropout does not export: "
                               "RuntimeError: no such operator")


def test_a_missing_extra_names_the_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(ExportError, match=r"needs the Python package onnxscript: pip install 'enet-port\[export\]'"):
        extra.need("onnxscript", "ONNX export")


def test_an_execution_provider_onnxruntime_lacks_is_named_in_one_line(tmp_path):
    from enet_port.export.runtime import OnnxRuntimeModel
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3)).eval()
    onnx_outputs(model, torch.rand(1, 3, 8, 8), tmp_path / "m.onnx")
    assert OnnxRuntimeModel(tmp_path / "m.onnx", providers=("CPUExecutionProvider",))(torch.rand(1, 3, 8, 8)).shape == (1, 2, 6, 6)
    with pytest.raises(ExportError, match=r"m.onnx: this ONNX Runtime has no NoSuchExecutionProvider \(it has .*"
                                          r"CPUExecutionProvider.*pip install onnxruntime-gpu") as caught:
        OnnxRuntimeModel(tmp_path / "m.onnx", providers=("NoSuchExecutionProvider", "CPUExecutionProvider"))
    assert "\n" not in str(caught.value)


def test_pt2_loads_without_this_package(tmp_path):
    model = build(ROOT / "tests/specs/tiny.json", classes=3).eval()
    shape = json.loads((ROOT / "tests/specs/tiny.json").read_text())["input"]
    x = torch.rand(1, *shape)
    files.write_pt2(program.export_program(model, x), tmp_path / "m.pt2", {"classes": ["a", "b", "c"]})
    torch.save(x, tmp_path / "x.pt")
    with torch.no_grad():
        torch.save(model(x), tmp_path / "y.pt")
    script = ("import sys, json, torch; sys.modules['enet_port'] = None\n"
              "extra = {'enet_port.json': ''}\n"
              f"p = torch.export.load({str(tmp_path / 'm.pt2')!r}, extra_files=extra)\n"
              f"y = p.module()(torch.load({str(tmp_path / 'x.pt')!r}))\n"
              f"assert torch.allclose(y, torch.load({str(tmp_path / 'y.pt')!r}), atol=1e-5)\n"
              "print(json.loads(extra['enet_port.json'])['classes'])")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "['a', 'b', 'c']"


def test_cityscapes_enet_onnx_gives_the_label_png_of_the_import(tmp_path):
    """The issue's "Done when": export at 640x320, predict on ONNX Runtime, same label PNG."""
    net, image = FIXTURES / "enet-cityscapes.net", FIXTURES / "frankfurt_000000_001236_leftImg8bit.png"
    if not net.is_file():
        pytest.skip(f"Torch7 fixtures not found at {FIXTURES} (the shared/ folder beside the checkout)")
    onnx_path = tmp_path / "enet.onnx"
    result = CliRunner().invoke(main, ["export", str(net), "-o", str(onnx_path), "--size", "640x320"])
    assert result.exit_code == 0, result.output
    for model, out, extra_args in ((onnx_path, "ort", ["--backend", "onnxruntime"]), (net, "torch", ["--size", "640x320"])):
        result = CliRunner().invoke(main, ["predict", str(model), str(image), "-o", str(tmp_path / out), *extra_args])
        assert result.exit_code == 0, result.output
    stem = image.stem + "_labels.png"
    ort_labels, torch_labels = (np.asarray(__import__("PIL.Image").Image.open(tmp_path / d / stem)) for d in ("ort", "torch"))
    assert ort_labels.shape == (320, 640)
    assert (ort_labels == torch_labels).all()


def test_predict_a_folder_and_a_glob_on_onnxruntime_batched_as_on_torch(tmp_path):
    spec = tmp_path / "tiny.json"
    spec.write_text((ROOT / "tests/specs/tiny.json").read_text())
    torch.save({"model": build(spec).state_dict()}, tmp_path / "tiny.pt")
    c, h, w = json.loads(spec.read_text())["input"]
    images = tmp_path / "images"
    images.mkdir()
    for k in range(3):
        pixels = np.random.default_rng(k).integers(0, 256, (h + 5, w + 3, 3), dtype=np.uint8)
        __import__("PIL.Image").Image.fromarray(pixels).convert("RGB" if c == 3 else "L").save(images / f"{k}.png")
    tops = {}
    for backend, where in (("torch", str(images)), ("onnxruntime", str(images / "*.png"))):
        result = CliRunner().invoke(main, ["predict", str(spec), where, "--backend", backend, "--batch", "2",
                                           "-o", str(tmp_path / backend)])
        assert result.exit_code == 0, result.output
        assert "3 images in" in result.output and "images/s" in result.output
        tops[backend] = json.loads((tmp_path / backend / "top5.json").read_text())
    assert [Path(k).name for k in tops["torch"]] == ["0.png", "1.png", "2.png"]
    for (_, ours), (_, theirs) in zip(tops["torch"].items(), tops["onnxruntime"].items()):
        assert [r["index"] for r in ours] == [r["index"] for r in theirs]
        np.testing.assert_allclose([r["p"] for r in theirs], [r["p"] for r in ours], atol=1e-4)


def test_an_opset_the_exporter_cannot_reach_is_refused_and_one_it_can_is_written(tmp_path):
    import onnx
    model = build(ROOT / "tests/specs/tiny.json", classes=3).eval()
    x = torch.rand(1, *json.loads((ROOT / "tests/specs/tiny.json").read_text())["input"])
    exported = program.export_program(model, x)
    files.write_onnx(exported, model, x, tmp_path / "m.onnx", {"classes": ["a", "b", "c"]}, opset=21, optimize=False)
    written = onnx.load(str(tmp_path / "m.onnx"))
    assert [o.version for o in written.opset_import if o.domain == ""] == [21]
    assert {p.key: json.loads(p.value) for p in written.metadata_props} == {"classes": ["a", "b", "c"]}
    with pytest.raises(ExportError, match="--opset 9: the exporter could not convert"):
        files.write_onnx(exported, model, x, tmp_path / "old.onnx", {}, opset=9, optimize=False)
    assert not (tmp_path / "old.onnx").exists()

"""Issue 18, the main process's files (the .t7 reader has its own tests): a FIFO or a dangling
link is refused before it is opened, never waited on; control bytes in quoted input are shown
escaped; an output that collides with another output or the input is refused; the spec reader
and predict's image reading give one line, never a traceback or a silently wrong value."""
import copy
import json
import os
import struct
import threading
import zlib

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from enet_port import predict
from enet_port.cli import main
from enet_port.errors import escape
from enet_port.model.build import build
from enet_port.model.spec import load_spec
from t7writer import dumps, module_object
from test_graph_spec import RESIDUAL

FIFO_MESSAGE = "a named pipe (FIFO), not a regular file: refused before reading it"
GREY = {"name": "grey", "recipe": "regimes-55", "input": [1, 4, 4], "classes": 3,
        "features": [{"nn.Identity": []}], "classifier": [{"nn.View": [16]}, {"nn.Linear": [16, "$nClasses"]}]}
SEGMENTER = {"name": "seg", "recipe": "regimes-55", "input": [1, 4, 4], "classes": 2,
             "features": [{"nn.SpatialConvolution": [1, 2, 1, 1]}], "classifier": []}
LUA_MODEL = "require 'nn'\nlocal m = nn.Sequential()\nm:add(nn.Linear(4, 2))\nreturn m\n"


def invoke(args, fifos=(), seconds=60):
    """The CLI in a thread: a read that blocks on a FIFO fails the test instead of hanging it
    (the FIFO then gets a writer that closes at once, so that the blocked read ends)."""
    out = {}
    thread = threading.Thread(target=lambda: out.update(result=CliRunner().invoke(main, [str(a) for a in args])),
                              daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for fifo in fifos:
            for _ in range(3):
                try:
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass
        thread.join(10)
        pytest.fail(f"{args[0]} waited on a FIFO")
    return out["result"]


def one_line(result, *patterns):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(p in lines[0] for p in patterns), result.stderr
    assert "Traceback" not in result.output and "\x1b" not in result.output


def model_with_weights(tmp_path, data, name):
    """A spec and the weights beside it (what import-t7 writes), from a seeded build."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    torch.manual_seed(0)
    model = build(load_spec(path))
    torch.save({"model": model.state_dict()}, path.with_suffix(".pt"))
    return path, model


def fifo(path):
    os.mkfifo(path)
    return path


# one opener: non-regular files refused before opening ----------------------------------------
@pytest.mark.parametrize("command", ["trace", "summary", "import-t7", "predict-image"])
def test_a_fifo_is_refused_in_one_line_not_waited_on(tmp_path, command):
    pipe = fifo(tmp_path / {"trace": "m.lua", "summary": "s.json", "import-t7": "m.t7"}.get(command, "i.png"))
    if command == "predict-image":
        spec, _ = model_with_weights(tmp_path, GREY, "grey")
        args = ["predict", spec, pipe, "-o", tmp_path]
    else:
        args = [command, pipe] + (["-o", tmp_path / "out.json"] if command == "import-t7" else [])
    one_line(invoke(args, [pipe]), f"{pipe}: {FIFO_MESSAGE}")


def test_a_dangling_link_is_named_as_one(tmp_path):
    link = tmp_path / "spec.json"
    link.symlink_to(tmp_path / "gone.json")
    one_line(invoke(["summary", link]), f"{link}: a dangling symbolic link (to {tmp_path / 'gone.json'})")


# one escaping rule for everything quoted -------------------------------------------------------
def test_escape_shows_control_format_and_undecodable_characters():
    assert escape("a\x1b[2Jb\x07\n\r\x9b\u202e\udcff") == "a\\x1b[2Jb\\x07\\x0a\\x0d\\x9b\\u202e\\xff"
    assert escape("epoch\t1") == "epoch\t1"  # a tab moves the cursor right only: trainer summaries keep it
    assert escape("café 中文 C:\\x") == "café 中文 C:\\x"  # printable text and backslashes as they are
    assert escape(escape("\x1b")) == "\\x1b"


def test_a_lua_error_message_reaches_the_terminal_escaped(tmp_path):
    path = tmp_path / "evil.lua"
    path.write_text('error("\\27]0;owned\\7\\27[2J")\n')
    one_line(invoke(["trace", path]), "\\x1b]0;owned\\x07\\x1b[2J")


@pytest.mark.parametrize("where", ["module", "node", "file name"])
def test_spec_names_and_file_names_reach_the_terminal_escaped(tmp_path, where):
    data = copy.deepcopy(RESIDUAL)
    path = tmp_path / "g.json"
    if where == "module":
        data["features"].append({"nn.Evil\x1b[2J": []})
    elif where == "node":
        data["features"][0]["nn.gModule"]["outputs"] = ["out\x1b]0;x\x07"]
    else:
        path = tmp_path / "g\x1b[2J.json"
    path.write_text(json.dumps(data))
    expected = {"module": "nn.Evil\\x1b[2J", "node": "out\\x1b]0;x\\x07", "file name": "g\\x1b[2J.json"}[where]
    if where == "file name":
        path.unlink()
    one_line(invoke(["summary", path]), expected)


# outputs that collide -----------------------------------------------------------------------
def tiny_t7(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "m.t7"
    path.write_bytes(dumps(module_object(build(load_spec(model_with_weights(tmp_path, SEGMENTER, "src")[0])).eval())))
    return path


@pytest.mark.parametrize("output", ["out/w.pt", "m.t7"])
def test_import_t7_refuses_an_output_that_collides_and_writes_nothing(tmp_path, output):
    source = tiny_t7(tmp_path)
    before = source.read_bytes()
    result = invoke(["import-t7", source, "-o", tmp_path / output])
    other = "the spec" if output.endswith(".pt") else "the input"
    one_line(result, f"{tmp_path / output}: would be written as", f"is also {other}: refused, nothing written")
    assert source.read_bytes() == before and not (tmp_path / "out").exists() and not (tmp_path / "m.pt").exists()


def test_import_lua_refuses_to_write_over_its_lua_file(tmp_path):
    path = tmp_path / "m.lua"
    path.write_text(LUA_MODEL)
    one_line(invoke(["import-lua", path, "-o", path]), "is also the Lua file: refused, nothing written")
    assert path.read_text() == LUA_MODEL


def test_predict_refuses_two_images_whose_label_files_collide(tmp_path):
    spec, _ = model_with_weights(tmp_path, SEGMENTER, "seg")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        Image.fromarray(np.full((4, 4), 7, np.uint8)).save(tmp_path / folder / "x.png")
    result = invoke(["predict", spec, tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", "-o", tmp_path])
    one_line(result, "x_color.png: would be written as the colours of", "b/x.png and is also the colours of")


# the spec reader --------------------------------------------------------------------------
def graph_with(**changes):
    data = copy.deepcopy(RESIDUAL)
    graph = data["features"][0]["nn.gModule"]
    for key, value in changes.items():
        if key == "node_inputs":
            graph["nodes"][4]["inputs"] = value
        else:
            graph[key] = value
    return data


@pytest.mark.parametrize("data,pattern", [
    (graph_with(inputs=[["x"]]), "nn.gModule.inputs[0]: must be a node name (a string), not list"),
    (graph_with(outputs=[{"a": 1}]), "nn.gModule.outputs[0]: must be a node name (a string), not dict"),
    (graph_with(outputs={"out": 1}), "nn.gModule.outputs: missing or empty: a graph needs a non-empty list"),
    (graph_with(node_inputs=[["c2"], "x"]), "nodes[4].inputs[0]: must be a node name (a string), not list"),
    (graph_with(outputs=["out", "sum"]), "classifier[0]: nn.View takes a tensor, gets a table of 2"),
])
def test_spec_graph_references_of_the_wrong_kind_are_one_line(tmp_path, data, pattern):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(data))
    one_line(invoke(["summary", path]), f"{path}: ", pattern)


def test_a_latin1_spec_is_one_line(tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes(json.dumps({**GREY, "description": "caf\u00e9"}, ensure_ascii=False).encode("latin-1"))
    offset = path.read_bytes().index(b"\xe9")
    one_line(invoke(["summary", path]), f"{path}: byte {offset}: not UTF-8 text")


# predict's images: the trainer's decoder and its limits ------------------------------------------
def test_predict_reads_a_16_bit_png_at_its_true_values(tmp_path):
    spec, _ = model_with_weights(tmp_path, GREY, "grey")
    grey = np.arange(16, dtype=np.uint16).reshape(4, 4) * 17  # 0, 17, ..., 255
    Image.fromarray(grey * 257).save(tmp_path / "deep.png")  # 16 bits: 0, 4369, ..., 65535
    assert Image.open(tmp_path / "deep.png").mode.startswith("I;16")
    got = predict.open_model(spec).read(tmp_path / "deep.png")
    torch.testing.assert_close(got, torch.from_numpy(grey.astype(np.float32) / 255)[None, None])


def png_header(width, height):
    """A PNG that claims ``width`` x ``height`` (a few bytes: the size checks read the header)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1))) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("case,pattern", [
    ("float", "floating-point pixels (mode F)"),
    ("bomb", "x.png: Image size (400000000 pixels) exceeds limit"),
    ("size", "--size: 60000x60000 = 3600000000 pixels is above twice Image.MAX_IMAGE_PIXELS"),
])
def test_predict_refuses_float_images_bombs_and_huge_sizes_in_one_line(tmp_path, case, pattern):
    spec, _ = model_with_weights(tmp_path, GREY, "grey")
    image = tmp_path / ("x.tif" if case == "float" else "x.png")
    if case == "float":
        Image.fromarray(np.full((4, 4), 0.5, np.float32), "F").save(image)
    elif case == "bomb":
        image.write_bytes(png_header(20000, 20000))  # 400 megapixels
    else:
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(image)
    result = invoke(["predict", spec, image, "-o", tmp_path] + (["--size", "60000x60000"] if case == "size" else []))
    one_line(result, pattern)
    assert not (tmp_path / "top5.json").exists()

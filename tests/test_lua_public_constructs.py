"""Constructs met in real public Lua model files (imagenet-multiGPU.torch, fb.resnet.torch,
e-lab ENet-training; NOTES.md lists the files and their results), each shown by a small Lua file
written here: ``nn.Copy`` (fb.resnet.torch's pre-activation ResNet), a model whose shapes break
(a ``BatchNormalization(4096)`` added to the convolutional part, as in imagenet-multiGPU's
``vggbn.lua``) and ``torch.load`` (ENet's ``decoder.lua``); ``require 'ccn2'`` is in
test_lua_ccn2.py."""
import json

import pytest
import torch

from enet_port.model.build import build
from test_lua_conventions import run

PREACT = """local nn = require 'nn'
local function createModel(opt)
   local model = nn.Sequential()
   model:add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
   model:add(nn.Copy(nil, nil, true))
   model:add(nn.SpatialBatchNormalization(8))
   model:add(nn.ReLU(true))
   model:add(nn.SpatialAveragePooling(4, 4, 1, 1))
   model:add(nn.View(8):setNumInputDims(3))
   model:add(nn.Linear(8, opt.classes))
   return model
end
return createModel
"""


def test_copy_imports_diffs_identical_and_passes_values_through(tmp_path):
    lua, out = tmp_path / "preact.lua", tmp_path / "m.json"
    lua.write_text(PREACT)
    code, output = run("import-lua", lua, "--opt", "classes=5", "--input", "3x4x4", "-o", out)
    assert code == 0, output
    assert {"nn.Copy": [None, None, True], "lua": "model:add(nn.Copy(nil, nil, true))"} in \
        json.loads(out.read_text())["features"]
    code, output = run("diff", out, lua, "--opt", "classes=5")
    assert code == 0 and output.startswith("identical"), output
    model = build(out).eval()
    # conv 3->8 (3x3, bias), BN(8) weight + bias, Linear 8->5: Copy adds no parameters
    assert sum(p.numel() for p in model.parameters()) == 3 * 8 * 9 + 8 + 2 * 8 + 8 * 5 + 5
    copy = model[1]
    x = torch.randn(2, 8, 4, 4)
    assert torch.equal(copy(x), x)  # Copy.lua: output:resize(input:size()):copy(input)


def test_copy_to_an_integer_tensor_type_is_refused(tmp_path):
    lua = tmp_path / "bytes.lua"
    lua.write_text("local m = nn.Sequential()\n"
                   "m:add(nn.Copy('torch.FloatTensor', 'torch.ByteTensor'))\n"
                   "return m\n")
    code, output = run("import-lua", lua, "-o", tmp_path / "m.json")
    assert code == 2 and output.count("\n") == 1, output
    assert "torch.ByteTensor" in output and not (tmp_path / "m.json").exists()


BROKEN = """function createModel(nGPU)
   local features = nn.Sequential()
   features:add(nn.SpatialConvolution(3, 16, 3, 3, 2, 2, 1, 1))
   features:add(nn.ReLU(true))
   local classifier = nn.Sequential()
   classifier:add(nn.View(16*4*4))
   features:add(nn.BatchNormalization(64, 1e-3))
   classifier:add(nn.Linear(16*4*4, nClasses))
   return nn.Sequential():add(features):add(classifier)
end
"""


def test_a_model_whose_shapes_break_is_refused_at_its_lua_line(tmp_path):
    lua, out = tmp_path / "broken.lua", tmp_path / "m.json"
    lua.write_text(BROKEN)
    code, output = run("import-lua", lua, "--input", "3x8x8", "-o", out)
    assert code == 2 and output.count("\n") == 1, output
    assert f"{lua}:7:" in output and "nn.BatchNormalization" in output and "3x8x8" in output, output
    assert not out.exists()
    code, output = run("import-lua", lua, "--input", "3x8x8")  # to stdout: nothing printed but the error
    assert code == 2 and output.count("\n") == 1 and "{" not in output, output


def test_torch_load_says_the_file_reads_a_stored_model(tmp_path):
    lua = tmp_path / "decoder.lua"
    lua.write_text("local model = nn.Sequential()\n"
                   "model = torch.load(opt.CNNEncoder)\n"
                   "return model\n")
    code, output = run("import-lua", lua, "--opt", "CNNEncoder=enc.t7", "-o", tmp_path / "m.json")
    assert code == 2 and output.count("\n") == 1, output
    assert f"{lua}:2: the tracer does not support torch.load()" in output and "import-t7" in output, output


NIN = """require 'nn'
function createModel(nGPU)
   local model = nn.Sequential()
   model:add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
   model:add(nn.ReLU(true))
   model:add(nn.SpatialConvolution(8, nClasses, 1, 1))
   model:add(nn.SpatialAveragePooling(4, 4, 1, 1))
   model:add(nn.View(%s))
   model:add(nn.LogSoftMax())
   return model
end
"""


def test_the_class_count_is_written_wherever_the_file_uses_it(tmp_path):
    """A network-in-network ends in a convolution to nClasses planes, with no features/classifier
    split (imagenet-multiGPU's ninbn.lua): traced again for nClasses + 1, exactly those arguments
    move, and the spec writes them "$nClasses", so it trains on any class count."""
    lua, out = tmp_path / "nin.lua", tmp_path / "m.json"
    lua.write_text(NIN % "nClasses")
    code, output = run("import-lua", lua, "--input", "3x4x4", "-o", out)
    assert code == 0, output
    features = json.loads(out.read_text())["features"]
    assert [next(iter(e.values())) for e in features] == [[3, 8, 3, 3, 1, 1, 1, 1], [True], [8, "$nClasses", 1, 1],
                                                          [4, 4, 1, 1], ["$nClasses"], []]
    code, output = run("diff", out, lua)
    assert code == 0 and output.startswith("identical"), output
    assert build(out, classes=7)(torch.randn(2, 3, 4, 4)).shape == (2, 7)


@pytest.mark.parametrize("edit", [
    lambda lua: (lua % "1000").replace("nn.SpatialConvolution(8, nClasses, 1, 1)", "nn.SpatialConvolution(8, 1000, 1, 1)"),
    lambda lua: (lua % "nClasses").replace("local model", "assert(nClasses == 1000, 'ImageNet only')\n   local model")])
def test_a_class_count_the_file_fixes_stays_a_number(tmp_path, edit):
    """A file that writes 1000, or refuses any other count, imports with its numbers."""
    lua, out = tmp_path / "nin.lua", tmp_path / "m.json"
    lua.write_text(edit(NIN))
    code, output = run("import-lua", lua, "--input", "3x4x4", "-o", out)
    assert code == 0, output
    assert [next(iter(e.values())) for e in json.loads(out.read_text())["features"]][2:5] == \
        [[8, 1000, 1, 1], [4, 4, 1, 1], [1000]]


def test_a_latin1_lua_file_and_its_sibling_trace_as_torch7_reads_bytes(tmp_path):
    """Lua reads bytes: a comment with a Latin-1 'é' (0xE9, not UTF-8) runs in Torch7, in the
    model file and in a file it loads with paths.dofile."""
    (tmp_path / "block.lua").write_bytes(b"-- auteur: Ren\xe9\nreturn nn.Linear(8, 4)\n")
    lua = tmp_path / "latin.lua"
    lua.write_bytes(b"-- \xe9crit par Ren\xe9\nrequire 'nn'\nfunction createModel()\n"
                    b"   return nn.Sequential():add(nn.View(8)):add(paths.dofile('block.lua'))\nend\n")
    code, output = run("import-lua", lua, "--input", "8x1x1", "-o", tmp_path / "m.json")
    assert code == 0, output
    assert [next(iter(e)) for e in json.loads((tmp_path / "m.json").read_text())["features"]] == ["nn.View", "nn.Linear"]

"""A model file that builds with a ``torch.class`` it never requires (shake-shake's
``models/shakeshake.lua`` uses ``nn.ShakeShakeBlock``, which its ``checkpoints.lua`` required):
the tracer loads the file of the model's folder that defines the class (enet_port/lua/classfiles.py).
Files: tests/lua/entry_point, written for these tests. Expected counts are worked out by hand
from the layer sizes (weights + biases, BN weight + bias)."""
import os

import pytest
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.tracer import torch7_table, trace_lua
from conftest import ROOT

MODEL = ROOT / "tests" / "lua" / "entry_point" / "models" / "twopath.lua"
OPT = {"count": 2, "mix": 0.5}


def conv(cin, cout, k):
    return cout * cin * k * k + cout


def two_path_block(cin, cout):
    """Two branches of ReLU-conv3x3-BN-ReLU-conv3x3-BN-MulConstant, a ReLU-conv1x1-BN skip
    where the width changes."""
    branch = conv(cin, cout, 3) + 2 * cout + conv(cout, cout, 3) + 2 * cout
    return 2 * branch + (conv(cin, cout, 1) + 2 * cout if cin != cout else 0)


def expected(count):
    stages = two_path_block(8, 16) + (count - 1) * two_path_block(16, 16) \
        + two_path_block(16, 32) + (count - 1) * two_path_block(32, 32)
    return conv(3, 8, 3) + 2 * 8 + stages + 32 * 10 + 10


def test_the_class_file_of_the_folder_is_loaded_and_the_model_has_its_count():
    trace = trace_lua(MODEL, opt=OPT)
    rows, problem = torch7_table(trace, (3, 32, 32))
    assert problem is None and rows[-1]["output_shape"] == (10,)
    assert sum(r["params"] or 0 for r in rows) == expected(2)
    assert trace.loaded == [("nn.TwoPathBlock", "twopathblock.lua")]


def test_import_lua_says_which_file_it_loaded(tmp_path):
    out = tmp_path / "twopath.json"
    result = CliRunner().invoke(main, ["import-lua", str(MODEL), "--opt", "count=1", "--opt", "mix=0.5",
                                       "--input", "3x32x32", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert ("uses nn.TwoPathBlock without requiring it; loaded twopathblock.lua of its folder"
            in result.stderr)


def test_without_a_defining_file_the_read_is_nil_as_in_torch7(tmp_path):
    (tmp_path / "twopath.lua").write_text(MODEL.read_text())
    (tmp_path / "notes.lua").write_text("-- nn.TwoPathBlock is defined in twopathblock.lua\nreturn {}\n")
    with pytest.raises(LuaError, match=r"twopath\.lua:\d+: attempt to call local 'block' \(a nil value\)"):
        trace_lua(tmp_path / "twopath.lua", opt=OPT)


def test_a_link_out_of_the_folder_is_not_followed(tmp_path):
    # outside the project root too (the folder above the model's, which the tracer also reads)
    outside, folder = tmp_path / "outside", tmp_path / "root" / "project"
    outside.mkdir()
    folder.mkdir(parents=True)
    (outside / "twopathblock.lua").write_text(MODEL.with_name("twopathblock.lua").read_text())
    (folder / "twopath.lua").write_text(MODEL.read_text())
    os.symlink(outside / "twopathblock.lua", folder / "twopathblock.lua")
    with pytest.raises(LuaError, match=r"attempt to call local 'block' \(a nil value\)"):
        trace_lua(folder / "twopath.lua", opt=OPT)


def test_a_flat_copy_of_the_project_finds_what_models_x_requires(tmp_path):
    # DenseNet's models/densenet.lua does require 'models/DenseConnectLayer' from the project root
    folder = tmp_path / "densenet_files"
    folder.mkdir()
    (folder / "layer.lua").write_text("function Layer(n) return nn.SpatialConvolution(n, n, 3, 3) end\n")
    (folder / "net.lua").write_text("require 'nn'\nrequire 'models/layer'\nlocal m = nn.Sequential()\n"
                                    "m:add(Layer(4))\nreturn m\n")
    trace = trace_lua(folder / "net.lua")
    assert [c.name for c in trace.model.children] == ["nn.SpatialConvolution"]

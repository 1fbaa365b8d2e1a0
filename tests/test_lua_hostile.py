"""Hostile Lua files end within the limits with one line and exit 2: loops the count hook cannot
stop (inside C functions, inside error handlers), memory and output bombs, tampered records, deep
or exploding trees. Limits are small here (ENET_PORT_LUA_SECONDS=2) to keep the suite fast."""
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.lua.tracer import trace_lua
from conftest import ROOT

SPIN = "time limit exceeded"
NEST = "local m = nn.Sequential() local top = m\nfor i = 1, {n} do local s = nn.Sequential() m:add(s) m = s end\nreturn top"
CASES = {
    "c_pattern_loop": ('local s = string.rep("a", 50000)\nlocal x = s:find(".-.-.-.-.-.-b")', SPIN),
    "c_gsub_loop": ('local s = string.rep("a", 50000)\nlocal x = s:gsub(".-.-.-.-.-.-b", "")', SPIN),
    "xpcall_handler_loop": ("xpcall(function() while true do end end, function(e) while true do end end)", SPIN),
    "xpcall_error_handler_loop": ('xpcall(function() error("x") end, function(e) while true do end end)', SPIN),
    "memory_bomb": ('local s = string.rep(string.rep("x", 2^20), 2^10)', "memory limit of 256 MiB exceeded"),
    "n_tampered": ("local m = nn.Sequential()\nm.__t7.n = 3e7\nreturn m", "was altered (its field 'n')"),
    "lines_strings": ('local m = nn.Sequential()\nm.__t7.lines = {"abc"}\nreturn m', "its field 'lines'"),
    "lines_infinite": ("local m = nn.Sequential()\nm.__t7.lines = {1/0}\nreturn m", "its field 'lines'"),
    "lines_string": ('local m = nn.Sequential()\nm.__t7.lines = "x"\nreturn m', "its field 'lines'"),
    "args_string": ('local m = nn.Sequential()\nm.__t7.args = "x"\nreturn m', "its field 'args'"),
    "error_object_tostring_loop": ("error(setmetatable({}, {__tostring = function() while true do end end}))",
                                   "error object of type table (not a string)"),
    "huge_error_message": ('error(string.rep(string.rep("y", 2^20), 40))', "yyyy"),
    "metatable_on_record": ("local m = nn.Sequential()\nsetmetatable(m.__t7, {__index = function() while true do end end})\n"
                            "m.__t7.n = nil\nreturn m", "its field 'n'"),  # read raw: __index never runs
    "name_tampered": ('local m = nn.Sequential()\nm.__t7.name = "a\\nb"\nreturn m', "its field 'name'"),
    "nested_250": (NEST.format(n=250), "nests modules deeper than 100 levels (set ENET_PORT_MAX_DEPTH"),
    "shared_children_explode": ("local s = nn.Identity()\nfor i = 1, 40 do s = nn.Sequential():add(s):add(s) end\nreturn s",
                                "more than 20000 modules (set ENET_PORT_MAX_MODULES"),
    "infinite_argument": ("local m = nn.Sequential()\nm:add(nn.SpatialConvolution(3, 1/0, 3, 3))\nreturn m",
                          ":2: nn.SpatialConvolution: argument nOutputPlane must be a finite number"),
    "huge_argument": ("local m = nn.Sequential()\nm:add(nn.SpatialConvolution(3, 1e300, 3, 3))\nreturn m",
                      ":2: nn.SpatialConvolution: argument nOutputPlane"),
    "custom_module_loop": ("local C = torch.class('nn.Spin', 'nn.Module')\nfunction C:updateOutput(x) while true do end end\n"
                           "return nn.Sequential():add(nn.Spin())", SPIN),  # traced after the file ran
    "custom_module_recursion": ("local C = torch.class('nn.Again', 'nn.Module')\n"
                                "function C:updateOutput(x) return self:updateOutput(x) end\n"
                                "return nn.Sequential():add(nn.Again())", SPIN),  # a tail call: a loop
    "custom_module_in_itself": ("local C = torch.class('nn.Self', 'nn.Module')\n"
                                "function C:updateOutput(x) return nn.Module.forward(self, x) end\n"
                                "return nn.Sequential():add(nn.Self())", "the model contains itself"),
    "bad_utf8_argument": ('local m = nn.Sequential()\nm:add(nn.SpatialConvolution("\\255", 1, 3, 3))\nreturn m',
                          ":2: nn.SpatialConvolution: argument nInputPlane must be a number"),
}


# the slow (time-limit) cases run once: import-lua runs the same child as trace
RUNS = [(name, "trace") for name in sorted(CASES)] + \
       [(name, "import-lua") for name in sorted(CASES) if CASES[name][1] != SPIN]


@pytest.mark.parametrize("name,command", RUNS, ids=[f"{n}-{c}" for n, c in RUNS])
def test_hostile_file_ends_within_the_limit_in_one_line(tmp_path, name, command):
    code, message = CASES[name]
    path = tmp_path / f"{name}.lua"
    path.write_text(code + "\n")
    out = tmp_path / "out.json"
    args = [command, str(path)] + (["-o", str(out)] if command == "import-lua" else [])
    start = time.monotonic()
    result = CliRunner().invoke(main, args, env={"ENET_PORT_LUA_SECONDS": "2"})
    assert time.monotonic() - start < 12  # 2 s of CPU, 7 s of wall clock at most, and the start
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"enet-port: {path}") and message in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing written


def test_huge_print_keeps_memory_bounded(tmp_path):
    path = tmp_path / "print.lua"
    path.write_text('local s = string.rep(string.rep("x", 1e6), 50)\nfor i = 1, 40 do print(s) end\n'
                    'print("caf\\195\\169")\nreturn nn.Sequential()\n')  # 40 lines of 50 MB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    trace = trace_lua(path, seconds=5)
    assert len(trace.printed) == 41 and all(len(line) == 1003 for line in trace.printed[:40])
    assert trace.printed[40] == "caf\\xc3\\xa9"  # bytes outside ASCII are shown, not decoded
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: no 2 GB of lines


def test_the_child_limits_its_address_space_and_cpu():
    """What Lua's allocator does not count (the child's Python side) meets RLIMIT_AS."""
    code = ("from enet_port.lua.child import _limit\n_limit(1, 100 << 20)\n"
            "try:\n    bytearray(2 << 30)\nexcept MemoryError:\n    print('refused')\nwhile True: pass\n")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.stdout.strip() == "refused"
    assert proc.returncode == -signal.SIGXCPU and time.monotonic() - start < 20  # 2 s of CPU after imports


def _wait_for_grandchild(pid, seconds=30):
    """Until a process two generations below ``pid`` runs (read from /proc: no psutil needed),
    so that the interrupt reaches a trace in progress rather than a forkserver still starting."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        parents = {}
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
                parents[int(status.parent.name)] = int(fields["PPid"])
            except (OSError, KeyError, ValueError):
                continue
        if any(parents.get(parents.get(p)) == pid for p in parents):
            time.sleep(0.5)
            return
        time.sleep(0.2)


def test_ctrl_c_stops_a_trace(tmp_path):
    path = tmp_path / "spin.lua"
    path.write_text('local s = string.rep("a", 50000)\nlocal x = s:find(".-.-.-.-.-.-b")\n')
    proc = subprocess.Popen([sys.executable, "-m", "enet_port", "trace", str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_grandchild(proc.pid)  # the forkserver has forked the child: it is in the C loop
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    finally:
        proc.kill()  # no-op when Ctrl-C worked
        proc.wait()
    assert proc.returncode == 1 and "Aborted!" in proc.stderr.read().decode()


UTILS = """local utils = {}
function utils.block(n)
  local s = nn.Sequential()
  s:add(nn.SpatialConvolution(n, n, 3, 3, 1, 1, 1, 1))
  return s:add(nn.ReLU(true))
end
return utils
"""
NET = """local utils = paths.dofile('utils.lua')
local stem = require 'models.stem'
local model = nn.Sequential()
model:add(stem.conv(3, 8))
model:add(utils.block(8))
return model
"""


def model_folder(tmp_path):
    """repo/models/{net,utils,stem}.lua as a Torch7 repository lays them out, a secret beside."""
    models = tmp_path / "repo" / "models"
    models.mkdir(parents=True)
    (models / "utils.lua").write_text(UTILS)
    (models / "stem.lua").write_text("return {conv = function(a, b) return nn.SpatialConvolution(a, b, 3, 3, 1, 1, 1, 1) end}\n")
    (models / "net.lua").write_text(NET)
    (tmp_path / "repo" / "secret.lua").write_text("return 42\n")
    return models


def test_a_model_reads_lua_files_of_its_own_folder(tmp_path):
    models = model_folder(tmp_path)
    trace = trace_lua(models / "net.lua")
    convs = [n for n in trace.model.walk() if n.name == "nn.SpatialConvolution"]
    assert [c.args for c in convs] == [[3, 8, 3, 3, 1, 1, 1, 1], [8, 8, 3, 3, 1, 1, 1, 1]]
    assert [c.where for c in convs] == [f"{models / 'net.lua'}:4", f"{models / 'net.lua'}:5"]


READS = {
    "parent": ("paths.dofile('../secret.lua')", "'../secret.lua' is outside the model file's folder"),
    "absolute": ("paths.dofile('/etc/passwd')", "'/etc/passwd' is outside the model file's folder"),
    "link_out": ("paths.dofile('link.lua')", "'link.lua' is outside the model file's folder"),
    "directory": ("paths.dofile('dir.lua')", "'dir.lua' is not a file in the model file's folder"),
    "fifo": ("paths.dofile('fifo.lua')", "'fifo.lua' is not a file in the model file's folder"),
    "require_up": ("require '..secret'", "module '..secret' is not available in the tracer sandbox ('..secret' is outside"),
    "require_missing": ("require 'models.none'", "module 'models.none' is not available"),
    "precompiled": ("paths.dofile('bytecode.lua')", "precompiled Lua chunks are refused"),
}


@pytest.mark.parametrize("name", sorted(READS))
def test_nothing_outside_the_folder_or_unusual_is_read(tmp_path, name):
    import os
    models = model_folder(tmp_path)
    os.symlink(tmp_path / "repo" / "secret.lua", models / "link.lua")
    os.mkfifo(models / "fifo.lua")  # opening it for reading would block
    (models / "dir.lua").mkdir()
    (models / "bytecode.lua").write_bytes(b"\x1bLua\x51\x00")
    code, message = READS[name]
    path = models / "h.lua"
    path.write_text(code + "\n")
    result = CliRunner().invoke(main, ["trace", str(path)], env={"ENET_PORT_LUA_SECONDS": "2"})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"enet-port: {path}:1: ") and message in lines[0], lines

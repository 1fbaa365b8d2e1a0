"""Fuzz the .t7 reader and converter: seeded random byte mutations and truncations of the shared
Torch7 fixtures and of files the test writers make (binary and ASCII, a Sequential and an nngraph
gModule). Every case must load cleanly or be refused in one line (an EnetPortError naming the
file); anything else (a traceback, a hang) fails."""
import random
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from enet_port.errors import EnetPortError
from enet_port.model.build import build
from enet_port.t7.convert import convert
from enet_port.t7.load import refuse_views, spec_tree
from enet_port.t7.reader import parse_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7raw import dumps_raw  # noqa: E402
from t7writer import Object, Tensor, dumps, gmodule_object, module_object  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "torch7"
EXTREMES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, 255, 2 ** 31 - 1, -2 ** 31, 2 ** 16]


def _graph():
    node = lambda name, **f: Object(name, {"train": False, "output": Tensor(np.zeros(0)), **f})  # noqa: E731
    return gmodule_object([node("nn.Identity"), node("nn.ReLU", threshold=0, val=0, inplace=False),
                           node("nn.CAddTable", inplace=False)], [[], [0], [1, 0]], inputs=[0], outputs=[2])


def bases():
    model = module_object(build(ROOT / "tests" / "specs" / "tied.json").eval())
    out = {"tied.t7": (dumps(model), 800), "tied-ascii.t7": (dumps_raw(model, ascii=True), 300),
           "graph.t7": (dumps(_graph()), 500)}
    for name, cases in (("mnist-mlp.t7", 200), ("lenet-chars.net", 200), ("enet-cityscapes.net", 20)):
        if (FIXTURES / name).is_file():
            out[name] = ((FIXTURES / name).read_bytes(), cases)
    return out


def mutate(data, rng):
    """One of: a few random bytes changed, a 4-byte field set to an extreme int, a truncation,
    bytes cut out or repeated. Positions favour the records' headers (near a "V 1")."""
    data = bytearray(data)
    starts = [m.start() for m in re.finditer(rb"V 1", data)] or [0]
    near = lambda: min(max(rng.choice(starts) + rng.randint(-48, 48), 0), len(data) - 1)  # noqa: E731
    at = near() if rng.random() < 0.8 else rng.randrange(len(data))
    kind = rng.randrange(5)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            data[min(at + rng.randint(0, 8), len(data) - 1)] = rng.randrange(256)
    elif kind == 1:
        data[at:at + 4] = (rng.choice(EXTREMES) % 2 ** 32).to_bytes(4, "little")
    elif kind == 2:
        del data[at:]
    elif kind == 3:
        del data[at:at + rng.randint(1, 16)]
    else:
        data[at:at] = data[at:at + rng.randint(1, 16)]
    return bytes(data)


def load(data, name):
    converted = convert(parse_t7(data, name), name)
    refuse_views(spec_tree(converted.tree, name), converted.tensors)


def test_mutated_files_load_or_are_refused_in_one_line():
    rng = random.Random(18)
    counts = {"loaded": 0, "refused": 0}
    for name, (good, cases) in bases().items():
        load(good, name)  # the unmutated file loads
        for case in range(cases):
            bad = mutate(good, rng)
            try:
                load(bad, name)
                counts["loaded"] += 1
            except EnetPortError as exc:
                message = str(exc)
                assert "\n" not in message and message.startswith(name), (name, case, message)
                counts["refused"] += 1
            except Exception as exc:  # noqa: BLE001 - the point of the test
                path = Path(f"/tmp/fuzz-{name}-{case}.t7")
                path.write_bytes(bad)
                pytest.fail(f"{name} case {case}: {type(exc).__name__}: {exc} (file kept at {path})")
    assert counts["refused"] > counts["loaded"] / 10, counts

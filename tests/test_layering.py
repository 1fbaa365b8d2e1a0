"""The layers of the package: the model half imports neither the Lua nor the trainer half, and
nothing imports a layer above it (the CLI is on top)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "enet_port"
# what each part may import, besides itself and the shared floor (errors, atomic, limits)
ALLOWED = {"model": set(), "lua": {"model"}, "t7": {"model"}, "train": {"model", "t7"},
           "predict": {"model", "t7", "train"}}
FLOOR = {"errors", "atomic", "limits"}


def imported_parts(path):
    """The enet_port subpackages or top-level modules a file imports (relative imports resolved)."""
    here = path.relative_to(PACKAGE).parts[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[:len(here) - node.level + 1])
                target = base + (node.module.split(".") if node.module else [])
                names = [target + [a.name] for a in node.names] if not node.module else [target]
            elif node.module and node.module.startswith("enet_port."):
                names = [node.module.split(".")[1:]]
            else:
                continue
            out.update(n[0] if n else "" for n in names)
        elif isinstance(node, ast.Import):  # import enet_port.lua.diff
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("enet_port."))
    return out


def test_no_part_imports_a_layer_above_it():
    for part, allowed in ALLOWED.items():
        files = [PACKAGE / f"{part}.py"] if (PACKAGE / f"{part}.py").exists() else sorted((PACKAGE / part).rglob("*.py"))
        assert files, part
        for path in files:
            bad = imported_parts(path) - allowed - FLOOR - {part}
            assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"

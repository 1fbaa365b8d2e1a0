"""The layers of the package: the model half imports neither the Lua nor the trainer half, the
data path imports nothing of the training loop, and nothing imports a layer above it (the CLI is
on top)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "enet_port"
# what each part may import, besides itself and the shared floor (errors, atomic, limits, userpaths)
ALLOWED = {"model": set(), "lua": {"model"}, "t7": {"model"}, "data": set(),
           "train": {"model", "t7", "data"}, "predict": {"model", "t7", "data", "train", "export", "predict_backends"},
           "predict_backends": {"export"},
           "export": {"model"}, "export_model": {"model", "t7", "data", "train", "export", "predict"}}
FLOOR = {"errors", "atomic", "limits", "userpaths"}


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


def cli_imports(path):
    """The modules of ``enet_port/cli/`` that ``path`` imports (``""`` for the package itself)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            out.update([node.module] if node.module else [a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom) and node.module in ("enet_port.cli", "enet_port"):
            out.add("")
    return out


def test_cli_modules_import_no_circle():
    """Commands are registered in ``cli/__init__.py`` alone; a command module imports only the
    shared helpers, never the group (the old ``cli.py`` <-> ``cli_train.py`` circle)."""
    cli = PACKAGE / "cli"
    modules = {p.stem: cli_imports(p) for p in cli.glob("*.py") if p.stem != "__init__"}
    assert {"common", "models", "train", "t7"} <= set(modules)
    for name, imported in modules.items():
        assert imported <= {"common"} - {name}, f"cli/{name}.py imports {sorted(imported)}"
    assert cli_imports(PACKAGE / "cli" / "common.py") == set()

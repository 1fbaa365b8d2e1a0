"""Which file of a model's folder defines a ``torch.class`` the model file uses but never requires.

Lua counterpart: a project's entry point (shake-shake's ``checkpoints.lua`` and ``models/init.lua``
``require 'models/shakeshakeblock'``) loading a class before ``models/<netType>.lua`` builds with
it: run alone, the model file would read ``nn.ShakeShakeBlock`` as nil. The tracer reads only the
model file's folder, so that is where it looks, once, in a bounded walk (the child's limits hold).
"""
import os
import re

MAX_DEPTH = 2        # folders below the model's
MAX_FILES = 200      # .lua files read
CLASS_RE = re.compile(r"""torch\.class\s*\(\s*(?:\[\[|['"])([A-Za-z_][\w.]*)""")


def class_finder(folder, read_text, model_file):
    """``find(name)`` -> the ``require`` name of the file that defines class ``name`` (its path
    from ``folder`` without ``.lua``), or None; ``found`` lists the (class, file) it returned.

    ``read_text(path)`` -> text or None. The model file itself is left out (run as a module it
    would build a second model). Of several files defining one class the one nearest the folder,
    then first by name, is taken."""
    index, found = [], []

    def find(name):
        if not index:
            index.append(_index(folder, read_text, model_file))
        module = index[0].get(name)
        if module is not None and (name, module + ".lua") not in found:
            found.append((name, module + ".lua"))
        return module
    return find, found


def _index(folder, read_text, model_file):
    classes = {}
    for relative in [f for f in _lua_files(folder) if f != model_file][:MAX_FILES]:
        for name in CLASS_RE.findall(read_text(os.path.join(folder, relative)) or ""):
            classes.setdefault(name, relative[:-len(".lua")])
    return classes


def _lua_files(folder):
    """Relative paths of the folder's .lua files, nearest first, then by name; no links followed,
    no hidden folders, and no names that ``require`` would read differently (dots in the stem)."""
    found = []
    for root, dirs, files in os.walk(folder):
        relative = os.path.relpath(root, folder)
        depth = 0 if relative == "." else relative.count(os.sep) + 1
        dirs[:] = [d for d in dirs if not d.startswith(".")] if depth < MAX_DEPTH else []
        found += [(depth, os.path.normpath(os.path.join(relative, f)).replace(os.sep, "/")) for f in files
                  if f.endswith(".lua") and "." not in f[:-len(".lua")]]
        if len(found) > MAX_FILES:
            break
    return [path for _, path in sorted(found)]

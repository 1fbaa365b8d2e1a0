"""Which file of a model's project defines a ``torch.class`` the model file uses but never requires.

Lua counterpart: a project's entry point (shake-shake's ``checkpoints.lua`` and ``models/init.lua``
``require 'models/shakeshakeblock'``; char-rnn's ``train.lua`` ``require 'util.OneHot'``) loading
a class before the model file builds with it: run alone, the model file would read
``nn.ShakeShakeBlock`` or the global ``OneHot`` as nil. The tracer looks in the model file's
folder, then, where that defines no such class, in the folder above: the project root the entry
point ran from (char-rnn's ``model/`` and ``util/`` are siblings), whose ``require`` names are
relative to it (``util.OneHot``). Each is indexed once, in a bounded walk (the child's limits hold).
"""
import os
import re

MAX_DEPTH = 2        # folders below the model's
MAX_FILES = 200      # .lua files read
CLASS_RE = re.compile(r"""torch\.class\s*\(\s*(?:\[\[|['"])([A-Za-z_][\w.]*)""")


def class_finder(folder, read_text, model_file, use_root):
    """``find(name)`` -> the ``require`` name of the file that defines class ``name`` (its path
    from ``folder``, else from the folder above, without ``.lua``), or None; ``found`` lists the
    (class, file) it returned, the file as a path from ``folder`` (``../util/OneHot.lua``).

    ``read_text(place, path)`` -> the text of a file inside ``place`` (no links out), or None;
    ``use_root(root)`` is called before a module of the folder above is returned (the reader then
    reads ``require`` names there). The model file itself is
    left out (run as a module it would build a second model). Of several files defining one class
    the one nearest the folder, then first by name, is taken."""
    root = os.path.dirname(folder)
    places = [(folder, model_file, "")] + ([(root, os.path.basename(folder) + "/" + model_file, "../")]
                                           if root != folder else [])
    indexes, found = {}, []

    def find(name):
        for place, own, prefix in places:
            if place not in indexes:
                indexes[place] = _index(place, read_text, own)
            module = indexes[place].get(name)
            if module is not None:
                if prefix:
                    use_root(place)
                if (name, prefix + module + ".lua") not in found:
                    found.append((name, prefix + module + ".lua"))
                return module
        return None
    return find, found


def _index(folder, read_text, model_file):
    classes = {}
    for relative in [f for f in _lua_files(folder) if f != model_file][:MAX_FILES]:
        for name in CLASS_RE.findall(read_text(folder, os.path.join(folder, relative)) or ""):
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

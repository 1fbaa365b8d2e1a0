"""The records :mod:`.reader` keeps while it reads a Torch7 file: one frame per table, torch
object, tensor or function still being read (its explicit stack), and the references between them.

Lua counterpart: the Lua call stack of torch7 ``File.lua`` ``readObject`` reading nested objects;
here each level is a record, so that nesting costs no Python recursion.
"""
import re

from . import layouts

IDENTIFIER = re.compile(rb"[A-Za-z_]\w*")


class Ref:
    """A table, torch object or function in the records, by its reference index."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class Frame:
    """An object being read: how many values it still needs, and where it sits in the file."""
    expects_table = False

    def __init__(self, path):
        self.path, self.needed = path, 1

    def child_path(self):
        return self.path

    def read_next(self, reader):
        self.put(reader.value(self.expects_table))


class Root(Frame):
    def __init__(self):
        super().__init__("")
        self.value = None

    def put(self, value):
        self.value, self.needed = value, 0


class TableRecord(Frame):
    def __init__(self, path, size):
        super().__init__(path)
        self.needed, self.pairs, self.key = 2 * size, [], None

    def put(self, value):
        if self.needed % 2 == 0:
            self.key = value
        else:
            self.pairs.append((self.key, value))
        self.needed -= 1

    def child_path(self):
        if self.needed % 2 == 0:
            return f"{self.path}<a key>"
        return self.path + path_step(self.key)


class ObjectRecord(Frame):
    """A torch class instance: its field table, then what its own ``write`` adds (:mod:`.layouts`)."""
    expects_table = True

    def __init__(self, path, class_name, version, start, layout=None):
        super().__init__(path)
        self.class_name, self.version, self.start, self.body = class_name, version, start, None
        self.layout, self.steps, self.step, self.extras = layout, None, None, {}

    def put(self, value):
        self.body, self.needed = value, 0

    def start_layout(self, records):
        """After the field table: the layout's first step, if the class has one."""
        table = records[self.body.index]
        self.steps = self.layout(lambda: {k for k, _ in table.pairs},
                                 lambda v: isinstance(v, Ref) and isinstance(records.get(v.index), TableRecord))
        self.advance(None)

    def advance(self, value):
        try:
            self.step = self.steps.send(value) if self.step else next(self.steps)
            self.needed = 1
        except StopIteration as done:
            self.extras.update(done.value or {})
            self.step, self.needed = None, 0

    def read_next(self, reader):
        if self.step is None:
            return super().read_next(reader)
        kind, name = self.step
        value = reader.source.int() if kind == layouts.INT else \
            reader.source.double() if kind == layouts.DOUBLE else reader.value(False)
        self.extras[name] = value
        self.advance(value)

    def child_path(self):
        return f"{self.path}.{self.step[1]}".lstrip(".") if self.step else self.path


class TensorRecord(Frame):
    def __init__(self, path, class_name, dtype, header):
        super().__init__(path)
        self.class_name, self.dtype, self.header, self.storage, self.array = class_name, dtype, header, None, None

    def put(self, value):
        self.storage, self.needed = value, 0

    def child_path(self):
        return f"{self.path}<storage>"


class StorageRecord:
    def __init__(self, class_name, array):
        self.class_name, self.array, self.needed = class_name, array, 0


class FunctionRecord(Frame):
    def __init__(self, path, size, dumped):
        super().__init__(path)
        self.size, self.dumped, self.upvalues = size, dumped, None

    def put(self, value):
        self.upvalues, self.needed = value, 0

    def child_path(self):
        return f"{self.path}<upvalues>"


def path_step(key):
    """How a key extends an object's path: ``.name``, ``[3]``, ``['a b']``, ``[<table>]``."""
    if isinstance(key, bytes):
        if IDENTIFIER.fullmatch(key):
            return "." + key.decode()
        return f"[{key.decode('utf-8', 'backslashreplace')!r}]"
    if isinstance(key, bool):
        return f"[{str(key).lower()}]"
    if isinstance(key, (int, float)):
        return f"[{key:g}]" if isinstance(key, float) else f"[{key}]"
    return "[<a table or object>]"

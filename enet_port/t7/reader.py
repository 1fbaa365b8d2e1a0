"""Read a Torch7 file (``torch.save``, binary or ASCII) without Lua: an iterative, bounded reader.

Lua counterpart: torch7 ``File.lua`` ``readObject`` (and ``writeObject``, which fixes the format):
every value is an int type tag (0 nil, 1 number, 2 string, 3 table, 4 torch object, 5 boolean,
6 function, 7 and 8 recursive functions) and its body. Tables, torch objects and recursive
functions carry a reference index; an index met again is a back-reference to the object read
under it (objects are registered before their body, so an object may refer to itself). A torch
object is its version string (``"V 1"``), class name and body: tensors and storages have their own
(:mod:`.tensors`), every other class its field table.

Unlike ``readObject`` (and the ``torchfile`` package), the reader never recurses: it keeps an
explicit stack of the objects being read, so nesting is bounded by ``ENET_PORT_T7_MAX_DEPTH``, not
by Python's stack. It first reads the file into records (no Python object is built from a count
the file declares before the bytes for it are known to be there: :mod:`.source`), then builds the
values (:mod:`.objects`): a table's kind (array or not) is known only once it is read, and any
reference to it, even from inside itself, must get the same object. Every error is a one-line
:class:`T7Error` naming the file and the object's path in it (``modules[3].weight``).
"""
import re

from .. import limits
from ..errors import EnetPortError
from ..model import registry
from . import layouts
from .frames import FunctionRecord, ObjectRecord, Ref, Root, StorageRecord, TableRecord, TensorRecord
from .formats import foreign_format
from .objects import LuaFunction, LuaTable, TorchObject, key_of
from .source import Damaged, source_of
from .tensors import Materialiser, element_type, read_header

NIL, NUMBER, STRING, TABLE, TORCH, BOOLEAN, FUNCTION, LEGACY_RECUR_FUNCTION, RECUR_FUNCTION = range(9)
KNOWN_CLASSES = (b"nngraph.Node", b"graph.Graph", b"graph.Edge", b"graph.Node")  # tables only, no own write
CLASS_NAME = re.compile(rb"[A-Za-z_][\w.]*")


class T7Error(EnetPortError):
    """A file that is not a readable Torch7 module file."""


class _Reader:
    def __init__(self, source):
        self.source, self.records, self.stack = source, {}, []
        self.materialiser = Materialiser(len(source.data))
        self.values, self.functions = 0, 0
        self.depth_limit, self.values_limit = limits.value(limits.T7_DEPTH), limits.value(limits.T7_VALUES)
        self.where, self.after_object = "", None  # (class, byte) where the last field table ended
        self.suspect = None  # (after_object, stack depth) of the value being read from there

    def read(self):
        """Records of the whole file, then the value they make."""
        root = Root()
        self.stack = [root]
        while self.stack:
            top = self.stack[-1]
            if top.needed == 0:
                self.where = top.path
                self.stack.pop()
                if self.suspect and len(self.stack) < self.suspect[1]:
                    self.suspect = None  # the table (or object) that held it is read whole
                self.finish(top)
                continue
            self.where = top.child_path()
            top.read_next(self)
        self.where = ""
        if not self.source.at_end():
            if self.after_object is not None and self.after_object[1] == self.source.pos:
                self.suspect = (self.after_object, 0)
            raise Damaged("data after the stored object (not a single torch.save)")
        return Builder(self.records).value(root.value)

    def value(self, expects_table):
        """One value: immediate ones as they are, the others as a :class:`Ref` (read later). A value
        that begins where the field table of a class no record knows ended makes the rest of the
        table that holds it a suspect (see :meth:`own_write_hint`)."""
        if self.after_object is not None and self.after_object[1] == self.source.pos:
            self.suspect = (self.after_object, len(self.stack))
        return self.one_value(expects_table)

    def one_value(self, expects_table):
        self.values += 1
        if self.values > self.values_limit:
            raise Damaged(f"more than {self.values_limit} values ({limits.hint(limits.T7_VALUES)})")
        start = self.source.pos
        tag = self.source.int()
        if expects_table and tag != TABLE:
            raise Damaged(f"{self.stack[-1].class_name.decode()} at byte {self.stack[-1].start}: no field table follows "
                          "(a class with its own file format that this reader does not know)")
        if tag == NIL:
            return None
        if tag == NUMBER:
            number = self.source.double()
            return int(number) if number.is_integer() else number
        if tag == BOOLEAN:
            return self.source.int() == 1
        if tag == STRING:
            return self.string("a string")
        if tag == FUNCTION:  # File.lua: no reference index
            self.functions += 1
            return self.function(-self.functions)
        if tag in (TABLE, TORCH, LEGACY_RECUR_FUNCTION, RECUR_FUNCTION):
            return self.referenced(tag, start)
        kind = "ASCII" if self.source.ascii else "binary"
        raise Damaged(f"unknown object type {tag} at byte {start}: not a Torch7 {kind} file or out of step")

    def layout_follows(self, record):
        """Whether the class's own write() was used (the versions of a class differ: nnx's last
        SpatialNormalization has none). Its write repeats fields the table holds: the numbers it
        puts before its first object must equal the table's fields of their names, and that
        object must be a reference to the one the table holds under its name."""
        fields = dict(self.records[record.body.index].pairs)
        at = self.source.pos
        try:
            for kind, name in layouts.prefix(record.layout):
                stored = fields.get(name.encode())
                if kind == layouts.OBJECT:
                    tag, index = self.source.int(), self.source.int()
                    return tag in (TABLE, TORCH) and isinstance(stored, Ref) and index == stored.index
                number = self.source.int() if kind == layouts.INT else self.source.double()
                if isinstance(stored, bool) or not isinstance(stored, (int, float)) or number != stored:
                    return False
            return False
        except Damaged:
            return False
        finally:
            self.source.pos = at

    def own_write_hint(self):
        """The message for a file that breaks in the value begun right where a field table
        ended: a class whose own write() adds values there (only its read() knows them)."""
        if not self.suspect:
            return None
        (name, at), _ = self.suspect
        return (f"{name.decode()} writes more than its field table (its own write(), from byte {at}), "
                f"a layout this reader does not know (it knows {len(layouts.LAYOUTS)} classes': t7/layouts.py)")

    def string(self, what):
        size = self.source.int()
        data = self.source.raw(size, what)
        if size:
            self.source.end_of_string()
        return data

    def referenced(self, tag, start):
        index = self.source.int()
        if index in self.records:
            return Ref(index)
        if tag == TABLE:
            size = self.source.int()
            if size < 0 or 2 * size * self.source.least_number > self.source.left():
                raise Damaged(f"a table of {size} entries, more than the {self.source.left()} bytes left "
                              "hold (truncated or out of step)")
            return self.push(index, TableRecord(self.where, size))
        if tag == TORCH:
            return self.torch_object(index, start)
        return self.function(index)

    def function(self, index):
        size = self.source.int()
        return self.push(index, FunctionRecord(self.where, size, self.source.raw(size, "a function's bytecode")))

    def torch_object(self, index, start):
        version = self.string("a version string")
        number = _version_number(version)
        class_name = self.string("a class name") if number is not None else version
        if not CLASS_NAME.fullmatch(class_name):
            raise Damaged(f"unreadable class name {class_name[:40]!r} at byte {start}")
        name = class_name.decode()
        kind = element_type(name)
        if kind is None:
            return self.push(index, ObjectRecord(self.where, class_name, number or 0, start,
                                                 layouts.LAYOUTS.get(class_name)))
        dtype, what = kind
        if what == "Storage":
            self.records[index] = StorageRecord(name, self.source.array(dtype, self.source.long(), name))
            return Ref(index)
        return self.push(index, TensorRecord(self.where, name, dtype, read_header(self.source, name)))

    def push(self, index, record):
        self.records[index] = record
        self.stack.append(record)
        if len(self.stack) > self.depth_limit:
            raise Damaged(f"objects nested more than {self.depth_limit} deep ({limits.hint(limits.T7_DEPTH)})")
        return Ref(index)

    def finish(self, record):
        if isinstance(record, ObjectRecord) and record.steps is None:
            if not isinstance(self.records.get(record.body.index), TableRecord):
                raise Damaged(f"{record.class_name.decode()}: its field table is another kind of object (out of step)")
            if record.layout and self.layout_follows(record):  # its own write() goes on: not finished yet
                self.stack.append(record)
                record.start_layout(self.records)
                return
            if record.class_name.decode() not in registry.REGISTRY and record.class_name not in KNOWN_CLASSES:
                self.after_object = (record.class_name, self.source.pos)
        if isinstance(record, TensorRecord):
            record.array = self.materialiser.tensor(record.class_name, record.dtype, record.header,
                                                    self.storage_of(record))

    def storage_of(self, tensor):
        """The storage array a tensor record names; anything but a storage of its type is refused
        (a tensor there would make its sizes and strides walk another tensor's rows)."""
        if tensor.storage is None:
            return None
        record = self.records.get(tensor.storage.index) if isinstance(tensor.storage, Ref) else None
        expected = tensor.class_name.replace("Tensor", "Storage")
        if not isinstance(record, StorageRecord) or record.class_name != expected:
            found = getattr(record, "class_name", None) or type(tensor.storage).__name__
            if isinstance(record, TableRecord):
                found = "a Lua table"
            raise Damaged(f"{tensor.class_name}: a {found} where its {expected} is due")
        return record.array


def _version_number(version):
    """File.lua: ``tonumber(string.match(version, '^V (.*)$'))``; None when it is not one (a file
    from before versions, where this string is the class name)."""
    if not version.startswith(b"V "):
        return None
    try:
        number = float(version[2:])
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


class Builder:
    """The Python values of the records: every object made empty first, then filled, so that
    references (back, forward or to themselves) all get the same object."""

    def __init__(self, records):
        self.records, self.objects = records, {}
        for index, record in records.items():
            self.objects[index] = self.empty(record)
        for index, record in records.items():
            self.fill(self.objects[index], record)
        for index, record in records.items():
            if isinstance(record, ObjectRecord) and record.extras:
                self.read_extras(self.objects[index], record)

    def value(self, raw):
        return self.objects[raw.index] if isinstance(raw, Ref) else raw

    @staticmethod
    def empty(record):
        if isinstance(record, TableRecord):
            keys = {k for k, _ in record.pairs}
            is_array = all(type(k) is int for k in keys) and keys == set(range(1, len(keys) + 1))
            return [] if is_array else LuaTable()
        if isinstance(record, ObjectRecord):
            return TorchObject(record.class_name, version_number=record.version)
        if isinstance(record, FunctionRecord):
            return LuaFunction(record.size, record.dumped)
        return record.array

    def read_extras(self, obj, record):
        """The class's own read(): the table's fields, then those read after it (nil removes)."""
        table = LuaTable(obj._obj) if isinstance(obj._obj, dict) else LuaTable()
        for name, raw in record.extras.items():
            value = self.value(raw)
            if value is None:
                table.pop(name.encode(), None)
            else:
                table[name.encode()] = value
        obj._obj = table

    def fill(self, obj, record):
        if isinstance(record, TableRecord):
            if isinstance(obj, list):
                entries = dict(record.pairs)
                obj.extend(self.value(entries[i]) for i in range(1, len(entries) + 1))
            else:
                for key, value in record.pairs:
                    obj[key_of(self.value(key))] = self.value(value)
        elif isinstance(record, ObjectRecord):
            obj._obj = self.value(record.body)
        elif isinstance(record, FunctionRecord):
            obj.upvalues = self.value(record.upvalues)


def read_t7(path):
    """The object stored in a Torch7 file (binary or ASCII); :class:`T7Error` for anything
    unreadable, naming the file and the place."""
    path = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise T7Error(path, f"cannot read: {exc.strerror}") from None
    return parse_t7(data, path)


def parse_t7(data, path):
    """The object stored in ``data``, the bytes of the Torch7 file ``path`` (named in errors)."""
    foreign = foreign_format(data)
    if foreign:
        raise T7Error(path, f"not a Torch7 file but {foreign}")
    reader = _Reader(source_of(data))
    try:
        return reader.read()
    except Damaged as exc:
        raise T7Error(f"{path}: {_shown(reader.where)}", reader.own_write_hint() or str(exc)) from None
    except MemoryError:
        raise T7Error(path, "out of memory while reading (the file's sizes are too large)") from None


def _shown(where, most=160):
    """An object's path for a message: a deeply nested one keeps its last steps."""
    where = where.lstrip(".") or "(the stored object)"
    return where if len(where) <= most else "..." + where[-most:]

"""The Python values a Torch7 file's Lua values become (what ``torch.load`` would return).

Lua counterpart: the values torch7 ``File.lua`` ``readObject`` builds. nil, booleans and numbers
are ``None``, ``bool`` and ``int`` (a whole number) or ``float``; strings are ``bytes`` (Lua
strings are bytes); a table is a ``list`` when its keys are exactly 1..n (an empty table too),
else a :class:`LuaTable`; a torch class instance is a :class:`TorchObject` holding its field
table; tensors and storages are numpy arrays; a function is a :class:`LuaFunction`. These are
the values the ``torchfile`` package returned, which the converter was written against.
"""


class LuaTable(dict):
    """A Lua table that is not an array. Compared and hashed by identity, as Lua does, so that a
    table can be a key of another (nngraph keys tables by tables)."""

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __repr__(self):  # shallow: a table may hold itself, or nest thousands deep
        return f"<Lua table of {len(self)} entries>"


class IdentityKey:
    """A key Python cannot hash (a Lua array, a tensor): kept by identity, as Lua keys are."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"<key {type(self.value).__name__}>"


class TorchObject:
    """An instance of a Torch7 class with a field table (an ``nn`` module, an nngraph node).
    ``torch_typename()`` is its class name (bytes); fields by attribute or item, str or bytes."""

    def __init__(self, typename, obj=None, version_number=0):
        self._typename, self._obj, self._version_number = typename, obj, version_number

    def torch_typename(self):
        return self._typename

    def _field(self, key):
        table = self._obj if isinstance(self._obj, dict) else {}
        if key in table:
            return table[key]
        return table.get(key.encode()) if isinstance(key, str) else None

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        return self._field(key)

    def __getitem__(self, key):
        return self._field(key)

    def __repr__(self):
        return f"TorchObject({self._typename.decode(errors='backslashreplace')})"


class LuaFunction:
    """A stored Lua function: its bytecode (never run) and upvalues."""

    def __init__(self, size, dumped, upvalues=None):
        self.size, self.dumped, self.upvalues = size, dumped, upvalues

    def __repr__(self):
        return f"<Lua function, {self.size} bytes of bytecode>"


def key_of(value):
    """``value`` as a dict key: itself when Python can hash it, else an :class:`IdentityKey`."""
    try:
        hash(value)
    except TypeError:
        return IdentityKey(value)
    return value

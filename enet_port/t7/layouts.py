"""Torch7 classes whose own ``write`` puts more after their field table, and what it puts there.

Lua counterpart: torch7 ``File.lua`` ``readObject``: for a torch class it makes the instance and
calls ``object:read(file, versionNumber)`` when the class has one, else reads one field table
into it. torch7's nn.Module of 2011-2012 had ``write``/``read`` of one field table
(``file:writeObject(var)``), so a class that calls ``parent.write(self, file)`` and then
``file:writeObject(...)`` and ``file:writeInt(...)`` leaves tagged values and raw ints after its
table; only the class's own ``read`` knows which, so such layouts cannot be read generally. A
layout is a generator: it yields ``(INT, name)``, ``(DOUBLE, name)`` (``writeDouble``) or
``(OBJECT, name)`` for each value its ``write`` adds, is sent the value read, and returns the
fields its ``read`` then changes (a None removes the field, as a Lua nil does).
``field_names()`` are the keys of the table read first; ``is_table(value)`` tells a Lua table
from the other values. What a write puts before its first object repeats fields of the table
(:func:`prefix`): by them the reader tells whether the file was written by that write at all.
"""
INT, DOUBLE, OBJECT = "int", "double", "object"


def spatial_normalization(field_names, is_table):
    """nnx ``SpatialNormalization:write``/``read``: kernel, five ints, the ten modules and tensors
    of its pipeline, four more ints for a pair of kernels; the version whose subtraction is
    ``subtractMod`` (not the first one's ``substractMod``) ends with ``fixedThres or 0``, an int
    (a fractional threshold is stored truncated), read back with 0 meaning nil (adaptive)."""
    kernel = yield OBJECT, "kernel"
    for name in ("nfeatures", "padW", "padH", "kerWisPair", "kerHisPair"):
        yield INT, name
    for name in ("convo", "convostd", "squareMod", "sqrtMod", _subtract_name(field_names()),
                 "meanDiviseMod", "stdDiviseMod", "thresMod", "diviseMod", "coef"):
        yield OBJECT, name
    if is_table(kernel):
        for name in ("pad2W", "pad2H", "ker2WisPair", "ker2HisPair"):
            yield INT, name
    if b"subtractMod" in field_names():
        threshold = yield INT, "fixedThres"
        return {"fixedThres": None} if threshold == 0 else {}
    return {}


def _subtract_name(names):
    return "subtractMod" if b"subtractMod" in names else "substractMod"


def fixed(*steps):
    """A layout that is the same steps every time (what most classes' writes are)."""
    def layout(field_names, is_table):
        for step in steps:
            yield step
        return {}
    return layout


def _ints(*names):
    return tuple((INT, name) for name in names)


def _objects(*names):
    return tuple((OBJECT, name) for name in names)


PARAMETERS = _objects("weight", "bias", "gradWeight", "gradBias")
# torch7's nn and nnx of 2011-12 (their Module:write wrote the field table; these classes then
# repeated fields): the write functions of Linear.lua, SpatialConvolution.lua,
# SpatialSubSampling.lua, SpatialMaxPooling.lua, TemporalConvolution.lua, Reshape.lua,
# Sequential.lua, Concat.lua, nnx SpatialConvolutionSparse.lua (kept by 2011 files under the name
# nn.SpatialConvolutionMap) and nnx SpatialLinear.lua.
CONVOLUTION_MAP = fixed(*_ints("kW", "kH", "dW", "dH", "nInputPlane", "nOutputPlane"), *PARAMETERS,
                        (OBJECT, "connTable"))
FIXED = {
    b"nn.Linear": fixed((DOUBLE, "weightDecay"), *PARAMETERS),
    b"nn.SpatialConvolution": fixed(*_ints("kW", "kH", "dW", "dH", "nInputPlane", "nOutputPlane"), *PARAMETERS),
    b"nn.SpatialSubSampling": fixed(*_ints("kW", "kH", "dW", "dH", "nInputPlane"), *PARAMETERS),
    b"nn.SpatialMaxPooling": fixed(*_ints("kW", "kH", "dW", "dH"), (OBJECT, "indices")),
    b"nn.TemporalConvolution": fixed(*_ints("kW", "dW", "inputFrameSize", "outputFrameSize"), *PARAMETERS),
    b"nn.Reshape": fixed((OBJECT, "size")),
    b"nn.Sequential": fixed((OBJECT, "modules")),
    b"nn.Concat": fixed(*_objects("modules", "size"), (INT, "dimension")),
    b"nn.SpatialConvolutionMap": CONVOLUTION_MAP,
    b"nn.SpatialConvolutionSparse": CONVOLUTION_MAP,
    b"nn.SpatialLinear": fixed(*_ints("fanin", "fanout"), (DOUBLE, "weightDecay"), *PARAMETERS),
}


def prefix(layout):
    """The layout's steps up to its first object (they do not depend on the values read)."""
    steps = layout(lambda: set(), lambda v: False)
    out = [next(steps)]
    while out[-1][0] != OBJECT:
        out.append(steps.send(None))
    return out


LAYOUTS = {b"nn.SpatialNormalization": spatial_normalization, **FIXED}

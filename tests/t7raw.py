"""Torch7 files the test writer (tests/t7writer.py) cannot make: tensors with any header, and
``torch.save(f, m, 'ascii')``.

Written from torch7's rules. ``generic/Tensor.c`` ``write``: nDimension (int), sizes and strides
(longs), storageOffset + 1 (long), then the storage object. ``lib/TH/THDiskFile.c`` in ASCII mode
(``torch.save``'s ``'ascii'``): an int is ``%d``, a long ``%ld``, a double ``%.17g``, a float
``%.9g``; the elements of one write are separated by a space and the write ends with a newline;
chars and bytes (strings, Char/Byte storages) are written raw, then the newline.
"""
import struct

import numpy as np

from t7writer import Storage, Tensor, Writer


class RawTensor:
    """A tensor record with the header given as is (``offset`` is the file's 1-based value) and
    any object where its storage goes."""

    def __init__(self, kind, size, stride, offset, storage):
        self.kind, self.size, self.stride, self.offset, self.storage = kind, size, stride, offset, storage


class RawWriter(Writer):
    def torch(self, v):
        if not isinstance(v, RawTensor):
            return super().torch(v)
        self.string("V 1")
        self.string(v.kind)
        self.int(len(v.size))
        self.longs(v.size)
        self.longs(v.stride)
        self.long(v.offset)
        self.obj(v.storage)

    def longs(self, values):
        for n in values:
            self.long(n)


class AsciiWriter(RawWriter):
    FORMATS = {np.dtype(np.float32): b"%.9g", np.dtype(np.float64): b"%.17g", np.dtype(np.float16): b"%.9g"}

    def int(self, v):
        self.out += b"%d\n" % v

    long = int

    def double(self, v):
        self.out += b"%.17g\n" % v

    def longs(self, values):  # one write of n longs: space-separated, one newline
        if values:
            self.out += b" ".join(b"%d" % n for n in values) + b"\n"

    def string(self, s):
        data = s.encode() if isinstance(s, str) else s
        self.int(len(data))
        self.out += data + (b"\n" if data else b"")

    def obj(self, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            self.int(1)
            self.out += b"%.17g\n" % float(v)
            return
        super().obj(v)

    def torch(self, v):
        if isinstance(v, Tensor):
            a = v.array
            storage = Storage(a.ravel(), v.kind.replace("Tensor", "Storage")) if a.size else None
            v = RawTensor(v.kind, list(a.shape), [s // a.itemsize for s in a.strides], 1, storage)
        if isinstance(v, Storage):
            self.string(f"V {getattr(v, 'version', 1)}")
            self.string(v.kind)
            self.long(v.array.size)
            fmt = self.FORMATS.get(v.array.dtype, b"%d")
            if v.array.size:
                self.out += b" ".join(fmt % x for x in v.array.tolist()) + b"\n"
            return
        super().torch(v)


def dumps_raw(value, ascii=False):
    w = AsciiWriter() if ascii else RawWriter()
    w.obj(value)
    return bytes(w.out)


def long_at(data, at):
    return struct.unpack("<q", data[at:at + 8])[0]

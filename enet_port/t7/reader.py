"""Read a Torch7 binary file (``torch.save``) without Lua: the ``torchfile`` package, made strict.

Lua counterpart: torch7 ``File.lua`` ``readObject`` and ``generic/Tensor.c``/``Storage.c``
``read``. ``torchfile`` 0.1.0 reads numbers, strings, tables and functions well, but it treats any
class without a registered reader (``torch.CudaLongTensor``) as a plain object and reads on, out
of step, returning garbage instead of failing, and its storage reader accepts a short file. Here
torch objects are read by :class:`StrictReader`: every tensor and storage type has a reader that
checks its sizes against the file, a tensor or storage type we do not know is a one-line error,
and an object whose body is not a table (a sign of being out of step) is an error too.
"""
import re
import struct

import numpy as np
import torchfile

from ..errors import EnetPortError

# Torch7 tensor element types: torch.<Prefix>Tensor / torch.<Prefix>Storage
ELEMENT_TYPES = {
    "Byte": np.uint8, "Char": np.int8, "Short": np.int16, "Int": np.int32, "Long": np.int64,
    "Float": np.float32, "Double": np.float64, "Half": np.float16,
    "Cuda": np.float32, "CudaByte": np.uint8, "CudaChar": np.int8, "CudaShort": np.int16,
    "CudaInt": np.int32, "CudaLong": np.int64, "CudaDouble": np.float64, "CudaHalf": np.float16,
}
TENSOR_OR_STORAGE = re.compile(rb"^torch\.(\w*)(Tensor|Storage)$")


class T7Error(EnetPortError):
    """A file that is not a readable Torch7 module file."""


class _Damaged(Exception):
    """Raised inside the reader; :func:`read_t7` turns it into a T7Error naming the file."""


class StrictReader(torchfile.T7Reader):
    """``torchfile.T7Reader`` with torch objects read strictly (see the module docstring)."""

    def read_obj(self):
        start = self.f.tell()
        typeidx = self.read_int()
        if typeidx != torchfile.TYPE_TORCH:
            if typeidx not in KNOWN_TYPEIDX:
                raise _Damaged(f"unknown object type {typeidx} at byte {start}: not a Torch7 binary file "
                               "or out of step")
            self.f.seek(start)
            return super().read_obj()
        index = self.read_int()
        if index in self.objects:
            return self.objects[index]
        version, class_name = self._read_class()
        match = TENSOR_OR_STORAGE.match(class_name)
        if match:
            obj = self._read_array(class_name, match.group(1).decode(), match.group(2).decode())
            self.objects[index] = obj
            return obj
        if not re.match(rb"^[A-Za-z_][\w.]*$", class_name):
            raise _Damaged(f"unreadable class name {class_name[:40]!r} at byte {start}")
        obj = torchfile.TorchObject(class_name, version_number=version)
        self.objects[index] = obj  # before the body: an object may refer to itself
        body_at = self.f.tell()
        if self.read_int() != torchfile.TYPE_TABLE:
            raise _Damaged(f"{class_name.decode()} at byte {start}: no field table follows "
                           "(a class with its own file format that this reader does not know)")
        self.f.seek(body_at)
        obj._obj = self.read_obj()
        return obj

    def _read_class(self):
        version = self.read_string(disable_utf8=True)
        if version.startswith(b"V "):
            try:
                number = int(float(version[2:]))
            except ValueError:
                raise _Damaged(f"bad version string {version[:40]!r}") from None
            return number, self.read_string(disable_utf8=True)
        return 0, version

    def _read_array(self, class_name, prefix, kind):
        if prefix not in ELEMENT_TYPES:
            raise _Damaged(f"unknown Torch7 type {class_name.decode()}")
        dtype = np.dtype(ELEMENT_TYPES[prefix])
        return self._read_storage(dtype) if kind == "Storage" else self._read_tensor(class_name, dtype)

    def _read_storage(self, dtype):
        size = self.read_long()
        data = self.f.read(size * dtype.itemsize) if size >= 0 else b""
        if size < 0 or len(data) != size * dtype.itemsize:
            raise _Damaged(f"a storage of {size} elements is cut short (truncated file)")
        return np.frombuffer(data, dtype=dtype)

    def _read_tensor(self, class_name, dtype):
        ndim = self.read_int()
        if not 0 <= ndim <= 64:
            raise _Damaged(f"{class_name.decode()} with {ndim} dimensions (out of step)")
        size, stride = self.read_long_array(ndim), self.read_long_array(ndim)
        offset = self.read_long() - 1
        storage = self.read_obj()
        if ndim == 0 or storage is None or 0 in size:
            return np.empty((0,), dtype=dtype)
        if not isinstance(storage, np.ndarray) or storage.dtype != dtype:
            raise _Damaged(f"{class_name.decode()} without a storage of its type")
        extent = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        if offset < 0 or min(stride) < 0 or extent > storage.size:
            raise _Damaged(f"{class_name.decode()} of size {size} does not fit its storage")
        view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                               strides=[s * dtype.itemsize for s in stride])
        return np.array(view)


KNOWN_TYPEIDX = {torchfile.TYPE_NIL, torchfile.TYPE_NUMBER, torchfile.TYPE_STRING, torchfile.TYPE_TABLE,
                 torchfile.TYPE_BOOLEAN, torchfile.TYPE_FUNCTION, torchfile.TYPE_RECUR_FUNCTION,
                 torchfile.LEGACY_TYPE_RECUR_FUNCTION}


def read_t7(path):
    """The object stored in a Torch7 binary file; :class:`T7Error` for anything unreadable."""
    path = str(path)
    try:
        with open(path, "rb") as f:
            obj = StrictReader(f).read_obj()
            if f.read(1):
                raise _Damaged("data after the stored object (not a single torch.save)")
            return obj
    except OSError as exc:
        raise T7Error(path, f"cannot read: {exc.strerror}") from None
    except _Damaged as exc:
        raise T7Error(path, str(exc)) from None
    except (struct.error, EOFError, MemoryError, OverflowError):
        raise T7Error(path, "truncated or not a Torch7 binary file") from None
    except (ValueError, UnicodeDecodeError, torchfile.T7ReaderException) as exc:
        raise T7Error(path, f"not a Torch7 binary file ({type(exc).__name__})") from None

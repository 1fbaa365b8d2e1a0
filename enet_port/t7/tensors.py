"""A stored Torch7 tensor as a numpy array, after checking that it lies inside its storage.

Lua counterpart: torch7 ``generic/Tensor.c`` ``torch_Tensor_(read)``: nDimension (int), sizes and
strides (longs), storageOffset + 1 (long, Lua's 1-based convention), then the storage object; and
``THTensor_(setStorageNd)``'s rule that a tensor views elements ``offset + sum((size-1)*stride)``
of its storage. Torch7 trusted the file; here nothing is indexed before the tensor's whole reach
is known to be inside its storage, and nothing is copied that the file did not pay for:

- a tensor whose element count is at most its storage's is copied out (a writable array), the
  copies of the whole file counted against ``ENET_PORT_T7_MAX_COPIES`` times its size (many
  tensors viewing one storage cannot multiply it);
- a tensor with more elements than its storage (stride 0, as ``expand`` makes, or overlapping
  rows) stays a read-only view of the storage, never materialised, at most
  ``ENET_PORT_T7_MAX_VIEW`` elements; the importer refuses such a view as a module's weights.
"""
import math
import re

import numpy as np

from .. import limits
from .source import Damaged

# Torch7 tensor element types: torch.<Prefix>Tensor / torch.<Prefix>Storage
ELEMENT_TYPES = {
    "Byte": np.uint8, "Char": np.int8, "Short": np.int16, "Int": np.int32, "Long": np.int64,
    "Float": np.float32, "Double": np.float64, "Half": np.float16,
    "Cuda": np.float32, "CudaByte": np.uint8, "CudaChar": np.int8, "CudaShort": np.int16,
    "CudaInt": np.int32, "CudaLong": np.int64, "CudaDouble": np.float64, "CudaHalf": np.float16,
}
TENSOR_OR_STORAGE = re.compile(r"torch\.(\w*)(Tensor|Storage)")
MAX_DIMS = 64
MAX_INDEX = 2 ** 62  # beyond any real size or stride; keeps numpy's own arithmetic in range


def element_type(class_name):
    """(dtype, "Tensor" or "Storage") for a tensor or storage class, None for any other class."""
    match = TENSOR_OR_STORAGE.fullmatch(class_name)
    if not match:
        return None
    if match.group(1) not in ELEMENT_TYPES:
        raise Damaged(f"unknown Torch7 type {class_name}")
    return np.dtype(ELEMENT_TYPES[match.group(1)]), match.group(2)


def read_header(source, class_name):
    """nDimension, sizes, strides and the 0-based storage offset of a tensor record."""
    ndim = source.int()
    if not 0 <= ndim <= MAX_DIMS:
        raise Damaged(f"{class_name} with {ndim} dimensions (out of step)")
    if ndim * 16 > source.left() + 16:
        raise Damaged(f"{class_name} header is cut short (truncated file)")
    size, stride = source.longs(ndim), source.longs(ndim)
    offset = source.long() - 1
    bad = [v for v in size + stride if not 0 <= v < MAX_INDEX]
    if bad or not 0 <= offset < MAX_INDEX:
        raise Damaged(f"{class_name} of size {size}, stride {stride}, storage offset {offset + 1}: "
                      "sizes and strides must be 0 or more, the offset 1 or more")
    return size, stride, offset


class Materialiser:
    """Turns checked tensor records into arrays, keeping count of the bytes copied."""

    def __init__(self, file_size):
        self.budget = limits.value(limits.T7_COPIES) * max(file_size, 1 << 20)
        self.copied = 0

    def tensor(self, class_name, dtype, header, storage):
        size, stride, offset = header
        if not size or 0 in size:
            return np.empty((0,), dtype=dtype)
        if storage is None:
            raise Damaged(f"{class_name} of size {size} has no storage")
        if not isinstance(storage, np.ndarray) or storage.dtype != dtype:
            raise Damaged(f"{class_name} without a storage of its type ({_kind(storage)} instead)")
        extent = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        if extent > storage.size:
            raise Damaged(f"{class_name} of size {size} does not fit its storage (it reaches element "
                          f"{extent} of {storage.size})")
        count = math.prod(size)
        view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                               strides=[s * dtype.itemsize for s in stride], writeable=False)
        if count > storage.size:
            return self._inflated(class_name, size, count, storage.size, view)
        self.copied += count * dtype.itemsize
        if self.copied > self.budget:
            raise Damaged(f"{class_name} of size {size}: the file's tensors would take more than "
                          f"{limits.value(limits.T7_COPIES):g} times its size ({limits.hint(limits.T7_COPIES)})")
        return np.array(view)

    def _inflated(self, class_name, size, count, storage_size, view):
        most = limits.value(limits.T7_VIEW)
        if count > most:
            raise Damaged(f"{class_name} of size {size} views {count} elements of a storage of {storage_size} "
                          f"(stride 0 or overlapping); at most {most} ({limits.hint(limits.T7_VIEW)})")
        return view


def inflated(array):
    """Whether an array shows more elements than the memory it spans (a stride-0 or overlapping
    view the reader kept without copying)."""
    if not isinstance(array, np.ndarray) or array.size == 0:
        return False
    span = array.itemsize + sum((n - 1) * abs(s) for n, s in zip(array.shape, array.strides))
    return array.nbytes > span


def _kind(value):
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array"
    return type(value).__name__

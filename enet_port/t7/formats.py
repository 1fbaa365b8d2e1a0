"""What a file is when its first bytes cannot begin a Torch7 file (for a one-line refusal).

A Torch7 file begins with a type tag, 0 to 8: an int in binary (its first byte, then three zero
bytes), a digit in ASCII. Files named ``.t7``/``.net`` in repositories are often something else:
a Git LFS pointer checked in instead of the model, a PyTorch ``torch.save`` (a zip archive, or a
pickle before PyTorch 1.6), another library's network.
"""
import struct

SIGNATURES = (
    (b"version https://git-lfs.github.com/spec/", "a Git LFS pointer, not the model itself (git lfs pull fetches it)"),
    (b"PK\x03\x04", "a zip archive (PyTorch's torch.save since 1.6 writes one)"),
    (b"\x80\x02", "a Python pickle (PyTorch's torch.save before 1.6 writes one)"),
    (b"\x80\x03", "a Python pickle"), (b"\x80\x04", "a Python pickle"), (b"\x80\x05", "a Python pickle"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (Keras, h5py)"),
    (b"\x93NUMPY", "a numpy array file"),
    (b"FANN_", "a FANN network (the Fast Artificial Neural Network library)"),
    (b"\x1bLua", "precompiled Lua bytecode"),
)


def foreign_format(data):
    """None when ``data`` may be a Torch7 file; else what it looks like instead."""
    if data[:1].isdigit() or (len(data) >= 4 and 0 <= struct.unpack_from("<i", data)[0] <= 8):
        return None
    for signature, what in SIGNATURES:
        if data.startswith(signature):
            return what
    head = data[:200].split(b"\n", 1)[0]
    if head and all(32 <= b < 127 or b == 9 for b in head):
        return f"a text file that is not Torch7's ASCII format (it begins {head[:40].decode()!r})"
    return None

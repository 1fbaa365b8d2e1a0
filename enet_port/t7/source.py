"""The scalars, strings and raw arrays of a Torch7 file, binary or ASCII, read from its bytes.

Lua counterpart: torch7 ``lib/TH/THDiskFile.c`` (``READ_WRITE_METHODS``, ``THDiskFile_readLong``)
as ``torch.load`` uses it. Binary: native little-endian ints (4 bytes), longs (8 bytes, x86-64)
and doubles. ASCII (``torch.save(f, m, 'ascii')``): numbers are printed (``%d``, ``%ld``,
``%.9g``, ``%.17g``) and separated by spaces, and every call writes a newline after its last
element; bytes and chars (strings, Byte/Char storages) are written raw, then the newline. A read
of numbers skips leading whitespace (``fscanf``) and eats one newline after its last element.

Nothing is allocated before the file is known to hold it: every count is checked against the
bytes left, so a short or lying file is a :class:`Damaged` error, never a large allocation.
"""
import itertools
import re
import struct

import numpy as np

NUMBER_TEXT = re.compile(rb"[ \t\n\r\v\f]*([^ \t\n\r\v\f]+)")
TOKEN = re.compile(rb"[^ \t\n\r\v\f]+")
CHUNK = 65536  # ASCII numbers parsed per step, so the token list stays small


class Damaged(Exception):
    """A file that is not what it claims to be; the reader adds the file and the object's path."""


class Source:
    """Common to both encodings: position, bytes left, raw bytes."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def left(self):
        return len(self.data) - self.pos

    def raw(self, n, what):
        """``n`` raw bytes (a string's or a Char/Byte storage's)."""
        if n < 0 or n > self.left():
            raise Damaged(f"{what} of {n} bytes is cut short (truncated file)" if n >= 0 else
                          f"{what} of {n} bytes (out of step)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


class BinarySource(Source):
    """``torch.save`` in binary mode (the default)."""
    ascii = False
    least_number = 4  # bytes the smallest encoded value (a nil's type tag) takes

    def _unpack(self, fmt, size):
        if self.left() < size:
            raise Damaged("the file ends inside a value (truncated file)")
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += size
        return value

    def int(self):
        return self._unpack("<i", 4)

    def long(self):
        return self._unpack("<q", 8)

    def double(self):
        return self._unpack("<d", 8)

    def longs(self, n):
        return [self.long() for _ in range(n)]

    def array(self, dtype, n, what):
        """A storage's ``n`` elements: a read-only view of the file's bytes (no copy)."""
        _check_count(n, what)
        if n * dtype.itemsize > self.left():
            raise Damaged(f"{what} of {n} elements is cut short (truncated file)")
        out = np.frombuffer(self.data, dtype=dtype.newbyteorder("<"), count=n, offset=self.pos)
        self.pos += n * dtype.itemsize
        return out

    def end_of_string(self):
        pass

    def at_end(self):
        return self.left() == 0


class AsciiSource(Source):
    """``torch.save(f, m, 'ascii')``."""
    ascii = True
    least_number = 2  # "0\n"

    def _token(self):
        match = NUMBER_TEXT.match(self.data, self.pos)
        if match is None:
            raise Damaged("the file ends where a number is due (truncated file)")
        self.pos = match.end()
        return match.group(1)

    def _eat_newline(self):
        if self.pos < len(self.data) and self.data[self.pos] == 0x0A:
            self.pos += 1

    def _whole(self, low, high):
        token = self._token()
        if not re.fullmatch(rb"[-+]?[0-9]+", token) or not low <= int(token) <= high:
            raise Damaged(f"{_show(token)} where a whole number is due (not a Torch7 file or out of step)")
        self._eat_newline()
        return int(token)

    def int(self):
        return self._whole(-2 ** 31, 2 ** 31 - 1)

    def long(self):
        return self._whole(-2 ** 63, 2 ** 63 - 1)

    def double(self):
        token = self._token()
        try:
            value = float(token)
        except ValueError:
            raise Damaged(f"{_show(token)} where a number is due (out of step)") from None
        self._eat_newline()
        return value

    def longs(self, n):
        return [self._whole(-2 ** 63, 2 ** 63 - 1) for _ in range(n)]

    def array(self, dtype, n, what):
        _check_count(n, what)
        if dtype.itemsize == 1 and dtype.kind in "iu":  # Byte and Char storages are raw bytes
            out = np.frombuffer(self.raw(n, what), dtype=dtype)
            if n:
                self._eat_newline()
            return out
        if n * self.least_number > self.left() + 1:
            raise Damaged(f"{what} of {n} elements is cut short (truncated file)")
        out = np.empty(n, dtype=dtype)
        for start in range(0, n, CHUNK):
            out[start:start + CHUNK] = self._numbers(min(CHUNK, n - start), dtype, what)
        if n:
            self._eat_newline()
        return out

    def _numbers(self, count, dtype, what):
        found = list(itertools.islice(TOKEN.finditer(self.data, self.pos), count))
        if len(found) < count:
            raise Damaged(f"{what} is cut short (truncated file)")
        self.pos = found[-1].end()
        try:
            return np.array([m.group() for m in found]).astype(np.float64 if dtype.kind == "f" else dtype)
        except (ValueError, OverflowError):
            raise Damaged(f"{what} holds text that is not a number (out of step)") from None

    def end_of_string(self):
        self._eat_newline()

    def at_end(self):
        return not self.data[self.pos:].strip()


def _check_count(n, what):
    if n < 0:
        raise Damaged(f"{what} of {n} elements (out of step)")


def _show(token):
    return repr(bytes(token[:20]))


def source_of(data):
    """The source for a file's bytes: ASCII when it opens with a digit (a printed type tag),
    binary otherwise (a little-endian int: its first byte is the tag, 0 to 8)."""
    return AsciiSource(data) if data[:1].isdigit() else BinarySource(data)

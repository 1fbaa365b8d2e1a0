"""User-facing errors: one line that names the file and the place.

The CLI prints ``str(error)`` alone (no traceback) and exits with ``error.exit_code``.
Lua counterpart: none; Torch7 scripts died with ``error()`` and a stack trace, which is what
this module exists to avoid. Every message is passed through :func:`escape`, so that a file name,
a Lua error message or a module name holding control bytes cannot drive the terminal.
"""
import unicodedata

# control characters (but the tab, which trainer summaries use as Lua's did), format characters
# (bidi overrides), undecodable bytes (surrogate escapes), line and paragraph separators: shown as
# escapes, never written to the terminal as they are
HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def escape(text):
    """``text`` with every control, format and undecodable character written as ``\\xNN`` or
    ``\\uNNNN`` (a byte ``os.fsdecode`` could not decode, ``\\udcNN``, as the byte ``\\xNN``)."""
    text = str(text)
    if text.isascii() and text.replace("\t", " ").isprintable():
        return text
    return "".join(_escaped(ch) if ch != "\t" and unicodedata.category(ch) in HIDDEN else ch for ch in text)


def _escaped(ch):
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class EnetPortError(Exception):
    """An error caused by the user's input; printed as one line, exit code 2."""

    exit_code = 2

    def __init__(self, where, message):
        self.where = where
        self.message = message
        super().__init__(escape(f"{where}: {message}" if where else message))


class SpecError(EnetPortError):
    """A malformed spec: ``where`` is ``file: json.path``."""

    def __init__(self, path, json_path, message):
        where = f"{path}: {json_path}" if json_path else str(path)
        super().__init__(where, message)


class LuaError(EnetPortError):
    """A Lua file that fails to load or run in the sandbox."""


class DataError(EnetPortError):
    """A data folder, image or cache that cannot be used."""

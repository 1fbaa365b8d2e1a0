"""User-facing errors: one line that names the file and the place.

The CLI prints ``str(error)`` alone (no traceback) and exits with ``error.exit_code``.
Lua counterpart: none; Torch7 scripts died with ``error()`` and a stack trace, which is what
this module exists to avoid.
"""


class EnetPortError(Exception):
    """An error caused by the user's input; printed as one line, exit code 2."""

    exit_code = 2

    def __init__(self, where, message):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class SpecError(EnetPortError):
    """A malformed spec: ``where`` is ``file: json.path``."""

    def __init__(self, path, json_path, message):
        where = f"{path}: {json_path}" if json_path else str(path)
        super().__init__(where, message)


class LuaError(EnetPortError):
    """A Lua file that fails to load or run in the sandbox."""


class DataError(EnetPortError):
    """A data folder, image or cache that cannot be used."""

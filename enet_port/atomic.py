"""Write files so that a crash or kill never leaves a half-written file under the final name.

Lua counterpart: ``torch.save`` wrote in place, so a killed run could leave a truncated
``model_N.t7``; here every write goes to a temporary file in the same folder, is flushed to
disk, and is renamed over the final name (atomic on POSIX file systems).
"""
import os
import tempfile
from pathlib import Path


def atomic_write(path, write):
    """Call ``write(file_object)`` on a temporary binary file, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a written file gets open()'s mode
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path, text):
    atomic_write(path, lambda f: f.write(text.encode()))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask

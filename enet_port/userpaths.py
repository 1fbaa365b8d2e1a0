"""Opening the files a user names, in the main process: regular files only, refused before opening.

Lua counterpart: none; Torch7's ``io.open``/``torch.load`` opened whatever was named, and a
named pipe (FIFO) made them wait forever for a writer. The sandbox refuses non-regular files for
the Lua it runs (:mod:`enet_port.lua.child`); this module does the same for everything the main
process opens itself: a Lua file, a spec, a ``.t7``, an image, a run folder's ``options.json``,
``latest.json`` and the checkpoints it names. A path is ``os.stat``-ed first (a FIFO, device,
socket, folder or dangling symbolic link is refused in one line without being opened), then
opened with ``O_NONBLOCK`` (so a file swapped for a FIFO in between cannot block the open) and
checked again on the open descriptor. A missing or unreadable file is an ``OSError`` as before,
for the caller's own message.
"""
import os
import stat

from .errors import EnetPortError

KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
         (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


class NotRegularFile(EnetPortError):
    """A path that names something other than a regular file, or a dangling symbolic link."""


def check_regular(path):
    """Refuse ``path`` unless it is a regular file (after following symbolic links); a missing
    file raises ``FileNotFoundError``."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            raise NotRegularFile(str(path), f"a dangling symbolic link (to {os.readlink(path)})") from None
        raise
    _refuse_unless_regular(path, mode)


def open_regular(path):
    """``path`` opened for binary reading, a regular file checked before and after opening."""
    check_regular(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        _refuse_unless_regular(path, os.fstat(fd).st_mode)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path, most=None):
    """The bytes of the regular file ``path`` (at most ``most + 1`` when ``most`` is given, so
    that the caller can tell a file over its limit)."""
    with open_regular(path) as file:
        return file.read() if most is None else file.read(most + 1)


def check_folder(path):
    """Refuse a folder path that is a dangling symbolic link or an existing non-folder (it would
    fail deep inside ``mkdir``); a missing folder is fine (it will be made)."""
    if os.path.islink(path) and not os.path.exists(path):
        raise NotRegularFile(str(path), f"a dangling symbolic link (to {os.readlink(path)}), not a folder")
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotRegularFile(str(path), "not a folder")


def _refuse_unless_regular(path, mode):
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in KINDS if test(mode)), "not a regular file")
    raise NotRegularFile(str(path), f"{kind}, not a regular file: refused before reading it")


def check_outputs(outputs, inputs=()):
    """Refuse before writing anything when two of ``outputs`` (role -> path) name one file, or
    an output names an input file (role -> path): ``import-t7 X.t7 -o w.pt`` would write the spec
    over the weights, ``-o X.t7`` over the file it reads."""
    seen = [(role, path) for role, path in dict(inputs).items()]
    for role, path in dict(outputs).items():
        for other_role, other in seen:
            if _same_file(path, other):
                raise OutputCollision(str(path), f"would be written as {role} and is also {other_role}: "
                                                 "refused, nothing written")
        seen.append((role, path))


class OutputCollision(EnetPortError):
    """An output path that names another output or an input."""


def _same_file(a, b):
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links, bind mounts
    except OSError:
        return False

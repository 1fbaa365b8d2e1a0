"""Run one tracer job in a child process and take back its answer, or stop it.

Lua counterpart: none. The child (:mod:`enet_port.lua.child`) limits its own CPU time and memory;
this side adds what a process cannot do for itself: a wall-clock deadline, a cap on the size of
the answer, and a kill on Ctrl-C. Children come from a forkserver with the module table already
imported, so a trace costs a fork, not an interpreter start.
"""
import json
import multiprocessing
import signal

from ..errors import LuaError

_CONTEXT = []


def _context():
    if not _CONTEXT:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["enet_port.lua.child"])
        _CONTEXT.append(ctx)
    return _CONTEXT[0]


def run_child(request, wall_seconds, time_hint, output_hint):
    """The child's decoded answer (a dict); a :class:`LuaError` for every way it can fail."""
    from . import child
    path, ctx = request["path"], _context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=child.main, args=(sender, request), daemon=True)
    started = False  # Ctrl-C can come while the forkserver is still starting
    try:
        process.start()
        started = True
        sender.close()
        if not receiver.poll(wall_seconds):
            raise LuaError(path, f"time limit exceeded (no result after {wall_seconds:g} s of wall-clock time; "
                                 f"{time_hint})")
        try:
            data = receiver.recv_bytes(request["max_output"])
        except EOFError:
            raise _died(path, process, time_hint) from None
        except OSError:
            raise LuaError(path, f"the traced model exceeds {request['max_output'] >> 20} MiB ({output_hint})") from None
    finally:
        if started:
            if process.is_alive():  # a child that never answered (deadline, Ctrl-C) dies here
                process.kill()
            process.join()
        receiver.close()
    return _decode(path, data)


def _died(path, process, time_hint):
    process.join()
    if process.exitcode == -signal.SIGXCPU:
        return LuaError(path, f"time limit exceeded (CPU time; {time_hint})")
    return LuaError(path, f"the tracer's child process stopped without an answer (exit code {process.exitcode})")


def _decode(path, data):
    try:
        answer = json.loads(data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        raise LuaError(path, "the tracer's child process sent back something unreadable") from None
    if not isinstance(answer, dict):
        raise LuaError(path, "the tracer's child process sent back something unreadable")
    if "error" in answer:
        error = answer["error"]
        if not (isinstance(error, list) and len(error) == 2 and all(isinstance(e, (str, type(None))) for e in error)):
            raise LuaError(path, "the tracer's child process sent back something unreadable")
        raise LuaError(error[0] or path, error[1][:2000])
    return answer

"""The ``export`` extra: onnx, onnxruntime and onnxscript are optional; a missing one is one
line naming the ``pip install`` to run, never an ImportError traceback."""
import importlib

from ..errors import EnetPortError

INSTALL = "pip install 'enet-port[export]'  (or: pip install onnx onnxruntime onnxscript)"


class ExportError(EnetPortError):
    """A model, file or option that cannot be exported or run as exported."""


def need(module, what):
    """``module`` imported, or an :class:`ExportError` saying that ``what`` needs the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExportError(None, f"{what} needs the Python package {module}: {INSTALL}") from None

"""The model half: the Torch7 module table, layers, ENet blocks, specs, the interpreter,
shapes and summary. It never imports the Lua or the trainer half."""
from . import modules  # noqa: F401  (fills the module table before any lookup)
from . import modules_decoder  # noqa: F401

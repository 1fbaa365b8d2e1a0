"""The model half: the Torch7 module table, layers, ENet blocks, specs, the interpreter,
shapes and summary. It never imports the Lua or the trainer half."""
# Each import fills part of the module table before any lookup.
from . import modules, modules_activations, modules_containers, modules_decoder, modules_graph  # noqa: F401
from . import modules_reshape, modules_spatial, modules_tables  # noqa: F401
from . import modules_ccn2, modules_classic, modules_recurrent, modules_rnn, modules_rnn_steps  # noqa: F401
from . import modules_local, modules_pointwise, modules_style, modules_temporal  # noqa: F401
from . import modules_vectors, modules_volumetric  # noqa: F401

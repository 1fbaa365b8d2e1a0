"""The per-sample input a model's first modules imply (shared by the ``.t7`` and Lua importers).

Lua counterpart: none; a Torch7 model does not say what it takes. ``Linear(3, ...)``: a vector
of 3; ``TemporalConvolution(13, ...)``: frames of 13; a convolution's ``nInputPlane``: that
many planes (at 224x224, the size the rest of the port defaults to; a volumetric one: 16 frames
of 112x112, C3D's clips; a SpatialConvolutionLocal: its iH x iW); ``Reshape(4, 84, 84)``:
samples of those sizes; ``OneHot(n)``: one index per sample (``()``); ``LookupTable``: a
sequence of one index (``(1,)``, the one step torch-rnn's sample.lua feeds after its seed).
"""
from . import registry

LOOKUPS = ("nn.LookupTable", "nn.LookupTableMaskZero")


def implied(node):
    """The per-sample input a module's own arguments imply, or None."""
    a = registry.resolve_args(node)
    if node.name == "nn.OneHot":  # one class index per sample
        return ()
    if node.name in LOOKUPS:  # a sample is a sequence of T indices
        return (1,)
    if "inputFrameSize" in a:
        return (a["kW"], a["inputFrameSize"])
    if "inputSize" in a and "outputSize" in a:  # Linear, LinearNoBias, FastLSTM (not Add's element count)
        return (a["inputSize"],)
    if "connTable" in a:
        return (max(p[0] for p in a["connTable"]), 224, 224)
    if "nInputPlane" in a and "iW" in a:  # SpatialConvolutionLocal: its weights are for one input size
        return (a["nInputPlane"], a["iH"], a["iW"])
    if "nInputPlane" in a and "kT" in a:  # a volumetric convolution: C3D's clips of 16 frames of 112x112
        return (a["nInputPlane"], 16, 112, 112)
    if "nInputPlane" in a:
        return (a["nInputPlane"], 224, 224)
    if node.name == "nn.BatchNormalization":
        return (a["nOutput"],)
    if node.name.endswith("SpatialBatchNormalization"):
        return (a["nOutput"], 224, 224)
    if node.name == "nn.Reshape" and all(v > 0 for v in a["sizes"]):  # the DQN's Reshape(4, 84, 84)
        return tuple(a["sizes"])
    return None


def first_implying(node):
    """The first module (in the order the input reaches them) that implies an input, looking
    through containers and shape-keeping modules; None if none does."""
    for n in node.walk():
        if not registry.lookup(n.name).container and implied(n) is not None:
            return n
    return None


def first_implied(node):
    """What :func:`first_implying`'s module implies; None if no module does."""
    first = first_implying(node)
    return None if first is None else implied(first)

"""Torch7's decorators: modules that hold one module and are imported as that module.

Lua counterpart: dpnn's ``Decorator.lua`` (later torch/nn's): ``nn.Decorator(module)`` keeps
``self.module = module`` and ``self.modules = {module}``, and its ``updateOutput`` is the
module's. Its subclasses below whose forward is still the module's are imported as the module
in their place, by the ``.t7`` importer and by the tracer alike; the subclasses (and torch/nn's
``nn.WeightNorm``, a Container of one module) whose forward differs are refused in one line (the
reason is the message). A decorator with a record of its
own (rnn's ``nn.MaskZero``, ``nn.Sequencer``, torch/nn's ``nn.Bottle``) is neither: its record says what it computes.
One module that is no decorator is refused here too, for a forward no fixed model computes:
``nn.SpatialFractionalMaxPooling``.
"""

# class -> what is dropped when the module stands in its place (the forward is the module's)
TRANSPARENT = {
    "nn.Decorator": "nothing (dpnn/nn Decorator.lua: updateOutput is the module's)",
    "nn.Inception": "its config fields (inputSize, outputSize, reduceSize, kernelSize, ..., pool, "
                    "transfer) and toBatch/fromBatch (a batch is what the port always forwards)",
    "nn.DontCast": "its castin/castout type conversions (the port computes in one floating type)",
    "nn.Serial": "its serialisation settings (tensortype)",
    "nn.NaN": "its check that outputs hold no NaN (an error in Torch7, never a different value)",
    "nn.Profile": "its timing of the forward",
}

# class -> why it is refused (its forward is not the module's)
REFUSED = {
    "nn.WeightNorm": "its forward first recomputes the module's weight from its g and v "
                     "(g * v / sqrt(|v|^2 + 1e-4)), which the stored weight need not equal",
    "nn.ReverseRNN": "its forward reverses the sequence around the module's",
    "nn.ReverseUnreverse": "its forward reverses the sequence before and after the module's",
    # not a decorator, refused the same way: torch/nn's SpatialFractionalMaxPooling.lua
    "nn.SpatialFractionalMaxPooling": "its pooling regions are drawn at random at each forward "
                                      "(Graham 2014), so no fixed model computes what it does",
}


def refusal(name):
    """The one-line reason a decorator class is refused, or None."""
    why = REFUSED.get(name)
    return None if why is None else f"{name} is not supported: {why}"

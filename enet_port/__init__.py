"""enet-port: a faithful PyTorch port of the Lua-Torch7 ENet-on-ImageNet work.

Specs (``specs/*.json``) describe each model in Torch7 vocabulary; :mod:`enet_port.model.build`
turns a spec into ``nn.Sequential``; :mod:`enet_port.cli` is the ``enet-port`` command;
``enet_port.load_t7(path)`` loads a Lua-Torch7 ``.t7``/``.net`` model file as an ``nn.Module``.
"""

__version__ = "0.1.0"


def __getattr__(name):
    """``load_t7`` is imported on first use, so that ``import enet_port`` stays light."""
    if name == "load_t7":
        from .t7.load import load_t7
        return load_t7
    raise AttributeError(f"module 'enet_port' has no attribute {name!r}")

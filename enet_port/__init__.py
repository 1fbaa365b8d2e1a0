"""enet-port: a faithful PyTorch port of the Lua-Torch7 ENet-on-ImageNet work.

Specs (``specs/*.json``) describe each model in Torch7 vocabulary; :mod:`enet_port.build`
turns a spec into ``nn.Sequential``; :mod:`enet_port.cli` is the ``enet-port`` command.
"""

__version__ = "0.1.0"

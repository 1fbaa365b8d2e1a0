"""``python -m enet_port``: the ``enet-port`` command (also what torchrun runs with ``-m``)."""
from .cli import main

main(prog_name="enet-port")

"""The ``enet-port`` command: thin click wrappers around importable functions, each command
registered here, in one place.

Lua counterpart: the ``th main.lua ...`` entry points. Every user error surfaces as one line on
stderr (``file: place: message``) and exit code 2; ``diff`` exits 1 when models differ.
"""
import click

from . import experiment, export, models, t7, train
from .common import CommandGroup


@click.group(cls=CommandGroup)
@click.version_option(package_name="enet-port")
def main():
    """Port, inspect and train the Torch7 ENet ImageNet models in PyTorch."""


for _command in (models.summary, models.diff, models.trace_command, models.import_lua,
                 t7.import_t7, t7.predict, export.export,
                 train.train, train.test, train.schedule, train.plot, train.bench,
                 experiment.experiment):
    main.add_command(_command)

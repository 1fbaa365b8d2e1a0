"""A torchrun worker running ``enet-port ARGS``; on torchrun's first attempt, process 1 kills
itself with SIGKILL at the start of its third training step (epoch 2, batch 1 at -epochSize 2)."""
import os
import signal
import sys

from enet_port.cli import main
from enet_port.train import train

KILL_AT_STEP = 3

if os.environ.get("RANK") == "1" and os.environ.get("TORCHELASTIC_RESTART_COUNT") == "0":
    real_step, steps = train.train_batch, []

    def dying_step(*args, **kwargs):
        steps.append(1)
        if len(steps) == KILL_AT_STEP:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_step(*args, **kwargs)

    train.train_batch = dying_step

main(sys.argv[1:], prog_name="enet-port")

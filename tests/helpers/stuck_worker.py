"""A torchrun worker pair where process 1 never joins the collective process 0 waits in."""
import sys
import time

from enet_port.train import distributed
from enet_port.train.opts import Opt

world = distributed.start(Opt(dist_timeout=3.0), "cpu")
if world.rank == 1:
    time.sleep(8)
    sys.exit(0)
try:
    world.sum(1.0)
except distributed.DistributedError as exc:
    print(f"enet-port: {exc}", flush=True)
    sys.exit(2)

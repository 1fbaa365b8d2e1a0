"""Several training processes: what imagenet-multiGPU.torch did with ``DataParallelTable``.

Lua split every batch across ``-nGPU`` GPUs inside one process (``util.lua``'s
``makeDataParallel``). Here each GPU (or CPU process) is one process of a
``torch.distributed`` group launched by torchrun (``-nGPU N`` runs ``torch.distributed.run``
for us), the model wrapped in DistributedDataParallel. ``-batchSize`` stays the global batch:
every process draws the same (seed, epoch) sequence and keeps its slice of each batch, so the
images and augmentations are those of one process. Process 0 alone writes the run folder.
"""
import datetime
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..errors import EnetPortError
from .validate import env_count


class DistributedError(EnetPortError):
    """A process group that cannot start, or a collective that timed out."""


def under_torchrun():
    return "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ


def env_rank():
    """This process's rank as torchrun set it (0 outside torchrun)."""
    return env_count("RANK", 0, default=0)


def restart_count():
    """How many times torchrun restarted the workers (``--max-restarts``)."""
    return env_count("TORCHELASTIC_RESTART_COUNT", 0, default=0)


def launch(argv, n_procs):
    """``-nGPU N`` outside torchrun: run this command under ``torch.distributed.run`` with N
    processes on this machine (returns torchrun's exit code)."""
    from torch.distributed import run
    args = run.get_args_parser().parse_args(
        ["--standalone", "--nproc_per_node", str(n_procs), "-m", "enet_port", *argv])
    try:
        run.run(args)
    except Exception as exc:  # torchrun's ChildFailedError: the workers printed the cause
        print(f"enet-port: -nGPU {n_procs}: a process failed ({type(exc).__name__})", file=sys.stderr)
        return 1
    return 0


@dataclass(frozen=True)
class World:
    """This process's place in the group; ``World()`` is a single process."""
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    timeout_s: float = 1800.0
    device: str = "cpu"  # where collectives' tensors live (nccl: this process's GPU)

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def where(self):
        return f"rank {self.rank} of {self.size}"

    def batch_share(self, batch_size):
        """Each process's part of the global ``-batchSize``."""
        if batch_size % self.size:
            raise DistributedError("-batchSize", f"{batch_size} does not divide by the {self.size} processes")
        return batch_size // self.size

    def sum(self, *values):
        """Sums over the processes, as floats (counts stay exact below 2**53)."""
        if self.size == 1:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        self._collective(dist.all_reduce, t)
        return tuple(t.tolist())

    def sum_tensor(self, t):
        if self.size == 1:
            return t
        on_device = t.to(self.device)
        self._collective(dist.all_reduce, on_device)
        return on_device.to(t.device)

    def gather_lines(self, lines):
        """Every process's lines, in rank order (None on processes other than 0)."""
        if self.size == 1:
            return list(lines)
        out = [None] * self.size if self.is_main else None
        self._collective(dist.gather_object, list(lines), out)
        return [line for part in out for line in part] if self.is_main else None

    def barrier(self):
        if self.size > 1:
            self._collective(dist.barrier)

    def broadcast_buffers(self, model):
        """Process 0's BN running statistics to every process (per-process BN drifts apart
        within an epoch; the test and the checkpoint use process 0's, as Lua used GPU 1's)."""
        if self.size > 1:
            for buffer in model.buffers():
                self._collective(dist.broadcast, buffer, 0)

    def _collective(self, op, *args):
        try:
            op(*args)
        except RuntimeError as exc:
            raise self.timeout_error(exc) from None

    def timeout_error(self, exc):
        return DistributedError(self.where, f"a collective operation failed or timed out after "
                                            f"{self.timeout_s:.0f}s (another process died or is stuck; "
                                            f"--dist-timeout sets the limit): {str(exc).splitlines()[0][:200]}")

    @contextmanager
    def main_first(self):
        """Process 0 runs the block first (it fills the caches), then the others."""
        if not self.is_main:
            self.barrier()
        yield
        if self.is_main:
            self.barrier()


def start(opt, device_type):
    """Join torchrun's group (gloo on CPU, nccl on CUDA); a single process when not under torchrun."""
    if not under_torchrun():
        return World(timeout_s=opt.dist_timeout)
    size, rank, local_rank = env_count("WORLD_SIZE", 1), env_count("RANK"), env_count("LOCAL_RANK")
    if rank >= size:
        raise DistributedError("RANK", f"is {rank}, not below WORLD_SIZE {size}")
    if size == 1:
        return World(timeout_s=opt.dist_timeout)
    device = f"cuda:{opt.GPU - 1 + local_rank}" if device_type == "cuda" else "cpu"
    world = World(rank, size, local_rank, opt.dist_timeout, device)
    if device_type == "cuda":
        torch.cuda.set_device(device)  # nccl's collectives and gather_object use the current GPU
    if not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        timeout = datetime.timedelta(seconds=opt.dist_timeout)
        try:
            store, _, _ = next(dist.rendezvous("env://", timeout=timeout))
            # torchrun's store outlives a restart: keys of the dead attempt must not be read
            store = dist.PrefixStore(f"enet-port/attempt-{restart_count()}", store)
            dist.init_process_group(backend, store=store, rank=world.rank, world_size=world.size, timeout=timeout)
        except (RuntimeError, ValueError) as exc:
            raise DistributedError(world.where, f"could not join the {backend} process group within "
                                                f"{opt.dist_timeout:.0f}s (torchrun's rendezvous: is every process "
                                                f"started?): {str(exc).splitlines()[0][:200] if str(exc) else ''}") from None
    return world


def stop():
    if dist.is_initialized():
        dist.destroy_process_group()


def wrap(model, world, dev, sync_bn):
    """DistributedDataParallel around ``model`` (already on its device); ``--sync-bn`` first
    turns every batch normalisation into :class:`~enet_port.train.syncbn.Torch7SyncBatchNorm`."""
    if world.size == 1:
        return model
    if sync_bn:
        from .syncbn import convert
        model = convert(model)
    ids = [dev.device.index] if dev.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

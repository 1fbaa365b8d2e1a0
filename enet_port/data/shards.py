"""Which images each process handles: its slice of every global batch, its part of the test set.

Lua's ``DataParallelTable`` scattered each batch across GPUs in order (GPU g got rows
``(g-1)*B/n+1 .. g*B/n``); we do the same across processes. Every process runs the same
sampler (draws fixed by (seed, epoch)) and keeps its rows, so what is trained on does not depend
on the process count.
"""
import torch


def split_sizes(n, parts):
    """``n`` items in ``parts`` contiguous runs, the first ``n % parts`` one longer."""
    return [n // parts + (i < n % parts) for i in range(parts)]


def rank_range(n, world):
    """This process's contiguous run of ``range(n)``."""
    sizes = split_sizes(n, world.size)
    start = sum(sizes[:world.rank])
    return range(start, start + sizes[world.rank])


class RankSlice(torch.utils.data.Sampler):
    """The keys of ``sampler`` taken ``batch_size`` at a time (global batches), each process
    keeping its run of each batch; a last partial batch is split with :func:`split_sizes`."""

    def __init__(self, sampler, batch_size, world):
        self.sampler, self.batch_size, self.world = sampler, batch_size, world

    def __len__(self):
        full, rest = divmod(len(self.sampler), self.batch_size)
        return full * len(rank_range(self.batch_size, self.world)) + len(rank_range(rest, self.world))

    def __iter__(self):
        batch = []
        for key in self.sampler:
            batch.append(key)
            if len(batch) == self.batch_size:
                yield from self._mine(batch)
                batch = []
        yield from self._mine(batch)

    def _mine(self, batch):
        return (batch[i] for i in rank_range(len(batch), self.world))

    def global_batches(self):
        return -(-len(self.sampler) // self.batch_size)


def padded(batches, count):
    """``batches`` then empty ones up to ``count``: a process whose share of the last partial
    batch is empty still takes part in that step's collectives."""
    n = 0
    for batch in batches:
        n += 1
        yield batch
    for _ in range(count - n):
        yield None, None, []

"""What an epoch shows on the console while it trains: a progress bar on a terminal, train.lua's
per-batch line in a log file or pipe.

Ports imagenet-multiGPU.torch ``train.lua``'s per-batch ``print`` (``Epoch: [%d][%d/%d]\\tTime
%.3f Err %.4f Top1-%%: %.2f LR %.0e DataLoadingTime %.3f``) with fb.resnet.torch's top-5 beside
top-1, the LR with the digits to read it back (``%.6g``: 0.025, not ``3e-02``), every
``--print-freq`` batches (timm's ``--log-interval``). The bar stays on the terminal after its
epoch (tqdm ``leave=True``). Under torchrun the figures of a batch are process 0's slice, and the
line says so; the epoch summaries are over all processes.
"""
import sys

from tqdm import tqdm


class Progress:
    def __init__(self, batches, epoch, epoch_size, quiet, print_freq, world):
        self.epoch, self.epoch_size, self.print_freq = epoch, epoch_size, print_freq
        self.lines = not quiet and not sys.stderr.isatty()
        self.bar = tqdm(batches, desc=f"epoch {epoch}", unit="batch", leave=True, disable=quiet or self.lines)
        self.label = f" [process {world.rank} of {world.size}]" if world.size > 1 else ""

    def __iter__(self):
        return iter(self.bar)

    def batch(self, n, figures, lr, timing):
        """``figures``: (loss, top-1 %, top-5 %) of the batch; ``timing``: (seconds computing,
        seconds waiting for data, mean data seconds, images per second)."""
        loss, top1, top5 = figures
        compute, data, mean_data, ips = timing
        self.bar.set_postfix(loss=f"{loss:.3f}", top1=f"{top1:.1f}", top5=f"{top5:.1f}", LR=f"{lr:.6g}",
                             ips=f"{ips:.0f}", data=f"{mean_data:.3f}")
        if self.lines and (n % self.print_freq == 0 or n == self.epoch_size):
            print(f"Epoch: [{self.epoch}][{n}/{self.epoch_size}]{self.label}\tTime {compute:.3f} Err {loss:.4f} "
                  f"Top1-%: {top1:.2f} Top5-%: {top5:.2f} LR {lr:.6g} DataLoadingTime {data:.3f}", flush=True)

    def close(self):
        self.bar.close()

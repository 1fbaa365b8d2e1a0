"""Batches onto the training device, normalised there; on CUDA, one batch ahead on a side stream.

No Lua counterpart as such: donkey.lua normalised each float image in the donkey and main.lua
copied the float batch to the GPU. Here the donkeys hand over uint8 batches (pinned, 4x smaller)
and ``(x / 255 - mean) / std`` runs on the device, the same arithmetic as Lua's ``[0, 1]`` image
minus mean over std. A transform says which it gives: ``output = "uint8"`` (the Lua pipeline)
or ``"float"`` (fb.resnet.torch's, already normalised because its ColorJitter/Lighting are float
operations).
"""
import torch

from .decode import decode_batch


class Normalise:
    """``(x / 255 - mean) / std`` for uint8 batches; float batches pass unchanged."""

    def __init__(self, mean, std, device):
        self.mean = torch.tensor(mean, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32, device=device).view(1, 3, 1, 1)

    def __call__(self, x, memory_format=torch.contiguous_format):
        if x.dtype != torch.uint8:
            return x
        return x.to(torch.float32, memory_format=memory_format).div_(255).sub_(self.mean).div_(self.std)


def normaliser(transform, device):
    """The device-side step that completes ``transform``'s output (None: nothing to do)."""
    if getattr(transform, "output", "float") != "uint8" or transform.mean is None:
        return None
    return Normalise(transform.mean, transform.std, device)


class DeviceFeed:
    """``(x, y, skipped)`` batches from ``batches``, with x and y on ``dev`` and x normalised.

    On CUDA the next batch is copied and normalised on a side stream while the current one
    trains (the prefetcher); elsewhere each batch is moved when it is taken.
    """

    def __init__(self, batches, dev, normalise=None):
        self.batches, self.dev, self.normalise = batches, dev, normalise

    def __len__(self):
        return len(self.batches)

    def put(self, x, y, skipped):
        if isinstance(x, list):  # --gpu-decode
            x, kept, bad = decode_batch(x, self.dev.device)
            y, skipped = y[kept], skipped + bad
        if x is None:
            return None, y, skipped
        if self.normalise is None or x.dtype != torch.uint8:
            x = self.dev.put(x)
        else:  # the uint8 batch as it is (NHWC memory, pinned), made planar and float on the device
            fmt = torch.channels_last if self.dev.channels_last else torch.contiguous_format
            x = self.normalise(x.to(self.dev.device, non_blocking=True), fmt)
        return x, y.to(self.dev.device, non_blocking=True), skipped

    def __iter__(self):
        if self.dev.device.type != "cuda":
            for x, y, skipped in self.batches:
                yield self.put(x, y, skipped)
            return
        yield from self._prefetched()

    def _prefetched(self):
        stream = torch.cuda.Stream(self.dev.device)
        current = torch.cuda.current_stream(self.dev.device)
        pending = None
        for x, y, skipped in self.batches:
            with torch.cuda.stream(stream):
                ready = (*self.put(x, y, skipped), stream.record_event())
            if pending is not None:
                yield self._hand_over(pending, current)
            pending = ready
        if pending is not None:
            yield self._hand_over(pending, current)

    @staticmethod
    def _hand_over(batch, current):
        x, y, skipped, copied = batch
        current.wait_event(copied)  # this batch's copy only, not the one queued behind it
        for t in (x, y):
            if isinstance(t, torch.Tensor) and t.is_cuda:
                t.record_stream(current)  # made on the side stream, used and freed on this one
        return x, y, skipped

"""``-batchChunks`` split sizes as the e-lab fork of imagenet-multiGPU.torch computed them.

Ports ``chunkedFeval`` of e-lab's ``train.lua``: chunks of ``floor(batchSize / batchChunks)``
samples, the last one taking all the rest (``sub(chunk_start, -1)``). ``torch.chunk`` would
instead make the first chunks one larger (``ceil``) and the last one smaller.
"""


def chunk_sizes(batch, chunks):
    """Sizes of the chunks of a ``batch``-sample batch; empty chunks (``chunks > batch``, where
    Lua asked for an empty ``sub``) are left out, so the samples all go to the last chunk."""
    size = batch // chunks
    sizes = [size] * (chunks - 1) + [batch - size * (chunks - 1)]
    return [s for s in sizes if s > 0]

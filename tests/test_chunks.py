"""-batchChunks split sizes against e-lab train.lua's chunkedFeval arithmetic."""
import math

import pytest
import torch

from enet_port.train.chunks import chunk_sizes


def elab_chunks(batch, chunks):
    """chunkedFeval: chunk i covers chunk_size*(i-1)+1 .. chunk_size*i, the last one up to -1."""
    chunk_size = math.floor(batch / chunks)
    bounds = [(chunk_size * (i - 1) + 1, chunk_size * i if i < chunks else batch) for i in range(1, chunks + 1)]
    return [last - first + 1 for first, last in bounds]


@pytest.mark.parametrize("batch,chunks", [(128, 1), (128, 4), (128, 3), (256, 7), (100, 8), (5, 5)])
def test_floor_sizes_with_the_remainder_in_the_last_chunk(batch, chunks):
    assert chunk_sizes(batch, chunks) == elab_chunks(batch, chunks)


def test_differs_from_torch_chunk_and_covers_the_batch():
    assert chunk_sizes(128, 3) == [42, 42, 44]
    assert [len(c) for c in torch.arange(128).chunk(3)] == [43, 43, 42]
    x = torch.arange(10)
    assert torch.equal(torch.cat(x.split(chunk_sizes(10, 4))), x) and chunk_sizes(10, 4) == [2, 2, 2, 4]


def test_more_chunks_than_samples_leaves_one_chunk():
    assert chunk_sizes(3, 4) == [3]

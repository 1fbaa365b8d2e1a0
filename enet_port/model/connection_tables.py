"""torch/nn's ``nn.tables`` (``SpatialConvolutionMap.lua``): connection tables as lists of
{input plane, output plane} pairs, 1-based, in the order the Lua loops fill them."""
import torch


def full(n_in, n_out):
    """``nn.tables.full(nin, nout)``: every input plane to every output plane, output by output."""
    return [[i, j] for j in range(1, n_out + 1) for i in range(1, n_in + 1)]


def one_to_one(n):
    """``nn.tables.oneToOne(nfeat)``: plane i to plane i."""
    return [[i, i] for i in range(1, n + 1)]


def random(n_in, n_out, n_to, generator=None):
    """``nn.tables.random(nin, nout, nto)``: each output plane reads ``nto`` distinct input
    planes, taken chunk by chunk from a random permutation of the inputs, a new permutation when
    one is used up. Torch7 draws with its own generator, so the planes differ; the shape of the
    table (nto * nout rows, outputs in order) is the same."""
    chunks = n_in // n_to
    perm, chunk, table = torch.randperm(n_in, generator=generator) + 1, 0, []
    for out in range(1, n_out + 1):
        table += [[int(i), out] for i in perm[chunk * n_to:(chunk + 1) * n_to]]
        chunk += 1
        if chunk == chunks:
            perm, chunk = torch.randperm(n_in, generator=generator) + 1, 0
    return table

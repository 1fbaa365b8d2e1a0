"""``--sync-bn``: batch normalisation over the global batch of all processes, Torch7 rules kept.

Torch7 ``nn.BatchNormalization``/``nn.SpatialBatchNormalization`` (``THNN BatchNormalization_updateOutput``):
the batch mean and biased variance normalise, ``eps`` under the square root, the running mean and
the unbiased running variance updated as ``(1 - momentum) * running + momentum * batch``, and
(our :class:`~enet_port.model.layers.Torch7BatchNorm2d` rule) a batch of one normalised with the
running statistics and leaving them alone. Here "the batch" is the global batch: the per-channel
sums are added over the processes with a differentiable all-reduce, so the gradient is the one
of a single process holding the whole batch. Runs on gloo (CPU) and nccl; ``nn.SyncBatchNorm``
needs CUDA and knows no batch-of-one rule.
"""
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributed.nn.functional import all_reduce


class Torch7SyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Takes the place of a Torch7 BN module of any dimension (same parameters and buffers)."""

    def _check_input_dim(self, x):
        if x.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {x.dim()}D input)")

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        dims = [0, *range(2, x.dim())]
        per_channel = x.numel() // max(x.shape[1], 1)
        totals = all_reduce(torch.cat([x.sum(dims), x.new_tensor([per_channel, x.shape[0]])]))
        count, samples = totals[-2], int(totals[-1].item())
        if samples == 1:  # Torch7: a batch of one uses and keeps the running statistics
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        mean = totals[:-2] / count
        shape = [1, -1] + [1] * (x.dim() - 2)
        centred = x - mean.view(shape)
        var = all_reduce((centred * centred).sum(dims)) / count
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
            self.running_var.mul_(1 - m).add_(var.detach() * (count / (count - 1)), alpha=m)
            self.num_batches_tracked.add_(1)
        out = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out


def convert(module):
    """``module`` with every batch normalisation replaced by :class:`Torch7SyncBatchNorm`."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        synced = Torch7SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                     module.track_running_stats).to(module.running_mean.device)
        synced.load_state_dict(module.state_dict())
        return synced
    for name, child in module.named_children():
        module.add_module(name, convert(child))
    return module

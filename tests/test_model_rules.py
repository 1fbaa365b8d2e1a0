"""Torch7 rules of the model half that no other test held (found by planting one-line slips,
NOTES.md "Mutants planted"): each expected value comes from the torch/nn source named."""
import math

import torch

from enet_port.model.build import build_node
from enet_port.model.tree import Node


def built(name, *args):
    torch.manual_seed(0)
    return build_node(Node(name, list(args)))


def test_convolution_reset_draws_weight_and_bias_from_one_over_sqrt_fan_in():
    # SpatialConvolution.lua reset(): stdv = 1/sqrt(kW*kH*nInputPlane), weight and bias U(-stdv, stdv)
    conv = built("nn.SpatialConvolution", 3, 64, 5, 3)
    stdv = 1 / math.sqrt(5 * 3 * 3)
    for t in (conv.weight, conv.bias):
        assert t.abs().max() <= stdv and t.abs().max() > 0.8 * stdv


def test_linear_reset_draws_from_one_over_sqrt_input_size():
    # Linear.lua reset(): stdv = 1/sqrt(weight:size(2)) = 1/sqrt(inputSize)
    linear = built("nn.Linear", 16, 200)
    stdv = 1 / math.sqrt(16)
    for t in (linear.weight, linear.bias):
        assert t.abs().max() <= stdv and t.abs().max() > 0.8 * stdv


def test_batchnorm_reset_draws_gamma_uniform_and_zeroes_beta():
    # BatchNormalization.lua reset(): weight:uniform() (U(0, 1)), bias:zero()
    bn = built("nn.SpatialBatchNormalization", 256)
    assert 0 <= bn.weight.min() and bn.weight.max() <= 1 and bn.weight.std() > 0.2
    assert torch.equal(bn.bias, torch.zeros(256))


def test_batchnorm_momentum_weighs_the_new_batch_and_eps_defaults_to_1e_5():
    # running_mean = (1 - momentum) * running_mean + momentum * batch mean, momentum 0.1
    bn = built("nn.SpatialBatchNormalization", 2)
    assert bn.eps == 1e-5
    x = torch.stack([torch.full((2, 2), 4.0), torch.full((2, 2), -2.0)]).unsqueeze(0).repeat(3, 1, 1, 1)
    bn.train()(x)
    assert torch.allclose(bn.running_mean, torch.tensor([0.4, -0.2]))


def test_average_pooling_counts_the_padding():
    # THNN SpatialAveragePooling (count_include_pad): a padded corner of ones averages to 4/9
    pool = built("nn.SpatialAveragePooling", 3, 3, 1, 1, 1, 1)
    y = pool(torch.ones(1, 1, 4, 4))
    assert abs(y[0, 0, 0, 0].item() - 4 / 9) < 1e-7 and y[0, 0, 1, 1].item() == 1.0


def test_log_softmax_normalises_the_planes_of_a_spatial_input():
    # LogSoftMax.lua on a 4-D input (N, C, H, W): a distribution over C at each pixel
    y = built("nn.LogSoftMax")(torch.randn(2, 5, 3, 4))
    assert torch.allclose(y.exp().sum(1), torch.ones(2, 3, 4))


def test_dilated_convolution_takes_width_then_height():
    # SpatialDilatedConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH, dilationW, dilationH):
    # output (i, j) = sum of input (i + dilationH * a, j + dilationW * b) over the 3x3 taps
    conv = built("nn.SpatialDilatedConvolution", 1, 1, 3, 3, 1, 1, 0, 0, 1, 2)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        conv.bias.zero_()
    x = torch.arange(81.0).reshape(1, 1, 9, 9)
    y = conv(x)
    assert y.shape == (1, 1, 5, 7)
    assert y[0, 0, 0, 0].item() == sum(x[0, 0, 2 * a, b].item() for a in range(3) for b in range(3))


def test_pooling_takes_width_then_height():
    # SpatialMaxPooling(kW, kH, dW, dH): a 3-wide, 2-high window moving 1 across and 2 down
    pool = built("nn.SpatialMaxPooling", 3, 2, 1, 2)
    x = torch.arange(36.0).reshape(1, 1, 6, 6)
    y = pool(x)
    assert y.shape == (1, 1, 3, 4)
    # the window at output (i, j) covers rows 2i..2i+1 and columns j..j+2: its max is x[2i+1, j+2]
    assert y[0, 0].tolist() == [[x[0, 0, 2 * i + 1, j + 2].item() for j in range(4)] for i in range(3)]

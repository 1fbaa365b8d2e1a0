"""Focused Torch7 semantics: kernel orientation, SpatialDropout, Padding, the dropout counter."""
import torch

from enet_port.model import layers
from enet_port.model.blocks import BottleneckFactory
from enet_port.model.build import build_node
from enet_port.model.tree import Node


def modules_named(node, name):
    return [n for n in node.walk() if n.name == name]


def test_asymmetric_pair_is_width_then_height():
    block = BottleneckFactory()("wbottleneck", [128, 128])
    convs = [n for n in modules_named(block, "cudnn.SpatialConvolution") if n.args[2] != n.args[3]]
    first, second = (build_node(n) for n in convs)
    # Lua (kW=5, kH=1, padW=2): a 1x5 kernel sliding along the width; then (kW=1, kH=5, padH=2).
    assert first.kernel_size == (1, 5) and first.padding == (0, 2) and first.bias is None
    assert second.kernel_size == (5, 1) and second.padding == (2, 0) and second.bias is not None
    x = torch.zeros(1, 32, 9, 9)
    x[0, :, 4, 4] = 1
    with torch.no_grad():
        first.weight.fill_(1)
        spread = first(x)[0, 0]
    assert spread[4].nonzero().flatten().tolist() == [2, 3, 4, 5, 6]  # along the width only
    assert spread[:, 4].nonzero().flatten().tolist() == [4]


def test_spatial_dropout_keeps_scale_in_training_and_scales_in_eval():
    torch.manual_seed(0)
    drop = layers.Torch7Dropout(0.25, per_channel=True)
    x = torch.ones(64, 32, 4, 4)
    y = drop.train()(x)
    assert set(y.unique().tolist()) <= {0.0, 1.0}  # survivors not rescaled by 1/(1-p)
    per_channel = y.flatten(2)
    assert torch.all(per_channel.max(2).values == per_channel.min(2).values)  # whole channels
    kept = y[:, :, 0, 0].mean().item()
    assert abs(kept - 0.75) < 0.03
    assert torch.allclose(drop.eval()(x), torch.full_like(x, 0.75))
    reference = torch.nn.Dropout2d(0.25).train()(x)
    assert reference.max() > 1.0  # PyTorch rescales: the difference the port must not inherit


def test_padding_appends_zero_channels_on_batched_input():
    pad = build_node(Node("nn.Padding", [1, 48, 3]))
    x = torch.randn(2, 16, 5, 5)
    y = pad(x)
    assert y.shape == (2, 64, 5, 5)
    assert torch.equal(y[:, :16], x) and torch.all(y[:, 16:] == 0)


def test_padding_negative_prepends_and_value_is_used():
    pad = layers.Padding(1, -2, 3, value=7.0)
    y = pad(torch.zeros(1, 3, 2, 2))
    assert y.shape == (1, 5, 2, 2) and torch.all(y[:, :2] == 7) and torch.all(y[:, 2:] == 0)


def test_join_table_two_joins_channels_of_a_batch():
    join = layers.JoinTable(2)
    y = join([torch.zeros(2, 13, 4, 4), torch.ones(2, 3, 4, 4)])
    assert y.shape == (2, 16, 4, 4) and torch.all(y[:, 13:] == 1)
    assert layers.JoinTable(1, 3)([torch.zeros(2, 13, 4, 4), torch.ones(2, 3, 4, 4)]).shape == (2, 16, 4, 4)


def test_dropout_counter_first_five_then_late():
    factory = BottleneckFactory()
    ps = []
    for alias in ["bottleneck"] * 3 + ["dbottleneck", "wbottleneck", "xdbottleneck", "bottleneck"]:
        block = factory(alias, [64, 64])
        ps += [n.args[0] for n in modules_named(block, "nn.SpatialDropout")]
    assert ps == [0.01] * 5 + [0.1] * 2


def test_dropout_counter_is_per_model_and_v14_has_none():
    from enet_port.model.spec import expand, load_spec
    for path, expect in (("specs/v12.json", [0.01] * 5 + [0.1] * 7), ("specs/v14.json", [])):
        tree = expand(load_spec(path))
        assert [n.args[0] for n in modules_named(tree, "nn.SpatialDropout")] == expect


def test_batchnorm_batch_of_one_uses_running_stats_in_training():
    bn = build_node(Node("nn.SpatialBatchNormalization", [3, 1e-3])).train()
    x = torch.randn(1, 3, 4, 4) * 5 + 2
    y = bn(x)
    assert torch.equal(bn.running_mean, torch.zeros(3))
    expected = (x / (1 + 1e-3) ** 0.5) * bn.weight.view(1, 3, 1, 1)
    assert torch.allclose(y, expected, atol=1e-5)
    bn(torch.randn(2, 3, 4, 4))
    assert not torch.equal(bn.running_mean, torch.zeros(3))


def test_pooling_defaults_differ_between_nn_and_cudnn():
    nn_avg = build_node(Node("nn.SpatialAveragePooling", [2, 2]))
    cudnn_avg = build_node(Node("cudnn.SpatialAveragePooling", [2, 2]))
    assert nn_avg.stride == (1, 1) and cudnn_avg.stride == (2, 2)
    ceil = build_node(Node("nn.SpatialMaxPooling", [3, 3, 2, 2], [("ceil",)]))
    assert ceil(torch.zeros(1, 1, 6, 6)).shape[-1] == 3  # floor would give 2
    assert build_node(Node("nn.SpatialConvolution", [1, 1, 3, 3, 1, 1, 1])).padding == (1, 1)
    assert build_node(Node("cudnn.SpatialConvolution", [1, 1, 3, 3, 1, 1, 1])).padding == (0, 1)


def test_batchnormalization_1d_and_concat_and_zero_padding():
    bn = build_node(Node("nn.BatchNormalization", [4, 1e-3])).train()
    assert bn(torch.randn(3, 4)).shape == (3, 4) and bn(torch.randn(1, 4)).shape == (1, 4)
    concat = build_node(Node("nn.Concat", [2], children=[Node("nn.Identity", []),
                                                         Node("nn.SpatialZeroPadding", [1, 1, 1, 1])]))
    with __import__("pytest").raises(RuntimeError):
        concat(torch.zeros(2, 3, 4, 4))  # 4x4 beside 6x6: Torch7 refuses too
    pad = build_node(Node("nn.SpatialZeroPadding", [1, 2, 3, 4]))
    assert pad(torch.zeros(1, 1, 5, 5)).shape == (1, 1, 5 + 3 + 4, 5 + 1 + 2)

"""Torch7 table and shape modules: values from torch/nn's rules, shape rule == built layer."""
import pytest
import torch

from enet_port.model.shapes import ShapeError, infer
from enet_port.model.tree import Node
from test_modules_torch7 import run

A = torch.tensor([[1.0, -2.0, 3.0]])
B = torch.tensor([[4.0, 5.0, -6.0]])
C = torch.tensor([[0.5, 9.0, 0.0]])


def test_cmul_csub_cmax_tables():
    assert run("nn.CMulTable", [], [A, B, C])[0].tolist() == [[2.0, -90.0, -0.0]]
    assert run("nn.CSubTable", [], [A, B])[0].tolist() == [[-3.0, -7.0, 9.0]]
    assert run("nn.CMaxTable", [], [A, B, C])[0].tolist() == [[4.0, 9.0, 3.0]]
    with pytest.raises(ShapeError, match="two tensors"):
        infer(Node("nn.CSubTable", []), [(3,), (3,), (3,)])


def test_select_narrow_flatten_tables():
    assert run("nn.SelectTable", [2], [A, B, C])[0] is B
    assert run("nn.SelectTable", [-1], [A, B, C])[0] is C
    out = run("nn.NarrowTable", [2, 2], [A, B, C])[0]
    assert out[0] is B and out[1] is C
    assert run("nn.NarrowTable", [3], [A, B, C])[0][0] is C  # length defaults to 1
    flat = run("nn.FlattenTable", [], [A, [B, [C]], A])[0]
    assert [t is u for t, u in zip(flat, [A, B, C, A])] == [True] * 4
    with pytest.raises(ShapeError, match="outside a table of 3"):
        infer(Node("nn.SelectTable", [4]), [(3,)] * 3)


def test_parallel_table_applies_module_i_to_input_i():
    kids = [Node("nn.MulConstant", [2]), Node("nn.AddConstant", [1])]
    out = run("nn.ParallelTable", [], [A, B], children=kids)[0]
    assert out[0].tolist() == [[2.0, -4.0, 6.0]] and out[1].tolist() == [[5.0, 6.0, -5.0]]


def test_parallel_selects_along_input_dim_and_joins_along_output_dim():
    x = torch.arange(24.0).reshape(2, 3, 4)  # batch 2, three slices of 4 along Lua dim 2
    kids = [Node("nn.MulConstant", [k]) for k in (1, 10, 100)]
    y = run("nn.Parallel", [2, 2], x, children=kids)[0]
    # input:select(2, i) is (2, 4); the outputs are joined along dim 2: (2, 12)
    assert y.shape == (2, 12)
    assert y[1].tolist() == [12, 13, 14, 15, 160, 170, 180, 190, 2000, 2100, 2200, 2300]


def test_reshape_keeps_the_batch_even_for_one_sample():
    y = run("nn.Reshape", [3, 4], torch.arange(12.0).reshape(1, 12))[0]
    assert y.shape == (1, 3, 4)  # Reshape.lua: input:size(1) == 1 means batch mode
    y = run("nn.Reshape", [2, 6, True], torch.arange(24.0).reshape(2, 3, 4))[0]
    assert y[1, 0].tolist() == list(range(12, 18))
    with pytest.raises(ShapeError, match="whole batch"):
        infer(Node("nn.Reshape", [12, False]), (12,))


def test_narrow_positive_negative_length_and_negative_dim():
    x = torch.arange(20.0).reshape(2, 10)
    assert run("nn.Narrow", [2, 3, 4], x)[0][0].tolist() == [2, 3, 4, 5]
    assert run("nn.Narrow", [2, 3], x)[0][0].tolist() == [2]  # length defaults to 1
    # length -1: size - offset + length + 2 = 10 - 3 - 1 + 2 = 8 elements, to the end
    assert run("nn.Narrow", [2, 3, -1], x)[0][0].tolist() == list(range(2, 10))
    assert run("nn.Narrow", [-1, 9, -2], x)[0][0].tolist() == [8]  # dim -1 is the last
    with pytest.raises(ShapeError, match="batch"):
        infer(Node("nn.Narrow", [1, 1, 1]), (10,))


def test_sum_and_mean_count_the_batch_unless_n_input_dims():
    x = torch.arange(24.0).reshape(2, 3, 4)
    y = run("nn.Sum", [2], x)[0]  # Lua dim 2 of the batched tensor: the 3
    assert y.shape == (2, 4) and y[0].tolist() == [12, 15, 18, 21]
    y = run("nn.Mean", [2, 2], x)[0]  # nInputDims 2 on a 3-D input: dim 2 of each sample, the 4
    assert y[1].tolist() == [13.5, 17.5, 21.5]
    y = run("nn.Sum", [-1, None, True, False], x)[0]  # sizeAverage, no squeeze, last dim
    assert y.shape == (2, 3, 1) and y[0, 2, 0].item() == 9.5
    with pytest.raises(ShapeError, match="batch"):
        infer(Node("nn.Mean", []), (3, 4))  # nn.Mean() averages over the batch


def test_squeeze_and_transpose():
    x = torch.arange(6.0).reshape(2, 1, 3, 1)
    assert run("nn.Squeeze", [], x)[0].shape == (2, 3)
    assert run("nn.Squeeze", [1, 3], x)[0].shape == (2, 3, 1)  # numInputDims 3: dim 1 of each sample
    assert run("nn.Squeeze", [3], x)[0].shape == (2, 1, 3, 1)  # size 3: nothing to squeeze
    x = torch.arange(24.0).reshape(2, 3, 4)
    y = run("nn.Transpose", [[2, 3]], x)[0]
    assert y.shape == (2, 4, 3) and y[1, 3, 2].item() == x[1, 2, 3].item()
    y = run("nn.Transpose", [[1, 2]], x, modifiers=[("setNumInputDims", 2)])[0]
    assert y.shape == (2, 4, 3)
    # Transpose.lua: offset = input:nDimension() - numInputDims = 4 - 2 for (2, 3, 4, 5)
    x = torch.arange(120.0).reshape(2, 3, 4, 5)
    assert torch.equal(run("nn.Transpose", [[1, 2]], x, modifiers=[("setNumInputDims", 2)])[0], x.transpose(2, 3))
    # a swap with the batch moves it (ccn2's layout): only records marked any_layout take the result
    moved = infer(Node("nn.Transpose", [[1, 2]]), (3, 4))
    assert moved == (3, 4) and moved.batch == 1
    with pytest.raises(ShapeError, match="3xBx4 tensor"):
        infer(Node("nn.Sequential", [], children=[Node("nn.Transpose", [[1, 2]]), Node("nn.Linear", [4, 2])]), (3, 4))


def test_depth_concat_centres_smaller_outputs_in_zeros():
    """DepthConcat.lua: sizes add along dim 2, other dims take the largest; a smaller output
    starts at floor((largest - size) / 2) + 1 (Lua, 1-based) in a zero-filled output."""
    x = torch.arange(1.0, 26.0).reshape(1, 1, 5, 5)
    kids = [Node("nn.Identity", []),  # 1x5x5
            Node("nn.SpatialMaxPooling", [3, 3, 1, 1]),  # 1x3x3: start 2 in both -> rows/cols 1..3 (0-based)
            Node("nn.SpatialMaxPooling", [2, 2, 1, 1])]  # 1x4x4: start floor(1/2)+1 = 1 -> rows/cols 0..3
    y = run("nn.DepthConcat", [2], x, children=kids)[0]
    assert y.shape == (1, 3, 5, 5)
    assert y[0, 0].tolist() == x[0, 0].tolist()
    # 3x3 max pooling of 1..25 (row-major): the window's bottom-right, 13 14 15 / 18 19 20 / 23 24 25
    assert y[0, 1].tolist() == [[0, 0, 0, 0, 0], [0, 13, 14, 15, 0], [0, 18, 19, 20, 0],
                                [0, 23, 24, 25, 0], [0, 0, 0, 0, 0]]
    # 2x2 pooling gives 7..10, 12..15, 17..20, 22..25; the odd extra zero goes last
    assert y[0, 2].tolist() == [[7, 8, 9, 10, 0], [12, 13, 14, 15, 0], [17, 18, 19, 20, 0],
                                [22, 23, 24, 25, 0], [0, 0, 0, 0, 0]]
    with pytest.raises(ShapeError, match="cannot join"):
        infer(Node("nn.DepthConcat", [2], children=[Node("nn.Identity", []), Node("nn.View", [-1], modifiers=[("setNumInputDims", 3)])]),
              (1, 5, 5))

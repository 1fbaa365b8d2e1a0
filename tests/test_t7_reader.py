"""The .t7 reader against hostile and unusual files: every class of issue 18's reader findings
and issue 19's item 8, each a file of our own written from torch7's File.lua/Tensor.c/
THDiskFile.c rules (tests/t7writer.py, tests/t7raw.py), with the value Torch7 would give."""
import re
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import EnetPortError
from enet_port.model.build import build
from enet_port.t7.convert import fields
from enet_port.t7.load import import_t7
from enet_port.t7.objects import IdentityKey, LuaTable, TorchObject
from enet_port.t7.reader import T7Error, parse_t7, read_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7raw import RawTensor, dumps_raw  # noqa: E402
from t7writer import Object, Storage, Table, Tensor, dumps, gmodule_object, module_object  # noqa: E402

TIED = Path(__file__).parent / "specs" / "tied.json"


def module(name, **extra):
    return Object(name, {"train": False, **extra})


def cli_import(tmp_path, data, name="bad.t7"):
    """import-t7 of ``data``: (exit code, stderr lines, whether anything was written)."""
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(out / "model.json")])
    return result.exit_code, result.stderr.strip().splitlines(), out.exists(), path


def write(path, data):
    path.write_bytes(data)
    return path


def refused(tmp_path, data, pattern):
    code, lines, written, path = cli_import(tmp_path, data)
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"enet-port: {path}"), lines
    assert re.search(pattern, lines[0]), lines[0]
    assert not written


# ASCII (torch.save(f, m, 'ascii')) -------------------------------------------------------------
def test_ascii_tensor_as_torch7_prints_it():
    """torch.save(f, torch.FloatTensor({1.5, 2}), 'ascii'), byte by byte from THDiskFile.c: each
    int/long write is printed and ends with a newline, strings are raw then a newline, a float
    storage is %.9g numbers separated by spaces."""
    text = (b"4\n1\n3\nV 1\n17\ntorch.FloatTensor\n1\n2\n1\n1\n"
            b"4\n2\n3\nV 1\n18\ntorch.FloatStorage\n2\n1.5 2\n")
    value = parse_t7(text, "x.t7")
    assert value.dtype == np.float32 and value.tolist() == [1.5, 2.0]


def test_ascii_strings_keep_their_bytes_and_numbers_their_precision():
    """A string's bytes are read raw (a leading space or newline is part of it); a double
    printed with %.17g reads back exactly; a whole number is an int, as the binary reader gives."""
    text = (b"3\n1\n3\n" + b"2\n2\n a\n" + b"1\n0.10000000000000001\n" + b"1\n3\n5\n1\n"
            + b"1\n2\n2\n1\n\n\n")
    value = parse_t7(text, "x.t7")
    assert dict(value) == {b" a": 0.1, 3: True, 2: b"\n"}


def test_ascii_model_imports_like_the_binary_one(tmp_path):
    torch.manual_seed(0)
    model = build(TIED).eval()
    obj = module_object(model)
    (tmp_path / "a.t7").write_bytes(dumps_raw(obj, ascii=True))
    (tmp_path / "b.t7").write_bytes(dumps(obj))
    ascii_model, binary_model = (import_t7(tmp_path / n).model for n in ("a.t7", "b.t7"))
    for (name, a), (_, b) in zip(ascii_model.state_dict().items(), binary_model.state_dict().items()):
        assert torch.equal(a, b), name  # %.9g keeps every float32 exactly
    x = torch.randn(1, 3, 30, 30)
    with torch.no_grad():
        torch.testing.assert_close(ascii_model(x), model(x), rtol=0, atol=0)


def test_ascii_truncated_and_out_of_step_are_one_line(tmp_path):
    good = dumps_raw(module_object(build(TIED).eval()), ascii=True)
    refused(tmp_path, good[: len(good) // 2], r"truncated|cut short")
    refused(tmp_path, good.replace(b"torch.FloatStorage\n", b"torch.FloatStorage\nabc ", 1),
            r"FloatStorage.*not a (whole )?number|where a whole number is due")


# reading past a buffer ----------------------------------------------------------------------
def test_a_tensor_where_a_storage_is_due_is_refused(tmp_path):
    """issue 18's out-of-bounds read: the 'storage' of a tensor is another (2-D) tensor; its
    element count would pass, its rows would not. Tensor.c takes only a storage there."""
    other = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    bad = RawTensor("torch.FloatTensor", [2, 4], [4, 1], 3, other)
    data = dumps_raw(module("nn.Identity", output=bad))
    with pytest.raises(T7Error, match=r"x.t7: output: torch.FloatTensor: a torch.FloatTensor where its "
                                      r"torch.FloatStorage is due"):
        parse_t7(data, "x.t7")


@pytest.mark.parametrize("size,stride,offset,pattern", [
    ([3], [1], 1, r"does not fit its storage \(it reaches element 3 of 2\)"),
    ([2], [1], 2, r"does not fit its storage \(it reaches element 3 of 2\)"),  # offset is 1-based
    ([1, 2], [5, 1], 1, None),  # a row's stride past the end, with one row: fits
    ([2, 1], [2, 1], 1, r"does not fit"),
    ([2], [-1], 1, r"sizes and strides must be 0 or more"),
    ([-2], [1], 1, r"sizes and strides must be 0 or more"),
    ([2], [2 ** 62], 1, r"sizes and strides must be 0 or more"),
    ([2], [1], 0, r"the offset 1 or more"),
    ([2], [1], -(2 ** 40), r"the offset 1 or more"),
])
def test_tensor_extent_checks(size, stride, offset, pattern):
    storage = Storage(np.array([1.5, 2.5], dtype=np.float32), "torch.FloatStorage")
    data = dumps_raw({"t": RawTensor("torch.FloatTensor", size, stride, offset, storage)})
    if pattern is None:
        assert parse_t7(data, "x.t7")[b"t"].tolist() == [[1.5, 2.5]]
    else:
        with pytest.raises(T7Error, match=r"x.t7: t: torch.FloatTensor of size .*" + pattern):
            parse_t7(data, "x.t7")


def test_a_storage_of_another_type_is_refused():
    storage = Storage(np.array([1, 2], dtype=np.int32), "torch.IntStorage")
    data = dumps_raw({"t": RawTensor("torch.FloatTensor", [2], [1], 1, storage)})
    with pytest.raises(T7Error, match="a torch.IntStorage where its torch.FloatStorage is due"):
        parse_t7(data, "x.t7")


def test_transposed_and_offset_views_read_as_torch7_indexes_them():
    """element [i][j] of a tensor is storage[offset + i*stride1 + j*stride2] (Tensor.c), offset
    stored 1-based."""
    storage = Storage(np.arange(10, dtype=np.float64), "torch.DoubleStorage")
    data = dumps_raw({"t": RawTensor("torch.DoubleTensor", [2, 3], [1, 2], 4, storage)})
    assert parse_t7(data, "x.t7")[b"t"].tolist() == [[3, 5, 7], [4, 6, 8]]


# allocating what the file did not pay for ------------------------------------------------------
def _stride0_linear(n=14000):
    weight = RawTensor("torch.FloatTensor", [n, n], [0, 0], 1,
                       Storage(np.array([0.5], dtype=np.float32), "torch.FloatStorage"))
    bias = RawTensor("torch.FloatTensor", [n], [0], 1, Storage(np.array([0.0], dtype=np.float32),
                                                                 "torch.FloatStorage"))
    return dumps_raw(module("nn.Sequential", modules=[module("nn.Linear", weight=weight, bias=bias)]))


def test_stride0_weights_are_not_materialised(tmp_path):
    """issue 18: a 599-byte file with stride-0 14000x14000 weights took 2 GB. A view within
    ENET_PORT_T7_MAX_VIEW stays a view (no copy), and the importer refuses it as a parameter
    before building the model; a bigger one is refused by the reader."""
    data = _stride0_linear(3000)
    assert len(data) < 700
    tracemalloc.start()
    obj = parse_t7(data, "x.t7")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200_000, peak
    weight = fields(fields(obj)["modules"][0])["weight"]
    assert weight.shape == (3000, 3000) and not weight.flags.writeable and weight[2999, 5] == 0.5
    refused(tmp_path, data, r"modules\[1\]: nn.Linear: stored weight is a 3000x3000 view of fewer stored elements")
    refused(tmp_path, _stride0_linear(14000), r"modules\[1\].weight: torch.FloatTensor of size \[14000, 14000\] views "
                                              r"196000000 elements of a storage of 1 .*ENET_PORT_T7_MAX_VIEW")


def test_a_huge_stride0_view_is_refused_naming_its_limit(monkeypatch):
    data = _stride0_linear(5000)
    monkeypatch.setenv("ENET_PORT_T7_MAX_VIEW", "1000000")
    with pytest.raises(T7Error, match=r"modules\[1\].weight: .*at most 1000000 \(set ENET_PORT_T7_MAX_VIEW"):
        parse_t7(data, "x.t7")


def test_many_tensors_over_one_storage_cannot_multiply_it():
    """2000 tensor headers (~60 bytes each) viewing one 1 MiB storage would copy 2 GB."""
    storage = Storage(np.zeros(2 ** 18, dtype=np.float32), "torch.FloatStorage")
    views = [RawTensor("torch.FloatTensor", [2 ** 18], [1], 1, storage) for _ in range(2000)]
    data = dumps_raw(views)
    tracemalloc.start()
    with pytest.raises(T7Error, match=r"\[\d+\]: .*more than 4 times its size \(set ENET_PORT_T7_MAX_COPIES"):
        parse_t7(data, "x.t7")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * len(data) + 2 ** 20, (peak, len(data))


@pytest.mark.parametrize("tail,pattern", [
    (b"\x03\0\0\0\x01\0\0\0\xff\xff\xff\x7f", r"a table of 2147483647 entries, more than the 0 bytes left"),
    (b"\x02\0\0\0\xff\xff\xff\x7f", r"a string of 2147483647 bytes is cut short"),
    (b"\x04\0\0\0\x01\0\0\0\x03\0\0\0V 1\x12\0\0\0torch.FloatStorage" + (2 ** 60).to_bytes(8, "little"),
     r"torch.FloatStorage of 1152921504606846976 elements is cut short"),
    (b"\x06\0\0\0\xff\xff\xff\x7f", r"a function's bytecode of 2147483647 bytes is cut short"),
])
def test_declared_counts_are_checked_before_allocating(tail, pattern):
    tracemalloc.start()
    with pytest.raises(T7Error, match=pattern):
        parse_t7(tail, "x.t7")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100_000, peak


def test_values_limit_is_named(monkeypatch):
    monkeypatch.setenv("ENET_PORT_T7_MAX_VALUES", "100")
    with pytest.raises(T7Error, match=r"more than 100 values \(set ENET_PORT_T7_MAX_VALUES"):
        parse_t7(dumps(list(range(60))), "x.t7")


def test_nngraph_huge_ninputs_is_one_line_at_once(tmp_path):
    graph = gmodule_object([module("nn.Identity")], [[]], inputs=[0], outputs=[0])
    graph.fields["nInputs"] = 1e8
    refused(tmp_path, dumps(module("nn.Sequential", modules=[graph])),
            r"modules\[1\]: nn.gModule: nInputs 100000000 is not a count of inputs")


# nesting, self-references, odd keys ----------------------------------------------------------
def _nested_tables(depth):
    """{{{...{nil}...}}} ``depth`` levels, written directly (the test writer recurses): each a
    table tag, its index, 1 entry, the key 1 (a number), then the next table as the value."""
    out = bytearray()
    for i in range(1, depth + 1):
        out += b"\x03\0\0\0" + i.to_bytes(4, "little") + b"\x01\0\0\0" + b"\x01\0\0\0" + np.float64(1).tobytes()
    out += b"\0\0\0\0"  # the innermost value: nil
    return bytes(out)


def test_20000_levels_of_nesting_read_without_recursion():
    value = parse_t7(_nested_tables(20000), "x.t7")
    depth = 0
    while isinstance(value, list):
        value, depth = value[0], depth + 1
    assert depth == 20000 and value is None


def test_nesting_limit_is_named(monkeypatch):
    monkeypatch.setenv("ENET_PORT_T7_MAX_DEPTH", "1000")
    with pytest.raises(T7Error, match=r"x.t7: \.\.\.[\[\]1]+: objects nested more than 1000 deep "
                                      r"\(set ENET_PORT_T7_MAX_DEPTH"):
        parse_t7(_nested_tables(20000), "x.t7")


def test_containers_nested_deeper_than_the_spec_limit_are_one_line(tmp_path):
    inner = module("nn.Identity")
    for _ in range(120):
        inner = module("nn.Sequential", modules=[inner])
    refused(tmp_path, dumps(inner), r"containers nested more than 100 deep \(set ENET_PORT_MAX_DEPTH")


def test_self_references_are_the_same_object():
    me = module("nn.Identity")
    me.fields["me"] = me
    table = Table()
    table.pairs.append((1, table))
    value = parse_t7(dumps({"m": me, "t": table}), "x.t7")
    assert value[b"m"].me is value[b"m"]
    assert isinstance(value[b"t"], list) and value[b"t"][0] is value[b"t"]


def test_a_module_that_contains_itself_is_one_line(tmp_path):
    seq = module("nn.Sequential", modules=[])
    seq.fields["modules"].append(seq)
    refused(tmp_path, dumps(seq), r"modules\[1\]: nn.Sequential is the same module object as one met before")


def test_tables_keyed_by_tensors_and_tables_read():
    key_table, key_tensor, key_array = {"a": 1}, Tensor(np.ones(2)), [1, 2]
    value = parse_t7(dumps(Table([(key_table, 1), (key_tensor, 2), (key_array, 3), ("x", key_table)])), "x.t7")
    assert isinstance(value, LuaTable)
    keys = list(value)
    assert keys[0] is value[b"x"] and value[keys[0]] == 1
    assert isinstance(keys[1], IdentityKey) and keys[1].value.tolist() == [1, 1] and value[keys[1]] == 2
    assert isinstance(keys[2], IdentityKey) and keys[2].value == [1, 2]


def test_non_utf8_field_names_and_strings_import(tmp_path):
    torch.manual_seed(0)
    obj = module_object(build(TIED).eval())
    clean = import_t7(write(tmp_path / "clean.t7", dumps(obj)))
    obj.fields["modules"][1].fields[b"\xff\xfename"] = b"\xc3\x28"
    imported = import_t7(write(tmp_path / "m.t7", dumps(obj)))
    assert imported.spec["features"] == clean.spec["features"]


def test_a_number_where_modules_are_due_is_one_line(tmp_path):
    refused(tmp_path, dumps(module("nn.Sequential", modules=5)),
            r"\(the stored object\): nn.Sequential: its modules field is a int, not a Lua array of modules")


def test_an_object_whose_fields_are_a_back_reference_to_a_tensor_is_refused():
    data = bytearray(dumps([Tensor(np.ones(1)), module("nn.Identity")]))
    at = data.index(b"nn.Identity") + len(b"nn.Identity")
    data[at:] = b"\x03\0\0\0\x02\0\0\0"  # the field table: a back-reference to object 2 (the tensor)
    with pytest.raises(T7Error, match=r"\[2\]: nn.Identity: its field table is another kind of object"):
        parse_t7(bytes(data), "x.t7")


# Lua tables that hold tensors (issue 19 item 8) -------------------------------------------------
def test_stored_table_outputs_of_concat_and_graph_load(tmp_path):
    """A ConcatTable's stored output is a Lua array of tensors; an nngraph node's data.input
    after a forward too. torchfile's array check compared each tensor with == (numpy 2 refuses)."""
    x = Tensor(np.ones((2, 3)))
    concat = module("nn.ConcatTable", modules=[module("nn.Identity"), module("nn.Identity")], output=[x, x])
    graph = gmodule_object([module("nn.Identity")], [[]], inputs=[0], outputs=[0])
    graph.fields["forwardnodes"][0].fields["data"]["input"] = [x]
    obj = module("nn.Sequential", modules=[concat, module("nn.CAddTable", inplace=False), graph])
    path = tmp_path / "m.t7"
    path.write_bytes(dumps(obj))
    stored = fields(read_t7(path))["modules"]
    output = fields(stored[0])["output"]
    assert isinstance(output, list) and output[0] is output[1] and output[0].tolist() == [[1, 1, 1]] * 2
    imported = import_t7(path, input_shape=(3, 8, 8))
    assert [list(e)[0] for e in imported.spec["features"]] == ["nn.ConcatTable", "nn.CAddTable", "nn.gModule"]


def test_torch_objects_keep_the_torchfile_interface():
    value = parse_t7(dumps(module("nn.Linear", weight=Tensor(np.ones((2, 3))))), "x.t7")
    assert isinstance(value, TorchObject) and value.torch_typename() == b"nn.Linear"
    assert value._version_number == 1 and value.weight is value[b"weight"] is value["weight"]
    assert value.missing is None and value.train is False


def test_errors_never_escape_as_other_exceptions():
    for data in (b"", b"\x04", b"\x09\0\0\0", b"4\n", b"4\n1\n3\nV 1\n99\nx", b"1\nabc\n", b"\xff" * 16):
        with pytest.raises(EnetPortError) as info:
            parse_t7(data, "x.t7")
        assert "\n" not in str(info.value)


# rules the mutants of NOTES.md "Mutants: the .t7 reader" broke -------------------------------
def test_element_types_follow_torch7():
    """Char is signed 8-bit, Byte unsigned, Half 16-bit float, Long 64-bit (TH's types)."""
    value = parse_t7(dumps_raw({
        "c": Storage(np.array([-1, 5], dtype=np.int8), "torch.CharStorage"),
        "b": Storage(np.array([255, 5], dtype=np.uint8), "torch.ByteStorage"),
        "h": Storage(np.array([0.5, -2], dtype=np.float16), "torch.HalfStorage"),
        "l": Storage(np.array([-(2 ** 40), 7], dtype=np.int64), "torch.LongStorage")}), "x.t7")
    assert value[b"c"].tolist() == [-1, 5] and value[b"b"].tolist() == [255, 5]
    assert value[b"h"].dtype == np.float16 and value[b"h"].tolist() == [0.5, -2]
    assert value[b"l"].tolist() == [-(2 ** 40), 7]


def test_a_boolean_is_true_only_when_it_is_one():
    """File.lua readBool: ``self:readInt() == 1``; any other int is false."""
    data = bytearray(dumps([True, False]))
    data[data.index(b"\x05\0\0\0\x01\0\0\0") + 4] = 2
    assert parse_t7(bytes(data), "x.t7") == [False, False]


def test_ordinary_tensors_are_writable_copies():
    storage = Storage(np.array([1, 2, 3], dtype=np.float32), "torch.FloatStorage")
    value = parse_t7(dumps_raw({"t": RawTensor("torch.FloatTensor", [3], [1], 1, storage),
                                "s": storage}), "x.t7")
    value[b"t"][0] = 9
    assert value[b"t"].flags.writeable and value[b"s"].tolist() == [1, 2, 3]

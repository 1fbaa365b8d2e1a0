"""diff beyond module arguments: the pooling mode left by :ceil()/:floor(), nngraph wiring,
shared parameters and tied modules."""
import json

from click.testing import CliRunner

from enet_port.cli import main
from enet_port.lua.diff import compare
from enet_port.model.spec import expand, load_spec

POOL_SPEC = {"name": "pool", "recipe": "regimes-55", "input": [3, 9, 9], "features": [
    {"nn.SpatialMaxPooling": [3, 3, 2, 2], "modifiers": ["ceil"]}], "classifier": []}


def test_ceil_then_floor_is_not_ceil(tmp_path):
    spec = tmp_path / "pool.json"
    spec.write_text(json.dumps(POOL_SPEC))
    lua = tmp_path / "pool.lua"
    lua.write_text("local m = nn.Sequential()\nm:add(nn.SpatialMaxPooling(3,3,2,2):ceil():floor())\nreturn m\n")
    result = CliRunner().invoke(main, ["diff", str(spec), str(lua)])
    assert result.exit_code == 1 and "modifiers differ" in result.output
    lua.write_text("local m = nn.Sequential()\nm:add(nn.SpatialMaxPooling(3,3,2,2):floor():ceil())\nreturn m\n")
    assert CliRunner().invoke(main, ["diff", str(spec), str(lua)]).exit_code == 0


def graph_spec(tmp_path, second_input, share=None):
    conv = {"cudnn.SpatialConvolution": [4, 4, 3, 3, 1, 1, 1, 1]}
    nodes = [{"name": "x", "nn.Identity": [], "inputs": []},
             {"name": "a", **conv, "inputs": ["x"], "id": "first"},
             {"name": "b", **conv, "inputs": [second_input], **({"share": share} if share else {})},
             {"name": "s", "nn.CAddTable": [], "inputs": ["a", "b"]}]
    spec = {"name": "g", "recipe": "regimes-55", "input": [4, 8, 8], "classifier": [],
            "features": [{"nn.gModule": {"inputs": ["x"], "outputs": ["s"], "nodes": nodes}}]}
    path = tmp_path / f"g{second_input}{len(share['fields']) if share else 0}.json"
    path.write_text(json.dumps(spec))
    return expand(load_spec(path))


def test_graph_wiring_and_shares_are_compared(tmp_path):
    chain, parallel = graph_spec(tmp_path, "a"), graph_spec(tmp_path, "x")
    assert compare(chain, chain) == []
    wiring = compare(chain, parallel)
    assert [d.what for d in wiring] == ["graph inputs differ"]
    shared = graph_spec(tmp_path, "x", {"id": "first", "fields": ["weight", "bias"]})
    links = compare(shared, parallel)
    assert len(links) == 1 and links[0].what.startswith("shares parameters with: spec cudnn.SpatialConvolution")
    weight_only = graph_spec(tmp_path, "x", {"id": "first", "fields": ["weight"]})
    fields = compare(shared, weight_only)  # both share, with other fields
    assert len(fields) == 1 and "['weight', 'bias']" in fields[0].what and "['weight']" in fields[0].what

"""``enet-port export``: a model as an ONNX file or a torch.export ``.pt2`` file.

Lua counterpart: none; Torch7 models left Lua only through ``torch.save``.
"""
import click

from .common import parse_shape, sizes_parser

parse_size = sizes_parser("WxH", "640x320")


@click.command("export")
@click.argument("model", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="model.onnx (ONNX, torch.onnx's dynamo exporter) or model.pt2 (torch.export).")
@click.option("--size", callback=parse_size, help="WxH input, as predict spells it (default: the model's).")
@click.option("--input", "input_shape", callback=parse_shape, help="CxHxW input (instead of --size).")
@click.option("--batch", default=1, show_default=True, type=int, help="Fixed batch size of the graph.")
@click.option("--dynamic", is_flag=True,
              help="Batch and image size as symbolic dimensions, wherever the model allows it.")
@click.option("--opset", type=click.IntRange(min=7), help="ONNX opset (default: the exporter's).")
def export(model, output, size, input_shape, batch, dynamic, opset):
    """Export MODEL (a .t7/.net file, a spec with its .pt weights, or a run folder) with its class
    names and preprocessing as metadata."""
    from ..export_model import export_model
    metadata = export_model(model, output, size, input_shape, batch, dynamic, opset)
    shape = "x".join(str(v) for v in metadata["input"])
    dims = ", ".join(metadata["dynamic"]) or "none"
    click.echo(f"wrote {output} (input {shape}, symbolic dimensions: {dims})")

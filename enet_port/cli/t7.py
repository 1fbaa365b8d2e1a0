"""Commands for Lua-trained model files: ``import-t7`` and ``predict``.

Lua counterpart: ``torch.load('model.t7')`` and a forward pass in a Lua script.
"""
import click

from .common import echo, input_option, sizes_parser

parse_size = sizes_parser("WxH", "640x320")  # (width, height)


@click.command("import-t7")
@click.argument("t7file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Write the spec here (e.g. model.json) and the weights beside it (model.pt).")
@input_option("Input size for the shape check", "what the file shows or its first modules imply")
@click.option("--recipe", default="regimes-55", show_default=True,
              help="Training recipe to name in the spec (see `enet-port schedule`).")
def import_t7(t7file, output, input_shape, recipe):
    """Write the spec and weights of a Lua-Torch7 model file (.t7/.net, torch.save binary)."""
    from ..t7.load import write_import
    from ..train.schedules import make_rule, ScheduleError
    try:
        make_rule(recipe, 0.0, 1)
    except ScheduleError as exc:
        raise click.BadParameter(str(exc), param_hint="--recipe") from None
    spec_path, weights_path = write_import(t7file, output, input_shape, recipe)
    echo(f"wrote {spec_path} and {weights_path}")


@click.command()
@click.argument("model", type=click.Path())
@click.argument("images", nargs=-1, required=True)
@click.option("--size", callback=parse_size, help="WxH to resize images to (default: the model's input size; "
                                                  "a run folder uses its own test transform).")
@click.option("-o", "--output", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for label images (segmentation) or top5.json (classifier).")
@click.option("--classes", help="The model's class names: cityscapes or camvid (ENet-training's lists, coloured "
                                "with the dataset's own palette), or a file with one name a line. Default: a run "
                                "folder's classes.txt; else 'class k' in generic colours.")
@click.option("--backend", type=click.Choice(["torch", "compile", "onnxruntime"]),
              help="Eager PyTorch, torch.compile, or ONNX Runtime (needs the export extra; a model that "
                   "is not an .onnx file is exported first). Default: onnxruntime for .onnx, else torch.")
@click.option("--batch", default=8, show_default=True, type=click.IntRange(min=1),
              help="Images per forward pass.")
def predict(model, images, size, output, classes, backend, batch):
    """Top-5 classes (classifier) of IMAGES (files, folders or quoted globs) under MODEL (a
    .t7/.net file, a spec with its .pt weights, a run folder, or an exported .onnx/.pt2 file), or
    for a segmentation: IMAGE_color.png (the dataset's colours when the class names are
    Cityscapes' or CamVid's), IMAGE_labels.png (0-based class indices), IMAGE_legend.png and
    IMAGE_overlay.png (the colours over the image)."""
    from ..predict import predict as run_predict
    run_predict(model, images, size, output, echo=echo, classes=classes, backend=backend, batch=batch)

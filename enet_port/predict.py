"""``enet-port predict``: run a trained model on images.

Lua counterpart: ENet-training's ``visualize`` scripts (forward one image, take the most likely
class of every pixel, colour it) and the top-5 print of imagenet-multiGPU.torch's test loop. A
model is a Torch7 ``.t7``/``.net`` file, a spec with its weights (``model.json`` + ``model.pt``,
what ``import-t7`` writes) or a run folder (its spec, last ``model_N.pt``, class names and test
transform). Images are fed as the ENet authors fed them: resized to the model's input size
(``--size``) with PIL's BICUBIC filter, RGB scaled to 0..1, no mean/std. A run folder's images
are fed as ``enet-port test`` feeds them: read by the trainer's decoder, its pipeline's (``lua`` or
``fb``) test transform with the run's sizes and mean/std, and the normalisation the training device
applies (``feed.normaliser``). Class indices are 0-based (Torch7 label k is index k - 1).
"""
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .atomic import atomic_write, atomic_write_text
from .errors import DataError, EnetPortError
from .model.build import build
from .model.spec import load_spec
from .t7.load import import_t7
from .data import decode, feed, pipeline
from .train import checkpoints, runfolder
from .train.opts import OPTIONS, Opt


@dataclass
class Predictor:
    model: torch.nn.Module
    read: object  # image path -> the model's input, a batch of one
    classes: list = None  # class names, when known


def open_model(path, size=None):
    """The :class:`Predictor` for a ``.t7``/``.net`` file, a spec with weights or a run folder;
    ``size`` (W, H) overrides the input size of the first two."""
    path = Path(path)
    if path.is_dir():
        return _run_folder(path)
    if path.suffix == ".json":
        spec = load_spec(path)
        model = build(spec)
        checkpoints.load_model_into(model, _weights_beside(path))
        return Predictor(model.eval(), _resize_reader(spec.input, size, path))
    if not path.is_file():
        raise EnetPortError(str(path), "no such model file or run folder")
    imported = import_t7(path)
    return Predictor(imported.model.eval(), _resize_reader(imported.spec["input"], size, path))


def _shape_text(shape):
    if shape and isinstance(shape[0], (list, tuple)):
        return f"{len(shape)} inputs ({', '.join(_shape_text(s) for s in shape)})"
    return {1: "a vector of ", 2: "a sequence of "}.get(len(shape), "") + "x".join(map(str, shape))


def _weights_beside(spec_path):
    weights = spec_path.with_suffix(".pt")
    if not weights.is_file():
        raise EnetPortError(str(spec_path), f"no weights beside it ({weights.name}, as import-t7 writes)")
    return weights


def _run_folder(run_dir):
    opt, spec_path, meanstd = _saved_options(run_dir)
    _, model_path, _ = checkpoints.latest(run_dir)
    crop = opt.cropSize
    model = build(load_spec(spec_path), classes=opt.nClasses, input_shape=(3, crop, crop))
    checkpoints.load_model_into(model, model_path)
    classes_file = run_dir / "classes.txt"
    classes = classes_file.read_text().splitlines() if classes_file.is_file() else None
    return Predictor(model.eval(), _test_reader(opt, meanstd), classes)


def _saved_options(run_dir):
    """The run's options (as ``test`` reads them: pipeline ``lua`` when none is saved), spec and
    mean/std; a value predict needs that is missing or of the wrong kind names ``options.json``."""
    saved = runfolder.read_saved_options(run_dir)
    path = Path(run_dir) / "options.json"
    for key in ("imageSize", "cropSize", "nClasses"):
        if type(saved.get(key)) is not int or saved[key] < 1:
            raise DataError(str(path), f"damaged options file ({key} is {saved.get(key)!r}, not a count)")
    if not isinstance(saved.get("spec"), str):
        raise DataError(str(path), f"damaged options file (spec is {saved.get('spec')!r}, not a file name)")
    if saved.get("pipeline") not in (None, "lua", "fb"):
        raise DataError(str(path), f"damaged options file (pipeline is {saved['pipeline']!r}, not lua or fb)")
    meanstd = saved.get("mean"), saved.get("std")
    if not all(isinstance(v, list) and len(v) == 3 and all(type(c) in (int, float) for c in v) for v in meanstd):
        raise DataError(str(path), "damaged options file (mean and std are not 3 numbers each)")
    opt = Opt(**{o.key: saved.get(o.key, o.default) for o in OPTIONS})
    return dataclasses.replace(opt, pipeline=opt.pipeline or "lua", exif_rotate=bool(opt.exif_rotate),
                               gpu_decode=False), saved["spec"], meanstd


def _test_reader(opt, meanstd):
    """What ``enet-port test`` does to one validation image (``TestSet`` and ``DeviceFeed``)."""
    transform = pipeline.transform(opt, meanstd)
    normalise = feed.normaliser(transform, "cpu")

    def read(image_path):
        try:
            x = transform.test(decode.load_uint8(image_path, opt.exif_rotate), str(image_path))[None]
        except decode.BadImage as exc:  # its message names the file
            raise DataError(None, str(exc)) from None
        return normalise(x) if normalise else x
    return read


def _resize_reader(input_shape, size, path):
    if not (len(input_shape) == 3 and all(isinstance(v, int) for v in input_shape)):
        raise EnetPortError(str(path), f"predict reads images, and this model takes {_shape_text(input_shape)}; "
                                       "run it from Python (enet_port.load_t7)")
    channels, height, width = input_shape
    width, height = size or (width, height)
    mode = "L" if channels == 1 else "RGB"

    def read(image_path):
        try:
            with Image.open(image_path) as image:
                image = image.convert(mode).resize((width, height), Image.BICUBIC)
        except (OSError, ValueError) as exc:
            raise DataError(str(image_path), f"cannot read the image ({exc})") from None
        data = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)
        return (data[None] if channels == 1 else data.permute(2, 0, 1))[None]
    return read


def run(predictor, image_path):
    """The model's output for one image (batch of one)."""
    x = predictor.read(image_path)
    param = next(predictor.model.parameters(), None)
    x = x.to(param.dtype if param is not None else torch.float32)
    with torch.no_grad():
        return predictor.model(x)


def top5(output, classes=None):
    """``[(probability, index, name)]`` of the five most likely classes (softmax of the output,
    which for LogSoftMax outputs is the probability itself)."""
    probs = torch.softmax(output.reshape(-1).double(), 0)
    values, indices = probs.topk(min(5, probs.numel()))
    return [(v.item(), i.item(), classes[i] if classes and i < len(classes) else f"class {i.item()}")
            for v, i in zip(values, indices)]


def palette(n):
    """n distinct colours: the bits of the class index spread over R, G and B, high bits first."""
    colours = np.zeros((max(n, 1), 3), dtype=np.uint8)
    for index in range(n):
        value, c = [0, 0, 0], index
        for bit in range(7, -1, -1):
            for channel in range(3):
                value[channel] |= ((c >> channel) & 1) << bit
            c >>= 3
        colours[index] = value
    return colours


def write_segmentation(output, out_dir, stem):
    """The colour label PNG and the label indices (uint8 PNG, or .npy past 256 classes)."""
    n_classes = output.shape[1]
    labels = output[0].argmax(0).cpu().numpy()
    out_dir = Path(out_dir)
    colour_path = out_dir / f"{stem}_color.png"
    _write_png(colour_path, Image.fromarray(palette(n_classes)[labels]))
    if n_classes <= 256:
        label_path = out_dir / f"{stem}_labels.png"
        _write_png(label_path, Image.fromarray(labels.astype(np.uint8), mode="L"))
    else:
        label_path = out_dir / f"{stem}_labels.npy"
        atomic_write(label_path, lambda f: np.save(f, labels.astype(np.int64)))
    return colour_path, label_path, labels


def _write_png(path, image):
    atomic_write(path, lambda f: image.save(f, format="PNG"))


def predict(model_path, images, size=None, out_dir=".", echo=print):
    """``enet-port predict``: print the top-5 of a classifier (and write top5.json to
    ``out_dir``), or write a segmentation's label images; returns the results."""
    predictor = open_model(model_path, size)
    results = {}
    for image_path in images:
        output = run(predictor, image_path)
        if output.dim() == 2:
            results[str(image_path)] = rows = top5(output, predictor.classes)
            echo(str(image_path))
            for rank, (p, index, name) in enumerate(rows, 1):
                echo(f"  {rank}. {p:.4f}  {name} (index {index})")
        elif output.dim() == 4:
            colour, labels_path, labels = write_segmentation(output, out_dir, Path(image_path).stem)
            results[str(image_path)] = {"color": str(colour), "labels": str(labels_path)}
            echo(f"{image_path}: {labels.shape[1]}x{labels.shape[0]} labels -> {colour}, {labels_path}")
        else:
            raise EnetPortError(str(model_path), f"output of shape {tuple(output.shape)} is neither a "
                                                 "classifier's (N, classes) nor a segmentation's (N, C, H, W)")
    if results and all(isinstance(r, list) for r in results.values()):
        atomic_write_text(Path(out_dir) / "top5.json", json.dumps(
            {k: [{"p": p, "index": i, "name": n} for p, i, n in v] for k, v in results.items()}, indent=1))
    return results

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
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from . import userpaths
from .atomic import atomic_write_text
from .errors import DataError, EnetPortError
from .model.build import build
from .model.spec import load_spec
from .t7.load import import_t7
from .data import decode, feed, palettes, pipeline, seg_images
from .export.runtime import SUFFIXES as EXPORTED, load_exported
from .predict_backends import image_paths, run_batch, with_backend
from .train import checkpoints, runfolder
from .train.opts import OPTIONS, Opt
from .train.resume import run_spec


@dataclass
class Predictor:
    model: torch.nn.Module
    read: object  # image path -> the model's input, a batch of one
    classes: list = None  # class names, when known
    preprocessing: dict = None  # what ``read`` does, as ``export`` records it (input is C, H, W)


def open_model(path, size=None):
    """The :class:`Predictor` for a ``.t7``/``.net`` file, a spec with weights, a run folder or an
    exported ``.onnx``/``.pt2`` file; ``size`` (W, H) overrides the input size but of a run folder."""
    path = Path(path)
    if path.suffix in EXPORTED:
        return _exported(path, size)
    if path.is_dir():
        return _run_folder(path)
    _check_target_size(size)
    if path.suffix == ".json":
        spec = load_spec(path)
        model = build(spec)
        checkpoints.load_model_into(model, _weights_beside(path))
        return Predictor(model.eval(), _resize_reader(spec.input, size, path), None, _resized(spec.input, size))
    try:
        userpaths.check_regular(path)
    except FileNotFoundError:
        raise EnetPortError(str(path), "no such model file or run folder") from None
    imported = import_t7(path)
    shape = imported.spec["input"]
    return Predictor(imported.model.eval(), _resize_reader(shape, size, path), None, _resized(shape, size))


def _shape_text(shape):
    if shape and isinstance(shape[0], (list, tuple)):
        return f"{len(shape)} inputs ({', '.join(_shape_text(s) for s in shape)})"
    return {1: "a vector of ", 2: "a sequence of "}.get(len(shape), "") + "x".join(map(str, shape))


def _check_target_size(size):
    """``--size`` under the limits an image file has (:mod:`enet_port.data.decode`): PIL's
    decompression-bomb pixel count and the aspect ratio, before anything is allocated."""
    if size is None:
        return
    width, height = size
    most = 2 * Image.MAX_IMAGE_PIXELS if Image.MAX_IMAGE_PIXELS else None
    if most and width * height > most:
        raise EnetPortError("--size", f"{width}x{height} = {width * height} pixels is above twice "
                                      f"Image.MAX_IMAGE_PIXELS ({most} pixels), the limit images have")
    try:
        decode.check_size(size, "--size")
    except decode.BadImage as exc:
        raise EnetPortError(None, str(exc)) from None


def _resized(input_shape, size):
    channels, height, width = input_shape
    width, height = size or (width, height)
    return {"input": [channels, height, width], "resize": "PIL BICUBIC", "scale": "1/255", "mean": None, "std": None}


def _exported(path, size):
    """An exported file run as it was exported: its recorded run-folder test transform, or the
    resize to ``size`` (default: its recorded input size)."""
    model, metadata = load_exported(path)
    pre = {**(metadata.get("preprocessing") or {}), "input": metadata.get("input", [3, 224, 224])}
    if "pipeline" in pre:
        opt = Opt(**{o.key: pre.get(o.key, o.default) for o in OPTIONS})
        read = _test_reader(dataclasses.replace(opt, gpu_decode=False), (pre["mean"], pre["std"]))
    else:
        read = _resize_reader(pre["input"], size, path)
        pre = _resized(pre["input"], size)
    return Predictor(model.eval(), read, metadata.get("classes"), pre)


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
    classes = None
    if classes_file.is_file():
        classes = userpaths.read_bytes(classes_file).decode("utf-8", "surrogateescape").splitlines()
    keys = {"pipeline": opt.pipeline, "imageSize": opt.imageSize, "cropSize": crop, "exif_rotate": opt.exif_rotate}
    preprocessing = {"input": [3, crop, crop], **keys, "mean": meanstd[0], "std": meanstd[1]}
    return Predictor(model.eval(), _test_reader(opt, meanstd), classes, preprocessing)


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
    spec = run_spec(run_dir)  # the spec it trained: options.json's file, or the run's copy after it changed
    if saved.get("pipeline") not in (None, "lua", "fb"):
        raise DataError(str(path), f"damaged options file (pipeline is {saved['pipeline']!r}, not lua or fb)")
    meanstd = saved.get("mean"), saved.get("std")
    if not all(isinstance(v, list) and len(v) == 3 and all(type(c) in (int, float) for c in v) for v in meanstd):
        raise DataError(str(path), "damaged options file (mean and std are not 3 numbers each)")
    opt = Opt(**{o.key: saved.get(o.key, o.default) for o in OPTIONS})
    return dataclasses.replace(opt, pipeline=opt.pipeline or "lua", exif_rotate=bool(opt.exif_rotate),
                               gpu_decode=False), spec, meanstd


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
        try:  # the trainer's decoder: its size limits, its 16-bit rule, its refusals
            pixels = decode.load_uint8(image_path).permute(1, 2, 0).numpy()
        except decode.BadImage as exc:  # its message names the file
            raise DataError(None, str(exc)) from None
        image = Image.fromarray(pixels, "RGB").convert(mode).resize((width, height), Image.BICUBIC)
        data = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)
        return (data[None] if channels == 1 else data.permute(2, 0, 1))[None]
    return read


def run(predictor, image_path):
    """The model's output for one image (batch of one)."""
    return run_batch(predictor, [image_path])


def top5(output, classes=None):
    """``[(probability, index, name)]`` of the five most likely classes (softmax of the output,
    which for LogSoftMax outputs is the probability itself)."""
    probs = torch.softmax(output.reshape(-1).double(), 0)
    values, indices = probs.topk(min(5, probs.numel()))
    return [(v.item(), i.item(), classes[i] if classes and i < len(classes) else f"class {i.item()}")
            for v, i in zip(values, indices)]


WHAT = {"color": "colours", "labels": "labels", "legend": "legend", "overlay": "overlay"}


def segmentation_paths(out_dir, stem, n_classes):
    """Where the colour PNG, the label indices (uint8 PNG, or .npy past 256 classes), the legend
    and the overlay of one image go."""
    out_dir = Path(out_dir)
    return {"color": out_dir / f"{stem}_color.png",
            "labels": out_dir / f"{stem}_labels{'.png' if n_classes <= 256 else '.npy'}",
            "legend": out_dir / f"{stem}_legend.png", "overlay": out_dir / f"{stem}_overlay.png"}


def write_segmentation(output, out_dir, stem, names=None, image_path=None):
    """The colour label PNG (the dataset's palette when ``names`` are a Cityscapes or CamVid
    model's classes), the label indices (uint8 PNG, or .npy past 256 classes), a legend and,
    given the input ``image_path``, the colours over it."""
    n_classes = output.shape[1]
    labels = output[0].argmax(0).cpu().numpy()
    names = names or [f"class {i}" for i in range(n_classes)]
    _, colours = palettes.palette_for(names)
    out_dir = Path(out_dir)
    colour = seg_images.colour_image(labels, colours)
    paths = {"color": out_dir / f"{stem}_color.png", "legend": out_dir / f"{stem}_legend.png"}
    seg_images.write_png(paths["color"], colour)
    paths["labels"] = seg_images.write_labels(out_dir / stem, labels, n_classes)
    seg_images.write_png(paths["legend"], seg_images.legend_image(names, colours))
    if image_path is not None:
        paths["overlay"] = out_dir / f"{stem}_overlay.png"
        seg_images.write_png(paths["overlay"], seg_images.overlay_image(image_path, colour))
    return paths, labels


def segmentation_names(classes, n_classes, known=None):
    """The class names of a segmentation model: ``classes`` (a dataset ENet was trained on, or a
    file with one name a line), else the model's own (``known``), else None."""
    if classes is None:
        return known if known and len(known) == n_classes else None
    if classes in palettes.CLASS_LISTS:
        names = palettes.class_names(classes, n_classes)
        if names is None:
            full = len(palettes.CLASS_LISTS[classes])
            raise EnetPortError("--classes", f"{classes}: ENet-training's models have {full} classes ({full - 1} "
                                             f"without the first, unlabelled one); this model has {n_classes}")
        return names
    try:
        names = [line.strip() for line in Path(classes).read_text().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise EnetPortError(str(classes), f"cannot read class names ({type(exc).__name__}); give a file with one "
                                          f"name a line, or {' or '.join(palettes.CLASS_LISTS)}") from None
    if len(names) != n_classes:
        raise EnetPortError(str(classes), f"{len(names)} class names, the model has {n_classes} classes")
    return names


def predict(model_path, images, size=None, out_dir=".", echo=print, classes=None, backend=None, batch=8):
    """``enet-port predict``: print the top-5 of a classifier (and write top5.json to
    ``out_dir``), or write a segmentation's label images, legend and overlay; ``batch`` images go
    through the model at a time on ``backend``; returns the results. ``classes``: the class names
    (:func:`segmentation_names`)."""
    predictor = with_backend(open_model(model_path, size), model_path, backend)
    paths, results = image_paths(images), {}
    inputs, written = {f"the input {p}": p for p in paths}, {}
    start = time.perf_counter()
    with tqdm(total=len(paths), unit="image", disable=None, file=sys.stderr) as bar:
        for first in range(0, len(paths), batch):
            chunk = paths[first:first + batch]
            outputs = run_batch(predictor, chunk)
            for image_path, output in zip(chunk, outputs.split(1)):
                if output.dim() == 4:  # two images of one name, or an output over an input: refused
                    stem_paths = segmentation_paths(out_dir, image_path.stem, output.shape[1])
                    written.update((f"the {WHAT[k]} of {image_path}", v) for k, v in stem_paths.items())
                    userpaths.check_outputs(written, inputs)
                names = segmentation_names(classes, output.shape[1], predictor.classes) \
                    if output.dim() in (2, 4) else None
                results[str(image_path)] = _report(model_path, names, image_path, output, out_dir, echo)
            bar.update(len(chunk))
    echo(f"{len(paths)} images in {time.perf_counter() - start:.2f} s: "
         f"{len(paths) / (time.perf_counter() - start):.1f} images/s")
    if results and all(isinstance(r, list) for r in results.values()):
        userpaths.check_outputs({"top5.json": Path(out_dir) / "top5.json"}, inputs)
        atomic_write_text(Path(out_dir) / "top5.json", json.dumps(
            {k: [{"p": p, "index": i, "name": n} for p, i, n in v] for k, v in results.items()}, indent=1))
    return results


def _report(model_path, names, image_path, output, out_dir, echo):
    if output.dim() == 2:
        rows = top5(output, names)
        echo(str(image_path))
        for rank, (p, index, name) in enumerate(rows, 1):
            echo(f"  {rank}. {p:.4f}  {name} (index {index})")
        return rows
    if output.dim() == 4:
        paths, labels = write_segmentation(output, out_dir, image_path.stem, names, image_path)
        echo(f"{image_path}: {labels.shape[1]}x{labels.shape[0]} labels -> "
             + ", ".join(str(paths[k]) for k in ("color", "labels", "legend", "overlay")))
        return {k: str(v) for k, v in paths.items()}
    raise EnetPortError(str(model_path), f"output of shape {tuple(output.shape)} is neither a "
                                         "classifier's (N, classes) nor a segmentation's (N, C, H, W)")

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
import glob
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from .atomic import atomic_write, atomic_write_text
from .errors import DataError, EnetPortError
from .model.build import build
from .model.spec import load_spec
from .t7.load import import_t7
from .data import decode, feed, pipeline
from .export.runtime import SUFFIXES as EXPORTED, load_exported
from .train import checkpoints, runfolder
from .train.opts import OPTIONS, Opt


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
    if path.suffix == ".json":
        spec = load_spec(path)
        model = build(spec)
        checkpoints.load_model_into(model, _weights_beside(path))
        return Predictor(model.eval(), _resize_reader(spec.input, size), None, _resized(spec.input, size))
    if not path.is_file():
        raise EnetPortError(str(path), "no such model file or run folder")
    imported = import_t7(path)
    shape = imported.spec["input"]
    return Predictor(imported.model.eval(), _resize_reader(shape, size), None, _resized(shape, size))


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
        read = _resize_reader(pre["input"], size)
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
    classes = classes_file.read_text().splitlines() if classes_file.is_file() else None
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


def _resize_reader(input_shape, size):
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
    return run_batch(predictor, [image_path])


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


BACKENDS = ("torch", "compile", "onnxruntime")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".ppm", ".bmp", ".tif", ".tiff", ".webp"}


def image_paths(arguments):
    """Files as given; a folder's image files and a glob's matches, each sorted."""
    paths = []
    for argument in map(str, arguments):
        if Path(argument).is_dir():
            paths += sorted(p for p in Path(argument).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif not Path(argument).exists() and glob.has_magic(argument):
            paths += [Path(p) for p in sorted(glob.glob(argument))]
        else:
            paths.append(Path(argument))
    if not paths:
        raise DataError(", ".join(map(str, arguments)), "no images there")
    return paths


def with_backend(predictor, model_path, backend):
    """The predictor on ``backend``: eager, ``torch.compile`` or ONNX Runtime (a model that is not
    an ONNX file is exported to one first)."""
    is_onnx = Path(model_path).suffix == ".onnx"
    backend = backend or ("onnxruntime" if is_onnx else "torch")
    if is_onnx and backend != "onnxruntime":
        raise EnetPortError(str(model_path), f"an ONNX file runs on --backend onnxruntime, not {backend}")
    if backend == "compile":
        return dataclasses.replace(predictor, model=torch.compile(predictor.model))
    if backend == "onnxruntime" and not is_onnx:
        return dataclasses.replace(predictor, model=on_onnxruntime(predictor.model, predictor.preprocessing["input"]))
    return predictor


def on_onnxruntime(model, input_shape):
    """``model`` exported to a temporary ONNX file (batch and size symbolic) and loaded on ONNX Runtime."""
    import tempfile
    from .export import files, program, runtime
    x = torch.rand(2, *input_shape)
    exported = program.export_program(model, x, dynamic=True)
    with tempfile.TemporaryDirectory() as folder:
        files.write_onnx(exported, model, x, Path(folder) / "model.onnx", {})
        return runtime.OnnxRuntimeModel(Path(folder) / "model.onnx")


def predict(model_path, images, size=None, out_dir=".", echo=print, backend=None, batch=8):
    """``enet-port predict``: print the top-5 of a classifier (and write top5.json to
    ``out_dir``), or write a segmentation's label images; ``batch`` images go through the model
    at a time on ``backend``; returns the results."""
    predictor = with_backend(open_model(model_path, size), model_path, backend)
    paths, results = image_paths(images), {}
    start = time.perf_counter()
    with tqdm(total=len(paths), unit="image", disable=None, file=sys.stderr) as bar:
        for first in range(0, len(paths), batch):
            chunk = paths[first:first + batch]
            outputs = run_batch(predictor, chunk)
            for image_path, output in zip(chunk, outputs.split(1)):
                results[str(image_path)] = _report(model_path, predictor, image_path, output, out_dir, echo)
            bar.update(len(chunk))
    echo(f"{len(paths)} images in {time.perf_counter() - start:.2f} s: "
         f"{len(paths) / (time.perf_counter() - start):.1f} images/s")
    if results and all(isinstance(r, list) for r in results.values()):
        atomic_write_text(Path(out_dir) / "top5.json", json.dumps(
            {k: [{"p": p, "index": i, "name": n} for p, i, n in v] for k, v in results.items()}, indent=1))
    return results


def run_batch(predictor, image_paths):
    """The model's output for several images, read and stacked into one batch."""
    x = torch.cat([predictor.read(p) for p in image_paths])
    param = next(predictor.model.parameters(), None)
    with torch.no_grad():
        return predictor.model(x.to(param.dtype if param is not None else torch.float32))


def _report(model_path, predictor, image_path, output, out_dir, echo):
    if output.dim() == 2:
        rows = top5(output, predictor.classes)
        echo(str(image_path))
        for rank, (p, index, name) in enumerate(rows, 1):
            echo(f"  {rank}. {p:.4f}  {name} (index {index})")
        return rows
    if output.dim() == 4:
        colour, labels_path, labels = write_segmentation(output, out_dir, Path(image_path).stem)
        echo(f"{image_path}: {labels.shape[1]}x{labels.shape[0]} labels -> {colour}, {labels_path}")
        return {"color": str(colour), "labels": str(labels_path)}
    raise EnetPortError(str(model_path), f"output of shape {tuple(output.shape)} is neither a "
                                         "classifier's (N, classes) nor a segmentation's (N, C, H, W)")

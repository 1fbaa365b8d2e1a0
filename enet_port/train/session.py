"""What main.lua sets up before the epochs: the device, the data index and mean/std, the model.

Ports imagenet-multiGPU.torch ``main.lua``'s set-up lines (``cutorch.setDevice``, ``donkey.lua``'s
index and ``meanstdCache``, ``models/init.lua``'s createModel / ``-retrain``), shared by
``train`` and ``test``.
"""
import dataclasses
from pathlib import Path

import torch

from . import checkpoints
from ..data import dataset, pipeline
from ..data.sample_data import make_sample_dataset
from .distributed import World, wrap
from .train import Device
from ..errors import DataError, SpecError
from ..model.build import build
from ..model.shapes import format_shape
from ..model import global_pool
from ..model.spec import expand, output_shape


def device_type(opt):
    if opt.device == "cpu" or (opt.device == "auto" and not torch.cuda.is_available()):
        if opt.gpu_decode:
            raise DataError("--gpu-decode", "needs a CUDA device (it decodes with nvJPEG); this run is on the CPU")
        return "cpu"
    if not torch.cuda.is_available():
        raise DataError("--device", "cuda asked for, but no CUDA device is available")
    return "cuda"


def pick_device(opt, world=World()):
    """-GPU/--device -> :class:`~enet_port.train.train.Device` with ``--amp``/``--channels-last``;
    under torchrun each process takes GPU ``-GPU`` + its local rank."""
    if device_type(opt) == "cpu":
        return Device(torch.device("cpu"), opt.amp, opt.channels_last)
    device = torch.device(f"cuda:{opt.GPU - 1 + world.local_rank}")
    torch.cuda.set_device(device)
    use_backend(opt.backend, device)
    return Device(device, opt.amp, opt.channels_last)


def use_backend(backend, device):
    """``-backend cudnn`` sets ``cudnn.benchmark`` (each convolution shape tries cuDNN's
    algorithms once and keeps the fastest) for train, test and bench alike, so that bench's
    figures are those a run gets (Lua: ``-cudnnAutotune``, NOTES.md)."""
    torch.backends.cudnn.benchmark = device.type == "cuda" and backend == "cudnn"


def spec_input_size(spec, opt, explicit):
    """A spec whose ``"input"`` is not the default 3x224x224 (an imported CIFAR model's 3x32x32)
    sets -cropSize to its side, and -imageSize to the same ratio as imagenet-multiGPU.torch's
    256 to 224 (rounded), unless given. Non-square inputs keep the options."""
    _, height, width = spec.input
    if height != width or "cropSize" in explicit or height == opt.cropSize:
        return opt
    image_size = opt.imageSize if "imageSize" in explicit else round(height * 256 / 224)
    return dataclasses.replace(opt, cropSize=height, imageSize=image_size)


def model_image_size(spec, opt, explicit, echo):
    """main.lua: a model that sets ``imageSize`` overrides ``-imageSize``."""
    if spec.image_size is None or spec.image_size == opt.imageSize:
        return opt
    if "imageSize" in explicit:
        echo(f"note: {spec.path} sets imageSize {spec.image_size}, which overrides -imageSize {opt.imageSize} "
             "(as a model file's model.imageSize does in main.lua)")
    return dataclasses.replace(opt, imageSize=spec.image_size)


def fitted_pools(spec, opt, echo):
    """A spec's global average poolings fitted to ``-cropSize`` (:mod:`enet_port.model.global_pool`):
    one ``note:`` line, and the changes as strings for ``options.json`` (empty: none)."""
    shape = (spec.input[0], opt.cropSize, opt.cropSize)
    fitted = expand(spec, opt.nClasses, shape).fitted_pools
    if fitted:
        echo(global_pool.note(fitted, shape))
    return [f"global average pooling {f}" for f in fitted]


def sample_root(opt):
    """Without -data: the built-in sample dataset, made once under -cache."""
    return make_sample_dataset(Path(opt.cache) / "sample-data")


def prepare_data(opt):
    if opt.imageSize < opt.cropSize:
        raise DataError("-imageSize", f"{opt.imageSize} is smaller than -cropSize {opt.cropSize}")
    index = dataset.load_index(opt.data or sample_root(opt), opt.cache)
    if len(index["classes"]) != opt.nClasses:
        raise DataError(f"{index['data']}/train", f"{len(index['classes'])} class folders, but -nClasses is "
                                                  f"{opt.nClasses}")
    meanstd = pipeline.meanstd_constants(opt) or dataset.load_meanstd(
        index, opt.cache, opt.imageSize, opt.cropSize, opt.manualSeed, opt.nDonkeys, opt.exif_rotate)
    return index, meanstd


def load_retrain(path, crop_size):
    """-retrain's file as a model_N.pt dict: an enet-port checkpoint, or a Lua-trained
    ``.t7``/``.net`` (fine-tuning from Torch7: its module tree must match the spec's)."""
    if Path(path).suffix.lower() in (".t7", ".net"):
        from ..t7.load import import_t7
        return {"model": import_t7(path, (3, crop_size, crop_size)).model.state_dict()}
    return checkpoints.load_model_checkpoint(path)


MAX_AUX_CLASSIFIERS = 3  # GoogLeNet has two; a larger multiple is a count written as a number


def check_classes(spec, opt):
    """train.lua's ClassNLLCriterion takes one score per class: a model that gives another count
    (a class count written as a number where the spec means ``$nClasses``, as in a model file
    that hard-codes 1000) would fail at the first batch, or with fewer labels than outputs,
    train silently on the wrong number of classes."""
    shape = output_shape(spec, opt.nClasses, (3, opt.cropSize, opt.cropSize))
    if shape == (opt.nClasses,):
        return
    why = "a classifier needs one score per class (write the class count as \"$nClasses\" in the spec)"
    if len(shape) == 1 and shape[0] % opt.nClasses == 0 and shape[0] // opt.nClasses <= 1 + MAX_AUX_CLASSIFIERS:
        why = ("this looks like main and auxiliary classifiers side by side (imagenet-multiGPU's googlenet.lua; "
               "its train.lua weights the extra losses by model.auxWeights), which enet-port does not train")
    raise SpecError(getattr(spec, "path", spec), "", f"the model gives {format_shape(shape)} values per image, but "
                                                     f"-nClasses is {opt.nClasses}: {why}")


def prepare_model(spec, opt, dev, state=None, world=World(), can_reset=True):
    """createModel, then -retrain's weights (``state``: a loaded model_N.pt, else the file is
    read here), on the device; with several processes, in DistributedDataParallel.
    ``can_reset``: the command takes --reset-classifier (train does, test does not)."""
    torch.manual_seed(opt.manualSeed)
    check_classes(spec, opt)
    model = build(spec, classes=opt.nClasses, input_shape=(3, opt.cropSize, opt.cropSize))
    if opt.retrain:
        state = state or load_retrain(opt.retrain, opt.cropSize)
        checkpoints.load_state_into(model, state, opt.retrain, opt.reset_classifier, can_reset)
    model.to(dev.device)
    if dev.channels_last:
        model.to(memory_format=torch.channels_last)
    if opt.compile:
        model.compile()  # in place: the state_dict keys stay those of the spec
    return wrap(model, world, dev, opt.sync_bn)

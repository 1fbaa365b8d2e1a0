"""``--pipeline lua|fb``: which trainer's data pipeline feeds the network.

``lua``: imagenet-multiGPU.torch ``donkey.lua`` (estimated mean/std, scale + random crop + flip,
class-balanced draws). ``fb``: fb.resnet.torch ``datasets/imagenet.lua`` (ImageNet constants,
RandomSizedCrop, ColorJitter, Lighting, flip; each epoch a permutation of the training set).
"""
from . import donkey, fb_transforms
from ..errors import DataError


def meanstd_constants(opt):
    """The pipeline's fixed mean/std, or None when it estimates them from the data (Lua)."""
    return (fb_transforms.MEAN, fb_transforms.STD) if opt.pipeline == "fb" else None


def transform(opt, meanstd):
    if opt.pipeline == "fb":
        if opt.gpu_decode:
            raise DataError("--gpu-decode", "works with --pipeline lua only (fb's colour jitter runs in the donkeys)")
        return fb_transforms.FbTransform(opt.imageSize, opt.cropSize, *meanstd)
    return donkey.Transform(opt.imageSize, opt.cropSize, *meanstd)


def train_sampler(opt, groups, n_images, epoch, count):
    """``count`` draws for one epoch: class-balanced (lua) or a permutation (fb)."""
    if opt.pipeline == "fb":
        return fb_transforms.PermutationSampler(n_images, opt.manualSeed, epoch, count)
    return donkey.ClassBalancedSampler(groups, count, opt.manualSeed, epoch)

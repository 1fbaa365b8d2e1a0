"""``enet-port bench -data DIR``: the data path's speed on real JPEGs.

No Lua counterpart. Per core, on the same files in the same order, in the main process with one
torch thread: the donkeys (decode, scale, Lua crop, flip, uint8 batch; the normalisation runs
on the training device, not in a donkey) against the standard torchvision loader (PIL, ``Resize``,
``RandomCrop``, ``RandomHorizontalFlip``, ``ToTensor``, ``Normalize``). And batches of real
JPEGs through -nDonkeys workers (:class:`RealJpegs`) for :func:`~enet_port.train.bench.bench_model`'s training speed.
"""
import time

import torch
from torchvision import transforms as T
from torchvision.datasets.folder import default_loader

from . import dataset, donkey, feed

MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)  # the speed does not depend on the values


def image_size(crop):
    """imageSize for a crop: 256 for 224, as opts.lua."""
    return round(crop * 256 / 224)


class TorchvisionSet(torch.utils.data.Dataset):
    """The standard torchvision ImageNet training loader, keyed like :class:`donkey.TrainSet`."""

    def __init__(self, items, crop):
        self.items = items
        self.transform = T.Compose([T.Resize(image_size(crop)), T.RandomCrop(crop), T.RandomHorizontalFlip(),
                                    T.ToTensor(), T.Normalize(MEAN, STD)])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, key):
        path, label = self.items[key[0]]
        return self.transform(default_loader(path)), label


def bench_loaders(root, cache, crop, batch_size, n_images, rounds=4):
    """Images per second on one core, donkeys and torchvision, on the same ``n_images`` draws;
    in ``rounds`` alternating parts, so that a machine whose load drifts favours neither."""
    index = dataset.load_index(root, cache)
    groups = dataset.by_class(index["train"], len(index["classes"]))
    keys = list(donkey.ClassBalancedSampler(groups, n_images, 0, 1))
    ours = donkey.TrainSet(index["train"], groups, donkey.Transform(image_size(crop), crop, MEAN, STD))
    standard = TorchvisionSet(index["train"], crop)
    # no pinning: in training the main process pins (DataLoader's pin thread), not a donkey, and
    # the torchvision loader pins nothing either
    loaders = {"donkey": lambda part: donkey.loader(ours, batch_size, 0, part, pin_memory=False),
               "torchvision": lambda part: torch.utils.data.DataLoader(standard, batch_size=batch_size, sampler=part)}
    seconds, seen = dict.fromkeys(loaders, 0.0), dict.fromkeys(loaders, 0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for r in range(rounds):
            for name, make in loaders.items():
                start = time.perf_counter()
                seen[name] += sum(0 if x is None else len(x) for x, *_ in make(keys[r::rounds]))
                seconds[name] += time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    ips = {name: seen[name] / seconds[name] for name in loaders}
    return {"data": str(root), "loader_images": n_images, "donkey_images_per_s_per_core": ips["donkey"],
            "torchvision_images_per_s_per_core": ips["torchvision"],
            "donkey_to_torchvision_ratio": ips["donkey"] / ips["torchvision"]}


class RealJpegs:
    """``count`` batches of real JPEGs on ``dev``, normalised, as training gets them
    (class-balanced draws, ``workers`` donkeys, the CUDA prefetcher)."""

    def __init__(self, root, cache, crop, batch_size, workers, dev, gpu_decode=False):
        index = dataset.load_index(root, cache)
        self.groups = dataset.by_class(index["train"], len(index["classes"]))
        transform = donkey.Transform(image_size(crop), crop, MEAN, STD)
        self.train_set = donkey.TrainSet(index["train"], self.groups, transform, gpu_decode=gpu_decode)
        self.normalise = feed.normaliser(transform, dev.device)
        self.batch_size, self.workers, self.dev = batch_size, workers, dev

    def __call__(self, count):
        sampler = donkey.ClassBalancedSampler(self.groups, count * self.batch_size, 0, 1)
        return feed.DeviceFeed(donkey.loader(self.train_set, self.batch_size, self.workers, sampler), self.dev,
                               self.normalise)

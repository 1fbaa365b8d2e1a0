"""The file index held in arrays: ``dataset.lua``'s ``imagePath``/``imageClass`` tensors.

Lua kept the 1.28M ImageNet paths in one ``torch.CharTensor`` (a row per file) and the labels in
a ``LongTensor``, so its donkey threads shared them. A Python list of ``[path, label]`` pairs is
2.5M objects: every forked data-loading worker touches their reference counts (and the garbage
collector their headers) and so copies the pages, process by process. Here the paths are one
bytes blob with offsets and the labels an int array, a handful of objects that reading never
writes to (BENCHMARKS.md has the figures).
"""
import os

import numpy as np


class FileList:
    """A read-only sequence of ``(path, label)``; ``labels`` is an int32 array."""

    def __init__(self, blob, offsets, labels):
        self.blob, self.offsets, self.labels = blob, offsets, labels

    @classmethod
    def from_items(cls, items):
        # file names are bytes on POSIX: os.fsencode keeps ones that are not UTF-8
        encoded = [os.fsencode(path) for path, _ in items]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        labels = np.fromiter((label for _, label in items), dtype=np.int32, count=len(encoded))
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets, labels)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i = int(i) % len(self)
        path = os.fsdecode(self.blob[self.offsets[i]:self.offsets[i + 1]].tobytes())
        return path, int(self.labels[i])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def by_class(self, n_classes):
        """The image indices of each class, in index order (int64 arrays)."""
        order = np.argsort(self.labels, kind="stable")
        bounds = np.searchsorted(self.labels[order], np.arange(1, n_classes))
        return np.split(order, bounds)

"""Decoders and resizers on the same JPEGs, one thread: time per image and pixels against PIL.

    python scripts/measure_decoders.py ../shared/data/imagenette-mini [--size 500x375]

``--size`` re-encodes each photo at that size first (ImageNet's typical 500x375), in a temporary
folder, so that the scaling step shrinks as it does on ImageNet. The figures go to NOTES.md.
"""
import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.io import decode_jpeg
from torchvision.transforms.v2 import functional as TF


def files_bytes(root, size):
    paths = sorted(Path(root).glob("train/*/*.JPEG"))[:300]
    out = []
    for p in paths:
        data = p.read_bytes()
        if size:
            buffer = io.BytesIO()
            Image.open(io.BytesIO(data)).convert("RGB").resize(size, Image.BICUBIC).save(buffer, "JPEG", quality=90)
            data = buffer.getvalue()
        out.append(data)
    return out


def pil_decode(data):
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def pil_draft(data, short):
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", _draft_size(image.size, short))
        return np.asarray(image.convert("RGB"))


def _draft_size(size, short):
    w, h = size
    return (short, int(h * short / w)) if w <= h else (int(w * short / h), short)


def tv_decode(data):
    return decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8)).permute(1, 2, 0).numpy()


def simplejpeg_decode(data):
    import simplejpeg
    return simplejpeg.decode_jpeg(data, colorspace="RGB")


def pil_resize(hwc, size):
    return np.asarray(Image.fromarray(hwc).resize(size, Image.BILINEAR))


def tv_resize(hwc, size):
    chw = torch.from_numpy(hwc).permute(2, 0, 1)
    return TF.resize(chw, [size[1], size[0]], antialias=True).permute(1, 2, 0).numpy()


def timed(fn, items):
    start = time.perf_counter()
    out = [fn(x) for x in items]
    return (time.perf_counter() - start) / len(items) * 1e3, out


def diff(a, b):
    d = [np.abs(x.astype(np.int16) - y.astype(np.int16)) for x, y in zip(a, b)]
    return int(max(x.max() for x in d)), float(np.mean([x.mean() for x in d])), \
        float(np.mean([(x > 0).mean() for x in d]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--size", default=None)
    parser.add_argument("--short", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    size = tuple(int(v) for v in args.size.split("x")) if args.size else None
    data = files_bytes(args.root, size)
    print(f"{len(data)} JPEGs, {'as stored' if not size else args.size}, short side -> {args.short}")
    ms_pil, ref = timed(pil_decode, data)
    rows = [("PIL decode", ms_pil, None)]
    for name, fn in (("torchvision.io.decode_jpeg", tv_decode), ("simplejpeg", simplejpeg_decode)):
        try:
            ms, got = timed(fn, data)
            rows.append((name, ms, diff(got, ref)))
        except ImportError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
    ms, got = timed(lambda d: pil_draft(d, args.short), data)
    rows.append(("PIL draft (then no diff: sizes differ when it applies)", ms, None))
    targets = [_draft_size((x.shape[1], x.shape[0]), args.short) for x in ref]
    ms_pr, pil_scaled = timed(lambda i: pil_resize(ref[i], targets[i]), range(len(ref)))
    ms_tr, tv_scaled = timed(lambda i: tv_resize(ref[i], targets[i]), range(len(ref)))
    rows += [("PIL bilinear resize", ms_pr, None), ("torchvision uint8 resize (antialias)", ms_tr,
                                                    diff(tv_scaled, pil_scaled))]
    for name, ms, d in rows:
        extra = f"  max {d[0]}, mean {d[1]:.4f}, differing {100 * d[2]:.2f}% (vs PIL)" if d else ""
        print(f"{name:>40}: {ms:7.3f} ms/image{extra}")


if __name__ == "__main__":
    main()

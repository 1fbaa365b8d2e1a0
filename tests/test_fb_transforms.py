"""fb.resnet.torch's transforms on crafted images, against the formulas of transforms.lua,
imagenet.lua, torch/image's scaleCubic_rowcol and TH's random functions (worked out here, not
taken from our output)."""
import math
import random

import pytest
import torch
from PIL import Image

from enet_port.data import fb_transforms as fb

# imagenet.lua
LUA_MEAN, LUA_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
LUA_EIGVAL = (0.2175, 0.0188, 0.0045)
LUA_EIGVEC = ((-0.5675, 0.7192, 0.4009), (-0.5808, -0.0045, -0.8140), (-0.5836, -0.6948, 0.4203))


class Script:
    """An rng that answers from a script and checks that the calls come in the scripted order."""

    def __init__(self, *steps):
        self.steps, self.calls = list(steps), []

    def _next(self, name, *args):
        self.calls.append((name, args))
        assert self.steps, f"unscripted call {name}{args}"
        want, value = self.steps.pop(0)
        assert want == name, f"call {len(self.calls)}: {name}{args}, script says {want}"
        return value

    def uniform(self, a, b):
        return a + (b - a) * self._next("uniform", a, b)  # torch.uniform: u * (b - a) + a

    def random(self):
        return self._next("random")

    def getrandbits(self, k):
        assert k == 32  # THRandom_random: one 32-bit Mersenne Twister output
        return self._next("getrandbits")

    def gauss(self, mu, sigma):
        assert (mu, sigma) == (0, 0.1)
        return self._next("gauss")


def coords(h, w):
    """Channel 0 holds x, channel 1 holds y, channel 2 is 0.5 (0-based pixel coordinates)."""
    x = torch.arange(w, dtype=torch.float32).expand(h, w)
    y = torch.arange(h, dtype=torch.float32).view(h, 1).expand(h, w)
    return torch.stack([x, y, torch.full((h, w), 0.5)])


def c_round(x):
    return math.floor(x + 0.5)  # C round() for the positive values used here


def test_torch_round_takes_halves_away_from_zero():
    assert [fb.torch_round(v) for v in (0.5, 1.5, 2.5, 2.4999, -2.5)] == [1, 2, 3, 2, -3]


def test_scale_sizes_follow_lua_arithmetic():
    # Scale: image.scale(input, size, h/w * size): (h/w)*size, truncated by the tensor constructor
    assert fb.scale_size(7, 61, 224) == (224, int((61 / 7) * 224)) == (224, 1951)  # 61*224/7 would give 1952
    assert fb.scale_size(61, 7, 224) == (1951, 224)
    assert fb.scale_size(500, 375, 256) == (341, 256) and fb.scale_size(375, 375, 256) == (256, 256)
    img = torch.rand(3, 256, 300)
    assert fb.scale(img, 256) is img  # the smaller edge is already the size: untouched
    assert fb.scale(torch.rand(3, 61, 7), 224).shape == (3, 1951, 224)


def cubic_reference(row, dst_len):
    """scaleCubic_rowcol of generic/image.c, written out for one row of Python floats."""
    n = len(row)
    scale = (n - 1) / (dst_len - 1)
    out = []
    for di in range(dst_len - 1):
        si = di * scale
        i, t = int(si), si - int(si)
        p1, p2 = row[i], row[i + 1]
        p0 = row[i - 1] if i > 0 else 2 * p1 - p2
        p3 = row[i + 2] if i + 2 < n else 2 * p2 - p1
        a1, a2, a3 = p2 - p0, 2 * p0 - 5 * p1 + 4 * p2 - p3, 3 * (p1 - p2) + p3 - p0
        out.append(p1 + 0.5 * t * (a1 + t * (a2 + t * a3)))
    return out + [row[-1]]


def test_bicubic_is_torch_images_catmull_rom_with_aligned_corners():
    row = [0.0, 1.0, 0.0, 0.0, 0.5]
    img = torch.tensor(row).expand(3, 2, 5).contiguous()
    got = fb.scale_bicubic(img, 9, 2)
    assert got[1, 1].tolist() == pytest.approx(cubic_reference(row, 9), abs=1e-6)
    assert got[0, 0, 1].item() == pytest.approx(0.625)  # at 0.5: p0 = 2*0 - 1, a1 = 2, a2 = 2, a3 = -2
    assert got[0, 0, 5].item() == -0.09375  # at 2.5: a1 = -1, a2 = 1.5, a3 = -0.5; not clamped to [0, 1]
    # shrinking samples (no area average): 8 -> 3 reads positions 0, 3.5, 7
    ramp = [float(v * v) for v in range(8)]
    small = fb.scale_bicubic(torch.tensor(ramp).view(1, 1, 8).expand(3, 1, 8), 3, 1)
    assert small[0, 0].tolist() == pytest.approx(cubic_reference(ramp, 3), abs=1e-5)
    assert small[0, 0, 1].item() == pytest.approx(3.5 ** 2, abs=1e-5)  # a cubic is exact on a square
    # columns too, and a linear ramp comes through exactly (also at the extrapolated edges)
    tall = fb.scale_bicubic(coords(10, 4), 4, 19)
    assert tall[1, :, 0].tolist() == pytest.approx([i / 2 for i in range(19)], abs=1e-5)


def test_center_crop_offsets_are_ceil_of_half():
    out = fb.center_crop(coords(300, 257), 224)
    assert out.shape == (3, 224, 224)
    assert out[0, 0, 0].item() == math.ceil((257 - 224) / 2) == 17
    assert out[1, 0, 0].item() == math.ceil((300 - 224) / 2) == 38


def lua_random_sized_crop_geometry(h_in, w_in, rng):
    """transforms.lua RandomSizedCrop's draws and arithmetic, replayed: (x1, y1, w, h) or None."""
    for _ in range(10):
        area = rng.uniform(0.08, 1.0) * h_in * w_in
        ratio = rng.uniform(3 / 4, 4 / 3)
        w, h = c_round(math.sqrt(area * ratio)), c_round(math.sqrt(area / ratio))
        if rng.uniform(0, 1) < 0.5:
            w, h = h, w
        if h <= h_in and w <= w_in:  # torch.random(0, n): THRandom_random() % (n + 1)
            y1 = rng.getrandbits(32) % (h_in - h + 1)
            x1 = rng.getrandbits(32) % (w_in - w + 1)
            return x1, y1, w, h
    return None


@pytest.mark.parametrize("seed", range(6))
def test_random_sized_crop_geometry_replays_the_lua_draws(seed):
    h_in, w_in = 180, 260
    x1, y1, w, h = lua_random_sized_crop_geometry(h_in, w_in, random.Random(seed))
    rng = random.Random(seed)
    out = fb.random_sized_crop(coords(h_in, w_in), 32, rng)
    assert out.shape == (3, 32, 32)
    # the crop's ramps, scaled with aligned corners: first and last pixel are the crop's corners
    assert out[0, 0, 0].item() == pytest.approx(x1, abs=1e-3) and out[0, 0, -1].item() == pytest.approx(x1 + w - 1, abs=1e-3)
    assert out[1, 0, 0].item() == pytest.approx(y1, abs=1e-3) and out[1, -1, 0].item() == pytest.approx(y1 + h - 1, abs=1e-3)
    replay = random.Random(seed)
    lua_random_sized_crop_geometry(h_in, w_in, replay)
    assert rng.random() == replay.random()  # the same number of draws was taken


def test_random_sized_crop_swaps_w_and_h_when_uniform_is_below_half():
    # transforms.lua: area 0.5 * 100 * 100, ratio 1.2: w = round(sqrt(5000 * 1.2)) = round(77.46) = 77,
    # h = round(sqrt(5000 / 1.2)) = round(64.55) = 65
    steps = [("uniform", (0.5 - 0.08) / 0.92), ("uniform", (1.2 - 0.75) / (4 / 3 - 0.75))]
    out = fb.random_sized_crop(coords(100, 100), 16, Script(*steps, ("random", 0.3), ("getrandbits", 0),
                                                            ("getrandbits", 0)))
    assert out[0, 0, -1].item() == pytest.approx(64, abs=1e-3) and out[1, -1, 0].item() == pytest.approx(76, abs=1e-3)
    out = fb.random_sized_crop(coords(100, 100), 16, Script(*steps, ("random", 0.7), ("getrandbits", 1000),
                                                            ("getrandbits", 0)))
    assert out[0, 0, -1].item() == pytest.approx(76, abs=1e-3)
    # y1 = torch.random(0, 100 - 65): THRandom_random() % 36 = 1000 % 36
    assert out[1, 0, 0].item() == pytest.approx(1000 % 36, abs=1e-3)


def test_random_sized_crop_falls_back_after_ten_misses():
    img = coords(20, 1000)  # no area >= 8% fits 20 rows
    rng = Script(*[("uniform", 0.5), ("uniform", 0.5), ("random", 0.9)] * 10)
    out = fb.random_sized_crop(img, 16, rng)
    assert len(rng.calls) == 30 and not rng.steps
    # Scale(16): 1000/20*16 = 800 wide, then the centre crop at ceil((800 - 16) / 2) = 392
    expected = fb.scale_bicubic(img, 800, 16)[:, :, 392:408]
    assert torch.equal(out, expected)


def test_randperm_is_th_swap_loop():
    # n = 3, bits 5, 7: i=0 swaps 0 with 0 + 5 % 3 = 2 -> [2,1,0]; i=1 swaps 1 with 1 + 7 % 2 = 2 -> [2,0,1]
    assert fb.randperm(3, Script(("getrandbits", 5), ("getrandbits", 7))) == [2, 0, 1]
    assert sorted(fb.randperm(50, random.Random(3))) == list(range(50))


def test_color_jitter_blends_in_randperm_order():
    img = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(0))
    # randperm -> [2, 0, 1]: Saturation, then Brightness, then Contrast; alpha = 1 + U(-0.4, 0.4)
    u = (0.25, 0.9, 0.1)
    alphas = [1 + (-0.4 + 0.8 * v) for v in u]
    rng = Script(("getrandbits", 5), ("getrandbits", 7), *[("uniform", v) for v in u])
    got = fb.color_jitter(img, rng)
    assert [c[1] for c in rng.calls if c[0] == "uniform"] == [(-0.4, 0.4)] * 3
    grey = 0.299 * img[0] + 0.587 * img[1] + 0.114 * img[2]
    x = img * alphas[0] + (1 - alphas[0]) * grey                 # Saturation: blend with greyscale
    x = x * alphas[1]                                             # Brightness: blend with black
    mean = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).mean()
    x = x * alphas[2] + (1 - alphas[2]) * mean                    # Contrast: blend with the grey mean
    assert torch.allclose(got, x, atol=1e-6)
    assert fb.color_jitter(img, Script(), 0, 0, 0) is img  # no transform, no draw


def test_lighting_adds_eigvec_times_alpha_eigval():
    alpha = (0.05, -0.2, 0.13)
    img = torch.full((3, 4, 4), 0.5)
    got = fb.lighting(img, Script(*[("gauss", a) for a in alpha]))
    rgb = [sum(LUA_EIGVEC[i][j] * alpha[j] * LUA_EIGVAL[j] for j in range(3)) for i in range(3)]
    for c in range(3):
        assert torch.allclose(got[c], torch.full((4, 4), 0.5 + rgb[c]), atol=1e-7)


def test_gauss_is_th_normal():
    # THRandom_normal: x, y uniform; rho = sqrt(-2 log(1 - y)); rho cos(2 pi x), then rho sin(2 pi x)
    uniforms = random.Random(11)
    draws = []
    for _ in range(2):
        x, y = uniforms.random(), uniforms.random()
        rho = math.sqrt(-2 * math.log(1 - y))
        draws += [rho * math.cos(2 * math.pi * x) * 0.1, rho * math.sin(2 * math.pi * x) * 0.1]
    rng = random.Random(11)
    assert [rng.gauss(0, 0.1) for _ in range(4)] == pytest.approx(draws, rel=1e-12)


def test_flip_when_uniform_below_half_and_normalise_constants():
    img = coords(4, 6)
    assert torch.equal(fb.horizontal_flip(img, Script(("random", 0.49))), img.flip(2))
    assert fb.horizontal_flip(img, Script(("random", 0.5))) is img
    grey = fb.color_normalize(torch.full((3, 2, 2), 0.5))
    assert grey[:, 0, 0].tolist() == pytest.approx([(0.5 - m) / s for m, s in zip(LUA_MEAN, LUA_STD)], rel=1e-6)


def test_train_draws_in_lua_order_and_test_is_scale_then_centre_crop():
    image = Image.new("RGB", (40, 30), (128, 64, 32))
    rng = Script(("uniform", 0.5), ("uniform", 0.5), ("random", 0.9), ("getrandbits", 3), ("getrandbits", 3),
                 ("getrandbits", 0), ("getrandbits", 0), ("uniform", 0.5), ("uniform", 0.5), ("uniform", 0.5),
                 ("gauss", 0.0), ("gauss", 0.0), ("gauss", 0.0), ("random", 0.9))
    out = fb.FbTransform(36, 24).train(image, rng, "x.jpg")
    assert not rng.steps and out.shape == (3, 24, 24)
    # alpha 1, no lighting, no flip: a flat colour stays itself, then (x - mean) / std
    expected = [(v / 255 - m) / s for v, m, s in zip((128, 64, 32), LUA_MEAN, LUA_STD)]
    assert out[:, 5, 5].tolist() == pytest.approx(expected, abs=1e-5)
    val = fb.FbTransform().test(Image.new("RGB", (400, 300), (128, 64, 32)))
    assert val.shape == (3, 224, 224) and val[:, 0, 0].tolist() == pytest.approx(expected, abs=1e-5)


def test_tiny_images_are_bad_images():
    from enet_port.data.donkey import BadImage
    with pytest.raises(BadImage, match="tiny.png"):
        fb.FbTransform().train(Image.new("RGB", (3, 3)), random.Random(0), "tiny.png")


def test_permutation_sampler_visits_every_image_once_per_epoch():
    first = [i for i, _ in fb.PermutationSampler(40, seed=2, epoch=1)]
    assert sorted(first) == list(range(40))
    assert first == [i for i, _ in fb.PermutationSampler(40, seed=2, epoch=1)]
    assert first != [i for i, _ in fb.PermutationSampler(40, seed=2, epoch=2)]

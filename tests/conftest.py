"""Shared test helpers: the spec list that tests are generated from, and the sample data."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("specs/*.json"))
SPEC_IDS = [p.stem for p in SPECS]
IMAGENETTE = ROOT.parent / "shared" / "data" / "imagenette-mini"


def spec_json(path):
    return json.loads(Path(path).read_text())


def is_enet(path):
    return spec_json(path)["name"].startswith("enet")


@pytest.fixture
def imagenette():
    if not (IMAGENETTE / "train").is_dir():
        pytest.skip(f"sample data not found at {IMAGENETTE} (the shared/ folder beside the checkout)")
    return IMAGENETTE


def copy_torchvision_weights(ours, theirs):
    """Give torchvision's model BN statistics that are not the identity, then copy every conv,
    BN and Linear tensor into ours, module by module in order; returns the pairs copied."""
    import torch
    kinds = (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.Linear)
    pairs = list(zip(*([m for m in model.modules() if isinstance(m, kinds)] for model in (ours, theirs))))
    with torch.no_grad():
        for mine, tv in pairs:
            assert type(tv) in type(mine).__mro__
            if isinstance(tv, torch.nn.BatchNorm2d):
                tv.running_mean.normal_(0, 0.1)
                tv.running_var.uniform_(0.5, 1.5)
                tv.weight.uniform_(0.5, 1.5)
                tv.bias.normal_(0, 0.1)
            for key, value in tv.state_dict().items():
                getattr(mine, key).copy_(value)
    return pairs

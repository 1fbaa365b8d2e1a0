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

"""Shared fixtures: the ../shared data (skipped with a reason when absent) and built gazetteers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("INCIDENTMAP_SHARED", ROOT.parent / "shared"))
WOF_ARCHIVE = SHARED / "gazetteer" / "whosonfirst-data-admin-sy-master.tar.gz"
OSY_ARCHIVE = SHARED / "gazetteer" / "open-syria-data-geography-main.tar.gz"
SEED = ROOT / "articles" / "000_ab807f8b2d3e6b71.txt"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs {path} (the ../shared data set), which is absent on this machine")
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Tests never touch the user's data directory."""
    monkeypatch.setenv("INCIDENTMAP_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def real_gazetteer_path(tmp_path_factory) -> Path:
    """A gazetteer built from the real shared archives (once per test session)."""
    need(WOF_ARCHIVE)
    need(OSY_ARCHIVE)
    from geodata.build import build

    out = tmp_path_factory.mktemp("gaz") / "gazetteer.sqlite"
    report = build([str(WOF_ARCHIVE), str(OSY_ARCHIVE)], out=out, show_progress=False)
    assert report.counts.get("locality", 0) > 10_000
    return out


@pytest.fixture(scope="session")
def real_gazetteer(real_gazetteer_path):
    from geodata.gazetteer import Gazetteer

    return Gazetteer.load(real_gazetteer_path)


@pytest.fixture(scope="session")
def geoparser(real_gazetteer):
    from geodata.geoparser import Geoparser

    return Geoparser(gazetteer=real_gazetteer)


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")

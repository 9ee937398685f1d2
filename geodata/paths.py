"""Where generated state lives: one data directory for the gazetteer index, caches and the store.

`INCIDENTMAP_HOME` when set, else the per-user data directory (e.g. ~/.local/share/incidentmap).
"""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """The data directory, created on first use."""
    env = os.environ.get("INCIDENTMAP_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        from platformdirs import user_data_dir

        home = Path(user_data_dir("incidentmap", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home


def default_gazetteer_path() -> Path:
    return data_home() / "gazetteer.sqlite"


def default_downloads_dir() -> Path:
    """Upstream archives: `geodata/downloads/` in a source checkout, else under the data home."""
    here = Path(__file__).resolve().parent
    if (here.parent / "pyproject.toml").exists():
        return here / "downloads"
    return data_home() / "downloads"

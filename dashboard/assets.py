"""Offline map assets: Leaflet, Leaflet.markercluster and jQuery served by the app itself.

folium loads its JS/CSS from CDNs; offline (in the field, in CI) the map would never appear. The
files come from the XStatic packages on PyPI and are copied at start-up into `static/vendor/`
(kept out of git), which Streamlit serves at `/app/static/vendor/` (`server.enableStaticServing`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"
URL = "/app/static/vendor"
FILES = {  # our name -> (xstatic package module, file inside its data folder)
    "leaflet.js": ("xstatic.pkg.leaflet", "leaflet.js"),
    "leaflet.css": ("xstatic.pkg.leaflet", "leaflet.css"),
    "leaflet.markercluster.js": ("xstatic.pkg.leaflet_markercluster", "leaflet.markercluster.js"),
    "MarkerCluster.css": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
    "MarkerCluster.Default.css": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.Default.css"),
    "jquery.min.js": ("xstatic.pkg.jquery", "jquery.min.js"),
}


def install_assets() -> Path:
    """Copy the vendor files next to the app (idempotent); returns the folder."""
    import importlib

    VENDOR.mkdir(parents=True, exist_ok=True)
    for name, (module, fname) in FILES.items():
        target = VENDOR / name
        if target.exists():
            continue
        mod = importlib.import_module(module)
        shutil.copyfile(Path(mod.BASE_DIR) / fname, target)
    images = VENDOR / "images"
    if not images.exists():
        mod = importlib.import_module("xstatic.pkg.leaflet")
        src = Path(mod.BASE_DIR) / "images"
        if src.is_dir():
            shutil.copytree(src, images)
    return VENDOR


def js(name: str) -> str:
    return f"{URL}/{name}"


MAP_JS = [("leaflet", js("leaflet.js")), ("jquery", js("jquery.min.js"))]
MAP_CSS = [("leaflet_css", js("leaflet.css"))]
CLUSTER_JS = [("markerclusterjs", js("leaflet.markercluster.js"))]
CLUSTER_CSS = [("markerclustercss", js("MarkerCluster.css")),
               ("markerclusterdefaultcss", js("MarkerCluster.Default.css"))]


def static_json(name: str, data) -> str:
    """Write `data` as a static JSON file the browser can fetch (once per name: put a version in
    it); returns its URL."""
    import json

    target = VENDOR / name
    if not target.exists():
        VENDOR.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        tmp.replace(target)
    return f"{URL}/{name}"

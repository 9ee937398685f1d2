"""Benchmark: build the gazetteer from the shared archives, then load it into the geoparser.

    .venv/bin/python bench/bench_gazetteer.py [--shared ../shared]
Targets: build < 60 s, geocoder load < 2 s.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    args = ap.parse_args()
    gz = Path(args.shared) / "gazetteer"
    sources = [str(p) for p in sorted(gz.glob("*.tar.gz"))]
    if not sources:
        print(f"no archives in {gz}", file=sys.stderr)
        return 1
    from geodata.build import build
    from geodata.geoparser import Geoparser

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gazetteer.sqlite"
        t = time.perf_counter()
        report = build(sources, out=out, show_progress=False)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        gp = Geoparser(path=out)
        load_s = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"build: {build_s:.1f} s  ({report.counts})")
        print(f"index size: {out.stat().st_size / 1e6:.1f} MB")
        print(f"geoparser load: {load_s:.2f} s  (peak RSS of the process {rss:.0f} MB)")
        assert gp.gazetteer.places
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: ingest all of FA-KES (804 English articles) and import the whole ACLED file.

    .venv/bin/python bench/bench_ingest.py [--shared ../shared] [--gazetteer PATH]
Reports wall time and peak RSS for each step, into a fresh temporary store.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--gazetteer")
    args = ap.parse_args()
    shared = Path(args.shared)
    from geodata.geoparser import Geoparser
    from incidents.acled import read_acled
    from incidents.ingest import ingest_paths
    from incidents.store import Store

    gp = Geoparser(path=args.gazetteer)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "db.sqlite")
        t = time.perf_counter()
        s = ingest_paths([str(shared / "eval/fa-kes/FA-KES-Dataset.csv")], store, gp, show_progress=False)
        secs = time.perf_counter() - t
        print(f"FA-KES ingest: {s.articles} articles, {s.incidents} incidents, {len(s.errors)} errors in {secs:.1f} s "
              f"({s.articles / secs:.0f} articles/s); peak RSS {rss_mb():.0f} MB")
        t = time.perf_counter()
        rows = [r for r in read_acled(str(shared / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv"),
                                      gp.gazetteer) if not isinstance(r, str)]
        store.save_rows("acled:bench", {"title": "ACLED", "origin": "acled"}, rows)
        secs = time.perf_counter() - t
        print(f"ACLED import: {len(rows)} incidents in {secs:.1f} s; peak RSS {rss_mb():.0f} MB; "
              f"store {store.path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

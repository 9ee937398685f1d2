"""Bench the situation report (issue 22): time to render the HTML and the PDF of N incidents, and
time for the HTML to open in Chromium (from navigation until the map has drawn its markers) with
every network request blocked.

    python bench/bench_report.py                    # 1,000 and 20,000 incidents
    python bench/bench_report.py --db STORE --sizes 1000 20000 --lang ar [--gazetteer PATH]

The incidents are the newest N of a store: by default one made in a temporary folder from the ACLED
export in ../shared (23,348 rows) plus the bundled article; `--db` to use your own (it needs at
least the largest size). The gazetteer ($INCIDENTMAP_HOME) gives the outlines and town names.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = os.environ.get("INCIDENTMAP_CHROMIUM", "/usr/bin/chromium")


def make_store(shared: Path, tmp: Path) -> Path:
    db = tmp / "bench.sqlite"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    acled = shared / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv"
    for cmd in (["ingest", str(ROOT / "articles"), "--quiet"], ["import-acled", str(acled)]):
        subprocess.run([sys.executable, "-m", "incidents.cli", *cmd, "--db", str(db)], env=env, check=True,
                       capture_output=True)
    return db


def open_time(path: Path) -> float:
    """Seconds from navigation until the report's map has added its markers, network blocked."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                               "--disable-background-networking", "--no-first-run"])
        page = b.new_page(viewport={"width": 1300, "height": 900})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        t = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_selector("body[data-map-ready]", timeout=120_000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # painted
        took = time.perf_counter() - t
        b.close()
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="a store with at least max(--sizes) incidents")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    ap.add_argument("--lang", default="en", choices=("en", "ar"))
    ap.add_argument("--keep", metavar="DIR", help="keep the reports in DIR")
    ap.add_argument("--gazetteer", help="gazetteer index (outlines, town names; default: $INCIDENTMAP_HOME's)")
    args = ap.parse_args()

    from incidents.present import admin_shapes, load_gazetteer, place_labels
    from incidents.report import render_html, render_pdf
    from incidents.store import Store

    from geodata.paths import default_gazetteer_path

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.db and not (Path(args.shared) / "eval/acled").is_dir():
            print(f"needs --db STORE, or the ACLED export under {args.shared}/eval/acled", file=sys.stderr)
            return 2
        db = Path(args.db) if args.db else make_store(Path(args.shared), tmp)
        every = list(Store(db, readonly=True).incidents())
        gaz = load_gazetteer(args.gazetteer or default_gazetteer_path())
        shapes, labels = admin_shapes(gaz), place_labels(gaz)
        out_dir = Path(args.keep) if args.keep else tmp
        out_dir.mkdir(parents=True, exist_ok=True)
        print(f"store {db}: {len(every)} incidents; gazetteer {'yes' if gaz else 'none'}; lang {args.lang}")
        t = time.perf_counter()  # the first report of a process also starts the chart engine and parses the fonts
        render_html(every[:20], lang=args.lang, shapes=shapes, labels=labels)
        render_pdf(every[:20], tmp / "warm.pdf", lang=args.lang, shapes=shapes, labels=labels)
        print(f"first report of the process (20 incidents, HTML + PDF, start-up included): "
              f"{time.perf_counter() - t:.1f} s")
        print("| incidents | events | HTML render | HTML size | HTML open in Chromium | PDF render | PDF pages | PDF size |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in args.sizes:
            if n > len(every):
                print(f"| {n} | (the store has only {len(every)}) |")
                continue
            rows = every[-n:]  # the newest n
            from incidents.report import group_events

            events = len(group_events(rows))
            t = time.perf_counter()
            html = render_html(rows, lang=args.lang, shapes=shapes, labels=labels)
            t_html = time.perf_counter() - t
            hp = out_dir / f"report-{n}.html"
            hp.write_text(html, encoding="utf-8")
            t_open = open_time(hp)
            pp = out_dir / f"report-{n}.pdf"
            t = time.perf_counter()
            render_pdf(rows, pp, lang=args.lang, shapes=shapes, labels=labels)
            t_pdf = time.perf_counter() - t
            info = subprocess.run(["pdfinfo", str(pp)], capture_output=True, text=True).stdout
            pages = next((ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")), "?")
            print(f"| {n:,} | {events:,} | {t_html:.1f} s | {hp.stat().st_size / 1e6:.1f} MB | {t_open:.1f} s | "
                  f"{t_pdf:.1f} s | {pages} | {pp.stat().st_size / 1e6:.1f} MB |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Print a random sample of incidents extracted from FA-KES, for hand-checking their place spans.

    INCIDENTMAP_HOME=/work/main/.data .venv/bin/python bench/bench_fakes_sample.py [--db PATH] [--n 100] [--seed 8]

Measures (by a human reading the output) how many incidents extracted from the FA-KES English
articles are placed by something that is not a place name used as a place: part of a person's
name, an organisation's name, a demonym/adjective, a function-word phrase or an ordinary word.

How: without --db, `incidentmap ingest ../shared/eval/fa-kes/FA-KES-Dataset.csv --db TMP --quiet`
is run (subprocess, same Python environment, INCIDENTMAP_HOME passed through so the built
gazetteer is used) into a fresh temporary store; with --db an existing store is read as is.
All incident rows are read sorted by rowid and `random.Random(seed).sample(rows, n)` is drawn.
For each sampled incident it prints rowid, place_text (the matched span), the resolved name_en,
feature, admin1 and precision, a check that article_text[place_start:place_end] == place_text,
and ~200 characters of the article text around the span (place_start/place_end are offsets into
the stored article text), with the span marked [[like this]]. Totals (articles, incidents) first.
Measuring only: nothing here feeds the rules.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAKES = ROOT.parent / "shared/eval/fa-kes/FA-KES-Dataset.csv"


def ingest(db: Path, csv_path: Path) -> None:
    exe = Path(sys.executable).with_name("incidentmap")
    cmd = ([str(exe)] if exe.exists() else [sys.executable, "-m", "incidents.cli"])
    cmd += ["ingest", str(csv_path), "--db", str(db), "--quiet"]
    env = dict(os.environ)
    env.setdefault("INCIDENTMAP_HOME", str(ROOT / ".data"))
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    sys.stderr.write(res.stdout + res.stderr)
    if res.returncode != 0:
        raise SystemExit(f"ingest failed ({res.returncode}): {' '.join(cmd)}")


def one_line(s: str) -> str:
    return " ".join(s.split())


def report(db: Path, n: int, seed: int, width: int) -> None:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    n_art, n_inc = con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM incidents)").fetchone()
    print(f"store: {db}")
    print(f"articles: {n_art}  incidents: {n_inc}")
    rows = [dict(r) for r in con.execute(
        "SELECT i.rowid AS rowid, i.place_text, i.name_en, i.feature, i.admin1, i.admin2, i.precision, "
        "i.place_start, i.place_end, i.sub_event_type, a.text AS text FROM incidents i "
        "JOIN articles a ON a.key = i.article_key ORDER BY i.rowid")]
    sample = random.Random(seed).sample(rows, min(n, len(rows)))
    print(f"sample: random.Random({seed}).sample(incidents sorted by rowid, {len(sample)})\n")
    for k, r in enumerate(sample, 1):
        text, s, e = r["text"] or "", r["place_start"], r["place_end"]
        span_ok = text[s:e] == r["place_text"]
        half = max(0, (width - (e - s)) // 2)
        a, b = max(0, s - half), min(len(text), e + half)
        ctx = ("…" if a else "") + one_line(text[a:s]) + " [[" + text[s:e] + "]] " + one_line(text[e:b]) \
            + ("…" if b < len(text) else "")
        print(f"#{k:3d} rowid={r['rowid']}  span={r['place_text']!r}{'' if span_ok else '  (OFFSET MISMATCH)'}")
        print(f"     -> {r['name_en']} | feature={r['feature']} | admin1={r['admin1']} | admin2={r['admin2']} "
              f"| precision={r['precision']} | event={r['sub_event_type']}")
        print(f"     {ctx}\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="reuse an existing incident store (no ingest)")
    ap.add_argument("--csv", default=str(FAKES), help="FA-KES CSV (default: %(default)s)")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--width", type=int, default=200, help="characters of context around the span")
    args = ap.parse_args()
    if args.db:
        report(Path(args.db), args.n, args.seed, args.width)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "fakes.sqlite"
        ingest(db, Path(args.csv))
        report(db, args.n, args.seed, args.width)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Team mode throughput: ingest into SQLite and into PostgreSQL/PostGIS, one writer and two at once.

Builds FA-KES ×N as two CSV halves, then times `incidentmap ingest` (each process loads the
geoparser, extracts and stores):
  - SQLite, one process, both halves;
  - PostgreSQL, one process, both halves;
  - PostgreSQL, two processes at once, one half each (two machines sharing one database);
and checks that the three stores hold the same incidents (uids and event groups).

    .venv/bin/python bench/bench_team.py --gazetteer .data/gazetteer.sqlite [--copies 2] [--pg URL]

Without --pg it starts a throwaway cluster (tests/pgcluster.py) and stops it at the end.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_extract import fakes_archive  # noqa: E402


def _ingest(files, db, gazetteer) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "incidents.cli", "ingest", *map(str, files), "--db", db,
                             "--quiet", "--gazetteer", gazetteer], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=ROOT)


def _run(procs) -> float:
    t = time.perf_counter()
    for p in procs:
        out, _ = p.communicate()
        if p.returncode:
            raise SystemExit(f"ingest failed:\n{out}")
    return time.perf_counter() - t


def _content(db):
    from incidents.store import Store

    with Store(db, readonly=True) as s:
        return sorted((r["uid"], r["event_group"]) for r in s.incidents())


def _new_db(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gazetteer", required=True)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--copies", type=int, default=2, help="FA-KES copies (804 articles each)")
    ap.add_argument("--pg", help="URL of a server's maintenance database (default: a throwaway cluster)")
    args = ap.parse_args()
    cluster = None
    if not args.pg:
        import pgcluster

        cluster = pgcluster.start()
        args.pg = cluster.url
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            whole = tmp / "all.csv"
            n = fakes_archive(Path(args.shared), args.copies, whole)
            rows = list(csv.DictReader(open(whole, encoding="utf-8")))
            halves = [tmp / "a.csv", tmp / "b.csv"]
            for path, part in zip(halves, (rows[: n // 2], rows[n // 2:])):
                with open(path, "w", encoding="utf-8", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=list(rows[0]))
                    w.writeheader()
                    w.writerows(part)
            dbs = {"sqlite, 1 process": str(tmp / "one.sqlite"),
                   "postgresql, 1 process": _new_db(args.pg, "bench_one"),
                   "postgresql, 2 processes at once": _new_db(args.pg, "bench_two")}
            for db in dbs.values():  # create the schemas outside the timings
                subprocess.run([sys.executable, "-m", "incidents.cli", "db", "upgrade", "--db", db], check=True,
                               capture_output=True, cwd=ROOT)
            times = {}
            for label, db in dbs.items():
                procs = [_ingest(halves, db, args.gazetteer)] if "1 process" in label else \
                    [_ingest([h], db, args.gazetteer) for h in halves]
                times[label] = _run(procs)
            contents = {label: _content(db) for label, db in dbs.items()}
            same = len({tuple(c) for c in contents.values()}) == 1
            print(f"{n} articles (FA-KES ×{args.copies}), {len(next(iter(contents.values())))} incidents; "
                  f"the three stores {'are identical' if same else 'DIFFER'} (uids and event groups)")
            print("| store | wall time (geoparser load included) | articles/s |")
            print("| --- | --- | --- |")
            for label, t in times.items():
                print(f"| {label} | {t:.1f} s | {n / t:.0f} |")
            return 0 if same else 1
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())

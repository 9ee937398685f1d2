"""Benchmark: end-to-end ingest speed (read → geoparse → extract → store) and peak memory.

    .venv/bin/python bench/bench_extract.py [--shared ../shared] [--gazetteer PATH] [--copies 5]
        [--workers N] [--profile]

1. FA-KES ×N: the 804 English FA-KES articles repeated N times (4,020 with the default) as one
   CSV archive, ingested into a fresh store.
2. Arabic 2 KB articles: ANERcorp's 150k tokens of Arabic news joined back into text and cut
   into consecutive 2,000-character articles (about 400), as a JSON Lines archive.
3. Dense same-event Arabic: overlapping 2 KB windows of the bundled report (100 articles that
   all report the same ~11 shellings on one day: the worst case for event grouping).
Prints articles/s (wall clock and this process's CPU time) and the peak resident memory (this process and, with --workers, its children).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def fakes_archive(shared: Path, copies: int, out: Path) -> int:
    with open(shared / "eval/fa-kes/FA-KES-Dataset.csv", encoding="utf-8", errors="replace", newline="") as f:
        rows = list(csv.DictReader(f))
    n = 0
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["title", "text", "date", "source"])
        w.writeheader()
        for c in range(copies):
            for r in rows:
                w.writerow({"title": f"{r['article_title']} ({c})", "text": r["article_content"],
                            "date": r["date"], "source": r["source"]})
                n += 1
    return n


def anercorp_archive(shared: Path, out: Path) -> int:
    tokens = []
    with open(shared / "eval/arabic-ner/ANERCorp.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.rsplit(" ", 1)
            if parts and parts[0].strip():
                tokens.append(parts[0].strip())
    text = " ".join(tokens).replace(" .", ".\n").replace(" ،", "،")
    chunks = [text[i:i + 2000] for i in range(0, len(text) - 2000, 2000)]
    with open(out, "w", encoding="utf-8") as f:
        for n, x in enumerate(chunks):
            f.write(json.dumps({"title": f"ANERcorp {n}", "text": x, "date": "2007-01-01", "source": "bench"},
                               ensure_ascii=False) + "\n")
    return len(chunks)


def arabic_archive(out: Path, copies: int) -> int:
    ar = (ROOT / "articles/000_ab807f8b2d3e6b71.txt").read_text(encoding="utf-8")
    chunks = [ar[i:i + 2000] for i in range(0, len(ar) - 2000, 97)] * copies * 4
    with open(out, "w", encoding="utf-8") as f:
        for n, x in enumerate(chunks):
            f.write(json.dumps({"title": f"نافذة {n}", "text": x, "date": "2020-09-21", "source": "bench"},
                               ensure_ascii=False) + "\n")
    return len(chunks)


def run(label: str, path: Path, gp, workers: int, gazetteer: str | None) -> None:
    from incidents.ingest import ingest_paths
    from incidents.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "db.sqlite")
        t, cpu = time.perf_counter(), time.process_time()
        s = ingest_paths([str(path)], store, gp, show_progress=False, workers=workers, gazetteer=gazetteer)
        secs, cpu = time.perf_counter() - t, time.process_time() - cpu
        me, kids = peak_mb()
        print(f"{label}: {s.articles} articles, {s.incidents} incidents, {len(s.errors)} errors in {secs:.1f} s "
              f"= {s.articles / secs:.0f} articles/s (workers={workers}; this process's CPU time {cpu:.1f} s "
              f"= {s.articles / cpu:.0f} articles/s); peak RSS {me:.0f} MB"
              + (f", largest worker {kids:.0f} MB" if workers > 1 else ""))
        store.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--gazetteer")
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", choices=("fakes", "arabic", "dense"))
    ap.add_argument("--profile", action="store_true", help="cProfile the FA-KES run, top 25 by own time")
    args = ap.parse_args()
    print("command:", " ".join(["bench/bench_extract.py"] + sys.argv[1:]))
    from geodata.geoparser import Geoparser

    t = time.perf_counter()
    gp = None
    if args.workers == 1:  # load everything a first article needs, so the rates are steady-state
        from incidents.articles import article_from_text
        from incidents.extract import extract

        gp = Geoparser(path=args.gazetteer)
        extract(article_from_text("قصف\n2020-09-21\n\nقصفت قوات النظام بلدة كفرنبل. Shelling hit Saraqib."), gp)
    print(f"geoparser, lexicons and word frequencies loaded in {time.perf_counter() - t:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        fk, ar = Path(tmp) / "fakes.csv", Path(tmp) / "arabic.jsonl"
        if args.only != "arabic":
            n = fakes_archive(Path(args.shared), args.copies, fk)
            if args.profile:
                import cProfile
                import pstats

                pr = cProfile.Profile()
                pr.enable()
                run(f"FA-KES x{args.copies} ({n})", fk, gp, args.workers, args.gazetteer)
                pr.disable()
                pstats.Stats(pr).sort_stats("tottime").print_stats(25)
            else:
                run(f"FA-KES x{args.copies} ({n})", fk, gp, args.workers, args.gazetteer)
        if args.only in (None, "arabic"):
            n = anercorp_archive(Path(args.shared), ar)
            run(f"Arabic 2 KB articles from ANERcorp ({n})", ar, gp, args.workers, args.gazetteer)
        if args.only in (None, "dense"):
            n = arabic_archive(ar, args.copies)
            run(f"Dense same-event Arabic 2 KB windows ({n})", ar, gp, args.workers, args.gazetteer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

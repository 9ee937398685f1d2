"""Benchmark: extraction time of one long article (issue 19: no upload may hold a worker for minutes).

    .venv/bin/python bench/bench_long_articles.py [--shared ../shared] [--gazetteer PATH]
        [--sizes 70000,1000000,5000000] [--limit 300] [--profile SIZE]

Builds each article from real text: English = the FA-KES articles concatenated (title, blank line,
content, repeated until the size is reached); Arabic = the bundled report (articles/000_*.txt)
repeated. Each size runs `incidents.extract.extract` in its own process (so a run over `--limit`
seconds is killed and shown as "> limit"); prints seconds and the child's peak RSS.
`--profile SIZE` runs one English article of SIZE characters under cProfile and prints the top 25.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def english(shared: Path, size: int) -> str:
    with open(shared / "eval/fa-kes/FA-KES-Dataset.csv", encoding="utf-8", errors="replace", newline="") as f:
        rows = list(csv.DictReader(f))
    parts, n, i = [], 0, 0
    while n < size:
        r = rows[i % len(rows)]
        p = f"{r['article_title'].strip()}\n\n{r['article_content'].strip()}\n\n"
        parts.append(p)
        n += len(p)
        i += 1
    return "".join(parts)[:size]


def arabic(size: int) -> str:
    seed = next((ROOT / "articles").glob("000_*.txt")).read_text(encoding="utf-8")
    return ((seed.strip() + "\n\n") * (size // len(seed) + 1))[:size]


def _run(text: str, gazetteer: str | None, q) -> None:
    from geodata.geoparser import Geoparser
    from incidents.articles import Article
    from incidents.extract import extract

    gp = Geoparser(path=gazetteer)
    art = Article(text=text, title=text.split("\n", 1)[0][:200])
    t = time.perf_counter()
    n = len(extract(art, gp))
    q.put((time.perf_counter() - t, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(text: str, gazetteer: str | None, limit: float) -> str:
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=_run, args=(text, gazetteer, q))
    p.start()
    p.join(limit + 30)  # loading the gazetteer takes a few seconds
    if p.is_alive():
        p.kill()
        p.join()
        return f"> {limit:g} s (killed)"
    secs, n, rss = q.get()
    return f"{secs:.2f} s, {n} incidents, peak {rss:.0f} MB"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--gazetteer")
    ap.add_argument("--sizes", default="70000,1000000,5000000")
    ap.add_argument("--limit", type=float, default=300)
    ap.add_argument("--lang", default="en,ar")
    ap.add_argument("--profile", type=int, metavar="SIZE")
    args = ap.parse_args()
    shared = Path(args.shared)
    if args.profile:
        import cProfile
        import pstats

        from geodata.geoparser import Geoparser
        from incidents.articles import Article
        from incidents.extract import extract

        gp = Geoparser(path=args.gazetteer)
        text = english(shared, args.profile) if "en" in args.lang else arabic(args.profile)
        prof = cProfile.Profile()
        prof.runcall(extract, Article(text=text), gp)
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
        return 0
    for size in (int(s) for s in args.sizes.split(",")):
        for lang in args.lang.split(","):
            text = english(shared, size) if lang == "en" else arabic(size)
            print(f"{lang} {size:>9,} chars: {measure(text, args.gazetteer, args.limit)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

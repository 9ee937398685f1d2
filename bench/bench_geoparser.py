"""Benchmark the geoparser on real evaluation sets (measuring only; nothing here feeds the rules).

    .venv/bin/python bench/bench_geoparser.py [--shared ../shared] [--acled-limit N]

* ACLED: notes with geo_precision 1; a note counts as recognised when a mention resolves to a
  place one of whose names has the same match key as ACLED's `location` (for ACLED's compound
  "City - Neighbourhood" locations, the city's name counts too); then the distance to
  ACLED's coordinates is checked against 5 km and 25 km. Misses are tallied by cause.
* Throughput: articles per second over FA-KES (804 English articles) and over Arabic text (the
  bundled report repeated to 2 KB articles), one core.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from geopy.distance import great_circle

from geodata.geoparser import Geoparser
from geodata.normalize import name_keys


def acled(gp: Geoparser, path: Path, limit: int) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["geo_precision"] == "1"]
    random.Random(1).shuffle(rows)
    rows = rows[:limit] if limit else rows
    n = len(rows)
    within5 = within25 = 0
    causes: Counter = Counter()
    t = time.perf_counter()
    for r in rows:
        loc_keys = set(name_keys(r["location"]))
        if " - " in r["location"]:  # ACLED's "City - Neighbourhood/Site": the city names it too
            loc_keys |= set(name_keys(r["location"].split(" - ")[0]))
        lat, lon = float(r["latitude"]), float(r["longitude"])
        hits = []
        for res in gp.parse(r["notes"]):
            mkeys = set(name_keys(res.text))
            pkeys = set()
            if res.place is not None:
                for nm in res.place.all_names():
                    pkeys |= set(name_keys(nm))
            if loc_keys & (mkeys | pkeys):
                hits.append(res)
        if not hits:
            causes["location not recognised in the note"] += 1
            continue
        best = min(hits, key=lambda h: great_circle((lat, lon), (h.place.lat, h.place.lon)).km
                   if h.place else 1e9)
        if best.place is None:
            causes["recognised but unresolved"] += 1
            continue
        d = great_circle((lat, lon), (best.place.lat, best.place.lon)).km
        within5 += d <= 5
        within25 += d <= 25
        if d > 25:
            causes["resolved to a namesake > 25 km away" if best.precision == 1 else
                   "answered coarser (area/governorate)"] += 1
        elif d > 5:
            causes["5-25 km off (different record or coarse point)"] += 1
    secs = time.perf_counter() - t
    print(f"ACLED geo_precision 1 notes: {n} (random sample, seed 1)" if limit else f"ACLED geo_precision 1 notes: {n}")
    print(f"  within 5 km: {within5 / n:.3f}   within 25 km: {within25 / n:.3f}   ({n / secs:.0f} notes/s)")
    for cause, c in causes.most_common():
        print(f"  miss: {cause}: {c} ({c / n:.1%})")


def syrian_archive_places(gp: Geoparser, path: Path) -> None:
    """Syrian Archive's own place list (1,647 places, Arabic and English names, coordinates): geocode
    each name alone with GazetteerGeocoder and compare with their coordinates."""
    from geodata.geocoder import GazetteerGeocoder

    geocoder = GazetteerGeocoder(gazetteer=gp.gazetteer)
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("latitude") and r.get("longitude")]
    for lang, col in (("Arabic", "name_ar"), ("English", "name_en")):
        n = found = w5 = w25 = 0
        for r in rows:
            name = (r.get(col) or "").strip()
            if not name:
                continue
            n += 1
            loc = geocoder.geocode(name.title() if lang == "English" and name.isupper() else name)
            if loc is None:
                continue
            found += 1
            d = great_circle((float(r["latitude"]), float(r["longitude"])), (loc.latitude, loc.longitude)).km
            w5 += d <= 5
            w25 += d <= 25
        print(f"Syrian Archive places, {lang} names: {n}; answered {found / n:.3f}; within 5 km {w5 / n:.3f}; "
              f"within 25 km {w25 / n:.3f}")


def throughput(gp: Geoparser, fakes: Path, seed: Path) -> None:
    with open(fakes, encoding="utf-8", errors="replace", newline="") as f:
        texts = [r["article_content"] for r in csv.DictReader(f)]
    t = time.perf_counter()
    mentions = sum(len(gp.parse(x)) for x in texts)
    secs = time.perf_counter() - t
    avg = sum(len(x) for x in texts) / len(texts)
    print(f"FA-KES: {len(texts)} English articles (mean {avg / 1000:.1f} KB): {len(texts) / secs:.0f} articles/s, "
          f"{mentions} mentions")
    two_kb = [x[:2000] for x in texts]
    t = time.perf_counter()
    for x in two_kb:
        gp.parse(x)
    print(f"FA-KES cut to 2 KB: {len(two_kb) / (time.perf_counter() - t):.0f} articles/s")
    ar = seed.read_text(encoding="utf-8")
    chunks = [ar[i:i + 2000] for i in range(0, len(ar) - 2000, 97)] * 20
    t = time.perf_counter()
    for x in chunks:
        gp.parse(x)
    print(f"Arabic 2 KB articles (windows of the bundled report): {len(chunks) / (time.perf_counter() - t):.0f} articles/s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--gazetteer")
    ap.add_argument("--acled-limit", type=int, default=3000)
    args = ap.parse_args()
    shared = Path(args.shared)
    t = time.perf_counter()
    gp = Geoparser(path=args.gazetteer)
    print(f"geoparser load: {time.perf_counter() - t:.2f} s, RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    acled(gp, shared / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv", args.acled_limit)
    syrian_archive_places(gp, shared / "eval/syrian-archive/locations.csv")
    throughput(gp, shared / "eval/fa-kes/FA-KES-Dataset.csv", Path(__file__).resolve().parents[1] / "articles/000_ab807f8b2d3e6b71.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())

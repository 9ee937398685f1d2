"""Benchmark: ACLED notes read as articles by `incidents.extract` (issue 21's measure).

    INCIDENTMAP_HOME=.data .venv/bin/python bench/bench_acled_events.py [--gazetteer PATH]
        [--shared ../shared] [--show N] [--years 2017,2018]

Measuring only: nothing here feeds the model or the rules (ACLED 2019-2021 is never trained on).
The sample is `bench_recognition.acled_sample`: geo_precision 1, event year 2019-2021, admin1
Idleb/Hama/Aleppo/Lattakia, rows sorted by (event_date, event_id_cnty), 400 evenly spaced. Each
note is one table row (`notes`, `event_date`) read as an article (`incidents.articles`' row
reader: body only, the event date as publication date) and passed to `extract`. Per note:

* no incident — `extract` gave nothing;
* within 5 km — some incident's location lies within 5 km (great circle) of ACLED's point;
* locations per note — distinct location ids (or coordinates) among the note's incidents, averaged
  over the notes that give any (the issue's 2.04), and over all notes.

--years picks other years of the same file: 2017-2018 and 2022-2023 are the ones to read failures
of while developing (the default 2019-2021 is measured by its numbers only).

--show N prints N notes of each kind of miss (no incident; incidents, none within 5 km; the
notes with most locations) with what was found.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from geopy.distance import great_circle

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_recognition import acled_sample, bench_parser  # noqa: E402

from geodata.geoparser import Geoparser  # noqa: E402
from incidents.articles import _row_article  # noqa: E402
from incidents.extract import extract  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _loc_key(inc) -> tuple:
    loc = inc.location
    return (loc.get("id") or (round(loc.get("lat") or 0, 4), round(loc.get("lon") or 0, 4)),)


def main() -> int:
    ap = bench_parser(__doc__.split("\n")[0])
    ap.add_argument("--show", type=int, default=0, metavar="N")
    ap.add_argument("--years", default="2019,2020,2021", help="comma-separated event years (default the measure's)")
    args = ap.parse_args()
    years = {int(y) for y in args.years.split(",")}
    rows = acled_sample(Path(args.shared) / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv", years)
    gp = Geoparser(path=args.gazetteer)
    t = time.perf_counter()
    results = []
    for i, r in enumerate(rows):
        art = _row_article({"notes": r["notes"], "event_date": r["event_date"]}, f"acled:{i}")
        results.append((r, extract(art, gp)))
    secs = time.perf_counter() - t
    none, w5, locs = [], 0, []
    far = []
    for r, incs in results:
        ll = (float(r["latitude"]), float(r["longitude"]))
        if not incs:
            none.append((r, incs))
        keys = {_loc_key(x) for x in incs}
        locs.append(len(keys))
        best = min((great_circle(ll, (x.location["lat"], x.location["lon"])).km for x in incs
                    if x.location.get("lat") is not None), default=float("inf"))
        w5 += best <= 5
        if incs and best > 5:
            far.append((r, incs))
    n = len(rows)
    print(f"ACLED notes through extract: {n} (geo_precision 1, {min(years)}-{max(years)}, Idleb/Hama/Aleppo/Lattakia), "
          f"{n / secs:.0f} notes/s")
    print(f"  notes with no incident: {len(none)} of {n}")
    print(f"  notes with an incident within 5 km of ACLED's point: {w5 / n:.3f}")
    hit = [k for k in locs if k]
    print(f"  locations per note with an incident: {sum(hit) / max(1, len(hit)):.2f} (per note, all {n}: "
          f"{sum(locs) / n:.2f})")
    if args.show:
        def ours(incs):
            return "; ".join(f"{x.location.get('name_en') or x.location.get('text')} [{x.sub_event_type}]"
                             for x in incs) or "-"
        for title, group in (("NO INCIDENT", none), ("NONE WITHIN 5 KM", far),
                             ("MOST LOCATIONS", sorted(results, key=lambda x: -len({_loc_key(i) for i in x[1]})))):
            print(f"  {title}:")
            for r, incs in group[:args.show]:
                print(f"    [{r['event_id_cnty']}] ACLED {r['location']}: {' '.join(r['notes'].split())[:300]}")
                print(f"      ours: {ours(incs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

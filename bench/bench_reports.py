"""Benchmark incident *extraction* (place + date) on three Syrian Archive English investigation
reports, against hand labels in bench/data/syrian_archive_attacks.csv.

    .venv/bin/python bench/bench_reports.py [--gazetteer PATH] [--reports-dir DIR] [--km 5]
                                            [--verbose]

Measuring only: nothing here feeds the rules. Each labelled report is read with
`incidents.articles.iter_articles` and run through `incidents.extract.extract` with one
`geodata.geoparser.Geoparser` (loaded once).

* A label is one dated attack at one place (two rows when one attack or one sentence names two
  places). Labels without coordinates (an area such as "west countryside of Aleppo", or a place
  we could not locate) are listed but not scored.
* found (place+date): an extracted incident of the same file whose point is within --km
  (great-circle) of the label and whose date equals the label date. Each label and each
  incident is used at most once; pairs are taken greedily, nearest first.
* place only: a label not found, but some incident of the file within --km has another date
  (the place was right, the date wrong or missing).
* city: for labels of level "neighbourhood" (a district of Aleppo), whether an incident with the
  label's date lies within 8 km (e.g. the extractor said "Aleppo" on the right day); reported
  separately, it includes the exact finds.
* via city: of the neighbourhood labels counted as found or place only, those whose only
  incidents within --km are the city itself (the incident's place is named like the
  locality-level label within 8 km, e.g. "Aleppo"): a city point lies within 5 km of most of its
  neighbourhoods, so these are not real neighbourhood hits.
* extra: extracted incidents whose (point, date) is within --km of no label of the file on that
  date (so a second mention of a labelled attack is not extra). extra% = extra / extracted.

Prints the exact command at the top, then per file and in total: labels, found, place only,
extracted, extra. --verbose lists the finds, the misses (with the nearest extracted incident) and the extras.
Always exits 0.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shlex
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Like the Makefile: the repo's data directory when none is set.
if not os.environ.get("INCIDENTMAP_HOME") and (ROOT / ".data" / "gazetteer.sqlite").exists():
    os.environ["INCIDENTMAP_HOME"] = str(ROOT / ".data")

from geodata.earth import LatLon, km  # noqa: E402
from geodata.geoparser import Geoparser  # noqa: E402
from incidents.articles import ArticleError, iter_articles  # noqa: E402
from incidents.extract import extract  # noqa: E402

LABELS = ROOT / "bench" / "data" / "syrian_archive_attacks.csv"
CITY_KM = 8.0


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return km(LatLon(lat1, lon1), LatLon(lat2, lon2))


def load_labels(path: Path) -> dict[str, list[dict]]:
    by_file: dict[str, list[dict]] = defaultdict(list)
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            row["lat"] = float(row["lat"]) if row["lat"].strip() else None
            row["lon"] = float(row["lon"]) if row["lon"].strip() else None
            by_file[row["file"]].append(row)
    return by_file


def point(inc) -> tuple[float, float] | None:
    loc = inc.location or {}
    if loc.get("lat") is None or loc.get("lon") is None:
        return None
    return float(loc["lat"]), float(loc["lon"])


def inc_name(inc) -> str:
    loc = inc.location or {}
    return f"{loc.get('text') or '?'} -> {loc.get('name_en') or loc.get('name_ar') or '?'}"


def dist(label: dict, inc) -> float:
    p = point(inc)
    if p is None or label["lat"] is None:
        return math.inf
    return haversine(label["lat"], label["lon"], p[0], p[1])


def score_file(labels: list[dict], incidents: list, km: float) -> dict:
    scored = [i for i, lab in enumerate(labels) if lab["lat"] is not None]
    pairs = []
    for li in scored:
        for ii, inc in enumerate(incidents):
            if inc.date == labels[li]["date"]:
                d = dist(labels[li], inc)
                if d <= km:
                    pairs.append((d, li, ii))
    pairs.sort()
    match: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for d, li, ii in pairs:
        if li in match or ii in used:
            continue
        match[li] = (ii, d)
        used.add(ii)

    place_only = [li for li in scored if li not in match
                  and any(inc.date != labels[li]["date"] and dist(labels[li], inc) <= km for inc in incidents)]
    nbhd = [li for li in scored if labels[li]["level"] == "neighbourhood"]
    city = [li for li in nbhd
            if any(inc.date == labels[li]["date"] and dist(labels[li], inc) <= CITY_KM for inc in incidents)]
    city_names = {}
    for li in nbhd:
        cands = sorted((haversine(labels[li]["lat"], labels[li]["lon"], lab["lat"], lab["lon"]), lab["place"])
                       for lab in labels if lab["level"] != "neighbourhood" and lab["lat"] is not None)
        if cands and cands[0][0] <= CITY_KM:
            city_names[li] = norm(cands[0][1])
    via_city = []
    for li in nbhd:
        if li not in city_names or (li not in match and li not in place_only):
            continue
        if li in match:
            near = [incidents[match[li][0]]]
        else:
            near = [inc for inc in incidents if dist(labels[li], inc) <= km]
        if near and all(city_names[li] in {norm((inc.location or {}).get("text")),
                                           norm((inc.location or {}).get("name_en"))} for inc in near):
            via_city.append(li)
    extra = [ii for ii, inc in enumerate(incidents)
             if not any(lab["lat"] is not None and inc.date == lab["date"] and dist(lab, inc) <= km
                        for lab in labels)]
    return {"labels": len(labels), "scored": len(scored), "found": len(match), "match": match,
            "place_only": place_only, "via_city": via_city, "nbhd": len(nbhd), "city": len(city), "extracted": len(incidents),
            "extra": extra, "unscored": [i for i, lab in enumerate(labels) if lab["lat"] is None]}


def norm(name) -> str:
    n = (name or "").lower().replace("'s", "").strip()
    return n.removesuffix(" city").strip()


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gazetteer", help="gazetteer index (default: the usual data directory)")
    ap.add_argument("--reports-dir", default=str(ROOT.parent / "shared" / "eval" / "syrian-archive" / "reports"),
                    help="folder of the report .md files (default ../shared/eval/syrian-archive/reports "
                         "relative to the repo root)")
    ap.add_argument("--labels", default=str(LABELS), help="labels CSV")
    ap.add_argument("--km", type=float, default=5.0, help="match radius in km (default 5)")
    ap.add_argument("--verbose", action="store_true", help="list misses and extras")
    args = ap.parse_args()

    print("$ " + shlex.join([os.path.relpath(sys.executable, os.getcwd()) if sys.executable.startswith(str(ROOT))
                             else sys.executable] + sys.argv))
    print(f"labels: {os.path.relpath(args.labels, ROOT)}   reports: {args.reports_dir}   km: {args.km:g}")

    t0 = time.perf_counter()
    gp = Geoparser(path=args.gazetteer)
    print(f"geoparser loaded in {time.perf_counter() - t0:.1f}s")

    by_file = load_labels(Path(args.labels))
    totals = defaultdict(int)
    rows = []
    for fname, labels in by_file.items():
        path = os.path.join(args.reports_dir, fname)
        incidents = []
        error = None
        if not os.path.exists(path):
            error = "file not found"
        else:
            for a in iter_articles([path]):
                if isinstance(a, ArticleError):
                    error = str(a)
                    continue
                try:
                    incidents.extend(extract(a, gp))
                except Exception as exc:  # measuring only: report it and go on
                    error = f"extract failed: {type(exc).__name__}: {exc}"
        s = score_file(labels, incidents, args.km)
        s["error"] = error
        rows.append((fname, labels, incidents, s))
        for k in ("labels", "scored", "found", "nbhd", "city", "extracted"):
            totals[k] += s[k]
        totals["place_only"] += len(s["place_only"])
        totals["via_city"] += len(s["via_city"])
        totals["extra"] += len(s["extra"])

    print()
    print(f"{'file':<58} {'labels':>6} {'scored':>6} {'found':>6} {'place':>6} {'nbhd':>5} {'city':>5} "
          f"{'v.city':>6} {'extr.':>6} {'extra':>6}")
    for fname, labels, incidents, s in rows:
        short = fname.removeprefix("investigations_")[:58]
        print(f"{short:<58} {s['labels']:>6} {s['scored']:>6} {s['found']:>6} {len(s['place_only']):>6} "
              f"{s['nbhd']:>5} {s['city']:>5} {len(s['via_city']):>6} {s['extracted']:>6} {len(s['extra']):>6}"
              + (f"   ERROR: {s['error']}" if s["error"] else ""))
    t = totals
    print(f"{'TOTAL':<58} {t['labels']:>6} {t['scored']:>6} {t['found']:>6} {t['place_only']:>6} "
          f"{t['nbhd']:>5} {t['city']:>5} {t['via_city']:>6} {t['extracted']:>6} {t['extra']:>6}")
    print()
    print(f"found (place+date, <= {args.km:g} km): {t['found']}/{t['scored']} = {pct(t['found'], t['scored'])}")
    print(f"place right, date wrong/missing:  {t['place_only']}/{t['scored']} = {pct(t['place_only'], t['scored'])}")
    print(f"neighbourhood labels with city-level hit (same date, <= {CITY_KM:g} km): "
          f"{t['city']}/{t['nbhd']} = {pct(t['city'], t['nbhd'])}")
    print(f"neighbourhood labels found/place-only only through the city point: {t['via_city']}/{t['nbhd']}")
    print(f"extra (extracted, matching no label): {t['extra']}/{t['extracted']} = {pct(t['extra'], t['extracted'])}")
    print("columns: scored = labels with coordinates; place = place only; nbhd = neighbourhood labels; "
          "city = of those, a same-date hit within 8 km; v.city = nbhd found/place only via the city point alone; extr. = incidents extracted")

    if args.verbose:
        for fname, labels, incidents, s in rows:
            print()
            print(f"== {fname}")
            if s["unscored"]:
                print("  not scored (no coordinates): "
                      + "; ".join(f"{labels[i]['place']} {labels[i]['date']}" for i in s["unscored"]))
            print(f"  found ({len(s['match'])}):")
            for li, (ii, d) in sorted(s["match"].items()):
                lab, inc = labels[li], incidents[ii]
                tag = " [via city]" if li in s["via_city"] else ""
                print(f"    {lab['place']} {lab['date']} <- {inc_name(inc)} at {d:.1f} km{tag}")
            misses = [i for i, lab in enumerate(labels) if lab["lat"] is not None and i not in s["match"]]
            print(f"  misses ({len(misses)}):")
            for li in misses:
                lab = labels[li]
                near = sorted(((dist(lab, inc), inc) for inc in incidents), key=lambda x: x[0])
                same_day = [(d, inc) for d, inc in near if inc.date == lab["date"]]
                tag = "PLACE-ONLY" if li in s["place_only"] else "MISS"
                if li in s["via_city"]:
                    tag += " via city"
                line = f"    [{tag}] {lab['place']} {lab['date']} ({lab['level']})"
                if near and near[0][0] < math.inf:
                    d, inc = near[0]
                    line += f" | nearest: {inc_name(inc)} {inc.date} at {d:.1f} km"
                else:
                    line += " | nearest: none"
                if same_day and same_day[0][0] < math.inf and (not near or same_day[0][1] is not near[0][1]):
                    d, inc = same_day[0]
                    line += f" | nearest same-date: {inc_name(inc)} at {d:.1f} km"
                print(line)
            print(f"  extras ({len(s['extra'])}):")
            for ii in s["extra"]:
                inc = incidents[ii]
                p = point(inc)
                where = f"({p[0]:.3f},{p[1]:.3f})" if p else "(no point)"
                passage = " ".join(inc.passage.split())[:80]
                print(f"    {inc_name(inc)} {where} {inc.date} | {passage}")
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)

"""Fit the resolver's `ResolutionWeights` (geodata/weights.py) on English development corpora.

What it fits: seven scoring weights that decide which gazetteer entry a mention resolves to —
population_log10, abroad, near_25km, near_75km, far, governorate_holds_others, loose_match.
Every other weight keeps its current value from geodata/data/weights.json.

On what data: the English geoparsing corpora LGL and TR-News
(`<shared>/eval/english-geoparsing/LGL.xml`, `TR-News.xml`): per <article>, its <text> and gold
<toponym>s with character <start>/<end> and a <gaztag> point (<lat>/<lon>). Toponyms without a
point are skipped. 117 TR-News offsets are one character off; each is re-aligned to the nearest
occurrence of its <phrase> within 20 characters, or dropped. GWN.xml is held out entirely (it is a
recognition benchmark) and is never read here.

Fixed split: within each corpus, articles with index % 5 != 0 are the fitting set and articles
with index % 5 == 0 are the held-out set (reported, never fitted on).

How:
1. Each article is run through the recogniser once (`gp.recognizer.find(text)`). A gold toponym
   with a point is *scored* when a recognised mention overlaps it (the first such mention).
   Recognition does not depend on the weights, so this set is fixed.
2. For a weight setting, `Resolver(gazetteer, weights=ResolutionWeights(...)).resolve(text,
   mentions)` is run on every article with all its recognised mentions (the context the real
   geoparser sees); the resolution of each scored mention is compared with the gold point.
3. Score = acc@161: share of scored gold toponyms whose resolved place lies within 161 km of the
   gold point (a mention dropped by the resolver or resolved to no place counts as a miss);
   ties are broken by mean error distance (a miss counts as 20,000 km), then by staying put.
4. Coordinate descent: for each weight in turn, try a small grid around its current value
   (value + k*step, k = -2..2) and keep the best; 3 passes, stopping early when a pass changes
   nothing.

    .venv/bin/python bench/fit_weights.py [--gazetteer PATH] [--shared ../shared] [--passes 3]
                                          [--write [--out PATH]]

`--write` saves the fitted weights (starting point: geodata/data/weights.json) via
`ResolutionWeights.save` to --out, by default geodata/data/weights.json. It also prints the
headroom: how many scored mentions are ambiguous at all, and the oracle acc@161.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geodata.earth import LatLon, km  # noqa: E402
from geodata.geoparser import Geoparser  # noqa: E402
from geodata.resolve import Resolver  # noqa: E402
from geodata.weights import ResolutionWeights  # noqa: E402

CORPORA = ("LGL", "TR-News")
ACC_KM = 161.0
MISS_KM = 20_000.0
# weight -> grid step (the grid is value + k*step, k = -2..2)
STEPS = {
    "population_log10": 0.1,
    "abroad": 0.5,
    "near_25km": 0.5,
    "near_75km": 0.5,
    "far": 0.5,
    "governorate_holds_others": 0.5,
    "loose_match": 0.25,
}
WEIGHTS_PATH = ROOT / "geodata" / "data" / "weights.json"


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return km(LatLon(lat1, lon1), LatLon(lat2, lon2))


def load_corpus(path: Path) -> list[tuple[str, list[tuple[int, int, float, float]]]]:
    """[(text, [(start, end, lat, lon), ...]), ...] in file order; toponyms without a point dropped."""
    out = []
    for art in ET.parse(path).getroot().iter("article"):
        text = art.findtext("text") or ""
        gold = []
        for tp in art.iter("toponym"):
            lat, lon = tp.findtext("gaztag/lat"), tp.findtext("gaztag/lon")
            if lat is None or lon is None:
                continue
            s, e, phrase = int(tp.findtext("start")), int(tp.findtext("end")), tp.findtext("phrase") or ""
            if text[s:e] != phrase:  # re-align an off-by-a-few offset, else drop
                hits = [i for i in range(max(0, s - 20), s + 21) if phrase and text.startswith(phrase, i)]
                if not hits:
                    continue
                s = min(hits, key=lambda i: abs(i - s))
                e = s + len(phrase)
            gold.append((s, e, float(lat), float(lon)))
        out.append((text, gold))
    return out


def prepare(gp: Geoparser, corpora: dict[str, list]) -> tuple[list, list, dict]:
    """Recognise once; return (fit_items, heldout_items, counts). An item is
    (text, mentions, [((start, end) of the scored mention, lat, lon), ...])."""
    fit, held = [], []
    counts = {"articles": 0, "gold": 0, "scored": 0}
    for name, arts in corpora.items():
        for idx, (text, gold) in enumerate(arts):
            counts["articles"] += 1
            counts["gold"] += len(gold)
            if not gold:
                continue
            mentions = gp.recognizer.find(text)
            scored = []
            for s, e, lat, lon in gold:
                m = next((m for m in mentions if m.start < e and s < m.end), None)
                if m is not None:
                    scored.append(((m.start, m.end), lat, lon))
            if not scored:
                continue
            counts["scored"] += len(scored)
            (held if idx % 5 == 0 else fit).append((text, mentions, scored))
    return fit, held, counts


def headroom(gazetteer, items: list) -> tuple[int, int, int, float]:
    """What any weights could reach: (scored mentions with more than one candidate, of those with a
    candidate within 161 km, n scored, oracle acc@161 = share with some candidate within 161 km)."""
    ambiguous = ambiguous_ok = n = ok = 0
    for _text, mentions, scored in items:
        by_span = {(m.start, m.end): m for m in mentions}
        for span, lat, lon in scored:
            places = [gazetteer.places[p] for p in by_span[span].place_ids]
            good = any(haversine(p.lat, p.lon, lat, lon) <= ACC_KM for p in places)
            n += 1
            ok += good
            if len(places) > 1:
                ambiguous += 1
                ambiguous_ok += good
    return ambiguous, ambiguous_ok, n, (ok / n if n else 0.0)


def evaluate(gazetteer, weights: ResolutionWeights, items: list) -> tuple[float, float, int]:
    """(acc@161, mean error km, n scored) of `weights` on `items`."""
    resolver = Resolver(gazetteer, weights=weights)
    hits = n = 0
    err = 0.0
    for text, mentions, scored in items:
        by_span = {(r.start, r.end): r for r in resolver.resolve(text, mentions)}
        for span, lat, lon in scored:
            n += 1
            r = by_span.get(span)
            d = MISS_KM if r is None or r.place is None else haversine(r.place.lat, r.place.lon, lat, lon)
            err += d
            hits += d <= ACC_KM
    return (hits / n if n else 0.0), (err / n if n else 0.0), n


def better(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Is score a strictly better than b: higher accuracy, then lower mean error."""
    return a[0] > b[0] + 1e-12 or (abs(a[0] - b[0]) <= 1e-12 and a[1] < b[1] - 1e-9)


def fit(gazetteer, start: ResolutionWeights, items: list, passes: int) -> ResolutionWeights:
    cur = start
    cur_score = evaluate(gazetteer, cur, items)[:2]
    cache = {tuple(sorted(asdict(cur).items())): cur_score}
    for p in range(1, passes + 1):
        changed = False
        for name, step in STEPS.items():
            v0 = getattr(cur, name)
            best_v, best_score = v0, cur_score
            for k in (-2, -1, 1, 2):
                v = round(v0 + k * step, 4)
                cand = replace(cur, **{name: v})
                key = tuple(sorted(asdict(cand).items()))
                if key not in cache:
                    cache[key] = evaluate(gazetteer, cand, items)[:2]
                if better(cache[key], best_score):
                    best_v, best_score = v, cache[key]
            if best_v != v0:
                cur, cur_score, changed = replace(cur, **{name: best_v}), best_score, True
            print(f"  pass {p} {name:26s} {v0:+.2f} -> {best_v:+.2f}  acc@161 {cur_score[0]:.4f}  "
                  f"mean error {cur_score[1]:.0f} km", flush=True)
        if not changed:
            break
    return cur


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    home = os.environ.get("INCIDENTMAP_HOME")
    default_gaz = Path(home) / "gazetteer.sqlite" if home else ROOT / ".data" / "gazetteer.sqlite"
    ap.add_argument("--gazetteer", default=str(default_gaz))
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--write", action="store_true", help="write the fitted weights to --out")
    ap.add_argument("--out", default=str(WEIGHTS_PATH), help="where --write writes (default: %(default)s)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    gp = Geoparser(path=args.gazetteer)
    eval_dir = Path(args.shared) / "eval" / "english-geoparsing"
    corpora = {name: load_corpus(eval_dir / f"{name}.xml") for name in CORPORA}
    fit_items, held_items, counts = prepare(gp, corpora)
    print(f"{counts['articles']} articles, {counts['gold']} gold toponyms with a point, "
          f"{counts['scored']} overlapped by a recognised mention (scored); "
          f"fit {sum(len(i[2]) for i in fit_items)} / held-out {sum(len(i[2]) for i in held_items)}; "
          f"recognition {time.perf_counter() - t0:.1f} s", flush=True)

    amb, amb_ok, n, oracle = headroom(gp.gazetteer, fit_items + held_items)
    print(f"headroom: {amb} of {n} scored mentions have more than one candidate, {amb_ok} of them one within "
          f"{ACC_KM:.0f} km; oracle acc@161 (best candidate always chosen) {oracle:.4f}", flush=True)

    base = ResolutionWeights.load(WEIGHTS_PATH)
    b_fit, b_held = evaluate(gp.gazetteer, base, fit_items), evaluate(gp.gazetteer, base, held_items)
    print(f"baseline: fit acc@161 {b_fit[0]:.4f} (mean error {b_fit[1]:.0f} km, n={b_fit[2]}); "
          f"held-out acc@161 {b_held[0]:.4f} (mean error {b_held[1]:.0f} km, n={b_held[2]})", flush=True)

    fitted = fit(gp.gazetteer, base, fit_items, args.passes)
    f_fit, f_held = evaluate(gp.gazetteer, fitted, fit_items), evaluate(gp.gazetteer, fitted, held_items)
    print(f"fitted:   fit acc@161 {f_fit[0]:.4f} (mean error {f_fit[1]:.0f} km); "
          f"held-out acc@161 {f_held[0]:.4f} (mean error {f_held[1]:.0f} km)")
    print("fitted weights: " + ", ".join(f"{k}={getattr(fitted, k):+.2f}" + (
        f" (was {getattr(base, k):+.2f})" if getattr(fitted, k) != getattr(base, k) else "") for k in STEPS))
    print(f"total {time.perf_counter() - t0:.1f} s")

    if args.write:
        about = ("Resolution weights: how much each piece of evidence adds to a candidate place's score. Read by "
                 "geodata/weights.py. " + ", ".join(STEPS) + " fitted by coordinate descent on acc@161 over the "
                 "English corpora LGL + TR-News (articles with index % 5 != 0; GWN not used) with "
                 f"`.venv/bin/python bench/fit_weights.py --write`: fit acc@161 {b_fit[0]:.4f} -> {f_fit[0]:.4f}, "
                 f"held-out (index % 5 == 0) {b_held[0]:.4f} -> {f_held[0]:.4f}. See docs/benchmarks.md.")
        fitted.save(args.out, about=about)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

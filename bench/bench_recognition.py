"""Benchmark place *recognition* (which spans the geoparser reports) on three evaluation sets.

    .venv/bin/python bench/bench_recognition.py [--gazetteer PATH] [--shared ../shared]
                                                [--only gwn|anercorp|acled|frequent] [--show-errors N]

Measuring only: nothing here feeds the rules. Uses the public API alone
(`Geoparser(path=...).parse(text)`); every returned Resolution is a reported span, including
those whose `place` is None.

* GWN (GeoWebNews, English, 200 articles): a reported span is correct when its character range
  overlaps a gold toponym. Gold offsets in GWN.xml are absolute character offsets into the
  article's <text> (text[start:end] == extractedName for 6,607 of 6,612 annotations; the other 5
  have negative offsets and are dropped). "Gold toponym" follows the GWN taxonomy: literal
  types (Literal, Literal_Modifier, Mixed, Coercion, Embedded_Literal) and associative ones
  (Metonymic, Non_Literal_Modifier, Embedded_Non_Lit, Demonym, Language, Homonym); the
  annotated non-toponyms (Non_Toponym, and the common-noun Literal_Expression /
  Non_Lit_Expression such as "church", "residents") are not toponyms. Precision = share of
  reported spans overlapping a toponym; recall = share of toponyms overlapped by a span.
* ANERcorp (Arabic NER, `token TAG` per line): tokens are joined with single spaces into
  chunks that end at the first sentence-final token (. ! ? ؟) once 200 tokens are gathered.
  Gold places are B-LOC/I-LOC entities in the usual BIO sense (a B-LOC starts a new entity, so
  "لبنان وإسرائيل" tagged B-LOC B-LOC is two places; merging every contiguous LOC run would
  fuse 335 coordinated lists into one entity). A reported span maps to the range of tokens it
  overlaps (partly covered tokens, e.g. a proclitic و/ب left outside the span, count whole);
  it is correct when that range equals a gold range. Reported ranges are de-duplicated per
  chunk. Prints precision, recall, F1.
* ACLED (Syria battles): geo_precision 1, event year 2019-2021, admin1 Idleb/Hama/Aleppo/
  Lattakia (ACLED's spellings); rows sorted by (event_date, event_id_cnty) and 400 evenly spaced
  ones taken (rows[round(i * n / 400)]). Per note, keep resolutions with a place whose `role`
  is "target" (a missing attribute counts as "target"). Recall within 5 km / 25 km = share of
  notes with a kept place within that great-circle distance of ACLED's point; locations per
  note = mean number of distinct kept place ids.
* Frequent words (`--only frequent`): Arabic words of wordfreq's 30,000 most frequent whose exact or
  loose key is the key of a Syrian locality's name in the gazetteer (they "resemble a village"),
  minus those that name an important place themselves (a country, governorate, district, area or
  city, or a town of 50,000), 400 evenly spaced of them; each put into six ordinary news-prose
  sentences of our own (`FREQUENT_TEMPLATES`: a shelling in Kafr Nabl, Maarat al-Numan, Saraqib… and
  the word after a comma, after a verb, at the start, after a conjunction). Share of the 2,400
  sentences in which a reported span overlaps the word: the words are not places there. A measure
  only: neither the words nor the sentences feed the model or the rules.
* Geoparser load time, and throughput (GWN articles/s, ACLED notes/s).

--show-errors N prints, per measure, the most frequent false-positive / missed surface forms
and N examples of each, for debugging.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime
from pathlib import Path

from geopy.distance import great_circle

from geodata.geoparser import Geoparser

ROOT = Path(__file__).resolve().parents[1]

GWN_TOPONYM_TYPES = {
    "Literal", "Literal_Modifier", "Mixed", "Coercion", "Embedded_Literal",
    "Metonymic", "Non_Literal_Modifier", "Embedded_Non_Lit", "Demonym", "Language", "Homonym",
}
TAG = re.compile(r"O|[BI]-[A-Z]+")
SENTENCE_END = {".", "!", "?", "؟"}
ACLED_ADMIN1 = {"Idleb", "Hama", "Aleppo", "Lattakia"}
ACLED_YEARS = {2019, 2020, 2021}
ACLED_SAMPLE = 400


def role_of(r) -> str:
    return getattr(r, "role", "target") or "target"


def context(text: str, start: int, end: int, width: int = 60) -> str:
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    return " ".join(f"{left}[[{text[start:end]}]]{right}".split())


def place_label(r) -> str:
    p = r.place
    if p is None:
        return f"None ({r.reason or 'unresolved'})"
    return f"{p.name_en} ({p.kind}, {p.lat:.3f},{p.lon:.3f})"


def spaced(items: list, n: int) -> list:
    """n items spread evenly over the list (deterministic, representative)."""
    if n <= 0 or not items:
        return []
    if len(items) <= n:
        return items
    return [items[round(i * len(items) / n)] for i in range(n)]


def print_counter(title: str, c: Counter, n: int) -> None:
    if n and c:
        print(f"  {title}: " + "; ".join(f"{k} ×{v}" for k, v in c.most_common(n)))


# ---------------------------------------------------------------------------------------- GWN
def gwn(gp: Geoparser, path: Path, show: int) -> None:
    root = ET.parse(path).getroot()
    articles = []
    dropped = 0
    for a in root.iter("article"):
        text = a.findtext("text") or ""
        gold = []
        for tp in a.iter("toponym"):
            s, e = int(tp.findtext("start")), int(tp.findtext("end"))
            name = tp.findtext("extractedName") or ""
            if s < 0 or text[s:e] != name:
                dropped += 1
                continue
            gold.append((s, e, tp.findtext("type") or "", name))
        articles.append((text, gold))

    n_spans = correct = 0
    fp_kind: Counter = Counter()   # what a false positive overlaps, if anything
    fps, misses = [], []
    n_gold = found = 0
    t = time.perf_counter()
    results = [gp.parse(text) for text, _ in articles]
    secs = time.perf_counter() - t
    for (text, gold), res in zip(articles, results):
        topo = [g for g in gold if g[2] in GWN_TOPONYM_TYPES]
        for r in res:
            n_spans += 1
            if any(r.start < e and s < r.end for s, e, _, _ in topo):
                correct += 1
            else:
                other = [ty for s, e, ty, _ in gold if r.start < e and s < r.end]
                fp_kind[other[0] if other else "no annotation"] += 1
                fps.append((text, r))
        for g in topo:
            n_gold += 1
            if any(r.start < g[1] and g[0] < r.end for r in res):
                found += 1
            else:
                misses.append((text, g))
    prec = correct / n_spans if n_spans else 0.0
    rec = found / n_gold if n_gold else 0.0
    print(f"GWN: {len(articles)} articles, {n_gold} gold toponyms ({dropped} annotations with bad offsets dropped)")
    print(f"  reported spans: {n_spans}   precision (overlap a toponym): {prec:.3f}  [target >= 0.90]   "
          f"recall: {rec:.3f}")
    print(f"  throughput: {len(articles) / secs:.1f} articles/s")
    if show:
        print("  false positives overlap: " + ", ".join(f"{k} {v}" for k, v in fp_kind.most_common()))
        print_counter("most frequent false positives", Counter(r.text for _, r in fps), show)
        for text, r in spaced(fps, show):
            print(f"    FP {r.text!r} -> {place_label(r)}: {context(text, r.start, r.end)}")
        print_counter("most frequent misses", Counter(f"{g[3]} [{g[2]}]" for _, g in misses), show)
        for text, g in spaced(misses, show):
            print(f"    MISS {g[3]!r} [{g[2]}]: {context(text, g[0], g[1])}")


# ----------------------------------------------------------------------------------- ANERcorp
def read_anercorp(path: Path) -> list[tuple[str, str]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if len(parts) == 1:          # damaged lines: " O" (no token) or ".O" (no space)
                m = re.fullmatch(r"(.+?)(O|[BI]-[A-Z]+)", parts[0], flags=re.I)
                if m:
                    out.append((m.group(1), m.group(2).upper()))
                continue
            tag, tok = parts[-1].upper(), " ".join(parts[:-1])
            if not TAG.fullmatch(tag) and TAG.fullmatch(parts[0].upper()):  # "B-PERS token"
                tag, tok = parts[0].upper(), " ".join(parts[1:])
            out.append(("_".join(tok.split()), tag))
    return out


def anercorp_chunks(tokens: list[tuple[str, str]], size: int = 200):
    """Yield (text, token offsets [(start, end)], gold LOC ranges {(first, last)})."""
    chunk: list[tuple[str, str]] = []

    def emit(chunk):
        offs, pos = [], 0
        for tok, _ in chunk:
            offs.append((pos, pos + len(tok)))
            pos += len(tok) + 1
        text = " ".join(tok for tok, _ in chunk)
        gold, cur = set(), None
        for i, (_, tag) in enumerate(chunk):
            if tag == "B-LOC" or (tag == "I-LOC" and cur is None):
                if cur is not None:
                    gold.add((cur, i - 1))
                cur = i
            elif tag != "I-LOC":
                if cur is not None:
                    gold.add((cur, i - 1))
                cur = None
        if cur is not None:
            gold.add((cur, len(chunk) - 1))
        return text, offs, gold

    for tok, tag in tokens:
        chunk.append((tok, tag))
        if (len(chunk) >= size and tok in SENTENCE_END) or len(chunk) >= 3 * size:
            yield emit(chunk)
            chunk = []
    if chunk:
        yield emit(chunk)


def anercorp(gp: Geoparser, path: Path, show: int) -> None:
    tokens = read_anercorp(path)
    tp = n_pred = n_gold = n_spans = 0
    fps, misses = [], []
    t = time.perf_counter()
    n_chunks = 0
    for text, offs, gold in anercorp_chunks(tokens):
        n_chunks += 1
        pred: dict[tuple[int, int], object] = {}
        for r in gp.parse(text):
            n_spans += 1
            idx = [i for i, (s, e) in enumerate(offs) if s < r.end and r.start < e]
            rng = (idx[0], idx[-1]) if idx else (-1, -1)
            pred.setdefault(rng, r)
        n_pred += len(pred)
        n_gold += len(gold)
        for rng, r in pred.items():
            if rng in gold:
                tp += 1
            else:
                over = [g for g in gold if g[0] <= rng[1] and rng[0] <= g[1]]
                fps.append((text, offs, rng, r, over))
        for g in gold - set(pred):
            part = [rng for rng in pred if g[0] <= rng[1] and rng[0] <= g[1]]
            misses.append((text, offs, g, part))
    secs = time.perf_counter() - t
    p = tp / n_pred if n_pred else 0.0
    rcl = tp / n_gold if n_gold else 0.0
    f1 = 2 * p * rcl / (p + rcl) if p + rcl else 0.0
    print(f"ANERcorp: {len(tokens)} tokens in {n_chunks} chunks, {n_gold} gold LOC entities; "
          f"{n_spans} reported spans -> {n_pred} token ranges ({secs:.1f} s)")
    print(f"  precision: {p:.3f} [target >= 0.85]   recall: {rcl:.3f}   F1: {f1:.3f} [target >= 0.72]")
    if show:
        wrong_bounds = sum(1 for *_, over in fps if over)
        print(f"  false positives: {len(fps)} ({wrong_bounds} overlap a gold LOC with other bounds, "
              f"{len(fps) - wrong_bounds} overlap none)")

        def toks(text, offs, rng):
            return text[offs[rng[0]][0]:offs[rng[1]][1]] if rng[0] >= 0 else "?"

        print_counter("most frequent false positives",
                      Counter(toks(x, o, rng) for x, o, rng, _, _ in fps), show)
        for text, offs, rng, r, over in spaced(fps, show):
            gold_s = (" gold=" + "/".join(toks(text, offs, g) for g in over)) if over else ""
            print(f"    FP {r.text!r} -> {place_label(r)}{gold_s}: "
                  f"{context(text, offs[max(rng[0], 0)][0], offs[max(rng[1], 0)][1], 50)}")
        print_counter("most frequent misses", Counter(toks(x, o, g) for x, o, g, _ in misses), show)
        for text, offs, g, part in spaced(misses, show):
            part_s = (" predicted=" + "/".join(toks(text, offs, r) for r in part)) if part else ""
            print(f"    MISS {toks(text, offs, g)!r}{part_s}: {context(text, offs[g[0]][0], offs[g[1]][1], 50)}")


# ------------------------------------------------------------------------------ frequent words
FREQUENT_TOP = 30_000
FREQUENT_SAMPLE = 400
FREQUENT_TEMPLATES = (
    "وتسبب القصف المدفعي على بلدة كفرنبل بريف إدلب، {w} في أضرار مادية كبيرة بمنازل المدنيين.",
    "وقال ناشطون إن {w} كان موضوع النقاش خلال الاجتماع الذي عقد أمس في مدينة إدلب.",
    "أفاد المرصد السوري بأن قوات النظام قصفت مدينة معرة النعمان، وأشار إلى {w} بحسب مصادر محلية.",
    "{w} هو ما تحدث عنه الأهالي في ريف حلب الشمالي بعد الغارات الأخيرة على المنطقة.",
    "وشهدت مدينة سراقب قصفاً عنيفاً صباح اليوم، ثم {w} وسط حالة من الخوف بين المدنيين.",
    "واستهدفت طائرات حربية روسية قرية البارة في جبل الزاوية جنوبي إدلب، و{w} دون أن ترد أنباء عن إصابات.",
)
IMPORTANT_KINDS = {"country", "governorate", "district", "area", "city"}


def frequent_words(gp: Geoparser) -> list[str]:
    """Frequent Arabic words that resemble a Syrian village's name (see the module docstring)."""
    from wordfreq import top_n_list

    from geodata.normalize import fold_arabic_word, is_arabic, loose_arabic_word

    places = gp.gazetteer.places
    village_exact, village_loose, important = set(), set(), set()
    for n in gp.gazetteer.names:
        p = places[n.place_id]
        if p.kind in IMPORTANT_KINDS or (p.population or 0) >= 50_000 or p.country != "SY":
            important.add(n.exact)
        elif p.kind == "locality":
            village_exact.add(n.exact)
            if n.loose:
                village_loose.add(n.loose)
    out = []
    for w in top_n_list("ar", FREQUENT_TOP):
        if not is_arabic(w) or len(w) < 3 or " " in w:
            continue
        e, lo = fold_arabic_word(w), loose_arabic_word(w)
        if e in important:
            continue
        if e in village_exact or (len(lo) >= 4 and lo in village_loose):
            out.append(w)
    return spaced(out, FREQUENT_SAMPLE)


def frequent(gp: Geoparser, show: int) -> None:
    words = frequent_words(gp)
    n = read = 0
    hits: Counter = Counter()
    examples = []
    t = time.perf_counter()
    for w in words:
        for tpl in FREQUENT_TEMPLATES:
            text = tpl.replace("{w}", w)
            s = tpl.index("{w}")
            e = s + len(w)
            n += 1
            over = [r for r in gp.parse(text) if r.start < e and s < r.end]
            if over:
                read += 1
                hits[w] += 1
                examples.append((w, text, over[0]))
    secs = time.perf_counter() - t
    print(f"Frequent words resembling a village: {len(words)} words x {len(FREQUENT_TEMPLATES)} sentences "
          f"({secs:.1f} s)")
    print(f"  read as places: {read} of {n} = {read / n:.3%} [target <= 0.5%]   "
          f"words read as a place at least once: {len(hits)}")
    if show:
        print_counter("most often", hits, show)
        for w, text, r in spaced(examples, show):
            print(f"    {w!r} -> {r.text!r} {place_label(r)}: {text}")


# -------------------------------------------------------------------------------------- ACLED
def acled_sample(path: Path, years: set[int] = ACLED_YEARS) -> list[dict]:
    """The issue's sample: geo_precision 1, Idleb/Hama/Aleppo/Lattakia, 400 evenly spaced notes of
    `years` (2019-2021 measure; 2017-2018 and 2022-2023 may be read to develop and train)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = []
        for r in csv.DictReader(f):
            if r["geo_precision"] != "1" or r["admin1"] not in ACLED_ADMIN1:
                continue
            d = datetime.strptime(r["event_date"], "%d %B %Y")
            if d.year in years:
                rows.append((d, r["event_id_cnty"], r))
    rows.sort(key=lambda x: (x[0], x[1]))
    return [rows[round(i * len(rows) / ACLED_SAMPLE)][2] for i in range(ACLED_SAMPLE)] if rows else []


def acled_miss_cause(r: dict, res: list) -> str:
    """Why a note missed: find ACLED's `location` (or a part of "City - Neighbourhood") in the note
    and look at what the geoparser reported over it."""
    note = r["notes"].lower()
    ll = (float(r["latitude"]), float(r["longitude"]))
    parts = [r["location"]] + [x.strip() for x in r["location"].split(" - ")][::-1]
    for part in parts:
        s = note.find(part.lower())
        if s < 0 or not part:
            continue
        e = s + len(part)
        over = [x for x in res if x.start < e and s < x.end]
        if not over:
            return "location named in note, not recognised"
        if all(x.place is None for x in over):
            return "recognised, unresolved"
        if all(role_of(x) != "target" for x in over if x.place is not None):
            return "recognised, role not target"
        if all(great_circle(ll, (x.place.lat, x.place.lon)).km > 25 for x in over if x.place is not None):
            return "recognised, resolved > 25 km away"
        return "recognised, resolved 5-25 km away"
    return "ACLED location spelled differently in note"


def acled(gp: Geoparser, path: Path, show: int) -> None:
    rows = acled_sample(path)
    w5 = w25 = 0
    n_locs = []
    misses, per_note = [], []
    t = time.perf_counter()
    parsed = [gp.parse(r["notes"]) for r in rows]
    secs = time.perf_counter() - t
    for r, res in zip(rows, parsed):
        kept = [x for x in res if x.place is not None and role_of(x) == "target"]
        ll = (float(r["latitude"]), float(r["longitude"]))
        dists = [great_circle(ll, (x.place.lat, x.place.lon)).km for x in kept]
        best = min(dists, default=float("inf"))
        w5 += best <= 5
        w25 += best <= 25
        ids = {x.place.id for x in kept}
        n_locs.append(len(ids))
        per_note.append((len(ids), r, res))
        if best > 5:
            misses.append((r, res, best))
    n = len(rows)
    print(f"ACLED: {n} notes (geo_precision 1, 2019-2021, {'/'.join(sorted(ACLED_ADMIN1))})")
    print(f"  recall within 5 km: {w5 / n:.3f} [target >= 0.70]   within 25 km: {w25 / n:.3f}   "
          f"locations per note: {sum(n_locs) / n:.2f} [target <= 1.8]")
    print(f"  throughput: {n / secs:.0f} notes/s")
    if show:
        def ours(res):
            seen: Counter = Counter((x.text, x.place.id if x.place else None, role_of(x)) for x in res)
            first = {}
            for x in res:
                first.setdefault((x.text, x.place.id if x.place else None, role_of(x)), x)
            return "; ".join(f"{x.text!r}->{place_label(x)}[{role_of(x)}]" + (f" ×{seen[k]}" if seen[k] > 1 else "")
                             for k, x in first.items()) or "(nothing)"

        no_kept = sum(1 for _, res, b in misses if b == float("inf"))
        print(f"  misses: {len(misses)} ({no_kept} with no kept place at all, "
              f"{len(misses) - no_kept} with places all > 5 km)")
        print("  miss causes: " + "; ".join(f"{k} {v}" for k, v in
                                             Counter(acled_miss_cause(r, res) for r, res, _ in misses).most_common()))
        for r, res, best in spaced(misses, show):
            dist = "none kept" if best == float("inf") else f"nearest {best:.0f} km"
            print(f"    MISS [{r['event_id_cnty']}] ACLED {r['location']} ({r['admin1']}/{r['admin2']}, "
                  f"{float(r['latitude']):.3f},{float(r['longitude']):.3f}), {dist}")
            print(f"      note: {' '.join(r['notes'].split())[:400]}")
            print(f"      ours: {ours(res)}")
        print("  notes with the most locations:")
        for k, r, res in sorted(per_note, key=lambda x: -x[0])[:show]:
            print(f"    {k} places [{r['event_id_cnty']}] ACLED {r['location']}: {' '.join(r['notes'].split())[:300]}")
            print(f"      ours: {ours(res)}")


def bench_parser(description: str) -> argparse.ArgumentParser:
    """The options every bench and training script shares: the built gazetteer (beside
    $INCIDENTMAP_HOME, else the checkout's .data/) and ../shared beside the checkout."""
    home = os.environ.get("INCIDENTMAP_HOME")
    default_gaz = Path(home) / "gazetteer.sqlite" if home else ROOT / ".data" / "gazetteer.sqlite"
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--gazetteer", default=str(default_gaz))
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    return ap


def main() -> int:
    ap = bench_parser(__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["gwn", "anercorp", "acled", "frequent"])
    ap.add_argument("--show-errors", type=int, default=0, metavar="N")
    args = ap.parse_args()
    shared = Path(args.shared)
    t0 = time.perf_counter()
    gp = Geoparser(path=args.gazetteer)
    print(f"Geoparser load: {time.perf_counter() - t0:.2f} s ({args.gazetteer})")
    measures = {
        "gwn": lambda: gwn(gp, shared / "eval/english-geoparsing/GWN.xml", args.show_errors),
        "anercorp": lambda: anercorp(gp, shared / "eval/arabic-ner/ANERCorp.txt", args.show_errors),
        "acled": lambda: acled(gp, shared / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv",
                               args.show_errors),
        "frequent": lambda: frequent(gp, args.show_errors),
    }
    for name, fn in measures.items():
        if args.only in (None, name):
            fn()
    print(f"total: {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

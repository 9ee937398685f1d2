"""Train the place tagger (`geodata/tagger.py`) and report its held-out scores.

    INCIDENTMAP_HOME=.data .venv/bin/python bench/train_tagger.py [--gazetteer PATH] [--shared ../shared]
                                                               [--out geodata/data] [--dry-run]

Training data — only the corpora the project may fit weights on (`../shared/README.md`):
* Arabic: NewsFANE (`eval/arabic-ner/NewsFANE_Gold.txt`; its place tags — Nation, Population-Center,
  State-or-Province, County-or-District, GPE-Cluster, Land, Water-Body, Building-Grounds, Continent,
  Path, Airport, Land-Region-Natural, Subarea-Facility — are places, every other tag and untagged
  text is not) and AQMAR (`AQMAR.txt`, B-LOC/I-LOC). NewsFANE is segmented (و، ب، ه… as tokens of
  their own); the proclitics and pronoun suffixes are joined back onto their words so that the text
  reads as running Arabic does.
* English: LGL and TR-News (`eval/english-geoparsing/`), gold toponyms by character offsets.
Never GWN, ANERcorp, ACLED 2019–2021, Syrian Archive or FA-KES: those measure.

Documents: NewsFANE and AQMAR sentences grouped into ~200-token documents, LGL/TR-News articles.
Each document goes through the recogniser's candidate stage (`Recognizer.candidates`: gazetteer
matches and unknown names after triggers, with the hand rules' verdicts); a candidate is labelled
a place when it overlaps a gold place span. Fixed split by document index: index % 5 == 0 held out,
the rest trained on. The model is a linear-chain CRF over each document's candidates
(python-crfsuite, L-BFGS with L1 and L2 penalties).

Prints, on the held-out documents, precision/recall/F1 of the candidates the model keeps (at the
shipped threshold), against the old hand rules' verdict on the same candidates; writes
`tagger_ar.crfsuite`, `tagger_en.crfsuite` and `tagger.json` (thresholds, the scores, the command).
"""

from __future__ import annotations

import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pycrfsuite

from geodata.gazetteer import Gazetteer
from geodata.recognize import Recognizer
from geodata.tagger import LABEL_OTHER, LABEL_PLACE, MODEL_FILES, PlaceTagger, features

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_recognition import bench_parser  # noqa: E402
NEWSFANE_PLACES = {"Nation", "Population-Center", "State-or-Province", "County-or-District", "GPE-Cluster",
                   "Land", "Water-Body", "Building-Grounds", "Continent", "Path", "Airport",
                   "Land-Region-Natural", "Subarea-Facility"}
PROCLITICS = {"و", "ف", "ب", "ل", "ك", "س"}
ENCLITICS = {"ه", "ها", "هم", "هما", "هن", "كم", "كما", "نا"}
DOC_TOKENS = 200
HELD_OUT = 5  # document index % HELD_OUT == 0 is held out
THRESHOLD = 0.5
REVIEW_BELOW = 0.7
THRESHOLD_AGAINST_RULES = 0.9  # to keep a candidate the hand rules reject (see Recognizer.find)
KEEP_GRID = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)  # keep thresholds tried on dev for what the rules accept
# Log-odds the tagger adds for evidence the corpora hardly contain (see PlaceTagger._prior): a
# village/town/camp trigger right before a gazetteer name, a neighbourhood's own word (حي، district).
PRIORS = {"trigger:village": 4.0, "trigger:villages": 4.0, "trigger:town": 4.0, "trigger:towns": 4.0,
          "trigger:camp": 2.0, "trigger:vicinity": 2.0, "trigger:neighbourhood": 2.0, "neighbourhood": 2.0,
          "syrian_name_in_syrian_text": 1.0}
PARAMS = {"c1": 0.3, "c2": 0.1, "max_iterations": 150, "feature.possible_transitions": True}


# ---- corpora -------------------------------------------------------------------------------------
def read_bio(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences of (token, tag); invisible direction marks removed."""
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.replace("\u200e", "").replace("\u200f", "").replace("\ufeff", "")
        parts = line.split()
        if not parts:
            if cur:
                sents.append(cur)
                cur = []
            continue
        tok, tag = (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else (parts[0], "O")
        if not tok:
            continue
        cur.append(("_".join(tok.split()), tag))
    if cur:
        sents.append(cur)
    return sents


def join_arabic(tokens: list[tuple[str, str]], is_place) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """Running text from segmented tokens (proclitics onto the next word, pronoun suffixes onto the
    previous one), with the character spans of gold places and of other entities."""
    out, spans_tok = "", []
    glue_next = False
    for k, (tok, _) in enumerate(tokens):
        if glue_next:
            if out.endswith("ل") and tok.startswith("ال") and len(tok) > 3:  # ل + الـ = لل
                tok = tok[1:]
            start = len(out)
        elif k > 0 and tok in ENCLITICS and tokens[k - 1][1] == "O" and re.match(r"[\u0600-\u06ff]", out[-1:] or " "):
            start = len(out)
        else:
            if out:
                out += " "
            start = len(out)
        out += tok
        spans_tok.append((start, len(out)))
        glue_next = tok in PROCLITICS and tokens[k][1] == "O"
    places, others = [], []
    cur, cur_place = None, False
    for k, (_, tag) in enumerate(tokens + [("", "O")]):
        kind = tag[2:] if len(tag) > 2 and tag[1] == "-" else ""
        begins = tag.startswith("B-") or (tag.startswith("I-") and (cur is None or cur[2] != kind))
        if cur is not None and (tag == "O" or begins or not kind):
            (places if cur_place else others).append((spans_tok[cur[0]][0], spans_tok[cur[1]][1]))
            cur = None
        if kind and tag != "O":
            if cur is None:
                cur, cur_place = [k, k, kind], is_place(kind)
            else:
                cur[1] = k
    return out, places, others


def arabic_docs(shared: Path) -> list[tuple[str, list, list, str]]:
    docs = []
    for name, is_place in (("NewsFANE_Gold.txt", lambda k: k in NEWSFANE_PLACES),
                           ("AQMAR.txt", lambda k: k == "LOC")):
        buf: list = []
        for sent in read_bio(shared / "eval/arabic-ner" / name) + [None]:
            if sent is not None:
                buf += sent
            if buf and (sent is None or len(buf) >= DOC_TOKENS):
                text, places, others = join_arabic(buf, is_place)
                docs.append((text, places, others, name))
                buf = []
    return docs


def english_docs(shared: Path) -> list[tuple[str, list, list, str]]:
    docs = []
    for name in ("LGL.xml", "TR-News.xml"):
        root = ET.parse(shared / "eval/english-geoparsing" / name).getroot()
        for a in root.iter("article"):
            text = a.findtext("text") or ""
            places = []
            for tp in a.iter("toponym"):
                s, e, phrase = int(tp.findtext("start")), int(tp.findtext("end")), tp.findtext("phrase") or ""
                if text[s:e] != phrase:  # a few TR-News offsets are shifted: find the phrase nearby
                    near = text.find(phrase, max(0, s - 40))
                    if near < 0 or abs(near - s) > 80:
                        continue
                    s, e = near, near + len(phrase)
                places.append((s, e))
            docs.append((text, places, [], name))
    return docs


ACLED_YEARS = {2017, 2018, 2022, 2023}  # the years the project may fit on (2019-2021 measure)
ACLED_EVERY = 3  # every third allowed note (about 5,300), in file order
ACLED_KM = 10.0


def acled_notes(shared: Path) -> list[dict]:
    """ACLED Syria notes of the allowed years: English texts from this product's own domain."""
    import csv

    with open(shared / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["event_date"][-4:].isdigit() and int(r["event_date"][-4:]) in ACLED_YEARS]
    return rows[::ACLED_EVERY]


def acled_sequences(rec: Recognizer, rows: list[dict]) -> list[tuple[list, list, list, object]]:
    """Partly labelled sequences from ACLED notes: a candidate is a place when one of its gazetteer
    places lies within 10 km of the event's point or its key is the key of the event's location or
    admin names; it is not a place when it lies inside an actor's name written in the note
    ("Hayat Tahrir al Sham"); other candidates are left out (a note names more places than its
    one event), so each labelled candidate is a sequence of its own, its features read in the
    whole note."""
    from geodata.normalize import name_keys
    from geodata.place import Place
    from geodata.earth import km

    cache: dict = {}
    out = []
    for r in rows:
        text = r["notes"]
        cands = rec.candidates(text)
        if not cands.items:
            continue
        point = Place("", "", "", float(r["latitude"]), float(r["longitude"]), "point")
        names = [r["location"], *r["location"].split(" - "), r["admin1"], r["admin2"], r["admin3"]]
        keys = {k for n in names if n.strip() for k in name_keys(n) if k}
        actors = []
        for a in (r["actor1"], r["assoc_actor_1"], r["actor2"], r["assoc_actor_2"]):
            for part in a.split(";"):
                part = re.sub(r"\(.*?\)", "", part).strip()
                if len(part) > 3:
                    for mo in re.finditer(re.escape(part), text, flags=re.I):
                        actors.append((mo.start(), mo.end()))
        xs = features(rec, cands, cache)
        for (m, _, _, v), x in zip(cands.items, xs):
            near = any(km(rec.gazetteer.places[p], point) <= ACLED_KM for p in m.place_ids)
            if near or set(name_keys(m.text)) & keys:
                y = LABEL_PLACE
            elif any(s <= m.start and m.end <= e for s, e in actors):
                y = LABEL_OTHER
            else:
                continue
            out.append(([x], [y], [v.rule_ok], None))
    return out


# ---- candidates and labels -----------------------------------------------------------------------
def label(m, places) -> str:
    return LABEL_PLACE if any(m.start < e and s < m.end for s, e in places) else LABEL_OTHER


def sequences(rec: Recognizer, docs) -> list[tuple[list, list, list, object]]:
    """(features, labels, rule verdicts, candidates) per document with at least one candidate."""
    cache: dict = {}
    out = []
    for k, (text, places, _, _) in enumerate(docs):
        cands = rec.candidates(text)
        if not cands.items:
            out.append(None)  # kept in place: the split is by document index
            continue
        xs = features(rec, cands, cache)
        ys = [label(m, places) for m, *_ in cands.items]
        rules = [v.rule_ok for m, _, _, v in cands.items]
        out.append((xs, ys, rules, cands))
    return out


def scores(pairs) -> dict:
    tp = sum(1 for p, y in pairs if p and y)
    fp = sum(1 for p, y in pairs if p and not y)
    fn = sum(1 for p, y in pairs if not p and y)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3), "candidates": len(pairs),
            "places": tp + fn}


def decide(p: float, rule_ok: bool, tier: str, keep_rule_ok: float) -> bool:
    """The recogniser's decision (`Recognizer.find`): a spelling variant or an unknown name needs the
    model's yes; against the hand rules' no the model must be sure; a candidate the rules accept
    stays unless the model's probability falls below `keep_rule_ok`."""
    if tier in ("loose", "unknown"):
        return p >= THRESHOLD and (rule_ok or p >= THRESHOLD_AGAINST_RULES)
    return p >= (keep_rule_ok if rule_ok else THRESHOLD_AGAINST_RULES)


def train_one(lang: str, seqs, out: Path, dry: bool, rec: Recognizer, meta: dict, extra=()) -> dict:
    """Fixed split by document index: k % 10 == 0 dev (chooses the keep threshold), k % 10 == 5
    test (the reported scores), the rest (and `extra`) trained on."""
    train = [s for k, s in enumerate(seqs) if k % HELD_OUT and s] + list(extra)
    dev = [s for k, s in enumerate(seqs) if k % (2 * HELD_OUT) == 0 and s]
    test = [s for k, s in enumerate(seqs) if k % (2 * HELD_OUT) == HELD_OUT and s]
    trainer = pycrfsuite.Trainer(verbose=False)
    for xs, ys, _, _ in train:
        trainer.append(pycrfsuite.ItemSequence(xs), ys)
    trainer.set_params(PARAMS)
    path = out / MODEL_FILES[lang] if not dry else Path(f"/tmp/tagger_{lang}.crfsuite")
    t = time.perf_counter()
    trainer.train(str(path))
    secs = time.perf_counter() - t
    tagger = PlaceTagger({lang: path}, meta)

    def scored(docs):
        rows = []
        for _, ys, rules, cands in docs:
            probs = tagger.probabilities(rec, cands)
            rows += [(p, r, m.tier, y == LABEL_PLACE) for p, r, (m, *_), y in zip(probs, rules, cands.items, ys)]
        return rows

    dev_rows, test_rows = scored(dev), scored(test)
    # The lowest keep threshold within 0.005 of the best dev F1: a missed place costs more than a
    # doubtful one, which goes to the review queue with its low probability anyway.
    dev_f1 = {k: scores([(decide(p, r, tier, k), y) for p, r, tier, y in dev_rows])["f1"] for k in KEEP_GRID}
    best = min(k for k in KEEP_GRID if dev_f1[k] >= max(dev_f1.values()) - 0.005)
    meta.setdefault("keep_rule_ok", {})[lang] = best
    return {"train_documents": len(train) - len(extra), "dev_documents": len(dev), "test_documents": len(test),
            "train_candidates": sum(len(x) for x, _, _, _ in train), "train_seconds": round(secs, 1),
            "keep_rule_ok": best,
            "dev_f1_by_keep_threshold": dev_f1,
            "test_model": scores([(decide(p, r, tier, best), y) for p, r, tier, y in test_rows]),
            "test_hand_rules": scores([(r, y) for _, r, _, y in test_rows]),
            "weights_bytes": path.stat().st_size}


def main() -> int:
    ap = bench_parser(__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "geodata" / "data"))
    ap.add_argument("--dry-run", action="store_true", help="write the models to /tmp, not the package")
    args = ap.parse_args()
    shared, out = Path(args.shared), Path(args.out)
    t0 = time.perf_counter()
    rec = Recognizer(Gazetteer.load(args.gazetteer), tagger=False)
    print(f"gazetteer loaded in {time.perf_counter() - t0:.1f} s ({args.gazetteer})")
    meta = {"_about": "Place tagger thresholds and held-out scores; written by bench/train_tagger.py.",
            "threshold": THRESHOLD, "threshold_against_rules": THRESHOLD_AGAINST_RULES,
            "review_below": REVIEW_BELOW, "priors": PRIORS, "params": PARAMS,
            "split": f"document index % {2 * HELD_OUT} == 0: dev (keep threshold), == {HELD_OUT}: test, else train",
            "command": "python bench/train_tagger.py", "models": {}}
    for lang, docs_of in (("ar", arabic_docs), ("en", english_docs)):
        t = time.perf_counter()
        docs = docs_of(shared)
        seqs = sequences(rec, docs)
        prep = time.perf_counter() - t
        extra = []
        if lang == "en":
            extra = acled_sequences(rec, acled_notes(shared))
            prep = time.perf_counter() - t
            print(f"[en] ACLED notes {sorted(ACLED_YEARS)}: {len(extra)} labelled candidates "
                  f"({sum(y == [LABEL_PLACE] for _, y, _, _ in extra)} places)")
        report = train_one(lang, seqs, out, args.dry_run, rec, meta, extra)
        report["acled_candidates"] = len(extra)
        report["feature_seconds"] = round(prep, 1)
        meta["models"][lang] = report
        print(f"[{lang}] {len(docs)} documents, {report['train_candidates']} training candidates; "
              f"features {prep:.1f} s, training {report['train_seconds']} s, weights {report['weights_bytes']} bytes")
        print(f"  keep threshold for what the rules accept (best dev F1): {report['keep_rule_ok']}")
        for who in ("test_model", "test_hand_rules"):
            s = report[who]
            print(f"  {who}: precision {s['precision']:.3f} recall {s['recall']:.3f} F1 {s['f1']:.3f} "
                  f"({s['candidates']} candidates, {s['places']} places)")
    if not args.dry_run:
        (out / "tagger.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

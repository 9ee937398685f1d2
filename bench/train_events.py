"""Train the event model (`incidents/event_model.py`) and write `incidents/data/event_model.json`.

    .venv/bin/python bench/train_events.py [--shared ../shared] [--out incidents/data/event_model.json]

Needs scikit-learn (training only: `pip install -e .[train]`); inference is plain Python.

Data (only what `shared/README.md` allows for fitting; ACLED 2019-2021, GWN, ANERcorp, Syrian
Archive and FA-KES are never read here):
* positives — ACLED Syria Battles notes with `event_date` in 2017-2018 or 2022-2023: the sentence
  of each note that names its `location` (or a part of "City - Neighbourhood"), else its first
  sentence; labelled with the note's `sub_event_type` for the type model;
* negatives — sentences of LGL and TR-News articles with no event cue and no word of violence
  (`VIOLENCE` below), or with words of war but none of an event happening (`EVENT_WORDS`: "the
  Sri Lankan civil war, which erupted in 1972…", "troops are stationed in the province"), and
  the bookkeeping sentences of ACLED notes ("Neither injuries nor
  fatalities were reported.", "Fatalities coded as 10.") which report no event at a place.

Fixed split: ACLED 2017-2018 and LGL/TR-News articles whose position in their file is not a
multiple of 5 are fitted; ACLED 2022-2023 (a later war, other actors) and every fifth article
are held out. Prints held-out precision/recall/F1 of the event decision at the chosen threshold,
and accuracy of the sub-event type. Then refits on everything allowed and writes the weights
(features with |weight| < MIN_WEIGHT, or MIN_TYPE_WEIGHT for the type model, dropped; 4 decimals).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geodata.sentences import sentence_spans  # noqa: E402
from incidents.event_model import features  # noqa: E402
from incidents.lexicon import event_cues  # noqa: E402

TRAIN_YEARS = {2017, 2018}
HELD_OUT_YEARS = {2022, 2023}
VIOLENCE = re.compile(
    r"\b(?:kill|dead|death|die[ds]?|dying|murder|shot|shoot|gun|fire[ds]?|firing|attack|bomb|blast|explo|"
    r"wound|injur|hurt|clash|fight|battle|war|military|army|troops?|soldier|militan|rebel|insurg|terror|"
    r"strike|raid|shell|missile|rocket|weapon|arm(?:ed|s)\b|assault|stab|hostage|kidnap|abduct|body|bodies|"
    r"victim|casualt|violen|combat|siege|captur|seiz|police|crime|suspect|arrest|prison|jail|homicide|"
    r"massacre|genocide|refugee|conflict|security|forces)", re.I)
# A word of an event happening: a sentence of the news corpora with words of war (VIOLENCE) but none of
# these and no cue tells of the war without an event in it ("the army holds the province"), a negative.
EVENT_WORDS = re.compile(
    r"\b(?:kill|dead|death|die[ds]?|murder|shot|shoot|fire[ds]?|firing|attack|bomb|blast|explo|wound|injur|hurt|"
    r"clash|fight|fought|battle|strike|struck|raid|shell|missile|rocket|assault|stab|hostage|kidnap|abduct|"
    r"bod(?:y|ies)|casualt|captur|seiz|took\s+control|retook|recaptur|overr[au]n|ambush|assassin|execut|behead|"
    r"massacre|destroy|hit|target|advance|repel|sniper|gunmen|mortar|artiller|air\s*strike|warplane|jet|drone|"
    r"oust|drove|expel|liberat|storm|besieg|arrest|crime|suspect|police|victim|violen)", re.I)
BOOKKEEPING = re.compile(r"^\W*(?:neither|no\s+(?:injur|fatalit|casualt|advance)|(?:unknown\s+(?:number\s+of\s+)?)?"
                         r"fatalit|total\s+fatalit|casualties\s+(?:were\s+)?(?:reported|unknown)|number\s+of)", re.I)
C_EVENT = 1.0
C_TYPE = 1.0
MIN_WEIGHT = 0.05
MIN_TYPE_WEIGHT = 0.15


def cue_types(sentence: str) -> list[str]:
    return [h.label[1] for h in event_cues(sentence)]


def sentences(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]


def acled(path: Path) -> tuple[list, list, list, list]:
    """(train positives, held-out positives, train bookkeeping negatives, held-out ones);
    positives as (sentence, sub_event_type)."""
    pos = {True: [], False: []}
    neg = {True: [], False: []}
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            year = datetime.strptime(r["event_date"], "%d %B %Y").year
            if year not in TRAIN_YEARS | HELD_OUT_YEARS:
                continue  # 2019-2021 are for measuring only
            train = year in TRAIN_YEARS
            sents = sentences(r["notes"])
            if not sents:
                continue
            parts = [r["location"].lower()] + [p.strip().lower() for p in r["location"].split(" - ")]
            named = [s for s in sents if any(p and p in s.lower() for p in parts) and not BOOKKEEPING.match(s)]
            pos[train].append((named[0] if named else sents[0], r["sub_event_type"]))
            neg[train] += [s for s in sents[1:] if BOOKKEEPING.match(s) and s not in named]
    return pos[True], pos[False], neg[True], neg[False]


def news(paths: list[Path]) -> tuple[list, list]:
    """Sentences reporting no violence from LGL and TR-News: (train, held out)."""
    train, held = [], []
    for path in paths:
        for i, art in enumerate(ET.parse(path).getroot().iter("article")):
            text = art.findtext("text") or ""
            for s in sentences(text):
                if len(s) < 20 or EVENT_WORDS.search(s) or event_cues(s):
                    continue
                (held if i % 5 == 0 else train).append(s)
    return train, held


def vectorise(rows: list[tuple[str, list[str]]], vocab: dict | None = None):
    from scipy.sparse import csr_matrix

    grow = vocab is None
    vocab = {} if grow else vocab
    indptr, indices = [0], []
    for s, cues in rows:
        for f in features(s, cues):
            j = vocab.get(f)
            if j is None and grow:
                j = vocab[f] = len(vocab)
            if j is not None:
                indices.append(j)
        indptr.append(len(indices))
    return csr_matrix(([1.0] * len(indices), indices, indptr), shape=(len(rows), len(vocab))), vocab


def fit_event(pos, neg):
    from sklearn.linear_model import LogisticRegression

    rows = [(s, cue_types(s)) for s in pos] + [(s, cue_types(s)) for s in neg]
    y = [1] * len(pos) + [0] * len(neg)
    X, vocab = vectorise(rows)
    clf = LogisticRegression(C=C_EVENT, class_weight="balanced", max_iter=2000, solver="liblinear")
    clf.fit(X, y)
    return clf, vocab


def fit_type(pos):
    from sklearn.linear_model import LogisticRegression

    X, vocab = vectorise([(s, []) for s, _ in pos])
    clf = LogisticRegression(C=C_TYPE, max_iter=2000, class_weight="balanced")
    clf.fit(X, [t for _, t in pos])
    return clf, vocab


def prf(pred, gold) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(pred, gold))
    p = tp / max(1, sum(pred))
    r = tp / max(1, sum(gold))
    return p, r, 2 * p * r / max(1e-9, p + r)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--out", default=str(ROOT / "incidents/data/event_model.json"))
    ap.add_argument("--threshold", type=float, default=0.7)
    args = ap.parse_args()
    shared = Path(args.shared)
    t0 = time.perf_counter()
    pos_tr, pos_ho, book_tr, book_ho = acled(shared / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv")
    geo = shared / "eval/english-geoparsing"
    neg_tr, neg_ho = news([geo / "LGL.xml", geo / "TR-News.xml"])
    neg_tr, neg_ho = neg_tr + book_tr, neg_ho + book_ho
    print(f"fit: {len(pos_tr)} event sentences (ACLED 2017-2018), {len(neg_tr)} others; "
          f"held out: {len(pos_ho)} (ACLED 2022-2023), {len(neg_ho)} others")

    clf, vocab = fit_event([s for s, _ in pos_tr], neg_tr)
    rows = [(s, cue_types(s)) for s, _ in pos_ho] + [(s, cue_types(s)) for s in neg_ho]
    gold = [1] * len(pos_ho) + [0] * len(neg_ho)
    X, _ = vectorise(rows, vocab)
    probs = clf.predict_proba(X)[:, 1]
    for th in (0.3, 0.5, 0.7, 0.9):
        p, r, f = prf([x >= th for x in probs], gold)
        print(f"  held out, event at p >= {th}: precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
    nocue = [(x, g) for x, g, (s, c) in zip(probs, gold, rows) if not c]
    p, r, f = prf([x >= args.threshold for x, _ in nocue], [g for _, g in nocue])
    print(f"  held out, sentences without any cue ({len(nocue)}; {sum(g for _, g in nocue)} events): "
          f"precision {p:.3f} recall {r:.3f} F1 {f:.3f} at p >= {args.threshold}")
    tclf, tvocab = fit_type(pos_tr)
    Xt, _ = vectorise([(s, []) for s, _ in pos_ho], tvocab)
    pred = tclf.predict(Xt)
    acc = sum(a == b for a, (_, b) in zip(pred, pos_ho)) / max(1, len(pos_ho))
    print(f"  held out, sub-event type accuracy: {acc:.3f} ({len(pos_ho)} notes)")
    held_out = {"event_f1_at_threshold": round(prf([x >= args.threshold for x in probs], gold)[2], 4),
                "sub_event_accuracy": round(acc, 4)}

    # final fit on everything allowed
    clf, vocab = fit_event([s for s, _ in pos_tr + pos_ho], neg_tr + neg_ho)
    tclf, tvocab = fit_type(pos_tr + pos_ho)
    inv = {j: f for f, j in vocab.items()}
    weights = {inv[j]: round(float(w), 4) for j, w in enumerate(clf.coef_[0]) if abs(w) >= MIN_WEIGHT}
    tinv = {j: f for f, j in tvocab.items()}
    coef = tclf.coef_
    labels = list(tclf.classes_)
    if len(labels) == 2:  # binary: one row of weights for the second class
        coef = [[-c for c in coef[0]], list(coef[0])]
    tweights = {}
    for j in range(len(tinv)):
        ws = [float(coef[k][j]) for k in range(len(labels))]
        if max(abs(w) for w in ws) >= MIN_TYPE_WEIGHT:
            tweights[tinv[j]] = [round(w, 4) for w in ws]
    out = {
        "_about": "Fitted weights of incidents/event_model.py, written by bench/train_events.py. No text or rows: "
                  "features are words/word pairs (capitalised words as <C>, numbers as <N>) and cue types. Fitted on "
                  "ACLED Syria notes of 2017-2018 and 2022-2023 (ACLED terms of use; weights only) and sentences of "
                  "LGL and TR-News reporting no violence.",
        "bias": round(float(clf.intercept_[0]), 4),
        "threshold": args.threshold,
        "weights": dict(sorted(weights.items())),
        "types": {"event_type": "Battles", "labels": labels,
                  "bias": [round(float(b), 4) for b in (tclf.intercept_ if len(labels) > 2 else
                                                         [-tclf.intercept_[0], tclf.intercept_[0]])],
                  "weights": dict(sorted(tweights.items()))},
        "meta": {"positives": len(pos_tr) + len(pos_ho), "negatives": len(neg_tr) + len(neg_ho),
                 "held_out": held_out},
    }
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.out}: {len(weights)} event features, {len(tweights)} type features, "
          f"{Path(args.out).stat().st_size / 1024:.0f} KB; {time.perf_counter() - t0:.1f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

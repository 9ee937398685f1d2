"""The event model: does an English sentence report a violent event, and which ACLED Battles sub-event?

A logistic regression over the sentence's words and word pairs plus the event cues of
`incidents.lexicon` found in it (one feature per cue type, so a cue counts whatever its
wording). Place names are not features: a capitalised word is the shape `<C>` and a number
`<N>`, so the model learns how events are told ("unknown gunmen shot and killed", "opened fire
on", "body was found"), not which villages were in the news. Acronyms (HTS, SDF, IED) stay.

`incidents/data/event_model.json` holds the fitted weights only (feature → weight, no text),
written by `bench/train_events.py` (see there for the data, the fixed split and the held-out
scores). Arabic sentences are not scored (the training data allowed has no Arabic events):
there the cue dictionary and its generated morphology decide, as before.

    >>> m = event_model()
    >>> m.probability("unknown gunmen shot and killed a lieutenant in Jarablus city") > 0.5
    True
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*|\d+")
WEIGHTS_FILE = "data/event_model.json"


def tokens(sentence: str) -> list[str]:
    """The sentence's words as the model sees them: lower case, `<C>` for a capitalised word after
    the first, `<N>` for a number, acronyms as written."""
    out = []
    for i, m in enumerate(_WORD.finditer(sentence)):
        w = m.group()
        if w[0].isdigit():
            out.append("<N>")
        elif len(w) > 1 and w.isupper():
            out.append(w)
        elif w[0].isupper() and i > 0:
            out.append("<C>")
        else:
            out.append(w.lower().replace("’", "'"))
    return out


def features(sentence: str, cue_types: list[str]) -> set[str]:
    """Word, word-pair and cue-type features of one sentence (`cue_types`: the sub-event types of
    the cues found in it)."""
    toks = tokens(sentence)
    feats = {"w:" + t for t in toks}
    feats.update("b:" + a + " " + b for a, b in zip(toks, toks[1:]))
    for t in cue_types:
        feats.add("cue:" + (t or "untyped"))
    if cue_types:
        feats.add("cue")
    return feats


class EventModel:
    """Fitted weights: `probability` (a violent event is reported here) and `sub_event` (which
    ACLED Battles sub-event, for a sentence no cue types)."""

    def __init__(self, data: dict):
        self.bias = data["bias"]
        self.weights = data["weights"]
        # the same weights split by kind, so that scoring looks words and pairs up without building
        # feature strings (this runs on every English sentence that names a place)
        self._words = {k[2:]: w for k, w in self.weights.items() if k.startswith("w:")}
        self._pairs = {k[2:]: w for k, w in self.weights.items() if k.startswith("b:")}
        self.threshold = data["threshold"]
        self.labels = data["types"]["labels"]
        self.type_bias = data["types"]["bias"]
        self.type_weights = data["types"]["weights"]
        self.meta = data.get("meta", {})

    def probability(self, sentence: str, cue_types: list[str] = ()) -> float:
        """The same sum as over `features(sentence, cue_types)`, without building them."""
        toks = tokens(sentence)
        words, pairs, w = self._words, self._pairs, self.weights
        z = self.bias + sum(words.get(t, 0.0) for t in set(toks))
        z += sum(pairs.get(p, 0.0) for p in {a + " " + b for a, b in zip(toks, toks[1:])})
        if cue_types:
            z += w.get("cue", 0.0) + sum(w.get("cue:" + (t or "untyped"), 0.0) for t in set(cue_types))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def sub_event(self, sentence: str) -> tuple[str, float]:
        """The most probable ACLED Battles sub-event type and its probability."""
        scores = list(self.type_bias)
        tw = self.type_weights
        for f in features(sentence, []):
            ws = tw.get(f)
            if ws:
                scores = [s + x for s, x in zip(scores, ws)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        i = max(range(len(scores)), key=scores.__getitem__)
        return self.labels[i], exps[i] / sum(exps)


@lru_cache(maxsize=1)
def event_model() -> EventModel:
    with resources.files("incidents").joinpath(WEIGHTS_FILE).open(encoding="utf-8") as f:
        return EventModel(json.load(f))

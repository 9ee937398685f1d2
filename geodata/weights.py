"""The resolver's scoring weights, in named structures loaded from `geodata/data/weights.json`.

`WEIGHTS` (`ResolutionWeights`): what each piece of evidence adds to a candidate's score;
`bench/fit_weights.py` refits them on development data and writes the file. `KIND_SCORES`
(`KindScores`, the file's `kind_scores`): what the trigger word before a name says of each kind of
place; set by hand, kept as they are by a refit. The resolver never hard-codes a score.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class ResolutionWeights:
    population_log10: float = 0.4  # per order of magnitude of population
    loose_match: float = -0.5  # matched on a spelling variant
    abroad: float = -1.0  # a place outside Syria (not a country, under a million people)
    inside_context: float = 4.0  # inside the governorate/district/area the sentence names
    outside_context: float = -4.0  # outside it
    governorate_holds_others: float = 1.5  # a governorate holding most other places named
    near_25km: float = 2.0  # median distance to the other places named
    near_75km: float = 1.0
    near_250km: float = 0.0
    far: float = -1.0
    softmax_temperature: float = 1.5  # confidence = softmax over candidate scores
    loose_confidence: float = 0.85  # confidence factor for a spelling-variant match
    short_name_confidence: float = 0.9  # for a short name with neither trigger nor context
    unknown_confidence: float = 0.3  # a name no gazetteer holds, placed at the area the text names
    wrong_context_confidence: float = 0.5  # the wrong-context guard's coarser answer

    @classmethod
    def load(cls, path: str | Path | None = None) -> "ResolutionWeights":
        data = _read(path)
        names = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.items() if k in names})

    def save(self, path: str | Path, about: str) -> None:
        """Write the weights, with the hand-set kind scores of the file as they are."""
        data = {"_about": about, **asdict(self), "kind_scores": _read(None)["kind_scores"]}
        Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class KindScores:
    """Score of a candidate place's kind given the trigger word before the name: one table per
    class of trigger (the resolver decides the class), each place kind -> score, `other` for a kind
    the table does not name."""

    tables: dict[str, dict[str, float]]

    def score(self, table: str, kind: str) -> float:
        t = self.tables[table]
        return t[kind] if kind in t else t["other"]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "KindScores":
        data = _read(path)["kind_scores"]
        return cls({name: {k: float(v) for k, v in t.items()} for name, t in data.items() if not name.startswith("_")})


def _read(path: str | Path | None) -> dict:
    if path is None:
        return json.loads(resources.files("geodata").joinpath("data/weights.json").read_text(encoding="utf-8"))
    return json.loads(Path(path).read_text(encoding="utf-8"))


WEIGHTS = ResolutionWeights.load()
KIND_SCORES = KindScores.load()

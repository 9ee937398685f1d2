"""The resolver's scoring weights, in one named structure loaded from `geodata/data/weights.json`.

`bench/fit_weights.py` refits them on development data and writes the file; the resolver reads
them through `WEIGHTS` and never hard-codes a score.
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
        if path is None:
            text = resources.files("geodata").joinpath("data/weights.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
        names = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.items() if k in names})

    def save(self, path: str | Path, about: str) -> None:
        Path(path).write_text(json.dumps({"_about": about, **asdict(self)}, indent=2) + "\n", encoding="utf-8")


WEIGHTS = ResolutionWeights.load()

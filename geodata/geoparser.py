"""The geoparser: recognise the places named in a text and resolve each one.

    >>> from geodata import Geoparser
    >>> gp = Geoparser()                      # loads the built index (see `incidentmap gazetteer build`)
    >>> [r.place.name_en for r in gp.parse("قصفت قوات النظام قرية كنصفرة بجبل الزاوية")]
    ['Kansafrah', 'Jabal al-Zawiya']
"""

from __future__ import annotations

from pathlib import Path

from geodata.gazetteer import Gazetteer
from geodata.recognize import Recognizer
from geodata.resolve import Resolver
from geodata.roles import assign_roles
from geodata.schema import Resolution

MAX_TEXT_CHARS = 5_000_000


class Geoparser:
    def __init__(self, gazetteer: Gazetteer | None = None, path: str | Path | None = None):
        self.gazetteer = gazetteer or Gazetteer.load(path)
        self.recognizer = Recognizer(self.gazetteer)
        tagger = self.recognizer.tagger
        self.resolver = Resolver(self.gazetteer, review_below=tagger.review_below if tagger else 0.0)

    def parse(self, text: str, lang: str | None = None, query: bool = False) -> list[Resolution]:
        """Resolutions for every place mention in `text`, in order, each with its role. `lang` is a hint only: Arabic
        and Latin script are told apart per word, so mixed-script text works without it. `query=True`
        reads the text as a place name a user asks for (see `Recognizer.find`)."""
        if not isinstance(text, str):
            raise TypeError(f"parse() takes text (str), not {type(text).__name__}; decode bytes first")
        if not text.strip():
            return []
        if len(text) > MAX_TEXT_CHARS:
            # Very long input: resolve chunk by chunk (split on paragraph breaks) to bound memory.
            out, pos = [], 0
            while pos < len(text):
                end = min(len(text), pos + MAX_TEXT_CHARS)
                if end < len(text):
                    cut = text.rfind("\n", pos, end)
                    end = cut + 1 if cut > pos else end
                for r in self.parse(text[pos:end], query=query):
                    r.start += pos
                    r.end += pos
                    out.append(r)
                pos = end
            return out
        mentions = self.recognizer.find(text, query=query)
        return assign_roles(text, self.resolver.resolve(text, mentions))

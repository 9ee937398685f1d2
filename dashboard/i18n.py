"""The interface's words in English and Arabic: one catalogue per language (`locales/en.json`,
`locales/ar.json`, the same keys in both), numbers and dates written the language's way, event types
and place names in the chosen language (incidents.words.Words). Pure (no Streamlit calls): the app makes one `Tr` per run
from `?lang=ar|en` and hands it to the modules that draw the page.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from incidents.words import Words

LOCALES = Path(__file__).resolve().parent / "locales"
LANGS = ("en", "ar")
DEFAULT = "en"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def pick(lang: str | None) -> str:
    """A supported language from a URL value (`?lang=AR`, `ar-SY`); anything else is English."""
    lang = (lang or "").strip().lower()[:2]
    return lang if lang in LANGS else DEFAULT


class Tr(Words):
    """The words of one language: `tr("count", shown=..., total=...)`, `tr.num(1234)`, `tr.date(ts)`
    (incidents.words.Words over this package's catalogue)."""

    def __init__(self, lang: str | None = None):
        lang = pick(lang)
        super().__init__(lang, catalogue(lang), catalogue(DEFAULT))

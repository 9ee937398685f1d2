"""The interface's words in English and Arabic: one catalogue per language (`locales/en.json`,
`locales/ar.json`, the same keys in both), numbers and dates written the language's way, event types
and place names in the chosen language. Pure (no Streamlit calls): the app makes one `Tr` per run
from `?lang=ar|en` and hands it to the modules that draw the page.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd

LOCALES = Path(__file__).resolve().parent / "locales"
LANGS = ("en", "ar")
DEFAULT = "en"
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def pick(lang: str | None) -> str:
    """A supported language from a URL value (`?lang=AR`, `ar-SY`); anything else is English."""
    lang = (lang or "").strip().lower()[:2]
    return lang if lang in LANGS else DEFAULT


class Tr:
    """The words of one language: `tr("count", shown=..., total=...)`, `tr.num(1234)`, `tr.date(ts)`."""

    def __init__(self, lang: str | None = None):
        self.lang = pick(lang)
        self.rtl = self.lang == "ar"
        self.words = catalogue(self.lang)

    def __call__(self, key: str, **kw) -> str:
        text = self.words.get(key)
        if text is None:  # a key missing from this catalogue: English rather than nothing
            text = catalogue(DEFAULT).get(key, key)
        return text.format(**{k: self.num(v) if isinstance(v, int) and not isinstance(v, bool) else v
                               for k, v in kw.items()}) if kw else text

    def num(self, n) -> str:
        """1,234 in English; ١٬٢٣٤ in Arabic."""
        if isinstance(n, float) and not n.is_integer():
            s = f"{n:,.2f}"
        else:
            s = f"{int(n):,}"
        return s.translate(ARABIC_DIGITS).replace(",", "٬").replace(".", "٫") if self.rtl else s

    def digits(self, s: str) -> str:
        return s.translate(ARABIC_DIGITS) if self.rtl else s

    def date(self, d) -> str:
        """'21 Sep 2020' / '٢١ أيلول ٢٠٢٠'; '' for no date."""
        if d is None or (not isinstance(d, str) and pd.isna(d)):
            return ""
        if isinstance(d, str):
            try:
                d = datetime.fromisoformat(d[:10])
            except ValueError:
                return d
        if not isinstance(d, (date, datetime)):
            d = pd.Timestamp(d)
        return self.digits(f"{d.day} {self.words['months'][d.month - 1]} {d.year}")

    def month(self, d) -> str:
        return self.digits(f"{self.words['months'][d.month - 1]} {d.year}")

    def event_type(self, name: str | None) -> str:
        if not isinstance(name, str) or not name:
            return self("other")
        return self.words.get("type:" + name, name)

    def place(self, name_en: str | None, name_ar: str | None, fallback: str | None = "") -> str:
        """The place's name in this language, else the other one, else `fallback` (the text's)."""
        first, second = (name_ar, name_en) if self.rtl else (name_en, name_ar)
        return first or second or fallback or ""

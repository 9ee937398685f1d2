"""Words in English or Arabic, written the language's way: a catalogue lookup with placeholders,
numbers (Arabic-Indic digits in Arabic: ١٬٢٣٤), dates with the language's month names (٢١ أيلول
٢٠٢٠), event-type and place names in that language. Pure; the catalogue is a dict the caller reads.

The dashboard's `Tr` (dashboard.i18n, catalogue `dashboard/locales/`) and the shared reports
(incidents.report, catalogue `incidents/data/report_*.json`) are both a `Words`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DATA = Path(__file__).resolve().parent / "data"


class Words:
    """`w("count", n=3)`, `w.num(1234)`, `w.date("2020-09-21")`; a key missing from `words` comes
    from `fallback` (English), else is the key itself."""

    def __init__(self, lang: str, words: dict, fallback: dict | None = None):
        self.lang = lang
        self.rtl = lang == "ar"
        self.words = words
        self.fallback = fallback or {}

    def __call__(self, key: str, **kw) -> str:
        text = self.words.get(key)
        if text is None:  # a key missing from this catalogue: English rather than nothing
            text = self.fallback.get(key, key)
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
        import pandas as pd

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


@lru_cache(maxsize=None)
def _report_catalogue(lang: str) -> dict:
    return json.loads((DATA / f"report_{lang}.json").read_text(encoding="utf-8"))


def report_words(lang: str | None) -> Words:
    """The reports' words (incidents/data/report_en.json, report_ar.json: the same keys); English
    for anything but Arabic."""
    lang = "ar" if (lang or "").strip().lower()[:2] == "ar" else "en"
    return Words(lang, _report_catalogue(lang), _report_catalogue("en"))

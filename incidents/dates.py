"""Dates: absolute dates in Arabic and English, and the relative expressions of news reports.

`parse_date` reads "21 سبتمبر 2020", "٢١ أيلول ٢٠٢٠", "21 آذار/مارس 2020", "Wed 05 Apr 2017",
"April 5, 2017", "2020-09-21" (also with a time) and "4/5/2017" (slashes are read month first,
as in US-style exports such as FA-KES; a first number above 12 is read as the day).

`event_date` finds the relative expression in a sentence (اليوم، أمس، يوم الأمس الأحد، الليلة
الماضية، صباح اليوم الاثنين، yesterday, last night, on Sunday…) and turns it into a date from the
publication date, checking a named weekday against the date it lands on. Precision codes follow
ACLED: 1 day, 2 week, 3 month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

MONTHS = {
    # Egyptian/Gulf forms and Levantine forms, both used in Syrian reporting
    "يناير": 1, "كانون الثاني": 1, "فبراير": 2, "شباط": 2, "مارس": 3, "آذار": 3, "اذار": 3,
    "أبريل": 4, "ابريل": 4, "إبريل": 4, "نيسان": 4, "مايو": 5, "أيار": 5, "ايار": 5,
    "يونيو": 6, "يونيه": 6, "حزيران": 6, "يوليو": 7, "يوليه": 7, "تموز": 7, "أغسطس": 8, "اغسطس": 8,
    "آب": 8, "اب": 8, "سبتمبر": 9, "أيلول": 9, "ايلول": 9, "أكتوبر": 10, "اكتوبر": 10,
    "تشرين الأول": 10, "تشرين الاول": 10, "نوفمبر": 11, "تشرين الثاني": 11, "ديسمبر": 12,
    "كانون الأول": 12, "كانون الاول": 12,
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_MONTH_RE = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
# "21 آذار/ مارس 2020": a Levantine/Egyptian pair separated by a slash
_MONTH_PAIR = rf"(?:{_MONTH_RE})(?:\s*/\s*(?:{_MONTH_RE}))?"
_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_MONTH_PAIR})\s*,?\s+(\d{{4}})", re.I)
_MDY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})", re.I)
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")

WEEKDAYS = {  # Python weekday numbers, Monday = 0
    "الاثنين": 0, "الإثنين": 0, "الثلاثاء": 1, "الأربعاء": 2, "الاربعاء": 2, "الخميس": 3, "الجمعة": 4,
    "السبت": 5, "الأحد": 6, "الاحد": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month(name: str) -> int:
    first = re.split(r"\s*/\s*", name.strip())[0]
    return MONTHS.get(first.lower(), MONTHS.get(first, 0))


def parse_date(text: str) -> date | None:
    """The first absolute date in `text`, or None."""
    t = text.translate(_DIGITS)
    if m := _ISO.search(t):
        return _mk(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _DMY.search(t):
        return _mk(int(m.group(3)), _month(m.group(2)), int(m.group(1)))
    if m := _MDY.search(t):
        return _mk(int(m.group(3)), _month(m.group(1)), int(m.group(2)))
    if m := _SLASH.search(t):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return _mk(y, b, a) if a > 12 else _mk(y, a, b)
    return None


@dataclass(frozen=True)
class EventDate:
    date: date | None
    precision: int  # 1 day, 2 week, 3 month (ACLED's time_precision)
    evidence: str


# (pattern, days before publication, precision). Longest and most specific first.
_RELATIVE = [
    (r"(?:يوم\s+)?(?:ال)?أمس\s+(?:ال)?أول|أول\s+(?:من\s+)?أمس|day before yesterday", 2, 1),
    (r"(?:يوم\s+)?(?:ال)?أمس|البارحة|yesterday", 1, 1),
    (r"(?:ال)?ليلة\s+(?:ال)?ماضية|مساء\s+(?:يوم\s+)?أمس|last night|overnight", 1, 1),
    (r"(?:(?:صباح|مساء|ظهر|فجر)\s+)?اليوم|هذا الصباح|today|this morning", 0, 1),
    (r"(?:ال)?أسبوع\s+(?:ال)?ماضي|last week|past week", 7, 2),
    (r"(?:ال)?شهر\s+(?:ال)?ماضي|last month|past month", 30, 3),
]
_RELATIVE_RE = [(re.compile(p, re.I), d, pr) for p, d, pr in _RELATIVE]
_WEEKDAY_RE = re.compile(r"(?:(?:يوم|on|last)\s+)?(" + "|".join(WEEKDAYS) + r")", re.I)


def event_date(sentence: str, published: date | None) -> EventDate:
    """The date a sentence's event happened, from its wording and the publication date."""
    t = sentence.translate(_DIGITS)
    absolute = parse_date(t)
    if absolute is not None:
        return EventDate(absolute, 1, "date written in the sentence")
    if published is None:
        return EventDate(None, 1, "no publication date")
    for rx, days, precision in _RELATIVE_RE:
        m = rx.search(t)
        if not m:
            continue
        d = published - timedelta(days=days)
        wd = _WEEKDAY_RE.search(t, m.start(), min(len(t), m.end() + 25))
        note = f"«{m.group().strip()}» → {d.isoformat()}"
        if wd:
            named = WEEKDAYS[wd.group(1).lower()] if wd.group(1).lower() in WEEKDAYS else WEEKDAYS[wd.group(1)]
            if named != d.weekday():
                note += f"; but «{wd.group(1)}» is a different weekday: the date may be off"
                precision = max(precision, 2)
            else:
                note += f", a {d.strftime('%A')} as the text says"
        return EventDate(d, precision, note)
    wd = _WEEKDAY_RE.search(t)
    if wd:
        named = WEEKDAYS.get(wd.group(1).lower(), WEEKDAYS.get(wd.group(1)))
        back = (published.weekday() - named) % 7
        d = published - timedelta(days=back)
        return EventDate(d, 1, f"«{wd.group().strip()}» → the last {d.strftime('%A')} up to publication, {d.isoformat()}")
    return EventDate(published, 1, "publication date (no date in the sentence)")

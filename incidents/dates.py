"""Dates: absolute dates in Arabic and English, and the relative expressions of news reports.

`parse_date` reads "21 سبتمبر 2020", "٢١ أيلول ٢٠٢٠", "21 آذار/مارس 2020", "Wed 05 Apr 2017",
"April 5, 2017", "2020-09-21" (also with a time) and "4/5/2017" (slashes are read month first,
as in US-style exports such as FA-KES; a first number above 12 is read as the day).

`date_mentions` finds every date a text states, with its offsets: full dates, a day and month
(or an Arabic ordinal day: "في الرابع من أبريل") without a year ("في 7 يوليو", "on 20 August": the year of the nearest date before it that states
one, else the publication's, a year earlier when that would put it after publication), ranges
("between 7 and 9 July", "7-9 تموز": the first day, week or month precision by length), "the night
of 7 July"/"ليلة 7 تموز" (that day) and a month with a year ("in July 2016": month precision).

`event_date` finds the relative expression in a sentence (اليوم، أمس، يوم الأمس الأحد، الليلة
الماضية، صباح اليوم الاثنين، yesterday, last night, on Sunday…) and turns it into a date from the
publication date, checking a named weekday against the date it lands on. Precision codes follow
ACLED: 1 day, 2 week, 3 month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from geodata.normalize import DIGITS as _DIGITS


MONTHS = {
    # Egyptian/Gulf forms and Levantine forms, both used in Syrian reporting
    "يناير": 1, "كانون الثاني": 1, "فبراير": 2, "شباط": 2, "مارس": 3, "آذار": 3, "اذار": 3,
    "أبريل": 4, "ابريل": 4, "إبريل": 4, "نيسان": 4, "مايو": 5, "أيار": 5, "ايار": 5,
    "يونيو": 6, "يونيه": 6, "حزيران": 6, "يوليو": 7, "يوليه": 7, "تموز": 7, "أغسطس": 8, "اغسطس": 8,
    "آب": 8, "اب": 8, "سبتمبر": 9, "أيلول": 9, "ايلول": 9, "إيلول": 9, "أكتوبر": 10, "اكتوبر": 10,
    "تشرين الأول": 10, "تشرين الاول": 10, "تشرين أول": 10, "نوفمبر": 11, "تشرين الثاني": 11, "تشرين ثاني": 11,
    "ديسمبر": 12, "كانون الأول": 12, "كانون الاول": 12, "كانون أول": 12, "كانون ثاني": 1,
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_MONTH_RE = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
# "21 آذار/ مارس 2020", "19 أيلول - سبتمبر 2017": a Levantine/Egyptian pair separated by a slash or a dash
_MONTH_PAIR = rf"(?:{_MONTH_RE})(?:\s*[/\-–]\s*(?:{_MONTH_RE}))?"
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
    first = re.split(r"\s*[/\-–]\s*", name.strip())[0]
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
PUBLICATION_DATE = "publication date (no date in the sentence)"
# words without which no relative expression can be there: a substring test before the patterns
_RELATIVE_WORDS = ("أمس", "امس", "البارحة", "yesterday", "ليلة", "night", "اليوم", "today", "morning", "الصباح",
                   "أسبوع", "اسبوع", "week", "شهر", "month") + tuple(WEEKDAYS)
_WEEKDAY_RE = re.compile(r"(?:(?:يوم|on|last)\s+)?(" + "|".join(WEEKDAYS) + r")", re.I)


def event_date(sentence: str, published: date | None) -> EventDate:
    """The date a sentence's event happened, from its wording and the publication date."""
    absolute = parse_date(sentence)
    if absolute is not None:
        return EventDate(absolute, 1, "date written in the sentence")
    return relative_date(sentence, published)


def relative_date(sentence: str, published: date | None) -> EventDate:
    """The date a relative expression of the sentence gives (yesterday, أمس، on Sunday…), else the
    publication date (said so in the evidence)."""
    if published is None:
        return EventDate(None, 1, "no publication date")
    low = sentence.lower()
    if not any(w in low for w in _RELATIVE_WORDS):
        return EventDate(published, 1, PUBLICATION_DATE)
    t = sentence
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
    return EventDate(published, 1, PUBLICATION_DATE)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    date: date
    precision: int
    evidence: str


_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_RANGE = r"(?:\s*(?:-|–|to|and|until|حتى|إلى|الى|و)\s*(\d{1,2})(?:st|nd|rd|th)?)?"
# Each pattern is tried only where a number starts (a text has few), anchored there: one pass.
# day [– day] month [year]: "7 July", "7-9 July 2016", "between 7 and 9 July", "من 7 إلى 9 تموز"
_DAY_MONTH = re.compile(rf"{_DAY}{_RANGE}\s+(?:of\s+)?({_MONTH_PAIR})(?:\s*,?\s+(\d{{4}}))?(?![\d\w])", re.I)
# month day [– day] [year]: "July 7", "July 7-9, 2016" (the month is looked for just before the number)
_MONTH_DAY = re.compile(rf"{_DAY}(?:\s*(?:-|–|to|and|until)\s*(\d{{1,2}}))?(?:\s*,?\s+(\d{{4}}))?(?![\d:])", re.I)
_MONTH_BEFORE = re.compile(rf"(?<![\w])({_MONTH_RE})\.?\s+$", re.I)
# month year: "in July 2016", "تموز 2016", "تموز/يوليو 2016"
_MONTH_PAIR_BEFORE = re.compile(rf"(?<![\w])({_MONTH_PAIR})\s*,?\s+$", re.I)
_LEAD = re.compile(r"(?:(?:between|from|بين|من)\s+)?(?:(?:the\s+)?night\s+of\s+(?:the\s+)?|ليلة\s+|فجر\s+|مساء\s+|صباح\s+)?$",
                   re.I)
_NUMBER = re.compile(r"(?<!\d)\d{1,4}(?!\d)")
# A day written as an Arabic ordinal: "في الرابع من أبريل", "الحادي عشر من تموز 2016".
_ORDINALS = {"الأول": 1, "الاول": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6, "السابع": 7,
             "الثامن": 8, "التاسع": 9, "العاشر": 10}
_TEENS = {"الحادي": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6, "السابع": 7, "الثامن": 8,
          "التاسع": 9}
_ORDINAL_DAY = re.compile(
    r"(?<![\w])(?<!الأسبوع )(?<!النصف )(?:(" + "|".join(_TEENS) + r")\s+(عشر|والعشرين)|(" + "|".join(_ORDINALS) + r"|العشرين|الثلاثين)"
    r"|(الحادي)\s+(والثلاثين))\s+(?:من\s+)?(?:شهر\s+)?(" + "|".join(
        sorted((re.escape(m) for m in MONTHS if re.match(r"[\u0600-\u06ff]", m)), key=len, reverse=True))
    + r")(?:\s*[/\-–]\s*\S+)?(?:\s*,?\s+(\d{4}))?(?![\w])")


def _ordinal_day(m: re.Match) -> int:
    if m.group(1):
        return _TEENS[m.group(1)] + (10 if m.group(2) == "عشر" else 20)
    if m.group(3):
        return {"العشرين": 20, "الثلاثين": 30}.get(m.group(3)) or _ORDINALS[m.group(3)]
    return 31


def _year_for(month: int, day: int, prior_year: int | None, published: date | None) -> tuple[int | None, str]:
    """The year of a day and month written without one; never a date after publication."""
    if prior_year is not None:
        y, why = prior_year, f"year {prior_year} from the date stated before it"
    elif published is not None:
        y, why = published.year, f"year {published.year} from the publication date"
    else:
        return None, "no year"
    if published is not None and (_mk(y, month, day) or published) > published:
        return y - 1, f"year {y - 1}: in {y} it would fall after publication"
    return y, why


def date_mentions(text: str, published: date | None = None) -> list[DateMention]:
    """Every explicit date in `text` (see the module doc), in text order."""
    t = text.translate(_DIGITS)
    raw = []  # (start, end, y or None, m, d1, d2 or None, month_only, night)
    taken = -1
    for num in _NUMBER.finditer(t):
        a = num.start()
        if a < taken:
            continue
        if m := _ISO.match(t, a):
            raw.append((a, m.end(), int(m.group(1)), int(m.group(2)), int(m.group(3)), None, False, False))
        elif m := _SLASH.match(t, a):
            x, y, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            mo, d = (y, x) if x > 12 else (x, y)
            raw.append((a, m.end(), year, mo, d, None, False, False))
        elif (m := _DAY_MONTH.match(t, a)) and _month(m.group(3)) and m.group(3) != "may":
            lead = _LEAD.search(t, max(0, a - 30), a)
            s0 = lead.start() if lead and lead.end() == a else a
            raw.append((s0, m.end(), int(m.group(4)) if m.group(4) else None, _month(m.group(3)), int(m.group(1)),
                        int(m.group(2)) if m.group(2) else None, False, "night" in t[s0:a].lower() or "ليلة" in t[s0:a]))
        elif (before := _MONTH_BEFORE.search(t, max(0, a - 16), a)) and before.group(1) != "may" \
                and len(num.group()) <= 2 and (m := _MONTH_DAY.match(t, a)):
            lead = _LEAD.search(t, max(0, before.start() - 30), before.start())
            s0 = lead.start() if lead and lead.end() == before.start() else before.start()
            raw.append((s0, m.end(), int(m.group(3)) if m.group(3) else None, _month(before.group(1)), int(m.group(1)),
                        int(m.group(2)) if m.group(2) else None, False, "night" in t[s0:a].lower() or "ليلة" in t[s0:a]))
        elif len(num.group()) == 4 and (before := _MONTH_PAIR_BEFORE.search(t, max(0, a - 30), a)) \
                and before.group(1) != "may":
            raw.append((before.start(), num.end(), int(num.group()), _month(before.group(1)), 1, None, True, False))
        else:
            continue
        taken = raw[-1][1]
    if "من" in t or "شهر" in t:
        for m in _ORDINAL_DAY.finditer(t):
            raw.append((m.start(), m.end(), int(m.group(7)) if m.group(7) else None, _month(m.group(6)), _ordinal_day(m),
                        None, False, False))
    raw.sort(key=lambda r: (r[0], -(r[1] - r[0])))
    out: list[DateMention] = []
    last_end, prior_year = -1, None
    for s, e, y, mo, d1, d2, month_only, night in raw:
        if s < last_end:  # overlapping readings: the earlier, longer one wins
            continue
        note = ""
        if y is None:
            y, note = _year_for(mo, d1, prior_year, published)
            if y is None:
                continue
        day = _mk(y, mo, d1)
        if day is None or not (1990 <= y <= 2100):
            continue
        prior_year, last_end = y, e
        if month_only:
            out.append(DateMention(s, e, day, 3, f"«{text[s:e]}» → the month {day:%Y-%m}"))
            continue
        precision = 1
        if d2 is not None and d2 > d1 and not (night and d2 == d1 + 1):  # "the night of 12-13 July": the 12th
            precision = 2 if d2 - d1 <= 7 else 3
            note = (note + "; " if note else "") + f"a range to day {d2}: its first day"
        out.append(DateMention(s, e, day, precision,
                               f"«{text[s:e]}» → {day.isoformat()}" + (f" ({note})" if note else "")))
    return out

"""The role each resolved place plays in its sentence: where something happened, or something else.

Roles (see `geodata.schema.ROLES`):
* `firing_position` — where the fire came from: "قصف … على اعزاز مصدره تل رفعت", "انطلاقاً من
  مواقعها في جورين", "shells fired from X", "from its positions in X";
* `reference_point` — a distance is measured from it: "60 kilometres northeast of Damascus",
  "على بعد 5 كم من X";
* `road_endpoint` — it names a road: "طريق حلب - دمشق", "the Aleppo-Damascus highway", "the road
  between X and Y";
* `speaker_seat` — the seat of whoever reports: datelines ("DAMASCUS, Syria (AP) —", "دمشق-سانا"),
  "London-based", "ومقره لندن";
* `framing_area` — a governorate, district, area or countryside named to frame a more precise
  place of the same sentence ("قرية X بريف إدلب", "in Idlib countryside");
* `background` — countries, and places named for talks, agreements, ministries or embassies;
* `target` — everything else: where it happened.

Each non-target gets `role_reason` quoting the words that decided it, and the same line in its
evidence, so an analyst reading `geocode --json` sees why it is not an incident location.
"""

from __future__ import annotations

import re

from geodata.resolve import km
from geodata.schema import NOT_IN_GAZETTEER, Resolution
from geodata.sentences import sentence_spans

_W = r"[^\s،,.]+"  # one word
_FIRING_BEFORE = re.compile(
    rf"(?:مصدره|مصدرها|مصدرهما|انطلاق[اًا]*\s+من|من\s+مواقع\w*|المتمركز\w*|المتواجد\w*|من\s+ثكن\w*)"
    rf"(?:\s+(?:في|ب|قرب|داخل|بمحيط|ضمن))?(?:\s+(?:قرية|بلدة|مدينة|منطقة|تلة|جبل|ريف|مطار|معسكر)\w*)?\s*ب?ـ?$"
    r"|(?:fired|launched|shot|firing|launching)\s+from\s+(?:(?:the\s+)?(?:direction\s+of|area\s+of|"
    r"village\s+of|town\s+of)\s+)?$"
    r"|from\s+(?:its|their|regime|government|army|rebel|opposition)?\s*(?:positions|bases?|posts?)\s+(?:in|at|near)\s+"
    r"(?:the\s+)?(?:village\s+of\s+|town\s+of\s+)?$"
    r"|(?:stationed|deployed|positioned|based)\s+(?:in|at)\s+(?:the\s+)?(?:village\s+of\s+|town\s+of\s+)?$",
    re.I)
_REFERENCE_BEFORE = re.compile(
    r"\d[\d.,]*\s*(?:km|kilomet(?:re|er)s?|miles?|mi|كم|كيلو\s*مترا?|كيلومترا?ت?)\s*(?:\([^)]*\)\s*)?"
    r"(?:(?:north|south|east|west|north-?east|north-?west|south-?east|south-?west)(?:ern)?\s*(?:of|from)"
    r"|(?:of|from)|(?:شمال|جنوب|شرق|غرب)\w*(?:\s+(?:شرق|غرب)\w*)?(?:\s+(?:من|عن))?|(?:من|عن))\s*"
    r"(?:the\s+)?(?:city\s+of\s+|town\s+of\s+|village\s+of\s+|مدينة\s+|بلدة\s+|قرية\s+)?$"
    r"|على\s+بعد\s+(?:\S+\s+){1,3}(?:من|عن)\s+(?:مدينة\s+|بلدة\s+|قرية\s+)?$",
    re.I)
_ROAD_BEFORE = re.compile(
    r"(?:طريق|الطريق|أوتوستراد|اوتوستراد|اتوستراد)(?:\s+(?:الدولي|الدولية|السريع|العام|الرئيسي|الواصل|الرابط|"
    r"الذي\s+يربط|الواصل\s+بين|الرابط\s+بين|بين))*\s*(?:" + _W + r"\s*[-–/]\s*)?$"
    r"|(?:road|highway|motorway)\s+(?:between|linking|connecting|from|to)\s+(?:the\s+)?(?:" + _W + r"\s+(?:and|to)\s+)?$",
    re.I)
_ROAD_AFTER = re.compile(
    r"^\s*(?:[-–/]\s*" + _W + r"(?:\s+" + _W + r")?\s+)?(?:highway|road|motorway|freeway)\b"
    r"|^\s*[-–/]\s*(?:\S+\s+)?(?:الدولي|السريع)", re.I)
_AGENCY = r"(?:AP|AFP|Reuters|SANA|DPA|UPI|Xinhua|Anadolu|AA|IANS|سانا|رويترز|ا\s*ف\s*ب|أ\s*ف\s*ب|د\s*ب\s*أ)"
_SPEAKER_AFTER = re.compile(
    r"^\s*(?:,\s*\w+\s*)?\(\s*" + _AGENCY + r"\s*\)|^\s*[-–—]\s*" + _AGENCY + r"\b|^-based\b|^\s+based\b"
    r"|^\s*\(\s*" + _AGENCY, re.I)
_SPEAKER_BEFORE = re.compile(r"(?:ومقره|مقره|ومقرها|مقرها|ومقرهم|headquartered\s+in|based\s+in)\s*(?:في\s*)?$", re.I)
_FRAME_BEFORE = re.compile(
    r"(?:مباحثات|محادثات|مفاوضات|اجتماع|قمة|اتفاق|مؤتمر|وزير|وزارة|سفار|talks|negotiations|summit|meeting|"
    r"agreement|conference|minister|embassy|ministry)\w*\s+(?:\S+\s+){0,3}$", re.I)
_PROXY_BEFORE = re.compile(r"(?:brokered|mediated|backed|supported|sponsored|hosted|proposed)\s+by\s+"
                           r"(?:\S+\s+(?:and|or)\s+)?$", re.I)
_PROXY_AFTER = re.compile(r"^-(?:backed|brokered|sponsored|led|based)\b", re.I)
_FRAME_AFTER = re.compile(r"^\s*(?:talks|negotiations|summit|conference|agreement|accord|process|peace\s+talks|"
                          r"meeting|format)\b", re.I)
_DATELINE_AFTER = re.compile(r"^\s*(?:,\s*[A-Z][\w ]*)?\s*(?:[-–—(:]|$)")
CONTAINER_KINDS = ("governorate", "district", "subdistrict", "area")
LOCAL_KINDS = ("locality", "city", "neighbourhood")


def assign_roles(text: str, resolutions: list[Resolution]) -> list[Resolution]:
    """Set `role` and `role_reason` on each resolution (in place) and return the list."""
    spans = sentence_spans(text)
    for r in resolutions:
        s, e = next(((a, b) for a, b in spans if a <= r.start < b), (0, len(text)))
        before, after = text[max(s, r.start - 80):r.start], text[r.end:min(e, r.end + 60)]
        role, why = _local_role(r, before, after, text[s:r.start])
        if role:
            _set(r, role, why)
    _frame(resolutions, spans)
    return resolutions


def _local_role(r: Resolution, before: str, after: str, sentence_before: str) -> tuple[str, str]:
    if r.place is not None and r.place.kind == "country":
        return "background", "a country"
    for role, pattern, text in (("firing_position", _FIRING_BEFORE, before),
                                ("reference_point", _REFERENCE_BEFORE, before),
                                ("road_endpoint", _ROAD_BEFORE, before),
                                ("speaker_seat", _SPEAKER_BEFORE, before)):
        m = pattern.search(text)
        if m:
            return role, f"after «{' '.join(m.group().split())}»"
    if _ROAD_AFTER.search(after):
        return "road_endpoint", f"before «{' '.join(after.split()[:3])}»"
    m = _SPEAKER_AFTER.search(after)
    if m and (not sentence_before.strip() or r.text.isupper()):
        return "speaker_seat", f"dateline «{r.text}{m.group()}»"
    if m and m.group().startswith(("-based", " based")):
        return "speaker_seat", f"«{r.text}{m.group()}»"
    m = _PROXY_BEFORE.search(before) or _PROXY_AFTER.search(after)
    if m:
        return "background", f"«{' '.join(m.group().split())}»: stands for a government"
    if _FRAME_AFTER.search(after):
        return "background", f"before «{' '.join(after.split()[:2])}»"
    if r.text.isupper() and len(r.text) >= 4 and not sentence_before.strip() and _DATELINE_AFTER.match(after):
        return "speaker_seat", f"dateline «{r.text}»"
    if r.precision != 1 and _FRAME_BEFORE.search(before):
        return "background", f"after «{' '.join(_FRAME_BEFORE.search(before).group().split())}»"
    return "", ""


def _frame(resolutions: list[Resolution], spans: list[tuple[int, int]]) -> None:
    """A container named beside a village or town of the same sentence that lies inside it (or an
    unknown village placed at it) frames it."""
    for s, e in spans:
        here = [r for r in resolutions if s <= r.start < e and r.place is not None]
        precise = [r for r in here if r.role == "target" and (
            r.place.kind in LOCAL_KINDS or r.reason == NOT_IN_GAZETTEER)]
        if not precise:
            continue
        for r in here:
            if r.role != "target" or r in precise or r.reason:
                continue
            inner = next((p for p in precise if _inside(p, r) or _in_namesake_governorate(p, r) or (
                p.reason == NOT_IN_GAZETTEER and p.place.id == r.place.id)), None)
            if inner is not None:
                _set(r, "framing_area", f"frames «{inner.text}», named in the same sentence")


def _in_namesake_governorate(inner: Resolution, outer: Resolution) -> bool:
    """"captured Qarati in Idleb": a city named like its governorate, after a village of that
    governorate, frames the village as the governorate does."""
    o, i = outer.place, inner.place
    return (o.kind in LOCAL_KINDS and o.admin1 is not None and i.admin1 is not None and o.admin1.id == i.admin1.id
            and o.id != i.id and o.admin1.name_en and o.name_en.lower().startswith(o.admin1.name_en.lower()[:4])
            and outer.start > inner.start)


def _inside(inner: Resolution, outer: Resolution) -> bool:
    """Does the outer resolution's place (a container, or a city for its neighbourhoods) hold the inner one?"""
    o, i = outer.place, inner.place
    if o.id == i.id:
        return False
    if o.kind == "governorate":
        return i.admin1 is not None and i.admin1.id == o.id
    if o.kind == "district":
        return i.admin2 is not None and i.admin2.id == o.id
    if o.kind == "subdistrict":
        return km(i, o) <= 15
    if o.kind == "area":
        return km(i, o) <= o.radius_km + 10
    return False


def _set(r: Resolution, role: str, why: str) -> None:
    r.role, r.role_reason = role, why
    r.evidence.append(f"role: {role.replace('_', ' ')} ({why})")

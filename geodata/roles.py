"""The role each resolved place plays in its sentence: where something happened, or something else.

Roles (see `geodata.schema.ROLES`):
* `firing_position` — where the fire came from: "قصف … على اعزاز مصدره تل رفعت", "انطلاقاً من
  مواقعها في جورين", "shells fired from X", "from its positions in X";
* `reference_point` — a distance is measured from it: "60 kilometres northeast of Damascus",
  "على بعد 5 كم من X", or it is plainly beside the place meant: "just east of Idleb city", "a town
  south of Idlib";
* `road_endpoint` — it names a road: "طريق حلب - دمشق", "the Aleppo-Damascus highway", "the road
  between X and Y";
* `speaker_seat` — the seat of whoever reports: datelines in the forms wire services print them
  ("DAMASCUS, Syria (AP) —", "Beirut, Nov 2 (Reuters) -", "Beirut — ", "دمشق-سانا", "إدلب - الأناضول",
  "Last updated at Nov 022017 BEIRUT Syrian government air strikes…"), "London-based", "ومقره
  لندن", offices abroad and where a speaker speaks from ("his group's office in the Turkish city
  of Gaziantep", "speaking from Gaziantep");
* `framing_area` — a governorate, district, area or countryside named to frame a more precise
  place of the same sentence ("قرية X بريف إدلب", "in Idlib countryside"), or a city named as the
  whole a neighbourhood or town is part of ("the al-Sha'ar district of Aleppo", "حي X في مدينة حلب",
  "Kafr Hamrah district of Aleppo", "Qarati in Idleb"); a place written as an area ("Idleb
  countryside", "the countryside of Aleppo", "Hama province") beside a more precise place of the
  sentence, in a list too ("Kansafrah, Kafr Nabl and Hass in Idleb countryside"); a city named
  like its governorate after a place of that governorate ("Ar-Ra'ee town, Aleppo");
* `background` — countries, places named for talks, agreements, ministries or embassies, venues
  of talks ("talks in the Kazakh capital Astana", "peace talks - in Geneva and …"), a city standing
  for its government ("Washington has accused Moscow of …", "placed Washington and Moscow at
  loggerheads", "Moscow-backed", "اتهمت واشنطن موسكو"), and tag lines
  and "related" lists at the foot of a page ("Tags Russia Syria Assad Deir az-Zour", the headlines
  under "Related articles", "Read more:", "اقرأ أيضاً"), and a month abbreviation read as a place
  ("Nov 2");
* `target` — everything else: where it happened.

Each non-target gets `role_reason` quoting the words that decided it, and the same line in its
evidence, so an analyst reading `geocode --json` sees why it is not an incident location.
"""

from __future__ import annotations

import re

from geodata.recognize import CITY_AFTER, CITY_KM, CITY_POSSESSIVE, IMPORTANT_POPULATION, NEIGHBOURHOOD_AFTER
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
    r"|على\s+بعد\s+(?:\S+\s+){1,3}(?:من|عن)\s+(?:مدينة\s+|بلدة\s+|قرية\s+)?$"
    # no distance, but plainly beside it: "just east of Idleb city", "a town south of Idlib"
    r"|(?:\b(?:just|directly|immediately|shortly)|\b(?:a|an)\s+(?:city|town|village|area|hill|base)|"
    r"\b(?:lies|located|situated))\s+(?:(?:north|south|east|west|north-?east|north-?west|south-?east|south-?west)"
    r"(?:ern)?\s+of|outside|near)\s+(?:the\s+)?(?:city\s+of\s+|town\s+of\s+|village\s+of\s+)?$",
    re.I)
_ROAD_BEFORE = re.compile(
    r"(?:طريق|الطريق|أوتوستراد|اوتوستراد|اتوستراد)(?:\s+(?:الدولي|الدولية|السريع|العام|الرئيسي|الواصل|الرابط|"
    r"الذي\s+يربط|الواصل\s+بين|الرابط\s+بين|بين))*\s*(?:" + _W + r"\s*[-–/]\s*)?$"
    r"|(?:road|highway|motorway)\s+(?:between|linking|connecting|from|to)\s+(?:the\s+)?(?:" + _W + r"\s+(?:and|to)\s+)?$",
    re.I)
_ROAD_AFTER = re.compile(
    r"^\s*(?:[-–/]\s*" + _W + r"(?:\s+" + _W + r")?\s+)?(?:highway|road|motorway|freeway)\b"
    r"|^\s*[-–/]\s*(?:\S+\s+)?(?:الدولي|السريع)", re.I)
_AGENCY = (r"(?:AP|AFP|Reuters|SANA|DPA|UPI|Xinhua|Anadolu|AA|IANS|Sputnik|TASS|EFE|سانا|رويترز|الأناضول|الاناضول|"
           r"سبوتنيك|ا\s*ف\s*ب|أ\s*ف\s*ب|د\s*ب\s*أ)")
# A dateline in any of the forms wire services print, after a place opening its sentence: "Beirut, Nov 2
# (Reuters) -", "BEIRUT, Nov. 2, 2017 (AP) —", "Gaziantep, Turkey, 3 May 2018 (Anadolu) -", "Beirut — ",
# "إدلب - الأناضول", "بيروت 2 تشرين الثاني (رويترز) -".
_DATELINE_ANY = re.compile(
    r"(?:\s*,\s*[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2})?"  # ", Syria", ", Lebanon"
    r"(?:\s*,?\s*(?:[A-Za-z]{3,9}\.?\s+\d{1,2}(?:\s*,\s*\d{4})?|\d{1,2}\s+(?:[A-Za-z]{3,9}\.?|"
    r"[\u0600-\u06FF]+(?:\s+[\u0600-\u06FF]+)?)(?:\s*,?\s*\d{4})?))?"  # a date: "Nov 2", "3 May 2018"
    r"\s*(?:\(\s*" + _AGENCY + r"\s*\)\s*(?:[-–—:]|--)?|(?:[-–—]|--)\s*" + _AGENCY + r"(?![\w])|(?:—|–|--)(?=\s))")
# A line in a "related" list at the foot of a page, or the heading that opens one.
_RELATED = re.compile(
    r"\W*(?:Related(?:\s+(?:articles?|stories|news|content|coverage|topics|posts))?|Read\s+(?:more|also)|"
    r"See\s+also|More\s+(?:on\s+this(?:\s+story)?|stories|from)|Also\s+read|Recommended|You\s+may\s+also\s+like|"
    r"Most\s+read|اقرأ\s+(?:أيضا|أيضاً|ايضا|المزيد)|مواضيع\s+ذات\s+صلة|أخبار\s+ذات\s+صلة|مقالات\s+ذات\s+صلة)\b", re.I)
_RELATED_WORDS = ("related", "read more", "read also", "see also", "more on", "more stories", "more from", "recommended", "you may",
                  "اقرأ", "ذات صلة")
_RELATED_LINE = re.compile(r"^" + _RELATED.pattern, re.I | re.M)
_MONTH_WORD = re.compile(r"(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?", re.I)
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
# A large city standing for its government (metonymy): the one who speaks, accuses, backs or is accused
# ("Washington has accused Moscow of", "Moscow and Tehran back the regime", "Ankara's support for"),
# or one of two at odds ("placed Washington and Moscow at loggerheads", "tensions between Riyadh and
# Tehran"). Not after "in/of/from" ("residents of Aleppo said" tells where, not who).
_GOVERNMENT_VERB = (r"(?:has|have|had|would|will|is|are|was|were)?\s*(?:also\s+|repeatedly\s+|long\s+|already\s+)?"
                    r"(?:accus|said\b|says\b|say\b|warn|den(?:y|ies|ied)|condemn|blam|backs?\b|backed|support|"
                    r"insist|demand|urg|reject|claim|call(?:s|ed)?\s+on|refus|threaten|vow|allege|criticis|criticiz|"
                    r"respond|retort|dismiss|declar|announc|at\s+(?:loggerheads|odds)"
                    r"|(?<=is\s|as\s|re\s)\s*(?:responsible|behind|to\s+blame)\b)")  # after is/was/were
_GOVERNMENT_AFTER = re.compile(
    r"^(?:['’]s\s+(?:support|backing|policy|position|stance|allies|ally|intervention|role|envoy|response)\b"
    r"|(?:\s+and\s+[A-Z][\w-]+)?\s+" + _GOVERNMENT_VERB +
    r"|\s+and\s+(?:its|their)\s+(?:\w+\s+)?(?:allies|partners)\b)")
_GOVERNMENT_OBJECT = re.compile(  # the one accused or urged, before "of/over/for/to"
    r"\b(?:accus\w*|blam\w*|urg\w*|condemn\w*|criticis\w*|criticiz\w*|called\s+on|pressed|warned)\s+$", re.I)
_GOVERNMENT_AGENT = re.compile(  # "blames on Damascus", "attacks carried out by Washington", "pro-Moscow"
    r"\b(?:blam\w*|pinned)\s+(?:(?!for\b)\S+\s+){0,3}on\s+$|\b(?:carried\s+out|launched|conducted|led|waged)\s+by\s+$"
    r"|\b(?:gains|advances|offensives?|bombardment|strikes|attacks|pressure)\s+by\s+$|\bblames\s+$"
    r"|\b(?:its|their|his|an?)\s+ally\s+$|\b(?:pro|anti)-\s*$", re.I)  # "pro-Damascus media"
_GOVERNMENT_BEFORE = re.compile(
    r"\b(?:tensions?|relations|rift|rivalry|dispute|standoff|ties|row|negotiations|talks|deal|agreement)\s+"
    r"between\s+(?:(?:the\s+)?\w[\w-]*\s+and\s+)?$"
    r"|(?:اتهم|تتهم|يتهم|قالت|تقول|أعلنت|حذرت|حذّرت|نفت|طالبت|دعت|أدانت|رفضت|تدعم|دعمت)\S*\s+(?:\S+\s+(?:و\s*)?)?$",
    re.I)
_GOVERNMENT_AR_AFTER = re.compile(r"^\s+(?:و\S+\s+)?(?:تتهم|اتهمت|تقول|قالت|تدعم|دعمت|تحذر|حذرت|تنفي|نفت|تطالب|طالبت)")
# A capital abroad is the subject of a verb far more often than a scene ("Moscow vetoed", "Washington is
# leading a coalition", "Moscow has been carrying out air strikes"), or the one acted on ("prompted
# Washington to", "given by Washington", "criticism from Moscow", "his allies in Moscow").
_ABROAD_SUBJECT = re.compile(r"^\s+(?!(?:this|its|his|as|us|plus|across|towards|besides|thus|less|unless|based)\b)"
                             r"(?:\w+ly\s+)?(?:is|are|was|were|has|have|had|will|would|could|can|must|"
                             r"[a-z]+ed|[a-z]+s)\b")
_ABROAD_OBJECT = re.compile(r"\b(?:prompted|prompting|called\s+on|calling\s+on|urged|pushed|pressed|asked|forced)\s+$"
                            r"|\b(?:given|supplied|provided|funded|armed)\s+by\s+$"
                            r"|\b(?:criticism|condemnation|pressure|support|approval)\s+from\s+$"
                            r"|\b(?:allies|ally|partners|backers|patrons)\s+in\s+$", re.I)
CAPITAL_POPULATION = 500_000  # a city abroad this large is read as its government by the subject/object rules
_REGIME_AFTER = re.compile(r"^\s+(?:regime|government|administration)\b")  # "in support of the Damascus regime"
# The mood of a government: "the concern in Washington and in many Western capitals".
_OPINION_IN = re.compile(r"\b(?:concern|anger|alarm|outrage|worry|worries|fury|unease|irritation)\s+in\s+$", re.I)
_PLACE_WORDS_BEFORE = re.compile(r"\b(?:in|of|from|at|near|to|into|outside|inside|around)\s+(?:the\s+)?(?:city\s+of\s+)?$"
                                 r"|(?:في|من|ب|قرب|داخل)\s*$", re.I)
_FRAME_AFTER = re.compile(r"^\s*(?:talks|negotiations|summit|conference|agreement|accord|process|peace\s+talks|"
                          r"meeting|format)\b", re.I)
# Page furniture before a dateline in capitals: "Last updated at Nov 022017 BEIRUT", "Published 3 May 2018 IDLIB".
_FURNITURE_BEFORE = re.compile(
    r"\W*(?:(?:last\s+)?updated|published|posted|date\s+of\s+publication|created)\b(?:\s+(?:at|on))?"
    r"[\s\w,:/.-]{0,30}?\d{2,4}\s*(?:(?:am|pm|GMT|UTC)\s*)?[-–—:|]?\s*$", re.I)
# A tag line or "related" list: the keyword, then only capitalised words up to the place.
_TAGS_BEFORE = re.compile(
    r"(?:^|[\s.])(?:Tags|TAGS|Tagged|Topics|Keywords|Related(?:\s+(?:[Aa]rticles|[Ss]tories|[Tt]opics|[Nn]ews))?|"
    r"Read\s+more|See\s+also|More\s+on)\s*:?\s+"
    r"(?:(?:[A-Z][\w'’-]*|(?:al|az|ad|as|ar|an|el|ash|at|ad|of|and)(?:-\w+)?)[\s,;|/]+)*$")
# A venue of talks: "talks in the Kazakh capital Astana", "peace talks - in Geneva and the …", "مفاوضات أستانا".
_VENUE_BEFORE = re.compile(
    r"\b(?:talks|negotiations|summit|conference|meeting|peace\s+process|consultations)\s+(?:[-–—]\s+)?"
    r"(?:(?:held|hosted|taking\s+place|due|set|scheduled|underway)\s+)?(?:in|at)\s+(?:\S+\s+(?:and|or)\s+)?"
    r"(?:the\s+)?(?:(?:[A-Z]\w+\s+)?(?:capital|city|resort)\s+(?:of\s+)?)?$"
    r"|(?:محادثات|مفاوضات|مباحثات|اجتماع|قمة|مؤتمر)\w*\s+(?:\S+\s+){0,2}(?:في|ب)\s*(?:العاصمة\s+\S+\s+)?$", re.I)
_TAGS_WORDS = ("Tag", "TAG", "Topics", "Keywords", "Related", "Read", "See also", "More on")
_TALKS_WORDS = ("talks", "negotiat", "summit", "conference", "meeting", "process", "consultation", "محادثات",
                "مفاوضات", "مباحثات", "اجتماع", "قمة", "مؤتمر")
# Talks named shortly before a place abroad: "peace talks to end the war entered a second day in the Kazakh capital".
_TALKS_NEAR = re.compile(r"\b(?:talks|negotiations|summit|peace\s+process|مفاوضات|محادثات|مباحثات|قمة)\b", re.I)
# Where a speaker or an organisation sits: "his group's office in the Turkish city of Gaziantep" (abroad only:
# an office inside Syria may well be what was hit), "speaking from Gaziantep", "told AFP by phone from Idlib".
_OFFICE_BEFORE = re.compile(
    r"\b(?:office|offices|headquarters|bureau|exile|embassy|consulate)\s+(?:in|at)\s+(?:the\s+)?"
    r"(?:(?:[A-Z]\w+\s+)?(?:city|capital|town)\s+of\s+|[A-Z]\w+\s+(?:city|capital)\s+)?$")
_SPEAKING_BEFORE = re.compile(
    r"\b(?:speaking|spoke|talking|reached|interviewed|told\s+(?:\S+\s+){0,2}?)\s*(?:by\s+(?:tele)?phone\s+|via\s+\w+\s+)?"
    r"from\s+(?:the\s+)?(?:(?:[A-Z]\w+\s+)?(?:city|capital|town)\s+of\s+)?$", re.I)
# A place written as an area rather than the place itself: "Idleb countryside", "the countryside of Aleppo".
_AREA_AFTER = re.compile(r"(?:['’]s)?\s+(?:countryside|province|governorate|region)\b", re.I)
_AREA_BEFORE = re.compile(r"\b(?:countryside|province|governorate)\s+of\s+(?:the\s+)?$", re.I)
# Between a place and the city named like its governorate that closes it: "Ar-Ra'ee town Aleppo", "Jarablus in
# Aleppo", "Basuta, northern Aleppo countryside".
_GOVERNORATE_GAP = re.compile(
    r"\s*(?:(?:town|city|village|area|camp|district|subdistrict|front|outskirts)\s*)?(?:,|\bin\b|\bof\b|-)?\s*"
    r"(?:the\s+)?(?:(?:eastern|western|northern|southern|central|north-?eastern|north-?western|south-?eastern|"
    r"south-?western)\s+)?(?:(?:countryside|province|governorate)\s+of\s+)?", re.I)
_DATELINE_AFTER = re.compile(r"^\s*(?:,\s*[A-Z][\w ]*)?\s*(?:[-–—(:]|$)")
_LIST_AFTER = re.compile(r"\s*(?:[,،]\s*)?(?:and|or|و|أو)\s*|\s*[,،]\s*", re.I)
# Words without which a pattern searched on the context before a place cannot match (one of them is in
# each of its alternatives): a substring test on the lowered context is far cheaper than the search. The
# four letters that ignore-case matching also reads as ASCII letters (İ ı ſ K) turn the gate off.
_NEEDS = {
    _FIRING_BEFORE: ("مصدره", "انطلاق", "من", "المتمركز", "المتواجد", "from", "stationed", "deployed",
                     "positioned", "based"),
    _REFERENCE_BEFORE: ("بعد", "north", "south", "east", "west", "outside", "near"),  # or a digit
    _ROAD_BEFORE: ("طريق", "توستراد", "road", "highway", "motorway"),
    _SPEAKER_BEFORE: ("مقره", "headquartered", "based"),
    _PROXY_BEFORE: ("brokered", "mediated", "backed", "supported", "sponsored", "hosted", "proposed"),
    _FRAME_BEFORE: ("مباحثات", "محادثات", "مفاوضات", "اجتماع", "قمة", "اتفاق", "مؤتمر", "وزير", "وزارة", "سفار",
                    "talks", "negotiations", "summit", "meeting", "agreement", "conference", "minister", "embassy",
                    "ministry"),
    _OPINION_IN: ("concern", "anger", "alarm", "outrage", "worr", "fury", "unease", "irritation"),
    _GOVERNMENT_AGENT: ("blam", "pinned", "by", "ally", "-"),
    _ABROAD_OBJECT: ("prompt", "call", "urged", "pushed", "pressed", "asked", "forced", "by", "from", "allies", "ally",
                     "partners", "backers", "patrons"),
    _GOVERNMENT_BEFORE: ("between", "اتهم", "تتهم", "يتهم", "قالت", "تقول", "أعلنت", "حذرت", "حذّرت", "نفت", "طالبت",
                         "دعت", "أدانت", "رفضت", "تدعم", "دعمت"),
    _GOVERNMENT_OBJECT: ("accus", "blam", "urg", "condemn", "critici", "called", "pressed", "warned"),
}
_ODD_CASE = re.compile("[\u0130\u0131\u017f\u212a]")
_DIGIT = re.compile(r"\d")


def _lowered(before: str) -> str | None:
    """The context lowered for `_search`'s gate, or None when the gate must stay open."""
    return None if _ODD_CASE.search(before) else before.lower()


def _search(pattern: re.Pattern, before: str, low: str | None):
    """`pattern.search(before)`, skipped when none of the words it needs is in `low` (see `_NEEDS`)."""
    if low is not None and not any(k in low for k in _NEEDS[pattern]) and not (
            pattern is _REFERENCE_BEFORE and _DIGIT.search(before)):
        return None
    return pattern.search(before)


CONTAINER_KINDS = ("governorate", "district", "subdistrict", "area")
LOCAL_KINDS = ("locality", "city", "neighbourhood")


def assign_roles(text: str, resolutions: list[Resolution]) -> list[Resolution]:
    """Set `role` and `role_reason` on each resolution (in place) and return the list."""
    spans = sentence_spans(text)
    low = text.lower()
    related = any(k in low for k in _RELATED_WORDS) and _RELATED_LINE.search(text) is not None
    for r in resolutions:
        s, e = next(((a, b) for a, b in spans if a <= r.start < b), (0, len(text)))
        before, after = text[max(s, r.start - 80):r.start], text[r.end:min(e, r.end + 60)]
        role, why = _local_role(r, before, after, text[s:r.start])
        if not role:
            role, why = _page_role(r, text, s, related)
        if role:
            _set(r, role, why)
    _frame(resolutions, spans, text)
    return resolutions


def _local_role(r: Resolution, before: str, after: str, sentence_before: str) -> tuple[str, str]:
    if r.place is not None and r.place.kind == "country":
        return "background", "a country"
    lowered = _lowered(before)
    for role, pattern in (("firing_position", _FIRING_BEFORE), ("reference_point", _REFERENCE_BEFORE),
                          ("road_endpoint", _ROAD_BEFORE), ("speaker_seat", _SPEAKER_BEFORE)):
        m = _search(pattern, before, lowered)
        if m:
            return role, f"after «{' '.join(m.group().split())}»"
    if _ROAD_AFTER.search(after):
        return "road_endpoint", f"before «{' '.join(after.split()[:3])}»"
    m = _SPEAKER_AFTER.search(after)
    if m and (not sentence_before.strip() or r.text.isupper()):
        return "speaker_seat", f"dateline «{r.text}{m.group()}»"
    if m and m.group().startswith(("-based", " based")):
        return "speaker_seat", f"«{r.text}{m.group()}»"
    m = _search(_PROXY_BEFORE, before, lowered) or _PROXY_AFTER.search(after)
    if m:
        return "background", f"«{' '.join(m.group().split())}»: stands for a government"
    why = _government(r, before, after)
    if why:
        return "background", why
    if _FRAME_AFTER.search(after):
        return "background", f"before «{' '.join(after.split()[:2])}»"
    if r.text.isupper() and len(r.text) >= 4 and not sentence_before.strip() and _DATELINE_AFTER.match(after):
        return "speaker_seat", f"dateline «{r.text}»"
    if r.text.isupper() and len(r.text) >= 4 and _FURNITURE_BEFORE.fullmatch(sentence_before):
        return "speaker_seat", f"dateline «{' '.join(sentence_before.split())} {r.text}»"
    # each pattern below only where one of its words is there (a substring test is ~50x cheaper)
    m = any(k in before for k in _TAGS_WORDS) and _TAGS_BEFORE.search(before)
    if m:
        return "background", f"tag line «{' '.join(m.group().split())}…»"
    low = before.lower()
    talks = any(k in low for k in _TALKS_WORDS)
    m = talks and _VENUE_BEFORE.search(before)
    abroad = r.place is not None and r.place.country not in ("SY", None)
    if m or (abroad and talks and (m := _TALKS_NEAR.search(before))):
        return "background", f"venue of talks «{' '.join(m.group().split())}»"
    m = "from" in low and _SPEAKING_BEFORE.search(before)
    if m or (abroad and (m := _OFFICE_BEFORE.search(before))):
        return "speaker_seat", f"where the speaker is «{' '.join(m.group().split())}»"
    if r.precision != 1 and _search(_FRAME_BEFORE, before, lowered):
        return "background", f"after «{' '.join(_FRAME_BEFORE.search(before).group().split())}»"
    return "", ""


def _government(r: Resolution, before: str, after: str) -> str:
    """Why a large city stands for its government here ("Washington has accused Moscow"), or ""."""
    p = r.place
    if p is None or p.kind not in ("city", "locality", "governorate") or p.population < IMPORTANT_POPULATION:
        return ""
    lowered = _lowered(before)
    m = _search(_OPINION_IN, before, lowered)
    if m:
        return f"«{' '.join(m.group().split())} {r.text}»: a city standing for its government"
    m = _REGIME_AFTER.match(after)
    if m:
        return f"«{r.text}{m.group()}»: a city standing for its government"
    abroad = p.country not in ("SY", None) and p.population >= CAPITAL_POPULATION
    m = _search(_GOVERNMENT_AGENT, before, lowered) or (abroad and _search(_ABROAD_OBJECT, before, lowered))
    if m:
        return f"«{' '.join(m.group().split())} {r.text}»: a city standing for its government"
    if _PLACE_WORDS_BEFORE.search(before):
        return ""
    m = _GOVERNMENT_AFTER.match(after) or _GOVERNMENT_AR_AFTER.match(after) or \
        (abroad and not r.text.isupper() and _ABROAD_SUBJECT.match(after))
    if m:
        words = (r.text + after[:m.end()] + after[m.end():].split(" ", 1)[0]).rstrip(".,;:")  # to the verb's end
    elif (m := _search(_GOVERNMENT_BEFORE, before, lowered)) or \
            ((m := _search(_GOVERNMENT_OBJECT, before, lowered)) and re.match(r"\s+(?:of|over|for|to)\b", after)):
        words = f"{m.group()}{r.text}"
    else:
        return ""
    return f"«{' '.join(words.split())}»: a city standing for its government"


def _page_role(r: Resolution, text: str, s: int, related: bool) -> tuple[str, str]:
    """Roles that need more than the sentence: a dateline whose date the sentence splitter cut ("BEIRUT,
    Nov. 2, 2017 (AP) —"), a month abbreviation read as a place ("Nov 2"), a line of a "related" list."""
    sentence_before = text[s:r.start]
    if not sentence_before.strip() or _FURNITURE_BEFORE.fullmatch(sentence_before):
        m = _DATELINE_ANY.match(text, r.end, min(len(text), r.end + 80))
        if m:
            return "speaker_seat", f"dateline «{' '.join(text[r.start:m.end()].split())}»"
    if _MONTH_WORD.fullmatch(r.text) and re.match(r"\.?\s*\d{1,2}\b", text[r.end:r.end + 5]):
        return "background", f"a date «{text[r.start:r.end + 3].strip()}»"
    if related:
        heading = _related_heading(text, r.start)
        if heading:
            return "background", f"in a list of related articles «{heading}»"
    return "", ""


def _related_heading(text: str, pos: int) -> str:
    """The "Related articles"/"Read more"/"اقرأ أيضاً" heading of the list of short lines (headlines, no
    closing full stop) that `pos` is in, or ""."""
    start = text.rfind("\n", 0, pos) + 1
    for _ in range(12):
        end = text.find("\n", start)
        line = text[start:end if end >= 0 else len(text)].strip()
        m = _RELATED.match(line)
        if m:
            return m.group().strip()
        if len(line) > 160 or line.endswith((".", "؟", "!", "?")):
            return ""  # running text, not a list of headlines
        if start == 0:
            return ""
        start = text.rfind("\n", 0, start - 1) + 1
    return ""


def _frame(resolutions: list[Resolution], spans: list[tuple[int, int]], text: str) -> None:
    """A container named beside a village or town of the same sentence that lies inside it (or an
    unknown village placed at it) frames it; so does a city named as the whole a place is part of
    ("the X district of Aleppo", "X, Aleppo", "حي X في مدينة حلب", "Aleppo's X neighbourhood") or
    beside one of its own neighbourhoods."""
    for s, e in spans:
        here = [r for r in resolutions if s <= r.start < e and r.place is not None]
        areas = {id(r): a for r in here if r.role == "target" and not r.reason and (a := _written_as_area(r, text))}
        for r in here:
            if id(r) in areas:
                other = next((p for p in here if p is not r and p.role == "target" and id(p) not in areas
                              and p.place.id != r.place.id
                              and (p.reason == NOT_IN_GAZETTEER or p.place.kind not in ("governorate", "country"))),
                             None)
                if other is not None:
                    _set(r, "framing_area", f"«{areas[id(r)]}» is an area framing «{other.text}»")
        precise = [r for r in here if r.role == "target" and id(r) not in areas and (
            r.place.kind in LOCAL_KINDS or r.reason == NOT_IN_GAZETTEER)]
        if not precise:
            continue
        for r in here:
            if r.role != "target" or r.reason or id(r) in areas:
                continue
            if r in precise:
                why = _governorate_named(r, precise, here, text)
                if why:
                    _set(r, "framing_area", why)
                    continue
                part = next((p for p in precise
                             if p is not r and p.role == "target" and _city_frames(r, p, text, here)), None)
                if part is not None:
                    _set(r, "framing_area", f"the city «{r.text}» of which «{part.text}» is a part")
                continue
            inner = next((p for p in precise if _inside(p, r) or (
                p.reason == NOT_IN_GAZETTEER and p.place.id == r.place.id)), None)
            if inner is not None:
                _set(r, "framing_area", f"frames «{inner.text}», named in the same sentence")


def _city_frames(outer: Resolution, inner: Resolution, text: str, here: list[Resolution]) -> bool:
    """Is `outer` a city named as the whole `inner` is part of? Its own neighbourhood anywhere in the
    sentence, or a town of its governorate written "X district of C", "X, C", "X in C", "X في مدينة C",
    "C's X district" (reports call the towns around Aleppo its districts: Kafr Hamrah, Bshantara)."""
    o, i = outer.place, inner.place
    if o.id == i.id or o.kind not in ("locality", "city") or i.kind not in LOCAL_KINDS or o.country != "SY" \
            or o.admin1 is None or i.admin1 is None or o.admin1.id != i.admin1.id:
        return False
    if not (o.population >= IMPORTANT_POPULATION or
            (o.admin1.name_en and o.name_en.lower()[:4] == o.admin1.name_en.lower()[:4])):
        return False  # a city, or a town named like its governorate ("Qarati in Idleb")
    if i.kind == "neighbourhood" and km(o, i) <= CITY_KM:
        return True
    if outer.start >= inner.end:
        return bool(CITY_AFTER.fullmatch(text[inner.end:outer.start])) and not _listed_after(outer, here, text)
    end = outer.end - 2 if outer.text.endswith(("'s", "’s")) else outer.end  # a possessive inside the span
    return bool(CITY_POSSESSIVE.fullmatch(text[end:inner.start])) and (
        i.kind == "neighbourhood" or NEIGHBOURHOOD_AFTER.match(text[inner.end:inner.end + 30]) is not None)


def _written_as_area(r: Resolution, text: str) -> str:
    """The words that make a mention an area rather than the place itself ("Idleb countryside", "the
    countryside of Aleppo", "Hama province"), or ""."""
    m = _AREA_AFTER.match(text, r.end)
    if m:
        return " ".join(f"{r.text}{m.group()}".split())
    m = _AREA_BEFORE.search(text[max(0, r.start - 40):r.start])
    return " ".join(f"{m.group()}{r.text}".split()) if m else ""


def _governorate_named(r: Resolution, precise: list[Resolution], here: list[Resolution], text: str) -> str:
    """Why `r`, a city named like its governorate, closes the name of a place of that governorate
    ("Ar-Ra'ee town Aleppo", "Jarablus in Aleppo") and so frames it, or "". Not when it opens a
    list ("Sarmin, Idleb and Binnish")."""
    o = r.place
    if o.kind not in ("locality", "city") or o.admin1 is None or not o.admin1.name_en \
            or o.name_en.lower()[:4] != o.admin1.name_en.lower()[:4] or _listed_after(r, here, text):
        return ""
    for p in precise:
        if p is not r and p.place.id != o.id and p.end <= r.start and p.place.admin1 is not None \
                and p.place.admin1.id == o.admin1.id and _GOVERNORATE_GAP.fullmatch(text, p.end, r.start):
            return f"«{r.text}» names the governorate of «{p.text}»"
    return ""


def _listed_after(r: Resolution, here: list[Resolution], text: str) -> bool:
    """"X, Aleppo and Idlib": the city opens a list of places rather than closing X's name."""
    return any(o.start >= r.end and _LIST_AFTER.fullmatch(text[r.end:o.start]) for o in here)


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

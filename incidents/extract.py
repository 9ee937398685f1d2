"""The extraction pipeline, pure: an Article in, Incidents out (nothing is stored here).

1. Sentences of the body (title, date line and caption are skipped).
2. Places: the geoparser's resolutions, by sentence.
3. Which sentences report a violent event: one with an event cue (the dictionaries of
   `incidents.lexicon`, Arabic and English); an English one without a cue when the event model
   (`incidents.event_model`, fitted on ACLED notes and news sentences) gives it a probability at
   or above its threshold ("unknown gunmen shot and killed a lieutenant in Jarablus city"): its
   type is then the model's ACLED Battles sub-event, and the evidence gives the probability. Any
   other sentence is context only.
4. Which places are incident locations: only targets (the geoparser's roles set firing
   positions, reference points, road endpoints, speakers' seats, framing areas and background
   aside, with the reason in their evidence); a governorate-level place is context when the
   sentence also names something more precise; one place counts once per sentence.
5. For each location: the event cue nearest before it (else after it; a specific cue such as
   "cluster munitions" before a generic one such as "attack"), the actors of the sentence with
   their role (before the cue: attacker; after: target), fatalities when stated, and its own date:
   the date written nearest before it in the sentence (else after it), else the sentence's
   relative wording (yesterday, أمس), else a date stated earlier in the same paragraph (the
   dated lists of investigation reports), else the publication date. The date a video or post
   was published ("published on YouTube … on July 10") is no event's date.
6. One incident row per location; rows of one sentence share a group id. A governorate-level
   incident is dropped when the same article has a more precise one of the same type there. In
   a report that looks back (three or more dates, all over a month before publication), a
   sentence without a date of its own is background and yields nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, fields

from geodata.schema import Resolution
from geodata.sentences import sentence_spans
from incidents.articles import Article
from geodata.normalize import DIGITS, is_arabic
from incidents.dates import PUBLICATION_DATE, DateMention, EventDate, date_mentions, relative_date
from incidents.event_model import event_model
from incidents.lexicon import Hit, actor_mentions, event_cues
from incidents.longtext import PART_CHARS, extract_in_parts

_NONE_REPORTED = re.compile(
    r"(?:(?:من\s+)?دون\s+(?:ورود\s+)?أنباء\s+عن\s+(?:وقوع\s+)?(?:إصابات|ضحايا|قتلى)|لم\s+ترد\s+أنباء\s+عن\s+(?:إصابات|ضحايا)|"
    r"no (?:reported )?(?:casualties|fatalities|deaths|injuries)|neither (?:fatalities|injuries|deaths) nor|"
    r"no (?:injuries or fatalities|fatalities or injuries)|without casualties|no losses were reported)", re.I)
_KILLED = re.compile(
    r"(?:مقتل|استشهاد|قتل)\s+(\d+)|(\d+)\s+(?:قتلى|قتيلا|شهداء|شهيدا)|(?:killing|killed)\s+(\d+)|"
    r"(\d+)\s+(?:people|civilians|fighters|soldiers|members|persons)?\s*(?:were\s+)?(?:killed|dead|fatalit(?:y|ies))",
    re.I)


@dataclass
class Incident:
    article_id: str
    group: str
    date: str | None
    time_precision: int
    event_type: str
    sub_event_type: str
    actors: list[dict]
    fatalities: int | None
    location: dict  # a geodata.schema.Location as a dict (the stored and exported shape)
    passage: str
    passage_start: int
    passage_end: int
    place_start: int
    place_end: int
    article: dict = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    source_kind: str = "news"

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in _INCIDENT_FIELDS}


def fatalities_in(text: str) -> int | None:
    """Deaths stated in a passage: a number, 0 when "no casualties" is said, None when unknown."""
    t = text.translate(DIGITS)
    m = _KILLED.search(t)
    if m:
        return int(next(g for g in m.groups() if g))
    if _NONE_REPORTED.search(t):
        return 0
    return None


def _locations(resolutions: list[Resolution]) -> list[Resolution]:
    """Targets only (the geoparser's roles already set framing areas aside), the coarse ones only
    when nothing more precise is named, each place once."""
    keep = [r for r in resolutions if r.place is not None and r.role == "target" and r.place.kind != "country"]
    if any((r.precision or 3) < 3 for r in keep):
        keep = [r for r in keep if (r.precision or 3) < 3]
    out, seen = [], set()
    for r in keep:
        if r.place.id not in seen:
            seen.add(r.place.id)
            out.append(r)
    return out


def _nearest_cue(cues: list[Hit], pos: int) -> Hit | None:
    specific = [c for c in cues if not c.generic]
    cues = specific or cues
    before = [c for c in cues if c.end <= pos]
    if before:
        return before[-1]
    after = [c for c in cues if c.start >= pos]
    return after[0] if after else None


_TARGET_MARK = re.compile(r"(?:على|ضد|معاقل|مواقع|نقاط|صفوف|مقرات|against|targeting|positions of|on|at)(?:\s+لـ?)?\W*$", re.I)


def _role(a: Hit, cue: Hit, sentence: str) -> str:
    """attacker/target from word order: an actor before the cue acts; one right after the cue
    verb is its subject in Arabic verb-first order ("قصف النظام"); one after على/ضد/against is hit."""
    if a.start < cue.start:
        return "attacker"
    if _TARGET_MARK.search(sentence[max(cue.end, a.start - 25):a.start]):
        return "target"
    if a.start - cue.end <= 3:
        return "attacker"
    return "actor"


def _actors(actors: list[Hit], cue: Hit, offset: int, sentence: str) -> list[dict]:
    out, seen = [], set()
    for a in actors:
        name = a.label[0]
        if name in seen:
            continue
        seen.add(name)
        role = _role(a, cue, sentence)
        out.append({"name": name, "role": role, "text_start": a.start + offset, "text_end": a.end + offset})
    return out


def _passage(text: str, spans: list[tuple[int, int]], i: int) -> tuple[int, int]:
    """The sentence, or two when the first is a fragment that the next completes."""
    s, e = spans[i]
    if e - s < 60 and i + 1 < len(spans):
        e = spans[i + 1][1]
    return s, e


def _shift(hits: list[Hit], s: int, e: int) -> list[Hit]:
    """The hits inside [s, e), with offsets relative to s."""
    return [Hit(h.start - s, h.end - s, h.label, h.generic) for h in hits if s <= h.start and h.end <= e]


def _typed(cues: list[Hit], text: str) -> list[Hit]:
    """Cues without an event type of their own ("incident", حادثة) take the type of the nearest
    specific cue before them in their paragraph, else the nearest in the article; with none they
    are dropped."""
    typed = [c for c in cues if c.label[0]]
    if len(typed) == len(cues) or not typed:
        return typed
    out = []
    for c in cues:
        if c.label[0]:
            out.append(c)
            continue
        para = text.rfind("\n", 0, c.start) + 1
        same_para = [t for t in typed if para <= t.start < c.start]
        donor = same_para[-1] if same_para else min(typed, key=lambda t: abs(t.start - c.start))
        out.append(Hit(c.start, c.end, donor.label, True))
    return out


_COORDINATED = re.compile(r"\s*(?:,|،)?\s*(?:and|و)?\s*(?:on\s+(?:the\s+)?|في\s+)?", re.I)
_RESPECTIVELY = re.compile(r"\brespectively\b|على\s+(?:التوالي|التتالي)", re.I)


def _coordinated(inside: list[DateMention], m: DateMention, text: str) -> list[DateMention]:
    """The dates listed together with `m` ("on 4 October and 6 October", "24, 25 and 26 November")."""
    i = inside.index(m)
    lo = hi = i
    while lo > 0 and _COORDINATED.fullmatch(text, inside[lo - 1].end, inside[lo].start):
        lo -= 1
    while hi + 1 < len(inside) and _COORDINATED.fullmatch(text, inside[hi].end, inside[hi + 1].start):
        hi += 1
    return inside[lo:hi + 1]


def _dates_for(place_pos: int, nth: int, count: int, s: int, e: int, text: str, mentions: list[DateMention],
               starts: list[int], paragraph_start: int, published, retrospective: bool) -> list[EventDate]:
    """The date(s) of the incident at `place_pos`, the nth of `count` places of the sentence [s, e)
    (see the module doc). Dates listed together give one incident each, or, with "respectively"
    and as many places as dates, one per place in order. None where only the publication date
    would date it in a report that looks back: that sentence is background."""
    sentence = text[s:e]
    lo, hi = bisect_right(starts, s - 1), bisect_right(starts, e - 1)
    inside = mentions[lo:hi]
    if inside:
        before = [m for m in inside if m.end <= place_pos]
        m = before[-1] if before else inside[0]
        listed = _coordinated(inside, m, text)
        if len(listed) > 1:
            if len(listed) == count and _RESPECTIVELY.search(sentence):
                m = listed[nth]
                return [EventDate(m.date, m.precision, f"{m.evidence}, date {nth + 1} of those given respectively")]
            return [EventDate(x.date, x.precision, f"{x.evidence}, one of {len(listed)} dates listed together")
                    for x in listed]
        return [EventDate(m.date, m.precision, m.evidence)]
    when = relative_date(sentence, published)
    if when.evidence != PUBLICATION_DATE:
        return [when]
    earlier = [m for m in mentions[:lo] if m.start >= paragraph_start]
    if earlier:
        m = earlier[-1]
        return [EventDate(m.date, m.precision, f"{m.evidence}, stated earlier in the paragraph")]
    return [] if retrospective else [when]


def extract(article: Article, geoparser) -> list[Incident]:
    if len(article.text) - article.body_start > PART_CHARS:  # a long article: in parts, linear time
        return _drop_coarse_duplicates(extract_in_parts(article, geoparser, extract))
    text = article.text
    body = article.body_start
    aid, meta = article.id, article.meta()  # hashed once, not once per incident
    resolutions = geoparser.parse(text)
    spans = [sp for sp in sentence_spans(text) if sp[1] > body]
    all_cues = _typed([h for h in event_cues(text) if h.start >= body], text)
    if not all_cues and is_arabic(text[body:body + 2000]):
        return []  # Arabic: the cue dictionary decides (the model reads English only)
    all_actors = actor_mentions(text)
    published = article.date
    mentions = [m for m in date_mentions(text, published) if m.start >= body and not _posting_date(text, m)]
    starts = [m.start for m in mentions]
    retrospective = _retrospective(mentions, published)
    incidents: list[Incident] = []
    resolutions = sorted(resolutions, key=lambda r: r.start)
    res_starts = [r.start for r in resolutions]
    for i, (s, e) in enumerate(spans):
        s = max(s, body)
        cues = _shift(all_cues, s, e)
        sentence = text[s:e]
        if not cues and is_arabic(sentence):
            continue  # only the cue dictionary reads Arabic
        if _BOOKKEEPING.match(sentence):
            continue  # how a note counts its dead ("Fatality coded to fighting in X"), not an event
        in_sentence = [r for r in resolutions[bisect_right(res_starts, s - 1):bisect_right(res_starts, e - 1)]
                       if r.end <= e]
        locations = _locations(in_sentence)
        if not locations:
            continue
        why = None
        if not cues:  # an English sentence without a cue word: the event model decides
            told = _model_says(sentence)
            if told is None:
                continue
            cues, why = told
        ps, pe = _passage(text, spans, i)
        ps = max(ps, s)
        passage = text[ps:pe]
        actors = _shift(all_actors, s, e)
        deaths = fatalities_in(passage)
        group = f"{aid}:{s}"
        paragraph_start = text.rfind("\n", 0, s) + 1
        for nth, r in enumerate(locations):
            cue = _nearest_cue(cues, r.start - s)
            for when in _dates_for(r.start, nth, len(locations), s, e, text, mentions, starts, paragraph_start,
                                   published, retrospective):
                said = why if cue.end == cue.start else f"event cue «{sentence[cue.start:cue.end]}»"
                ev = [said, f"date: {when.evidence}"] + r.evidence
                incidents.append(Incident(
                    article_id=aid, group=group,
                    date=when.date.isoformat() if when.date else None, time_precision=when.precision,
                    event_type=cue.label[0], sub_event_type=cue.label[1],
                    actors=_actors(actors, cue, s, sentence), fatalities=deaths, location=r.to_dict(),
                    passage=passage, passage_start=ps, passage_end=pe, place_start=r.start, place_end=r.end,
                    article=dict(meta), evidence=ev,
                ))
    return _drop_coarse_duplicates(incidents)


# A note's bookkeeping: how its fatalities are counted and shared between places ("Fatalities split
# between two events with 8 allocated to X", "Fatality coded to fighting in X", "Unknown fatalities
# coded as 10"). Its places are named by the report's sentences, or belong to another event. Only a
# sentence that opens with it: "Clashes in X and Y resulted in fatalities … coded as 10" reports clashes.
_BOOKKEEPING = re.compile(
    r"\W*(?:(?:the|total|unknown|an?|number|of|all|reported|\d+)\s+){0,4}(?:fatalit(?:y|ies)|deaths?|casualties)\b[^.;]{0,40}?"
    r"\b(?:coded|allocated|split|assumed|attributed)\b", re.I)

_POSTED = re.compile(r"\b(?:published|uploaded|posted|shared|broadcast|aired)\b|تم\s+(?:نشر|رفع)\w*|"
                     r"(?:نشر|رفع)\w*\s+على\s+(?:ال)?(?:يوتيوب|فيسبوك|تويتر|قناة|موقع)", re.I)


def _posting_date(text: str, m: DateMention) -> bool:
    """A date on which a video or post was published ("was published on YouTube by the user X on July
    10, 2016", "تم نشره على يوتيوب في 10 تموز"): not an event's date, nor one a later sentence inherits."""
    start = max(text.rfind(".", 0, m.start), text.rfind("\n", 0, m.start), m.start - 80)
    return _POSTED.search(text, start, m.start) is not None


def _model_says(sentence: str):
    """For an English sentence without a cue: ([a cue-like Hit of the model's type at the sentence's
    start], evidence) when the event model says it reports a violent event, else None."""
    if is_arabic(sentence):
        return None
    model = event_model()
    p = model.probability(sentence)
    if p < model.threshold:
        return None
    sub, q = model.sub_event(sentence)
    why = (f"event model: p={p:.2f} that this sentence reports a violent event (no cue word); "
           f"type {sub} (p={q:.2f})")
    return [Hit(0, 0, ("Battles", sub), True)], why


RETROSPECTIVE_DAYS = 30


def _retrospective(mentions: list[DateMention], published) -> bool:
    """A report looking back (an investigation, a monthly summary): it dates its events itself, all
    of them more than a month before publication. There, a sentence with no date of its own is
    background ("research into the use of incendiary munitions around Aleppo"), not an event on
    the day of publication."""
    return (published is not None and len(mentions) >= 3
            and all((published - m.date).days > RETROSPECTIVE_DAYS for m in mentions))


def _drop_coarse_duplicates(incidents: list[Incident]) -> list[Incident]:
    precise = {(i.event_type, i.location.get("admin1")) for i in incidents if (i.location.get("precision") or 3) < 3}
    return [i for i in incidents if (i.location.get("precision") or 3) < 3
            or (i.event_type, i.location.get("admin1")) not in precise]


_INCIDENT_FIELDS = tuple(f.name for f in fields(Incident))

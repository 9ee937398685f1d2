"""The extraction pipeline, pure: an Article in, Incidents out (nothing is stored here).

1. Sentences of the body (title, date line and caption are skipped).
2. Places: the geoparser's resolutions, by sentence.
3. A sentence with an event cue yields incidents; one without is context only.
4. Which places are incident locations: only targets (the geoparser's roles set firing
   positions, reference points, road endpoints, speakers' seats, framing areas and background
   aside, with the reason in their evidence); a governorate-level place is context when the
   sentence also names something more precise; one place counts once per sentence.
5. For each location: the event cue nearest before it (else after it), the actors of the sentence
   with their role (before the cue: attacker; after: target), the date from the sentence's
   wording and the publication date, and fatalities when stated.
6. One incident row per location; rows of one sentence share a group id. A governorate-level
   incident is dropped when the same article has a more precise one of the same type there.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from geodata.schema import Resolution
from geodata.sentences import sentence_spans
from incidents.articles import Article
from incidents.dates import event_date
from incidents.lexicon import Hit, actor_mentions, event_cues

_NONE_REPORTED = re.compile(
    r"(?:(?:من\s+)?دون\s+(?:ورود\s+)?أنباء\s+عن\s+(?:وقوع\s+)?(?:إصابات|ضحايا|قتلى)|لم\s+ترد\s+أنباء\s+عن\s+(?:إصابات|ضحايا)|"
    r"no (?:reported )?(?:casualties|fatalities|deaths|injuries)|neither (?:fatalities|injuries|deaths) nor|"
    r"no (?:injuries or fatalities|fatalities or injuries)|without casualties|no losses were reported)", re.I)
_KILLED = re.compile(
    r"(?:مقتل|استشهاد|قتل)\s+(\d+)|(\d+)\s+(?:قتلى|قتيلا|شهداء|شهيدا)|(?:killing|killed)\s+(\d+)|"
    r"(\d+)\s+(?:people|civilians|fighters|soldiers|members|persons)?\s*(?:were\s+)?(?:killed|dead|fatalit(?:y|ies))",
    re.I)
_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


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
        return asdict(self)


def fatalities_in(text: str) -> int | None:
    """Deaths stated in a passage: a number, 0 when "no casualties" is said, None when unknown."""
    t = text.translate(_ARABIC_INDIC)
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


def extract(article: Article, geoparser) -> list[Incident]:
    text = article.text
    resolutions = geoparser.parse(text)
    spans = [sp for sp in sentence_spans(text) if sp[1] > article.body_start]
    published = article.date
    incidents: list[Incident] = []
    for i, (s, e) in enumerate(spans):
        s = max(s, article.body_start)
        sentence = text[s:e]
        cues = event_cues(sentence)
        if not cues:
            continue
        in_sentence = [r for r in resolutions if s <= r.start and r.end <= e]
        locations = _locations(in_sentence)
        if not locations:
            continue
        ps, pe = _passage(text, spans, i)
        ps = max(ps, s)
        passage = text[ps:pe]
        when = event_date(sentence, published)
        actors = actor_mentions(sentence)
        deaths = fatalities_in(passage)
        group = f"{article.id}:{s}"
        for r in locations:
            cue = _nearest_cue(cues, r.start - s)
            ev = [f"event cue «{sentence[cue.start:cue.end]}»", f"date: {when.evidence}"] + r.evidence
            incidents.append(Incident(
                article_id=article.id, group=group,
                date=when.date.isoformat() if when.date else None, time_precision=when.precision,
                event_type=cue.label[0], sub_event_type=cue.label[1],
                actors=_actors(actors, cue, s, sentence), fatalities=deaths, location=r.to_dict(),
                passage=passage, passage_start=ps, passage_end=pe, place_start=r.start, place_end=r.end,
                article=article.meta(), evidence=ev,
            ))
    return _drop_coarse_duplicates(incidents)


def _drop_coarse_duplicates(incidents: list[Incident]) -> list[Incident]:
    precise = {(i.event_type, i.location.get("admin1")) for i in incidents if (i.location.get("precision") or 3) < 3}
    return [i for i in incidents if (i.location.get("precision") or 3) < 3
            or (i.event_type, i.location.get("admin1")) not in precise]

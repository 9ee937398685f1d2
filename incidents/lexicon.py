"""Event and actor lexicons: the JSON files in `incidents/data/`, compiled once into word tables.

An analyst writes each cue as it appears in a dictionary — an Arabic noun or phrase (غارة جوية,
برميل متفجر), an Arabic verb in the past tense (قصف، استهدف), an English word or phrase (air
strike, barrel bomb) — and the forms running text uses are generated here:

* Arabic: the proclitics of `geodata.normalize.ARABIC_PROCLITICS` (و، ف، ب، ل، ك، وال، بال، لل…)
  on the first word, the article on every word, number and pronoun suffixes (غارات، غارتين،
  هجومها، قصفاً), and for verbs the past and present conjugations (قصفت، قصفوا، يقصف، تستهدف).
* English: the last word's -s/-es/-ed/-ing forms; a word in capitals (IS, SDF, IED) matches in
  capitals only.
* `ar_exact`: names that take proclitics and the article but no suffixes (روس is not روسية).
* In a phrase, "a|b" is one word with alternatives ("rebels|HTS captured|seized") and "#" any
  number ("killed # civilians").
* `patterns`: regular expressions, for what a phrase cannot say (each costs a pass over the text).

Matching splits the text into words once (`geodata.normalize.split_words`), folds each word with
the geoparser's Arabic letter folding and looks it up in one table per lexicon: one pass per
text, whatever the lexicon's size. `event_cues(text)` gives every cue with its ACLED event and
sub-event type; `actor_mentions(text)` every actor with its normalised name. Where two hits
overlap, the earlier and longer wins. A cue marked `generic` (attack, هجوم) yields to a specific
one in the same text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from importlib import resources

from geodata.normalize import ARABIC_PROCLITICS, fold_arabic_letters, is_arabic, split_words

_GAP = re.compile(r"[\s\-‐–—ـ/]*")  # what may stand between the words of one phrase
_AR_NOUN_SUFFIXES = ("", "ا", "ان", "ين", "ون", "ات", "ي", "ية", "ه", "ها", "هم", "هما", "يا")
_AR_TA_SUFFIXES = ("ات", "اته", "اتها", "اتهم", "تان", "تين", "ته", "تها", "تهم", "تي", "تا")  # غارة → غارات، غارتين، غارتها
_AR_PAST = ("", "ت", "وا", "ا", "تا", "ن", "نا", "تم")
_AR_OBJECT = ("", "ه", "ها", "هم", "هما")
_AR_PRESENT = ("ي", "ت", "ن")
_AR_PRESENT_END = ("", "ون", "ان", "ن")
_EN_SUFFIXES = ("", "s", "es", "ed", "d", "ing")


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    label: tuple[str, ...]  # (event_type, sub_event_type) or (actor name,)
    generic: bool = False


def _load(name: str) -> dict:
    with resources.files("incidents").joinpath(f"data/{name}").open(encoding="utf-8") as f:
        return json.load(f)


def _ar_noun_forms(word: str) -> set[str]:
    forms = {word + s for s in _AR_NOUN_SUFFIXES}
    if word.endswith("ة"):
        forms |= {word[:-1] + s for s in _AR_TA_SUFFIXES}
    if word.endswith("ي"):  # nisba adjective: صاروخي → صاروخية، صاروخيات
        forms |= {word + "ة", word + "ات"}
    return forms


def _ar_verb_forms(word: str) -> set[str]:
    forms = {word + p + o for p in _AR_PAST for o in _AR_OBJECT}
    stem = word[1:] if word[0] in "أا" and len(word) == 4 else word  # أعدم → يعدم
    forms |= {p + stem + e + o for p in _AR_PRESENT for e in _AR_PRESENT_END for o in _AR_OBJECT}
    if word.endswith("ى"):  # تصدى → تصدت، تصدوا، يتصدون
        forms |= {word[:-1] + e for e in ("ت", "وا", "تا")}
        forms |= {p + word[:-1] + e for p in _AR_PRESENT for e in ("ون", "ن")}
    return forms


def _with_article(forms: set[str], first: bool) -> set[str]:
    """Every form with and without the article; the first word of a phrase also with proclitics."""
    out = set(forms) | {"ال" + f for f in forms}
    if first:
        for p in ARABIC_PROCLITICS:
            if p.endswith("ال"):
                out |= {p + f for f in forms}
            elif p.endswith("لل"):
                out |= {p + f for f in forms}
            else:
                out |= {p + f for f in forms} | {p + "ال" + f for f in forms}
    return {fold_arabic_letters(f) for f in out}


def _en_forms(word: str) -> set[str]:
    if word.isupper() and len(word) > 1:  # an acronym: as written, capitals only
        return {word, word + "s"}
    w = word.lower()
    forms = {w + s for s in _EN_SUFFIXES}
    if w.endswith("y"):
        forms |= {w[:-1] + "ies", w[:-1] + "ied"}
    if w.endswith("e"):
        forms |= {w[:-1] + "ing", w + "d"}
    return forms


def _slots(phrase: str) -> list[list[str]]:
    """The word slots of a lexicon phrase; "a|b" is one slot with two alternatives, "#" any number."""
    out = []
    for chunk in phrase.split():
        alts = chunk.split("|")
        out += [alts] if len(alts) > 1 or chunk == "#" else [[w] for _, _, w in split_words(chunk)]
    return out


def _ar_noun(word: str, first: bool, last: bool) -> set[str]:
    return _with_article(_ar_noun_forms(word), first)


def _ar_exact(word: str, first: bool, last: bool) -> set[str]:
    return _with_article({word}, first)


def _ar_verb(word: str, first: bool, last: bool) -> set[str]:
    return _with_article(_ar_verb_forms(word), True)


def _en(word: str, first: bool, last: bool) -> set[str]:
    if last:
        return _en_forms(word)
    return {word} if word.isupper() and len(word) > 1 else {word.lower()}


# (data key, forms of a phrase's first word, forms of its other words)
_KINDS = (("ar", _ar_noun, _ar_noun), ("ar_exact", _ar_exact, _ar_exact), ("ar_verbs", _ar_verb, _ar_noun),
          ("en", _en, _en))


def _slot_forms(alternatives: list[str], forms, first: bool, last: bool) -> set[str]:
    if alternatives == ["#"]:
        return {"#"}
    return set().union(*(forms(w, first, last) for w in alternatives))


@dataclass
class _Table:
    """First-word form → [(forms of each following word, label, generic)]."""
    first: dict
    patterns: list

    def hits(self, text: str) -> list[Hit]:
        words, keys, lower, present = _text_keys(text)
        out: list[Hit] = []
        first = self.first
        n = len(words)
        opening = first.keys() & present  # the first words of phrases that the text holds
        if opening:  # their positions, found in C: most words open no phrase
            at = sorted(set(compress(range(n), map(opening.__contains__, keys))).union(
                compress(range(n), map(opening.__contains__, lower))))
        else:
            at = ()  # no first word of any phrase in the text: only the patterns can match
        for i in at:
            cands = first.get(keys[i]) or first.get(lower[i])
            if not cands:
                continue
            for rest, label, generic in cands:
                j = i
                ok = True
                for forms in rest:
                    j += 1
                    if j >= n or (keys[j] not in forms and lower[j] not in forms
                                  and not ("#" in forms and keys[j].isdigit())) \
                            or not _GAP.fullmatch(text, words[j - 1][1], words[j][0]):
                        ok = False
                        break
                if ok:
                    out.append(Hit(words[i][0], words[j][1], label, generic))
        for rx, label, generic in self.patterns:
            out += [Hit(m.start(), m.end(), label, generic) for m in rx.finditer(text) if m.end() > m.start()]
        return _resolve_overlaps(out)


@lru_cache(maxsize=2)  # the event and the actor table read the same text
def _text_keys(text: str) -> tuple[list, tuple, tuple, frozenset]:
    """The text's words, their keys, lower-case keys, and the set of both."""
    words = split_words(text)
    keys, lower = zip(*[_keys(w) for _, _, w in words]) if words else ((), ())
    return words, keys, lower, frozenset(keys) | frozenset(lower)


@lru_cache(maxsize=200_000)
def _keys(word: str) -> tuple[str, str]:
    """(key, lower-case key) of a text word: Arabic folded (letters, not the article), Latin as is."""
    key = fold_arabic_letters(word) if is_arabic(word) else word
    return key, key.lower()


def _resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for h in hits:  # earlier and longer wins where two overlap
        if kept and h.start < kept[-1].end:
            continue
        kept.append(h)
    return kept


def _compile(entries: list[tuple[dict, tuple[str, ...]]]) -> _Table:
    first: dict[str, list] = {}
    patterns = []

    def add(word_forms: list[set[str]], label, generic):
        entry = (tuple(frozenset(s) for s in word_forms[1:]), label, generic)
        for f in word_forms[0]:
            first.setdefault(f, []).append(entry)

    for e, label in entries:
        generic = bool(e.get("generic"))
        for key, first_forms, other_forms in _KINDS:
            for phrase in e.get(key, []):
                slots = _slots(phrase)
                add([_slot_forms(alts, first_forms if i == 0 else other_forms, i == 0, i == len(slots) - 1)
                     for i, alts in enumerate(slots)], label, generic)
        for p in e.get("patterns", []):
            patterns.append((re.compile(p, re.I), label, generic))
    # longer phrases first, so that a phrase is tried before the single word it starts with
    for cands in first.values():
        cands.sort(key=lambda c: -len(c[0]))
    return _Table(first, patterns)


@lru_cache(maxsize=1)
def _events() -> _Table:
    return _compile([(c, (c["event_type"], c["sub_event_type"])) for c in _load("events.json")["cues"]])


@lru_cache(maxsize=1)
def _actors() -> _Table:
    return _compile([(a, (a["name"],)) for a in _load("actors.json")["actors"]])


def event_cues(text: str) -> list[Hit]:
    """Event cues in `text`, each with its (event type, sub-event type)."""
    return _events().hits(text)


def actor_mentions(text: str) -> list[Hit]:
    """Actor mentions in `text`, each with its normalised name."""
    return _actors().hits(text)

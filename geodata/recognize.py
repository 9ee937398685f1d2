"""Find the gazetteer places named in a text: one Aho-Corasick pass per key tier.

The text is split into words; each word gets its exact and loose keys (an Arabic word is first
read without a proclitic when only that reading is a gazetteer word: والموزرة → الموزرة). The keys
are concatenated without separators, so a name matches whether the text joins its words or not
("كفر نبل"/"كفرنبل"), and a match only counts when it starts and ends on word boundaries. The
longest match wins; loose matches fill only spans no exact match covers.

Context rules: a Latin-script match must start with a capital letter; a name that is also an
ordinary word (flagged at build time) needs a trigger word before it (قرية، بلدة، village of…) or a
neighbour in a list of places ("قرى بليون والموزرة…").
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from dataclasses import dataclass, field
from importlib import resources

import ahocorasick

from geodata.gazetteer import Gazetteer, NameEntry
from geodata.normalize import (ARABIC_DIACRITICS, LATIN_ARTICLES, arabic_clitic_readings, fold_arabic_word,
                               fold_latin_word, is_arabic, is_ordinary_word, loose_arabic_word, loose_latin_word,
                               split_words)

MAX_WORDS = 6
MIN_LOOSE_KEY = 4
_DOUBLED = re.compile(r"(.)\1+")
_GLUE = re.compile(r"[\s\-‐–ـ'’ʿ]*")  # what may stand between the words of one name
IMPORTANT_POPULATION = 50_000  # places this large are named often enough not to need a trigger


def _load_triggers() -> dict:
    with resources.files("geodata").joinpath("data/triggers.json").open(encoding="utf-8") as f:
        return json.load(f)


@dataclass(slots=True)
class Word:
    start: int
    end: int
    text: str
    exact: str
    loose: str
    arabic: bool
    clitic: str = ""  # proclitic stripped from the front (و، ب، بال…)


@dataclass
class Mention:
    """A span of text that names one or more gazetteer places."""

    text: str
    start: int
    end: int
    entries: list[NameEntry]
    tier: str = "exact"  # or "loose"
    trigger: str = ""  # the trigger word before (or after) it, folded
    trigger_kind: str = ""  # village, town, city, vicinity, area, countryside, governorate, district…
    conjoined: bool = False  # joined to a neighbour by و / "and" / a comma
    evidence: list[str] = field(default_factory=list)

    @property
    def place_ids(self) -> list[str]:
        seen, out = set(), []
        for e in self.entries:
            if e.place_id not in seen:
                seen.add(e.place_id)
                out.append(e.place_id)
        return out

    @property
    def arabic(self) -> bool:
        return is_arabic(self.text)

    @property
    def common(self) -> bool:
        return all(e.common for e in self.entries)


class Recognizer:
    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self.vocab: set[str] = set()  # every folded word of an Arabic gazetteer name
        self.loose_vocab: set[str] = set()
        self._arabic_words: dict[str, tuple[int, str, str]] = {}  # word -> (proclitic length, keys)
        self._latin_words: dict[str, tuple[str, str]] = {}  # word -> (exact, loose)
        exact: dict[str, list[NameEntry]] = {}
        loose: dict[str, list[NameEntry]] = {}
        for n in gazetteer.names:
            exact.setdefault(n.exact, []).append(n)
            if n.loose and len(n.loose) >= MIN_LOOSE_KEY:
                loose.setdefault(n.loose, []).append(n)
                # "Kafr Ruma" keys as kfr+rm; written as one word, "Kafruma" gives kfrm: the
                # doubled letter at the word joint is collapsed in a second key.
                joint = _DOUBLED.sub(r"\1", n.loose)
                if joint != n.loose and len(joint) >= MIN_LOOSE_KEY:
                    loose.setdefault(joint, []).append(n)
            if is_arabic(n.name):
                for _, _, w in split_words(n.name):
                    self.vocab.add(fold_arabic_word(w))
                    self.loose_vocab.add(loose_arabic_word(w))
        self.auto_exact = self._automaton(exact)
        self.auto_loose = self._automaton(loose)
        trig = _load_triggers()
        self.triggers_ar: dict[str, str] = {fold_arabic_word(k): v for k, v in trig["arabic_before"].items()}
        self.triggers_en_before: dict[str, str] = trig["english_before"]
        self.triggers_en_after: dict[str, str] = trig["english_after"]
        self.vocab.update(self.triggers_ar)

    @staticmethod
    def _automaton(table: dict[str, list[NameEntry]]):
        a = ahocorasick.Automaton()
        for key, entries in table.items():
            a.add_word(key, (key, entries))
        if len(a):
            a.make_automaton()
        return a

    # ---- words -----------------------------------------------------------------------------
    def words(self, text: str) -> list[Word]:
        out: list[Word] = []
        pending_article_start = None
        latin_cache = self._latin_words
        for start, end, w in split_words(text):
            keys = latin_cache.get(w)
            if keys is None:
                if w not in self._arabic_words and is_arabic(w):
                    if len(self._arabic_words) > 500_000:  # bound the cache on endless input
                        self._arabic_words.clear()
                    self._arabic_words[w] = self._arabic_reading(w)
                if w in self._arabic_words:
                    skip, key, loose = self._arabic_words[w]
                    out.append(Word(start + skip, end, w[skip:], key, loose, True, w[:skip]))
                    pending_article_start = None
                    continue
                keys = (fold_latin_word(w), loose_latin_word(w))
                if len(latin_cache) < 500_000:
                    latin_cache[w] = keys
            f = keys[0]
            if f in LATIN_ARTICLES and (text[end:end + 1] in "-‐–" or f in ("al", "el")) and end < len(text):
                pending_article_start = start if pending_article_start is None else pending_article_start
                continue
            if pending_article_start is None:
                out.append(Word(start, end, w, f, keys[1], False))
            else:
                out.append(Word(pending_article_start, end, text[pending_article_start:end], f, keys[1], False))
                pending_article_start = None
        return out

    def _arabic_reading(self, w: str) -> tuple[int, str, str]:
        """(proclitic length, exact key, loose key): the word itself, or its reading without a
        proclitic when only that one is a gazetteer word (والموزرة → الموزرة)."""
        readings = arabic_clitic_readings(w)
        skip, chosen = readings[0]
        key = fold_arabic_word(chosen)
        if key not in self.vocab and loose_arabic_word(chosen) not in self.loose_vocab:
            for sk, r in readings[1:]:
                k = fold_arabic_word(r)
                if k in self.vocab or loose_arabic_word(r) in self.loose_vocab:
                    skip, chosen, key = sk, r, k
                    break
        return skip, key, loose_arabic_word(chosen)

    @staticmethod
    def _capitalised_after_article(w: Word) -> bool:
        """"al Halubah", "al-Bab": the article may be lower case, the name after it may not."""
        m = re.match(r"(?i)(al|el|an|ar|as|ad|at|az|ash|ad|ed|es|en|er)[\s\-‐–]+(\S)", w.text)
        return bool(m and m.group(2).isupper())

    # ---- matching --------------------------------------------------------------------------
    def _matches(self, words: list[Word], tier: str, text: str):
        automaton = self.auto_exact if tier == "exact" else self.auto_loose
        if not len(automaton):
            return []
        pieces = [w.exact for w in words] if tier == "exact" else [w.loose for w in words]
        offsets = list(accumulate(map(len, pieces)))
        ends = dict(zip(offsets, range(len(pieces))))
        starts = dict(zip([0] + offsets[:-1], range(len(pieces))))
        joined = "".join(pieces)
        found = []
        for end_idx, (key, entries) in automaton.iter(joined):
            s = end_idx - len(key) + 1
            if s in starts and end_idx + 1 in ends:
                i, j = starts[s], ends[end_idx + 1]
                # A name never spans punctuation: "Sruj. No" is not "Sarjun".
                if j - i < MAX_WORDS and i <= j and all(
                        _GLUE.fullmatch(text[words[k].end:words[k + 1].start]) for k in range(i, j)):
                    found.append((i, j, entries))
        return found

    def find(self, text: str) -> list[Mention]:
        """Every mention in `text`, in order of appearance."""
        words = self.words(text)
        if not words:
            return []
        candidates = [(i, j, e, "exact") for i, j, e in self._matches(words, "exact", text)]
        candidates += [(i, j, e, "loose") for i, j, e in self._matches(words, "loose", text)]
        # Longest span first (in characters), exact before loose, then leftmost.
        candidates.sort(key=lambda c: (-(words[c[1]].end - words[c[0]].start), c[3] != "exact", c[0]))
        taken = [False] * len(words)
        chosen = []
        for i, j, entries, tier in candidates:
            if any(taken[i:j + 1]):
                continue
            first = words[i]
            if not first.arabic and not first.text[:1].isupper() and not self._capitalised_after_article(first):
                continue
            if not first.arabic and tier == "loose" and sum(len(w.loose) for w in words[i:j + 1]) < MIN_LOOSE_KEY:
                continue  # a short consonant skeleton matches too many English words
            for k in range(i, j + 1):
                taken[k] = True
            chosen.append((i, j, entries, tier))
        chosen.sort()
        mentions = []
        for i, j, entries, tier in chosen:
            m = Mention(text=text[words[i].start:words[j].end], start=words[i].start, end=words[j].end,
                        entries=list(entries), tier=tier)
            self._context(m, words, i, j, text)
            mentions.append(m)
        self._mark_lists(mentions, text)
        return [m for m in mentions if self._admissible(m)]

    def _admissible(self, m: Mention) -> bool:
        """A name that is also an ordinary word needs a trigger or a list of places around it."""
        if m.arabic:
            if fold_arabic_word(m.text) in self.triggers_ar:
                return False  # "مدينة" is a trigger, not the villages called al-Madina
            # Abroad, only the exact Arabic spelling counts (آمل is not أمل).
            plain = ARABIC_DIACRITICS.sub("", m.text)
            spellings = (plain, "ال" + plain, plain.removeprefix("ال"))
            m.entries = [e for e in m.entries if self.gazetteer.places[e.place_id].country == "SY"
                         or any(ARABIC_DIACRITICS.sub("", n) in spellings
                                for n in self.gazetteer.places[e.place_id].all_names())]
            if not m.entries:
                return False
        if not (m.common or self._frequent_word(m)):
            return True
        strong_trigger = m.trigger and m.trigger_kind not in ("in", "direction")
        return bool(strong_trigger or m.conjoined)

    def _frequent_word(self, m: Mention) -> bool:
        if len(m.text.split()) > 1:
            return False  # a multi-word name is specific enough
        places = [self.gazetteer.places[p] for p in m.place_ids]
        if any(p.kind in ("governorate", "country") or p.population >= IMPORTANT_POPULATION
               * (1 if p.country == "SY" else 20) for p in places):
            return False
        return is_ordinary_word(m.text)

    def _context(self, m: Mention, words: list[Word], i: int, j: int, text: str) -> None:
        first = words[i]
        if first.arabic:
            for back in (1, 2):
                if i - back < 0:
                    break
                prev = words[i - back]
                kind = self.triggers_ar.get(prev.exact)
                if kind and text[prev.end:first.start].strip() in ("", "ـ"):
                    m.trigger, m.trigger_kind = prev.exact, kind
                    m.evidence.append(f"trigger word «{prev.text}»")
                    # "محيط قرية إحسم": the vicinity of the village, not the village itself
                    if i - back - 1 >= 0 and self.triggers_ar.get(words[i - back - 1].exact) == "vicinity" \
                            and kind in ("village", "town", "city"):
                        m.trigger_kind = "vicinity"
                        m.evidence.append(f"«{words[i - back - 1].text}»: its vicinity")
                    break
        else:
            before = " ".join(w.exact for w in words[max(0, i - 3):i])
            for phrase, kind in self.triggers_en_before.items():
                if (" " + before).endswith(" " + phrase):
                    m.trigger, m.trigger_kind = phrase, kind
                    m.evidence.append(f"trigger words «{phrase}»")
                    break
            if not m.trigger and j + 1 < len(words):
                nxt = words[j + 1].exact
                if nxt in self.triggers_en_after:
                    m.trigger, m.trigger_kind = nxt, self.triggers_en_after[nxt]
                    m.evidence.append(f"followed by «{words[j + 1].text}»")
            if i > 0 and words[i - 1].exact in ("and", "or"):
                m.conjoined = True

    @staticmethod
    def _mark_lists(mentions: list[Mention], text: str) -> None:
        """Mentions separated only by a comma, و or "and" form a list: each supports the other."""
        for a, b in zip(mentions, mentions[1:]):
            gap = " ".join(text[a.end:b.start].split())
            if gap in (",", "،", "and", ", and", "or", "و", "، و", ", و", "أو") and not (a.common and b.common):
                a.conjoined = b.conjoined = True
                if a.trigger and not b.trigger and a.trigger_kind in ("villages", "towns", "cities"):
                    b.trigger, b.trigger_kind = a.trigger, a.trigger_kind
                    b.evidence.append(f"in a list after «{a.trigger}»")

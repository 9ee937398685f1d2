"""Find the gazetteer places named in a text: one Aho-Corasick pass per key tier.

The text is split into words; each word gets its exact and loose keys (an Arabic word is first
read without a proclitic when only that reading is a gazetteer word: والموزرة → الموزرة). The keys
are concatenated without separators, so a name matches whether the text joins its words or not
("كفر نبل"/"كفرنبل"), and a match only counts when it starts and ends on word boundaries. The
longest match wins; loose matches fill only spans no exact match covers.

Whether a candidate names a place *here* is the place tagger's decision (`geodata.tagger`, a CRF
trained by `bench/train_tagger.py`); this module proposes the candidates and records what the
hand-written word lists of `geodata.lexicons` say about each, as the tagger's features:
* hard vetoes remove what cannot be a name here: a Latin span holding a function word ("But in",
  "At the"), an acronym ("SANA", "US BLU"), a person's name (after a given name, particle or title:
  "Rami Abdel Rahman", "President Bashar", "الشيخ …"; "Najib Ansari said"), the speaker of "said", a
  piece of an organisation's name ("Ahrar al-Sham", "هيئة تحرير الشام", "Islamic State of Iraq and
  al-Sham"), the second word of a compound ("Bab Saba"), an Arabic span ending in a function word
  ("حلب أن");
* the soft rules are the verdict (`Verdict`): a name that is also an ordinary word (curated lists,
  word frequency, given names, kunyas) without a trigger word (قرية، بلدة، village of…) or a place
  neighbour in a list; a loose (spelling-variant) match; a frequent Arabic word; a village in a text
  not about Syria. A loose match without a trigger or list still needs the administrative unit the
  sentence names (checked by the resolver). A comma alone is no list;
* an Arabic word is read as proclitic + name only when it is rarer whole than split (ورقة stays
  "paper", والرقة is "and Raqqa").
A name after a trigger word that no gazetteer holds becomes an `unknown` mention (tier "unknown").
Without a shipped model (`Recognizer(..., tagger=False)`) the verdict alone decides, as before.

A city neighbourhood (`geodata/data/neighbourhoods.csv`) counts only where the text supports it
(`NeighbourhoodContext`): its city named in the same or the previous sentence, the section heading
or the title; حي/منطقة/"district"/"neighbourhood"/"quarter" beside it; its city written right beside
it ("X district of Aleppo", "حي X في مدينة حلب", "Aleppo's X"); a list with a supported one. With
support it beats a namesake village elsewhere; without it the span reads as if the layer did not exist.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from itertools import accumulate, chain

import ahocorasick
from wordfreq import zipf_frequency

from geodata.gazetteer import Gazetteer, NameEntry
from geodata.lexicons import phrases, word_set
from geodata.normalize import (ARABIC_DIACRITICS, LATIN_ARTICLES, LIST_GAPS, arabic_clitic_readings,
                               fold_arabic_word, fold_latin_word, is_arabic, is_ordinary_word, list_gap,
                               loose_arabic_word, loose_latin_word, split_words)
from geodata.place import IMPORTANT_POPULATION, Place
from geodata.schema import Mention
from geodata.sentences import sentence_spans
from geodata.tagger import PlaceTagger
from geodata.translit import SkeletonIndex

MAX_WORDS = 6
MIN_LOOSE_KEY = 4
_DOUBLED = re.compile(r"(.)\1+")
_GLUE = re.compile(r"[\s\-‐–ـ'’ʿ]*")  # what may stand between the words of one name


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


class Recognizer:
    def __init__(self, gazetteer: Gazetteer, tagger: bool = True):
        self.gazetteer = gazetteer
        self.vocab: set[str] = set()  # every folded word of an Arabic gazetteer name
        self.loose_vocab: set[str] = set()
        self._arabic_words: dict[str, tuple[int, str, str]] = {}  # word -> (proclitic length, keys)
        self._latin_words: dict[str, tuple[str, str]] = {}  # word -> (exact, loose)
        self._exact_parts: dict[str, list[str]] = {}  # a mention's text -> its words' exact keys
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
        self.skeletons = SkeletonIndex(gazetteer)  # Kefraya/Kafraya: a last tier, after exact and loose
        trig = _load_triggers()
        self.triggers_ar: dict[str, str] = {fold_arabic_word(k): v for k, v in trig["arabic_before"].items()}
        self.triggers_en_before: dict[str, str] = trig["english_before"]
        self.triggers_en_after: dict[str, str] = trig["english_after"]
        self._introducing = {p.split()[-1]: True for p in self.triggers_en_before} | dict.fromkeys(_PLACE_OBJECT, True)
        self.vocab.update(self.triggers_ar)
        self.function_en = word_set("function_words_en.txt")
        self.function_ar = word_set("function_words_ar.txt")
        self.ordinary = word_set("ordinary_ar.txt") | word_set("ordinary_en.txt")
        self.demonyms = word_set("demonyms_en.txt")
        self.given = word_set("given_names.txt")
        self.titles = word_set("person_cues.txt", "title")
        self.speech = word_set("person_cues.txt", "speech")
        self.org_before = word_set("organisation_prefixes.txt", "arabic") | word_set("organisation_prefixes.txt", "latin")
        self.org_after = word_set("organisation_prefixes.txt", "latin_after")
        self.org_middle = word_set("organisation_prefixes.txt", "latin_middle")
        self.org_unit = word_set("organisation_prefixes.txt", "arabic_before_unit")
        names = sorted(phrases("organisation_prefixes.txt", "latin_names"), key=len, reverse=True)
        self._org_names_re = re.compile("|".join(
            r"\b" + r"[\s\-‐–]+".join(map(re.escape, n.split())) + r"\b" for n in names), re.I) if names else None
        self._org_spans: tuple = ("", [])
        self.neighbourhoods = NeighbourhoodContext(self)
        self.tagger = PlaceTagger.load() if tagger else None

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
        latin_cache, arabic_cache = self._latin_words, self._arabic_words
        for start, end, w in split_words(text):
            keys = latin_cache.get(w)
            if keys is None:
                reading = arabic_cache.get(w)
                if reading is None and is_arabic(w):
                    if len(arabic_cache) > 500_000:  # bound the cache on endless input
                        arabic_cache.clear()
                    reading = arabic_cache[w] = self._arabic_reading(w)
                if reading is not None:
                    skip, key, loose = reading
                    out.append(Word(start + skip, end, w[skip:], key, loose, True, w[:skip]) if skip else
                               Word(start, end, w, key, loose, True))
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
        proclitic when only that one is a gazetteer word (والموزرة → الموزرة) and the whole word
        is rarer than the split reading (ورقة "paper" is not و + الرقة; وزارة is not و + زارة)."""
        readings = arabic_clitic_readings(w)
        skip, chosen = readings[0]
        key = fold_arabic_word(chosen)
        # A whole word known only as a spelling variant gives way to a split reading known exactly
        # (والصاخور is و + الصاخور, not a variant of والصحراء).
        if key not in self.vocab and (loose_arabic_word(chosen) not in self.loose_vocab or any(
                fold_arabic_word(r) in self.vocab for _, r in readings[1:])):
            for sk, r in readings[1:]:
                k = fold_arabic_word(r)
                joined = next((h for h in _COMPOUND_HEADS if k.startswith(h) and k[len(h):] in self.vocab), None)
                if k in self.vocab or loose_arabic_word(r) in self.loose_vocab or joined:
                    if not self._rarer_whole(chosen, r):
                        break
                    skip, chosen, key = sk, r, k
                    break
        return skip, key, loose_arabic_word(chosen)

    @staticmethod
    def _rarer_whole(whole: str, rest: str) -> bool:
        """True when the unsplit word is rarer in running Arabic than its split reading."""
        zw = zipf_frequency(whole, "ar")
        if zw < 3.0:
            return True
        alt = rest if rest.startswith("ال") else "ال" + rest
        return zw < max(zipf_frequency(rest, "ar"), zipf_frequency(alt, "ar"))

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
        starts_at, ends_at = starts.get, ends.get
        for end_idx, (key, entries) in automaton.iter(joined):
            j = ends_at(end_idx + 1)
            if j is None:
                continue  # most matches: inside a word
            i = starts_at(end_idx + 1 - len(key))
            if i is not None:
                # A name never spans punctuation: "Sruj. No" is not "Sarjun".
                if j - i < MAX_WORDS and i <= j and all(
                        _GLUE.fullmatch(text[words[k].end:words[k + 1].start]) for k in range(i, j)):
                    found.append((i, j, entries))
        return found

    def find(self, text: str, query: bool = False) -> list[Mention]:
        """Every mention in `text`, in order of appearance, each with the model's probability that it
        names a place here (`Mention.probability`). `query=True` reads the text as a place name asked
        for by a user (a geocoder query): it names a place by intent, so ordinary-word and person
        checks are off, but a spelling-variant match still needs the model's yes ("مسيّرة" is a drone,
        not Maysarah)."""
        cands = self.candidates(text, query)
        if not cands.items:
            return []
        if self.tagger is None:  # no model shipped: the hand rules alone decide (the old recogniser)
            return [m for m, _, _, verdict in cands.items if verdict.rule_ok]
        probs = self.tagger.probabilities(self, cands)
        out = []
        for (m, _, _, verdict), p in zip(cands.items, probs):
            m.probability = p
            if not self.tagger.keeps(m, verdict, p, query):
                continue
            if not query:
                m.evidence.append(f"place probability {p:.2f} (tagger)")
            out.append(m)
        return out

    def candidates(self, text: str, query: bool = False) -> "Candidates":
        """The candidate spans of `text` with the hand rules' verdict on each: gazetteer matches (the
        longest first, exact before loose) that no hard veto removes (a function word inside a Latin
        name, an acronym, a person's or organisation's name around it), and unknown names after a
        trigger word. The soft rules (an ordinary word, a spelling variant, a text not about Syria,
        a list around it) are only recorded in the verdict: the tagger reads them as features."""
        words = self.words(text)
        if not words:
            return Candidates(text, words, [], False)
        shouting = _mostly_capitals(text)
        candidates = [(i, j, e, "exact") for i, j, e in self._matches(words, "exact", text)]
        candidates += [(i, j, e, "loose") for i, j, e in self._matches(words, "loose", text)]
        syria = _about_syria(text)
        # Longest span first (in characters), exact before loose, then leftmost.
        candidates.sort(key=lambda c: (-(words[c[1]].end - words[c[0]].start), c[3] != "exact", c[0]))
        support = self.neighbourhoods.support(words, text, candidates, shouting)
        taken = [False] * len(words)
        chosen = []

        def skeleton_candidates():
            """Transliteration skeletons over the words no exact or loose match took (read once those are
            chosen), longest first."""
            if query:
                return
            named = {k for k, t in enumerate(taken) if t}
            found = self.skeletons.matches(words, text, _GLUE, MAX_WORDS, named,
                                           lambda i, j: self._introduced(words, i, j, text, syria, named))
            found.sort(key=lambda c: (-(words[c[1]].end - words[c[0]].start), c[0]))
            yield from ((i, j, e, "skeleton") for i, j, e in found)

        for i, j, entries, tier in chain(candidates, skeleton_candidates()):
            if any(taken[i:j + 1]):
                continue
            first = words[i]
            nbhd = support.get((i, j, tier), False)
            if nbhd is not False:
                # A neighbourhood's name counts only with support; without it the span is read as if
                # the neighbourhood layer did not exist, so a shorter name inside it still counts.
                entries = self.neighbourhoods.entries(entries, nbhd)
                if not entries:
                    continue
            if not first.arabic and not first.text[:1].isupper() and not self._capitalised_after_article(first) \
                    and not (nbhd and first.text[:1].isdigit()) \
                    and not (first.exact in _LATIN_HEADS and j > i and words[i + 1].text[:1].isupper()):
                continue  # lower case is a word, except "1070 project" and a head word before a name: "khan Touman"
            if not first.arabic and tier == "loose" and sum(len(w.loose) for w in words[i:j + 1]) < MIN_LOOSE_KEY:
                continue  # a short consonant skeleton matches too many English words
            if not query and self._veto(words, i, j, text, entries, shouting, "loose" if tier == "skeleton" else tier):
                continue
            for k in range(i, j + 1):
                taken[k] = True
            chosen.append((i, j, entries, tier))
        if not query:
            chosen += self._unknown_names(words, taken, text)
        chosen.sort(key=lambda c: c[0])
        mentions, spans = [], []
        supported: dict[int, NeighbourhoodSupport] = {}
        for i, j, entries, tier in chosen:
            m = Mention(text=text[words[i].start:words[j].end], start=words[i].start, end=words[j].end,
                        entries=list(entries), tier="loose" if tier == "skeleton" else tier)
            if tier == "skeleton":
                m.evidence.append("matched on a transliteration skeleton (spelling variant)")
            self._context(m, words, i, j, text)
            if tier == "unknown":
                m.evidence.append(f"«{m.text}» after «{m.trigger}» is in no gazetteer")
            nbhd = support.get((i, j, tier))
            if nbhd and any(e.place_id in self.neighbourhoods.city_of for e in m.entries):
                supported[m.start] = nbhd
                m.evidence.append(nbhd.why)
                if m.trigger_kind in _NEIGHBOURHOOD_KINDS:
                    m.trigger_kind = "neighbourhood"
            mentions.append(m)
            spans.append((i, j))
        self._mark_lists(mentions, text)
        anchors = [] if syria or query else [o for o in mentions if self._names_syria(o)]
        items = []
        for m, (i, j) in zip(mentions, spans):
            nbhd = supported.get(m.start)
            verdict = self._admissible(m, query, nbhd)
            if verdict is None:
                continue  # structurally not a place name here (a trigger word, an adjective, no entry left)
            if not query and not syria and self._village_without_support(m) and all(a is m for a in anchors):
                verdict.rule_ok = False
                verdict.not_syria = True
            verdict.nbhd = "" if nbhd is None else ("strong" if nbhd.strong else "weak")
            items.append((m, i, j, verdict))
        return Candidates(text, words, items, shouting, syria)

    def _introduced(self, words: list[Word], i: int, j: int, text: str, syria: bool, named: set[int]) -> bool:
        """A name announced as one: a trigger word before it ("in", "village of") or after it ("X
        town"), a verb or preposition whose object is a place ("captured X", "shells into X"), or a
        list around it ("X, Y and Z") in a text about Syria or beside a name matched on a better key
        (word indices `named`). A coarse (skeleton) match counts only there: "two Suquor al Sham
        fighters" is an organisation's name, "in Kefraya" a village, and in a text about the ISS
        "Padalka and Barratt" are people."""
        prev = words[i - 1].exact if i > 0 else ""
        if self._introducing.get(prev) or (j + 1 < len(words) and words[j + 1].exact in self.triggers_en_after):
            return True
        if prev in ("and", "or"):
            return syria or i - 2 in named
        if i > 0 and text[words[i - 1].end:words[i].start].strip() in (",", "،"):
            return syria or i - 1 in named
        return j + 1 < len(words) and text[words[j].end:words[j + 1].start].strip() in (",", "،") and (
            syria or j + 1 in named)

    def _names_syria(self, m: Mention) -> bool:
        return any(p.country == "SY" and (p.kind in ("governorate", "district", "area") or
                                          p.population >= IMPORTANT_POPULATION)
                   for p in map(self.gazetteer.places.__getitem__, m.place_ids))

    def _village_without_support(self, m: Mention) -> bool:
        """A Syrian village named with neither a trigger word nor a list, in a text that never says it
        is about Syria, is a word that happens to be a village's name (السلمية "peaceful") — when
        its name is a word at all: a rare string (Saraqib) is still the village."""
        if m.conjoined or (m.trigger and m.trigger_kind not in ("in", "direction")) or m.unknown:
            return False
        plain = ARABIC_DIACRITICS.sub("", m.text)
        if zipf_frequency(plain, "ar" if is_arabic(plain) else "en") < SYRIA_FILTER_ZIPF:
            return False
        places = [self.gazetteer.places[p] for p in m.place_ids]
        return all(p.country == "SY" and (p.kind in ("locality", "subdistrict") or
                                          (p.kind == "district" and p.population < IMPORTANT_POPULATION * 4))
                   for p in places)

    # ---- context: is this span a place here? ------------------------------------------------
    def _adjacent(self, words: list[Word], a: int, b: int, text: str) -> bool:
        """Words a and b (a < b, neighbours) stand next to each other with only spaces between."""
        return 0 <= a and b < len(words) and text[words[a].end:words[b].start].strip() == ""

    def _veto(self, words: list[Word], i: int, j: int, text: str, entries, shouting: bool, tier: str = "exact") -> str:
        """Why the span words[i..j] is not a place name here, or "" when nothing speaks against it."""
        first, last = words[i], words[j]
        span = words[i:j + 1]
        prev = words[i - 1] if i > 0 and self._adjacent(words, i - 1, i, text) else None
        prev2 = words[i - 2] if prev is not None and i > 1 and self._adjacent(words, i - 2, i - 1, text) else None
        nxt = words[j + 1] if self._adjacent(words, j, j + 1, text) else None
        nxt_cap = nxt is not None and (nxt.text[:1].isupper() or self._capitalised_after_article(nxt))
        if i == j and nxt is not None and (first.exact in _LATIN_HEADS and nxt_cap and nxt.exact not in self.function_en
                                           and nxt.exact not in self.triggers_en_after):
            return f"«{first.text}» opens the compound name «{first.text} {nxt.text}»"
        if first.arabic:
            if j > i and last.exact in self.function_ar and not last.clitic and last.exact not in _KUNYA \
                    and last.exact not in _COMPOUND_HEADS:
                return f"ends in the function word «{last.text}» («ريف حلب أن» is not «حلبان»)"
            if prev is not None and (prev.exact in self.titles or prev.exact in self.org_before):
                return f"after «{prev.text}»: a person's or organisation's name"
            if prev2 is not None and prev2.exact in self.org_before and prev.exact not in self.triggers_ar:
                return f"after «{prev2.text} {prev.text}»: an organisation's name"
            if prev2 is not None and prev2.exact in self.org_unit and self.triggers_ar.get(prev.exact) in (
                    "governorate", "city", "town"):
                return f"after «{prev2.text} {prev.text}»: an organisation's name («مجلس محافظة …»)"
            if prev is not None and prev.exact in self.given and prev.exact not in self.function_ar \
                    and not first.clitic:
                return f"after the given name «{prev.text}»: a person's name"
            if all(w.exact in self.function_ar for w in span):
                return "a function word"
            if tier == "loose" and any(w.exact in self.function_ar for w in span):
                return "a spelling variant that needs a function word («عين عيسى في»)"
            return ""
        if any(s <= first.start and last.end <= e for s, e in self._organisation_names(text)):
            return "inside an organisation's name («Islamic State of Iraq and al-Sham»)"
        if prev is not None and prev.exact in _LATIN_HEADS and prev.text[:1].isupper() and not shouting:
            return f"the second word of the compound name «{prev.text} {first.text}»"
        countries = all(self.gazetteer.places[e.place_id].kind == "country" for e in entries)
        for w in span:
            if w.exact in self.function_en:
                return f"holds the function word «{w.text}»"
            if not shouting and w.text.isupper() and len(w.text) <= 5 and not countries and not (
                    nxt is None and text[last.end:last.end + 2] in (", ", " (")):
                return f"«{w.text}» is an acronym"
        if tier == "loose" and i == j and zipf_frequency(first.text.lower(), "en") >= LATIN_COMMON_ZIPF:
            return f"«{first.text}» is an English word (spelling-variant match)"
        if prev is not None and prev.text[:1].isupper() and (
                prev.exact in self.given or prev.exact in self.titles) and prev.exact not in self.triggers_en_before:
            return f"after «{prev.text}»: a person's name"
        if prev is not None and (prev.exact in self.org_before or (prev2 is not None and prev2.exact in self.org_before)):
            return f"after «{prev.text}»: an organisation's name"
        if nxt_cap and not shouting and (first.exact in self.given or nxt.exact in self.given) \
                and nxt.exact not in self.triggers_en_after:
            return f"followed by «{nxt.text}»: a person's name"
        if nxt_cap and first.exact in self.org_before:
            return f"«{first.text} {nxt.text}» opens an organisation's name"
        if nxt is not None and nxt.exact in self.speech:
            return f"the speaker of «{nxt.text}»"
        nxt2 = words[j + 2] if nxt is not None and self._adjacent(words, j + 1, j + 2, text) else None
        if nxt_cap and not shouting and nxt2 is not None and nxt2.exact in self.speech:
            return f"«{first.text} {nxt.text} {nxt2.text}»: a person's name"
        if nxt_cap and nxt.exact in self.org_after:
            return f"part of the organisation name «{first.text} … {nxt.text}»"
        if nxt2 is not None and nxt.exact in self.org_middle and nxt2.exact in self.org_after:
            return f"part of the organisation name «{first.text} {nxt.text} {nxt2.text}»"
        return ""

    def _organisation_names(self, text: str) -> list[tuple[int, int]]:
        """Spans of the organisation names of `organisation_prefixes.txt` ("latin_names") in the text."""
        if self._org_names_re is None or not self._org_names_re.pattern:
            return []
        if text is not self._org_spans[0]:
            self._org_spans = (text, [(m.start(), m.end()) for m in self._org_names_re.finditer(text)])
        return self._org_spans[1]

    def _unknown_names(self, words: list[Word], taken: list[bool], text: str) -> list:
        """Names after a village/town trigger that no gazetteer holds ("قرية الزعفرانة",
        "the village of Tal Jabin"): one candidate each, with no entries."""
        out = []
        n = len(words)
        for k, w in enumerate(words):
            kind = self.triggers_ar.get(w.exact) if w.arabic else None
            if not w.arabic and w.exact == "of" and k > 0 and words[k - 1].exact in ("village", "villages", "town", "towns"):
                kind = words[k - 1].exact
            if kind not in ("village", "villages", "town", "towns") or (w.arabic and w.text.startswith("ال")):
                continue  # "القرى المحاذية", "القرية الواقعة": after the definite noun comes an adjective
            i = k + 1
            while i < n and not taken[i] and self._adjacent(words, i - 1, i, text) and (
                    self._name_word(words[i]) or self._compound_start(words, i, taken, text)):
                j = i
                if self._compound_start(words, i, taken, text):
                    j += 1
                elif not words[i].arabic:
                    while j + 1 < n and j - i < 2 and not taken[j + 1] and self._adjacent(words, j, j + 1, text) \
                            and words[j + 1].text[:1].isupper() and self._name_word(words[j + 1]):
                        j += 1
                if self._veto(words, i, j, text, [], False):
                    break
                out.append((i, j, [], "unknown"))
                for t in range(i, j + 1):
                    taken[t] = True
                if not kind.endswith("s"):
                    break
                # a list after a plural trigger: "قرى X وY", "villages of X, Y and Z"
                i = j + 1
                while i < n and (words[i].exact in ("and", "or") or words[i].text in ("و", "أو")):
                    i += 1
                if i < n and words[i].arabic and not words[i].clitic.startswith("و") and i == j + 1 \
                        and text[words[j].end:words[i].start].strip() not in (",", "،"):
                    break
        return out

    def _compound_start(self, words: list[Word], i: int, taken: list[bool], text: str) -> bool:
        """words[i] is a head such as تل، كفر، عين followed by a name word: "تل الزعتر" is one name."""
        return (words[i].arabic and words[i].exact in _COMPOUND_HEADS and i + 1 < len(words) and not taken[i + 1]
                and self._adjacent(words, i, i + 1, text) and self._name_word(words[i + 1]))

    def _name_word(self, w: Word) -> bool:
        """Could this word be (part of) an unknown place name?"""
        if w.text.isdigit() or w.exact in self.triggers_ar or w.exact in self.triggers_en_before:
            return False
        if w.arabic:
            bare = ARABIC_DIACRITICS.sub("", w.text)
            return w.exact not in self.function_ar and len(bare) >= 3 and zipf_frequency(bare, "ar") < 3.5
        return w.text[:1].isupper() and w.exact not in self.function_en and not is_ordinary_word(w.text)

    def _admissible(self, m: Mention, query: bool = False,
                    nbhd: "NeighbourhoodSupport | None" = None) -> "Verdict | None":
        """The hand rules' verdict on a candidate, or None when it cannot be a place name here at all
        (a trigger word, a relative adjective abroad, no gazetteer entry left). The verdict's
        `rule_ok` is the old recogniser's answer: a name that is also an ordinary word (or a given
        name) needed a trigger or a list of places around it. For a neighbourhood, only a word such
        as حي/"district" or its city written right beside it counts as such a trigger. A loose match
        (and a frequent Arabic word) without a trigger or a list still needs the sentence's
        administrative context in the resolver (`needs_context`)."""
        if m.unknown:
            return Verdict(True)
        if is_arabic(m.text):
            if fold_arabic_word(m.text) in self.triggers_ar:
                return None  # "مدينة" is a trigger, not the villages called al-Madina
            # Abroad, only the exact Arabic spelling counts for short names (آمل is not أمل); a
            # longer one may differ in its hamza seats (اسرائيل/إسرائيل).
            plain = ARABIC_DIACRITICS.sub("", m.text)
            spellings = (plain, "ال" + plain, plain.removeprefix("ال"))
            folded = fold_arabic_word(plain) if len(plain) >= 5 else None
            m.entries = [e for e in m.entries if self.gazetteer.places[e.place_id].country == "SY"
                         or any(ARABIC_DIACRITICS.sub("", n) in spellings or (folded and e.exact == folded)
                                for n in self.gazetteer.places[e.place_id].all_names())]
            if all(self.gazetteer.places[e.place_id].country != "SY" for e in m.entries) \
                    and _NISBA.fullmatch(plain) and not any(
                        plain in self.gazetteer.places[e.place_id].all_names() for e in m.entries):
                return None  # "الحدود اللبنانية - السورية", "النظام السوري": an adjective, not a place abroad
            if not m.entries:
                return None
        if query:
            return Verdict(True)
        strong_trigger = bool(m.trigger) and m.trigger_kind not in ("in", "direction")
        if nbhd is not None:
            strong_trigger = nbhd.strong
        if not strong_trigger and " " not in m.text and not is_arabic(m.text) and \
                fold_latin_word(m.text) in self.demonyms:  # folded as word_set folds the list
            return None  # "Iraqi forces", "against Turkish troops": an adjective, not Al `Iraqi
        verdict = Verdict(True, strong_trigger=strong_trigger)
        if m.tier == "loose" and not (strong_trigger or m.conjoined):
            m.evidence.append("spelling variant without a trigger or a list: needs the sentence's "
                              "administrative context")
            m.needs_context = True
        ordinary = verdict.ordinary = self._ordinary(m)
        if not ordinary:
            if not (strong_trigger or m.conjoined) and self._frequent_arabic(m):
                m.evidence.append("a frequent Arabic word: needs the sentence's administrative context "
                                  "or a place named nearby")
                m.needs_context = True
                verdict.frequent_arabic = True
            return verdict
        if strong_trigger or m.conjoined:
            m.evidence.append(f"«{m.text}» is also {ordinary}; kept for the trigger or list around it")
            return verdict
        verdict.rule_ok = False
        return verdict

    def _ordinary(self, m: Mention) -> str:
        """What else the name is, when it is also an ordinary word or a person's name; "" if not."""
        parts = self._exact_parts.get(m.text)
        if parts is None:
            if len(self._exact_parts) > 100_000:
                self._exact_parts.clear()
            parts = self._exact_parts[m.text] = [w.exact for w in self.words(m.text)]
        if "".join(parts) in self.ordinary:
            return "an ordinary word"
        if parts and all(p in self.given or p in _KUNYA for p in parts):
            return "a person's name"
        if m.common or self._frequent_word(m):
            return "a frequent word"
        return ""

    def _frequent_arabic(self, m: Mention) -> bool:
        """A one-word Arabic name that is a frequent string in running Arabic (العلماء، الأمان)
        and not an important place."""
        if not is_arabic(m.text) or len(m.text.split()) > 1:
            return False
        places = [self.gazetteer.places[p] for p in m.place_ids]
        if any(p.kind in ("governorate", "country") or p.population >= IMPORTANT_POPULATION or p.country != "SY"
               for p in places):
            return False
        return zipf_frequency(ARABIC_DIACRITICS.sub("", m.text), "ar") >= ARABIC_FREQUENT_ZIPF

    def _frequent_word(self, m: Mention) -> bool:
        if len(m.text.split()) > 1:
            return False  # a multi-word name is specific enough
        places = [self.gazetteer.places[p] for p in m.place_ids]
        if any(p.kind in ("governorate", "country") or p.population >= IMPORTANT_POPULATION
               * (1 if p.country == "SY" else 20) for p in places):
            return False
        if is_arabic(m.text) and any(p.country != "SY" and p.kind == "city" and p.population >= 2 * IMPORTANT_POPULATION
                                     for p in places):
            return False  # واشنطن، الدوحة: named often because they matter (the spelling abroad is exact)
        if not is_arabic(m.text):
            return zipf_frequency(fold_latin_word(m.text), "en") >= LATIN_COMMON_ZIPF  # "Kurdish", "Salah"
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
            if j + 1 < len(words) and (not m.trigger or (m.trigger_kind == "in" and _LOCAL_AFTER.get(words[j + 1].exact))):
                nxt = words[j + 1].exact  # "in Hota village" is the village, not only "in"
                if nxt in self.triggers_en_after:
                    m.trigger, m.trigger_kind = nxt, self.triggers_en_after[nxt]
                    m.evidence.append(f"followed by «{words[j + 1].text}»")
            if i > 0 and words[i - 1].exact in ("and", "or"):
                m.conjoined = True

    @staticmethod
    def _mark_lists(mentions: list[Mention], text: str) -> None:
        """Mentions separated only by و, "and", "or" form a list: each supports the other, provided
        one of them is a plain gazetteer name (two ordinary words prove nothing). A comma alone is
        not a list — Arabic prose opens clauses after commas ("بريف إدلب، الأمر الذي…") — unless both
        names are plain gazetteer names and neither is a frame ("بريف إدلب"), a plural trigger opens the list ("قرى X، Y"), or the list
        goes on with و/"and" after the second name ("Idlib, Hama and Aleppo")."""
        gaps = [list_gap(text[a.end:b.start]) for a, b in zip(mentions, mentions[1:])]
        for k, (a, b) in enumerate(zip(mentions, mentions[1:])):
            gap = gaps[k]
            solid = lambda m: not m.common and m.tier == "exact"  # noqa: E731
            if gap not in LIST_GAPS or not (solid(a) or solid(b)):
                continue
            plural = a.trigger_kind in ("villages", "towns", "cities")
            if gap in (",", "،"):
                goes_on = k + 1 < len(gaps) and gaps[k + 1] in LIST_GAPS and gaps[k + 1] not in (",", "،")
                framed = a.trigger_kind in _REGIONAL or b.trigger_kind in _REGIONAL  # "بريف إدلب، X"
                if not (plural or (solid(a) and solid(b) and not framed) or goes_on):
                    continue
            a.conjoined = b.conjoined = True
            if a.trigger and not b.trigger and plural:
                b.trigger, b.trigger_kind = a.trigger, a.trigger_kind
                b.evidence.append(f"in a list after «{a.trigger}»")


_REGIONAL = frozenset(("countryside", "governorate", "direction"))
# Words after which a capitalised name is a place that was hit or taken: the prepositions and verbs whose object is a place ("shells into X", "captured X", "an attack on X").
_PLACE_OBJECT = ("into", "onto", "on", "over", "toward", "towards", "across", "captured", "recaptured",
                 "seized", "stormed", "entered", "shelled", "bombed", "struck", "targeted", "attacked", "besieged")
_LOCAL_AFTER = {"village": True, "town": True, "city": True, "camp": True}  # after "in X", these say what X is


@dataclass(slots=True)
class Verdict:
    """What the hand rules say about one candidate: the tagger reads it as features."""

    rule_ok: bool  # the old recogniser would keep it
    strong_trigger: bool = False
    ordinary: str = ""  # "an ordinary word", "a person's name", "a frequent word" or ""
    frequent_arabic: bool = False
    not_syria: bool = False  # a village read as a word in a text not about Syria
    nbhd: str = ""  # neighbourhood support: "strong", "weak" or ""


@dataclass(slots=True)
class Candidates:
    """The candidate spans of one text: (mention, first word, last word, verdict) in order."""

    text: str
    words: list
    items: list
    shouting: bool
    syria: bool = False


SYRIA_FILTER_ZIPF = 2.5  # outside a text about Syria, a village name this frequent is read as a word
ARABIC_FREQUENT_ZIPF = 3.0  # a one-word Arabic village name this frequent needs context to count
LATIN_COMMON_ZIPF = 3.0  # a one-word Latin name this frequent in English is a word or a first name
_KUNYA = frozenset({"ابو", "ابن", "بن", "ام", "abu", "abou", "ibn", "bin", "umm", "um"})
# Arabic words that open a compound village name: an unknown name after a trigger takes two words.
_COMPOUND_HEADS = frozenset(fold_arabic_word(w) for w in (
    "كفر", "تل", "عين", "دير", "خربة", "بيت", "أم", "أبو", "جسر", "مزرعة", "رأس", "بئر", "قصر", "حوش", "معرة",
    "عرب", "جب", "بير", "خان", "سد"))
# Words that say a text is about Syria: Arabic ones anywhere (plain substrings, found by `in`, far
# faster than a pattern tried at every position of an Arabic text), English ones at a word start.
_SYRIA_AR = ("سوري", "الشام", "دمشق", "حلب", "إدلب", "ادلب", "حمص", "حماة", "حماه", "درعا", "الرقة", "دير الزور",
             "اللاذقية", "الحسكة")
_SYRIA_EN = re.compile(r"\b(?:Syria|Damascus|Aleppo|Idl?ib|Homs\b|Hama\b|Raqq?a|Deir ez|Latakia|Lattakia|Daraa|"
                       r"Dara'a|Hasakah)")


def _about_syria(text: str) -> bool:
    return any(w in text for w in _SYRIA_AR) or _SYRIA_EN.search(text) is not None


_NISBA = re.compile(r"ال\w+(?:ية|ي|يين|يون)")  # السورية، اللبناني: relative adjectives
_LATIN_HEADS = frozenset({"tal", "tall", "tell", "kafr", "kfar", "ain", "ayn", "deir", "dayr", "khirbet", "khirbat",
                          "beit", "bayt", "jisr", "umm", "abu", "ras", "bir", "qasr", "maarat", "marat", "khan",
                          "bab"})
_CAPITALS = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")


def _mostly_capitals(text: str) -> bool:
    """Headline case or all capitals: capital-letter cues say nothing there."""
    sample = text[:2000]
    caps, lows = len(_CAPITALS.findall(sample)), len(_LOWER.findall(sample))
    return caps + lows > 0 and caps > 0.5 * (caps + lows)


# ---- neighbourhoods: a city's parts count only where the text supports them --------------------
@dataclass(frozen=True, slots=True)
class NeighbourhoodSupport:
    """Why a neighbourhood's name counts here: its city (a slug of `geodata.sources.neighbourhoods`;
    "" when only a trigger word speaks for it), whether the support is strong (a word such as حي or
    "district", or the city written right beside the name: enough for a name that is also an
    ordinary word) and the evidence line."""

    city: str
    strong: bool
    why: str


# What may stand between a place and the city it is a part of: "X district of Aleppo", "X, Aleppo",
# "X in eastern Aleppo", "حي X في مدينة حلب", "X بحلب", "X شرقي حلب". geodata.roles reads it too.
CITY_AFTER = re.compile(
    r"\s*(?:(?:neighbou?rhoods?|districts?|quarters?|areas?)\s*)?"
    r"(?:,|،|-|–|\bof\b|\bin\b|\binside\b|\bwithin\b|في|داخل|ب)?\s*(?:the\s+)?"
    r"(?:(?:eastern|western|northern|southern|central|besieged|rebel-held|government-held|"
    r"(?:شرق|غرب|شمال|جنوب)ي?)\s+)?(?:(?:city\s+of|مدينة|مدينه)\s*)?", re.I)
# "Aleppo's X", "Aleppo's eastern X district": the city before its part.
CITY_POSSESSIVE = re.compile(r"['’]s\s+(?:(?:eastern|western|northern|southern|central|old|besieged)\s+)?", re.I)
NEIGHBOURHOOD_AFTER = re.compile(r"\s*(?:neighbou?rhoods?|districts?|quarters?)\b", re.I)
_NEIGHBOURHOOD_BEFORE = re.compile(r"(?:neighbou?rhoods?|districts?|quarters?)\s+of\s+(?:the\s+)?$", re.I)
_NEIGHBOURHOOD_WORDS_AR = frozenset(fold_arabic_word(w) for w in ("حي", "أحياء", "حيي", "منطقة", "منطقتي", "حارة"))
# Words that name a neighbourhood by themselves; منطقة and "district" also name areas and districts
# ("منطقة التجارة الحرة"), so they make the support strong only beside the city's own support.
_NEIGHBOURHOOD_PROPER = frozenset(fold_arabic_word(w) for w in ("حي", "أحياء", "حيي", "حارة")) | {
    "neighbourhood", "neighborhood", "neighbourhoods", "neighborhoods", "quarter", "quarters"}
_NOT_THE_CITY_BEFORE = re.compile(r"(?:countryside|outskirts|suburbs|province|governorate)\s+of\s+(?:the\s+)?$", re.I)
_NOT_THE_CITY_AFTER = re.compile(r"\s*(?:countryside|province|governorate|suburbs|outskirts)\b", re.I)
_LIST_GAP = re.compile(r"\s*[,،]?\s*(?:and|or|و|أو)?\s*", re.I)
_HEADING = re.compile(r"(?m)^[ \t]*(?:#{1,6}[^\n]*|[^\n]{1,80})$")
_SENTENCE_END = re.compile(r"[.!?؟:;،,]\s*$")
_BLANK_LINE_BEFORE = re.compile(r"\n[ \t]*\n[ \t]*$")
# Trigger kinds a supported neighbourhood replaces ("the X district of Aleppo" is a neighbourhood there).
_NEIGHBOURHOOD_KINDS = ("", "in", "district", "subdistrict", "neighbourhood")
CITY_KM = 15.0  # a neighbourhood lies this close to its city's point; namesakes farther away give way


class NeighbourhoodContext:
    """Which neighbourhood names of a text are supported, and by what: its city named in the same
    sentence, the previous one or the section's heading; a word such as حي, منطقة, "district",
    "neighbourhood", "quarter" next to it; its city written right beside it; a text about that
    city (named in its title, or its most named city, three times or more); a list with a
    supported neighbourhood of the same city."""

    def __init__(self, recognizer: "Recognizer"):
        from geodata.earth import km
        from geodata.sources.neighbourhoods import neighbourhood_city

        self._km = km
        self.recognizer = recognizer
        places = recognizer.gazetteer.places
        self.city_of: dict[str, str] = {}  # neighbourhood id -> city slug
        members: dict[str, list] = {}
        for p in places.values():
            if p.kind == "neighbourhood":
                self.city_of[p.id] = neighbourhood_city(p.id)
                members.setdefault(self.city_of[p.id], []).append(p)
        # The city itself: the largest Syrian town of the neighbourhoods' governorate near their centre.
        self.city_place: dict[str, Place] = {}
        centres = {}
        for slug, ps in members.items():
            admin1 = Counter(p.admin1.id for p in ps if p.admin1).most_common(1)
            lat, lon = sum(p.lat for p in ps) / len(ps), sum(p.lon for p in ps) / len(ps)
            centres[slug] = (admin1[0][0] if admin1 else None, Place("", "", "", lat, lon, "point"))
        if centres:
            for q in places.values():
                if q.country != "SY" or q.kind not in ("locality", "city") or not q.population or q.admin1 is None:
                    continue
                for slug, (admin1, centre) in centres.items():
                    if q.admin1.id == admin1 and km(q, centre) <= CITY_KM and \
                            q.population > getattr(self.city_place.get(slug), "population", 0):
                        self.city_place[slug] = q
        self.slug_of_city = {p.id: slug for slug, p in self.city_place.items()}

    def support(self, words: list[Word], text: str, candidates, shouting: bool) -> dict:
        """(i, j, tier) -> NeighbourhoodSupport or None, for each candidate that names a neighbourhood."""
        if not self.city_of:
            return {}
        named = [c for c in candidates if any(e.place_id in self.city_of for e in c[2])]
        if not named:
            return {}
        cities = self._city_mentions(words, text, candidates, shouting)
        starts = [s for s, _ in sentence_spans(text)]
        sentence = lambda pos: bisect_right(starts, pos) - 1  # noqa: E731
        cities = [(slug, i, j, sentence(words[i].start)) for slug, i, j in cities]
        headings = _headings(text) if cities else []
        about = self._about(text, words, cities)
        out, slugs_of = {}, {}
        for i, j, entries, tier in named:
            slugs = {self.city_of[e.place_id] for e in entries if e.place_id in self.city_of}
            slugs_of[(i, j, tier)] = slugs
            out[(i, j, tier)] = self._one(words, text, i, j, slugs, cities, sentence, headings, about)
        self._lists(words, text, out, slugs_of)
        return out

    def entries(self, entries, support: NeighbourhoodSupport | None):
        """The entries a candidate keeps: without support, none of the neighbourhoods; with its city,
        that city's neighbourhoods and the other records of the city itself (no namesake far away)."""
        if support is None:
            return [e for e in entries if e.place_id not in self.city_of]
        if not support.city:
            return entries
        city = self.city_place.get(support.city)
        places = self.recognizer.gazetteer.places
        return [e for e in entries if self.city_of.get(e.place_id) == support.city or (
            e.place_id not in self.city_of and city is not None and self._km(places[e.place_id], city) <= CITY_KM)]

    # ---- the pieces of evidence ----------------------------------------------------------------
    def _city_mentions(self, words: list[Word], text: str, candidates, shouting: bool) -> list[tuple[str, int, int]]:
        """(slug, i, j) of each span naming one of the cities, unless it is an organisation's name or
        names the countryside or governorate ("ريف حلب", "Aleppo province")."""
        out = []
        rec = self.recognizer
        for i, j, entries, tier in candidates:
            if tier != "exact":
                continue
            slugs = {self.slug_of_city[e.place_id] for e in entries if e.place_id in self.slug_of_city}
            if not slugs or rec._veto(words, i, j, text, entries, shouting):
                continue
            prev = words[i - 1] if i > 0 and rec._adjacent(words, i - 1, i, text) else None
            if prev is not None and prev.arabic and rec.triggers_ar.get(prev.exact) in ("countryside", "governorate"):
                continue
            start, end = words[i].start, words[j].end
            if _NOT_THE_CITY_BEFORE.search(text[max(0, start - 40):start]) or \
                    _NOT_THE_CITY_AFTER.match(text[end:end + 30]):
                continue
            out += [(slug, i, j) for slug in sorted(slugs)]
        return out

    def _about(self, text: str, words: list[Word], cities) -> str:
        """The city a text is about: the one its title (first line) names, else its most named city
        when named three times or more and more often than any other."""
        first_line = text.find("\n")
        if 0 < first_line <= 300:
            in_title = {slug for slug, i, _, _ in cities if words[i].start < first_line}
            if len(in_title) == 1:
                return in_title.pop()
        counts = Counter(slug for slug, _, _, _ in cities).most_common(2)
        if counts and counts[0][1] >= 3 and (len(counts) == 1 or counts[0][1] > counts[1][1]):
            return counts[0][0]
        return ""

    def _one(self, words, text, i, j, slugs, cities, sentence, headings, about) -> NeighbourhoodSupport | None:
        start, end = words[i].start, words[j].end
        name = text[start:end]
        for slug, ci, cj, _ in cities:
            if slug not in slugs:
                continue
            if ci > j and CITY_AFTER.fullmatch(text[end:words[ci].start]):
                return NeighbourhoodSupport(slug, True, f"a neighbourhood of {slug}: «{text[start:words[cj].end]}»")
            if cj < i and CITY_POSSESSIVE.fullmatch(text[words[cj].end:start]):
                return NeighbourhoodSupport(slug, True, f"a neighbourhood of {slug}: «{text[words[ci].start:end]}»")
        trigger = self._trigger(words, i, j, text)
        si = sentence(start)
        near = sorted((cs != si, abs(words[ci].start - start), slug) for slug, ci, _, cs in cities
                      if slug in slugs and cs in (si, si - 1))
        city, why = "", ""
        if near:
            city = near[0][2]
            why = f"its city ({city}) is named in the {'same' if not near[0][0] else 'previous'} sentence"
        elif headings:
            k = bisect_right([h for h, _ in headings], start) - 1
            if k >= 0:
                hs, he = headings[k]
                inside = [slug for slug, ci, _, _ in cities if slug in slugs and hs <= words[ci].start < he]
                if inside:
                    city, why = inside[0], f"its city ({inside[0]}) is named in the heading «{text[hs:he].strip()}»"
        if not city and about in slugs:
            city, why = about, f"the text is about {about}"
        if trigger:
            why = f"«{trigger}» names a neighbourhood" + (f"; {why}" if why else "")
        if city or trigger:
            strong = bool(trigger) and (bool(city) or fold_arabic_word(trigger.split()[0]) in _NEIGHBOURHOOD_PROPER
                                        or trigger.split()[0].lower() in _NEIGHBOURHOOD_PROPER)
            return NeighbourhoodSupport(city, strong, f"«{name}» as a neighbourhood: {why}")
        return None

    def _trigger(self, words: list[Word], i: int, j: int, text: str) -> str:
        """حي/منطقة before the name, "district of"/"neighbourhood of" before it, "district" after it."""
        rec = self.recognizer
        prev = words[i - 1] if i > 0 and rec._adjacent(words, i - 1, i, text) else None
        if words[i].arabic and prev is not None and prev.arabic and prev.exact in _NEIGHBOURHOOD_WORDS_AR:
            return prev.text
        start, end = words[i].start, words[j].end
        m = _NEIGHBOURHOOD_BEFORE.search(text[max(0, start - 40):start]) or \
            NEIGHBOURHOOD_AFTER.match(text[end:end + 30])
        return " ".join(m.group().split()) if m else ""

    @staticmethod
    def _lists(words: list[Word], text: str, out: dict, slugs_of: dict) -> None:
        """"al-Mashhad and Salah al-Din neighbourhoods", "حيي الشعار والصاخور": a strongly supported
        neighbourhood lends its support to the neighbourhoods of the same city listed with it."""
        keys = sorted(out, key=lambda k: words[k[0]].start)
        for _ in range(2):  # once forwards, once backwards through a list of three or more
            for a in keys:
                for b in keys:
                    if words[a[1]].end > words[b[0]].start:
                        continue
                    gap = text[words[a[1]].end:words[b[0]].start]
                    if not gap.strip() or not _LIST_GAP.fullmatch(gap):
                        continue
                    for x, y in ((a, b), (b, a)):
                        sx, sy = out[x], out[y]
                        if sx is None or not sx.strong or (sy is not None and sy.strong) or \
                                (sx.city and sx.city not in slugs_of[y]):
                            continue
                        city = sx.city or (sy.city if sy is not None else "")
                        name = text[words[y[0]].start:words[y[1]].end]
                        out[y] = NeighbourhoodSupport(city, True, f"«{name}» as a neighbourhood: in a list with "
                                                                  f"«{text[words[x[0]].start:words[x[1]].end]}»")


def _headings(text: str) -> list[tuple[int, int]]:
    """Heading lines: Markdown headings, and short lines without a final punctuation mark that open a
    paragraph (after a blank line or at the start of the text)."""
    out = []
    for m in _HEADING.finditer(text):
        line = m.group().strip()
        if not line:
            continue
        opens = m.start() == 0 or _BLANK_LINE_BEFORE.search(text[max(0, m.start() - 40):m.start()]) is not None
        if line.startswith("#") or (opens and not _SENTENCE_END.search(line)):
            out.append((m.start(), m.end()))
    return out

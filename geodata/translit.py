"""A transliteration skeleton for Arabic place names written in English, and its index.

English writers spell one Arabic name many ways: Kafraya/Kefraya, Aydoun/Aidun, Tayba/Tiba,
Hammah/Hama, Ma'arrat An Nu'man/Maarrat al-Numan. The loose key of `geodata.normalize` drops
every vowel and needs four letters, so a short name (كفريا is k-f-r) never reaches a gazetteer entry
through it. The skeleton keeps *where* vowels are but not *which* they are:

* accents, apostrophes and ayn marks go (`fold_latin_word`); ph→f, q→k, ck→k, dh→d, th→t, dj→j,
  kh→k (press writes خ both ways), a doubled letter is one;
* every run of vowels is one `a`; y and w are vowels next to a vowel (Tayba → taba, Aidoun → adan);
* a final h after a vowel goes (Hammah → hama, Tell Rifaat = Tal Rifat).

Words are joined without a separator as in the other keys ("Jabal Salma" → jabalsalma), and an
article written before a hyphen is not part of the name (as in `latin_name_words`).

The skeleton is coarser than the loose key: a match on it is a spelling variant (tier "loose") and
enters only where the place tagger says "place" and, without a trigger word or a list, where the
resolver finds the sentence's area or a sure tagger behind it (`geodata.resolve`).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache
import ahocorasick

from geodata.normalize import LATIN_ARTICLES, WORD, fold_latin_word, is_arabic

MIN_CONSONANTS = 2  # "Hota" (h-t) is a name; one consonant ("Ain") is every other word
# A skeleton match also has to look like the name: difflib's ratio of the folded spellings at least
# this (Kefraya/Kafrayya 0.80, Seflaniyah/Suflaniyah 0.90; Shiite/Shathah 0.46, Hajjara/Dunghuz Magharah 0.45).
MIN_RATIO = 0.6
_DIGRAPHS = (("ph", "f"), ("ck", "k"), ("q", "k"), ("dh", "d"), ("th", "t"), ("dj", "j"), ("kh", "k"),
             ("ee", "i"), ("oo", "u"))
_GLIDES = re.compile(r"(?<=[aeiou])[yw]|[yw](?=[aeiou])")  # y, w next to a vowel are vowels
_VOWELS = re.compile(r"[aeiou]+")
_DOUBLED = re.compile(r"(.)\1+")
_CONSONANT = re.compile(r"[b-df-hj-np-tv-z]")


@lru_cache(maxsize=200_000)
def skeleton_word(word: str) -> str:
    """The skeleton of one Latin word ("" for an Arabic or empty one)."""
    w = fold_latin_word(word)
    if not w or is_arabic(w) or not w.isalpha():
        return ""
    for a, b in _DIGRAPHS:
        w = w.replace(a, b)
    w = _DOUBLED.sub(r"\1", w)
    w = _VOWELS.sub("a", _GLIDES.sub("a", w))
    if len(w) > 2 and w.endswith("ah"):
        w = w[:-1]
    return _DOUBLED.sub(r"\1", w)


def skeleton(name: str) -> str:
    """The skeleton of a whole Latin-script name, its words joined ("" when it has none or is Arabic)."""
    return "" if is_arabic(name) else _word_skeleton(name)


def long_enough(key: str) -> bool:
    """A skeleton with enough consonants to name one place rather than many words."""
    return len(_CONSONANT.findall(key)) >= MIN_CONSONANTS


_ARTICLE_PREFIX = re.compile(r"(?i)^(?:a[lnrsdtz]|e[lnrsdtz]|ash|esh)[-‐–]")


class SkeletonIndex:
    """The skeletons of the Latin-script names of Syrian places, matched over a text's words in one
    Aho-Corasick pass (the words' skeletons joined, as the recogniser does with its other keys).
    Only capitalised words take part ("al-Numan" counts as capitalised); an article standing alone
    ("Ma'arrat An Nu'man") may sit inside a name but never begins or ends one."""

    def __init__(self, gazetteer):
        table: dict[str, list] = {}
        for n in gazetteer.names:
            place = gazetteer.places.get(n.place_id)
            if place is None or place.country != "SY" or place.kind == "neighbourhood" or is_arabic(n.name):
                continue  # a neighbourhood counts only with its city's support (recognize.NeighbourhoodContext)
            key = skeleton(n.name)
            if key and long_enough(key):
                table.setdefault(key, []).append(n)
        self.table = table
        self.automaton = ahocorasick.Automaton()
        for key, entries in table.items():
            self.automaton.add_word(key, (key, entries))
        if len(self.automaton):
            self.automaton.make_automaton()
        self._pieces: dict[str, str] = {}  # word -> piece

    @staticmethod
    def piece(text: str, arabic: bool) -> str:
        """A word's part of the joined skeleton: "" for an article standing alone, "#" (matches
        nothing) for an Arabic, lower-case or non-letter word."""
        if arabic:
            return "#"
        if fold_latin_word(text) in LATIN_ARTICLES:
            return ""
        name = _ARTICLE_PREFIX.sub("", text)
        if not name[:1].isupper() or any(c.isupper() for c in name[1:]):
            return "#"  # lower case is a word, "UNAMID", "TIFs" are acronyms
        return _word_skeleton(text) or "#"

    def matches(self, words, text: str, glue: re.Pattern, max_words: int, covered: set[int],
                wanted) -> list[tuple[int, int, list]]:
        """(first word, last word, entries) of every span of words not `covered` (by a better match)
        whose joined skeleton is a name's, the words separated only by `glue`, neither end an
        article, `wanted(i, j)` true, and whose spelling is like the entry's (`MIN_RATIO`). The
        automaton runs only over the runs of capitalised words (a few per text)."""
        found: list[tuple[int, int, list]] = []
        if not len(self.automaton):
            return found
        cache = self._pieces
        if len(cache) > 200_000:
            cache.clear()
        pieces = [cache.get(w.text) for w in words]
        run: list[tuple[int, str]] = []
        for k, p in enumerate(pieces):
            if p is None:
                w = words[k]
                p = cache[w.text] = self.piece(w.text, w.arabic)
            if p != "#" and k not in covered:
                run.append((k, p))
            elif run:
                self._run(run, words, text, glue, max_words, wanted, found)
                run = []
        if run:
            self._run(run, words, text, glue, max_words, wanted, found)
        return found

    def _run(self, run, words, text, glue, max_words, wanted, found) -> None:
        """The matches inside one run of consecutive words (index, piece)."""
        if len(run) == 1:  # most runs are one word: a look-up, no automaton
            k, p = run[0]
            entries = self.table.get(p)
            if entries and wanted(k, k):
                self._keep(k, k, entries, words, text, found)
            return
        starts, ends, pos = {}, {}, 0
        for k, p in run:
            if p:  # an article standing alone neither begins nor ends a name
                starts.setdefault(pos, k)
                ends[pos + len(p)] = k
            pos += len(p)
        for end_idx, (key, entries) in self.automaton.iter("".join(p for _, p in run)):
            i, j = starts.get(end_idx - len(key) + 1), ends.get(end_idx + 1)
            if i is None or j is None or not i <= j < i + max_words or not wanted(i, j):
                continue
            if all(glue.fullmatch(text[words[k].end:words[k + 1].start]) for k in range(i, j)):
                self._keep(i, j, entries, words, text, found)

    @staticmethod
    def _keep(i, j, entries, words, text, found) -> None:
        """Add the span with the entries spelled like it, if any."""
        spelled = folded(text[words[i].start:words[j].end])
        alike = [e for e in entries if similarity(spelled, e.exact) >= MIN_RATIO]
        if alike:
            found.append((i, j, alike))


@lru_cache(maxsize=100_000)
def similarity(a: str, b: str) -> float:
    """difflib's similarity ratio (0-1) of two folded spellings."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@lru_cache(maxsize=100_000)
def _name_words(name: str) -> tuple[str, ...]:
    """A Latin name's words without articles, like `normalize.latin_name_words` but not through
    `split_words`, whose four-text cache holds the article being read."""
    words = WORD.findall(name)
    return tuple(w for w in words if fold_latin_word(w) not in LATIN_ARTICLES) or tuple(words)


def folded(name: str) -> str:
    """A Latin name's exact key (as `normalize.name_keys` gives it)."""
    return "".join(fold_latin_word(w) for w in _name_words(name))


@lru_cache(maxsize=200_000)
def _word_skeleton(text: str) -> str:
    return "".join(skeleton_word(w) for w in _name_words(text))

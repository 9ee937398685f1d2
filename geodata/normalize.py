"""Text folding and match keys for Arabic and Latin-script place names.

Two keys per word, used by both the gazetteer builder and the recogniser so that both sides of a
match are folded by the same rules:

* the *exact* key folds what never distinguishes two places: Arabic diacritics, tatweel, alef and
  hamza seats, ta marbuta/ha, alef maqsura/ya, the article ال; Latin case, accents, apostrophes
  and ayn marks, and the al-/el-/ad-… article.
* the *loose* key also folds what press spelling varies: Arabic emphatic/plain pairs (ص/س, ط/ت,
  ض/د, ظ/ذ/ز, ث/ت) and doubled letters; Latin vowels, doubled letters, q/k and a final
  -ah/-eh. It survives "كنصفرة"/"كنسفرة" and "Ma'arrat an-Nu'man"/"Marret Numan".

A multi-word name is keyed by joining its word keys without a separator, so "كفر نبل" and
"كفرنبل" (or "Kafr Nabl" and "Kafranbel") meet on the same key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
ARABIC_LETTERS = re.compile("[\u0620-\u064a\u066e-\u06d3]")
# A word: a run of letters/digits in any script, Arabic vowel marks, shadda and tatweel included
# (they are not \w, and "دارةِ عزّة" must stay two words, not four); apostrophes and ayn marks
# stay inside Latin words, but an English possessive ("Homs's") is not part of the name.
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
WORD = re.compile(rf"(?:[^\W_]|[{_MARKS}])+(?:['’ʿʾ`‘](?!s\b)(?:[^\W_]|[{_MARKS}])+)*", re.UNICODE)
# The same words in a text without "_", where [^\W_] is \w: one character class scans ~40 % faster.
_WORD_NO_UNDERSCORE = re.compile(rf"[\w{_MARKS}]+(?:['’ʿʾ`‘](?!s\b)[\w{_MARKS}]+)*")

# Arabic-Indic and Persian digits to ASCII: the one digit table (dates, numbers, match keys)
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ARABIC_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ة": "ه", "ى": "ي", "ی": "ي", "ې": "ي", "ئ": "ي", "ؤ": "و", "ء": "",
    "ک": "ك", "گ": "ك", "ڤ": "ف", "پ": "ب", "چ": "ج", "ژ": "ز",
}) | DIGITS
_ARABIC_LOOSE = str.maketrans({"ص": "س", "ط": "ت", "ض": "د", "ظ": "ز", "ذ": "ز", "ث": "ت", "ة": "ه", "خ": "ح"})
_ARABIC_INNER_VOWELS = re.compile("(?<=.)[اوي]")
_REPEATS = re.compile(r"(.)\1+")


def _first_letter(m: re.Match) -> str:
    """A run of one letter replaced by the letter: a function is called only for a run, while the
    template "\\1" costs a Python call on every substitution, most of which find nothing."""
    return m.group(1)


# Proclitics that attach to a place name in running Arabic text, longest first.
ARABIC_PROCLITICS = ("وبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "وب", "ول", "فب", "فل",
                     "و", "ف", "ب", "ل", "ك")

_PROCLITICS_SHORTEST_FIRST = sorted(ARABIC_PROCLITICS, key=len)

LATIN_ARTICLES = frozenset({"al", "el", "il", "ul", "ad", "ed", "as", "es", "an", "en", "ar", "er",
                            "at", "et", "az", "ez", "ash", "esh", "ath", "adh", "ag", "al'"})
_APOSTROPHES = re.compile("['’ʿʾ`‘´]")


def is_arabic(text: str) -> bool:
    """True when the text contains Arabic letters."""
    return ARABIC_LETTERS.search(text) is not None


@lru_cache(maxsize=200_000)
def fold_arabic_letters(word: str) -> str:
    """Fold one Arabic word's diacritics, tatweel and letter variants (the article stays)."""
    return ARABIC_DIACRITICS.sub("", word).translate(_ARABIC_FOLD)


@lru_cache(maxsize=200_000)
def fold_arabic_word(word: str) -> str:
    """Fold one Arabic word: diacritics, tatweel, letter variants, then the article ال."""
    w = fold_arabic_letters(word)
    if w.startswith("ال") and len(w) >= 4:
        w = w[2:]
    return w


@lru_cache(maxsize=200_000)
def loose_arabic_word(word: str) -> str:
    """A consonant skeleton: emphatic/plain letter pairs (ص/س، ط/ت، ض/د، ظ/ذ/ز، ث/ت), خ/ح (a
    dropped dot: نخشبا/نحشبا), long vowels after the first letter (يمادية/اليمضية, بريغيت/بريغث)
    and doubled letters folded away."""
    w = fold_arabic_word(word).translate(_ARABIC_LOOSE)
    w = _ARABIC_INNER_VOWELS.sub("", w)
    return _REPEATS.sub(_first_letter, w)


def arabic_clitic_readings(word: str) -> list[tuple[int, str]]:
    """(characters skipped, reading) for the word and each reading without a proclitic, shortest
    proclitic first: والموزرة → (0, والموزرة), (1, الموزرة), (3, موزرة)."""
    w = ARABIC_DIACRITICS.sub("", word)
    # offsets are into the original word: map each plain letter back to its position there
    pos = range(len(word) + 1) if len(w) == len(word) else \
        [i for i, c in enumerate(word) if not ARABIC_DIACRITICS.match(c)] + [len(word)]
    readings = [(0, w)]
    for p in _PROCLITICS_SHORTEST_FIRST:
        if w.startswith(p) and len(w) - len(p) >= 3:
            rest = w[len(p):]
            if p.endswith("لل"):  # لل = لِ + الـ with the alef dropped
                rest = "ال" + rest
            readings.append((pos[len(p)], rest))
    return readings


@lru_cache(maxsize=200_000)
def fold_latin_word(word: str) -> str:
    """Lowercase, strip accents, apostrophes and ayn marks."""
    w = unicodedata.normalize("NFKD", word)
    w = "".join(c for c in w if not unicodedata.combining(c))
    return _APOSTROPHES.sub("", w).lower()


@lru_cache(maxsize=200_000)
def loose_latin_word(word: str) -> str:
    """A consonant skeleton that survives transliteration: Kafr/Kfar, Saraqib/Saraqeb. A word that
    starts with a vowel keeps one marker for it (Idlib/Edlib → adlb), so "Kafr Amim" (kfr+amm) and
    "Kafruma" (kfrm) stay apart."""
    w = fold_latin_word(word)
    w = re.sub(r"(?<=[a-z]{3})(ah|eh|a|e|h)$", "", w)
    w = w.replace("q", "k").replace("ph", "f").replace("ou", "u").replace("ck", "k")
    if len(w) > 1:
        w = ("a" if w[0] in "aeiouy" else w[0]) + re.sub("[aeiouyw]", "", w[1:])
    return _REPEATS.sub(_first_letter, w)


@lru_cache(maxsize=4)  # the recogniser and the incident extractor split the same article
def split_words(text: str) -> list[tuple[int, int, str]]:
    """Words of a text with their character offsets; Latin articles joined by hyphen split off.
    The list is shared between callers of the same text: do not modify it."""
    pattern = WORD if "_" in text else _WORD_NO_UNDERSCORE
    return [(*m.span(), m.group()) for m in pattern.finditer(text)]


def latin_name_words(name: str) -> list[str]:
    """Words of a Latin-script name with articles removed ("Ma'arrat an-Nu'man" → ma'arrat, nu'man)."""
    words = [w for _, _, w in split_words(name)]
    kept = [w for w in words if fold_latin_word(w) not in LATIN_ARTICLES]
    return kept or words


def name_keys(name: str) -> tuple[str, str]:
    """The (exact, loose) match keys of a gazetteer name; empty strings when it has none."""
    if is_arabic(name):
        words = [w for _, _, w in split_words(name)]
        exact = "".join(fold_arabic_word(w) for w in words)
        loose = "".join(loose_arabic_word(w) for w in words)
    else:
        words = latin_name_words(name)
        exact = "".join(fold_latin_word(w) for w in words)
        loose = "".join(loose_latin_word(w) for w in words)
    return exact, loose


def fold_text(text: str) -> str:
    """A whole string folded word by word with single spaces: for display-free comparisons."""
    out = []
    for _, _, w in split_words(text):
        out.append(fold_arabic_word(w) if is_arabic(w) else fold_latin_word(w))
    return " ".join(out)


COMMON_WORD_ZIPF = 3.8  # wordfreq Zipf frequency from which a word counts as an ordinary word


@lru_cache(maxsize=100_000)
def is_ordinary_word(text: str) -> bool:
    """True when `text` is frequent in running Arabic or English (wordfreq), like عيسى or Reading."""
    from wordfreq import zipf_frequency

    if is_arabic(text):
        return zipf_frequency(text, "ar") >= COMMON_WORD_ZIPF
    # wordfreq splits "Da'el" at the apostrophe into two frequent pieces; ask about the folded word
    return zipf_frequency(_APOSTROPHES.sub("", text), "en") >= COMMON_WORD_ZIPF


# ---- lists of names ---------------------------------------------------------------------------
LIST_GAPS = frozenset((",", "،", "and", ", and", "or", "و", "، و", ", و", "أو"))
# و written onto the next name, with a preposition or the article after it: "وللموزرة", "وبالبارة"
_WA_CLITIC = re.compile(r"([،,]\s*)?(و|أو\s*)(?:بال|لل|ال|ب|ل|ف)?")


def list_gap(gap: str) -> str:
    """What stands between two names, white space folded; a proclitic و (with a preposition or the
    article) that the recogniser left outside the second name counts as و."""
    g = " ".join(gap.split())
    m = _WA_CLITIC.fullmatch(g)
    if m and g not in LIST_GAPS:
        return ("، " if m.group(1) else "") + m.group(2).strip()
    return g

"""The place tagger: a trained model that says, for each candidate span, whether it names a place here.

The recogniser (`geodata.recognize`) proposes candidates — gazetteer matches from the Aho-Corasick
pass and unknown names after trigger words — and records what its hand rules think of each (an
ordinary word, a spelling variant, a list around it, a text not about Syria…). This module turns
each candidate into features and asks a linear-chain CRF (python-crfsuite) for the probability
that it is a place. The sequence is the text's candidates in order, so the model also learns that
the names of one list tend to be all places or all not.

Features of a candidate (see `features`):
* the gazetteer match: tier (exact / loose spelling variant / unknown name after a trigger), the
  kinds of place matched, Syria or abroad, population, number of words;
* the hand lists of `geodata/data/` as features: trigger word and its kind, ordinary word, given
  name, function word, frequent Arabic word, the old rules' verdict;
* word frequency (wordfreq Zipf) of the span and, for Arabic, of its stem without a dual, plural,
  feminine or accusative ending (صاروخين → صاروخ, تدميراً → تدمير) — the morphology a place name
  rarely has; the proclitic (و، ب، ل…) and article;
* shape and capitals (Latin), the words and punctuation around it, the list gaps to the
  neighbouring candidates, whether the text is about Syria, neighbourhood support.

The weights are fitted by `bench/train_tagger.py` on NewsFANE and AQMAR (Arabic) and LGL and
TR-News (English) and shipped as `geodata/data/tagger_ar.crfsuite` / `tagger_en.crfsuite`, with
their thresholds in `tagger.json`. Loaded once per Geoparser; CPU only, nothing downloaded.
"""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from pathlib import Path

from wordfreq import zipf_frequency

from geodata.normalize import ARABIC_DIACRITICS, fold_arabic_word, is_arabic, list_gap

LABEL_PLACE, LABEL_OTHER = "P", "O"
MODEL_FILES = {"ar": "tagger_ar.crfsuite", "en": "tagger_en.crfsuite"}
_TANWEEN = re.compile("[\u064b-\u064d]")
# Endings of Arabic nouns and verbs that a village name rarely carries: dual, plurals, nisba
# plural, accusative alef, feminine; longest first. (A light stemmer: enough to see that صاروخين is
# صاروخ and تدميرا is تدمير when the stem is a frequent word.)
_AR_SUFFIXES = ("تين", "تان", "يين", "يون", "ين", "ان", "ون", "ات", "ية", "ا", "ة", "ي")
MAJOR_POPULATION = 100_000
LEXICAL_ZIPF = 3.0  # words this frequent are features by name; rarer ones only by class
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def _frequent_surface(text: str) -> bool:
    plain = ARABIC_DIACRITICS.sub("", text)
    return zipf_frequency(plain, "ar") >= 3.0 if is_arabic(plain) else zipf_frequency(plain.lower(), "en") >= 3.0


def _zb(z: float) -> str:
    """A Zipf frequency in half-unit buckets (0 = unseen, 7 = 'the')."""
    return str(min(14, int(z * 2)))


def arabic_stem_zipf(word: str) -> tuple[str, float]:
    """(the ending stripped, the Zipf frequency of the stem) for the most frequent stem an ending
    strip leaves (at least three letters); ("", 0.0) when no strip leaves a known word."""
    plain = ARABIC_DIACRITICS.sub("", word)
    best, best_z = "", 0.0
    for suf in _AR_SUFFIXES:
        if plain.endswith(suf) and len(plain) - len(suf) >= 3:
            stem = plain[:-len(suf)]
            z = zipf_frequency(stem, "ar")
            if suf == "ات":  # هجمات → هجمة
                z = max(z, zipf_frequency(stem + "ة", "ar"))
            if z > best_z:
                best, best_z = suf, z
    return best, best_z


class PlaceTagger:
    """The fitted models (one for Arabic text, one for Latin-script text) and their thresholds."""

    def __init__(self, models: dict[str, Path], meta: dict):
        import pycrfsuite

        self.meta = meta
        self.threshold: float = float(meta.get("threshold", 0.5))
        self.review_below: float = float(meta.get("review_below", 0.7))
        self.threshold_against_rules: float = float(meta.get("threshold_against_rules", 0.9))
        self.keep_rule_ok: dict[str, float] = meta.get("keep_rule_ok", {})
        self.priors: dict[str, float] = {k: float(v) for k, v in meta.get("priors", {}).items()}
        self._taggers = {}
        for lang, path in models.items():
            t = pycrfsuite.Tagger()
            t.open(str(path))
            self._taggers[lang] = t
        self._intrinsic: dict = {}  # cache: (span text, tier, place ids) -> features of the span alone

    @classmethod
    def load(cls, folder: str | Path | None = None) -> "PlaceTagger | None":
        """The shipped models (or those in `folder`); None when no model file is there."""
        base = Path(folder) if folder else Path(str(resources.files("geodata").joinpath("data")))
        models = {lang: base / name for lang, name in MODEL_FILES.items() if (base / name).is_file()}
        if not models:
            return None
        meta_path = base / "tagger.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        return cls(models, meta)

    def probabilities(self, rec, cands) -> list[float]:
        """P(place) for each candidate of `cands` (a `recognize.Candidates`)."""
        import pycrfsuite

        feats = features(rec, cands, self._intrinsic)
        # Arabic and Latin-script candidates go to their own model, each as a sequence of its own.
        out = [0.0] * len(feats)
        for lang in ("ar", "en"):
            idx = [k for k, (_, i, _, _) in enumerate(cands.items) if (lang == "ar") == cands.words[i].arabic]
            if not idx:
                continue
            tagger = self._taggers.get(lang) or next(iter(self._taggers.values()))
            tagger.set(pycrfsuite.ItemSequence([feats[k] for k in idx]))
            for n, k in enumerate(idx):
                p = tagger.marginal(LABEL_PLACE, n)
                m, _, _, verdict = cands.items[k]
                prior = self._prior(m, verdict, cands.syria, rec.gazetteer.places)
                if prior:
                    p = min(max(p, 1e-6), 1 - 1e-6)
                    p = 1 / (1 + math.exp(-(math.log(p / (1 - p)) + prior)))
                out[k] = p
        return out

    def keeps(self, m, verdict, p: float, query: bool = False) -> bool:
        """The decision on one candidate: a spelling variant or an unknown name needs the model's yes
        (in a geocoder query only when the variant is itself a frequent word: "مسيّرة" is a drone);
        against the hand rules' no the model must be sure; what the rules accept stays unless the
        model's probability falls below the keep threshold chosen on held-out data."""
        if query:
            return verdict.rule_ok and (m.tier != "loose" or p >= self.threshold or not _frequent_surface(m.text))
        if m.tier in ("loose", "unknown"):
            return p >= self.threshold and (verdict.rule_ok or p >= self.threshold_against_rules)
        if not verdict.rule_ok:
            return p >= self.threshold_against_rules
        return p >= self.keep_rule_ok.get("ar" if is_arabic(m.text) else "en", self.threshold)

    def _prior(self, m, verdict, syria: bool, places) -> float:
        """Log-odds added for evidence the training corpora hardly contain (`tagger.json` "priors"):
        news from everywhere seldom writes "قرية X"/"the village of X" before a name, the reports
        this tool reads do it all the time; likewise a neighbourhood's own support (حي X), and a
        plain Syrian name in a text about Syria."""
        if not self.priors or not verdict.rule_ok or (not syria and not verdict.strong_trigger and not verdict.nbhd):
            return 0.0
        prior = 0.0
        if verdict.strong_trigger and m.trigger_kind:
            prior = self.priors.get("trigger:" + m.trigger_kind, 0.0)
        if verdict.nbhd == "strong":
            prior = max(prior, self.priors.get("neighbourhood", 0.0))
        if syria and m.tier == "exact" and not m.needs_context and not verdict.ordinary and m.entries and all(
                places[e.place_id].country == "SY" for e in m.entries):
            # label shift: in a text about Syria a plain Syrian name is a place far more often than in
            # the world news the model was fitted on
            prior += self.priors.get("syrian_name_in_syrian_text", 0.0)
        return prior


# ---- features ------------------------------------------------------------------------------------
def _gap(text: str) -> str:
    g = list_gap(text)
    if not g:
        return "adj"
    if g in (",", "،"):
        return "comma"
    if g in ("و", "and", ", and", "، و", ", و"):
        return "and"
    if g in ("or", "أو"):
        return "or"
    if len(g) > 40:
        return "far"
    return "near"


def _intrinsic(rec, m, first_word, cache: dict) -> list[str]:
    key = (m.text, m.tier, len(m.entries))
    f = cache.get(key)
    if f is not None:
        return f
    places = [rec.gazetteer.places[p] for p in m.place_ids]
    arabic = is_arabic(m.text)
    nw = len(m.text.split())
    f = [f"tier={m.tier}", f"nw={min(nw, 3)}"]
    # What kind of place and how large are left out on purpose: in the training corpora (news from
    # everywhere) a Syrian village's name is nearly always an ordinary word, in this product's texts
    # it is the point. The model judges the words, their form and their context instead.
    f.append(f"nplaces={min(len(places), 4)}")
    if any(p.kind in ("country", "governorate") or (p.population or 0) >= MAJOR_POPULATION for p in places):
        f.append("major")  # a country, a governorate or a city of 100,000: a place in any news
    if m.common:
        f.append("common")
    bare = ARABIC_DIACRITICS.sub("", first_word.text if nw == 1 else m.text)
    if arabic:
        z = zipf_frequency(bare, "ar")
        f.append(f"z={_zb(z)}")
        f.append(f"tz={m.tier}|{_zb(z)}")
        if nw == 1:
            suf, sz = arabic_stem_zipf(bare)
            if suf:
                f.append(f"suf={suf}")
                f.append(f"stemz={_zb(sz)}")
                f.append(f"suf_stemz={suf}|{_zb(sz)}")
                f.append(f"tier_stemz={m.tier}|{_zb(sz)}")
            f.append(f"end1={bare[-1:]}")
            f.append(f"end2={bare[-2:]}")
        if _TANWEEN.search(m.text):
            f.append("tanween")
        elif ARABIC_DIACRITICS.search(m.text):
            f.append("diacritics")
        if bare.startswith("ال"):
            f.append("article")
        if z >= LEXICAL_ZIPF:  # the frequent ambiguous words (الجزيرة، السفارة) are learnt by name
            f.append(f"w={fold_arabic_word(bare)}")
    else:
        z = zipf_frequency(m.text.lower(), "en")
        f.append(f"z={_zb(z)}")
        f.append(f"tz={m.tier}|{_zb(z)}")
        shape = "X" if m.text.isupper() else "Xx" if m.text[:1].isupper() else "x"
        f.append(f"shape={shape}")
        if z >= LEXICAL_ZIPF:
            f.append(f"w={m.text.lower()}")
    if len(cache) > 200_000:
        cache.clear()
    cache[key] = f
    return f


_LEXICAL: dict[str, str] = {}


def _lexical(w) -> str:
    """A context word by name when it is frequent (في، مدينة، "said"), else only "<rare>"."""
    v = _LEXICAL.get(w.exact)
    if v is None:
        z = zipf_frequency(w.text if w.arabic else w.text.lower(), "ar" if w.arabic else "en")
        v = w.exact if z >= LEXICAL_ZIPF else "<rare>"
        if len(_LEXICAL) < 200_000:
            _LEXICAL[w.exact] = v
    return v


_CLASSES: dict[tuple, str] = {}


def _word_class(rec, w) -> str:
    key = (w.exact, w.arabic, w.text[:1].isupper(), w.text.isdigit())
    c = _CLASSES.get(key)
    if c is None:
        c = _word_class_of(rec, w)
        if len(_CLASSES) < 200_000:
            _CLASSES[key] = c
    return c


def _word_class_of(rec, w) -> str:
    if w.arabic:
        if w.exact in rec.triggers_ar:
            return "trigger"
        if w.exact in rec.titles:
            return "title"
        if w.exact in rec.org_before:
            return "org"
        if w.exact in rec.function_ar:  # before given names: على folds to علي
            return "function"
        if w.exact in rec.given:
            return "given"
        return "word"
    if w.text.isdigit():
        return "number"
    if w.exact in rec.function_en:
        return "function"
    if w.exact in rec.titles:
        return "title"
    if w.exact in rec.org_before:
        return "org"
    if w.exact in rec.given:
        return "given"
    if w.exact in rec.speech:
        return "speech"
    return "Cap" if w.text[:1].isupper() else "low"


_EVIDENCE: dict[tuple, list[str]] = {}


def _evidence(m, verdict, syria: bool) -> list[str]:
    """The trigger, list and hand-rule features of a candidate (cached: few combinations recur)."""
    key = (m.tier, m.trigger, m.trigger_kind, m.conjoined, m.needs_context, verdict.rule_ok, verdict.ordinary,
           verdict.strong_trigger, verdict.frequent_arabic, verdict.not_syria, verdict.nbhd, syria)
    f = _EVIDENCE.get(key)
    if f is not None:
        return f
    f = [f"tk={m.trigger_kind or 'none'}", f"tier_tk={m.tier}|{m.trigger_kind or 'none'}"]
    if m.trigger:
        f.append(f"trig={m.trigger}")
    if m.conjoined:
        f.append("conj")
    if m.needs_context:
        f.append("needs_ctx")
    f.append("rule_ok" if verdict.rule_ok else "rule_no")
    if verdict.ordinary:
        f.append(f"ord={verdict.ordinary.split()[-1]}")
        f.append(f"ord_strong={verdict.strong_trigger}")
    if verdict.frequent_arabic:
        f.append("freq_ar")
    if verdict.not_syria:
        f.append("not_syria")
    if verdict.nbhd:
        f.append(f"nbhd={verdict.nbhd}")
    f.append(f"syria={syria}")
    f.append(f"tier_rule={m.tier}|{verdict.rule_ok}")  # a conjunction a linear model cannot form
    if len(_EVIDENCE) < 50_000:
        _EVIDENCE[key] = f
    return f


def features(rec, cands, cache: dict) -> list[list[str]]:
    """The feature strings of each candidate of `cands`, in order."""
    text, words = cands.text, cands.words
    out = []
    items = cands.items
    gaps = [_gap(text[a[0].end:b[0].start]) for a, b in zip(items, items[1:])]
    for k, (m, i, j, verdict) in enumerate(items):
        first = words[i]
        f = ["bias"] + _intrinsic(rec, m, first, cache) + _evidence(m, verdict, cands.syria)
        if first.clitic:
            f.append(f"clitic={first.clitic}")
        # words and punctuation around the span
        before = text[max(0, m.start - 3):m.start].strip()
        after = text[m.end:m.end + 3].strip()
        f.append(f"pb={before[-1:] if before and _PUNCT.match(before[-1:]) else '-'}")
        f.append(f"pa={after[:1] if after and _PUNCT.match(after[:1]) else '-'}")
        if i > 0:
            p = words[i - 1]
            adj = text[p.end:first.start - len(first.clitic)].strip() == ""
            f.append(f"p1={_lexical(p)}" if adj else "p1=<punct>")
            f.append(f"p1c={_word_class(rec, p)}|{adj}")
            if i > 1 and adj:
                f.append(f"p2c={_word_class(rec, words[i - 2])}")
        else:
            f.append("p1=<start>")
        if j + 1 < len(words):
            n = words[j + 1]
            adj = rec._adjacent(words, j, j + 1, text)
            f.append(f"n1={_lexical(n)}" if adj else "n1=<punct>")
            f.append(f"n1c={_word_class(rec, n)}|{adj}")
            if adj and n.arabic and n.text.startswith("ال") and n.text.endswith(("ية", "ي", "ة")):
                f.append("n1_adj")  # an adjective after it: "الحدود اللبنانية", a noun phrase
        else:
            f.append("n1=<end>")
        if not first.arabic:
            if cands.shouting:
                f.append("shouting")
            if i == 0 or text[words[i - 1].end:first.start].strip()[-1:] in (".", "!", "?", '"', "“", ":"):
                f.append("sent_start")
        # the neighbouring candidates
        if k > 0:
            pm = items[k - 1][0]
            g = gaps[k - 1]
            f.append(f"gapL={g}")
            if g in ("comma", "and", "or", "adj"):
                f.append(f"gapL_tier={g}|{pm.tier}")
        else:
            f.append("gapL=none")
        if k + 1 < len(items):
            nm = items[k + 1][0]
            g = gaps[k]
            f.append(f"gapR={g}")
            if g in ("comma", "and", "or", "adj"):
                f.append(f"gapR_tier={g}|{nm.tier}")
        else:
            f.append("gapR=none")
        out.append(f)
    return out

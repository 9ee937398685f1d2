"""Choose one gazetteer entry for each mention, or an honest coarser answer.

Each candidate place of a mention is scored on:
* what the trigger word says it is (قرية/village → a locality, ريف/countryside → a governorate…);
* the administrative context written in the same sentence ("بريف اللاذقية", "جنوبي إدلب",
  "بجبل الزاوية", "in Idlib countryside"): a candidate inside it gains, one outside it loses;
* spatial coherence with the unambiguous places named in the same text (geopy distances);
* importance (population), and a small penalty for loose-key matches and places abroad;
* a neighbourhood the recogniser kept (its city or a word such as حي supports it) before a
  namesake town: "حي المشهد" is Aleppo's al-Mashhad, not the village 27 km west.

Wrong-context guard: when the sentence names a containing unit and no candidate lies in it (the
seed's عين عيسى "في جبل التركمان بريف اللاذقية" only has namesakes in Raqqa), the answer is that
containing unit at a coarser precision, with the reason in its evidence.

A name no gazetteer holds (an `unknown` mention after قرية/"village of") is answered with the
containing unit the sentence names, at precision 2–3 and reason "not in gazetteer", or with no
place when the sentence names none. A spelling-variant match that the recogniser could not support
is kept only when the sentence's unit or a place named exactly nearby vouches for it.

The scores' weights live in `geodata.weights` (fitted by `bench/fit_weights.py`).
"""

from __future__ import annotations

import math

from geodata.earth import km
from geodata.gazetteer import Gazetteer
from geodata.normalize import is_arabic
from geodata.place import Place
from geodata.schema import NOT_IN_GAZETTEER, UNCERTAIN_PLACE, WRONG_CONTEXT, Mention, Resolution
from geodata.sentences import sentence_spans
from geodata.translit import folded, similarity, skeleton
from geodata.weights import KIND_SCORES, WEIGHTS, ResolutionWeights

LOCAL_TRIGGERS = {"village", "villages", "town", "towns", "city", "cities", "vicinity", "camp",
                  "neighbourhood", "facility"}
REGIONAL_TRIGGERS = {"countryside", "direction", "governorate"}
CONTAINERS = ("governorate", "area", "district")
SAME_PLACE_KM = 8.0  # two candidates this close are one place under two records (town and subdistrict)
UNCERTAIN_CONFIDENCE = 0.45  # the highest confidence of a place the tagger doubts (probability < review line)
POINT_KINDS = ("locality", "city", "subdistrict", "neighbourhood")  # a point the sentence's unit holds or not
# A Latin-script spelling variant the place tagger is this sure of stands without the sentence's unit:
# English notes name a village once, with no governorate ("clashes in Kefraya"), and only Syrian
# places have such variants (an Arabic word the tagger doubts still needs the unit or a neighbour).
SURE_SPELLING = 0.95
# Among the namesakes a spelling variant reaches, the closest spelling is the likelier one (Kefraya is
# Kafraya rather than Kafrah): score added per unit of difflib's similarity ratio of the folded keys.
SPELLING_SIMILARITY = 3.0


def precision_of(place: Place, trigger_kind: str) -> int:
    if place.kind in ("governorate", "country"):
        return 3
    if place.kind in ("area", "district", "subdistrict"):
        return 2
    return 2 if trigger_kind == "vicinity" else 1


class Resolver:
    def __init__(self, gazetteer: Gazetteer, weights: ResolutionWeights = WEIGHTS, review_below: float = 0.0):
        self.gazetteer = gazetteer
        self.w = weights
        self.review_below = review_below
        self._km: dict[tuple[str, str], float] = {}
        self._units: dict[str, list[Place]] | None = None  # skeleton -> governorates/districts, built on first use

    def _dist(self, a: Place, b: Place) -> float:
        """km() memoised: the same candidate/anchor pairs recur across mentions and texts."""
        key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
        d = self._km.get(key)
        if d is None:
            if len(self._km) > 1_000_000:
                self._km.clear()
            d = self._km[key] = km(a, b)
        return d

    def _places(self, m: Mention) -> list[Place]:
        places = [self.gazetteer.places[p] for p in m.place_ids]
        if m.trigger_kind in ("countryside", "governorate") and not any(p.kind in CONTAINERS for p in places):
            # "the northern countryside of Hammah": a countryside is a governorate's or district's, and
            # the name is that unit's spelled another way, not the village al-Hammah in Daraa.
            units = self._units_spelled_like(m.text)
            if units:
                return units
        return places

    def _units_spelled_like(self, name: str) -> list[Place]:
        """Syrian governorates and districts whose English name has the same transliteration skeleton."""
        if self._units is None:
            self._units = {}
            for p in self.gazetteer.places.values():
                if p.kind in ("governorate", "district") and p.country == "SY":
                    for n in {p.name_en, *p.names}:
                        key = skeleton(n)
                        if key:
                            self._units.setdefault(key, []).append(p)
        key = skeleton(name)
        return list({p.id: p for p in self._units.get(key, [])}.values()) if key else []

    # ---- context -------------------------------------------------------------------------
    def _context_units(self, mentions: list[Mention], text: str) -> list[tuple[list[Place], list[Place]]]:
        """For each mention, the containing units (governorates, areas, districts) its own sentence
        names and those the sentence before it names."""
        spans = sentence_spans(text)
        sent_of = []
        for m in mentions:
            idx = next((i for i, (s, e) in enumerate(spans) if s <= m.start < e), -1)
            sent_of.append(idx)
        units_by_sentence: dict[int, list[tuple[Mention, Place]]] = {}
        for m, si in zip(mentions, sent_of):
            if m.text.isupper() and len(m.text) >= 4:
                continue  # a dateline ("DAMASCUS, Syria (AP) —") is where the reporter is, not a frame
            places = self._places(m)
            containers = [p for p in places if p.kind in CONTAINERS and p.country == "SY"]
            if not containers:
                continue
            if m.trigger_kind in LOCAL_TRIGGERS and any(p.kind in ("locality", "city") for p in places):
                continue  # "مدينة إدلب" names the city, not the governorate
            kinds = {p.kind for p in containers}
            pick = "area" if "area" in kinds else "governorate" if "governorate" in kinds else "district"
            for p in containers:
                if p.kind == pick:
                    units_by_sentence.setdefault(si, []).append((m, p))
        out = []
        for m, si in zip(mentions, sent_of):
            # Units named by another mention of the same name are no context for it.
            own = [p for (cm, p) in units_by_sentence.get(si, []) if cm.place_ids != m.place_ids]
            before = [p for (cm, p) in units_by_sentence.get(si - 1, []) if cm.place_ids != m.place_ids] \
                if si > 0 else []
            out.append((own, before))
        return out

    @staticmethod
    def _fits(place: Place, unit: Place) -> bool:
        if place.id == unit.id:
            return True
        if unit.kind == "governorate":
            return place.admin1 is not None and place.admin1.id == unit.id
        if unit.kind == "district":
            # District names are mostly also town and governorate names ("Idlib", "Harim"), so a
            # district in the text vouches for its whole governorate, not only its own borders.
            return (place.admin2 is not None and place.admin2.id == unit.id) or \
                (place.admin1 is not None and unit.admin1 is not None and place.admin1.id == unit.admin1.id)
        return km(place, unit) <= unit.radius_km + 10

    # ---- scoring -------------------------------------------------------------------------
    @staticmethod
    def _kind_score(p: Place, trigger_kind: str, n_kinds: int) -> float:
        k = p.kind
        if k == "neighbourhood" and trigger_kind == "neighbourhood":
            # The recogniser keeps a neighbourhood only where the text supports it; "حي X",
            # "the X district" then mean it rather than a namesake town.
            return KIND_SCORES.score("neighbourhood_trigger", k)
        if trigger_kind in LOCAL_TRIGGERS:
            return KIND_SCORES.score("local_trigger", k)
        if trigger_kind in REGIONAL_TRIGGERS:
            return KIND_SCORES.score("regional_trigger", k)
        if trigger_kind in ("district", "subdistrict"):
            return KIND_SCORES.score("unit_trigger", k)
        if trigger_kind == "area":
            return KIND_SCORES.score("area_trigger", k)
        if k == "governorate" and n_kinds > 1:
            k = "governorate_among_other_kinds"
        return KIND_SCORES.score("no_trigger", k)

    def resolve(self, text: str, mentions: list[Mention]) -> list[Resolution]:
        contexts = self._context_units(mentions, text)
        # Neighbourhoods vouch for a spelling variant nearby but are no anchors for scoring: ten of
        # one city would pull every median distance towards it.
        vouchers = self._anchors(mentions, ("area", *POINT_KINDS))
        anchors = [(m, p) for m, p in vouchers if p.kind != "neighbourhood"]
        out, memo = [], {}
        for m, (own, before) in zip(mentions, contexts):
            # The area the mention's own sentence names, else the one the sentence before names.
            ctx = own or before
            if m.unknown:
                out.append(self._with_probability(self._resolve_unknown(m, ctx), m))
                continue
            # A name repeated in the same circumstances gets the same answer: compute it once. The
            # memoised Resolution is never changed afterwards: each mention gets its own copy.
            key = (tuple(m.place_ids), m.tier, m.trigger_kind, tuple(u.id for u in ctx), tuple(m.evidence),
                   any(am is m for am, _ in anchors), tuple(u.id for u in before), m.conjoined)
            if key not in memo:
                memo[key] = self._resolve_one(m, ctx, anchors, before)
            r = memo[key]
            evidence = list(r.evidence)
            if m.needs_context:
                why = self._supported(r, ctx, vouchers, m)
                if not why:
                    continue
                evidence.append(why)
            if m.tier == "loose" and r.reason == WRONG_CONTEXT:
                continue  # a spelling variant with no namesake where the text says is no evidence at all
            if r.reason == WRONG_CONTEXT and m.trigger_kind in ("", "in", "direction") and \
                    (m.probability < self.review_below or not m.conjoined):
                # no namesake where the text says and no trigger word: a word that happens to be a
                # village's name elsewhere, not an unknown village (unless a sure list holds it)
                continue
            out.append(self._with_probability(
                Resolution(m.text, m.start, m.end, r.place, r.precision, r.confidence, list(r.alternatives),
                           evidence, r.reason, r.trigger_kind, tier=m.tier), m))
        return out

    def _with_probability(self, r: Resolution, m: Mention) -> Resolution:
        """The tagger's probability that the span is a place flows into the confidence; below the
        review line the confidence stays under 0.5 and the evidence says why, so the review queue
        lists it among the low-confidence answers."""
        p = m.probability
        r.probability = p
        r.confidence *= p
        if p < self.review_below:
            # under the mark from which a review queue counts an answer as low-confidence (0.5)
            r.confidence = min(r.confidence, UNCERTAIN_CONFIDENCE)
            r.evidence.append(f"{UNCERTAIN_PLACE}: the tagger gives {p:.2f} that «{m.text}» names a place here")
        return r

    def _anchors(self, mentions: list[Mention], kinds: tuple[str, ...]) -> list[tuple[Mention, Place]]:
        """Mentions that name one Syrian place of these kinds (or records of one place), one per place."""
        anchors: list[tuple[Mention, Place]] = []
        for m in mentions:
            places = [p for p in self._places(m) if p.kind in kinds and p.country == "SY"]
            if len({p.id for p in places}) == 1 or (places and all(km(places[0], q) < SAME_PLACE_KM for q in places)):
                if all(a.id != places[0].id for _, a in anchors):  # one anchor per place
                    anchors.append((m, places[0]))
        return anchors

    def _supported(self, r: Resolution, ctx: list[Place], anchors, m: Mention) -> str:
        """Why a spelling-variant match stands ("" when it does not): the sentence's unit holds it, or
        a place named exactly in the text lies within 25 km of it. `r` is a memoised answer: read only."""
        p = r.place
        if p is None or r.reason:
            return ""
        if ctx and any(self._fits(p, u) for u in ctx):
            return "spelling variant supported by the administrative context"
        if any(am is not m and am.tier == "exact" and a.id != p.id and self._dist(p, a) <= 25 for am, a in anchors):
            return "spelling variant supported by a place named nearby"
        if not ctx and m.tier == "loose" and m.probability >= SURE_SPELLING and not is_arabic(m.text) \
                and not m.text.endswith(("'s", "’s")) \
                and p.country == "SY" and p.kind in POINT_KINDS:
            return f"spelling variant the place tagger is sure of ({m.probability:.2f}); no area named to check it"
        return ""

    def _resolve_unknown(self, m: Mention, ctx: list[Place]) -> Resolution:
        evidence = list(m.evidence)
        if not ctx:
            evidence.append("the text names no containing district, governorate or area")
            return Resolution(m.text, m.start, m.end, None, None, 0.0, [], evidence, reason=NOT_IN_GAZETTEER,
                              trigger_kind=m.trigger_kind, tier=m.tier)
        unit = sorted(ctx, key=lambda u: ({"area": 0, "subdistrict": 1, "district": 2}.get(u.kind, 3)))[0]
        evidence.append(f"placed at the {unit.kind} the text names: {unit.name_en}")
        return Resolution(m.text, m.start, m.end, unit, 3 if unit.kind == "governorate" else 2,
                          self.w.unknown_confidence, [], evidence, reason=NOT_IN_GAZETTEER,
                          trigger_kind=m.trigger_kind, tier=m.tier)

    def _agrees(self, m: Mention, best: Place, before: list[Place], anchors) -> str:
        """Why an exact gazetteer match stands against the wrong-context guard ("" if nothing says
        so): it lies in the area the sentence before names, or in a list with another exact name
        that lies within 25 km of it (the villages of one front line)."""
        if m.tier != "exact":
            return ""
        inside = [u for u in before if self._fits(best, u)]
        if inside:
            return f"inside {inside[0].name_en}, named in the sentence before"
        if m.conjoined:
            for am, a in anchors:
                if am is not m and am.tier == "exact" and am.conjoined and a.id != best.id \
                        and self._dist(best, a) <= 25:
                    return f"listed with «{am.text}» ({a.name_en}, {self._dist(best, a):.0f} km away)"
        return ""

    @staticmethod
    def _spelling_ratios(m: Mention) -> dict[str, float]:
        """For a Latin-script spelling variant with namesakes, each place's best similarity (0-1) of its folded
        name to the text's; {} otherwise."""
        if m.tier != "loose" or len(set(m.place_ids)) < 2 or is_arabic(m.text):
            return {}  # Arabic spelling variants differ in a letter pair, not in a transliteration
        key = folded(m.text)
        out: dict[str, float] = {}
        for e in m.entries:
            r = similarity(key, e.exact)
            out[e.place_id] = max(r, out.get(e.place_id, 0.0))
        return out

    def _resolve_one(self, m: Mention, ctx: list[Place], anchors, before: list[Place] = ()) -> Resolution:
        places = self._places(m)
        n_kinds = len({p.kind for p in places})
        ratios = self._spelling_ratios(m)
        scored = []
        for p in places:
            s = self._kind_score(p, m.trigger_kind, n_kinds)
            notes = []
            if ratios:
                s += SPELLING_SIMILARITY * (ratios.get(p.id, 0.0) - 1.0)
            if p.kind not in ("district", "subdistrict"):  # their population is a sum, not a size
                s += self.w.population_log10 * math.log10(p.population + 1)
            if m.tier == "loose":
                s += self.w.loose_match
            if p.country != "SY" and p.population < 1_000_000 and p.kind != "country":
                s += self.w.abroad
            local = p.kind in POINT_KINDS and p.country == "SY"
            if ctx and local:
                if any(self._fits(p, u) for u in ctx):
                    s += self.w.inside_context
                    notes.append("inside " + " / ".join(sorted({u.name_en for u in ctx if self._fits(p, u)})))
                else:
                    s += self.w.outside_context
            if p.kind == "governorate" and anchors:
                inside = sum(1 for am, a in anchors if am is not m and a.admin1 and a.admin1.id == p.id)
                if inside * 2 >= len(anchors):
                    s += self.w.governorate_holds_others
                    notes.append(f"{inside} of the other places named lie in it")
            near = [self._dist(p, a) for am, a in anchors if am is not m and a.id != p.id]
            if near and (local or p.kind == "area"):
                near.sort()
                d = near[len(near) // 2]
                s += (self.w.near_25km if d < 25 else self.w.near_75km if d < 75 else
                      self.w.near_250km if d < 250 else self.w.far)
                notes.append(f"median {d:.0f} km from the other places named")
            scored.append((s, p, notes))
        scored.sort(key=lambda t: -t[0])
        best_s, best, notes = scored[0]
        evidence = list(m.evidence)
        if m.tier == "loose":
            evidence.append("matched on a spelling variant (loose key)")
        if best.id not in m.place_ids:
            evidence.append(f"a {m.trigger_kind} is a governorate's or district's: «{m.text}» read as {best.name_en}, "
                            "spelled like it, not the namesake village")

        # Wrong-context guard: the sentence (or the one before) names an area that holds no place
        # of this name. It never replaces an exact match that agrees with the area named before or
        # with the exact names listed beside it.
        agrees = ""
        if ctx and best.kind in POINT_KINDS and best.country == "SY" and not any(self._fits(best, u) for u in ctx):
            agrees = self._agrees(m, best, before, anchors)
            if agrees:
                notes.append(f"kept against {' / '.join(u.name_en for u in ctx)}: {agrees}")
        if ctx and best.kind in POINT_KINDS and best.country == "SY" and not agrees \
                and not any(self._fits(best, u) for u in ctx):
            unit = sorted(ctx, key=lambda u: (u.kind != "area", u.kind != "district"))[0]
            elsewhere = ", ".join(f"{p.name_en} ({p.admin1.name_en if p.admin1 else p.country}, "
                                  f"{km(p, unit):.0f} km away)" for _, p, _ in scored[:3])
            evidence.append(f"no «{m.text}» in {' / '.join(u.name_en for u in ctx)} in the gazetteer; "
                            f"namesakes elsewhere: {elsewhere}")
            evidence.append(f"answered with the containing {unit.kind} the text names: {unit.name_en}")
            return Resolution(m.text, m.start, m.end, unit, 3 if unit.kind == "governorate" else 2,
                              self.w.wrong_context_confidence, [(p, s) for s, p, _ in scored[:3]], evidence,
                              reason=WRONG_CONTEXT, trigger_kind=m.trigger_kind, tier=m.tier)

        # Confidence: softmax over candidates, counting records of the same place together.
        weights = [math.exp((s - best_s) / self.w.softmax_temperature) for s, _, _ in scored]
        same = sum(w for w, (_, p, _) in zip(weights, scored) if p.id == best.id or
                   (p.kind not in ("governorate", "country") and best.kind not in ("governorate", "country")
                    and km(p, best) < SAME_PLACE_KM))
        conf = same / sum(weights)
        if m.tier == "loose":
            conf *= self.w.loose_confidence
        if not m.trigger and not ctx and len(m.text) < 5:
            conf *= self.w.short_name_confidence
        evidence += notes
        if len(scored) > 1:
            evidence.append(f"chosen over {len(scored) - 1} other candidate(s)")
        alternatives = [(p, s) for s, p, _ in scored[1:4]]
        return Resolution(m.text, m.start, m.end, best, precision_of(best, m.trigger_kind), conf,
                          alternatives, evidence, trigger_kind=m.trigger_kind, tier=m.tier)

"""geopy interface, offline first: `GazetteerGeocoder`, plus an opt-in online fallback.

`GazetteerGeocoder` is a `geopy.geocoders.base.Geocoder` that answers `geocode()`/`reverse()` from
the offline index, so code written for Nominatim or any other geopy geocoder can use it unchanged;
it returns geopy `Location`s whose `raw` holds our full answer (precision, confidence, admin units,
evidence).

`OnlineFallback` asks an online geopy geocoder (Nominatim by default) about the names the
gazetteer lacks, and only those: a resolution the resolver marks "not in gazetteer" (a name after
a trigger word, قرية X / "village of X", that no entry matches), one the wrong-context guard answered
with the containing unit ("not in the gazetteer where the text places it"), or one with no place.
`OnlineFallback.place_unknown(resolution, gazetteer)` is the whole decision and is used both by
`incidentmap geocode --online` and by `GazetteerGeocoder(fallback=...).geocode()`:

* the query is the name plus the containing unit the text gives, in English ("X, Idlib, Syria";
  for a named area, which is no address component, the area's governorate), restricted to Syria
  (Nominatim: `countrycodes=sy` and a bounded `viewbox` over Syria's box; other geopy geocoders:
  answers outside the box are dropped);
* an answer is accepted only inside Syria's box, inside a Syrian governorate polygon of the index
  and inside the containing unit (governorate/district/subdistrict: `gazetteer.admin_at()`;
  named area: within its radius + 10 km). Rejections are reported in the evidence;
* an accepted answer is an unverified point: precision 2, confidence at most 0.6, `source:
  "online"`, evidence naming the service, the query and the address it returned.

It is off unless asked for, rate-limited with geopy's `RateLimiter` (one request a second by
default, as Nominatim's usage policy asks), sends our User-Agent, keeps a persistent SQLite cache
(geopy has none) keyed by service and query so a name is fetched once, and reports timeouts and
HTTP errors as a warning line on stderr naming the query, never raising.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from geodata.earth import SYRIA_BOX, LatLon, km
from geodata.gazetteer import Gazetteer
from geodata.paths import data_home
from geodata.place import Place
from geodata.roles import CONTAINER_KINDS
from geodata.schema import NOT_IN_GAZETTEER, WRONG_CONTEXT

log = logging.getLogger(__name__)
USER_AGENT = "incidentmap/0.1 (offline conflict-report geoparser; https://pypi.org/project/geopy/)"

# Resolver reasons that mean "the gazetteer does not hold this name (here)".
ONLINE_REASONS = (NOT_IN_GAZETTEER, WRONG_CONTEXT)
AREA_MARGIN_KM = 10.0
ONLINE_PRECISION = 2          # an unverified village point: its vicinity, not the place itself
ONLINE_CONFIDENCE = 0.6       # answer inside the unit the text gives
ONLINE_CONFIDENCE_UNCHECKED = 0.45  # only known to be in Syria


def address_of(p: Place) -> str:
    parts = [p.label]
    if p.admin2 and p.admin2.id != p.id and p.kind not in ("governorate",):
        parts.append(p.admin2.name_en)
    if p.admin1 and p.admin1.id != p.id:
        parts.append(p.admin1.name_en)
    parts.append(p.country)
    return ", ".join(x for x in parts if x)


def in_syria_box(lat: float, lon: float) -> bool:
    return SYRIA_BOX.contains(lat, lon)  # it also covers slivers of the neighbours: see _check


def needs_online(resolution) -> bool:
    """Whether the gazetteer lacks this name: no place, or a "not in (the) gazetteer …" reason."""
    reason = (getattr(resolution, "reason", "") or "").strip()
    return getattr(resolution, "place", None) is None or reason in ONLINE_REASONS


def containing_unit(resolution) -> Place | None:
    """The coarser unit the text places an unknown name in (the resolver answers with it), if any."""
    p = getattr(resolution, "place", None)
    return p if p is not None and getattr(p, "kind", None) in CONTAINER_KINDS else None


def _unit_query_name(unit: Place) -> str:
    """The English name to add to the query: the unit's, or for a named area (Jabal al-Zawiya is no
    address component in OpenStreetMap) the governorate it lies in."""
    if unit.kind == "area":
        a1 = unit.admin1
        return a1.name_en if a1 and a1.id != unit.id and a1.name_en else ""
    return unit.name_en or unit.name_ar


def online_query(name: str, unit: Place | None) -> str:
    parts = [name.strip()]
    if unit is not None:
        u = _unit_query_name(unit)
        if u and u.casefold() != parts[0].casefold():
            parts.append(u)
    parts.append("Syria")
    return ", ".join(parts)


def _loc_to_json(loc: Location) -> dict:
    return {"address": loc.address, "lat": loc.latitude, "lon": loc.longitude, "raw": loc.raw}


def _loc_from_json(d: dict) -> Location:
    return Location(d["address"], (d["lat"], d["lon"]), d["raw"])


class OnlineFallback:
    """A rate-limited, cached online geopy geocoder for names the gazetteer does not know."""

    def __init__(self, geocoder: Geocoder | None = None, cache_path: str | Path | None = None,
                 min_delay_seconds: float = 1.0, *, max_retries: int = 1, error_wait_seconds: float = 5.0,
                 warn=None):
        if geocoder is None:
            from geopy.geocoders import Nominatim

            geocoder = Nominatim(user_agent=USER_AGENT, timeout=10)
        from geopy.extra.rate_limiter import RateLimiter

        self.geocoder = geocoder
        self.cache_path = Path(cache_path or data_home() / "online-geocode-cache.sqlite")
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self.cache_path) as con:
            con.execute("CREATE TABLE IF NOT EXISTS cache (service TEXT, query TEXT, answer TEXT, "
                        "fetched REAL, PRIMARY KEY (service, query))")
        self._geocode = RateLimiter(geocoder.geocode, min_delay_seconds=min_delay_seconds,
                                    max_retries=max_retries, error_wait_seconds=error_wait_seconds,
                                    swallow_exceptions=False)
        self.service = f"{type(geocoder).__name__}:{getattr(geocoder, 'domain', '')}"
        self.errors: list[str] = []
        self._warn = warn if warn is not None else (lambda msg: print(f"warning: {msg}", file=sys.stderr,
                                                                      flush=True))

    # ---- the service, cached -----------------------------------------------------------------
    def _is_nominatim(self) -> bool:
        from geopy.geocoders import Nominatim

        return isinstance(self.geocoder, Nominatim)

    def _ask(self, query: str) -> list[Location]:
        if self._is_nominatim():
            b = SYRIA_BOX
            found = self._geocode(query, exactly_one=False, limit=3, country_codes="sy", language="en",
                                  viewbox=[(b.north, b.west), (b.south, b.east)], bounded=True)
        else:
            found = self._geocode(query, exactly_one=False)
        if found is None:
            return []
        if isinstance(found, Location):
            found = [found]
        return list(found)  # answers outside Syria are kept: place_unknown() reports their rejection

    def lookup(self, query: str) -> list[Location] | None:
        """The service's answers for `query` (cache first); None when the service failed."""
        with sqlite3.connect(self.cache_path) as con:
            row = con.execute("SELECT answer FROM cache WHERE service=? AND query=?",
                              (self.service, query)).fetchone()
        if row is not None:
            ans = json.loads(row[0])
            if ans is None:
                return []
            if isinstance(ans, dict):  # a cache written by an older version: one answer
                ans = [ans]
            return [_loc_from_json(a) for a in ans]
        try:
            locs = self._ask(query)
        except Exception as exc:  # timeouts, refused connections, HTTP errors, bad JSON: say so, go on
            msg = f"online geocoder {self.service} failed for {query!r}: {exc.__class__.__name__}: {exc}"
            log.debug(msg)
            self.errors.append(msg)
            self._warn(msg)
            return None
        with sqlite3.connect(self.cache_path) as con:
            con.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?)",
                        (self.service, query, json.dumps([_loc_to_json(x) for x in locs], ensure_ascii=False),
                         time.time()))
        return locs

    def geocode(self, query: str) -> Location | None:
        """The service's first answer inside Syria's box for `query` (cached; None on failure)."""
        locs = [x for x in self.lookup(query) or [] if in_syria_box(x.latitude, x.longitude)]
        return locs[0] if locs else None

    # ---- the decision --------------------------------------------------------------------------
    @staticmethod
    def _check(lat: float, lon: float, unit: Place | None, gazetteer: Gazetteer):
        """(None, admin) when the point is acceptable, else (what it lies outside of, admin)."""
        if not in_syria_box(lat, lon):
            return "Syria", (None, None)
        gov, dist = gazetteer.admin_at(lat, lon)
        has_polygons = gazetteer.has_admin_polygons()
        if has_polygons and gov is None:
            return "Syria's governorates", (gov, dist)
        if unit is None:
            return None, (gov, dist)
        if unit.kind == "area":
            d = km(LatLon(lat, lon), unit)
            limit = (unit.radius_km or 0.0) + AREA_MARGIN_KM
            return (None if d <= limit else f"{unit.name_en} ({d:.0f} km from it, limit {limit:.0f} km)"), \
                (gov, dist)
        if unit.kind == "governorate":
            ok = gov is not None and gov.id == unit.id
        elif unit.kind == "district":
            ok = dist.id == unit.id if dist is not None else \
                (gov is not None and unit.admin1 is not None and gov.id == unit.admin1.id)
        else:  # subdistrict: the index has no subdistrict polygons; check its district, else governorate
            if dist is not None and unit.admin2 is not None:
                ok = dist.id == unit.admin2.id
            else:
                ok = gov is not None and unit.admin1 is not None and gov.id == unit.admin1.id
        if ok:
            return None, (gov, dist)
        where = unit.name_en if unit.kind == "governorate" else f"{unit.name_en} {unit.kind}"
        if unit.kind == "subdistrict" and unit.admin2 is not None:
            where += f" (its district {unit.admin2.name_en})"
        if not has_polygons:
            where += " (the index has no admin polygons to check it)"
        return where, (gov, dist)

    def place_unknown(self, resolution, gazetteer: Gazetteer) -> dict | None:
        """Ask the online service about a name the gazetteer lacks.

        None when `resolution` is not a candidate (the gazetteer answered it). Otherwise a dict:
        `accepted`, `query`, `service`, `evidence` (list of str), and when accepted the fields of a
        `Resolution.to_dict()` row to replace: `lat, lon, name_en, name_ar, feature ("online"),
        admin1…, precision, confidence, id (None), source ("online"), address, online (raw answer)`.
        Merge it into a row with `apply_online(row, result)`.
        """
        if not needs_online(resolution):
            return None
        name = (getattr(resolution, "text", "") or "").strip()
        if not name:
            return None
        unit = containing_unit(resolution)
        query = online_query(name, unit)
        out = {"accepted": False, "query": query, "service": self.service, "evidence": []}
        locs = self.lookup(query)
        if locs is None:
            out["evidence"].append(f"online geocoder {self.service} failed for «{query}» (see the warning)")
            return out
        if not locs:
            out["evidence"].append(f"online geocoder {self.service} has no answer in Syria for «{query}»")
            return out
        for loc in locs:
            lat, lon = loc.latitude, loc.longitude
            outside, (gov, dist) = self._check(lat, lon, unit, gazetteer)
            if outside is not None:
                out["evidence"].append(f"online answer «{loc.address}» ({lat:.4f}, {lon:.4f}) from {self.service} "
                                       f"lies outside {outside}: rejected")
                continue
            raw = loc.raw if isinstance(loc.raw, dict) else {}
            label = raw.get("name") or (loc.address or "").split(",")[0].strip() or name
            checked = f"inside {unit.name_en}" if unit is not None else "inside Syria (the text gives no unit)"
            conf = ONLINE_CONFIDENCE if unit is not None else ONLINE_CONFIDENCE_UNCHECKED
            if raw and raw.get("class") not in (None, "place", "boundary"):
                conf *= 0.75  # a road, a building, a shop… named like the place
            arabic = bool(re.search(r"[\u0600-\u06ff]", name))
            out["evidence"].append(f"online geocoder {self.service} answered «{query}» with «{loc.address}» "
                                   f"({lat:.4f}, {lon:.4f}), {checked}: accepted as an unverified point")
            out.update({
                "accepted": True, "source": "online", "address": loc.address, "online": raw,
                "lat": lat, "lon": lon, "feature": "online",
                "name_en": None if arabic and re.search(r"[\u0600-\u06ff]", label) else label,
                "name_ar": name if arabic else None,
                "admin1": gov.name_en if gov else None, "admin1_ar": gov.name_ar if gov else None,
                "admin1_pcode": gov.pcode if gov else None,
                "admin2": dist.name_en if dist else None, "admin2_ar": dist.name_ar if dist else None,
                "country": "SY", "radius_km": None, "id": None,
                "precision": ONLINE_PRECISION, "confidence": round(conf, 3),
            })
            return out
        return out


_BOOKKEEPING = ("accepted", "query", "evidence")


def apply_online(row: dict, result: dict | None) -> dict:
    """Merge a `place_unknown()` result into a `Resolution.to_dict()` row (in place; returned)."""
    if not result:
        return row
    row["evidence"] = list(row.get("evidence") or []) + list(result.get("evidence") or [])
    if result.get("accepted"):
        row.update({k: v for k, v in result.items() if k not in _BOOKKEEPING})
        row["online_query"] = result["query"]
    return row


class GazetteerGeocoder(Geocoder):
    """Offline geocoder over the built gazetteer, with an optional online fallback."""

    def __init__(self, gazetteer: Gazetteer | None = None, path: str | Path | None = None,
                 fallback: OnlineFallback | None = None, *, user_agent: str | None = None, **kwargs):
        super().__init__(user_agent=user_agent or USER_AGENT, **kwargs)
        from geodata.geoparser import Geoparser

        self.geoparser = Geoparser(gazetteer=gazetteer, path=path)
        self.gazetteer = self.geoparser.gazetteer
        self.fallback = fallback
        pts = [p for p in self.gazetteer.places.values()
               if p.kind in ("locality", "city") and p.country == "SY"]
        self._reverse_places = pts

    def _location(self, place: Place, raw: dict) -> Location:
        return Location(address_of(place), (place.lat, place.lon), raw)

    @staticmethod
    def _uncovered_head(query: str, resolutions) -> SimpleNamespace | None:
        """"Unknownplace, Idlib": the part before the first comma when no mention covers it, as a
        resolution-like candidate placed in the most specific unit the rest of the query names."""
        head = query.split(",")[0].split("،")[0]
        start = len(head) - len(head.lstrip())
        end = len(head.rstrip())
        if end <= start or any(getattr(r, "start", 0) < end and getattr(r, "end", 0) > start for r in resolutions):
            return None
        order = {"area": 0, "subdistrict": 1, "district": 2, "governorate": 3}
        units = [u for u in (containing_unit(r) for r in resolutions) if u is not None]
        unit = min(units, key=lambda u: order.get(u.kind, 9)) if units else None
        return SimpleNamespace(text=head.strip(), start=start, end=end, place=unit, precision=None,
                               confidence=0.0, evidence=[], reason="not in gazetteer")

    def _online(self, resolutions, query: str) -> tuple[Location | None, list[dict]]:
        """Ask the fallback about each candidate: (the accepted Location or None, the rejections)."""
        cands = [r for r in resolutions if needs_online(r)]
        head = self._uncovered_head(query, resolutions)
        if head is not None:
            cands.insert(0, head)
        rejected = []
        for r in cands:
            res = self.fallback.place_unknown(r, self.gazetteer)
            if not res:
                continue
            if res.get("accepted"):
                to_dict = getattr(r, "to_dict", None)
                row = to_dict() if callable(to_dict) else {
                    "text": r.text, "start": r.start, "end": r.end, "evidence": [], "reason": r.reason}
                row = apply_online(row, res)
                return Location(res["address"], (res["lat"], res["lon"]), row), rejected
            rejected.append(res)
        return None, rejected

    def geocode(self, query: str, *, exactly_one: bool = True, timeout=None, **_ignored):
        """Geocode a place name (optionally with context: "كنصفرة، جبل الزاوية", "Saraqib, Idlib").

        With a `fallback`, names the gazetteer lacks ("not in gazetteer", the wrong-context guard,
        or a first part of the query no mention covers) are asked online; an accepted online answer
        comes first, else the offline answer (the containing unit) with the rejection in its evidence.
        """
        if not isinstance(query, str) or not query.strip():
            return None if exactly_one else []
        parsed = self.geoparser.parse(query, query=True)
        rejected = []
        if self.fallback is not None:
            loc, rejected = self._online(parsed, query)
            if loc is not None:
                return loc if exactly_one else [loc]
        resolutions = [r for r in parsed if r.place is not None]
        if resolutions:
            # The mention to answer is the most specific one; the others are its context.
            main = min(resolutions, key=lambda r: (r.precision or 9, -(r.end - r.start)))
            d = main.to_dict()
            for res in rejected:  # what was asked online and why it was not taken
                apply_online(d, res)
            locs = [self._location(main.place, d)]
            for alt, _score in main.alternatives:
                locs.append(self._location(alt, {"id": alt.id, "name_en": alt.name_en, "name_ar": alt.name_ar,
                                                 "feature": alt.kind, "alternative_of": main.place.id}))
            return locs[0] if exactly_one else locs
        return None if exactly_one else []

    def reverse(self, query, *, exactly_one: bool = True, timeout=None, **_ignored):
        """The nearest Syrian village or town to a (lat, lon) point."""
        pt = Point(query)
        lat, lon = pt.latitude, pt.longitude
        coslat = math.cos(math.radians(lat))

        def d2(p: Place) -> float:
            return (p.lat - lat) ** 2 + ((p.lon - lon) * coslat) ** 2

        ranked = sorted(self._reverse_places, key=d2)[:5 if not exactly_one else 1]
        if not ranked:
            return None if exactly_one else []
        locs = []
        for p in ranked:
            dist = km(LatLon(lat, lon), p)
            raw = dict(p.to_dict(), distance_km=round(dist, 3))
            locs.append(self._location(p, raw))
        return locs[0] if exactly_one else locs

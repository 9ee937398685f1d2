"""geopy interface: `GazetteerGeocoder` answers `geocode()`/`reverse()` from the offline index.

It is a `geopy.geocoders.base.Geocoder`, so code written for Nominatim or any other geopy geocoder
can use it unchanged, and it returns geopy `Location`s whose `raw` holds our full answer
(precision, confidence, admin units, evidence).

`OnlineFallback` optionally asks an online geopy geocoder (Nominatim by default) for names the
gazetteer lacks: off unless asked for, rate-limited with geopy's `RateLimiter`, with a persistent
SQLite cache (geopy has none) so a name is fetched once, and timeouts reported, never raised.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from pathlib import Path

from geopy.exc import GeopyError
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from geodata.gazetteer import Gazetteer
from geodata.paths import data_home
from geodata.place import Place

log = logging.getLogger(__name__)
USER_AGENT = "incidentmap/0.1 (offline conflict-report geoparser; https://pypi.org/project/geopy/)"


def address_of(p: Place) -> str:
    parts = [p.label]
    if p.admin2 and p.admin2.id != p.id and p.kind not in ("governorate",):
        parts.append(p.admin2.name_en)
    if p.admin1 and p.admin1.id != p.id:
        parts.append(p.admin1.name_en)
    parts.append(p.country)
    return ", ".join(x for x in parts if x)


class OnlineFallback:
    """A rate-limited, cached online geopy geocoder for names the gazetteer does not know."""

    def __init__(self, geocoder: Geocoder | None = None, cache_path: str | Path | None = None,
                 min_delay_seconds: float = 1.0):
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
                                    max_retries=1, swallow_exceptions=False)
        self.service = f"{type(geocoder).__name__}:{getattr(geocoder, 'domain', '')}"
        self.errors: list[str] = []

    def geocode(self, query: str) -> Location | None:
        with sqlite3.connect(self.cache_path) as con:
            row = con.execute("SELECT answer FROM cache WHERE service=? AND query=?",
                              (self.service, query)).fetchone()
        if row is not None:
            ans = json.loads(row[0])
            return None if ans is None else Location(ans["address"], (ans["lat"], ans["lon"]), ans["raw"])
        try:
            loc = self._geocode(query, exactly_one=True)
        except GeopyError as exc:  # timeouts, refused connections, HTTP errors: say so, don't crash
            msg = f"online geocoder {self.service} failed for {query!r}: {exc.__class__.__name__}: {exc}"
            log.warning(msg)
            self.errors.append(msg)
            return None
        ans = None if loc is None else {"address": loc.address, "lat": loc.latitude,
                                        "lon": loc.longitude, "raw": loc.raw}
        with sqlite3.connect(self.cache_path) as con:
            con.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?)",
                        (self.service, query, json.dumps(ans, ensure_ascii=False), time.time()))
        return loc


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

    def geocode(self, query: str, *, exactly_one: bool = True, timeout=None, **_ignored):
        """Geocode a place name (optionally with context: "كنصفرة، جبل الزاوية", "Saraqib, Idlib")."""
        if not isinstance(query, str) or not query.strip():
            return None if exactly_one else []
        resolutions = [r for r in self.geoparser.parse(query) if r.place is not None]
        if resolutions:
            # The mention to answer is the most specific one; the others are its context.
            main = min(resolutions, key=lambda r: (r.precision or 9, -(r.end - r.start)))
            d = main.to_dict()
            locs = [self._location(main.place, d)]
            for alt, _score in main.alternatives:
                locs.append(self._location(alt, {"id": alt.id, "name_en": alt.name_en, "name_ar": alt.name_ar,
                                                 "feature": alt.kind, "alternative_of": main.place.id}))
            return locs[0] if exactly_one else locs
        if self.fallback is not None:
            loc = self.fallback.geocode(query)
            if loc is not None:
                raw = {"source": "online", "service": self.fallback.service, "precision": None,
                       "confidence": None, "online": loc.raw}
                loc = Location(loc.address, (loc.latitude, loc.longitude), raw)
                return loc if exactly_one else [loc]
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
        from geopy.distance import great_circle

        locs = []
        for p in ranked:
            dist = great_circle((lat, lon), (p.lat, p.lon)).km
            raw = dict(p.to_dict(), distance_km=round(dist, 3))
            locs.append(self._location(p, raw))
        return locs[0] if exactly_one else locs

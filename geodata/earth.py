"""Where on the earth: the one great-circle distance (`km`) and the one box of Syria (`SYRIA_BOX`,
and `NEAR_SYRIA` around it for points that still count as in the country)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from geopy.distance import EARTH_RADIUS as EARTH_RADIUS_KM


class LatLon(NamedTuple):
    """A bare point, for `km` between coordinates that are not a Place."""

    lat: float
    lon: float


def km(a, b) -> float:
    """Great-circle distance in km between two things with `lat` and `lon` (a Place, an overlay
    place, a LatLon). Inlined haversine: geopy's distance objects cost ~50 µs each, and scoring
    compares every candidate with every anchor (tests check it against geopy)."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Box:
    """A latitude/longitude box, degrees."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    def widened(self, degrees: float) -> "Box":
        return Box(round(self.south - degrees, 6), round(self.west - degrees, 6),
                   round(self.north + degrees, 6), round(self.east + degrees, 6))


# Syria's extent (it also covers slivers of Turkey, Iraq, Jordan and Lebanon: where that matters,
# the governorate polygons decide).
SYRIA_BOX = Box(south=32.3, west=35.6, north=37.4, east=42.4)
NEAR_DEGREES = 0.3  # a point this far outside the box still counts (border towns, rounded coordinates)
NEAR_SYRIA = SYRIA_BOX.widened(NEAR_DEGREES)

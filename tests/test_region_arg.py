"""--region of `export`/`report` (QA after issue 22): a mistyped file name was parsed as WKT ("not a
WKT polygon (ParseException: Unknown type: 'MISSING.GEOJSON')", never saying the file is missing), and
a GeoJSON Point exported 0 incidents with exit 0 as if the area were empty."""
import json

import pytest

from incidents.cli import main
from incidents.store import Store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    return str(path)


def test_a_missing_region_file_is_named_as_missing(db, tmp_path, capsys):
    missing = tmp_path / "idlib.geojson"
    assert main(["export", "--db", db, "--region", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"{missing}: no such file" in err and "ParseException" not in err


@pytest.mark.parametrize("geometry", [{"type": "Point", "coordinates": [36.6, 35.6]},
                                      {"type": "LineString", "coordinates": [[36.6, 35.6], [36.7, 35.7]]}])
def test_a_region_that_is_not_an_area_is_refused(db, tmp_path, capsys, geometry):
    path = tmp_path / "r.geojson"
    path.write_text(json.dumps(geometry), encoding="utf-8")
    assert main(["export", "--db", db, "--region", str(path)]) == 2
    assert f"{geometry['type']}, not a polygon" in capsys.readouterr().err
    assert main(["export", "--db", db, "--region", "POINT (36.6 35.6)"]) == 2


def test_a_broken_geojson_file_is_named(db, tmp_path, capsys):
    path = tmp_path / "r.geojson"
    path.write_text('{"type": "Polygon", "coordinates": [[[36', encoding="utf-8")
    assert main(["export", "--db", db, "--region", str(path)]) == 2
    assert str(path) in capsys.readouterr().err


def test_polygons_still_filter(db, tmp_path, capsys):
    square = [[[36.0, 35.0], [37.0, 35.0], [37.0, 36.0], [36.0, 36.0], [36.0, 35.0]]]
    path = tmp_path / "r.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square}}]}), encoding="utf-8")
    assert main(["export", "--db", db, "--region", str(path)]) == 0
    assert main(["export", "--db", db, "--region", "POLYGON ((36 35, 37 35, 37 36, 36 36, 36 35))"]) == 0

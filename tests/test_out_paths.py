"""`export --out` / `report --out` into a folder that does not exist (QA after issue 22): the
GeoPackage export ended in a pyogrio traceback naming 'x.gpkg.part.gpkg', the HTML report's error
named 'x.html.part', and the PDF report printed Chromium's D-Bus noise with "(exit 0)"."""
import pytest

from incidents.cli import main
from incidents.store import Store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    return str(path)


@pytest.mark.parametrize("cmd", [["export", "--format", "gpkg"], ["export", "--format", "kml"], ["export"],
                                  ["report", "--quiet"]])
@pytest.mark.parametrize("name", ["x.out", "x.html", "x.pdf", "x.gpkg"])
def test_out_in_a_missing_folder_is_one_error_line_naming_it(db, tmp_path, capsys, cmd, name):
    if cmd[0] == "report" and name not in ("x.html", "x.pdf"):
        return
    out = tmp_path / "no such folder" / name
    assert main([*cmd, "--db", db, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert str(out) in err and ".part" not in err and "no folder" in err
    assert not out.parent.exists()


@pytest.mark.parametrize("fmt", ["csv", "geojson", "kml"])
def test_out_dash_is_standard_output(db, tmp_path, monkeypatch, capsys, fmt):
    """`--out -` wrote a file named '-' in the working directory instead of standard output."""
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--db", db, "--format", fmt, "--out", "-"]) == 0
    assert not (tmp_path / "-").exists()
    assert capsys.readouterr().out.strip()

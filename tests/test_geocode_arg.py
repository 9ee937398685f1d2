"""`geocode NAME` when a folder of that name is in the working directory (QA after issue 18): an
analyst who keeps articles in per-governorate folders (Homs/, Idlib/) got "Homs: cannot read (Is a
directory)" for `incidentmap geocode Homs`. A folder is not a file to read: the argument is the name."""
from geodata.cli import _is_name


def test_a_folder_of_that_name_does_not_hide_the_place_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Homs").mkdir()
    (tmp_path / "Idlib").write_text("Saraqib", encoding="utf-8")
    assert _is_name("Homs")
    assert not _is_name("Idlib")  # an existing file is still read
    assert _is_name("Aleppo")
    assert not _is_name("-") and not _is_name("Homs", as_file=True)

"""The date filters of `export` and `report` (QA after issues 18/19/22): a date that is not a date
was compared as a string, so `--from 2020-13-45` or `--from yesterday` exported nothing and
`report --from 2020-02-30` reported a period that does not exist, all without a word."""
import pytest

from incidents.cli import main
from incidents.store import Store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    return str(path)


@pytest.mark.parametrize("cmd", [["export"], ["report", "--out", "r.html"]])
@pytest.mark.parametrize("flag,value", [("--from", "2020-13-45"), ("--from", "yesterday"),
                                        ("--to", "2020-02-30"), ("--to", "21/09/2020")])
def test_a_date_that_is_not_a_date_is_refused_naming_the_flag(db, tmp_path, monkeypatch, capsys, cmd, flag, value):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main([*cmd, "--db", db, flag, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert flag in err and value in err and "YYYY-MM-DD" in err
    assert not (tmp_path / "r.html").exists()


def test_from_after_to_is_an_error(db, tmp_path, capsys):
    assert main(["export", "--db", db, "--from", "2021-01-01", "--to", "2020-01-01"]) == 2
    assert "--from 2021-01-01 is after --to 2020-01-01" in capsys.readouterr().err


def test_a_valid_date_still_filters(db, capsys):
    assert main(["export", "--db", db, "--from", "2020-03-01", "--to", "2020-03-31"]) == 0
    assert "0 incident(s) exported" in capsys.readouterr().err

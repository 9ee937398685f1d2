"""Commands that change what a store holds need that store (QA after issue 18): `reprocess --db
typo.sqlite` made a new empty store and said "0 article(s) re-extracted" with exit 0, and `review
accept ID --db typo.sqlite` left an empty typo.sqlite and said the incident does not exist."""
import pytest

from incidents.cli import main


@pytest.mark.parametrize("cmd", [["reprocess", "--quiet"], ["reprocess", "--quiet", "--only-new-names"],
                                  ["review", "accept", "0123456789abcdef"],
                                  ["review", "set-type", "0123456789abcdef", "--event-type", "Battles"],
                                  ["review", "merge", "0123456789abcdef", "fedcba9876543210"],
                                  ["review", "split", "0123456789abcdef"]])
def test_a_missing_store_is_named_and_not_created(tmp_path, capsys, cmd):
    db = tmp_path / "typo.sqlite"
    assert main([*cmd, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"{db}: no incident store here" in err
    assert not db.exists()

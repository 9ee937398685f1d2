"""A CSV row whose date cell is empty (QA after issue 18, "warnings say only what is true"): the
warning said "no date column" of a file that has one."""
from incidents.articles import Article, read_table


def _warnings(tmp_path, content: str) -> list[list[str]]:
    path = tmp_path / "rows.csv"
    path.write_text(content, encoding="utf-8")
    return [a.warnings for a in read_table(str(path)) if isinstance(a, Article)]


def test_an_empty_date_cell_is_not_called_a_missing_column(tmp_path):
    (w,) = _warnings(tmp_path, "article_title,article_content,date\nA,Warplanes struck Saraqib.,\n")
    assert w == ["empty date cell and no date line; the publication date is unknown"]


def test_a_file_without_a_date_column_still_says_so(tmp_path):
    (w,) = _warnings(tmp_path, "article_title,article_content\nA,Warplanes struck Saraqib.\n")
    assert w == ["no date column and no date line; the publication date is unknown"]


def test_a_dated_row_has_no_warning(tmp_path):
    assert _warnings(tmp_path, "article_title,article_content,date\nA,Warplanes struck Saraqib.,2020-03-02\n") == [[]]

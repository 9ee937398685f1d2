"""The detail panel's HTML: the source passage with the place name highlighted, right-to-left for
Arabic (incidents.present.passage_html, shared with the reports).
Every piece of article text is escaped: titles and passages are untrusted."""

from __future__ import annotations

import html

from incidents.present import passage_html  # noqa: F401  (the panel and the review view use it from here)


def safe(text) -> str:
    """HTML-escaped, and no Markdown code spans either (ACLED writes Ma`arrat an Nu`man)."""
    return html.escape("" if text is None else str(text)).replace("`", "&#96;")

"""The detail panel's HTML: the source passage with the place name highlighted, right-to-left for
Arabic. Every piece of article text is escaped: titles and passages are untrusted."""

from __future__ import annotations

import html

from geodata.normalize import is_arabic


def passage_html(passage: str, passage_start: int, place_start: int | None, place_end: int | None) -> str:
    rtl = is_arabic(passage)
    if place_start is not None and place_end is not None and passage_start <= place_start < place_end:
        a, b = place_start - passage_start, place_end - passage_start
        if b <= len(passage):
            body = (html.escape(passage[:a]) + "<mark>" + html.escape(passage[a:b]) + "</mark>"
                    + html.escape(passage[b:]))
        else:
            body = html.escape(passage)
    else:
        body = html.escape(passage)
    direction = 'dir="rtl" style="text-align:right;font-size:1.05em"' if rtl else 'dir="ltr"'
    return f'<blockquote class="incident-passage" {direction}>{body}</blockquote>'


def safe(text) -> str:
    """HTML-escaped, and no Markdown code spans either (ACLED writes Ma`arrat an Nu`man)."""
    return html.escape("" if text is None else str(text)).replace("`", "&#96;")

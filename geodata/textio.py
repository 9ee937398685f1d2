"""Turn the bytes users hand us into text: encodings, binary files, HTML.

UTF-8 (with or without BOM) and UTF-16 with a BOM are read as such; other bytes are tried as
Windows-1256 (Arabic) when that yields mostly Arabic letters, else as Latin-1. Binary files and
HTML are recognised; HTML is reduced to its visible text.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from geodata.normalize import ARABIC_LETTERS


class UnreadableInput(ValueError):
    """Input that cannot be turned into text; the message names the file and the reason."""


_HTML_HINT = re.compile(r"<(html|body|p|div|br|span|article|script|a)\b[^>]*>", re.I)


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("p", "br", "div", "li", "h1", "h2", "h3", "tr", "article"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    p = _TextExtractor()
    p.feed(markup)
    p.close()
    text = html.unescape("".join(p.parts))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def looks_like_html(text: str) -> bool:
    return len(_HTML_HINT.findall(text[:20000])) >= 2


def decode_bytes(data: bytes, name: str = "<input>") -> tuple[str, str]:
    """(text, encoding used). Raises UnreadableInput for binary data."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UnreadableInput(f"{name}: UTF-16 byte-order mark but undecodable ({exc})") from exc
    sample = data[:65536]
    if b"\x00" in sample:
        raise UnreadableInput(f"{name}: looks like a binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    as_arabic = data.decode("cp1256", errors="replace")
    high = [c for c in as_arabic if ord(c) > 127]
    if high and sum(1 for c in high if ARABIC_LETTERS.match(c)) / len(high) > 0.6:
        return as_arabic, "cp1256"
    try:
        return data.decode("latin-1"), "latin-1"
    except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes every byte
        raise UnreadableInput(f"{name}: not UTF-8, Windows-1256 or Latin-1 ({exc})") from exc


def read_text_file(path: str, max_bytes: int = 60_000_000) -> tuple[str, str]:
    """Read a file as text (see decode_bytes); HTML is reduced to its text."""
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise UnreadableInput(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:
        raise UnreadableInput(f"{path}: larger than {max_bytes // 1_000_000} MB; split it first")
    if not data.strip():
        raise UnreadableInput(f"{path}: empty file")
    text, enc = decode_bytes(data, path)
    if looks_like_html(text):
        text = html_to_text(text)
        enc += "+html"
    return text, enc

"""Turn the bytes users hand us into text: encodings, binary files, HTML.

UTF-8 (with or without BOM) and UTF-16 with a BOM are read as such; other bytes are tried as
Windows-1256 (Arabic) when that yields mostly Arabic letters, else as Latin-1 (`detect_encoding`,
the one rule for a file read whole or, by the backfill, as a stream; `decode_bytes(..., guess=True)`
asks charset-normalizer for better than Latin-1, as a fetched page does). Binary files and HTML are
recognised; HTML is reduced to its visible text.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Callable, Iterable, NamedTuple

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


class Encoding(NamedTuple):
    """How to decode some bytes: `bytes[skip:].decode(codec, errors)`."""

    codec: str
    errors: str = "strict"
    skip: int = 0  # a byte-order mark's bytes


HEAD_BYTES = 65536  # where a byte-order mark and NUL bytes are looked for


def detect_encoding(head: bytes, chunks: Callable[[], Iterable[bytes]] | None = None,
                    name: str = "<input>") -> Encoding:
    """The encoding of some bytes: `head` is their first HEAD_BYTES (or all of them), `chunks()` gives
    all of them again, in pieces cut at b"\n" (a file read line by line; default: `head` is all).
    A BOM, else UTF-8 if every byte is, else Windows-1256 when most high characters read as Arabic
    letters, else Latin-1. Raises UnreadableInput for binary data (NUL bytes in the head)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return Encoding("utf-8", "replace", 3)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Encoding("utf-16")
    if b"\x00" in head[:HEAD_BYTES]:
        raise UnreadableInput(f"{name}: looks like a binary file (contains NUL bytes), not text")
    chunks = chunks or (lambda: (head,))
    try:
        for raw in chunks():
            raw.decode("utf-8")
        return Encoding("utf-8")
    except UnicodeDecodeError:
        pass
    high = arabic = 0
    for raw in chunks():
        chars = [c for c in raw.decode("cp1256", errors="replace") if ord(c) > 127]
        high += len(chars)
        arabic += sum(1 for c in chars if ARABIC_LETTERS.match(c))
    return Encoding("cp1256", "replace") if high and arabic / high > 0.6 else Encoding("latin-1")


def decode_bytes(data: bytes, name: str = "<input>", guess: bool = False) -> tuple[str, str]:
    """(text, encoding used) by `detect_encoding`; with `guess`, charset-normalizer's best reading
    instead of its last resort, Latin-1. Raises UnreadableInput for binary data."""
    enc = detect_encoding(data, name=name)
    if enc.skip:
        return data[enc.skip:].decode(enc.codec, enc.errors), "utf-8-sig"
    try:
        text = data.decode(enc.codec, enc.errors)
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"{name}: UTF-16 byte-order mark but undecodable ({exc})") from exc
    if guess and enc.codec == "latin-1":
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return str(best), best.encoding
    return text, enc.codec


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

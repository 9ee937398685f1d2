"""Free text (notes, names, titles, reasons: written by people, some of them adversaries) made safe to
print as one field of a line: control characters, line and paragraph separators and bidirectional
overrides are written as escapes (`\\n`, `\\t`, `\\x1b`, `\\u202e`), so a note cannot start a second,
forged log entry, split a tab-separated listing, move the cursor or reverse what follows. Letters,
Arabic marks and the joiners Arabic and Persian text need (ZWJ, ZWNJ, LRM, RLM, ALM) are kept.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_ESCAPED = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_TABLE = {c: _NAMED.get(chr(c)) or (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _ESCAPED}


def printable(value) -> str:
    """`value` as text that stays on its line and in its field (None: the empty string)."""
    if value is None:
        return ""
    return str(value).translate(_TABLE)

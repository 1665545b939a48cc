"""Text broken at a line's or a page's end, joined again: one rule for every reader.

Chinese wraps anywhere, so nothing goes between the pieces, unless both sides of
the break are Latin letters or digits (a word or a number cut by the wrap): then
one space. The PDF reader's lines, the OCR reader's pieces and a table row split
over a page break (``ingest.tables``) are joined by it. (``extractors.linewrap``
repairs hard-wrapped text with a rule of its own: letters only, digits join.)
"""

from __future__ import annotations


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def needs_space(left: str, right: str) -> bool:
    """Whether a space goes between ``left`` and ``right`` where a wrap parted them."""
    return bool(left) and bool(right) and _latin(left[-1]) and _latin(right[0])


def join_pieces(left: str, right: str) -> str:
    """``left`` and ``right`` joined across a wrap (see the module docstring)."""
    return f"{left} {right}" if needs_space(left, right) else left + right

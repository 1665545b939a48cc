"""File names as staff can read them, whatever bytes the file system holds.

Python gives a name that is not UTF-8 (a zip made on Chinese Windows and
unpacked with ``unzip`` on Linux leaves GBK bytes) as a ``str`` with
surrogate escapes (PEP 383): opening the file with it works, but writing it
to SQLite, JSON or the terminal raises ``UnicodeEncodeError``. The OS path is
kept as it is for opening the file; :func:`readable` is what is shown and
stored. Imports nothing of saidao (a leaf like ``saidao.errors``).
"""

from __future__ import annotations

#: Encodings tried, per path component, for bytes that are not UTF-8. GB18030 is a
#: superset of GBK and GB2312, the encodings of Chinese Windows.
FALLBACK_ENCODINGS = ("gb18030",)


def is_clean(text: str) -> bool:
    """True when ``text`` can be written as UTF-8 (no surrogate escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def readable(text: str) -> str:
    """``text`` with every component that holds undecodable bytes decoded as GB18030,
    or, when those bytes are not GB18030 either, shown as visible ``\\xNN`` escapes.

    Decoded per ``/``-separated component, because a folder in UTF-8 may hold
    a file whose name is GBK. Always returns a ``str`` that encodes as UTF-8.
    """
    if is_clean(text):
        return text
    raw = text.encode("utf-8", "surrogateescape") if _escapes_only(text) else None
    if raw is None:  # lone surrogates that are not escaped bytes: show them escaped
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "/".join(_component(part) for part in raw.split(b"/"))


def _escapes_only(text: str) -> bool:
    """True when every surrogate is a PEP 383 escape (U+DC80..U+DCFF)."""
    return all(not 0xD800 <= ord(ch) <= 0xDFFF or 0xDC80 <= ord(ch) <= 0xDCFF for ch in text)


def _component(raw: bytes) -> str:
    for encoding in ("utf-8", *FALLBACK_ENCODINGS):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")

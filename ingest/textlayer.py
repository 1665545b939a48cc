"""Is a page's text layer missing or garbled, so that the page must be OCR'd?

A PDF page can carry text that is useless: a scan has none (only an image), a
file made with a broken font map yields private-use code points, U+FFFD,
``(cid:NN)`` placeholders or control characters, a pipeline that decoded UTF-8
or GBK as Latin-1 yields ``Ã¥Â`` runs, and a wrong CJK map yields real but
implausible characters (mostly rare ones). Each of these is measured as a
share of the page's visible characters; the thresholds live in ReadSettings.
The functions take plain text so every reader (and OCR) can reuse them.
"""

from __future__ import annotations

import re
import unicodedata

from saidao.settings import ReadSettings

NO_TEXT = "no text layer"
GARBLED = "garbled text layer"

#: Private-use code points that symbol fonts (Wingdings) use for check boxes:
#: they are meaningful glyphs, not garbage.
SYMBOL_BOX_CODES = frozenset(
    chr(c) for c in (0xF0A8, 0xF0FE, 0xF0FD, 0xF06F, 0xF06E, 0xF078, 0xF0A3, 0xF052, 0xF054, 0xF0FC, 0xF050, 0xF071)
)

_CID = re.compile(r"\(cid:\d+\)")
# Runs of Latin-1 / cp1252 letters and symbols: where UTF-8- or GBK-as-Latin-1 mojibake lives.
_LATIN_RUN = re.compile(r"[\u0080-\u024f\u02c6\u02dc\u2013-\u203a\u20ac\u2122]{2,}")
_MIN_CJK_FOR_PLAUSIBILITY = 20


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\U00020000" <= ch <= "\U0002ffff"


def _is_common_cjk(ch: str) -> bool:
    """GB2312 level 1 (3755 everyday simplified characters) or Big5 level 1 (traditional)."""
    try:
        gb = ch.encode("gb2312")
        if 0xB0 <= gb[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        big5 = ch.encode("big5")
        return 0xA440 <= int.from_bytes(big5, "big") <= 0xC67E
    except UnicodeEncodeError:
        return False


def _is_mojibake(run: str) -> bool:
    """True when a Latin run re-encodes to bytes that decode cleanly as UTF-8 or GBK text."""
    for legacy in ("cp1252", "latin-1"):
        try:
            raw = run.encode(legacy)
        except UnicodeEncodeError:
            continue
        for codec in ("utf-8", "gbk"):
            try:
                decoded = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if any(_is_cjk(c) or unicodedata.category(c) == "Po" and ord(c) > 0x2000 for c in decoded):
                return True
    return False


def _is_bad_char(ch: str) -> bool:
    if ch in SYMBOL_BOX_CODES:
        return False
    if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd":
        return True
    return unicodedata.category(ch) in ("Cc", "Co", "Cs") and ch not in "\t\n\r"


def bad_char_share(text: str) -> float:
    """Share of visible characters that are junk: PUA, U+FFFD, (cid:NN), controls, mojibake."""
    cid_chars = sum(len(m) for m in _CID.findall(text))
    text = _CID.sub("", text)
    visible = [c for c in text if not c.isspace() or unicodedata.category(c) == "Cc" and c not in "\t\n\r "]
    total = len(visible) + cid_chars
    if total == 0:
        return 0.0
    bad = cid_chars + sum(1 for c in visible if _is_bad_char(c))
    bad += sum(len(m) for m in _LATIN_RUN.findall(text) if _is_mojibake(m))
    return min(1.0, bad / total)


def rare_cjk_share(text: str) -> float:
    """Share of CJK characters outside the everyday sets; 0 when there are too few to judge."""
    cjk = [c for c in text if _is_cjk(c)]
    if len(cjk) < _MIN_CJK_FOR_PLAUSIBILITY:
        return 0.0
    return sum(1 for c in cjk if not _is_common_cjk(c)) / len(cjk)


def text_layer_problem(text: str, has_images: bool, settings: ReadSettings) -> str:
    """"" when the text layer is usable, else NO_TEXT or GARBLED (the reason shown to users).

    Real policy text is > 90 % everyday characters; a wrong CJK map is a near
    uniform draw from the 20 000-character block, of which only ~20 % are
    everyday, so "more than half rare" separates them with a wide margin.
    """
    visible = sum(1 for c in text if not c.isspace())
    if visible < settings.min_text_chars:
        return NO_TEXT if has_images else ""
    if bad_char_share(text) > settings.garbled_threshold:
        return GARBLED
    if rare_cjk_share(text) > 0.5:
        return GARBLED
    return ""

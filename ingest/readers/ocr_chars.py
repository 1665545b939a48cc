"""Repairs of one recognised line decided from the recogniser's own per-character output.

The recogniser (CTC) emits each character at one of its output columns; the
page pipeline keeps each character's x span (centred on that column, see
``ocr_engine.char_spans``) and its confidence. Two readings follow from that
geometry alone, without a word list:

* **A glyph read twice.** CTC merges a character repeated in adjacent
  columns, so a glyph emitted twice has a blank column between the two; on a
  Chinese line the characters stand one *pitch* apart (about five columns: the
  recogniser scales every line to the same height and Chinese glyphs are
  square). Two identical characters much closer than a pitch are one glyph
  (引引进 → 引进); a real reduplication (常常, 研究研究, 星星) stands a full
  pitch apart and stays. Measured on scan set 2 (seven files, 8,900 pairs of
  Chinese characters): every real pair stood ≥ 0.6 pitch apart, the one
  doubled glyph 0.4.
* **A mark left out inside a line.** A full-width 、，。 takes a whole
  character cell; where the recogniser dropped it, two Chinese characters
  stand about two pitches apart (:func:`inner_gaps`); at the line's end its
  box runs on a cell past the last character (:func:`trailing_room`). The page
  pipeline re-reads such a cell (``ocr._read_inner_marks``).

Only OCR'd lines come here; the line's ``raw`` keeps what the recogniser read.
"""

from __future__ import annotations

import re
from statistics import median

from saidao.ingest.readers.scan_layout import OcrLine

_HANZI = re.compile(r"[\u4e00-\u9fff]")
#: Sentence marks Chinese never writes twice in a row (…… and —— are written doubled).
SINGLE_MARKS = frozenset("。，、；：")
#: Two identical characters closer than this share of the pitch are one glyph read twice.
DOUBLED_AT = 0.5
#: … or closer than this, when the recogniser was unsure of one of them.
DOUBLED_UNSURE_AT = 0.65
UNSURE = 0.98
#: Consecutive Chinese characters needed on a line to know its pitch.
MIN_PAIRS = 3


def hanzi(ch: str) -> bool:
    return bool(_HANZI.fullmatch(ch))


def centres(line: OcrLine) -> list[float] | None:
    """The x centre of every character of ``line``, or None without spans."""
    if not line.text or len(line.char_xs) != len(line.text):
        return None
    return [(a + b) / 2 for a, b in line.char_xs]


def pitch(line: OcrLine) -> float | None:
    """The line's character pitch: the median distance between the centres of consecutive
    Chinese characters (identical pairs left out: they are what is being judged); None
    on a line with fewer than three such pairs (a name cell, a code)."""
    xs = centres(line)
    if xs is None:
        return None
    text = line.text
    steps = [xs[i + 1] - xs[i] for i in range(len(text) - 1)
             if hanzi(text[i]) and hanzi(text[i + 1]) and text[i] != text[i + 1]]
    if len(steps) < MIN_PAIRS:
        return None
    return float(median(steps))


def doubled_glyphs(line: OcrLine) -> list[int]:
    """Indices of the second character of every glyph read twice on ``line``.

    A pair of identical Chinese characters (or of a mark in :data:`SINGLE_MARKS`)
    whose centres stand less than :data:`DOUBLED_AT` of the line's pitch apart, or
    less than :data:`DOUBLED_UNSURE_AT` when the recogniser's confidence in either
    is below :data:`UNSURE`. Without spans or a pitch nothing is judged.
    """
    step = pitch(line)
    xs = centres(line)
    if step is None or xs is None:
        return []
    confs = line.char_confs if len(line.char_confs) == len(line.text) else None
    text = line.text
    out = []
    for i in range(1, len(text)):
        ch = text[i]
        if ch != text[i - 1] or not (hanzi(ch) or ch in SINGLE_MARKS):
            continue
        share = (xs[i] - xs[i - 1]) / step
        unsure = confs is not None and min(confs[i - 1], confs[i]) < UNSURE
        if share < DOUBLED_AT or (unsure and share < DOUBLED_UNSURE_AT):
            out.append(i)
    return out


def read_once(line: OcrLine) -> bool:
    """Drop from ``line`` every glyph read twice (see :func:`doubled_glyphs`); True if any.

    The second reading's span joins the first's, so the kept character covers
    the ink of both.
    """
    twice = doubled_glyphs(line)
    if not twice:
        return False
    for i in twice:
        (a0, _), (_, b1) = line.char_xs[i - 1], line.char_xs[i]
        line.char_xs[i - 1] = (a0, b1)
        if len(line.char_confs) == len(line.text):
            line.char_confs[i - 1] = max(line.char_confs[i - 1], line.char_confs[i])
    gone = set(twice)
    line.keep([i for i in range(len(line.text)) if i not in gone])
    return True


#: A gap between two Chinese characters this many pitches wide or more held a character
#: cell the recogniser left empty (a full-width mark takes a whole cell: two pitches).
GAP_AT = 1.6
#: … and one this wide or more is a deliberate space (a table column, a form's blank).
GAP_TOO_WIDE = 2.6


def inner_gaps(line: OcrLine) -> list[int]:
    """Indices ``i`` where a mark may have stood between characters ``i - 1`` and ``i``.

    Both are Chinese characters, their centres stand between :data:`GAP_AT` and
    :data:`GAP_TOO_WIDE` pitches apart, and neither is a mark already. Without
    spans or a pitch (a short cell, a code) there are none.
    """
    step = pitch(line)
    xs = centres(line)
    if step is None or xs is None:
        return []
    text = line.text
    return [i for i in range(1, len(text))
            if hanzi(text[i - 1]) and hanzi(text[i])
            and GAP_AT * step <= xs[i] - xs[i - 1] < GAP_TOO_WIDE * step]


#: Room after a line's last Chinese character (from its centre to the end of the line's
#: box) of at least this many pitches holds a cell the reading left empty. Measured on
#: scan set 2 (seven files): 0.3–0.9 pitch at the end of 521 of 533 lines ending in a Chinese character.
TRAILING_ROOM = 1.0


def trailing_room(line: OcrLine) -> bool:
    """True when the line's box runs on a cell past its last Chinese character, where a
    line-end mark the recogniser left out (能源、 at the end of a line) would stand."""
    step = pitch(line)
    xs = centres(line)
    if step is None or xs is None or not hanzi(line.text[-1]):
        return False
    return line.box[2] - xs[-1] >= TRAILING_ROOM * step

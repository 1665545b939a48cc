"""Lookalike glyphs in OCR'd running text, put back where the word list says so.

The recogniser confuses characters one stroke apart: 土 and 士, 已 and 己, 未 and
末, 人 and 入. Read alone each is a real character, so no character-level check
finds the slip; the word around it does. 「给予士地、能耗等要素保障」 has no word
士地, and 土地 is one of the commonest words of a policy text.
:func:`restore_words` compares, for every lookalike in a phrase, how likely the
phrase is as read and with the other glyph, under jieba's word-frequency model
(the best segmentation's log-probability, which is what jieba itself maximises),
and takes the other glyph only when the phrase becomes far likelier.

Decisions:

* The pairs (:data:`LOOKALIKES`) are glyphs that differ by one short stroke or
  a stroke's length, as printed; a glyph is only ever replaced by its listed
  partners, never by any character the model would like better.
* "Far likelier": :data:`MARGIN` nats, measured so that no phrase of the
  project's correct texts (the seed policies, the bundled corpus, the
  generated policy set and the declaration golds: ~400,000 characters) changes
  (``tests/test_ocr_words.py``), while 士地 → 土地 (+7.5) passes.
* The replaced glyph must end up inside a word of two or more characters and
  must have stood alone as read: a change that only reshuffles single
  characters is not evidence.
* One glyph per phrase: two slips next to each other are beyond this rule.
* Only for OCR'd running text (the caller checks provenance); names, codes and
  table cells are not prose, and a typed text is what its writer typed.
* The reading is kept by the caller with the reason (Chinese, for staff).

jieba's dictionary (``dict.txt`` in its wheel) is the word list, read once per process on
the first OCR'd text (``corpus.words.word_frequencies``: jieba's own model, 0.3 CPU s to
load against jieba's 1.0).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from saidao.corpus.words import WordFrequencies, word_frequencies

__all__ = ["LOOKALIKES", "MARGIN", "WordFix", "restore_words", "why"]

#: Groups of glyphs the recogniser reads one for another (one stroke apart as printed).
LOOKALIKE_GROUPS = (
    "土士", "己已巳", "未末", "人入", "日曰", "千干", "天夭", "戊戌戍", "侯候", "拨拔",
    "淮准", "崇祟", "折拆", "贷货", "今令", "采釆", "免兔", "刺剌", "茶荼", "汩汨",
    "壁璧", "辨辩", "大太", "木术", "儿几", "乌鸟", "历厉", "扰忧", "栽载", "阎阁",
)
#: Each glyph with the glyphs it may stand for.
LOOKALIKES: dict[str, str] = {g: group.replace(g, "") for group in LOOKALIKE_GROUPS for g in group}
#: How much likelier (natural log of the probability ratio) the phrase must become.
MARGIN = 5.0
#: A phrase: the run between two punctuation marks (the context jieba sees).
_PHRASE = re.compile(r"[^\s，。、；：！？,.;:!?（）()“”\"'《》【】\[\]]+")


@dataclass(frozen=True)
class WordFix:
    """One glyph put back: where (offset in the text), what was read, what it became, the gain."""

    at: int
    printed: str
    restored: str
    word: str
    gain: float


def _word_at(spans: list[tuple[int, int]], i: int) -> tuple[int, int]:
    return next(s for s in spans if s[0] <= i < s[1])


def _fix_phrase(model: WordFrequencies, phrase: str) -> tuple[int, str, str, float] | None:
    """The one lookalike of ``phrase`` whose partner makes it far likelier, or None."""
    if not any(ch in LOOKALIKES for ch in phrase):
        return None
    score, spans = model.best(phrase)
    found: list[tuple[float, int, str, str]] = []
    for i, ch in enumerate(phrase):
        if ch not in LOOKALIKES or _word_at(spans, i) != (i, i + 1):
            continue  # not a lookalike, or already part of a word as read
        for other in LOOKALIKES[ch]:
            alt = phrase[:i] + other + phrase[i + 1:]
            alt_score, alt_spans = model.best(alt)
            start, end = _word_at(alt_spans, i)
            if end - start >= 2 and alt_score - score >= MARGIN:
                found.append((alt_score - score, i, other, alt[start:end]))
    if len(found) != 1:
        return None  # nothing, or two slips / two readings: beyond this rule
    gain, i, other, word = found[0]
    return i, other, word, gain


def restore_words(text: str, keep: Sequence[str] = ()) -> tuple[str, list[WordFix]]:
    """``text`` with lookalike glyphs put back where one phrase says so, and what was done.

    ``keep``: names the document prints elsewhere (its firms, its platforms); a glyph
    inside one of them in ``text`` is left as read (金宇生物, 黑老夭信用社 are names, not
    slips, though 金字 and 老天 are likelier words).

    >>> restore_words("对重点项目给予士地、能耗等要素保障。")[0]
    '对重点项目给予土地、能耗等要素保障。'
    >>> restore_words("博士地位与人才引进并重，己有进展。")[0]
    '博士地位与人才引进并重，已有进展。'
    >>> restore_words("引进人才，未来可期。")  # nothing to do
    ('引进人才，未来可期。', [])
    """
    fixes: list[WordFix] = []
    if not text or not any(ch in LOOKALIKES for ch in text):
        return text, fixes
    model = word_frequencies()
    kept = _kept_positions(text, keep)
    out = list(text)
    for m in _PHRASE.finditer(text):
        hit = _fix_phrase(model, m.group())
        if hit is None:
            continue
        i, other, word, gain = hit
        at = m.start() + i
        if at in kept:
            continue
        fixes.append(WordFix(at, text[at], other, word, round(gain, 1)))
        out[at] = other
    return "".join(out), fixes


def _kept_positions(text: str, names: Sequence[str]) -> set[int]:
    """Offsets in ``text`` covered by one of ``names`` (two characters or more)."""
    kept: set[int] = set()
    for name in {n for n in names if len(n) >= 2}:
        for m in re.finditer(re.escape(name), text):
            kept.update(range(m.start(), m.end()))
    return kept


def why(fixes: list[WordFix]) -> str:
    """The reason staff read (Chinese)."""
    parts = "；".join(f"“{f.printed}”按词语“{f.word}”读作“{f.restored}”" for f in fixes)
    return f"识别文字中的形近字更正：{parts}"

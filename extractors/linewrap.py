"""Rebuild logical paragraphs from hard-wrapped lines (PDF pages, extracted .txt).

A PDF or a text dump of one gives *visual* lines: a sentence is cut wherever
the line was full, page breaks leave page numbers, letterheads and a stray
leading space, and extraction often puts blank lines between every line. The
rules follow how Chinese official documents (公文) are typeset:

* a line is joined to the paragraph before it unless that paragraph ends a
  sentence or the line starts a numbered item or heading;
* in a hard-wrapped document, a line that stops well short of the usual full
  width ended its paragraph (a heading, a signature, a last line); a full line
  that does not end a sentence was wrapped;
* in a document whose lines are whole paragraphs (no common full width),
  a line is joined only when it visibly stops mid-clause (it ends with ，、 or
  has clause punctuation but no sentence end);
* blank lines carry no meaning (they appear inside sentences too);
* lines with tabs are flattened table rows and are never joined.

Every paragraph remembers the indices of the source lines it was built from,
so provenance survives. Text is only stripped and joined here; width folding
and spacing are :func:`saidao.extractors.normalize.normalize`'s job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from saidao.extractors.text_width import is_cjk

Kind = Literal["text", "heading", "title", "standalone", "table"]


@dataclass(slots=True)
class RepairedParagraph:
    """One logical paragraph and the 0-based indices of its source lines."""

    text: str
    lines: list[int] = field(default_factory=list)
    kind: Kind = "text"


_CN_NUM = "[一二三四五六七八九十百零〇两]+"
#: Markers that open a numbered item or a heading at the start of a line.
HEADING_START = re.compile(
    rf"^\s*(?:{_CN_NUM}\s*、"
    rf"|[（(]\s*{_CN_NUM}\s*[）)]"
    r"|[（(]\s*\d{1,3}\s*[）)]"
    r"|\d{1,3}\s*(?:[、．]|\.(?!\d))"
    r"|[\u2460-\u2487\u2776-\u277f]"
    rf"|第\s*(?:{_CN_NUM}|\d(?:\s*\d)*)\s*[章节条部编篇]"
    r"|专栏\s*\d+"
    r"|附件(?:\s*\d|\s*[：:]|\s*$))"
)
#: The same markers inside a line, right after a sentence end: …。（二）xxx
_INLINE_HEADING = re.compile(
    rf"(?<=[。！？；!?;：:])\s*(?=[（(]{_CN_NUM}[）)]|{_CN_NUM}、|第\s*(?:{_CN_NUM}|\d(?:\s*\d)*)\s*[章节条]"
    r"|\d{1,2}(?:、|\.(?!\d))[\u4e00-\u9fff]|[\u2460-\u2487])"
)

_DATE_LINE = re.compile(
    r"^(?:\d{4}|[〇一二三四五六七八九零○]{4})年\d{1,2}月\d{1,2}日(?:印发|发布)?$"
    r"|^[〇一二三四五六七八九零○]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日$"
    r"|^\d{4}(?P<sep>[.\-/])\d{1,2}(?P=sep)\d{1,2}$"
)
_ISSUED_LINE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(?:印发|发布)$")
_DOC_NUMBER_LINE = re.compile(r"^[\u4e00-\u9fff]{1,14}[〔\[［【(（]\d{4}[〕\]］】)）]\d{1,4}号$")

_PAGE_NUMBER_DECORATED = re.compile(
    r"^[-—–－~·•‐\s]+\d{1,4}[-—–－~·•‐\s]+$"
    r"|^第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?$"
    r"|^\d{1,4}\s*/\s*\d{1,4}$"
    r"|^(?:page|p\.)\s*\d{1,4}(?:\s*of\s*\d{1,4})?$",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(r"^\d{1,3}$")
_NUMBER_TOKEN = re.compile(r"^[<>≥≤]?\d+(?:\.\d+)?%?$")

FINAL = "。！？；!?;…"
COLONS = "：:"
CLAUSE_MARKS = "，。；：、,;:！？"
CONTINUES = "，,、（(“‘《〔【—-/"
OPENERS = {
    "）": "（",
    ")": "(",
    "”": "“",
    "’": "‘",
    "》": "《",
    "】": "【",
    "〕": "〔",
    "」": "「",
    "』": "『",
}
_TITLE_CHARS = re.compile(r"^[\u4e00-\u9fff《》“”〈〉]+$")

#: A line at least this share of the document's full width counts as full.
FULL_SHARE = 0.88
#: A closing note naming who carries an item out.
_UNIT_NOTE = re.compile(r"^[（(]\s*(?:牵头|责任|配合|主责|协办|实施)(?:单位|部门)\s*[：:]")


def display_width(text: str) -> int:
    """Columns a line takes: 2 for wide characters, 1 otherwise.

    Ambiguous-width marks (“ ” — …) are full-width in Chinese fonts, so they count 2.
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def is_heading_start(line: str) -> bool:
    """True if ``line`` begins with a numbered-item or heading marker.

    >>> [is_heading_start(s) for s in ["（一）指导思想。", "1.强化", "第三章 保障", "2.1 智能制造", "（市）"]]
    [True, True, True, False, False]
    """
    return bool(HEADING_START.match(line))


def is_page_artefact(line: str) -> bool:
    """Decorated page numbers and Mongolian-script letterhead lines.

    >>> [is_page_artefact(s) for s in ["- 3 -", "—3—", "·12·", "第3页", "第 3 页 共 10 页", "3", "3.5"]]
    [True, True, True, True, True, False, False]
    """
    text = line.strip()
    if not text:
        return False
    if _PAGE_NUMBER_DECORATED.match(text):
        return True
    letters = [ch for ch in text if not ch.isspace()]
    mongolian = sum(1 for ch in letters if 0x1800 <= ord(ch) <= 0x18AF)
    return mongolian * 2 >= len(letters)


def is_standalone(line: str) -> bool:
    """Lines that are a paragraph on their own: dates, 文号, (此件公开发布).

    >>> [is_standalone(s) for s in [" 2021年 10月 15 日", "内政发〔2021〕13 号", "（此件公开发布）", "到2025年"]]
    [True, True, True, False]
    """
    compact = re.sub(r"\s+", "", line)
    if _DATE_LINE.match(compact) or _DOC_NUMBER_LINE.match(compact):
        return True
    if _ISSUED_LINE.search(compact):
        return True
    return len(compact) >= 2 and compact[0] in "（(" and compact[-1] in "）)" and _balanced(compact)


def _balanced(text: str) -> bool:
    """True if the first bracket of ``text`` closes at its last character."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "（("
        depth -= ch in "）)"
        if depth == 0:
            return i == len(text) - 1
    return False


def _opener_index(text: str) -> int | None:
    """Index of the bracket or quote that the closing mark at the end of ``text`` closes."""
    closer = text[-1]
    opener = OPENERS[closer]
    if opener == closer:
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == closer:
            depth += 1
        elif text[i] == opener:
            depth -= 1
            if depth == 0:
                return i
    return None


def _open_bracket_pending(text: str, window: int = 150) -> bool:
    """An opening （ or “ or 《 in the recent text is still unclosed."""
    tail = text[-window:]
    for closer, opener in (("）", "（"), (")", "("), ("”", "“"), ("》", "《")):
        if tail.count(opener) > tail.count(closer):
            return True
    return False


def ends_sentence(text: str) -> bool:
    """True if ``text`` ends a sentence, so the next line starts a new paragraph.

    A closing bracket or quote ends a sentence only if a sentence end precedes
    it (``。”``), or it closes a note after a sentence (``…。（责任单位：…）``) or
    a whole-paragraph parenthetical; ``人才“第一资源”`` at a line end does not.

    >>> [ends_sentence(s) for s in ["区。", "各大企业、事业单位：", "人才“第一资源”", "发展。（责任单位：科技厅）"]]
    [True, True, False, True]
    >>> [ends_sentence(s) for s in ["（责任单位：", "“是”。”", "（国发〔2020〕7号）", "关于促进"]]
    [False, True, True, False]
    """
    text = text.rstrip()
    if not text:
        return False
    last = text[-1]
    if last in FINAL or last in COLONS:
        return not (_open_bracket_pending(text) and last not in "。！？!?")
    if last not in OPENERS:
        return False
    body = text.rstrip("".join(OPENERS))
    if body and body[-1] in FINAL:
        return True
    start = _opener_index(text)
    if start is None:
        return False
    if _UNIT_NOTE.match(text[start:]):
        return True  # …给予奖励（牵头单位：市工信局；责任单位：…）: the note closes the item
    return start == 0 or text[start - 1] in FINAL


def _full_width_of(widths: list[int]) -> float | None:
    """The width from which a line counts as full, or None if the text is not hard-wrapped.

    Hard-wrapped text has most lines at a few recurring widths: the body
    width, the body width minus the first-line indent, a boxed 专栏's width.
    Text with one paragraph per line has no such recurring widths. A line is
    full if it reaches ``FULL_SHARE`` of the narrowest recurring wide width.
    """
    candidates = [w for w in widths if w >= 16]
    if len(candidates) < 6:
        return None
    support = max(4, 0.05 * len(candidates))
    common = [
        w for w in set(candidates) if sum(1 for c in candidates if abs(c - w) <= 1) >= support
    ]
    # a recurring short width (a column of 牵头单位：… lines) is not the page width
    ninetieth = sorted(candidates)[int(0.9 * (len(candidates) - 1))]
    common = [w for w in common if w >= 0.6 * ninetieth]
    if not common:
        return None
    wide = [w for w in common if w >= 0.75 * max(common)]
    covered = sum(1 for c in candidates if any(abs(c - w) <= 1 for w in common))
    if covered < 0.5 * len(candidates):
        return None
    return FULL_SHARE * min(wide)


@dataclass(slots=True)
class _Line:
    index: int
    text: str
    width: int
    heading: bool
    standalone: bool
    table: bool


def is_spaced_table_row(line: str) -> bool:
    """A table row flattened with spaces: ends in a number and starts with one or has decimals.

    >>> [is_spaced_table_row(s) for s in ["4 每万人口（件） 0.93 1.80", "2.00 2.50 左右", "达到 3 家，新增 1 家"]]
    [True, True, False]
    """
    tokens = line.split()
    numbers = [t for t in tokens if _NUMBER_TOKEN.match(t)]
    if len(tokens) < 2 or len(numbers) < 2:
        return False
    decimals = sum(1 for t in numbers if "." in t)
    ends_with_number = bool(_NUMBER_TOKEN.match(tokens[-1]))
    return decimals >= 2 or (ends_with_number and bool(_NUMBER_TOKEN.match(tokens[0])))


def _classify(lines: Sequence[str]) -> list[_Line]:
    """Non-blank lines with artefacts dropped, each tagged with what it looks like."""
    kept: list[_Line] = []
    for index, raw in enumerate(lines):
        text = raw.rstrip("\r\n")
        table = "\t" in text.strip(" ")
        text = text.strip() if not table else text.strip(" \r\n")
        table = table or is_spaced_table_row(text)
        if not text.strip() or is_page_artefact(text):
            continue
        kept.append(
            _Line(
                index, text, display_width(text), is_heading_start(text), is_standalone(text), table
            )
        )
    return _drop_bare_page_numbers(kept)


def _running_text(line: _Line) -> bool:
    return not line.table and sum(1 for ch in line.text if is_cjk(ch)) >= 8


def _drop_bare_page_numbers(lines: list[_Line]) -> list[_Line]:
    """Drop a bare number at either end of the input or between two lines of running
    text; a bare number among short lines is a table cell and is kept."""
    out = []
    for pos, line in enumerate(lines):
        if _BARE_NUMBER.match(line.text):
            at_edge = pos == 0 or pos == len(lines) - 1
            between_text = 0 < pos < len(lines) - 1 and all(
                _running_text(n) for n in (lines[pos - 1], lines[pos + 1])
            )
            if at_edge or between_text:
                continue
        out.append(line)
    return out


def _is_title_like(line: _Line, full: float | None) -> bool:
    """Short pure-Chinese lines (no digits, spaces or clause marks): title pieces."""
    short = full is None or line.width < full
    return short and not line.heading and bool(_TITLE_CHARS.match(line.text)) and line.width <= 60


def _clause_unfinished(text: str) -> bool:
    """A whole-paragraph line that visibly stops inside a sentence."""
    if text[-1] in CONTINUES or _open_bracket_pending(text):
        return True
    return any(ch in "，、,；" for ch in text) and text[-1] not in FINAL


def _soft_wrap(prev: _Line, para_text: str, line: _Line, full: float | None) -> bool:
    """A break the reader placed inside one paragraph (a fixed-layout page's visual lines,
    grouped by the page's first-line indents) is a wrap unless the text says otherwise.

    The text's own signs still win (a numbered item starts, a sentence ended on
    a line that is not full), but a 文号 or date cut from its label on the line
    before (``…发文字号：内科`` / ``发〔2023〕21号``) is the rest of that value, and a
    sentence that ends exactly at a full line's end does not end the paragraph.
    """
    if prev.table or line.table or line.heading or prev.standalone:
        return False
    if prev.heading and not any(ch in CLAUSE_MARKS for ch in prev.text):
        return False
    if line.standalone:
        cut = _DOC_NUMBER_LINE.match(line.text) or _DATE_LINE.match(line.text)
        return bool(cut) and bool(_VALUE_BEGUN.search(prev.text))
    if ends_sentence(para_text):  # the reader's line was full unless the measured width says not
        return full is None or prev.width >= full
    return True


#: A line ending in a label's colon and perhaps the first characters of its value
#: (``发文字号：内科``, ``成文日期：``): the value runs on.
_VALUE_BEGUN = re.compile(r"[\u4e00-\u9fff]{2,6}\s*[：:]\s*[\u4e00-\u9fff]{0,12}$")


def _joins(
    para: list[_Line], para_text: str, line: _Line, full: float | None, soft: bool = False
) -> bool:
    """Whether ``line`` continues the paragraph ``para`` (see the module doc); ``soft``: the
    reader put the two lines in one paragraph (see ``_soft_wrap``)."""
    prev = para[-1]
    if soft and _soft_wrap(prev, para_text, line, full):
        return True
    if prev.table or line.table or prev.standalone or line.standalone or line.heading:
        return False
    if prev.heading and not any(ch in CLAUSE_MARKS for ch in prev.text):
        return False  # 第三章 xxx, 专栏 5 xxx: a bare heading is one line, however long
    prev_full = full is not None and prev.width >= full
    if prev_full and prev.text[-1] in "；;":
        return True  # a clause list wrapped right after its semicolon
    if ends_sentence(para_text):
        return False
    if prev.text[-1] in CONTINUES or prev_full:
        return True
    if any(ch in "。！？!?" for ch in prev.text[:-1]):
        return True  # a sentence began after the line's last full stop and has not ended
    if len(para) == 1 and prev.width >= 8 and _is_title_like(prev, full) and _is_title_like(line, full):
        return True  # a title set on two short lines (its first line is not a word or two)
    if full is None:
        if prev.heading:  # a numbered paragraph (（一）标题。正文…) may wrap; a heading does not
            if prev.text[-1] in FINAL:
                return False
            # a sentence begun (。 inside) or a clause comma: headings have neither
            return any(ch in FINAL for ch in prev.text[:-1]) or any(ch in "，," for ch in prev.text)
        return _clause_unfinished(prev.text)
    # nearly full and stopped inside a word: half-width digits made the line look short
    return prev.width >= 0.75 * full and is_cjk(prev.text[-1]) and any(ch.isdigit() for ch in prev.text)


def _join_text(left: str, right: str) -> str:
    """Glue two line texts: no space in Chinese, one space between Latin words."""
    if (
        left
        and right
        and left[-1].isascii()
        and left[-1].isalpha()
        and right[0].isascii()
        and right[0].isalpha()
    ):
        return f"{left} {right}"
    return left + right


def _kind(para: list[_Line], text: str) -> Kind:
    first = para[0]
    if first.table:
        return "table"
    if first.standalone and len(para) == 1:
        return "standalone"
    if is_heading_start(text) and not ends_sentence(text):
        return "heading"
    if first.heading:
        return "heading" if not any(ch in FINAL for ch in text) else "text"
    if not any(ch in FINAL + COLONS for ch in text) and len(text) <= 60:
        return "title"
    return "text"


def _split_inline_headings(paragraph: RepairedParagraph) -> list[RepairedParagraph]:
    """``…。（二）xxx`` becomes two paragraphs sharing the source lines."""
    if paragraph.kind == "table":
        return [paragraph]
    parts = [p for p in _INLINE_HEADING.split(paragraph.text) if p]
    if len(parts) == 1:
        return [paragraph]
    first = RepairedParagraph(parts[0], list(paragraph.lines), paragraph.kind)
    rest = [
        RepairedParagraph(p, list(paragraph.lines), "heading" if not ends_sentence(p) else "text")
        for p in parts[1:]
    ]
    return [first, *rest]


def repair_lines(lines: Sequence[str], soft: frozenset[int] = frozenset()) -> list[RepairedParagraph]:
    """Join hard-wrapped lines into paragraphs; drop page artefacts.

    ``lines`` are raw lines in reading order (a text file's lines, or every
    line of a PDF document, page after page; pass the whole document so the
    full line width can be measured). Returns paragraphs with the 0-based
    indices of the lines they came from. ``soft``: indices of lines that the
    reader placed in the same paragraph as the line before (visual lines of a
    fixed-layout page), a hint the text's own signs may overrule.

    >>> [p.text for p in repair_lines(["一、总体要求", "", "（一）指导思想。以新思想为", "", "指导，深入贯彻。",
    ...                                "- 2 -", "ᠮᠣᠩᠭᠣᠯ", " 全面实施。"])]
    ['一、总体要求', '（一）指导思想。以新思想为指导，深入贯彻。', '全面实施。']
    """
    classified = _classify(lines)
    full = _full_width_of([ln.width for ln in classified if not ln.table])
    groups: list[tuple[list[_Line], str]] = []
    for line in classified:
        if groups and _joins(groups[-1][0], groups[-1][1], line, full, line.index in soft):
            para, text = groups[-1]
            para.append(line)
            groups[-1] = (para, _join_text(text, line.text))
        else:
            groups.append(([line], line.text))
    out: list[RepairedParagraph] = []
    for para, text in groups:
        paragraph = RepairedParagraph(text, [ln.index for ln in para], _kind(para, text))
        out.extend(_split_inline_headings(paragraph))
    return out

"""Character-level clean-up: width folding, Chinese punctuation, CJK spacing.

Extracted Chinese text mixes full-width Latin (``２０２６``), half-width
punctuation typed in a Chinese sentence (``(一)``, ``高新区,市``), radicals
that PDF fonts emit instead of ideographs (``⼀`` U+2F00 for ``一``) and spaces
that PDF extraction inserts between runs of different fonts (``到 2025年``).
Extractors match on canonical text, so everything here maps many spellings to
one, and never touches a CJK ideograph itself.

The canonical Chinese punctuation kept full-width is
``（）〔〕【】、，。：；！？“”‘’《》—``; digits, Latin letters and the
remaining ASCII symbols are half-width.
"""

from __future__ import annotations

import re
import unicodedata

#: Full-width punctuation that stays full-width (the rest of U+FF01..FF5E folds).
CANONICAL_PUNCT = frozenset("（）〔〕【】、，。：；！？“”‘’《》—")

#: Small and vertical presentation forms some PDFs emit, mapped to canonical forms.
_PRESENTATION_FORMS = {
    "﹐": "，", "﹑": "、", "﹒": ".", "﹔": "；", "﹕": "：", "﹖": "？", "﹗": "！",
    "﹙": "（", "﹚": "）", "﹝": "〔", "﹞": "〕", "︐": "，", "︑": "、", "︒": "。",
    "︓": "：", "︔": "；", "︕": "！", "︖": "？", "︵": "（", "︶": "）",
}  # fmt: skip

_URL_OR_EMAIL = re.compile(
    r"(?:https?://|ftp://|www\.)[\w\-.~:/?#\[\]@!$&'*+,;=%]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    re.ASCII,
)

_HALF_TO_FULL = {",": "，", ";": "；", "!": "！", "?": "？"}

_DOC_NUMBER_BRACKETS = re.compile(
    r"(?<=[\u4e00-\u9fff])\s*[\[［【(（〔]\s*((?:19|20)\d{2})\s*[\]］】)）〕]\s*(?=\d{1,4}\s*号)"
)

_SPACES = "[ \u00a0\u2000-\u200a\u202f\u205f\u3000]"


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (any plane) or 〇.

    >>> is_cjk("蒙"), is_cjk("〇"), is_cjk("A"), is_cjk("，")
    (True, True, False, False)
    """
    if not ch:
        return False
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x3134F
        or 0xF900 <= cp <= 0xFAFF
        or cp == 0x3007
    )


def is_cjk_punct(ch: str) -> bool:
    """True for Chinese (full-width / CJK-block) punctuation.

    >>> is_cjk_punct("，"), is_cjk_punct("〕"), is_cjk_punct(",")
    (True, True, False)
    """
    if not ch:
        return False
    cp = ord(ch)
    return (
        ch in CANONICAL_PUNCT
        or 0x3000 < cp <= 0x303F
        or 0xFF01 <= cp <= 0xFF0F
        or 0xFF1A <= cp <= 0xFF20
        or 0xFF3B <= cp <= 0xFF40
        or 0xFF5B <= cp <= 0xFF65
        or ch in "…·"
    )


def is_chinese_context(ch: str) -> bool:
    """A character that makes its neighbourhood 'Chinese' for punctuation choice."""
    return is_cjk(ch) or is_cjk_punct(ch)


def _fold_char(ch: str) -> str:
    """Fold one character: full-width ASCII, ideographic space, radicals, small forms."""
    cp = ord(ch)
    if ch == "\u3000":
        return " "
    if 0xFF01 <= cp <= 0xFF5E:
        return ch if ch in CANONICAL_PUNCT else chr(cp - 0xFEE0)
    if ch in _PRESENTATION_FORMS:
        return _PRESENTATION_FORMS[ch]
    # Kangxi radicals, CJK radicals supplement and compatibility ideographs are
    # what PDF fonts often map ideographs to; NFKC restores the ideograph.
    if 0x2E80 <= cp <= 0x2FDF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F:
        return unicodedata.normalize("NFKC", ch)
    return ch


def _fold_table() -> dict[int, str]:
    """``_fold_char`` for every character it changes, as a ``str.translate`` table.

    Folding runs on every extracted string; one C-level ``translate`` is many
    times faster than a Python call per character.
    """
    ranges = [range(0xFF01, 0xFF5F), range(0x2E80, 0x2FE0), range(0xF900, 0xFB00),
              range(0x2F800, 0x2FA20), map(ord, _PRESENTATION_FORMS), [0x3000]]
    table: dict[int, str] = {}
    for cp in (cp for r in ranges for cp in r):
        folded = _fold_char(chr(cp))
        if folded != chr(cp):
            table[cp] = folded
    return table


_FOLD_TABLE = _fold_table()
#: The only characters the context rules can change; text without any is left as it is.
_CONTEXT_MARKS = frozenset('(),;!?:"')


def _neighbour(text: str, index: int, step: int) -> str:
    """The nearest non-space character from ``index`` in direction ``step`` ("" if none)."""
    i = index + step
    while 0 <= i < len(text) and text[i] in " \t":
        i += step
    return text[i] if 0 <= i < len(text) else ""


def _chinese_brackets(text: str) -> str:
    """``(`` ``)`` pairs become （ ） when the content or the text before is Chinese."""
    chars = list(text)
    stack: list[int] = []
    for i, ch in enumerate(chars):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            start = stack.pop()
            inner = chars[start + 1 : i]
            if any(is_cjk(c) for c in inner) or is_chinese_context(_neighbour(text, start, -1)):
                chars[start], chars[i] = "（", "）"
    return "".join(chars)


def _chinese_marks(text: str) -> str:
    """``, ; ! ? :`` next to Chinese text become their full-width forms."""
    out = list(text)
    for i, ch in enumerate(text):
        if ch not in _HALF_TO_FULL and ch != ":":
            continue
        before, after = _neighbour(text, i, -1), _neighbour(text, i, 1)
        if ch in _HALF_TO_FULL:
            if before.isdigit() and after.isdigit():
                continue  # 1,000 and 第5,6条 stay
            if is_chinese_context(before) or is_chinese_context(after):
                out[i] = _HALF_TO_FULL[ch]
        elif ch == ":" and is_chinese_context(before):
            out[i] = "："  # a label: 联系人: -> 联系人：  (10:30 has digits before)
    return "".join(out)


def _chinese_quotes(text: str) -> str:
    """Straight double quotes in a Chinese sentence become “ ” (alternating)."""
    if '"' not in text or not any(is_cjk(c) for c in text):
        return text
    out: list[str] = []
    opening = True
    for i, ch in enumerate(text):
        if ch == '"' and (
            is_chinese_context(_neighbour(text, i, -1))
            or is_chinese_context(_neighbour(text, i, 1))
        ):
            out.append("“" if opening else "”")
            opening = not opening
        else:
            out.append(ch)
    return "".join(out)


def _contextual(segment: str) -> str:
    """Apply the context rules until nothing changes.

    Each rule only turns ASCII marks full-width, and a converted mark can make
    its neighbour's context Chinese; repeating to a fixed point keeps
    :func:`fold_width` idempotent.
    """
    if _CONTEXT_MARKS.isdisjoint(segment):
        return segment
    while True:
        changed = _chinese_quotes(_chinese_marks(_chinese_brackets(segment)))
        if changed == segment:
            return changed
        segment = changed


def fold_width(text: str) -> str:
    """Half-width Latin and digits, canonical full-width Chinese punctuation.

    URLs, e-mail addresses and numbers such as ``1.5``, ``2026-04-20`` and
    ``10:30`` are left as they are; ASCII punctuation turns Chinese only where
    a Chinese character is next to it.

    >>> fold_width("ＡＢＣ１２３　联系人:张三,电话(一)")
    'ABC123 联系人：张三，电话（一）'
    >>> fold_width("见 https://kjt.nmg.gov.cn/a?b=1,2 和 a.b@c.cn,时间10:30,比例1.5")
    '见 https://kjt.nmg.gov.cn/a?b=1,2 和 a.b@c.cn，时间10:30，比例1.5'
    >>> fold_width("研究与试验发展(R&D)投入")
    '研究与试验发展（R&D）投入'
    """
    folded = text.translate(_FOLD_TABLE)
    if _CONTEXT_MARKS.isdisjoint(folded):
        return folded  # no mark for the context rules (URLs are kept as they are anyway)
    pieces: list[str] = []
    last = 0
    for match in _URL_OR_EMAIL.finditer(folded):
        url = match.group().rstrip(".,;:!?)'")  # trailing marks belong to the sentence
        pieces.append(_contextual(folded[last : match.start()]))
        pieces.append(url)
        last = match.start() + len(url)
    pieces.append(_contextual(folded[last:]))
    return "".join(pieces)


def canonical_doc_number_brackets(text: str) -> str:
    """Write the year of a 文号 in 六角括号: ``内政发[2021]13号`` → ``内政发〔2021〕13号``.

    Only a four-digit year between an issuing-office abbreviation and a serial
    number followed by 号 is touched, so other brackets stay as they are.

    >>> canonical_doc_number_brackets("内政发[2021]13号、国发（2020）7号、工信部联科【2024】12 号")
    '内政发〔2021〕13号、国发〔2020〕7号、工信部联科〔2024〕12 号'
    >>> canonical_doc_number_brackets("见[2021]年报")
    '见[2021]年报'
    """
    return _DOC_NUMBER_BRACKETS.sub(lambda m: f"〔{m.group(1)}〕", text)


_SPACE_RUN = re.compile(f"{_SPACES}+")


def _join_decision(left: str, right: str) -> str:
    """What a run of spaces between ``left`` and ``right`` becomes ("" or " ").

    Any space touching Chinese text goes: between ideographs it is letter
    spacing (联 系 人), between Chinese and Latin/digits an artefact of font
    runs in PDF extraction (到 2025年, 13 号). Latin words keep one space.
    """
    if is_chinese_context(left) or is_chinese_context(right):
        return ""
    return " "


def collapse_cjk_spaces(text: str) -> str:
    """Drop spaces inside Chinese text, collapse other runs, strip each line.

    Tabs (table cell separators) and newlines are kept.

    >>> collapse_cjk_spaces(" 联 系 人：张 三  ")
    '联系人：张三'
    >>> collapse_cjk_spaces("到 2025年，达到 5家； open  source   code")
    '到2025年，达到5家；open source code'
    """
    lines = []
    for line in text.split("\n"):
        line = line.strip(" \u00a0\u3000\r")

        def repl(m: re.Match[str], line: str = line) -> str:
            left = line[m.start() - 1] if m.start() > 0 else ""
            right = line[m.end()] if m.end() < len(line) else ""
            return _join_decision(left, right)

        lines.append(_SPACE_RUN.sub(repl, line))
    return "\n".join(lines)


def pair_quotes(text: str) -> str:
    """Curly double quotes set to open/close alternately, when they are balanced in count.

    OCR reads “ and ” by their shape and often gets the direction wrong; in
    Chinese prose quotes do not nest, so the n-th quote of a paragraph opens
    when n is odd. An odd count means a quote is missing: then nothing is
    guessed.

    >>> pair_quotes("实行”一企一策“服务")
    '实行“一企一策”服务'
    >>> pair_quotes("只有一个”引号")
    '只有一个”引号'
    """
    positions = [i for i, ch in enumerate(text) if ch in "“”"]
    if len(positions) % 2:
        return text
    chars = list(text)
    for n, i in enumerate(positions):
        chars[i] = "“" if n % 2 == 0 else "”"
    return "".join(chars)

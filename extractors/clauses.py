"""Split a policy into its numbered clauses (一、 → （一） → 1. ; 第X章 → 第X节 → 专栏 N).

How the document is cut, and why:

* **Paragraphs first.** The reader gives blocks; hard-wrapped lines are joined
  into paragraphs by ``saidao.extractors.normalize.repair_lines`` and folded
  by ``normalize``. A clause number only counts at the start
  of a paragraph, so numbers inside sentences (``到2025年，``, ``1.5万元``,
  ``（2021—2025年）``, ``第1名``) are never clause starts.
* **Parts.** A 印发 notice carries its substance as an attachment. The
  document is cut into parts at a signature/date block, an ``附件N`` label, or
  an attachment list (``附件：1.…``) followed by an attachment's title. When the
  main part has no numbered units (a covering notice) the first attachment that
  has them becomes the main text; other attachments' clause paths start with
  their label (``附件1``). Forms (…申报表, 承诺书, 模板) are templates to fill in,
  not provisions, and give no clauses.
* **Levels follow the document.** Each numbering style gets its level by the
  order in which styles first appear in the part, not by a fixed ranking; a
  unit closes every open unit at its level or deeper. A numeral must continue
  its style's sequence (1, or the last value + 1 or + 2), so a stray number
  that survives joining is not taken for a clause.
* **What a clause is.** Every numbered unit with text of its own. A unit's own
  text is what comes between its number and its first numbered child, so a
  parent with a lead paragraph before its children is a clause too (its text is
  that lead only); a parent that is only a heading line is not a clause but
  appears in its children's ``path`` (and ``path_headings``).
* **专栏 N boxes** are leaves attached to the innermost open unit: their path is
  that unit's path, they never enter the level stack (a box between ``1.`` and
  ``2.`` must not change the levels), and their text runs to the next numbered
  unit or box (plain text cannot show where a box's border ends).
* **Tables** (an indicator table, a table of subsidies) are not clauses: their
  rows, tab-joined, belong to the text of the clause they sit in.
* **Heading and text.** A numbered paragraph that is only a heading line
  (``一、总体要求``, ``1.新材料技术。``) gives ``heading`` and is not repeated in
  ``text``. Otherwise a short lead sentence without commas
  (``强化创新平台建设。``) is the heading (without the 。) and stays in ``text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from saidao.document import Document, Image, Paragraph, Provenance, Table
from saidao.extractors.normalize import normalize, repair_lines
from saidao.extractors.numerals import cn_to_int

CN_NUM = "一二三四五六七八九十百零〇两"


# --------------------------------------------------------------------------- numbering styles
@dataclass(frozen=True, slots=True)
class NumberStyle:
    """One way of numbering units: how it looks, how its number is written."""

    name: str
    pattern: re.Pattern[str]  # group "n": the numeral, group "rest": what follows
    label: Callable[[str], str]  # the numeral as shown in ``number`` and ``path``
    value: Callable[[str], int]  # the numeral as an integer, for the sequence check
    box: bool = False  # 专栏: a leaf box outside the level stack


def _cn_value(numeral: str) -> int:
    value = cn_to_int(numeral)
    return 0 if value is None else value


def _circled_value(numeral: str) -> int:
    return ord(numeral) - ord("①") + 1


#: The numbering styles policies use, in one place. Order matters only where
#: two patterns could match the same text (none do today).
STYLES: tuple[NumberStyle, ...] = (
    NumberStyle("chapter", re.compile(rf"^第(?P<n>[{CN_NUM}]+|\d+)章\s*(?P<rest>.*)"),
                lambda n: f"第{n}章", _cn_value),
    NumberStyle("section", re.compile(rf"^第(?P<n>[{CN_NUM}]+|\d+)节\s*(?P<rest>.*)"),
                lambda n: f"第{n}节", _cn_value),
    NumberStyle("article", re.compile(rf"^第(?P<n>[{CN_NUM}]+|\d+)条\s*(?P<rest>.*)"),
                lambda n: f"第{n}条", _cn_value),
    NumberStyle("box", re.compile(r"^专栏\s*(?P<n>\d+)\s*(?P<rest>.*)"),
                lambda n: f"专栏{n}", int, box=True),
    NumberStyle("cn_comma", re.compile(rf"^(?P<n>[{CN_NUM}]+)[、．](?![{CN_NUM}]+[、中])\s*(?P<rest>.+)"),
                lambda n: n, _cn_value),
    NumberStyle("cn_paren", re.compile(rf"^[（(](?P<n>[{CN_NUM}]+)[）)]\s*(?P<rest>.*)"),
                lambda n: f"（{n}）", _cn_value),
    NumberStyle("arabic_dot", re.compile(r"^(?P<n>\d{1,2})(?:[.．](?!\d)|、)\s*(?P<rest>.*)"),
                lambda n: n, int),
    NumberStyle("arabic_paren", re.compile(r"^[（(](?P<n>\d{1,2})[）)]\s*(?P<rest>.*)"),
                lambda n: f"（{n}）", int),
    NumberStyle("circled", re.compile(r"^(?P<n>[①-⑳])\s*(?P<rest>.*)"),
                lambda n: n, _circled_value),
    # ⑴ is (1) in one glyph (OCR reads it as (1)): the same style, labelled the same way
    NumberStyle("arabic_paren", re.compile(r"^(?P<n>[⑴-⒇])\s*(?P<rest>.*)"),
                lambda n: f"（{ord(n) - ord('⑴') + 1}）", lambda n: ord(n) - ord("⑴") + 1),
)


@dataclass(frozen=True, slots=True)
class NumberMatch:
    style: NumberStyle
    label: str
    value: int
    rest: str


#: ``第 1 0 条``: a PDF text layer that spaced the digits of an article number.
SPACED_ARTICLE = re.compile(r"^第\s*(?P<d>\d(?:\s*\d)*)\s*(?P<kind>[章节条])")


def unspace_number(text: str) -> str:
    """``第 1 0 条`` → ``第10条`` (only at the start, only digits)."""
    return SPACED_ARTICLE.sub(lambda m: "第" + "".join(m["d"].split()) + m["kind"], text, count=1)


def match_number(text: str) -> NumberMatch | None:
    """The numbering at the start of a paragraph, if any."""
    stripped = unspace_number(text.strip())
    for style in STYLES:
        m = style.pattern.match(stripped)
        if m:
            numeral = m.group("n")
            value = style.value(numeral)
            if value <= 0:
                continue
            return NumberMatch(style, style.label(numeral), value, m.group("rest").strip())
    return None


# --------------------------------------------------------------------------- paragraphs
@dataclass(slots=True)
class Para:
    """A repaired paragraph (or a flattened table) and the source lines it came from."""

    text: str
    sources: list[Provenance] = field(default_factory=list)
    is_table: bool = False


TERMINAL = "。！？!?"
MONGOLIAN = re.compile(r"[\u1800-\u18af]")


def _repair(lines: list[tuple[str, Provenance]], soft: frozenset[int] = frozenset()) -> list[Para]:
    """Paragraphs from raw lines: wraps joined, page artefacts dropped, widths folded."""
    out: list[Para] = []
    for rp in repair_lines([t for t, _ in lines], soft):
        text = normalize(rp.text, simplified=False).strip()
        if text:
            out.append(Para(text, [lines[i][1] for i in rp.lines], is_table=rp.kind == "table"))
    return out


def _table_text(table: Table) -> str:
    rows = ["\t".join(c.strip() for c in row) for row in table.grid(fill_merged=False)]
    return "\n".join(r for r in rows if r.strip())


def _paragraph_lines(block: Paragraph) -> list[tuple[str, Provenance]]:
    if block.lines:
        return [(ln.text, ln.provenance) for ln in block.lines]
    return [(block.text, block.provenance)]


#: Formats whose readers group a page's visual lines into paragraphs by layout (first-line
#: indents, line pitch), so a break inside one of their paragraphs is a wrap (see
#: ``linewrap._soft_wrap``). In HTML a line of a paragraph ends at a ``<br>``: a real break.
SOFT_WRAP_FORMATS = frozenset({"ofd"})


def document_paras(doc: Document) -> list[Para]:
    """The body as repaired paragraphs, tables kept in place as tab-joined rows."""
    paras: list[Para] = []
    pending: list[tuple[str, Provenance]] = []
    soft: set[int] = set()
    visual = doc.format in SOFT_WRAP_FORMATS
    for block in doc.blocks:
        if isinstance(block, Image):
            continue
        if isinstance(block, Table):
            paras.extend(_repair(pending, frozenset(soft)))
            pending, soft = [], set()
            text = _table_text(block)
            if text:
                paras.append(Para(text, [block.provenance], is_table=True))
            continue
        lines = _paragraph_lines(block)
        if visual:
            soft.update(range(len(pending) + 1, len(pending) + len(lines)))
        pending.extend(lines)
    paras.extend(_repair(pending, frozenset(soft)))
    return paras


# --------------------------------------------------------------------------- back matter and parts
_Y = r"[\d〇零一二三四五六七八九○OΟ]{4}"
_MD = r"[\d一二三四五六七八九十]{1,3}"
#: A date alone on its line: 2023年5月8日, 二○二三年五月八日, 2023-02-08, 2022.6.8.
DATE_LINE = re.compile(rf"^[（(]?\s*(?:{_Y}\s*年\s*{_MD}\s*月\s*{_MD}\s*日"
                       r"|\d{4}\s*(?P<sep>[.\-/])\s*\d{1,2}\s*(?P=sep)\s*\d{1,2})\s*[）)]?$")
ISSUED_LINE = re.compile(rf"{_Y}\s*年\s*{_MD}\s*月\s*{_MD}\s*日\s*印发$")
ORG_SUFFIX = re.compile(r"(人民政府|办公厅|办公室|委员会|管委会|公署|厅|局|委|部|院|中心|政府)$")
ATTACHMENT_LABEL = re.compile(r"^附\s*件\s*[0-9０-９一二三四五六七八九十\-－—–.．]*\s*$")
ATTACHMENT_LIST = re.compile(r"^附\s*件\s*[：:]\s*(?P<first>.*)$")
LIST_ITEM = re.compile(r"^\d{1,2}\s*[.．、]\s*(?P<title>[^。]{2,60})$")
FORM_TITLE = re.compile(r"(申报|申请|登记|推荐|备案|信息|统计|汇总)表$|承诺书$|模[板版]$|(?<!一览)表$")
LIST_TITLE = re.compile(r"任务|分工|清单|责任|台账|一览")
PUBLIC_NOTE = re.compile(r"^[（(]此件[^）)]*[）)]$")


def is_signature(text: str) -> bool:
    """A signing body's name alone on a line (e.g. 鄂尔多斯市人民政府)."""
    t = text.replace(" ", "")
    return 4 <= len(t) <= 40 and not re.search(r"[，。、；：,;:]", t) and bool(ORG_SUFFIX.search(t))


@dataclass(slots=True)
class Part:
    """The main text or one attachment."""

    label: str  # "" for the main text, else e.g. "附件1"
    title: str = ""
    paras: list[Para] = field(default_factory=list)

    @property
    def is_form(self) -> bool:
        """A template to fill in (申报表, 承诺书), not a 任务分工表 or 清单 of provisions."""
        compact = self.title.replace(" ", "")
        return bool(compact) and bool(FORM_TITLE.search(compact)) and not LIST_TITLE.search(compact)


def _clean_title(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _looks_like_title(text: str) -> bool:
    return (len(text) <= 60 and text[-1] not in TERMINAL + "；;：:，," and not match_number(text)
            and not DATE_LINE.match(text))


def split_parts(paras: Sequence[Para]) -> list[Part]:
    """Cut the paragraphs into the main text and its attachments; drop back matter.

    The main part keeps its front matter (文号, title, addressee): metadata is
    read from it and clause splitting skips everything before the first number.
    """
    parts = [Part("")]
    listed: list[str] = []  # titles from an attachment list, in order
    closed = False  # the current part ended (signature/date/list); next content opens a new one
    label = ""
    i = 0
    while i < len(paras):
        p = paras[i]
        t = p.text.strip()
        if t.startswith(("抄送", "抄报")):
            break  # everything after the distribution list is back matter
        if _closes_part(paras, i):
            closed = True
        elif m := ATTACHMENT_LIST.match(t):
            closed = True
            listed = _attachment_list(m.group("first"), paras, i)
            i += max(len(listed) - (1 if m.group("first") else 0), 0)
        elif ATTACHMENT_LABEL.match(t):
            closed, label = True, re.sub(r"\s+", "", t)
        elif closed or (listed and _clean_title(t) in listed and _looks_like_title(t)):
            if not label and _clean_title(t) in listed:
                label = f"附件{listed.index(_clean_title(t)) + 1}"
            part = Part(label or "附件")
            parts.append(part)
            part.title, i = _read_title(paras, i)
            closed, label = False, ""
            continue
        else:
            parts[-1].paras.append(p)
        i += 1
    return parts


def _closes_part(paras: Sequence[Para], i: int) -> bool:
    """A closing line: 印发 line, 此件公开发布, a date alone, or a signature above a date."""
    t = paras[i].text.strip()
    if paras[i].is_table:
        return False
    if ISSUED_LINE.search(t) or PUBLIC_NOTE.match(t) or DATE_LINE.match(t):
        return True
    nxt = paras[i + 1].text.strip() if i + 1 < len(paras) else ""
    return is_signature(t) and bool(DATE_LINE.match(nxt))


def _attachment_list(first: str, paras: Sequence[Para], at: int) -> list[str]:
    """Titles of an ``附件：1.… 2.…`` list (its first item may share the label's line)."""
    items: list[str] = []
    if first:
        m = LIST_ITEM.match(first.strip())
        items.append(_clean_title(m.group("title") if m else first))
    for p in paras[at + 1:]:
        m = LIST_ITEM.match(p.text.strip())
        if not m:
            break
        items.append(_clean_title(m.group("title")))
    return items


def _read_title(paras: Sequence[Para], i: int) -> tuple[str, int]:
    """An attachment's title: consecutive title-like short lines (at most three)."""
    lines: list[str] = []
    while i < len(paras) and len(lines) < 3 and _looks_like_title(paras[i].text.strip()):
        if lines and not _continues_title(lines, paras[i].text.strip()):
            break
        lines.append(paras[i].text.strip())
        i += 1
    return _clean_title("".join(lines)), i


def _continues_title(lines: list[str], text: str) -> bool:
    """A second title line: a wrapped tail or a parenthesised span like （2025—2027年）."""
    return text.startswith(("（", "(")) or len(lines[-1]) >= 12 and len(text) <= 30


# --------------------------------------------------------------------------- clauses
@dataclass(slots=True)
class Clause:
    number: str
    path: list[str]
    heading: str
    text_parts: list[str]
    sources: list[Provenance]
    path_headings: list[str] = field(default_factory=list)
    style: str = ""
    rest: str = ""  # the numbered paragraph after its number, as written
    has_children: bool = False
    columns: dict[str, str] = field(default_factory=dict)  # a 清单 row: header -> cell

    @property
    def text(self) -> str:
        return "\n".join(t for t in self.text_parts if t)

    def to_dict(self, id_prefix: str) -> dict[str, Any]:
        key = "/".join([*self.path, self.number])
        out = {
            "id": f"{id_prefix}:{key}",
            "number": self.number,
            "path": list(self.path),
            "path_headings": list(self.path_headings),
            "heading": self.heading,
            "text": self.text,
            "style": self.style,
            "lines": [_source_dict(s) for s in self.sources],
        }
        if self.columns:
            out["columns"] = dict(self.columns)
        return out


def _source_dict(p: Provenance) -> dict[str, Any]:
    return {k: v for k, v in (("file", p.file), ("page", p.page), ("line", p.line),
                              ("table", p.table)) if v is not None}


LEAD = re.compile(r"^(?P<lead>[^。，,；;：:！？!?]{2,30})。")


ARTICLE_LABEL = re.compile(r"^[【（(](?P<label>[^】）)]{2,20})[】）)]")
#: A clause's closing note naming who carries it out: （牵头单位：市工信局；责任单位：…）.
UNIT_NOTE = re.compile(r"[（(]\s*(?:牵头|责任|配合|主责|协办|实施)(?:单位|部门)\s*[：:][^（）()]*[）)]\s*$")
#: A line of its own naming those units: 牵头单位：区发改局.
UNIT_LINE = re.compile(r"^(?:牵头|责任|配合|主责|协办|实施)(?:单位|部门)\s*[：:]")


def heading_and_text(rest: str, style: str = "") -> tuple[str, str]:
    """Split a numbered paragraph's remainder into (heading, text that belongs to the body).

    A trailing unit note (（牵头单位：…）) is not part of a heading: a paragraph
    that is a phrase plus such a note is a provision, not a heading line.
    """
    rest = rest.strip()
    if not rest:
        return "", ""
    if style == "article":  # 第X条 has no lead phrase; only a bracketed label: 第一条【目的】
        m = ARTICLE_LABEL.match(rest)
        return (m.group("label") if m else ""), rest
    note = UNIT_NOTE.search(rest)
    body = rest[: note.start()].rstrip() if note else rest
    if (not note and body and body[-1] not in TERMINAL + "；;：:" and len(body) <= 60
            and not any(ch in "。！？!?" for ch in body)):
        return rest, ""  # a heading line: 一、总体要求
    m = LEAD.match(body)
    if m and m.end() == len(rest):
        return m.group("lead"), ""  # 1.新材料技术。
    if m:
        return m.group("lead"), rest  # （三）推动国家级高新区提质进位。开展……
    return "", rest


#: Headers that make a table a 清单 whose rows are provisions (and not an indicator table):
#: a 序号 column, a column saying what is to be done, and one saying who or when.
_LIST_WHAT = re.compile(r"任务|措施|内容|事项|政策|举措|工作|项目")
_LIST_WHO = re.compile(r"单位|部门|时限|时间|责任|牵头")
_SEQ_HEADER = re.compile(r"^(?:序\s*号|编\s*号)$")


def list_header(cells: Sequence[str]) -> bool:
    """Is this table row the header of a 清单 (序号 | 任务 … | 牵头单位 …)?"""
    cells = [c.strip() for c in cells]
    return (len(cells) >= 3 and bool(_SEQ_HEADER.match(cells[0].replace(" ", "")))
            and any(_LIST_WHAT.search(c) for c in cells[1:])
            and any(_LIST_WHO.search(c) for c in cells[1:]))


@dataclass(slots=True)
class Gap:
    """A numbering sequence that skips one (第9条 then 第11条): a unit may have been lost."""

    before: str
    after: str
    sources: list[Provenance]


@dataclass(slots=True)
class _Open:
    style: str
    number: str
    heading: str
    clause: Clause


class _Splitter:
    """Walks one part's paragraphs keeping the stack of open numbered units.

    Levels come from the document's own sequences: a numbering style seen for
    the first time is placed directly below the innermost open unit (not
    below every style seen so far), so a 第X条 run that continues across
    （一）/（二） headings (``一、 第一条 第二条 二、 （一） 第三条``) stays the
    innermost level and its articles nest under the headings they follow.
    """

    def __init__(self, prefix: Sequence[str]) -> None:
        self.prefix = list(prefix)
        self.order: list[str] = []  # style names, outermost first
        self.last: dict[str, int] = {}
        self.stack: list[_Open] = []
        self.clauses: list[Clause] = []
        self.current: Clause | None = None
        self.preamble: list[Para] = []
        self.list_columns: list[str] | None = None  # header of the 清单 being read
        self.list_last = 0
        self.gaps: list[Gap] = []

    def accepts(self, m: NumberMatch) -> bool:
        """Does the numeral continue its style's sequence?"""
        last = self.last.get(m.style.name)
        if m.style.box:
            return last is None or m.value > last
        if last is None:
            return m.value <= 3
        return m.value == 1 or last < m.value <= last + 2

    def _level(self, style: str) -> int:
        if style not in self.order:
            at = self.order.index(self.stack[-1].style) + 1 if self.stack else len(self.order)
            self.order.insert(at, style)
        return self.order.index(style)

    def open_unit(self, m: NumberMatch, para: Para) -> None:
        last = self.last.get(m.style.name)
        if last is not None and m.value == last + 2 and not m.style.box:
            self.gaps.append(Gap(self._label(m, last), m.label, list(para.sources)))
        self.last[m.style.name] = m.value
        self.list_columns = None
        heading, body = heading_and_text(m.rest, m.style.name)
        if not m.style.box:
            level = self._level(m.style.name)
            while self.stack and self.order.index(self.stack[-1].style) >= level:
                self.stack.pop()
        if self.stack:
            self.stack[-1].clause.has_children = True
        path = self.prefix + [o.number for o in self.stack]
        headings = [o.heading for o in self.stack]
        self.current = Clause(m.label, path, heading, [body], list(para.sources), headings,
                              m.style.name, rest=m.rest)
        self.clauses.append(self.current)
        if not m.style.box:
            self.stack.append(_Open(m.style.name, m.label, heading, self.current))

    def _label(self, m: NumberMatch, value: int) -> str:
        """The label the missing predecessor of ``m`` had (第9条 before 第11条)."""
        prev = next((c.number for c in reversed(self.clauses) if c.style == m.style.name), "")
        return prev or str(value)

    def add_table(self, para: Para) -> bool:
        """Rows of a 清单 become clauses (one per row, columns kept); True if consumed."""
        rows = [r.split("\t") for r in para.text.split("\n") if r.strip()]
        consumed = False
        for cells in rows:
            if list_header(cells):
                self.list_columns, self.list_last = [c.strip() for c in cells], 0
                consumed = True
                continue
            seq = cells[0].strip() if self.list_columns else ""
            if self.list_columns and seq.isdigit() and int(seq) in (1, self.list_last + 1):
                self.list_last = int(seq)
                self._list_row(seq, cells, para)
                consumed = True
            elif consumed and self.current is not None:  # a row breaking the list: text of the last
                self.current.text_parts.append("\t".join(cells))
        return consumed

    def _list_row(self, seq: str, cells: list[str], para: Para) -> None:
        columns = {h: (cells[i].strip() if i < len(cells) else "")
                   for i, h in enumerate(self.list_columns or []) if i > 0}
        if self.stack:
            self.stack[-1].clause.has_children = True
        values = [v for v in columns.values()]
        clause = Clause(seq, self.prefix + [o.number for o in self.stack], values[0] if values else "",
                        ["\t".join(values)], list(para.sources), [o.heading for o in self.stack],
                        "list_row", columns=columns)
        self.clauses.append(clause)
        self.current = clause

    def add(self, para: Para) -> None:
        if para.is_table and self.add_table(para):
            return
        m = None if para.is_table else match_number(para.text)
        if m and self.accepts(m):
            self.open_unit(m, para)
        elif self.current is None:
            self.preamble.append(para)
        else:
            self.current.text_parts.append(para.text.strip())
            self.current.sources.extend(para.sources)


def _settle_parent(clause: Clause) -> None:
    """``一、明确支持方向：（一）…`` — a short phrase ending in a colon that only introduces
    the unit's children is its heading, not a provision of its own."""
    if not clause.has_children or clause.style in ("article", "list_row", "box"):
        return
    own = [t for t in clause.text_parts if t]
    if (len(own) == 1 and own[0][-1] in "：:" and len(own[0]) <= 20
            and not any(ch in own[0] for ch in "，。；,;")):
        clause.heading = clause.heading or own[0][:-1]
        clause.text_parts = [""]


def _settle_leaf(clause: Clause) -> None:
    """A unit with no children whose paragraph was taken for a heading is a provision.

    ``三、高新区要重点发展新材料产业。`` alone, or ``1.地区生产总值增长6%左右``
    followed only by 牵头单位/责任单位 lines: its words are the clause's text.
    """
    if clause.has_children or clause.style in ("list_row", "box") or not clause.rest:
        return
    own = [t for t in clause.text_parts if t]
    if clause.text_parts and clause.text_parts[0]:
        return  # the paragraph already carries text
    if not own or all(UNIT_LINE.match(t) for t in own):
        clause.text_parts[0] = clause.rest


def _split(paras: Iterable[Para], prefix: Sequence[str] = ()) -> _Splitter:
    s = _Splitter(prefix)
    for para in paras:
        s.add(para)
    for clause in s.clauses:
        _settle_leaf(clause)
        _settle_parent(clause)
    return s


def split_part(paras: Iterable[Para], prefix: Sequence[str] = ()) -> tuple[list[Clause], list[Para]]:
    """The clauses of one part (units with own text only) and the paragraphs before the first."""
    s = _split(paras, prefix)
    return [c for c in s.clauses if c.text.strip()], s.preamble


@dataclass(slots=True)
class Split:
    """A whole document split: its parts, the main part's preamble and all clauses."""

    parts: list[Part]
    main: Part
    preamble: list[Para]
    clauses: list[Clause]
    gaps: list[Gap] = field(default_factory=list)


def split_document(paras: Sequence[Para]) -> Split:
    """Parts and clauses of a policy; see the module docstring for the rules."""
    parts = split_parts(paras)
    runs = [_split(p.paras) if not p.is_form else _Splitter(()) for p in parts]
    per_part = [([c for c in r.clauses if c.text.strip()], r.preamble) for r in runs]
    main_idx = 0
    if not per_part[0][0]:
        main_idx = next((i for i, (cl, _) in enumerate(per_part) if cl), 0)
    clauses: list[Clause] = []
    gaps: list[Gap] = []
    for i, part in enumerate(parts):
        if part.is_form:
            continue
        prefix = [] if i in (0, main_idx) else [part.label]
        found, _ = split_part(part.paras, prefix) if prefix else per_part[i]
        clauses.extend(found)
        gaps.extend(runs[i].gaps)
    return Split(parts, parts[main_idx], per_part[main_idx][1], clauses, gaps)


def unique_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Make clause ids unique when a damaged document repeats a path."""
    seen: dict[str, int] = {}
    for item in items:
        n = seen.get(item["id"], 0)
        seen[item["id"]] = n + 1
        if n:
            item["id"] = f"{item['id']}#{n + 1}"
    return items

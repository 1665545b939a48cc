"""The .docx reader: WordprocessingML → :class:`saidao.document.Document`.

python-docx's package layer loads the parts (:mod:`.docx_package`: only the
parts read, as plain lxml trees, the style sheet reduced to what is used); the
body is walked at the XML level because the declaration forms depend on things
python-docx's API drops: paragraphs and tables interleaved in body order,
``w:gridSpan``/``w:vMerge`` merges against ``w:tblGrid`` (with ``w:gridBefore``
skips), tables nested in cells, ``w:sym`` symbol-font glyphs, content-control
checkboxes and legacy ``FORMCHECKBOX`` fields.

Speed (issue #5): the walk visits each element once, compares tags with names
qualified in advance and reads a properties element (``w:pPr``, ``w:rPr``,
``w:tcPr``…) in one pass instead of a ``find`` per property — lxml's ``find``
costs about as much as visiting a dozen children. Style sheets and seal
verdicts are remembered by content, since a batch of forms shares its template
and a firm's seal scan recurs; :func:`clear_caches` forgets them.

Checkboxes. Every box becomes a :class:`Checkbox` on its paragraph (and on the
table cell holding it) and is rewritten in the block text as ``☑`` (checked)
or ``☐`` (unchecked) so that text-based extractors see the same thing:

===================================  ==========  ===============================
source                               state       note
===================================  ==========  ===============================
☑ ☒ ■ ⊠ ▣ ⌧ (text)                   checked
□ ☐ ▢ ◻ ❑ ❒ (text)                   unchecked
√ ✓ ✔ 🗸 (text)                      checked     a tick before a label ticks it
box + tick, e.g. ``□√``              checked     an empty box that was ticked by hand
``w14:checkbox`` content control     w14:checked
``FORMCHECKBOX`` field (Word 97-)    w:checked, else w:default
``w:sym`` Wingdings F06E             checked     ■
``w:sym`` Wingdings F06F/F071/F072   unchecked   □ ❑ ❒
``w:sym`` Wingdings F078             checked     ⌧
``w:sym`` Wingdings F0A8             unchecked   ◻
``w:sym`` Wingdings F0FC             checked     ✓ (tick)
``w:sym`` Wingdings F0FD / F0FE      checked     ☒ / ☑
``w:sym`` Wingdings 2 F050           checked     ✓ (tick)
``w:sym`` Wingdings 2 F052           checked     ☑ (the usual 插入符号 tick box)
``w:sym`` Wingdings 2 F053 / F054    checked     ☒ (light / heavy X)
``w:sym`` Wingdings 2 F0A2           checked     ■
``w:sym`` Wingdings 2 F0A3           unchecked   □ (the usual 插入符号 empty box)
``w:sym`` Wingdings 2 F0A8           checked     ▣
``w:sym`` Symbol F0D6                checked     √ (tick)
===================================  ==========  ===============================

The same code points typed as text in a run whose font is one of those symbol
fonts (``þ`` in Wingdings, ``R`` in Wingdings 2) are mapped the same way.
Other symbol-font characters are dropped rather than shown as stray letters.

A box's label is the text after it up to the next box; when a paragraph ends
with a box and starts with text (``是□ 否□``) the labels come before the boxes.

Text is what Word shows: automatic list numbers (一、 （一） 1. from
``numbering.xml``, directly or through the paragraph style) are rendered in
front of the paragraph, tracked deletions and field codes are left out, text
boxes are read once (their VML fallback copy skipped). A nested table stays a
:class:`Table` in its cell's ``blocks``; the cell's ``text`` gets its rows as
lines with cells joined by spaces, and its checkboxes are also listed on the
outer cell; the nested cells' provenance points at the outer cell.

Pages: a .docx has no fixed pages. ``Document.pages`` holds one entry per
*explicit* break (``w:br type=page``, ``pageBreakBefore``, page-starting section
breaks) plus one, sized from the first section: a lower bound, not the printed
count. ``Provenance.page`` stays ``None``; ``line`` is the 1-based index of the
paragraph among the body's top-level paragraphs, counting empty ones (which are
not kept as blocks).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lxml import etree

from saidao.document import (
    CHECKED,
    UNCHECKED,
    Block,
    Cell,
    Checkbox,
    Document,
    Image,
    PageInfo,
    Paragraph,
    Provenance,
    Table,
    TextLine,
)
from saidao.ingest.readers import docx_package
from saidao.ingest.readers.docx_package import ContentCache, WordPackage, int_attr, numpr, on_off
from saidao.ingest.tables import is_frame, is_text_column
from saidao.ingest.zipguard import check_ooxml
from saidao.settings import ReadSettings

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

CHECKED_GLYPHS = "☑☒■⊠▣⌧"
UNCHECKED_GLYPHS = "□☐▢◻❑❒"
TICK_GLYPHS = "√✓✔\U0001f5f8"
BOX_GLYPHS = CHECKED_GLYPHS + UNCHECKED_GLYPHS + TICK_GLYPHS
_GLYPH_RE = re.compile(f"[{BOX_GLYPHS}]")

#: (lower-case font name, code point with the F0xx offset removed) → Unicode glyph.
SYMBOL_FONT_GLYPHS: dict[tuple[str, int], str] = {
    ("wingdings", 0x6E): "■",
    ("wingdings", 0x6F): "□",
    ("wingdings", 0x71): "❑",
    ("wingdings", 0x72): "❒",
    ("wingdings", 0x78): "⌧",
    ("wingdings", 0xA8): "◻",
    ("wingdings", 0xFC): "✓",
    ("wingdings", 0xFD): "☒",
    ("wingdings", 0xFE): "☑",
    ("wingdings 2", 0x50): "✓",
    ("wingdings 2", 0x52): "☑",
    ("wingdings 2", 0x53): "☒",
    ("wingdings 2", 0x54): "☒",
    ("wingdings 2", 0xA2): "■",
    ("wingdings 2", 0xA3): "□",
    ("wingdings 2", 0xA8): "▣",
    ("symbol", 0xD6): "√",
}
SYMBOL_FONTS = frozenset({"wingdings", "wingdings 2", "wingdings 3", "webdings", "symbol"})

_FALSE_VALUES = frozenset({"0", "false", "off", "none"})
_LABEL_STRIP = " \t\n\u3000:：;；,，、"
_PAGE_SECTION_TYPES = frozenset({"nextPage", "oddPage", "evenPage"})
# Qualified names computed once: the walk compares tags and reads attributes per node.
_P, _TBL, _TR, _TC, _R, _T = W + "p", W + "tbl", W + "tr", W + "tc", W + "r", W + "t"
_PPR, _RPR, _TRPR, _TCPR = W + "pPr", W + "rPr", W + "trPr", W + "tcPr"
_SDT, _SDT_CONTENT, _CUSTOM_XML = W + "sdt", W + "sdtContent", W + "customXml"
_BR, _CR, _TAB, _PTAB, _SYM = W + "br", W + "cr", W + "tab", W + "ptab", W + "sym"
_NO_BREAK_HYPHEN, _FLD_CHAR = W + "noBreakHyphen", W + "fldChar"
_DRAWING, _PICT = W + "drawing", W + "pict"
_PAGE_BREAK_BEFORE, _SECT_PR = W + "pageBreakBefore", W + "sectPr"
_ALTERNATE, _CHOICE, _MATH_T = MC + "AlternateContent", MC + "Choice", M + "t"
_PSTYLE, _NUMPR, _RSTYLE, _RFONTS, _B, _BCS = (
    W + "pStyle", W + "numPr", W + "rStyle", W + "rFonts", W + "b", W + "bCs")
_TBL_HEADER, _GRID_BEFORE, _GRID_SPAN, _VMERGE = W + "tblHeader", W + "gridBefore", W + "gridSpan", W + "vMerge"
_ALT_CHUNK, _TXBX_CONTENT = W + "altChunk", W + "txbxContent"
_VAL, _TYPE, _ASCII, _HANSI = W + "val", W + "type", W + "ascii", W + "hAnsi"
_BLIP, _EMBED, _FALLBACK = A + "blip", R + "embed", MC + "Fallback"
_TEXT_BOXES = frozenset({_DRAWING, _PICT, _ALTERNATE})
_TABS = frozenset({_TAB, _PTAB})
_SKIP_INLINE = frozenset(
    {W + "pPr", W + "rPr", W + "del", W + "moveFrom", W + "instrText", W + "delText",
     MC + "Fallback", W + "commentReference", W + "footnoteReference", W + "endnoteReference"}
)

BoxKind = Literal["checked", "unchecked", "tick"]


@dataclass(slots=True)
class _Run:
    """A piece of paragraph text with its effective boldness."""

    text: str
    bold: bool


@dataclass(slots=True)
class _Box:
    """A checkbox found inline; ``glyph`` records how it was written."""

    kind: BoxKind
    glyph: str


_Item = _Run | _Box


def read_docx(path: Path, sha256: str, settings: ReadSettings) -> Document:
    """Read a .docx (after the zip guard) into the document model."""
    return docx_to_document(path, sha256=sha256, settings=settings)


def docx_to_document(
    path: Path,
    *,
    sha256: str,
    settings: ReadSettings,
    source: Path | None = None,
    fmt: str = "docx",
) -> Document:
    """Read the .docx at ``path``; provenance and ``Document.path`` name ``source``.

    ``source`` lets the legacy reader read LibreOffice's temporary .docx while
    every provenance points at the original .doc the user gave.
    """
    check_ooxml(path, settings)
    shown = str(source if source is not None else path)
    with WordPackage(path) as package:
        walker = _Walker(package, shown)
        blocks = walker.blocks(package.body, top_level=True)
        headers, footers = walker.headers_and_footers()
        pages = _pages(package)
    return Document(
        path=shown,
        sha256=sha256,
        format=fmt,
        pages=pages,
        blocks=blocks,
        headers=headers,
        footers=footers,
        problems=walker.problems,
        unread=walker.unread,
    )


# -- checkbox scanning, shared with the text reader ---------------------------


def scan_checkboxes(text: str, provenance: Provenance) -> list[Checkbox]:
    """Checkboxes written as glyphs in plain text (labels as in the docx reader)."""
    items = _merge_ticks(_split_glyphs([_Run(text, False)]))
    return _checkboxes(items, provenance)


def normalise_boxes(text: str) -> str:
    """``text`` with every box glyph (and box+tick pair) rewritten as ☑ or ☐."""
    return _render(_merge_ticks(_split_glyphs([_Run(text, False)])))


def _box_kind(glyph: str) -> BoxKind:
    if glyph in TICK_GLYPHS:
        return "tick"
    return "checked" if glyph in CHECKED_GLYPHS else "unchecked"


def _split_glyphs(items: list[_Item]) -> list[_Item]:
    """Cut text runs at box glyphs, turning each glyph into a :class:`_Box`."""
    out: list[_Item] = []
    for item in items:
        if isinstance(item, _Box):
            out.append(item)
            continue
        pos = 0
        for match in _GLYPH_RE.finditer(item.text):
            if match.start() > pos:
                out.append(_Run(item.text[pos : match.start()], item.bold))
            out.append(_Box(_box_kind(match.group()), match.group()))
            pos = match.end()
        if pos < len(item.text):
            out.append(_Run(item.text[pos:], item.bold))
    return out


def _merge_ticks(items: list[_Item]) -> list[_Item]:
    """Join a box and a tick written next to it (``□√``, ``√□``) into one checked box."""
    out: list[_Item] = []
    for item in items:
        if isinstance(item, _Box) and out:
            gap = 0
            while gap < len(out) and isinstance(out[-1 - gap], _Run) and not out[-1 - gap].text.strip():
                gap += 1
            prev = out[-1 - gap] if gap < len(out) else None
            if isinstance(prev, _Box) and {prev.kind, item.kind} & {"tick"} and prev.kind != item.kind:
                del out[len(out) - gap :]
                out[-1] = _Box("checked", prev.glyph + item.glyph)
                continue
        out.append(item)
    return out


def _render(items: list[_Item]) -> str:
    return "".join(
        item.text if isinstance(item, _Run) else (UNCHECKED if item.kind == "unchecked" else CHECKED)
        for item in items
    )


def _checkboxes(items: list[_Item], provenance: Provenance) -> list[Checkbox]:
    """One :class:`Checkbox` per box, labelled by the text after (or before) it."""
    boxes = [item for item in items if isinstance(item, _Box)]
    if not boxes:
        return []
    segments: list[str] = [""]
    for item in items:
        if isinstance(item, _Box):
            segments.append("")
        else:
            segments[-1] += item.text
    labels_before = not segments[-1].strip() and bool(segments[0].strip())
    out = []
    for i, box in enumerate(boxes):
        if labels_before:
            label = re.split(r"[\s:：;；,，、]+", segments[i].strip(_LABEL_STRIP))[-1]
        else:
            label = segments[i + 1].strip(_LABEL_STRIP)
        out.append(Checkbox(box.kind != "unchecked", label, box.glyph, provenance))
    return out


def _bold_prefix(items: list[_Item]) -> str:
    """The leading bold run(s): a lead sentence such as 强化创新平台建设。"""
    parts: list[str] = []
    for item in items:
        if isinstance(item, _Box) or not (item.bold or not item.text.strip()):
            break
        parts.append(item.text)
    prefix = "".join(parts).strip()
    has_bold = any(isinstance(i, _Run) and i.bold and i.text.strip() for i in items)
    return prefix if has_bold else ""


# -- oxml helpers -------------------------------------------------------------


_on = on_off
_int_attr = int_attr


def _symbol_glyph(font: str, code: int) -> str | None:
    if 0xF000 <= code <= 0xF0FF:
        code -= 0xF000
    return SYMBOL_FONT_GLYPHS.get((font.lower(), code))


def _box_from_glyph(glyph: str, found_as: str) -> _Box:
    return _Box(_box_kind(glyph), found_as)


def _sdt_checkbox(sdt: etree._Element) -> _Box | None:
    """A ``w14:checkbox`` content control as a box, else None."""
    pr = sdt.find(W + "sdtPr")
    box = pr.find(W14 + "checkbox") if pr is not None else None
    if box is None:
        return None
    checked = box.find(W14 + "checked")
    state = checked is not None and (checked.get(W14 + "val") or "1").lower() not in _FALSE_VALUES
    return _Box("checked" if state else "unchecked", "w14:checkbox")


def _form_checkbox(fld_char: etree._Element) -> _Box | None:
    """A legacy ``FORMCHECKBOX`` field (the begin ``w:fldChar``) as a box, else None."""
    box = fld_char.find(f"{W}ffData/{W}checkBox")
    if box is None:
        return None
    state = _on(box.find(W + "checked"))
    if state is None:
        state = bool(_on(box.find(W + "default")))
    return _Box("checked" if state else "unchecked", "FORMCHECKBOX")


# -- list numbering ---------------------------------------------------------------


#: Word's names for "一、二、三" counting (LibreOffice writes the Taiwanese one).
_CJK_COUNTING = frozenset({
    "chineseCounting", "chineseCountingThousand", "taiwaneseCounting",
    "taiwaneseCountingThousand", "japaneseCounting", "koreanCounting",
})


def format_number(value: int, fmt: str) -> str:
    """A list counter as Word shows it for ``w:numFmt`` (Chinese formats via cn2an).

    cn2an is imported here, not with the module: loading it compiles a page of
    regular expressions (~0.1 s), and most documents number nothing in Chinese.
    """
    import cn2an

    if fmt in _CJK_COUNTING:
        return cn2an.an2cn(value)
    if fmt in ("ideographDigital", "taiwaneseDigital"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(value))
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional"):
        return cn2an.an2cn(value, "up")
    if fmt == "ideographTraditional":
        return _cycle("甲乙丙丁戊己庚辛壬癸", value)
    if fmt == "ideographZodiac":
        return _cycle("子丑寅卯辰巳午未申酉戌亥", value)
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= value <= 20:
        return chr(0x2460 + value - 1)
    if fmt == "decimalEnclosedParen" and 1 <= value <= 20:
        return chr(0x2474 + value - 1)
    if fmt == "decimalEnclosedFullstop" and 1 <= value <= 20:
        return chr(0x2488 + value - 1)
    if fmt == "decimalFullWidth":
        return str(value).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    if fmt == "decimalZero":
        return f"{value:02d}"
    return str(value)


def _cycle(symbols: str, value: int) -> str:
    return symbols[(value - 1) % len(symbols)]


def _roman(value: int) -> str:
    out = ""
    for number, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                            (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                            (4, "IV"), (1, "I")):
        while value >= number:
            out += letters
            value -= number
    return out


@dataclass(slots=True)
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    suffix: str = "tab"
    legal: bool = False


class _Numbering:
    """Renders automatic list numbers (一、 （一） 第一章 1.) that python-docx drops.

    Counters are kept per abstract numbering definition, as Word continues a
    list across ``w:num`` instances unless one overrides the start. Bullets
    are not rendered (their glyphs are symbol-font characters, not content).
    """

    def __init__(self, root: etree._Element | None) -> None:
        self._levels: dict[str, dict[int, _Level]] = {}
        self._num_to_abstract: dict[str, str] = {}
        self._overrides: dict[str, dict[int, int]] = {}
        self._counters: dict[str, dict[int, int]] = {}
        self._started: set[str] = set()
        if root is None:
            return
        for abstract in root.iter(W + "abstractNum"):
            levels = {int(lvl.get(W + "ilvl", "0")): _level(lvl) for lvl in abstract.iter(W + "lvl")}
            self._levels[abstract.get(W + "abstractNumId", "")] = levels
        for num in root.iter(W + "num"):
            num_id = num.get(W + "numId", "")
            ref = num.find(W + "abstractNumId")
            self._num_to_abstract[num_id] = ref.get(W + "val", "") if ref is not None else ""
            self._overrides[num_id] = {
                int(o.get(W + "ilvl", "0")): _int_attr(o, "startOverride", 1)
                for o in num.iter(W + "lvlOverride") if o.find(W + "startOverride") is not None
            }

    def label(self, num_id: str, ilvl: int) -> str:
        """The next number for a paragraph in list ``num_id`` at level ``ilvl`` ("" if none)."""
        abstract = self._num_to_abstract.get(num_id)
        levels = self._levels.get(abstract or "")
        if not levels or num_id == "0" or ilvl not in levels:
            return ""
        counters = self._counters.setdefault(abstract, {})
        if num_id not in self._started:
            self._started.add(num_id)
            for lvl, start in self._overrides.get(num_id, {}).items():
                counters[lvl] = start - 1
        level = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        if level.fmt in ("bullet", "none") or not level.text:
            return ""
        text = re.sub(r"%([1-9])", lambda m: self._part(levels, counters, int(m.group(1)) - 1, level), level.text)
        return text + ("" if level.suffix == "nothing" else " ")

    @staticmethod
    def _part(levels: dict[int, _Level], counters: dict[int, int], ilvl: int, current: _Level) -> str:
        level = levels.get(ilvl, _Level())
        value = counters.get(ilvl, level.start)
        return format_number(value, "decimal" if current.legal else level.fmt)


def _level(lvl: etree._Element) -> _Level:
    fmt = lvl.find(W + "numFmt")
    text = lvl.find(W + "lvlText")
    suffix = lvl.find(W + "suff")
    return _Level(
        start=_int_attr(lvl, "start", 1),
        fmt=fmt.get(W + "val", "decimal") if fmt is not None else "decimal",
        text=text.get(W + "val", "") if text is not None else "",
        suffix=suffix.get(W + "val", "tab") if suffix is not None else "tab",
        legal=bool(_on(lvl.find(W + "isLgl"))),
    )


# -- the walk -----------------------------------------------------------------


@dataclass
class _Walker:
    """Walks body, cells and header/footer parts into blocks."""

    package: WordPackage
    shown: str
    problems: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # for staff (``Document.unread``)
    _para_index: int = 0
    _table_index: int = 0

    def __post_init__(self) -> None:
        self._numbering = _Numbering(self.package.numbering())
        self._styles = self.package.styles()
        self._default_style = self._styles.default_name
        self._default_style_id = self._styles.default_id

    # blocks ---------------------------------------------------------------
    def blocks(
        self, container: etree._Element, *, top_level: bool = False, where: Provenance | None = None
    ) -> list[Block]:
        """Paragraphs and tables of ``container`` in order; empty paragraphs dropped."""
        out: list[Block] = []
        for child in container:
            tag = child.tag
            if tag == _P:
                if top_level:
                    self._para_index += 1
                    prov = Provenance(self.shown, line=self._para_index)
                else:
                    prov = where if where is not None else Provenance(self.shown)
                para = self.paragraph(child, prov)
                if para.text.strip() or para.checkboxes:
                    out.append(para)
                out.extend(self.pictures(child, prov))
            elif tag == _TBL and (laid_out := _layout_cells(child)) is not None:
                for cell in laid_out:
                    out.extend(self.blocks(cell, top_level=top_level, where=where))
            elif tag == _TBL:
                if top_level:
                    prov = Provenance(self.shown, table=self._table_index)
                    self._table_index += 1
                else:
                    prov = where if where is not None else Provenance(self.shown)
                out.append(self.table(child, prov, nested=prov.cell is not None))
            elif tag in (_SDT, _CUSTOM_XML):
                content = child.find(_SDT_CONTENT) if tag == _SDT else child
                if content is not None:
                    out.extend(self.blocks(content, top_level=top_level, where=where))
            elif tag == _ALT_CHUNK:
                self.problems.append("embedded document part (altChunk) not read")
                self.unread.append("文档中嵌入的另一份文档（altChunk）未能读取")
        return out

    def paragraph(self, p: etree._Element, prov: Provenance) -> Paragraph:
        ppr = _props(_first(p, _PPR))
        style_el = ppr.get(_PSTYLE)
        style_id = style_el.get(_VAL) if style_el is not None else None
        effective = style_id or self._default_style_id
        para_bold = self._style_bold(effective)
        raw = self._inline(p, para_bold)
        number = self._list_label(ppr.get(_NUMPR), effective)
        if number:
            raw.insert(0, _Run(number, para_bold))
        items = _merge_ticks(_split_glyphs(raw))
        text = _render(items)
        style = self._styles.name(style_id) if style_id else self._default_style
        return Paragraph(
            text=text,
            provenance=prov,
            lines=[TextLine(text, prov)] if text else [],
            checkboxes=_checkboxes(items, prov),
            style=style,
            bold_prefix=_bold_prefix(items),
        )

    def pictures(self, p: etree._Element, prov: Provenance) -> list[Image]:
        """Pictures anchored in a paragraph; a red stamp among them is marked ``seal``.

        The form's 真实性声明 is sealed in Word by pasting a scan of the 公章, so
        whether the statement is sealed is a property of its pictures.
        """
        images: list[Image] = []
        for blip in p.iter(_BLIP):
            rid = blip.get(_EMBED)
            blob = self.package.blob(rid) if rid else None
            if not blob:
                continue
            size, is_seal = _picture_facts(blob)
            images.append(Image(prov, size[0], size[1], "seal" if is_seal else ""))
        return images

    def _list_label(self, direct: etree._Element | None, style_id: str | None) -> str:
        """The automatic number Word shows before a paragraph (``direct``: its own ``w:numPr``)."""
        num_id, ilvl = numpr(direct)
        if num_id is None or ilvl is None:
            style_num, style_lvl = self._style_list(style_id)
            num_id = num_id if num_id is not None else style_num
            ilvl = ilvl if ilvl is not None else style_lvl
        if num_id is None:
            return ""
        return self._numbering.label(num_id, ilvl or 0)

    def _style_list(self, style_id: str | None) -> tuple[str | None, int | None]:
        """``(numId, ilvl)`` a paragraph style (or its bases) puts its paragraphs in."""
        return self._styles.list_numpr(style_id)

    # inline content -------------------------------------------------------
    def _inline(self, el: etree._Element, para_bold: bool) -> list[_Item]:
        """Text runs and boxes of a paragraph (or any inline container), in order."""
        items: list[_Item] = []
        self._inline_into(el, para_bold, items)
        return items

    def _inline_into(self, el: etree._Element, para_bold: bool, items: list[_Item]) -> None:
        for child in el:
            tag = child.tag
            if tag == _R:
                self._run(child, para_bold, items)
            elif tag in _SKIP_INLINE or not isinstance(tag, str):
                continue
            elif tag == _SDT:
                box = _sdt_checkbox(child)
                if box is not None:
                    items.append(box)
                else:
                    content = child.find(_SDT_CONTENT)
                    if content is not None:
                        self._inline_into(content, para_bold, items)
            elif tag == _ALTERNATE:
                choice = child.find(_CHOICE)
                if choice is not None:
                    self._inline_into(choice, para_bold, items)
            elif tag == _MATH_T:
                items.append(_Run(child.text or "", para_bold))
            else:  # hyperlink, ins, smartTag, fldSimple, oMath, moveTo, ...
                self._inline_into(child, para_bold, items)

    def _run(self, r: etree._Element, para_bold: bool, items: list[_Item]) -> None:
        """Append a ``w:r``'s text, breaks, symbols, boxes and text boxes to ``items``."""
        rpr = _props(_first(r, _RPR))
        bold = self._run_bold(rpr, para_bold)
        symbol_font = _symbol_font(rpr.get(_RFONTS))
        for child in r:
            tag = child.tag
            if tag == _T:
                if symbol_font is None:
                    items.append(_Run(child.text or "", bold))
                else:
                    items.extend(self._text(child.text or "", bold, symbol_font))
            elif tag == _RPR:
                continue
            elif tag in _TABS:
                items.append(_Run("\t", bold))
            elif tag == _BR:
                if child.get(_TYPE) not in ("page", "column"):
                    items.append(_Run("\n", bold))
            elif tag == _CR:
                items.append(_Run("\n", bold))
            elif tag == _NO_BREAK_HYPHEN:
                items.append(_Run("-", bold))
            elif tag == _SYM:
                items.extend(self._sym(child, bold))
            elif tag == _FLD_CHAR:
                box = _form_checkbox(child)
                if box is not None:
                    items.append(box)
            elif tag in _TEXT_BOXES:
                items.extend(self._text_boxes(child, para_bold))

    def _text(self, text: str, bold: bool, symbol_font: str | None) -> list[_Item]:
        """Run text; in a symbol font each code point is mapped or dropped."""
        if symbol_font is None:
            return [_Run(text, bold)]
        items: list[_Item] = []
        for ch in text:
            code = ord(ch)
            if code < 0x100 or 0xF000 <= code <= 0xF0FF:
                glyph = _symbol_glyph(symbol_font, code)
                if glyph is not None:
                    items.append(_box_from_glyph(glyph, f"{symbol_font} F0{code & 0xFF:02X}"))
            else:
                items.append(_Run(ch, bold))
        return items

    def _sym(self, sym: etree._Element, bold: bool) -> list[_Item]:
        font = sym.get(W + "font") or ""
        raw = sym.get(W + "char") or ""
        try:
            code = int(raw, 16)
        except ValueError:
            return []
        glyph = _symbol_glyph(font, code)
        if glyph is not None:
            return [_box_from_glyph(glyph, f"w:sym {font} {raw.upper()}")]
        if font.lower() in SYMBOL_FONTS or 0xF000 <= code <= 0xF0FF or code < 0x20:
            return []  # an unmapped dingbat: drop it rather than show a stray letter
        return [_Run(chr(code), bold)]  # a Unicode symbol (√ U+221A, ☐ U+2610 in MS Gothic)

    def _text_boxes(self, el: etree._Element, para_bold: bool) -> list[_Item]:
        """Text of text boxes anchored in a run (``w:txbxContent``), Fallback copies skipped."""
        items: list[_Item] = []
        for box in el.iter(_TXBX_CONTENT):
            if any(a.tag == _FALLBACK for a in box.iterancestors()):
                continue
            for p in box.iter(_P):
                items.append(_Run("\n", para_bold))
                items.extend(self._inline(p, para_bold))
            items.append(_Run("\n", para_bold))
        return items

    # styles ---------------------------------------------------------------
    def _run_bold(self, rpr: dict[str, etree._Element], para_bold: bool) -> bool:
        """A run's boldness: its own ``w:b`` (else ``w:bCs``), its character style, the paragraph's."""
        if rpr:
            direct = _on(rpr.get(_B))
            if direct is None:
                direct = _on(rpr.get(_BCS))
            if direct is not None:
                return direct
            rstyle = rpr.get(_RSTYLE)
            if rstyle is not None and self._style_bold(rstyle.get(_VAL)):
                return True
        return para_bold

    def _style_bold(self, style_id: str | None) -> bool:
        """Whether a style (following ``basedOn``) makes its text bold."""
        return self._styles.bold(style_id)

    # tables ---------------------------------------------------------------
    def table(self, tbl: etree._Element, prov: Provenance, nested: bool = False) -> Table:
        """Cells with spans resolved against the grid; vMerge continuations extend their origin."""
        grid_cols = len(tbl.findall(f"{W}tblGrid/{W}gridCol"))
        cells: list[Cell] = []
        above: dict[int, Cell] = {}
        header_rows, in_header = 0, True
        n_cols = grid_cols
        rows = list(_children(tbl, _TR))
        for r, tr in enumerate(rows):
            trpr = _props(_first(tr, _TRPR))
            in_header = in_header and bool(_on(trpr.get(_TBL_HEADER)))
            header_rows += in_header
            col = _int_val(trpr.get(_GRID_BEFORE), 0)
            current: dict[int, Cell] = {}
            for tc in _children(tr, _TC):
                tcpr = _props(_first(tc, _TCPR))
                span = max(1, _int_val(tcpr.get(_GRID_SPAN), 1))
                origin = self._merge_origin(tcpr.get(_VMERGE), above, col, r, prov)
                if origin is not None:
                    origin.row_span = r - origin.row + 1
                    self._absorb(origin, tc, prov)
                    target = origin
                else:
                    target = self._cell(tc, r, col, span, prov, nested)
                    cells.append(target)
                for c in range(col, col + span):
                    current[c] = target
                col += span
            n_cols = max(n_cols, col)
            above = current
        return Table(
            n_rows=len(rows),
            n_cols=n_cols,
            cells=cells,
            provenance=prov,
            header_rows=header_rows,
        )

    def _merge_origin(
        self, vmerge: etree._Element | None, above: dict[int, Cell], col: int, row: int, prov: Provenance
    ) -> Cell | None:
        """The cell this one continues (its ``w:vMerge`` without restart), or None."""
        if vmerge is None or vmerge.get(_VAL, "continue") != "continue":
            return None
        origin = above.get(col)
        if origin is None or origin.col != col:
            self.problems.append(f"table {prov.table}: vMerge continuation without origin at row {row}")
            return None
        return origin

    def _cell(
        self, tc: etree._Element, row: int, col: int, span: int, prov: Provenance, nested: bool
    ) -> Cell:
        where = prov if nested else prov.at(cell=(row, col))
        blocks = self.blocks(tc, where=where)
        cell = Cell(row=row, col=col, text="", provenance=where, col_span=span)
        _fill_cell(cell, blocks)
        return cell

    def _absorb(self, origin: Cell, tc: etree._Element, prov: Provenance) -> None:
        """Keep any text Word left in a merged continuation cell (normally empty)."""
        blocks = self.blocks(tc, where=origin.provenance)
        if any(getattr(b, "text", "").strip() for b in blocks):
            _fill_cell(origin, blocks)

    # headers and footers ----------------------------------------------------
    def headers_and_footers(self) -> tuple[list[Block], list[Block]]:
        """Blocks of every header and footer part, each part once, in rId order."""
        headers: list[Block] = []
        footers: list[Block] = []
        rels = sorted(self.package.rels, key=lambda rel: _rid_number(rel.rid))
        for rel in rels:
            kind = rel.reltype.rsplit("/", 1)[-1]
            if kind not in ("header", "footer") or rel.external:
                continue
            blocks = self.blocks(self.package.part(rel), where=Provenance(self.shown))
            target = headers if kind == "header" else footers
            seen = {block.text for block in target if not isinstance(block, Image)}
            target.extend(b for b in blocks if isinstance(b, Image) or b.text not in seen)
        return headers, footers


_PICTURES: ContentCache[tuple[tuple[int, int], bool]] = ContentCache(64, 32 << 20)


def _picture_facts(blob: bytes) -> tuple[tuple[int, int], bool]:
    """:func:`_look_at_picture`, remembered by content: a firm's seal scan recurs in its files."""
    facts = _PICTURES.get(blob)
    return facts if facts is not None else _PICTURES.put(blob, _look_at_picture(blob))


def _look_at_picture(blob: bytes) -> tuple[tuple[int, int], bool]:
    """(width, height) of an embedded picture and whether it looks like a red seal."""
    import numpy as np
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    from saidao.ingest.readers.scan_layout import red_mask

    try:
        with PILImage.open(io.BytesIO(blob)) as picture:
            size = picture.size
            picture.thumbnail((256, 256))
            rgb = np.asarray(picture.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError):
        return (0, 0), False
    mask = red_mask(rgb) > 0
    if mask.mean() < 0.03:
        return size, False
    ys, xs = np.nonzero(mask)
    w, h = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    return size, bool(0.6 <= w / h <= 1.6 and min(w, h) >= 0.3 * min(rgb.shape[:2]))


def _layout_cells(tbl: etree._Element) -> list[etree._Element] | None:
    """The cells, in order, of a table that lays text out rather than holding data, else None.

    A frame (``tables.is_frame``: one cell) or one column of running text
    (``tables.is_text_column``, the rule the HTML reader uses for a portal's layout
    tables): a notice laid out in such a table keeps its title, 文号 and numbered
    clauses, read as if they stood outside it.
    """
    rows = [list(_children(tr, _TC)) for tr in _children(tbl, _TR)]
    cells = [tc for row in rows for tc in row]
    if not cells:
        return None
    if is_frame(len(cells)):
        return cells
    widths = {sum(max(1, _int_val(_props(_first(tc, _TCPR)).get(_GRID_SPAN), 1)) for tc in row) for row in rows}
    texts = (("".join("".join(t.text or "" for t in tc.iter(_T)).split()), len(tc.findall(_P)))
             for tc in cells)
    return cells if is_text_column(widths, ((len(text), paragraphs) for text, paragraphs in texts)) else None


def _fill_cell(cell: Cell, blocks: list[Block]) -> None:
    """Append ``blocks`` to a cell: text, lines, checkboxes and (if nested tables) blocks."""
    texts = [cell.text] if cell.text else []
    for block in blocks:
        if isinstance(block, Paragraph):
            texts.append(block.text)
            cell.lines.extend(block.lines)
            cell.checkboxes.extend(block.checkboxes)
        elif isinstance(block, Table):
            texts.extend(" ".join(c.text for c in row if c.text) for row in block.rows())
            cell.checkboxes.extend(box for c in block.cells for box in c.checkboxes)
        elif isinstance(block, Image):
            cell.blocks.append(block)
    cell.text = "\n".join(t for t in texts if t.strip()).strip()
    if any(isinstance(block, Table) for block in blocks):
        cell.blocks.extend(blocks)


def _children(el: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children with ``tag``, looking through ``w:sdt`` and ``w:customXml`` wrappers."""
    for child in el:
        child_tag = child.tag
        if child_tag == tag:
            yield child
        elif child_tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _children(content, tag)
        elif child_tag == _CUSTOM_XML:
            yield from _children(child, tag)


def _first(el: etree._Element, tag: str) -> etree._Element | None:
    """The first child with ``tag``. Properties (``w:pPr``, ``w:rPr`` …) come first by the
    schema, so the head is checked before a scan."""
    if len(el):
        head = el[0]
        if head.tag == tag:
            return head
    return next(el.iterchildren(tag), None)


def _props(el: etree._Element | None) -> dict[str, etree._Element]:
    """A properties element's children by tag (the first of each), read in one pass:
    one pass is cheaper than a ``find`` per property."""
    found: dict[str, etree._Element] = {}
    if el is not None:
        for child in el:
            found.setdefault(child.tag, child)
    return found


def _int_val(el: etree._Element | None, default: int) -> int:
    """``w:val`` of a property as an int, ``default`` when absent or not a number."""
    if el is None:
        return default
    try:
        return int(el.get(_VAL, default))
    except ValueError:
        return default


def _symbol_font(fonts: etree._Element | None) -> str | None:
    """The symbol font (Wingdings, Symbol …) a run's ``w:rFonts`` sets for Latin text, if any."""
    if fonts is None:
        return None
    for attr in (_ASCII, _HANSI):
        name = (fonts.get(attr) or "").lower()
        if name in SYMBOL_FONTS:
            return name
    return None


def _rid_number(rid: str) -> int:
    digits = re.sub(r"\D", "", rid)
    return int(digits) if digits else 0


def _pages(package: WordPackage) -> list[PageInfo]:
    """One page plus one per explicit break, sized from the first section."""
    breaks = 0
    for el in package.body.iter(_BR, _PAGE_BREAK_BEFORE, _SECT_PR):
        if el.tag == _BR:
            breaks += el.get(_TYPE) == "page"
        elif el.getparent().tag != _PPR:
            continue
        elif el.tag == _PAGE_BREAK_BEFORE:
            breaks += bool(_on(el))
        else:
            kind = el.find(W + "type")
            breaks += kind is None or kind.get(_VAL, "nextPage") in _PAGE_SECTION_TYPES
    width, height = package.page_size()
    return [PageInfo(number=n, width=width, height=height) for n in range(1, breaks + 2)]

def clear_caches(*, styles: bool = True, pictures: bool = True) -> None:
    """Forget what was learnt from earlier files (benchmarks time a file never seen)."""
    if styles:
        docx_package.clear_caches()
    if pictures:
        _PICTURES.clear()

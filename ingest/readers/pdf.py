"""The PDF reader: pypdfium2 text pass, pdfplumber ruled tables, OCR for pages without usable text.

Per page: the characters and their boxes come from PDFium (fast, C); only pages
that draw vector paths are handed to pdfplumber, for ruled tables and drawn
check boxes. Characters inside a table's cells become the cells' text and are
not repeated as paragraphs; the rest are grouped into lines, lines into
paragraphs. Lines in the top/bottom margin that repeat across pages, or are
page numbers, become ``Document.headers``/``footers``. A page whose text layer
is missing or garbled (see ``saidao.ingest.textlayer``) is rendered and OCR'd,
so a PDF mixing typed and scanned pages is read page by page. Finally tables
continued over page breaks are joined (``saidao.ingest.tables``).
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from saidao.document import (
    CHECKED,
    UNCHECKED,
    BBox,
    Block,
    Checkbox,
    Document,
    Image,
    PageInfo,
    Paragraph,
    Provenance,
    Table,
    TextLine,
)
from saidao.errors import SaidaoError
from saidao.ingest import pageprogress
from saidao.ingest.limits import check_pdf_streams, render_scale
from saidao.ingest.readers.pdf_tables import DrawnBox, TableGrid, drawn_checkboxes, ruled_tables
from saidao.ingest.tables import join_continued_tables, number_tables
from saidao.ingest.textlayer import text_layer_problem
from saidao.ingest.wrap import join_pieces
from saidao.settings import ReadSettings

# -- check box glyphs ---------------------------------------------------------
_CHECKED_GLYPHS = set("☑☒■√✓✔⊠▣✗✘")
_UNCHECKED_GLYPHS = set("□☐▢◻❑❏")
#: Symbol-font (Wingdings, Wingdings 2) codes, as PDFium reports them in the
#: F0xx private-use block, that draw check boxes or ticks.
_SYMBOL_BOXES = {
    0xF0FE: CHECKED, 0xF0FD: CHECKED, 0xF078: CHECKED, 0xF06E: CHECKED, 0xF0FC: CHECKED,
    0xF052: CHECKED, 0xF054: CHECKED, 0xF050: CHECKED,
    0xF0A8: UNCHECKED, 0xF06F: UNCHECKED, 0xF0A3: UNCHECKED, 0xF071: UNCHECKED,
}
#: Marks that tick a drawn box when they sit inside it.
_TICK_MARKS = set("√✓✔×xX☑☒■●✗✘")

_PAGE_NUMBER = re.compile(
    r"^[\s\-—–_·•]*(?:第\s*\d{1,4}\s*[页頁贝](?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页"
    r"|\d{1,4}(?:\s*[/／]\s*\d{1,4})?|Page\s*\d+(?:\s*of\s*\d+)?)[\s\-—–_·•]*$",
    re.I,
)
_MARGIN = 0.1  # top/bottom share of the page where running heads and page numbers live
_SEAL_DPI = 36
#: A soft hyphen: invisible where the text flows on, a word broken at a line's end.
#: PDFium reports it as U+00AD or as U+0002; either becomes this one marker, kept
#: at a line's end until lines are joined (then the word is joined without a space).
SOFT_HYPHEN = "\u00ad"
_SOFT_HYPHEN_CODES = {0x02, 0xAD}
#: Invisible characters that never belong to the text read: zero-width space/joiners,
#: word joiner, BOM.
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}


def _char_text(code: int) -> str | None:
    """The text of one text-layer character, None for control and invisible characters
    (the only ones kept are the tab, as a space, and the soft hyphen marker)."""
    if code in _SOFT_HYPHEN_CODES:
        return SOFT_HYPHEN
    if code == 0x09:
        return " "
    if code < 0x20 or 0x7F <= code <= 0x9F or code in _INVISIBLE:
        return None
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"


def visible(text: str) -> str:
    """Text without soft-hyphen markers (a finished line, paragraph or cell)."""
    return text.replace(SOFT_HYPHEN, "")


def box_glyph(ch: str) -> str | None:
    """☑ or ☐ when ``ch`` is a check box glyph (Unicode or a symbol font's code), else None."""
    if ch in _CHECKED_GLYPHS:
        return CHECKED
    if ch in _UNCHECKED_GLYPHS:
        return UNCHECKED
    return _SYMBOL_BOXES.get(ord(ch)) if len(ch) == 1 else None


# -- characters and lines -----------------------------------------------------
@dataclass(slots=True)
class Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    glyph: str = ""  # the original glyph when ``text`` is a normalised check box

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(slots=True)
class Line:
    chars: list[Char]
    text: str
    bbox: BBox
    number: int = 0  # 1-based within the page, top to bottom

    @property
    def size(self) -> float:
        sizes = [c.size for c in self.chars if not c.text.isspace()]
        return statistics.median(sizes) if sizes else 10.0

    @property
    def boxes(self) -> list[Char]:
        return [c for c in self.chars if c.glyph]


def page_chars(textpage: pdfium.PdfTextPage, mediabox: tuple[float, float, float, float]) -> list[Char]:
    """Every non-generated character with its loose box in top-left page points."""
    raw = textpage.raw
    left, _, _, top = mediabox
    rect = pdfium_c.FS_RECTF()
    chars: list[Char] = []
    for i in range(pdfium_c.FPDFText_CountChars(raw)):
        if pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
            continue
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        if code in (0x0A, 0x0D, 0xFFFE, 0xFFFF):
            continue
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, ctypes.byref(rect)):
            continue
        if pdfium_c.FPDFText_HasUnicodeMapError(raw, i) == 1:
            code = 0xFFFD
        text = _char_text(code)
        if text is None:
            continue
        size = float(pdfium_c.FPDFText_GetFontSize(raw, i)) or (rect.top - rect.bottom)
        char = Char(text, rect.left - left, top - rect.top, rect.right - left, top - rect.bottom, size)
        normal = box_glyph(text)
        if normal:
            char.glyph, char.text = text, normal
        chars.append(char)
    return chars


def apply_drawn_boxes(chars: list[Char], boxes: list[DrawnBox]) -> list[Char]:
    """Put each drawn box into the text flow as a ☑/☐ character; a glyph inside ticks it."""
    if not boxes:
        return chars
    out = list(chars)
    for box in boxes:
        x0, top, x1, bottom = box.bbox
        inside = [c for c in out if x0 - 1 <= c.cx <= x1 + 1 and top - 1 <= c.cy <= bottom + 1]
        ticked = box.checked or any(c.text in _TICK_MARKS or c.glyph for c in inside)
        out = [c for c in out if c not in inside]
        out.append(Char(CHECKED if ticked else UNCHECKED, x0, top, x1, bottom, bottom - top, "drawn"))
    return out


def group_lines(chars: list[Char]) -> list[Line]:
    """Characters into visual lines: a character joins the line it overlaps vertically."""
    rows: list[list[Char]] = []
    for char in sorted(chars, key=lambda c: (c.cy, c.x0)):
        if rows:
            line = rows[-1]
            top = min(c.top for c in line[-3:])
            bottom = max(c.bottom for c in line[-3:])
            overlap = min(bottom, char.bottom) - max(top, char.top)
            if overlap > 0.5 * min(bottom - top, char.bottom - char.top):
                line.append(char)
                continue
        rows.append([char])
    lines = []
    for row in rows:
        row.sort(key=lambda c: c.x0)
        text = line_text(row)
        if text:
            bbox = (min(c.x0 for c in row), min(c.top for c in row),
                    max(c.x1 for c in row), max(c.bottom for c in row))
            lines.append(Line(row, text, bbox))
    lines.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    return lines


def page_lines(chars: list[Char]) -> list[Line]:
    """A page's body characters as its lines, numbered from 1 top to bottom (the numbers
    are the lines' provenance; a cell's lines from :func:`group_lines` have none)."""
    lines = group_lines(chars)
    for n, line in enumerate(lines, start=1):
        line.number = n
    return lines


def line_text(chars: list[Char]) -> str:
    """Text of a left-to-right run; a gap wider than half a character reads as a space."""
    parts: list[str] = []
    prev: Char | None = None
    for char in chars:
        if prev is not None and not char.text.isspace() and not prev.text.isspace():
            gap = char.x0 - prev.x1
            if gap > 0.5 * max(min(prev.size, char.size), 1.0):
                parts.append(" ")
        parts.append(" " if char.text.isspace() else char.text)
        prev = char
    text = re.sub(r" {2,}", " ", "".join(parts)).strip()
    # a soft hyphen inside a line is invisible; only one ending the line breaks a word
    ends_broken = text.endswith(SOFT_HYPHEN)
    text = visible(text).rstrip()
    return text + SOFT_HYPHEN if ends_broken and text else text


def join_lines(texts: list[str]) -> str:
    """Wrapped lines into one text: CJK needs no space at a wrap, Latin words do, and a
    word broken by a soft hyphen is joined whole."""
    out = ""
    for text in texts:
        out = _join_two(out, text)
    return visible(out)


def _join_two(out: str, text: str) -> str:
    """``text`` wrapped onto ``out`` (``ingest.wrap``); a word broken by a soft hyphen is
    joined whole, and a soft hyphen ending ``text`` is kept (it may go on)."""
    if out.endswith(SOFT_HYPHEN):
        return out[:-1] + text
    return join_pieces(out, text)


# -- paragraphs ---------------------------------------------------------------
def _mode_left(lines: list[Line]) -> float:
    counts = Counter(round(ln.bbox[0]) for ln in lines)
    return float(counts.most_common(1)[0][0]) if counts else 0.0


def _continues(prev: Line, line: Line, left: float, right: float) -> bool:
    """Does ``line`` carry on the paragraph ``prev`` is in? Chinese documents mark a new
    paragraph by a 2-character first-line indent, a short previous line or a wider gap."""
    size = prev.size
    if abs(line.size - size) > 0.15 * size:
        return False
    if line.bbox[1] - prev.bbox[3] > 1.0 * size:
        return False
    if line.bbox[0] - left > 1.5 * size and line.bbox[0] - prev.bbox[0] > 1.0 * size:
        return False
    if line.bbox[0] > prev.bbox[0] + 1.0 * size:
        return False
    return right - prev.bbox[2] <= 2.0 * size


def group_paragraphs(lines: list[Line]) -> list[list[Line]]:
    if not lines:
        return []
    left = _mode_left(lines)
    right = max(ln.bbox[2] for ln in lines)
    groups: list[list[Line]] = [[lines[0]]]
    for line in lines[1:]:
        if _continues(groups[-1][-1], line, left, right):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def checkboxes_in(text: str, box_chars: list[Char], base: Provenance) -> list[Checkbox]:
    """One Checkbox per ☑/☐ in ``text`` (in order, matching ``box_chars``); label up to the next box."""
    positions = [i for i, ch in enumerate(text) if ch in (CHECKED, UNCHECKED)]
    out = []
    for n, (pos, char) in enumerate(zip(positions, box_chars, strict=False)):
        end = positions[n + 1] if n + 1 < len(positions) else len(text)
        label = text[pos + 1:end].split("\n")[0].strip(" \t\u3000:：;；,，、")
        prov = base.at(bbox=(char.x0, char.top, char.x1, char.bottom))
        out.append(Checkbox(text[pos] == CHECKED, label, char.glyph, prov))
    return out


def make_paragraph(lines: list[Line], base: Provenance) -> Paragraph:
    text = join_lines([ln.text for ln in lines])
    bbox = (min(ln.bbox[0] for ln in lines), lines[0].bbox[1],
            max(ln.bbox[2] for ln in lines), lines[-1].bbox[3])
    prov = base.at(line=lines[0].number, bbox=bbox)
    text_lines = [TextLine(visible(ln.text), base.at(line=ln.number, bbox=ln.bbox)) for ln in lines]
    boxes = [c for ln in lines for c in ln.boxes]
    return Paragraph(text, prov, text_lines, checkboxes_in(text, boxes, prov))


# -- tables -------------------------------------------------------------------
def _cell_text(lines: list[Line], right: float) -> str:
    """Lines of one cell: a line that reaches the cell's right side wraps into the next."""
    out = ""
    for i, line in enumerate(lines):
        if i:
            broken = out.endswith(SOFT_HYPHEN)  # a word broken at the line's end goes on
            wrapped = broken or right - lines[i - 1].bbox[2] <= 2.0 * lines[i - 1].size
            out = _join_two(out, line.text) if wrapped else out + "\n" + line.text
            continue
        out = line.text
    return visible(out)


class _Centres:
    """A page's characters by the height of their centres.

    A cell's characters are then found by bisection on the cell's top and
    bottom instead of a scan of the whole page per cell (a form page has
    hundreds of cells and thousands of characters).
    """

    def __init__(self, chars: list[Char]) -> None:
        self.chars = chars
        self.order = sorted(range(len(chars)), key=lambda i: chars[i].cy)
        self.cy = [chars[i].cy for i in self.order]
        self.cx = [chars[i].cx for i in self.order]

    def within(self, bbox: BBox) -> list[Char]:
        """The characters centred inside ``bbox``, in their page order."""
        x0, top, x1, bottom = bbox
        lo, hi = bisect.bisect_left(self.cy, top), bisect.bisect_right(self.cy, bottom)
        found = sorted(self.order[k] for k in range(lo, hi) if x0 <= self.cx[k] <= x1)
        return [self.chars[i] for i in found]


def build_table(grid: TableGrid, chars: list[Char], base: Provenance) -> Table:
    """Fill a grid's cells with the characters whose centres fall inside them."""
    from saidao.document import Cell

    table = Table(grid.n_rows, grid.n_cols, [], base.at(bbox=grid.bbox), pages=[base.page] if base.page else [])
    centres = _Centres(chars)
    for gc in grid.cells:
        lines = group_lines(centres.within(gc.bbox))
        text = _cell_text(lines, gc.bbox[2])
        prov = base.at(cell=(gc.row, gc.col), bbox=gc.bbox)
        boxes = [c for ln in lines for c in ln.boxes]
        table.cells.append(Cell(
            gc.row, gc.col, text, prov, gc.row_span, gc.col_span,
            checkboxes=checkboxes_in(text, boxes, prov),
            lines=[TextLine(visible(ln.text), prov.at(bbox=ln.bbox)) for ln in lines],
        ))
    return table


def in_any(char: Char, areas: list[BBox]) -> bool:
    """Whether the character's centre lies in one of ``areas`` (a table's: its text is the cells')."""
    return any(a[0] <= char.cx <= a[2] and a[1] <= char.cy <= a[3] for a in areas)


# -- pages ---------------------------------------------------------------------
@dataclass(slots=True)
class PageText:
    """One text-layer page before headers/footers are decided across the document."""

    info: PageInfo
    lines: list[Line] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    ocr_blocks: list[Block] | None = None  # set when the page was OCR'd


def _objects(page: pdfium.PdfPage, kind: int, limit: int | None = None) -> list[Any]:
    out = []
    for obj in page.get_objects(filter=[kind], max_depth=3):
        out.append(obj)
        if limit is not None and len(out) >= limit:
            break
    return out


class _PdfReader:
    """State for reading one file: the PDFium document, a lazy pdfplumber twin, timings."""

    def __init__(self, path: Path, sha256: str, settings: ReadSettings) -> None:
        self.path, self.settings = path, settings
        self.doc = Document(path=str(path), sha256=sha256, format="pdf")
        self.pdf = _open(path)
        self._plumber: Any = None
        self.timings: Counter[str] = Counter()

    def plumber_page(self, index: int) -> Any:
        if self._plumber is None:
            import pdfplumber
            self._plumber = pdfplumber.open(self.path)
        return self._plumber.pages[index]

    def close(self) -> None:
        if self._plumber is not None:
            self._plumber.close()
        self.pdf.close()

    # -- one page ----------------------------------------------------------------
    def read_page(self, index: int) -> PageText:
        page = self.pdf[index]
        try:
            return self._read_page(page, index)
        finally:
            page.close()

    def _read_page(self, page: pdfium.PdfPage, index: int) -> PageText:
        number = index + 1
        width, height = page.get_size()
        info = PageInfo(number=number, width=float(width), height=float(height),
                        rotation=float(page.get_rotation()))
        result = PageText(info)
        chars, images, reason = self._text_layer(page)
        if reason:
            self._ocr(page, result, reason)
            return result
        if _objects(page, pdfium_c.FPDF_PAGEOBJ_PATH, limit=1):
            chars = self._tables(index, chars, result)
        if images:
            self._seals(page, result)
        result.lines = page_lines(chars)
        return result

    def _text_layer(self, page: pdfium.PdfPage) -> tuple[list[Char], list[Any], str]:
        """The page's characters, its image objects, and why its text layer is unusable ("" if usable)."""
        started = time.perf_counter()
        textpage = page.get_textpage()
        try:
            chars = page_chars(textpage, page.get_mediabox())
        finally:
            textpage.close()
        images = _objects(page, pdfium_c.FPDF_PAGEOBJ_IMAGE)
        self.timings["text"] += time.perf_counter() - started
        return chars, images, text_layer_problem("".join(c.text for c in chars), bool(images), self.settings)

    def needs_ocr(self, index: int) -> bool:
        """True when page ``index`` would be sent to OCR (the same test as :meth:`read_page`)."""
        page = self.pdf[index]
        try:
            return bool(self._text_layer(page)[2])
        finally:
            page.close()

    def _tables(self, index: int, chars: list[Char], result: PageText) -> list[Char]:
        """Ruled tables and drawn boxes of this page; returns the characters outside tables."""
        started = time.perf_counter()
        plumber = self.plumber_page(index)
        graphics = list(plumber.rects) + list(plumber.curves) + list(plumber.lines)
        boxes = drawn_checkboxes(graphics)
        chars = apply_drawn_boxes(chars, boxes)
        grids = ruled_tables(plumber, boxes) if len(graphics) > len(boxes) else []
        base = Provenance(file=str(self.path), page=result.info.number)
        for grid in grids:
            result.tables.append(build_table(grid, chars, base))
        areas = [g.bbox for g in grids]
        self.timings["tables"] += time.perf_counter() - started
        return [c for c in chars if not in_any(c, areas)]

    def _seals(self, page: pdfium.PdfPage, result: PageText) -> None:
        started = time.perf_counter()
        width, height = page.get_size()
        if width * height * (_SEAL_DPI / 72.0) ** 2 > self.settings.max_render_pixels:
            return  # a page too large to look for seals on (it is not rendered at all)
        seals = find_red_seals(page)
        result.info.seals.extend(seals)
        for box in seals:
            prov = Provenance(file=str(self.path), page=result.info.number, bbox=box)
            result.images.append(Image(prov, round(box[2] - box[0]), round(box[3] - box[1]), "seal"))
        self.timings["seals"] += time.perf_counter() - started

    def _ocr(self, page: pdfium.PdfPage, result: PageText, reason: str) -> None:
        """Send a page without a usable text layer to OCR, or leave it empty and say so."""
        number = result.info.number
        result.info.origin, result.info.ocr_reason = "ocr", reason
        if not self.settings.ocr:
            self.doc.problems.append(f"第{number}页{_reason_zh(reason)}，未启用文字识别，该页内容为空")
            result.ocr_blocks = []
            return
        started = time.perf_counter()
        try:
            from saidao.ingest.readers import ocr_engine
            from saidao.ingest.readers.ocr import ocr_page
        except ImportError:
            self.doc.problems.append(f"第{number}页{_reason_zh(reason)}，文字识别模块不可用，该页内容为空")
            result.info.unread = "文字识别模块不可用"
            result.ocr_blocks = []
            return
        ocr_engine.share_cores()  # before the sheet is looked for
        width, height = page.get_size()
        scale = render_scale(width, height, self.settings.ocr_dpi, self.settings, self.path, number)
        image = _flattened(page.render(scale=scale, rev_byteorder=True).to_numpy()[:, :, :3])
        try:
            blocks, info = ocr_page(image, path=str(self.path), page_number=number,
                                    points_per_pixel=1.0 / scale, settings=self.settings)
        except SaidaoError as err:
            self.doc.problems.append(f"第{number}页文字识别失败：{err.message_zh}")
            result.info.unread = f"文字识别失败（{err.detail or err.reason}）"
            result.ocr_blocks = []
            return
        finally:
            self.timings["ocr"] += time.perf_counter() - started
        info.number, info.origin, info.ocr_reason = number, "ocr", reason
        info.width, info.height = result.info.width, result.info.height
        result.info = info
        result.ocr_blocks = list(blocks)


def _flattened(image: Any) -> Any:
    """A page that is a photo of a sheet (a phone scanner's PDF): the sheet cut out, perspective
    undone, and stretched back to the page's pixel size so positions stay in the page's points."""
    import cv2
    import numpy as np

    from saidao.ingest.readers import scan_layout

    corners = scan_layout.find_sheet(image)
    if corners is None:
        return np.ascontiguousarray(image)
    height, width = image.shape[:2]
    sheet = scan_layout.flatten_sheet(image, corners)
    return cv2.resize(sheet, (width, height), interpolation=cv2.INTER_CUBIC)


def _reason_zh(reason: str) -> str:
    return "无文字层" if reason == "no text layer" else "文字层乱码"


def find_red_seals(page: pdfium.PdfPage, dpi: int = _SEAL_DPI) -> list[BBox]:
    """Red blobs at least ~1 cm across, in page points: stamps (公章) on the page image."""
    import cv2
    import numpy as np

    scale = dpi / 72.0
    rgb = page.render(scale=scale, rev_byteorder=True).to_numpy()[:, :, :3].astype(np.int16)
    r, g, b = rgb[:, :, 0], rgb[:, :, 1], rgb[:, :, 2]
    red = ((r > 120) & (r - g > 60) & (r - b > 60)).astype(np.uint8)
    if red.sum() < 20:
        return []
    red = cv2.dilate(red, np.ones((3, 3), np.uint8), iterations=2)
    count, _, stats, _ = cv2.connectedComponentsWithStats(red)
    seals: list[BBox] = []
    min_side = 28 * scale  # ~1 cm
    for i in range(1, count):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if w >= min_side and h >= min_side and 0.5 <= w / h <= 2.0:
            seals.append((x / scale, y / scale, (x + w) / scale, (y + h) / scale))
    # A seal's ring and its star are separate blobs: keep only the outermost.
    return [s for s in seals if not any(o != s and _contains(o, s) for o in seals)]


def _contains(outer: BBox, inner: BBox) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


# -- running heads -------------------------------------------------------------
def _margin_key(text: str, bbox: BBox | None, height: float) -> tuple[str, str] | None:
    """('header'|'footer', text with digits masked) for a line in the top/bottom margin."""
    if bbox is None or not height:
        return None
    if bbox[3] <= height * _MARGIN:
        zone = "header"
    elif bbox[1] >= height * (1 - _MARGIN):
        zone = "footer"
    else:
        return None
    return zone, re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _margin_items(page: PageText) -> list[tuple[Any, str, BBox | None]]:
    """(item, text, bbox) that may be running heads: lines of a text page, one-line OCR paragraphs."""
    if page.ocr_blocks is None:
        return [(ln, ln.text, ln.bbox) for ln in page.lines]
    return [(b, b.text, b.provenance.bbox) for b in page.ocr_blocks
            if isinstance(b, Paragraph) and "\n" not in b.text and len(b.lines) <= 1]


def split_running_heads(pages: list[PageText]) -> tuple[dict[int, list[Any]], dict[int, list[Any]]]:
    """Per page, the margin lines (or OCR paragraphs) that are page numbers or repeat on several pages."""
    seen: Counter[tuple[str, str]] = Counter()
    for p in pages:
        seen.update({key for _, text, bbox in _margin_items(p) if (key := _margin_key(text, bbox, p.info.height))})
    needed = max(2, math.ceil(0.3 * len(pages)))
    heads: dict[int, list[Any]] = {}
    feet: dict[int, list[Any]] = {}
    for p in pages:
        for item, text, bbox in _margin_items(p):
            key = _margin_key(text, bbox, p.info.height)
            if key and (seen[key] >= needed or _PAGE_NUMBER.match(text)):
                (heads if key[0] == "header" else feet).setdefault(p.info.number, []).append(item)
    return heads, feet


# -- the reader ------------------------------------------------------------------
def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        code = getattr(err, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise SaidaoError("encrypted", path) from err
        raise SaidaoError("corrupt", path, str(err)[:200]) from err


@dataclass(slots=True)
class _Edges:
    """A text page's body margins, to tell whether its last paragraph runs on to the next page."""

    left: float
    right: float


def _page_blocks(page: PageText, skip: set[int], base: Provenance) -> tuple[list[Block], _Edges | None]:
    """Paragraphs, tables and seal images of one text page, top to bottom, and its body margins."""
    body = [ln for ln in page.lines if id(ln) not in skip]
    edges = _Edges(_mode_left(body), max(ln.bbox[2] for ln in body)) if body else None
    blocks: list[tuple[float, Block]] = [
        (group[0].bbox[1], make_paragraph(group, base)) for group in group_paragraphs(body)
    ]
    blocks += [(t.provenance.bbox[1] if t.provenance.bbox else 0.0, t) for t in page.tables]
    blocks += [(i.provenance.bbox[1] if i.provenance.bbox else 0.0, i) for i in page.images]
    blocks.sort(key=lambda pair: pair[0])
    return [b for _, b in blocks], edges


def _runs_on(prev: Paragraph, prev_edges: _Edges, nxt: Paragraph, next_edges: _Edges) -> bool:
    """A paragraph cut by the page break: it fills its last line, the next page's first line is not indented."""
    if not prev.lines or not nxt.lines or prev.lines[-1].provenance.bbox is None \
            or nxt.lines[0].provenance.bbox is None:
        return False
    last, first = prev.lines[-1].provenance.bbox, nxt.lines[0].provenance.bbox
    size = last[3] - last[1]
    return prev_edges.right - last[2] <= 2.0 * size and abs(first[0] - next_edges.left) <= 0.5 * size


def join_page_break_paragraphs(by_page: dict[int, list[Block]], edges: dict[int, _Edges]) -> None:
    """Merge, in place, the last paragraph of each page with the first of the next when it runs on."""
    for number in sorted(by_page):
        nxt_blocks, prev_blocks = by_page.get(number + 1), by_page[number]
        prev_text = [b for b in prev_blocks if not isinstance(b, Image)]
        next_text = [b for b in nxt_blocks or [] if not isinstance(b, Image)]
        if not prev_text or not next_text or number not in edges or number + 1 not in edges:
            continue
        prev, nxt = prev_text[-1], next_text[0]
        if isinstance(prev, Paragraph) and isinstance(nxt, Paragraph) \
                and _runs_on(prev, edges[number], nxt, edges[number + 1]):
            prev.text = join_lines([prev.text, nxt.text])
            prev.lines.extend(nxt.lines)
            prev.checkboxes.extend(nxt.checkboxes)
            nxt_blocks.remove(nxt)
            if all(isinstance(b, Image) for b in nxt_blocks):
                # it filled the whole next page: carry it there, so it can run on again
                prev_blocks.remove(prev)
                nxt_blocks.insert(0, prev)


def assemble_pages(doc: Document, pages: list[PageText]) -> None:
    """Pages → ``doc``'s pages, blocks, headers and footers, the one way for every reader
    whose pages are :class:`PageText` (PDF, OFD; a PDF's OCR'd pages included).

    Running heads and page numbers go to headers/footers (decided across all pages);
    a paragraph cut by a page break and a table continued over one are joined; tables
    are numbered. Provenance names ``doc.path``.
    """
    heads, feet = split_running_heads(pages)
    by_page: dict[int, list[Block]] = {}
    edges: dict[int, _Edges] = {}
    for page in pages:
        number = page.info.number
        base = Provenance(file=doc.path, page=number)
        doc.pages.append(page.info)
        skip = {id(item) for item in heads.get(number, []) + feet.get(number, [])}
        if page.ocr_blocks is not None:
            by_page[number] = [b for b in page.ocr_blocks if id(b) not in skip]
            doc.headers += heads.get(number, [])
            doc.footers += feet.get(number, [])
            continue
        by_page[number], page_edges = _page_blocks(page, skip, base)
        if page_edges is not None:
            edges[number] = page_edges
        doc.headers += [make_paragraph([ln], base) for ln in heads.get(number, [])]
        doc.footers += [make_paragraph([ln], base) for ln in feet.get(number, [])]
    join_page_break_paragraphs(by_page, edges)
    doc.blocks = join_continued_tables(by_page, {p.info.number: p.info.height for p in pages})
    number_tables(doc.blocks)


# -- pages read elsewhere (one task per page on a cluster) -------------------------
@dataclass
class PagesRead:
    """Some pages of one PDF read by :func:`read_pages`, with what the reader noted on them."""

    pages: dict[int, PageText] = field(default_factory=dict)  # by 0-based index
    problems: list[str] = field(default_factory=list)
    timings: Counter[str] = field(default_factory=Counter)


#: Pages of a file (by SHA-256) already read elsewhere, used by :func:`read_pdf` as read.
_READ_ELSEWHERE: dict[str, PagesRead] = {}


def page_count(path: Path) -> int:
    """How many pages a PDF has (to decide whether its pages are worth spreading out)."""
    pdf = _open(Path(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def read_pages(path: Path, sha256: str, settings: ReadSettings, indices: list[int]) -> PagesRead:
    """Read the pages ``indices`` (0-based) of a PDF, OCR included, and nothing else.

    The pages of a long scan are independent: a cluster reads them as separate
    tasks (``ingest.ray_pool``) and hands them to :func:`read_pdf` through
    :func:`pages_read_elsewhere`, which then joins them exactly as if it had read
    them itself (running heads, paragraphs and tables across page breaks).
    """
    reader = _PdfReader(Path(path), sha256, settings)
    try:
        pages = {i: reader.read_page(i) for i in indices}
    finally:
        reader.close()
    return PagesRead(pages, list(reader.doc.problems), reader.timings)


def ocr_pages(path: Path, settings: ReadSettings) -> tuple[int, list[int]]:
    """The page count of a PDF and the 0-based pages :func:`read_pdf` would OCR, found without OCR.

    Bounded like a read (the stream budgets first, then the page limit: a PDF
    over it gets no pages and its read reports it). Lets a pool read a long
    scan's pages in tasks of their own (``saidao.ingest.spread``).
    """
    check_pdf_streams(Path(path), settings)
    reader = _PdfReader(Path(path), "", settings)
    try:
        n_pages = len(reader.pdf)
        if n_pages > settings.max_pages:
            return n_pages, []
        return n_pages, [i for i in range(n_pages) if reader.needs_ocr(i)]
    finally:
        reader.close()


@contextlib.contextmanager
def pages_read_elsewhere(sha256: str, parts: list[PagesRead]) -> Iterator[None]:
    """While active, :func:`read_pdf` of the file ``sha256`` takes these pages as read."""
    merged = PagesRead()
    for part in sorted(parts, key=lambda p: min(p.pages, default=0)):
        merged.pages.update(part.pages)
        merged.problems += part.problems
        merged.timings.update(part.timings)
    _READ_ELSEWHERE[sha256] = merged
    try:
        yield
    finally:
        _READ_ELSEWHERE.pop(sha256, None)


def read_pdf(path: Path, sha256: str, settings: ReadSettings) -> Document:
    """Read a PDF into the document model (see the module docstring for the steps)."""
    check_pdf_streams(Path(path), settings)  # before PDFium inflates a bomb into memory
    reader = _PdfReader(Path(path), sha256, settings)
    given = _READ_ELSEWHERE.get(sha256) or PagesRead()
    try:
        n_pages = len(reader.pdf)
        if n_pages > settings.max_pages:
            raise SaidaoError("too_many_pages", path, f"{n_pages} > {settings.max_pages}")
        pages = []
        for i in range(n_pages):
            pages.append(given.pages[i] if i in given.pages else reader.read_page(i))
            pageprogress.page_done(i + 1, n_pages)  # text pages too: a fast page is still a page
    finally:
        reader.close()
    doc = reader.doc
    doc.problems[:0] = given.problems  # what was noted on the pages read elsewhere
    reader.timings.update(given.timings)
    assemble_pages(doc, pages)
    if doc.problems:
        doc.status = "partial"
    doc.timings.update({k: round(v, 4) for k, v in reader.timings.items()})
    return doc

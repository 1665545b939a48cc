"""OCR of one page image into the document model (rapidocr 3.x via ``ocr_engine``, models from its wheel).

The pipeline for a page: deskew, find and paint out red seals, find ruled
tables and erase their lines, find drawn checkboxes and erase them, recognise
the whole page once, then put every recognised line into the table cell that
holds its centre or into a body paragraph, and write the checkbox states back
into the text as ☑/☐ where the boxes stood.

Confidence of a cell or paragraph is the *minimum* of its lines' rapidocr
scores: one badly read line is enough to make the whole value doubtful.
Bounding boxes are in PDF points of the deskewed page (pixels × points_per_pixel).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from saidao.document import (
    CHECKED,
    UNCHECKED,
    BBox,
    Block,
    Cell,
    Checkbox,
    Image,
    PageInfo,
    Paragraph,
    Provenance,
    Table,
    TextLine,
)
from saidao.errors import SaidaoError
from saidao.ingest.readers import ocr_chars, ocr_engine
from saidao.ingest.readers import scan_layout as layout
from saidao.ingest.readers.scan_layout import BoxMark, Grid, OcrLine, PixelBox
from saidao.ingest.wrap import join_pieces
from saidao.settings import ReadSettings

#: Glyphs OCR (or our checkbox detector) writes for a ticked / an empty box.
CHECKED_GLYPHS = frozenset("☑■√✓✔⊠☒")
UNCHECKED_GLYPHS = frozenset("☐□")

#: Longest side of the copy the text-line detector sees (lines are cut from the full page).
DETECT_SIDE = ocr_engine.DETECT_SIDE


def load_engine_early(settings: ReadSettings | None = None) -> None:
    """Start loading the models in a thread, so it overlaps the page's deskew and table finding.

    The first page of a worker otherwise waits for the load after its own
    preparation; ``ocr_engine.engine()``'s lock makes the page wait only for the rest.
    """
    if not ocr_engine.loaded():
        threading.Thread(target=_load_quietly, args=_engine_key(settings), name="saidao-ocr-load",
                         daemon=True).start()


def _engine_key(settings: ReadSettings | None) -> tuple[str, str, str]:
    settings = settings or ReadSettings()
    return settings.ocr_engine, settings.ocr_device, settings.ocr_precision


def _load_quietly(kind: str, device: str, precision: str) -> None:
    """A failed load is reported by the page's own ``engine()`` call, as an OCR failure."""
    with contextlib.suppress(Exception):
        ocr_engine.engine(kind, device, precision)


#: Process CPU seconds spent in each step of the page pipeline since the process started
#: (benchmarks/scans.py prints them: where the time goes).
STAGES: Counter[str] = Counter()


@contextlib.contextmanager
def _stage(name: str) -> Iterator[None]:
    started = time.process_time()
    try:
        yield
    finally:
        STAGES[name] += time.process_time() - started


def recognise(rgb: np.ndarray, settings: ReadSettings | None = None) -> list[OcrLine]:
    """Detect and read every text line of an RGB image; boxes in the image's pixels."""
    engine = ocr_engine.engine(*_engine_key(settings))
    with engine.lock:  # one image at a time per process
        try:
            with _stage("detect"):
                quads = engine.detect(rgb)
            with _stage("recognise"):
                reads = engine.read(rgb, quads)
        except Exception:
            ocr_engine.discard(engine)  # a failed inference leaves it broken for every later page
            raise
    return [_as_line(read) for read in reads]


def _as_line(read: ocr_engine.ReadLine) -> OcrLine:
    """A recogniser's reading as the page's line: its box, the text with the reader's glyph
    repairs, what was read kept as ``raw``."""
    xs, ys = read.quad[:, 0], read.quad[:, 1]
    box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
    char_xs = read.char_xs if len(read.char_xs) == len(read.text) else []
    confs = read.char_confs if len(read.char_confs) == len(read.text) else []
    alts = read.char_alts if len(read.char_alts) == len(read.text) else []
    line = OcrLine(box, _pair_quotes(standard_glyphs(read.text)), read.score, list(char_xs),
                   list(confs), raw=read.text, char_alts=list(alts))  # both one character for one
    gone = _stroke_positions(line.text)
    if gone:
        line.keep([i for i in range(len(line.text)) if i not in gone])
    ocr_chars.read_once(line)  # a glyph the recogniser emitted twice (引引进)
    return line


# A lone upright stroke between two Chinese characters is a speck or one stroke read on
# its own (引l进), never a Latin letter: Chinese text writes a Latin word in full, and a
# lone l/I/| is no word. A digit there stays (第1条).
_STROKE_BETWEEN_HANZI = re.compile(r"(?<=[\u4e00-\u9fff])[lI|丨](?=[\u4e00-\u9fff])")


def drop_strokes(text: str, char_xs: list[tuple[float, float]]
                 ) -> tuple[str, list[tuple[float, float]]]:
    """``text`` without lone strokes between Chinese characters, and its glyph spans to match.

    >>> drop_strokes("引l进人才 第1条 I类 Il型", [])
    ('引进人才 第1条 I类 Il型', [])
    >>> drop_strokes("引|进", [(0, 1), (1, 2), (2, 3)])
    ('引进', [(0, 1), (2, 3)])
    """
    gone = _stroke_positions(text)
    if not gone:
        return text, char_xs
    kept = "".join(ch for i, ch in enumerate(text) if i not in gone)
    if len(char_xs) == len(text):
        char_xs = [x for i, x in enumerate(char_xs) if i not in gone]
    return kept, char_xs


def _stroke_positions(text: str) -> set[int]:
    return {m.start() for m in _STROKE_BETWEEN_HANZI.finditer(text)}


#: Glyphs the recogniser writes for a standard one, each replaced one for one (the
#: characters' x ranges stay valid): 丶 (the radical "dot") for the enumeration comma
#: 、, and 眞, the old variant of 真, which no simplified-Chinese form prints.
OCR_VARIANTS = str.maketrans({"丶": "、", "眞": "真"})
_DOT_BETWEEN_DIGITS = re.compile(r"(?<=\d)[·•・](?=\d)")
_DEGREE_AFTER_HANZI = re.compile(r"(?<=[\u4e00-\u9fff])°")


def standard_glyphs(text: str) -> str:
    """The recogniser's stand-ins for common marks put back, one character for one.

    Besides :data:`OCR_VARIANTS`: a middle dot between digits is the point of a
    class code or a decimal (6·3 → 6.3); a degree sign right after a Chinese
    character is a full stop read small (新赛道°到 → 新赛道。到; 25°C keeps its sign).

    >>> standard_glyphs("能源丶矿山 6·3·2太阳能 眞实性 新赛道°到2028年 25°C")
    '能源、矿山 6.3.2太阳能 真实性 新赛道。到2028年 25°C'
    """
    text = text.translate(OCR_VARIANTS)
    text = _DOT_BETWEEN_DIGITS.sub(".", text)
    return _DEGREE_AFTER_HANZI.sub("。", text)


def _pair_quotes(text: str) -> str:
    """The recogniser reads a closing ” as a straight "; after an opening “ put the ” back."""
    out, open_quote = [], False
    for ch in text:
        if ch == "“":
            open_quote = True
        elif ch in "\"”" and open_quote:
            ch, open_quote = "”", False
        out.append(ch)
    return "".join(out)


# -- the page pipeline ---------------------------------------------------------------------


def ocr_page(
    image: np.ndarray,
    *,
    path: str,
    page_number: int,
    points_per_pixel: float,
    settings: ReadSettings,
) -> tuple[list[Block], PageInfo]:
    """OCR one page image (H×W×3 RGB uint8) into blocks in reading order and its PageInfo.

    Boxes are in points of the *deskewed* page; ``PageInfo.rotation`` says by
    how many degrees (counter-clockwise) the image was turned to level it.
    """
    if points_per_pixel <= 0:
        raise ValueError("points_per_pixel must be positive")
    dpi = 72.0 / points_per_pixel
    ocr_engine.share_cores()
    rgb = layout.dark_on_light(_as_rgb(image, path))
    load_engine_early(settings)
    page = _prepare(rgb, dpi, settings)
    try:
        lines = recognise(page.text_image, settings)
        with _stage("second look"):
            lines = _recover_missed(page.text_image, lines, dpi, settings, page.ink, page.grids)
        lines = layout.drop_double_reads(lines)
        with _stage("edge marks"):
            lines = _read_edge_marks(page.text_image, lines, settings, page.grids, dpi, page.ink)
    except Exception as exc:  # onnxruntime failing on a page is an OCR failure, not a crash
        if _out_of_memory(exc):  # the worker's memory limit, hit inside onnxruntime
            raise SaidaoError("too_large", path, f"page {page_number}: out of memory") from exc
        raise SaidaoError("ocr_failed", path, f"page {page_number}: {_last_line(exc)}") from exc
    lines = _insert_checkboxes(lines, page.marks)

    build = _Builder(path, page_number, points_per_pixel)
    with _stage("cells and paragraphs"):
        blocks = build.blocks(lines, page.grids, page.seals)
    height, width = page.text_image.shape[:2]
    info = PageInfo(
        number=page_number,
        width=width * points_per_pixel,
        height=height * points_per_pixel,
        origin="ocr",
        seals=[build.bbox(s) for s in page.seals],
        rotation=page.angle,
    )
    if not any(line.text.strip() for line in lines) and _inked(page.ink):
        info.unread = "页面有图文内容，但未能识别出任何文字"
    return blocks, info


#: A page whose ink (seals, checkboxes and table rules taken out) covers this share of it
#: holds something; read as no text at all, it is reported (``PageInfo.unread``), not taken
#: for a blank page. A blank scan's specks stay far below; a scanned form page has ~7 %.
INKED_SHARE = 0.01


def _inked(ink: np.ndarray) -> bool:
    return np.count_nonzero(ink) >= INKED_SHARE * ink.size


def _out_of_memory(exc: Exception) -> bool:
    """onnxruntime and OpenVINO report a failed allocation as their own error types, not MemoryError."""
    text = str(exc)
    return isinstance(exc, MemoryError) or any(
        sign in text for sign in ("bad_alloc", "Failed to allocate", "can't alloc"))


def _last_line(exc: Exception) -> str:
    """The exception in one line: rapidocr wraps OpenVINO's error with a whole traceback.

    >>> _last_line(ValueError("Traceback (most recent call last):\\n  File x\\nRuntimeError: [CPU] node can't alloc\\n"))
    "RuntimeError: [CPU] node can't alloc"
    >>> _last_line(ValueError("bad shape"))
    'ValueError: bad shape'
    """
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    named = re.match(r"[A-Za-z_.]+(Error|Exception): ", last)
    return (last if named else f"{type(exc).__name__}: {last}")[:200]


@dataclass(slots=True)
class _Prepared:
    """A page image made ready for the recogniser, and what was learnt on the way."""

    text_image: np.ndarray  # levelled, seals and ruling lines and checkboxes painted out
    ink: np.ndarray  # text_image's ink mask (layout.ink_mask), made once for every step
    angle: float
    seals: list[PixelBox]
    grids: list[Grid]
    marks: list[BoxMark]


def _prepare(rgb: np.ndarray, dpi: float, settings: ReadSettings) -> _Prepared:
    """Deskew, remove seals, find tables and boxes, and erase what would confuse the recogniser."""
    with _stage("deskew"):
        angle = layout.estimate_skew(layout.to_gray(rgb))
        rgb = layout.rotate_page(rgb, angle)
    with _stage("seals"):
        if settings.suppress_seals:
            rgb, seals = layout.suppress_seals(rgb, dpi)
        else:
            seals, _ = layout.find_seals(rgb, dpi)
    with _stage("ruling lines and cells"):
        ink = layout.ink_mask(layout.to_gray(rgb))
        horizontal, vertical = layout.ruling_masks(ink, dpi)
        grids = layout.find_grids(horizontal, vertical, dpi)
        text_image = layout.erase(rgb, _within(horizontal | vertical, grids)) if grids else rgb.copy()
    with _stage("checkboxes"):
        if grids:  # the rules are gone from the text image (else its ink is the page's)
            ink = layout.ink_mask(layout.to_gray(text_image))
        marks = layout.find_checkboxes(ink, dpi)
        for x0, y0, x1, y1 in (m.box for m in marks):
            rim = max(2, (y1 - y0) // 8)  # the blurred rim too, or it is read as 口 or 厂
            text_image[max(0, y0 - rim):y1 + rim + 1, max(0, x0 - rim):x1 + rim + 1] = 255
        if marks:
            ink = layout.ink_mask(layout.to_gray(text_image))
    return _Prepared(text_image, ink, angle, seals, grids, marks)


def _within(mask: np.ndarray, grids: list[Grid], pad: int = 6) -> np.ndarray:
    """The ruling-line mask inside tables only: a big title's long strokes are not rules."""
    keep = np.zeros_like(mask)
    for x0, y0, x1, y1 in (g.box for g in grids):
        keep[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad] = 1
    return mask * keep


#: Second looks per page at most: each costs a small recognition.
MAX_RETRIES = 8
MAGNIFY = 2.0


def _recover_missed(
    image: np.ndarray, lines: list[OcrLine], dpi: float, settings: ReadSettings | None = None,
    ink: np.ndarray | None = None, grids: list[Grid] | None = None,
) -> list[OcrLine]:
    """Re-read, magnified, each stretch of ink the page-scale detector left out.

    The crop spans the missed ink and the recognised boxes on its text line
    next to it, so a dropped "二" comes back as part of "二、新赛道企业名录";
    the new reading replaces the old boxes only if it holds more text. On a page of
    small text (a screenshot that states no resolution), table cells are also searched
    at the scale of the page's own text (:func:`_missed_in_cells`).
    """
    if ink is None:
        ink = layout.ink_mask(layout.to_gray(image))
    boxes = [ln.box for ln in lines]
    missed = layout.uncovered_ink(ink, boxes, dpi)
    cells = _missed_in_cells(ink, boxes, dpi, grids or [], missed)
    missed += cells
    for region in missed[:MAX_RETRIES]:
        neighbours = _same_row_neighbours(lines, region)
        box = _union([*neighbours, OcrLine(region, "", 1.0)])
        pad = max(4, (box[3] - box[1]) // 3)
        x0, y0 = max(0, box[0] - pad), max(0, box[1] - pad)
        x1, y1 = min(image.shape[1], box[2] + pad), min(image.shape[0], box[3] + pad)
        crop = cv2.resize(image[y0:y1, x0:x1], None, fx=MAGNIFY, fy=MAGNIFY, interpolation=cv2.INTER_CUBIC)
        found = [_moved(ln, x0, y0) for ln in recognise(crop, settings)]
        found = [ln for ln in found if box[1] <= ln.centre[1] <= box[3]]  # not the rows around
        if not found and not neighbours and region in cells:  # LONE_READ_SCORE
            found = _read_in_place(image, region, settings)
        elif not found and not neighbours and _clear_of_rules(region, grids or [], dpi):
            found = [_ascii_digits(ln) for ln in _read_in_place(image, region, settings)
                     if LONE_NUMBER.fullmatch(squash(ln.text))]
        if len(squash("".join(ln.text for ln in found))) > len(squash("".join(ln.text for ln in neighbours))):
            lines = [ln for ln in lines if ln not in neighbours] + found
    return lines


def _missed_in_cells(ink: np.ndarray, boxes: list[PixelBox], dpi: float, grids: list[Grid],
                     missed: list[PixelBox]) -> list[PixelBox]:
    """On a page of small text (``layout.text_dpi`` below ``dpi``), the stretches of ink
    inside table cells that only the text's own scale shows (beyond ``missed``).

    A small screenshot's text is far smaller than the assumed resolution says, so a cell's
    lone "1" is below the sizes a glyph must have at it. Only inside cells: elsewhere on
    such a page the same sizes admit the phone's icons (a share icon read as 八., a nav
    bar's as +t+t+; a review built both).
    """
    text_dpi = layout.text_dpi(dpi, [b[3] - b[1] for b in boxes])
    if text_dpi >= dpi or not grids:
        return []
    inside = [r for r in layout.uncovered_ink(ink, boxes, text_dpi)
              if r not in missed and any(_in_box(r, g.box) for g in grids)]
    return inside


#: What a lone stretch of ink inside a table cell of an ordinary scan may be read as in place
#: (:func:`_read_in_place`): a short number — the 序号 "1" of a firm table's first row in a
#: thin Song face, which the detector misses even magnified. Nothing else: what else stands
#: alone in a scan's cells is the remains of erased rules and ticked boxes, read as 十 or +.
LONE_NUMBER = re.compile(r"-?\d{1,3}")


def _ascii_digits(line: OcrLine) -> OcrLine:
    """A lone number read alone comes back in full-width digits (１) as often as not."""
    folded = unicodedata.normalize("NFKC", line.text)
    if len(folded) == len(line.text):  # one character for one: spans and confidences still fit
        line.text = folded
    return line


def _clear_of_rules(region: PixelBox, grids: list[Grid], dpi: float) -> bool:
    """Whether ``region`` lies inside a table and touches none of its rules' bands (where
    erasing a rule leaves fragments that read as "1")."""
    band = max(3, round(dpi * 0.03))  # as _along_rules, without drawing a page-sized mask per region
    x0, y0, x1, y1 = region
    inside = [g for g in grids if _in_box(region, g.box)]
    return bool(inside) and not any(
        any(x0 - band <= x <= x1 + band for x in g.xs) or any(y0 - band <= y <= y1 + band for y in g.ys)
        for g in inside)


def _in_box(inner: PixelBox, outer: PixelBox) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


#: In a table cell of a page of small text (:func:`_missed_in_cells`), a lone stretch of
#: ink the detector misses even magnified (a cell's "1", "-1" or 二) is read as it stands,
#: and kept when the recogniser is at least this sure:
#: "1" read alone scores 0.74–0.76, -1 0.997, 二 0.94. Not on scans of ordinary scale:
#: there the detector finds lone values (every 序号 of scan set 2), and what it leaves
#: alone is mostly what erasing a photographed table's thick rules left at their crossings,
#: read as 十 or + at 0.73–0.95: tried there, it put "十" before five firm names.
LONE_READ_SCORE = 0.7


def _read_in_place(image: np.ndarray, region: PixelBox, settings: ReadSettings | None) -> list[OcrLine]:
    """``region`` recognised without the detector (it found nothing there), if sure enough."""
    x0, y0, x1, y1 = region
    pad = max(2, (y1 - y0) // 4)
    x0, y0 = max(0, x0 - pad), max(0, y0 - pad)
    x1, y1 = min(image.shape[1] - 1, x1 + pad), min(image.shape[0] - 1, y1 + pad)
    quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    engine = ocr_engine.engine(*_engine_key(settings))
    with engine.lock:
        reads = engine.read(image, [quad])
    return [_as_line(r) for r in reads if r.score >= LONE_READ_SCORE and squash(r.text)]


#: Marks that may stand alone at a line's edge: a line-start 。 or ， where the typesetter
#: broke before it, an opening “ at a line end, the point of 2.8 broken after the 2.
EDGE_MARKS = frozenset("。，、．.,：:；;“”‘’\"'（）()《》%！!？?")
MAX_EDGE_LOOKS = 24  # recognitions of one line each, per page


def _read_edge_marks(image: np.ndarray, lines: list[OcrLine], settings: ReadSettings | None,
                     grids: list[Grid] | None = None, dpi: float = 200.0,
                     page_ink: np.ndarray | None = None) -> list[OcrLine]:
    """Re-read a line together with a punctuation-sized speck of ink just beyond its ends.

    The detector leaves out a mark set apart from the characters of its line (。 alone
    at a line's start, half an em from the next character), and the second look skips
    specks that small. Only the recogniser is asked, on the line's box widened to the
    speck; the new reading is kept only if it is the old one plus marks at that end.
    Ink along a table's erased rules is left out: what erasing leaves there is no mark.
    """
    if not lines:
        return lines
    ink = layout.ink_mask(layout.to_gray(image)) if page_ink is None else page_ink.copy()
    ink[_along_rules(ink.shape, grids or [], dpi)] = 0
    covered = np.zeros(ink.shape, dtype=bool)
    for x0, y0, x1, y1 in (ln.box for ln in lines):
        covered[max(0, y0):y1 + 1, max(0, x0):x1 + 1] = True
    free = (ink > 0) & ~covered
    prose = _prose_lines(lines, grids or [])
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink)
    _read_inner_marks(image, labels, stats, prose, settings)
    looks = 0
    for line in prose:
        if looks >= MAX_EDGE_LOOKS:
            break
        for side in ("left", "right"):
            span = _speck_beyond(free, line, side, labels, stats, covered)
            if span is None:
                continue
            looks += 1
            _widen_if_marks(image, line, span, side, settings)
    return lines + _lone_marks(image, ink, lines, prose, settings, MAX_EDGE_LOOKS - looks, (labels, stats))


#: Marks that stand between two Chinese characters of running text.
INNER_MARKS = frozenset("、，。；：")
#: Gaps re-read per page at most (each a recognition of one small crop).
MAX_INNER_LOOKS = 16
#: The recogniser's confidence a re-read gap's mark needs to be written into the line.
INNER_MARK_CONF = 0.8


def _read_inner_marks(image: np.ndarray, labels: np.ndarray, stats: np.ndarray,
                      prose: list[OcrLine], settings: ReadSettings | None) -> None:
    """Put back a 、，。；： the recogniser left out between two Chinese characters of a line.

    Where two characters of a line of running text stand about two pitches apart
    (``ocr_chars.inner_gaps``), or the line's box runs on a cell past its last
    character (``ocr_chars.trailing_room``), a character cell is empty in the reading. If that cell
    holds mark-sized ink, the ink alone is re-read on a blank crop the height of the
    line (as a lone mark is); a single mark of :data:`INNER_MARKS` read with at least
    :data:`INNER_MARK_CONF` is written in, with the crop's confidence. The cell of a
    deliberate space holds no ink, a table's column gap is wider, and a number, a code
    or an e-mail address has no Chinese characters around its gaps.
    """
    looks = 0
    for line in prose:
        cells = [(i, (int(line.char_xs[i - 1][1]), int(line.char_xs[i][0]) + 1))
                 for i in ocr_chars.inner_gaps(line)]
        if ocr_chars.trailing_room(line):
            cells.append((len(line.text), (int(line.char_xs[-1][1]), line.box[2] + 1)))
        for i, gap in reversed(cells):  # from the right: indices stay valid
            if looks >= MAX_INNER_LOOKS:
                return
            mark = _mark_ink(labels, stats, line, gap)
            if mark is None:
                continue
            looks += 1
            read = _read_alone(image, labels, mark[0], mark[1], line.height, 0.5, settings)
            mark_text = standard_glyphs(read[0]) if read is not None else ""
            if read is not None and mark_text in INNER_MARKS and read[1] >= INNER_MARK_CONF:
                line.insert(i, mark_text, (float(gap[0]), float(gap[1])), read[1])


def _mark_ink(labels: np.ndarray, stats: np.ndarray, line: OcrLine,
              gap: tuple[int, int]) -> tuple[list[int], PixelBox] | None:
    """The ink components lying wholly inside ``gap`` on the line's rows, and their box, if
    together they are the size of a mark (at most 0.6 of the line's height, more than
    dust); else None."""
    x0, x1 = gap
    y0, y1 = max(0, line.box[1]), line.box[3] + 1
    if x1 - x0 < 2:
        return None
    found = [int(n) for n in np.unique(labels[y0:y1, x0:x1]) if n]
    inside = [n for n in found if stats[n][0] >= x0 - 1 and stats[n][0] + stats[n][2] <= x1 + 1
              and stats[n][1] >= y0 - 2 and stats[n][1] + stats[n][3] <= y1 + 2]
    if not inside:  # nothing there but the ends of the neighbours' strokes
        return None
    left = min(stats[n][0] for n in inside)
    top = min(stats[n][1] for n in inside)
    w = max(stats[n][0] + stats[n][2] for n in inside) - left
    h = max(stats[n][1] + stats[n][3] for n in inside) - top
    size = max(1, line.height)
    if max(w, h) > 0.6 * size or max(w, h) < 0.1 * size or sum(stats[n][4] for n in inside) < 4:
        return None
    return inside, (int(left), int(top), int(left + w), int(top + h))


def _read_alone(image: np.ndarray, labels: np.ndarray, parts: list[int], box: PixelBox, size: int,
                reach: float, settings: ReadSettings | None) -> tuple[str, float] | None:
    """Recognise the ink components ``parts`` (within ``box``) alone, pasted on white.

    The crop is framed as a mark sits in a line ``size`` high: its bottom 0.3 of a
    height above the crop's, the crop a line high above that (so 、 is told from ‘
    and 。 from °), from half a height left of it to ``reach`` heights right of it.
    Returns the single character read and its score, or None.
    """
    x0, _, x1, y1 = box
    top, bottom = max(0, y1 - size), min(image.shape[0], y1 + int(0.3 * size))
    left, right = max(0, x0 - size // 2), min(image.shape[1], x1 + int(reach * size))
    blank = np.full((bottom - top, right - left, 3), 255, np.uint8)
    keep = np.isin(labels[top:bottom, left:right], parts)
    blank[keep] = image[top:bottom, left:right][keep]
    quad = np.array([[0, 0], [right - left - 1, 0], [right - left - 1, bottom - top - 1],
                     [0, bottom - top - 1]], np.float32)
    engine = ocr_engine.engine(*_engine_key(settings))
    with engine.lock:
        reads = engine.read(blank, [quad], min_width=ocr_engine.REC_LONE_MARK_WIDTH)
    text = reads[0].text.strip() if reads else ""
    if len(text) != 1:
        return None
    return text, reads[0].score


def _prose_lines(lines: list[OcrLine], grids: list[Grid]) -> list[OcrLine]:
    """Lines of running text: outside tables, or in a cell of three lines or more (举措及成效).
    A short value cell (a name, a code, a phone number) has no broken-off marks, and
    specks by its rules are more likely than marks."""
    cell_of = {id(ln): next(((i, c.row, c.col) for i, g in enumerate(grids)
                             if (c := g.cell_of(*ln.centre)) is not None), None) for ln in lines}
    counts = Counter(v for v in cell_of.values() if v is not None)
    return [ln for ln in lines if cell_of[id(ln)] is None or counts[cell_of[id(ln)]] >= 3]


def _along_rules(shape: tuple[int, ...], grids: list[Grid], dpi: float) -> np.ndarray:
    """A mask of the bands (about 0.03 inch each side) where the tables' rules ran."""
    mask = np.zeros(shape[:2], dtype=bool)
    band = max(3, round(dpi * 0.03))
    for grid in grids:
        x0, y0, x1, y1 = (int(v) for v in grid.box)
        for x in grid.xs:
            mask[max(0, y0 - band):y1 + band, max(0, int(x) - band):int(x) + band + 1] = True
        for y in grid.ys:
            mask[max(0, int(y) - band):int(y) + band + 1, max(0, x0 - band):x1 + band] = True
    return mask


def _lone_marks(image: np.ndarray, ink: np.ndarray, lines: list[OcrLine], prose: list[OcrLine],
                settings: ReadSettings | None, budget: int,
                components: tuple[np.ndarray, np.ndarray]) -> list[OcrLine]:
    """A mark alone on a line of its own (a paragraph's 。 broken onto the next line).

    Candidates: compact punctuation-sized ink that no recognised line covers, at the
    start of the line below a full recognised line (twelve characters or more), or
    above the page's first line at the text's left margin (a mark that starts the
    page: :func:`_page_top_mark`). The
    mark is read alone on a blank of an em and a half (cut tight, or with the line
    above in view, the recogniser reads nothing or that line) and kept only if it
    reads as exactly one mark.
    """
    covered = np.zeros(ink.shape, dtype=bool)
    for x0, y0, x1, y1 in (ln.box for ln in lines):
        covered[max(0, y0):y1 + 1, max(0, x0):x1 + 1] = True
    free = ((ink > 0) & ~covered).astype(np.uint8)
    count, free_labels, stats, _ = cv2.connectedComponentsWithStats(free)
    if count <= 1:
        return []
    ink_labels, ink_stats = components  # ``ink``'s, labelled by the caller already
    found: list[OcrLine] = []
    seen: set[int] = set()
    for n in range(1, count):
        if len(found) >= budget:
            break
        x, y = int(stats[n][0]), int(stats[n][1])
        above = _line_above(prose, x, y)
        first = _first_line_below(prose, x, y + int(stats[n][3])) if above is None else None
        if (above is None and first is None) or stats[n][4] < 4:
            continue
        if first is not None:  # the page starts with a mark the last page's line ran out of room for
            ys, xs = np.nonzero(free_labels[y:y + stats[n][3], x:x + stats[n][2]] == n)
            label = int(ink_labels[y + ys[0], x + xs[0]])
            found.extend(_page_top_mark(image, ink_labels, ink_stats, label, first, covered, settings))
            continue
        ys, xs = np.nonzero(free_labels[y:y + stats[n][3], x:x + stats[n][2]] == n)
        label = int(ink_labels[y + ys[0], x + xs[0]])
        if label in seen:
            continue
        seen.add(label)
        mx, my, mw, mh = (int(v) for v in ink_stats[label][:4])
        size = above.height
        whole = ink_labels[my:my + mh, mx:mx + mw] == label
        if covered[my:my + mh, mx:mx + mw][whole].mean() > 0.3:
            continue  # mostly inside a recognised line: read with it already
        if max(mw, mh) > 0.6 * size or max(mw, mh) < 0.12 * size or not 0.5 <= mw / mh <= 2.0:
            continue  # not a compact mark (a rule's leftover is long and thin)
        if above.box[2] - above.box[0] < 12 * size:
            continue  # a mark is broken onto a line of its own only after a full line
        if above.text and above.text[-1] in ocr_chars.SINGLE_MARKS:
            continue  # the line ends with its mark already: this one would be it, read twice
        read = _read_alone(image, ink_labels, [label], (mx, my, mx + mw, my + mh), size, 1.5, settings)
        text = read[0] if read else ""
        if len(text) == 1 and text in EDGE_MARKS:  # boxed on its own row, clear of the line above
            box = (mx, max(my, above.box[3] + 1), mx + mw, max(my + mh, above.box[3] + 2))
            found.append(OcrLine(box, text, read[1], [(mx, mx + mw)], [read[1]], text))
    return found


def _first_line_below(lines: list[OcrLine], x: int, bottom: int) -> OcrLine | None:
    """The page's first line of running text, if (x, bottom) is above it (within one and a
    half of its heights) and at the text's left margin (half a height either side): where
    a mark broken off the previous page's last line stands."""
    if not lines:
        return None
    first = min(lines, key=lambda ln: ln.box[1])
    size = first.height
    left = min(ln.box[0] for ln in lines)
    if first.box[1] - 1.5 * size <= bottom < first.box[1] and abs(x - left) <= size / 2:
        return first
    return None


def _page_top_mark(image: np.ndarray, labels: np.ndarray, stats: np.ndarray, label: int,
                   first: OcrLine, covered: np.ndarray, settings: ReadSettings | None,
                   ) -> list[OcrLine]:
    """The mark alone above the page's first line (the 。 of a sentence the last page ended),
    if the ink component ``label`` is one compact mark that reads, with at least
    :data:`INNER_MARK_CONF`, as a closing mark (:data:`ocr_chars.SINGLE_MARKS`)."""
    mx, my, mw, mh = (int(v) for v in stats[label][:4])
    size = first.height
    whole = labels[my:my + mh, mx:mx + mw] == label
    if covered[my:my + mh, mx:mx + mw][whole].mean() > 0.3:
        return []
    if max(mw, mh) > 0.6 * size or max(mw, mh) < 0.12 * size or not 0.5 <= mw / mh <= 2.0:
        return []
    read = _read_alone(image, labels, [label], (mx, my, mx + mw, my + mh), size, 1.5, settings)
    if read is None or read[0] not in ocr_chars.SINGLE_MARKS or read[1] < INNER_MARK_CONF:
        return []
    return [OcrLine((mx, my, mx + mw, my + mh), read[0], read[1], [(mx, mx + mw)], [read[1]], read[0])]


def _line_above(lines: list[OcrLine], x: int, y: int) -> OcrLine | None:
    """The recognised line whose start is just above (x, y): within 1.3 of its heights
    below it, from two and a half heights left of its start (a paragraph's first line is
    indented two characters) to one height right of it."""
    for line in lines:
        size = line.height
        if line.box[3] < y <= line.box[3] + 1.3 * size and -2.5 * size <= x - line.box[0] <= size:
            return line
    return None


def _speck_beyond(free: np.ndarray, line: OcrLine, side: str, labels: np.ndarray | None = None,
                  stats: np.ndarray | None = None, covered: np.ndarray | None = None,
                  ) -> tuple[int, int] | None:
    """The x range of uncovered ink within an em beyond the line's ``side``, if it is no
    bigger than a punctuation mark (half the line's height); else None.

    With the page's ink components (``labels``, ``stats``) and the recognised lines'
    boxes (``covered``), a sliver the line's own box cut off a mark (the right edge
    of a ， whose left half the box covers) is measured as the whole mark it belongs
    to, not as a thin leftover — unless another line's box holds most of that mark
    (the 。 starting the next cell's line, read there already)."""
    x0, y0, x1, y1 = line.box
    height = max(1, y1 - y0)
    lo, hi = (max(0, x0 - height), x0) if side == "left" else (x1 + 1, min(free.shape[1], x1 + 1 + height))
    strip = free[max(0, y0):y1 + 1, lo:hi]
    if strip.size == 0 or int(strip.sum()) < 4:
        return None
    ys, xs = np.nonzero(strip)
    if labels is not None and stats is not None and covered is not None:
        whole = _whole_marks(labels, stats, lo + xs, max(0, y0) + ys, height)
        if whole is not None and not _read_elsewhere(labels, covered, line, whole):
            return whole
    w, h = int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1
    if max(w, h) > height * 0.6 or max(w, h) < height * 0.1 or not 0.4 <= w / h <= 2.5:
        return None  # bigger than a mark, a speck of dust, or a rule's long thin leftover
    return lo + int(xs.min()), lo + int(xs.max())


def _read_elsewhere(labels: np.ndarray, covered: np.ndarray, line: OcrLine,
                    span: tuple[int, int]) -> bool:
    """True if over 30 % of the ink in ``span`` on the line's rows lies in another
    recognised line's box (outside the line's own)."""
    x0, y0, x1, y1 = line.box
    rows = slice(max(0, y0), y1 + 1)
    ink = labels[rows, span[0]:span[1] + 1] > 0
    if not ink.any():
        return False
    elsewhere = covered[rows, span[0]:span[1] + 1].copy()
    cols = np.arange(span[0], span[0] + elsewhere.shape[1])
    elsewhere[:, (cols >= x0) & (cols <= x1)] = False  # the line's own box does not count
    return float(elsewhere[ink].mean()) > 0.3


def _whole_marks(labels: np.ndarray, stats: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                 height: int) -> tuple[int, int] | None:
    """The x range of the ink components the pixels (xs, ys) belong to, if together they
    have the size and shape of a mark; else None."""
    parts = [int(n) for n in np.unique(labels[ys, xs]) if n]
    if not parts:
        return None
    left = min(int(stats[n][0]) for n in parts)
    right = max(int(stats[n][0] + stats[n][2]) for n in parts) - 1
    top = min(int(stats[n][1]) for n in parts)
    bottom = max(int(stats[n][1] + stats[n][3]) for n in parts) - 1
    w, h = right - left + 1, bottom - top + 1
    if max(w, h) > height * 0.6 or max(w, h) < height * 0.1 or not 0.4 <= w / h <= 2.5:
        return None
    return left, right


def _widen_if_marks(image: np.ndarray, line: OcrLine, span: tuple[int, int], side: str,
                    settings: ReadSettings | None) -> None:
    x0, y0, x1, y1 = line.box
    pad = 2
    nx0, nx1 = (max(0, span[0] - pad), x1) if side == "left" else (x0, min(image.shape[1] - 1, span[1] + pad))
    quad = np.array([[nx0, y0], [nx1, y0], [nx1, y1], [nx0, y1]], np.float32)
    engine = ocr_engine.engine(*_engine_key(settings))
    with engine.lock:
        reads = engine.read(image, [quad])
    if not reads:
        return
    text = _pair_quotes(standard_glyphs(reads[0].text))
    added = text[:len(text) - len(line.text)] if side == "left" else text[len(line.text):]
    kept = text.endswith(line.text) if side == "left" else text.startswith(line.text)
    if not added or not kept or not all(ch in EDGE_MARKS for ch in added):
        return
    if line.text and (added[-1] == line.text[0] if side == "left" else added[0] == line.text[-1]):
        return  # a doubled mark (。。) is the mark already read, seen twice
    once = re.sub(r"(.)\1+", r"\1", added)  # one speck read as two of the same mark
    if once != added:
        text = once + line.text if side == "left" else line.text + once
    line.text, line.raw = text, reads[0].text
    line.box = (nx0, y0, nx1, y1)
    line.char_xs = reads[0].char_xs if len(reads[0].char_xs) == len(text) else []
    line.char_confs = reads[0].char_confs if len(reads[0].char_confs) == len(text) else []
    line.char_alts = reads[0].char_alts if len(reads[0].char_alts) == len(text) else []
    if once != added:
        line.char_xs, line.char_confs, line.char_alts = [], [], []


def _same_row_neighbours(lines: list[OcrLine], region: PixelBox) -> list[OcrLine]:
    height = region[3] - region[1]
    out = []
    for line in lines:
        overlap = min(line.box[3], region[3]) - max(line.box[1], region[1])
        gap = max(line.box[0] - region[2], region[0] - line.box[2])
        if overlap >= 0.5 * min(height, line.height) and gap <= 1.5 * line.height:
            out.append(line)
    return out


def _moved(line: OcrLine, dx: int, dy: int) -> OcrLine:
    """A line read from a magnified crop, back in page pixels."""
    x0, y0, x1, y1 = (v / MAGNIFY for v in line.box)
    box = (int(x0 + dx), int(y0 + dy), int(x1 + dx), int(y1 + dy))
    chars = [(a / MAGNIFY + dx, b / MAGNIFY + dx) for a, b in line.char_xs]
    return OcrLine(box, line.text, line.score, chars, line.char_confs, line.raw, line.char_alts)


def squash(text: str) -> str:
    return "".join(text.split())


def _as_rgb(image: np.ndarray, path: str) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        raise SaidaoError("ocr_failed", path, "not an image array")
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 4:
        return np.ascontiguousarray(image[..., :3])
    return np.ascontiguousarray(image)


def _insert_checkboxes(lines: list[OcrLine], marks: list[BoxMark]) -> list[OcrLine]:
    """Write ☑/☐ into the recognised line at the place the drawn box stood."""
    for mark in marks:
        glyph = CHECKED if mark.checked else UNCHECKED
        cx = (mark.box[0] + mark.box[2]) / 2
        side = mark.box[3] - mark.box[1]
        host = _host_line(lines, mark, side)
        if host is None:
            lines.append(OcrLine(mark.box, glyph, 1.0, [(mark.box[0], mark.box[2])], [1.0]))
            continue
        _drop_chars_on(host, mark)
        at = sum(1 for x0, x1 in host.char_xs if (x0 + x1) / 2 < cx) if host.char_xs else (
            0 if cx <= host.box[0] else len(host.text)
        )
        piece = glyph if at == 0 or host.text[at - 1] == " " else " " + glyph
        host.insert(at, piece, (mark.box[0], mark.box[2]), 1.0)  # the box detector's, not OCR's
        host.box = (min(host.box[0], mark.box[0]), host.box[1], max(host.box[2], mark.box[2]), host.box[3])
    return lines


def _drop_chars_on(line: OcrLine, mark: BoxMark) -> None:
    """Remove what the recogniser made of the erased box itself (口, 厂, 及 from its rim)."""
    if len(line.char_xs) != len(line.text):
        return
    keep = [i for i, (x0, x1) in enumerate(line.char_xs) if not mark.box[0] <= (x0 + x1) / 2 <= mark.box[2]]
    if len(keep) < len(line.text):
        line.keep(keep)


def _host_line(lines: list[OcrLine], mark: BoxMark, side: int) -> OcrLine | None:
    """The line on the box's text line that contains it or starts just right of it."""
    cy = (mark.box[1] + mark.box[3]) / 2
    best, best_gap = None, 1.5 * side
    for line in lines:
        if not line.box[1] - side / 2 <= cy <= line.box[3] + side / 2:
            continue
        if line.box[0] <= mark.box[0] <= line.box[2]:
            return line
        gap = line.box[0] - mark.box[2]
        if -side <= gap < best_gap:
            best, best_gap = line, gap
    return best


def checkboxes_in(text: str, provenance: Provenance) -> list[Checkbox]:
    """Every box glyph in ``text`` with the words after it (up to the next box) as label."""
    found = [i for i in range(len(text)) if _box_at(text, i)]
    boxes = []
    for n, i in enumerate(found):
        end = found[n + 1] if n + 1 < len(found) else len(text)
        ch = text[i]
        boxes.append(Checkbox(
            checked=ch in CHECKED_GLYPHS,
            label=text[i + 1:end].strip(),
            glyph="ocr-fill" if ch in (CHECKED, UNCHECKED) else ch,
            provenance=provenance,
        ))
    return boxes


def _boxes_read_as_kou(text: str) -> str:
    """A row of empty boxes the recogniser read as 口, told apart from the character.

    Either 口 starts two or more space-separated segments, or the text starts
    with 口 and holds three or more (option lists run together: 口甲口乙口丙).
    """
    starts = [i for i, ch in enumerate(text) if ch == "口" and (i == 0 or text[i - 1] == " ")]
    if len(starts) < 2:
        every = [i for i, ch in enumerate(text) if ch == "口"]
        if not (text.startswith("口") and len(every) >= 3):
            return text
        starts = every
    chars = list(text)
    for i in starts:
        chars[i] = "□"
    return "".join(chars)


def normalise_boxes(text: str) -> str:
    """Box glyphs as the model wants them: ☑ for any tick or filled box, ☐ for an empty one.

    Only glyphs that start a label count: "√" in "√2" or a lone "■" bullet at
    the end stay as they are.
    """
    out = []
    for i, ch in enumerate(text):
        if _box_at(text, i):
            ch = CHECKED if ch in CHECKED_GLYPHS else UNCHECKED
        out.append(ch)
    return "".join(out)


def _box_at(text: str, i: int) -> bool:
    """A box glyph at ``i`` that starts a label (not a bullet at the end, not √2)."""
    follows = text[i + 1:i + 2]
    return (
        text[i] in CHECKED_GLYPHS | UNCHECKED_GLYPHS
        and bool(follows) and not follows.isspace() and not follows.isdigit()
    )


class _Builder:
    """Turns positioned OCR lines into document blocks for one page."""

    def __init__(self, path: str, page: int, points_per_pixel: float) -> None:
        self.path = path
        self.page = page
        self.scale = points_per_pixel

    def bbox(self, box: PixelBox) -> BBox:
        return tuple(round(v * self.scale, 2) for v in box)  # type: ignore[return-value]

    def prov(self, box: PixelBox, confidence: float, **extra) -> Provenance:
        return Provenance(
            file=self.path, page=self.page, bbox=self.bbox(box), origin="ocr",
            confidence=round(confidence, 4), **extra,
        )

    def blocks(self, lines: list[OcrLine], grids: list[Grid], seals: list[PixelBox]) -> list[Block]:
        """Tables and paragraphs ordered by their top edge; seals as Image blocks."""
        in_grid: dict[int, list[OcrLine]] = {i: [] for i in range(len(grids))}
        body: list[OcrLine] = []
        for line in lines:
            index = next((i for i, g in enumerate(grids) if g.cell_of(*line.centre)), None)
            if index is None:
                body.append(line)
            else:
                in_grid[index] += layout.split_at_cells(line, grids[index])
        placed: list[tuple[float, Block]] = []
        for i, grid in enumerate(grids):
            placed.append((grid.box[1], self.table(grid, in_grid[i])))
        for para in self.paragraphs(body):
            placed.append((para.provenance.bbox[1] / self.scale, para))
        for seal in seals:
            w, h = seal[2] - seal[0], seal[3] - seal[1]
            image = Image(provenance=self.prov(seal, 1.0), width=w, height=h, description="seal")
            placed.append((seal[1], image))
        placed.sort(key=lambda item: item[0])
        return [block for _, block in placed]

    def text_lines(self, rows: list[list[OcrLine]], **extra) -> list[TextLine]:
        """One TextLine per visual row, with the row's per-character confidences and, where
        the reader repaired the reading, what the recogniser read (provenance)."""
        out = []
        for row in rows:
            text, raw = layout.join_row(row), layout.join_row_raw(row)
            confs = layout.row_confidences(row)
            prov = self.prov(_union(row), min(ln.score for ln in row), **extra,
                             char_confidences=[round(c, 4) for c in confs] if confs is not None else None,
                             char_alternatives=layout.row_alternatives(row),
                             ocr_text=raw if raw != text else None)
            out.append(TextLine(text, prov))
        return out

    def table(self, grid: Grid, lines: list[OcrLine]) -> Table:
        by_cell: dict[tuple[int, int], list[OcrLine]] = {}
        for line in lines:
            cell = grid.cell_of(*line.centre)
            if cell is not None:
                by_cell.setdefault((cell.row, cell.col), []).append(line)
        cells = []
        for gc in grid.cells:
            rows = layout.visual_rows(by_cell.get((gc.row, gc.col), []))
            tlines = self.text_lines(rows, cell=(gc.row, gc.col))
            raw = _pair_quotes(_boxes_read_as_kou(_join(tl.text for tl in tlines)))
            conf = min((tl.provenance.confidence for tl in tlines), default=1.0)
            prov = self.prov(gc.box, conf, cell=(gc.row, gc.col), ocr_text=_read_as(tlines))
            cells.append(Cell(
                row=gc.row, col=gc.col, text=normalise_boxes(raw), provenance=prov,
                row_span=gc.row_span, col_span=gc.col_span,
                checkboxes=checkboxes_in(raw, prov), lines=tlines,
            ))
        conf = min((c.provenance.confidence for c in cells if c.text), default=1.0)
        return Table(
            n_rows=grid.n_rows, n_cols=grid.n_cols, cells=cells,
            provenance=self.prov(grid.box, conf), pages=[self.page],
        )

    def paragraphs(self, lines: list[OcrLine]) -> list[Paragraph]:
        if not lines:
            return []
        rows = layout.visual_rows(lines)
        left = min(ln.box[0] for ln in lines)
        right = max(ln.box[2] for ln in lines)
        out = []
        for group in layout.split_paragraphs(rows, left, right):
            tlines = self.text_lines(group)
            raw = _pair_quotes(_boxes_read_as_kou(_join(tl.text for tl in tlines)))
            conf = min(tl.provenance.confidence for tl in tlines)
            prov = self.prov(_union([ln for row in group for ln in row]), conf, ocr_text=_read_as(tlines))
            out.append(Paragraph(text=normalise_boxes(raw), provenance=prov, lines=tlines,
                                 checkboxes=checkboxes_in(raw, prov)))
        return out


def _union(lines: list[OcrLine]) -> PixelBox:
    return (
        min(ln.box[0] for ln in lines), min(ln.box[1] for ln in lines),
        max(ln.box[2] for ln in lines), max(ln.box[3] for ln in lines),
    )


def _read_as(tlines: list[TextLine]) -> str | None:
    """A block's reading as the recogniser gave it, if a repair changed one of its lines."""
    if all(tl.provenance.ocr_text is None for tl in tlines):
        return None
    return _join(tl.provenance.ocr_text or tl.text for tl in tlines)


def _join(pieces) -> str:
    text = ""
    for piece in pieces:
        text = join_pieces(text, piece) if text else piece
    return text

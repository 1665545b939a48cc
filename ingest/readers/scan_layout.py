"""Layout analysis of a page image, before and after OCR.

A scan has no text layer, so everything a PDF would state explicitly has to be
read off the pixels: how far the page is turned, where the red seals are, where
the ruling lines of a table run (and where a line is *missing*, which is what a
merged cell looks like), which small squares are ticked, and then which
recognised line falls into which cell. All coordinates here are pixels of the
deskewed page image; ``ocr.py`` converts them to PDF points.

Sizes are expressed in inches and turned into pixels with the page's DPI, so
the rules hold for a 150-dpi photo as for a 300-dpi scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from saidao.ingest.readers.grid import (
    Grid,
    GridCell,
    joined_cells,
    make_grid,
    merge_positions,
)
from saidao.ingest.tables import is_frame

PixelBox = tuple[int, int, int, int]  # x0, top, x1, bottom in pixels


# -- preprocessing ---------------------------------------------------------------


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


#: A page whose ground (its median grey, 0–255) is darker than this may be light text on a
#: dark ground — a phone's dark mode, a negative — which is turned to dark on light, the
#: only way round the layout steps and the detector expect. Only if what stands out from
#: the ground is lighter than it (a dim photo of paper has a dark ground too, and darker
#: ink), by at least ``INK_CONTRAST``, and thin: light *areas* (a white page shown in a
#: dark viewer, the paper below a dark photo, a card on a desk) hold dark-on-light text of
#: their own, and turning them dark loses their tables and turns red seals cyan. The light
#: pixels that survive an erosion at a quarter of the resolution (strokes up to ~8 px
#: wide do not) must stay under ``SOLID_LIGHT`` of them.
DARK_GROUND = 96
INK_CONTRAST = 60
SOLID_LIGHT = 0.3


def dark_on_light(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` with a light-on-dark page inverted; every other page untouched.

    >>> night = np.full((80, 80, 3), 20, np.uint8); night[28:32, 10:70] = 230   # a line of text
    >>> dark_on_light(night)[30, 40].tolist(), dark_on_light(night)[0, 0].tolist()
    ([25, 25, 25], [235, 235, 235])
    >>> paper = np.full((80, 80, 3), 240, np.uint8)
    >>> dark_on_light(paper) is paper
    True
    >>> dim = np.full((80, 80, 3), 90, np.uint8); dim[28:32, 10:70] = 20   # dim paper, dark ink
    >>> dark_on_light(dim) is dim
    True
    >>> viewer = np.full((80, 80, 3), 20, np.uint8); viewer[20:60, 20:60] = 245   # a white page
    >>> dark_on_light(viewer) is viewer
    True
    """
    small = np.ascontiguousarray(rgb[::4, ::4] if min(rgb.shape[:2]) >= 64 else rgb)
    gray = to_gray(small)
    ground = float(np.median(gray))
    if ground >= DARK_GROUND:
        return rgb
    light = gray > ground + INK_CONTRAST
    if np.count_nonzero(light) <= np.count_nonzero(gray < ground - INK_CONTRAST):
        return rgb  # what stands out is darker: a dim page, not a dark one
    solid = cv2.erode(light.astype(np.uint8), np.ones((3, 3), np.uint8))
    if np.count_nonzero(solid) > SOLID_LIGHT * np.count_nonzero(light):
        return rgb  # light areas, not light strokes: paper shown on a dark ground
    return 255 - rgb


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark-on-light ink as 255, robust to uneven lighting of photos (adaptive threshold)."""
    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    return cv2.adaptiveThreshold(
        blurred, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )


def estimate_skew(gray: np.ndarray, max_angle: float = 5.0) -> float:
    """Degrees to turn the image (counter-clockwise positive) so its lines run level.

    Projection-profile search: text lines and ruling lines both make the row
    sums of the ink image spikiest when level, so this works for forms and
    for plain text alike. Coarse then fine search on a downscaled copy.
    """
    ink = ink_mask(gray)
    scale = min(1.0, 1000 / max(ink.shape))
    small = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if cv2.countNonZero(small) < 50:
        return 0.0

    def sharpness(angle: float) -> float:
        rows = rotate_gray(small, angle, border=0).sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(rows)).sum())

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.05)
    angle = float(max(fine, key=sharpness))
    return round(angle, 2) if abs(angle) >= 0.1 else 0.0


def rotate_gray(img: np.ndarray, angle: float, border: int | tuple[int, ...]) -> np.ndarray:
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(
        img, matrix, (w, h), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=border,
    )


def rotate_page(rgb: np.ndarray, angle: float) -> np.ndarray:
    """Turn the page by ``angle`` degrees about its centre, filling corners with paper white."""
    if angle == 0.0:
        return rgb
    return rotate_gray(rgb, angle, border=(255, 255, 255))


# -- seals -------------------------------------------------------------------------


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """Saturated, reasonably bright red pixels: seal ink (black text under it stays out)."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red_hue = (h <= 12) | (h >= 160)
    return (red_hue & (s >= 60) & (v >= 90)).astype(np.uint8) * 255


def find_seals(rgb: np.ndarray, dpi: float) -> tuple[list[PixelBox], np.ndarray]:
    """Round or square red stamps at least ~0.6 inch across, and the red mask.

    Red body text (a 红头 letterhead, a red title) is red too, but long and flat;
    only blobs of roughly square extent count as seals.
    """
    mask = red_mask(rgb)
    close = max(3, int(dpi * 0.06)) | 1
    blobs = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((close, close), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(blobs)
    min_side = dpi * 0.6
    seals: list[PixelBox] = []
    for x, y, w, h, area in stats[1:count]:
        if min(w, h) >= min_side and 0.6 <= w / h <= 1.6 and area >= 0.05 * w * h:
            seals.append((int(x), int(y), int(x + w), int(y + h)))
    return seals, mask


def suppress_seals(rgb: np.ndarray, dpi: float) -> tuple[np.ndarray, list[PixelBox]]:
    """Remove the red ink of every seal, keeping the black text stamped over or under it.

    Inside a seal's box the page is replaced by its red channel: red ink lets
    red through (it looks like paper there) while black text stays black.
    Where the seal is laid *over* the text (a translucent stamp), the text
    shows as a darker red than the seal on bare paper; so red pixels are
    judged by how much darker their red channel is than the seal's typical
    red: the seal's own shade becomes white, darker shades become text.
    Painting a (dilated) red mask white instead would erase those strokes.
    """
    seals, mask = find_seals(rgb, dpi)
    if not seals:
        return rgb, []
    out = rgb.copy()
    for x0, y0, x1, y1 in seals:
        red = out[y0:y1, x0:x1, 0].astype(np.float32)
        on_seal = mask[y0:y1, x0:x1] > 0
        seal_level = float(np.median(red[on_seal])) if on_seal.any() else 255.0
        span = max(40.0, 0.6 * seal_level)  # from the seal's shade to text black
        text_under = 255.0 - (seal_level - red) * 255.0 / span
        gray = np.where(on_seal, text_under, red).clip(0, 255)
        paper = float(np.percentile(red, 95))
        gray[gray >= 0.85 * paper] = 255  # the seal's faint pink rim and inner lettering
        out[y0:y1, x0:x1] = gray.astype(np.uint8)[..., None]
    return out, seals


# -- ruled tables -----------------------------------------------------------------------


def ruling_masks(ink: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling lines: ink runs far longer than any glyph stroke, and
    long for their thickness (:func:`_thin`)."""
    h_len = max(20, int(dpi * 0.45))
    v_len = max(15, int(dpi * 0.22))
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, h_len), np.uint8))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((v_len, 1), np.uint8))
    # bridge small breaks from scanning so one line stays one segment
    gap = max(3, int(dpi * 0.03))
    horizontal = cv2.morphologyEx(horizontal, cv2.MORPH_CLOSE, np.ones((1, gap), np.uint8))
    vertical = cv2.morphologyEx(vertical, cv2.MORPH_CLOSE, np.ones((gap, 1), np.uint8))
    return _thin(horizontal, 0, dpi), _thin(vertical, 1, dpi)


#: A horizontal rule is long for its thickness: a horizontal segment shorter than this many
#: times its thickness is no rule. The stroke of a large glyph (a poster's title, a
#: screenshot's heading, a slide's lettering) passes the length test at the page's assumed
#: resolution but is short beside its thickness: 1–13 times on real images from elsewhere,
#: against 13–330 for the rules of every scanned form we hold. Vertical segments are not
#: held to it: the column rules of a one-row table continued on the next page are one row
#: high, ~10 times their blurred thickness (two firm rows of a held-out batch were lost when
#: they were); a vertical glyph stroke meets no horizontal rule once those are gone
#: (``_segments``).
MIN_RULE_ASPECT = 10.0
#: A segment thicker than this (inches; a form's heaviest border, 3 pt, is 0.04 in, and the
#: ink threshold's blur adds a pixel each side) is a rule only if it is also this many
#: times as long as it is thick: a ledger's heavy group border running the table's height,
#: or a column rule that merged with the blacked-out cells beside it (34 times), never a
#: glyph's stroke (13 at most, measured).
MAX_RULE_INCHES = 0.05
THICK_RULE_ASPECT = 30.0


def _thin(mask: np.ndarray, axis: int, dpi: float) -> np.ndarray:
    """``mask`` without the segments that are no ruling lines (axis 0: horizontal segments,
    1: vertical): horizontal ones too stubby for their thickness, any too thick unless long.

    Whether a side is dark is no test: a header row filled Excel blue or a column of
    blacked-out cells borders its rules with dark along their whole length (a review
    built both; such a test glued the header onto the first row).
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count <= 1:
        return mask
    length = stats[1:, cv2.CC_STAT_WIDTH if axis == 0 else cv2.CC_STAT_HEIGHT].astype(np.float64)
    thickness = stats[1:, cv2.CC_STAT_AREA] / np.maximum(length, 1.0)
    aspect = length / np.maximum(thickness, 1e-6)
    bad = (thickness > max(3.0, MAX_RULE_INCHES * dpi)) & (aspect < THICK_RULE_ASPECT)
    if axis == 0:
        bad |= aspect < MIN_RULE_ASPECT
    if not bad.any():
        return mask
    keep = np.concatenate([[False], ~bad])
    return np.where(keep[labels], mask, 0).astype(mask.dtype)


def _segments(mask: np.ndarray, axis: int, ends: list[float] | None = None, tol: int = 0,
              long: int = 0) -> list[float]:
    """Centre positions (y for horizontal, x for vertical) of the line segments in ``mask``.

    With ``ends`` (y positions of the horizontal rules and the table's edges), a vertical
    segment counts as a column rule only if it starts or stops within ``tol`` of one, is
    ``long`` or longer, or recurs at the same x in another row: a table's rules meet, run
    on, or repeat row after row even where a scan broke them at the crossings, while the
    stroke of a large character (a screenshot's 64-pixel 通知 at an assumed 200 dpi)
    floats alone inside its cell.
    """
    count, _, stats, centroids = cv2.connectedComponentsWithStats(mask)
    found = [(float(centroids[i][1 - axis]), int(stats[i][cv2.CC_STAT_TOP]),
              int(stats[i][cv2.CC_STAT_TOP] + stats[i][cv2.CC_STAT_HEIGHT])) for i in range(1, count)]
    if ends is None:
        return [centre for centre, _, _ in found]

    def is_rule(k: int) -> bool:
        centre, top, bottom = found[k]
        return (min(min(abs(top - e), abs(bottom - e)) for e in ends) <= tol or bottom - top >= long
                or any(abs(centre - other) <= tol for j, (other, _, _) in enumerate(found) if j != k))

    return [found[k][0] for k in range(len(found)) if is_rule(k)]


def _has_line(mask: np.ndarray, horizontal: bool, at: int, lo: int, hi: int, tol: int) -> bool:
    """Whether a ruling line runs at ``at`` along most of [lo, hi)."""
    if hi - lo < 2:
        return True
    if horizontal:
        strip = mask[max(0, at - tol):at + tol + 1, lo:hi]
        covered = strip.max(axis=0) > 0
    else:
        strip = mask[lo:hi, max(0, at - tol):at + tol + 1]
        covered = strip.max(axis=1) > 0
    return bool(covered.mean() >= 0.6)


#: No row or column of a table is narrower than this (2 mm, less than a line of text):
#: rules closer together are one rule drawn double — a form's thick-and-thin border, the
#: edge and shadow of a screenshot's panel — not a sliver of a column between them.
MIN_CELL_INCHES = 0.08


#: A vertical segment this long is a rule wherever it ends (no glyph stroke of body or
#: title text is half an inch tall at the page's resolution).
LONG_RULE_INCHES = 0.5


def find_grids(horizontal: np.ndarray, vertical: np.ndarray, dpi: float) -> list[Grid]:
    """Tables = connected bundles of ruling lines with at least 2 rows of lines each way."""
    lines = cv2.bitwise_or(horizontal, vertical)
    joined = cv2.dilate(lines, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined)
    min_side = dpi * 0.3
    grids: list[Grid] = []
    for x, y, w, h, _ in stats[1:count]:
        if w < min_side or h < min_side:
            continue
        grid = _grid_in(horizontal, vertical, (int(x), int(y), int(x + w), int(y + h)), dpi)
        if grid is not None:
            grids.append(grid)
    return sorted(grids, key=lambda g: (g.box[1], g.box[0]))


def _grid_in(horizontal: np.ndarray, vertical: np.ndarray, box: PixelBox, dpi: float) -> Grid | None:
    x0, y0, x1, y1 = box
    tol = max(4, int(dpi * 0.05))
    double = max(tol, int(dpi * MIN_CELL_INCHES))
    ys = _rules([y0 + v for v in _segments(horizontal[y0:y1, x0:x1], axis=0)], double)
    ends = [v - y0 for v in (y0, *ys, y1)]
    xs = _rules([x0 + v for v in _segments(vertical[y0:y1, x0:x1], axis=1, ends=ends, tol=tol,
                                           long=int(dpi * LONG_RULE_INCHES))], double)
    # an open side (no outer rule) still bounds the table
    if not xs or xs[0] - x0 > double:
        xs.insert(0, x0)
    if x1 - xs[-1] > double:
        xs.append(x1)
    if not ys or ys[0] - y0 > double:
        ys.insert(0, y0)
    if y1 - ys[-1] > double:
        ys.append(y1)
    if len(xs) < 2 or is_frame((len(xs) - 1) * (len(ys) - 1)):
        return None
    return make_grid(box, xs, ys, _merge_cells(horizontal, vertical, xs, ys, tol))


def _rules(centres: list[float], tol: int) -> list[int]:
    """Whole-pixel rule positions: a double or slightly wavy line is one line."""
    return [round(v) for v in merge_positions(centres, tol)]


def _merge_cells(horizontal: np.ndarray, vertical: np.ndarray, xs: list[int], ys: list[int],
                 tol: int) -> list[GridCell]:
    """Cells with spans: grid positions not separated by a drawn line belong together."""

    def open_right(r: int, c: int) -> bool:
        pad_y = (ys[r + 1] - ys[r]) // 5
        return not _has_line(vertical, False, xs[c + 1], ys[r] + pad_y, ys[r + 1] - pad_y, tol)

    def open_below(r: int, c: int) -> bool:
        pad_x = (xs[c + 1] - xs[c]) // 5
        return not _has_line(horizontal, True, ys[r + 1], xs[c] + pad_x, xs[c + 1] - pad_x, tol)

    return joined_cells(xs, ys, open_right, open_below)


def erase(rgb: np.ndarray, mask: np.ndarray, grow: int = 2) -> np.ndarray:
    """Paint ``mask`` (dilated a little) white: ruling lines confuse the text detector."""
    grown = cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    out = rgb.copy()
    out[grown > 0] = 255
    return out


# -- drawn checkboxes ---------------------------------------------------------------------


@dataclass(slots=True)
class BoxMark:
    """A small drawn square on the form; ``checked`` when its inside is inked."""

    box: PixelBox
    checked: bool


def find_checkboxes(ink: np.ndarray, dpi: float) -> list[BoxMark]:
    """Small squares (0.07-0.22 inch) with inked sides; filled or ticked inside means checked.

    Shapes that look like boxes also occur as characters: a hollow square is
    口, a square with strokes inside is 国 or 四, and a dense character (重,
    属) blurred by a low-resolution JPEG fills its square almost solid. So a
    box's four sides must be ruled lines: ink all along the outermost rim
    (:func:`_has_four_sides`), where a character has ink only where its
    strokes end. A solid square counts on its own only when it has no white
    inside (a filled box; a blurred character keeps holes between its
    strokes); a hollow one counts when another box of about its size sits on
    the same text line (options come in groups), and a square with strokes
    inside (a tick or cross) only next to a box of its size that is certain.
    Either must stand apart on one side at least: a box opens its option or
    follows a gap, while 口 in 磴口县 or 属 in 所属方向 is set tight between
    characters on both sides.
    """
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    lo, hi = dpi * 0.07, dpi * 0.22
    solid, hollow, marked = [], [], []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (lo <= w <= hi and lo <= h <= hi and 0.8 <= w / h <= 1.25):
            continue
        patch = ink[y:y + h, x:x + w] > 0
        if not _has_four_sides(patch):
            continue
        inset_y, inset_x = max(2, h // 4), max(2, w // 4)
        inside = patch[inset_y:h - inset_y, inset_x:w - inset_x]
        fill = float(inside.mean()) if inside.size else 0.0
        box = (x, y, x + w, y + h)
        if fill >= 0.75:
            if not _has_holes(patch):
                solid.append(BoxMark(box, True))
        elif not _stands_apart(ink, box):
            continue  # set tight between characters: 口, 国, 属 …
        elif fill <= 0.06:
            hollow.append(BoxMark(box, False))
        else:
            marked.append(BoxMark(box, True))
    certain = solid + [m for m in hollow if _has_row_mate(m, solid + hollow)]
    ticked = [m for m in marked if _has_row_mate(m, certain)]
    return sorted(certain + ticked, key=lambda m: (m.box[1], m.box[0]))


def _has_four_sides(patch: np.ndarray) -> bool:
    """Ink along nearly all of each side's outer rim (a band an eighth of the side, 2 px at
    least: a ruled side survives a slight tilt or blur; a blurred character's strokes
    reach its rim only here and there — 重 or 属 cover 30-70 % of it, a box 93 % or more)."""
    band = max(2, min(patch.shape) // 8)
    sides = (patch[:band].max(axis=0), patch[-band:].max(axis=0),
             patch[:, :band].max(axis=1), patch[:, -band:].max(axis=1))
    return all(float(side.mean()) >= 0.85 for side in sides)


def _has_holes(patch: np.ndarray) -> bool:
    """White pockets inside the square (bigger than a speck): a character, not a filled box."""
    shape = patch.astype(np.uint8) * 255
    contours, hierarchy = cv2.findContours(shape, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return False
    speck = max(4.0, patch.size / 400)
    return any(hierarchy[0][i][3] >= 0 and cv2.contourArea(c) > speck for i, c in enumerate(contours))


def _has_row_mate(mark: BoxMark, marks: list[BoxMark]) -> bool:
    """Another box on the same text line, of about the same size (the boxes of one option
    group are drawn alike; a character's box-like part is smaller or larger)."""
    cy = (mark.box[1] + mark.box[3]) / 2
    side = mark.box[3] - mark.box[1]
    return any(
        other is not mark and abs((other.box[1] + other.box[3]) / 2 - cy) <= side / 2
        and 0.75 <= (other.box[3] - other.box[1]) / side <= 1.33
        for other in marks
    )


def _stands_apart(ink: np.ndarray, box: PixelBox) -> bool:
    """No ink within half a side to the left or to the right of the square (middle rows)."""
    x0, y0, x1, y1 = box
    side = y1 - y0
    reach = max(2, side // 2)
    rows = slice(y0 + side // 5, y1 - side // 5 + 1)
    left = ink[rows, max(0, x0 - reach):max(0, x0 - 1)]
    right = ink[rows, x1 + 1:x1 + reach]
    return not left.any() or not right.any()


# -- reading order ----------------------------------------------------------------------------


@dataclass(slots=True)
class OcrLine:
    """One recognised text box: pixel box, text, score, per-character x ranges and confidences.

    ``char_xs`` and ``char_confs`` are either empty (unknown) or one entry per
    character of ``text``; every step that adds or removes characters keeps them
    so (:meth:`keep`). ``raw`` is what the recogniser read, before the reader's
    repairs (doubled glyphs, punctuation put back): provenance, never overwritten.
    """

    box: PixelBox
    text: str
    score: float
    char_xs: list[tuple[float, float]] = field(default_factory=list)
    char_confs: list[float] = field(default_factory=list)
    raw: str = ""
    #: per character, what else the recogniser saw there (``ocr_engine.RunnersUp``;
    #: code-like lines only); empty or one entry per character, as ``char_confs``
    char_alts: list[dict[str, float]] = field(default_factory=list)

    def keep(self, indices: list[int]) -> None:
        """Keep only the characters at ``indices`` (ascending), with their spans, confidences
        and alternatives."""
        n = len(self.text)
        self.char_xs = [self.char_xs[i] for i in indices] if len(self.char_xs) == n else []
        self.char_confs = [self.char_confs[i] for i in indices] if len(self.char_confs) == n else []
        self.char_alts = [self.char_alts[i] for i in indices] if len(self.char_alts) == n else []
        self.text = "".join(self.text[i] for i in indices)

    def insert(self, at: int, piece: str, span: tuple[float, float], conf: float) -> None:
        """Put ``piece`` before character ``at``, every character of it at ``span`` with ``conf``."""
        if len(self.char_xs) == len(self.text):
            self.char_xs[at:at] = [span] * len(piece)
        if len(self.char_confs) == len(self.text):
            self.char_confs[at:at] = [conf] * len(piece)
        if len(self.char_alts) == len(self.text):
            self.char_alts[at:at] = [{} for _ in piece]
        self.text = self.text[:at] + piece + self.text[at:]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


def visual_rows(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """Group boxes that share a text line (vertical overlap), each row left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.centre[1], ln.box[0])):
        if rows:
            last = rows[-1]
            top = min(ln.box[1] for ln in last)
            bottom = max(ln.box[3] for ln in last)
            overlap = min(bottom, line.box[3]) - max(top, line.box[1])
            if overlap >= 0.5 * min(line.height, bottom - top):
                last.append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda ln: ln.box[0]) for row in rows]


def join_row(row: list[OcrLine]) -> str:
    """Boxes of one text line, with a space where the gap is wider than about a character."""
    text = ""
    for prev, line in zip([None, *row[:-1]], row, strict=True):
        if _spaced(prev, line):
            text += " "
        text += line.text
    return text


def join_row_raw(row: list[OcrLine]) -> str:
    """What the recogniser read on the text line, joined as :func:`join_row` joins the text."""
    text = ""
    for prev, line in zip([None, *row[:-1]], row, strict=True):
        if _spaced(prev, line):
            text += " "
        text += line.raw or line.text
    return text


def row_confidences(row: list[OcrLine]) -> list[float] | None:
    """One confidence per character of ``join_row(row)`` (1.0 for a space put between two
    boxes), or None when a box has none."""
    return _per_row_char(row, "char_confs", 1.0)


def row_alternatives(row: list[OcrLine]) -> list[dict[str, float]] | None:
    """The recogniser's alternatives per character of ``join_row(row)`` (none for a space put
    between two boxes), or None when no box has any (``OcrLine.char_alts``)."""
    if not any(line.char_alts for line in row):
        return None
    return _per_row_char(row, "char_alts", {})


def _per_row_char(row: list[OcrLine], attribute: str, space: object) -> list | None:
    """``attribute`` (one entry per character) of the row's boxes, joined as join_row joins
    their text: ``space`` for a space put between two boxes; None when a box has none."""
    out: list = []
    for prev, line in zip([None, *row[:-1]], row, strict=True):
        values = getattr(line, attribute)
        if len(values) != len(line.text):
            return None
        if _spaced(prev, line):
            out.append(space)
        out.extend(values)
    return out


def _spaced(prev: OcrLine | None, line: OcrLine) -> bool:
    return prev is not None and line.box[0] - prev.box[2] > 0.6 * line.height


def split_paragraphs(rows: list[list[OcrLine]], page_left: float, page_right: float) -> list[list[list[OcrLine]]]:
    """Rows -> paragraphs, following how Chinese body text is set.

    A paragraph's first line is indented about two characters; its other lines
    run to the right margin. So a new paragraph starts after a row that stops
    short of the margin, at an indented row, or after a gap taller than a line.
    """
    paragraphs: list[list[list[OcrLine]]] = []
    prev: list[OcrLine] | None = None
    for row in rows:
        height = float(np.median([ln.height for ln in row]))
        left = row[0].box[0]
        start = prev is None
        if prev is not None:
            prev_bottom = max(ln.box[3] for ln in prev)
            prev_right = prev[-1].box[2]
            gap = min(ln.box[1] for ln in row) - prev_bottom
            start = (
                gap > 0.9 * height
                or left - page_left > 1.2 * height
                or page_right - prev_right > 2.5 * height
                or len(prev) > 1
                or len(row) > 1
            )
        if start:
            paragraphs.append([row])
        else:
            paragraphs[-1].append(row)
        prev = row
    return paragraphs


#: A line box of body text is about this tall (inches) on every scan we hold (37–38 px at
#: 200 dpi) ...
BODY_LINE_INCHES = 0.19
#: ... and a page whose median line is below this share of it at the resolution assumed for
#: the page is small text (a screenshot or photo that states no resolution): the sizes that
#: tell a glyph from a speck follow the text, not the assumption.
SMALL_TEXT = 0.8


def text_dpi(dpi: float, heights: list[int]) -> float:
    """The resolution the page's own text implies where it is far smaller than ``dpi`` says.

    >>> text_dpi(200, [37, 38, 40])   # body text at 200 dpi: as assumed
    200
    >>> round(text_dpi(200, [22, 21, 28]))   # a small screenshot of a table
    116
    >>> text_dpi(200, [])
    200
    """
    if not heights:
        return dpi
    median = float(np.median(heights))
    return median / BODY_LINE_INCHES if median < SMALL_TEXT * BODY_LINE_INCHES * dpi else dpi


def uncovered_ink(ink: np.ndarray, boxes: list[PixelBox], dpi: float) -> list[PixelBox]:
    """Text-sized blobs of ink that no recognised line covers: what the detector missed.

    The detector can drop sparse glyphs (一, 二, 、) at page scale; these are the
    places worth a second, magnified look. Each look costs about a third of the
    page's detection, so ink that cannot be a glyph is left out first: specks
    and strokes thinner than a character, the dust a removed seal leaves, and
    runs longer than any glyph (rules of a box row too small to be a table,
    underlines). A blob counts only if it holds at least one stroke.
    """
    rest = ink.copy()
    for x0, y0, x1, y1 in boxes:
        rest[max(0, y0 - 2):y1 + 3, max(0, x0 - 2):x1 + 3] = 0
    rest = cv2.morphologyEx(rest, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    lo, hi = dpi * 0.08, dpi * 0.5
    rest, strokes = _glyph_ink(rest, min_stroke=dpi * 0.05, max_stroke=hi)
    join = max(3, int(dpi * 0.1)) | 1  # the two strokes of 二 are one blob
    merged = cv2.dilate(rest, np.ones((join, join), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(merged)
    out: list[PixelBox] = []
    for x, y, w, h, _ in stats[1:count]:
        x0, y0, x1, y1 = x + join // 2, y + join // 2, x + w - join // 2, y + h - join // 2
        if (lo <= max(w, h) - join and h - join <= hi
                and cv2.countNonZero(rest[y0:y1, x0:x1]) >= dpi * 0.3
                and cv2.countNonZero(strokes[y:y + h, x:x + w])):
            out.append((int(x0), int(y0), int(x1), int(y1)))
    return out


def _glyph_ink(ink: np.ndarray, min_stroke: float, max_stroke: float) -> tuple[np.ndarray, np.ndarray]:
    """``ink`` without pieces longer than a glyph, and the mask of its pieces long enough to be strokes."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink)
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    glyph = extent <= max_stroke
    glyph[0] = False  # the background
    keep = glyph.astype(np.uint8) * 255
    stroke = (glyph & (extent >= min_stroke)).astype(np.uint8) * 255
    return keep[labels], stroke[labels]


def split_at_cells(line: OcrLine, grid: Grid) -> list[OcrLine]:
    """Cut a recognised line where it crosses from one cell into the next.

    With the ruling lines erased, the detector may read "序号 企业名称" as one
    line; its characters' positions say which cell each belongs to.
    """
    if len(line.char_xs) != len(line.text) or not line.text:
        return [line]
    cy = line.centre[1]
    pieces: list[tuple[GridCell | None, list[int]]] = []
    for i, (x0, x1) in enumerate(line.char_xs):
        cell = grid.cell_of((x0 + x1) / 2, cy)
        if pieces and pieces[-1][0] is cell:
            pieces[-1][1].append(i)
        else:
            pieces.append((cell, [i]))
    if len(pieces) == 1:
        return [line]
    out = []
    raw = line.raw if line.raw != line.text else ""  # a repaired box: its pieces keep the whole reading
    for _, idx in pieces:
        text = line.text[idx[0]:idx[-1] + 1]
        if not text.strip():
            continue
        xs = line.char_xs[idx[0]:idx[-1] + 1]
        confs = line.char_confs[idx[0]:idx[-1] + 1] if len(line.char_confs) == len(line.text) else []
        alts = line.char_alts[idx[0]:idx[-1] + 1] if len(line.char_alts) == len(line.text) else []
        lead = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        box = (int(xs[0][0]), line.box[1], int(xs[-1][1]), line.box[3])
        out.append(OcrLine(box, text[lead:end], line.score, xs[lead:end], confs[lead:end], raw,
                           alts[lead:end]))
    return out


# -- photos of a sheet ---------------------------------------------------------------------------


def find_sheet(rgb: np.ndarray) -> np.ndarray | None:
    """The four corners of a paper sheet photographed on a darker background, or None.

    None when the paper fills the image (a scan) or no clear quadrilateral
    stands out; corners ordered top-left, top-right, bottom-right, bottom-left.
    """
    gray = cv2.GaussianBlur(to_gray(rgb), (7, 7), 0)
    _, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    k = max(5, min(gray.shape) // 100) | 1
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    sheet = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(sheet) / float(gray.shape[0] * gray.shape[1])
    if not 0.25 <= share <= 0.95:
        return None
    hull = cv2.convexHull(sheet)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(quad) != 4:
        quad = cv2.boxPoints(cv2.minAreaRect(hull))
    return _order_corners(quad.reshape(4, 2).astype(np.float32))


def _order_corners(pts: np.ndarray) -> np.ndarray:
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[s.argmin()], pts[d.argmin()], pts[s.argmax()], pts[d.argmax()]], np.float32)


def flatten_sheet(rgb: np.ndarray, corners: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Warp the photographed sheet to an upright rectangle (perspective undone), optionally enlarged."""
    tl, tr, br, bl = corners
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)) * scale
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)) * scale
    w, h = int(round(width)), int(round(height))
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(rgb, matrix, (w, h), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def drop_double_reads(lines: list[OcrLine]) -> list[OcrLine]:
    """Remove characters read twice where two detected boxes on one text line overlap.

    The detector sometimes starts a box inside the previous one, and the
    recogniser then reads the shared glyph again, often as a part of it
    (级 → 及). Characters of the later box whose centre lies inside the
    earlier box are dropped.
    """
    ordered = sorted(lines, key=lambda ln: ln.box[0])
    for i, prev in enumerate(ordered):
        for line in ordered[i + 1:]:
            if line.box[0] >= prev.box[2]:
                break
            overlap = min(prev.box[3], line.box[3]) - max(prev.box[1], line.box[1])
            if overlap < 0.6 * min(prev.height, line.height) or len(line.char_xs) != len(line.text):
                continue
            end = prev.char_xs[-1][1] if prev.char_xs else prev.box[2]  # glyphs, not the padded box
            line.keep([k for k, (x0, x1) in enumerate(line.char_xs) if (x0 + x1) / 2 > end])
            if line.char_xs:
                line.box = (int(line.char_xs[0][0]), line.box[1], line.box[2], line.box[3])
    return [ln for ln in lines if ln.text.strip()]

"""Ruled tables and drawn check boxes from a page's vector graphics (via pdfplumber).

pdfplumber finds table cells from ruling lines; a merged cell comes out as one
rectangle spanning several grid positions. Its row/column spans are recovered
by snapping every cell edge to the table's sorted unique x and y edges, which
is how the source (a Word or WPS table) described it. Drawn check boxes are
small squares; a box counts as ticked when something is drawn inside it (a
filled square, a tick path) or it is itself filled dark. They are removed
before table finding so a box is never mistaken for a tiny table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from saidao.document import BBox
from saidao.ingest.readers.grid import Grid, grid_from_boxes
from saidao.ingest.tables import is_frame

#: Side of a drawn check box, points (Word's boxes are about 8–11 pt).
BOX_MIN, BOX_MAX = 6.0, 14.0
#: Edges closer than this are one grid line (pdfplumber's snap tolerance is 3).
EDGE_TOLERANCE = 2.5
_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}

#: A ruled table's geometry (``grid.Grid``), under the name ``pdf.py`` imports.
TableGrid = Grid


@dataclass(slots=True)
class DrawnBox:
    bbox: BBox
    checked: bool


def _bbox(obj: dict[str, Any]) -> BBox:
    return (float(obj["x0"]), float(obj["top"]), float(obj["x1"]), float(obj["bottom"]))


def _inside(inner: BBox, outer: BBox, slack: float = 1.0) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _is_dark(color: Any) -> bool:
    """pdfplumber colours are gray (1 value), RGB (3) or CMYK (4) tuples in 0..1."""
    if color is None:
        return True  # PDF default fill is black
    values = color if isinstance(color, list | tuple) else (color,)
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    if len(values) == 1:
        return values[0] < 0.5
    if len(values) == 3:
        return 0.299 * values[0] + 0.587 * values[1] + 0.114 * values[2] < 0.5
    if len(values) == 4:
        return values[3] > 0.5 or sum(values[:3]) / 3 > 0.6
    return False


def _is_box_shape(obj: dict[str, Any]) -> bool:
    w, h = float(obj["x1"]) - float(obj["x0"]), float(obj["bottom"]) - float(obj["top"])
    return BOX_MIN <= w <= BOX_MAX and BOX_MIN <= h <= BOX_MAX and abs(w - h) <= 2.0


def _closed_square_curve(obj: dict[str, Any]) -> bool:
    pts = obj.get("pts") or []
    return len(pts) >= 4 and _is_box_shape(obj) and pts[0] == pts[-1]


def drawn_checkboxes(graphics: Iterable[dict[str, Any]]) -> list[DrawnBox]:
    """Small squares among rects/curves/lines, ticked when marked inside or filled dark."""
    graphics = list(graphics)
    candidates = [g for g in graphics
                  if (g.get("object_type") == "rect" or _closed_square_curve(g)) and _is_box_shape(g)
                  and g.get("stroke", True)]
    boxes: list[DrawnBox] = []
    for cand in candidates:
        box = _bbox(cand)
        if any(other is not cand and _inside(box, _bbox(other), 0.5) and _bbox(other) != box
               for other in candidates):
            continue  # the inner mark of another box
        filled = bool(cand.get("fill")) and _is_dark(cand.get("non_stroking_color"))
        marked = any(other is not cand and _marks(_bbox(other), box) for other in graphics)
        boxes.append(DrawnBox(box, filled or marked))
    return _dedupe(boxes)


def _marks(mark: BBox, box: BBox) -> bool:
    """A tick or fill: centred in the box, not the box itself, at most a little larger (ticks overshoot)."""
    if all(abs(p - q) < 0.5 for p, q in zip(mark, box, strict=True)):
        return False
    cx, cy = (mark[0] + mark[2]) / 2, (mark[1] + mark[3]) / 2
    side = box[2] - box[0]
    return (box[0] < cx < box[2] and box[1] < cy < box[3]
            and mark[2] - mark[0] <= 1.6 * side and mark[3] - mark[1] <= 1.6 * side)


def _dedupe(boxes: list[DrawnBox]) -> list[DrawnBox]:
    """One box per position (a box drawn as a filled and a stroked rect is one box)."""
    out: list[DrawnBox] = []
    for box in boxes:
        same = next((b for b in out if all(abs(p - q) < 1.0 for p, q in zip(b.bbox, box.bbox, strict=True))), None)
        if same is None:
            out.append(box)
        else:
            same.checked = same.checked or box.checked
    return out


def ruled_tables(page: Any, boxes: Sequence[DrawnBox] = ()) -> list[Grid]:
    """Tables of a pdfplumber page with at least two cells, check boxes' strokes ignored."""
    if boxes:
        def keep(obj: dict[str, Any]) -> bool:
            if obj.get("object_type") not in ("rect", "line", "curve"):
                return True
            return not any(_inside(_bbox(obj), b.bbox) for b in boxes)
        page = page.filter(keep)
    grids = []
    for found in page.find_tables(_TABLE_SETTINGS):
        cells = [tuple(map(float, c)) for c in found.cells if c]
        if is_frame(len(cells)):
            continue
        grids.append(grid_from_boxes(cells, EDGE_TOLERANCE))
    grids.sort(key=lambda g: g.bbox[1])
    return grids

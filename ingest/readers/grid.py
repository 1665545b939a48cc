"""A ruled table's geometry, shared by the born-digital and the scanned readers.

Both readers see a table as ruling lines: ``pdf_tables`` gets them from the
PDF's vector graphics (pdfplumber's cell rectangles), ``scan_layout`` from the
pixels. Either way the table is the sorted positions of its column and row
rules (``xs``, ``ys``) and the cells those rules enclose, a merged cell being
one cell that spans several grid positions, as in the Word or WPS source.
Coordinates are whatever the reader works in (PDF points, image pixels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass(slots=True)
class GridCell:
    """One cell: its origin position, its spans and its rectangle."""

    row: int
    col: int
    row_span: int
    col_span: int
    box: Box

    @property
    def bbox(self) -> Box:
        """``box`` under the name the document model uses for PDF-point rectangles."""
        return self.box


@dataclass(slots=True)
class Grid:
    """A ruled table: rule positions and the cells they enclose, no text yet."""

    box: Box
    xs: list[float]
    ys: list[float]
    cells: list[GridCell] = field(default_factory=list)

    @property
    def bbox(self) -> Box:
        """``box`` under the name the document model uses for PDF-point rectangles."""
        return self.box

    @property
    def n_rows(self) -> int:
        return max(1, len(self.ys) - 1)

    @property
    def n_cols(self) -> int:
        return max(1, len(self.xs) - 1)

    def cell_of(self, x: float, y: float) -> GridCell | None:
        """The cell containing the point (a merged cell covers all its positions)."""
        for cell in self.cells:
            x0, y0, x1, y1 = cell.box
            if x0 <= x < x1 and y0 <= y < y1:
                return cell
        return None


def merge_positions(values: Iterable[float], tolerance: float) -> list[float]:
    """Sorted rule positions, values within ``tolerance`` of their neighbour taken as one.

    A double, thick or slightly wavy rule yields several close positions; each
    group becomes its mean.
    """
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tolerance:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def nearest(positions: Sequence[float], value: float) -> int:
    """Index of the rule position closest to ``value``."""
    return min(range(len(positions)), key=lambda i: abs(positions[i] - value))


def span_cell(xs: Sequence[float], ys: Sequence[float], box: Box) -> GridCell:
    """The grid position and spans of a cell rectangle, by its edges' nearest rules."""
    c0, c1 = nearest(xs, box[0]), nearest(xs, box[2])
    r0, r1 = nearest(ys, box[1]), nearest(ys, box[3])
    return GridCell(r0, c0, max(1, r1 - r0), max(1, c1 - c0), box)


def block_cell(xs: Sequence[float], ys: Sequence[float],
               positions: Iterable[tuple[int, int]]) -> GridCell:
    """The cell made of grid positions ``(row, col)`` joined together, framed by their rules."""
    rows, cols = zip(*positions, strict=True)
    r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
    return GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))


def make_grid(box: Box, xs: list[float], ys: list[float], cells: Iterable[GridCell]) -> Grid:
    """A grid with its cells in reading order, one cell per origin.

    Two detections of one region (overlapping rectangles) land on the same
    origin; the first is kept.
    """
    seen: set[tuple[int, int]] = set()
    kept = []
    for cell in sorted(cells, key=lambda c: (c.row, c.col)):
        if (cell.row, cell.col) not in seen:
            seen.add((cell.row, cell.col))
            kept.append(cell)
    return Grid(box, xs, ys, kept)


def grid_from_boxes(cell_boxes: Sequence[Box], tolerance: float) -> Grid:
    """Rows, columns and spans of cell rectangles, the rules being their merged edges."""
    xs = merge_positions([b[0] for b in cell_boxes] + [b[2] for b in cell_boxes], tolerance)
    ys = merge_positions([b[1] for b in cell_boxes] + [b[3] for b in cell_boxes], tolerance)
    cells = [span_cell(xs, ys, box) for box in cell_boxes]
    return make_grid((xs[0], ys[0], xs[-1], ys[-1]), xs, ys, cells)


def joined_cells(xs: Sequence[float], ys: Sequence[float],
                 open_right: Callable[[int, int], bool],
                 open_below: Callable[[int, int], bool]) -> list[GridCell]:
    """Cells with spans from the grid positions and where no rule separates them.

    ``open_right(r, c)``: no rule between positions (r, c) and (r, c + 1);
    ``open_below(r, c)``: none between (r, c) and (r + 1, c). Positions that are
    open to each other are one cell (union-find), whatever the source of the rules
    (PDF or OFD paths, pixels of a scan).
    """
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(n_rows):
        for c in range(n_cols):
            here = r * n_cols + c
            if c + 1 < n_cols and open_right(r, c):
                parent[find(here + 1)] = find(here)
            if r + 1 < n_rows and open_below(r, c):
                parent[find(here + n_cols)] = find(here)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            groups.setdefault(find(r * n_cols + c), []).append((r, c))
    return [block_cell(xs, ys, members) for members in groups.values()]

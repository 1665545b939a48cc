"""The shared table-grid geometry used by the PDF and the scan readers."""

from __future__ import annotations

from saidao.ingest.readers.grid import (
    block_cell,
    grid_from_boxes,
    make_grid,
    merge_positions,
)


def test_close_positions_are_one_rule():
    assert merge_positions([10.0, 100.4, 10.8, 99.6, 200.0], tolerance=2.5) == [10.4, 100.0, 200.0]


def test_merged_cell_rectangles_get_their_spans():
    # a 2x3 table whose first row is one merged cell, edges off by a fraction of a point
    boxes = [(0.0, 0.0, 300.0, 20.0),
             (0.2, 20.0, 100.0, 40.0), (100.0, 20.1, 200.0, 40.0), (200.0, 20.0, 300.0, 40.0)]
    grid = grid_from_boxes(boxes, tolerance=2.5)
    assert (grid.n_rows, grid.n_cols) == (2, 3)
    assert [(c.row, c.col, c.row_span, c.col_span) for c in grid.cells] == [
        (0, 0, 1, 3), (1, 0, 1, 1), (1, 1, 1, 1), (1, 2, 1, 1)]
    assert grid.cells[0].bbox == boxes[0]  # the rectangle as drawn, not snapped


def test_joined_positions_make_one_cell_framed_by_rules():
    xs, ys = [0, 50, 100], [0, 30, 60]
    cell = block_cell(xs, ys, [(0, 1), (1, 1)])
    assert (cell.row, cell.col, cell.row_span, cell.col_span, cell.box) == (0, 1, 2, 1, (50, 0, 100, 60))


def test_one_cell_per_origin_in_reading_order():
    xs, ys = [0, 50, 100], [0, 30, 60]
    cells = [block_cell(xs, ys, [(1, 0)]), block_cell(xs, ys, [(0, 0), (0, 1)]),
             block_cell(xs, ys, [(0, 0)])]
    grid = make_grid((0, 0, 100, 60), xs, ys, cells)
    assert [(c.row, c.col, c.col_span) for c in grid.cells] == [(0, 0, 2), (1, 0, 1)]


def test_a_point_finds_the_merged_cell_covering_it():
    xs, ys = [0, 50, 100], [0, 30, 60]
    grid = make_grid((0, 0, 100, 60), xs, ys, [block_cell(xs, ys, [(0, 0), (0, 1)]),
                                               block_cell(xs, ys, [(1, 0)])])
    assert grid.cell_of(75, 10) is grid.cells[0]
    assert grid.cell_of(25, 45) is grid.cells[1]
    assert grid.cell_of(75, 45) is None

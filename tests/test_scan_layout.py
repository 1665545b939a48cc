"""Layout analysis of page images without OCR: skew, seals, ruled grids, checkboxes, order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from saidao.ingest.readers import scan_layout as layout
from saidao.ingest.readers.scan_layout import OcrLine
from saidao.ingest.wrap import join_pieces

CASES = Path(__file__).parent / "fixtures" / "scan_cases"
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
DPI = 200


def load(name: str) -> tuple[np.ndarray, dict]:
    rgb = np.asarray(Image.open(CASES / name).convert("RGB"))
    gold = json.loads((CASES / (name.split(".")[0] + ".gold.json")).read_text("utf-8"))
    return rgb, gold


def level(rgb: np.ndarray) -> np.ndarray:
    return layout.rotate_page(rgb, layout.estimate_skew(layout.to_gray(rgb)))


def grids_of(rgb: np.ndarray) -> list[layout.Grid]:
    ink = layout.ink_mask(layout.to_gray(rgb))
    return layout.find_grids(*layout.ruling_masks(ink, DPI), DPI)


def iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("name", ["form.png", "firms.jpg"])
def test_skew_is_measured_and_undone(name):
    rgb, gold = load(name)
    angle = layout.estimate_skew(layout.to_gray(rgb))
    # the page was turned by gold["rotation"]; turning back is the opposite angle
    assert angle == pytest.approx(-gold["rotation"], abs=0.15)
    assert layout.estimate_skew(layout.to_gray(layout.rotate_page(rgb, angle))) == pytest.approx(0, abs=0.15)


def test_merged_cells_of_a_ruled_form():
    rgb, gold = load("form.png")
    grids = grids_of(level(rgb))
    assert len(grids) == 1
    grid = grids[0]
    assert (grid.n_rows, grid.n_cols) == (gold["rows"], gold["cols"])
    found = {(c.row, c.col, c.row_span, c.col_span) for c in grid.cells}
    expected = {(c["row"], c["col"], c["row_span"], c["col_span"]) for c in gold["cells"]}
    assert found == expected


def test_firm_table_grid():
    rgb, gold = load("firms.jpg")
    (grid,) = grids_of(level(rgb))
    assert (grid.n_rows, grid.n_cols) == (11, 3)
    assert all(c.row_span == c.col_span == 1 for c in grid.cells)
    assert len(grid.cells) == 33


def test_text_and_underlines_are_not_tables():
    img = Image.new("RGB", (1200, 400), "white")
    draw = ImageDraw.Draw(img)
    draw.text((50, 50), "填报时间：二〇二六年四月二十日 一二三 三三三", font=ImageFont.truetype(FONT, 32), fill="black")
    draw.line([(50, 200), (700, 200)], fill="black", width=3)  # a blank to write on
    assert grids_of(np.asarray(img)) == []


@pytest.mark.parametrize("name", ["form.png", "pledge.png"])
def test_seal_found_and_its_red_removed(name):
    rgb, gold = load(name)
    seals, mask = layout.find_seals(rgb, DPI)
    assert len(seals) == 1 and iou(seals[0], gold["seal"]) > 0.7
    clean, _ = layout.suppress_seals(rgb, DPI)
    x0, y0, x1, y1 = seals[0]
    before = int((mask[y0:y1, x0:x1] > 0).sum())
    after = int((layout.red_mask(clean)[y0:y1, x0:x1] > 0).sum())
    assert after < 0.01 * before
    # black text under the seal survives: dark pixels remain in the region
    assert (layout.to_gray(clean)[y0:y1, x0:x1] < 100).sum() > 500


def test_red_title_text_is_not_a_seal():
    img = Image.new("RGB", (1400, 300), "white")
    ImageDraw.Draw(img).text((60, 60), "内蒙古自治区科学技术厅文件", font=ImageFont.truetype(FONT, 90), fill=(220, 20, 30))
    assert layout.find_seals(np.asarray(img), DPI)[0] == []


def test_checkbox_states_on_the_form():
    rgb, gold = load("form.png")
    clean = level(rgb)
    ink = layout.ink_mask(layout.to_gray(clean))
    text_image = layout.erase(clean, np.bitwise_or(*layout.ruling_masks(ink, DPI)))
    marks = layout.find_checkboxes(layout.ink_mask(layout.to_gray(text_image)), DPI)
    assert [m.checked for m in sorted(marks, key=lambda m: m.box[0])] == [b["checked"] for b in gold["checkboxes"]]


def test_box_shaped_characters_are_not_checkboxes():
    img = Image.new("RGB", (1200, 120), "white")
    ImageDraw.Draw(img).text((30, 30), "出口 人口 四国 日回 图团", font=ImageFont.truetype(FONT, 32), fill="black")
    assert layout.find_checkboxes(layout.ink_mask(layout.to_gray(np.asarray(img))), DPI) == []


@pytest.mark.parametrize("face", ["wqy/wqy-microhei.ttc", "arphic/uming.ttc"])
def test_blurred_dense_characters_and_kou_pairs_are_not_checkboxes(face):
    """A low-resolution JPEG fills 重/属/图 almost solid, and 口 twice on a line (磴口县 in
    two columns) looks like an option group; only the three drawn boxes below count."""
    import io

    from PIL import ImageFilter

    path = Path("/usr/share/fonts/truetype") / face
    if not path.exists():
        pytest.skip(f"font {face} not installed (scripts/system-deps.sh)")
    img = Image.new("RGB", (1400, 260), "white")
    draw, font = ImageDraw.Draw(img), ImageFont.truetype(str(path), 36)
    draw.text((30, 30), "所属方向 重点项目 产业图谱 围绕 磴口县 磴口县", font=font, fill=(20, 20, 20))
    x, side = 30, 29
    for label, on in (("传统产业", False), ("新兴产业", True), ("未来产业", False)):
        draw.rectangle((x, 140, x + side, 140 + side), outline=(20, 20, 20), width=2)
        if on:
            draw.line([(x + 6, 155), (x + 13, 163), (x + 25, 144)], fill=(20, 20, 20), width=4)
        draw.text((x + side + 12, 136), label, font=font, fill=(20, 20, 20))
        x += side + 12 + 4 * 36 + 60
    buffer = io.BytesIO()
    img.filter(ImageFilter.GaussianBlur(0.8)).save(buffer, "JPEG", quality=30)
    page = np.asarray(Image.open(buffer).convert("RGB"))
    marks = layout.find_checkboxes(layout.ink_mask(layout.to_gray(page)), DPI)
    assert [(m.box[0] // 10, m.checked) for m in marks] == [(2, False), (27, True), (51, False)]


def line(x0, y0, x1, text, h=30):
    return OcrLine((x0, y0, x1, y0 + h), text, 0.9)


def test_rows_and_paragraphs_follow_chinese_typesetting():
    rows = layout.visual_rows([
        line(160, 100, 1500, "第一段首行缩进两个字，"),   # indented first line
        line(100, 145, 1500, "第二行排满到右边界，"),
        line(100, 190, 700, "段末短行。"),             # short last line ends the paragraph
        line(100, 235, 1500, "下一段没有缩进但上一行未排满"),
        line(900, 102, 1100, "同行"),                  # joins the first row
    ])
    assert [len(r) for r in rows] == [2, 1, 1, 1]
    paragraphs = layout.split_paragraphs(rows, 100, 1500)
    assert [len(p) for p in paragraphs] == [1, 2, 1]


def test_join_pieces():
    assert join_pieces("内蒙古第一机械", "集团") == "内蒙古第一机械集团"  # ingest.wrap's rule
    assert join_pieces("E-mail kjj@btgx", "gov") == "E-mail kjj@btgx gov"


def test_uncovered_ink_finds_what_no_box_covers():
    img = Image.new("RGB", (800, 120), "white")
    ImageDraw.Draw(img).text((20, 30), "二、新赛道企业名录", font=ImageFont.truetype(FONT, 34), fill="black")
    ink = layout.ink_mask(layout.to_gray(np.asarray(img)))
    covered = (70, 25, 400, 75)  # everything but the 二
    (region,) = layout.uncovered_ink(ink, [covered], DPI)
    assert region[0] < 60 and region[2] <= 75
    assert layout.uncovered_ink(ink, [(0, 0, 800, 120)], DPI) == []


def test_uncovered_ink_skips_what_cannot_be_a_glyph():
    """Seal dust and a row of empty boxes are not worth a second OCR look; a glyph beside them is."""
    rng = np.random.default_rng(5)
    img = Image.new("RGB", (1400, 200), "white")
    draw = ImageDraw.Draw(img)
    for x in range(40, 130, 10):  # dust a removed seal leaves: dots, none a stroke long
        for y in range(20, 80, 10):
            dx, dy = rng.integers(0, 4, size=2)
            draw.rectangle((x + int(dx), y + int(dy), x + int(dx) + 2, y + int(dy) + 2), fill="black")
    draw.rectangle((200, 30, 1250, 72), outline="black", width=2)  # empty cells of a box row
    for x in range(330, 1250, 130):
        draw.line((x, 30, x, 72), fill="black", width=2)
    draw.text((60, 120), "二", font=ImageFont.truetype(FONT, 34), fill="black")
    ink = layout.ink_mask(layout.to_gray(np.asarray(img)))
    regions = layout.uncovered_ink(ink, [], DPI)
    assert len(regions) == 1 and regions[0][1] > 100  # the 二 only


def test_photographed_sheet_is_found_and_flattened():
    import cv2

    photo = np.full((1000, 800, 3), (90, 70, 60), np.uint8)  # a desk
    corners = np.array([[120, 90], [690, 130], [660, 900], [80, 860]], np.int32)
    cv2.fillConvexPoly(photo, corners, (235, 235, 230))
    found = layout.find_sheet(photo)
    assert found is not None
    assert np.abs(found - corners).max() <= 6
    flat = layout.flatten_sheet(photo, found)
    assert flat.shape[0] > flat.shape[1]  # upright portrait sheet
    assert flat[5:-5, 5:-5].mean() > 220  # only paper left
    # a scan (paper to the edges) is left alone
    assert layout.find_sheet(np.full((900, 700, 3), 240, np.uint8)) is None


def test_a_glyph_read_twice_by_overlapping_boxes_is_dropped():
    first = OcrLine((455, 603, 703, 633), "转型升级", 0.99, [(455, 517), (517, 579), (579, 641), (641, 703)])
    second = OcrLine((685, 600, 900, 634), "及新兴", 0.9, [(685, 704), (742, 775), (775, 806)])
    kept = layout.drop_double_reads([first, second])
    assert [ln.text for ln in kept] == ["转型升级", "新兴"]
    assert kept[1].box[0] == 742


def _ruled(cols: list[int], rows: list[int], width: int = 3, size=(1400, 1000)) -> np.ndarray:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for x in cols:
        draw.line([(x, rows[0]), (x, rows[-1])], fill="black", width=width)
    for y in rows:
        draw.line([(cols[0], y), (cols[-1], y)], fill="black", width=width)
    return np.asarray(img)


def test_a_rule_drawn_double_is_one_rule_not_a_sliver_of_a_column():
    # a form's thick-and-thin border: outer rules 9 px (1.1 mm at 200 dpi) outside the inner ones
    grid, = grids_of(_ruled([100, 109, 600, 1191, 1200], [100, 109, 300, 500, 691, 700]))
    assert (grid.n_rows, grid.n_cols) == (3, 2)
    # a real narrow column (a check box's, 5 mm) stays a column
    grid, = grids_of(_ruled([100, 140, 600, 1200], [100, 300, 500]))
    assert grid.n_cols == 3


def test_a_frame_around_text_is_no_table_even_with_its_edge_drawn_twice():
    # a screenshot's white panel: its edge and, 11 px further, its shadow
    for cols, rows in (([100, 1200], [100, 900]), ([100, 1189, 1200], [100, 889, 900])):
        assert grids_of(_ruled(cols, rows, width=2)) == []


def test_column_rules_broken_at_every_crossing_are_still_rules():
    # a worn scan: each column rule stops 2.5 mm (20 px) short of the row rules above and below
    img = Image.new("RGB", (1500, 700), "white")
    draw = ImageDraw.Draw(img)
    rows, cols = [100, 200, 300, 400, 500], [100, 400, 700, 1000, 1300]
    for y in rows:
        draw.line([(cols[0], y), (cols[-1], y)], fill="black", width=3)
    for x in (cols[0], cols[-1]):
        draw.line([(x, rows[0]), (x, rows[-1])], fill="black", width=3)
    for x in cols[1:-1]:
        for top, bottom in zip(rows, rows[1:], strict=False):
            draw.line([(x, top + 20), (x, bottom - 20)], fill="black", width=3)
    grid, = grids_of(np.asarray(img))
    assert (grid.n_rows, grid.n_cols) == (4, 4)


def test_the_strokes_of_large_lettering_are_not_rules():
    """Slide lettering as big as RapidOCR's own test image (a 1890×503 picture of 我是中国人):
    its strokes run longer than the rule finder's length at the assumed resolution and meet
    and cross, but each is short beside its thickness. No table comes of them (before: six
    or seven grids of empty cells, the glyphs painted out as rules)."""
    img = Image.new("RGB", (1890, 503), "white")
    ImageDraw.Draw(img).text((40, 60), "我是中国人", font=ImageFont.truetype(FONT, 300), fill="black")
    ink = layout.ink_mask(layout.to_gray(np.asarray(img)))
    for dpi in (200, 300):
        assert layout.find_grids(*layout.ruling_masks(ink, dpi), dpi) == []


def test_a_heavy_border_that_runs_the_table_is_still_a_rule():
    """A ledger's heavy group border (1.5 mm thick here) is thicker than any form rule but
    runs the table's height: it stays a column rule, with the thin ones beside it."""
    img = Image.new("RGB", (1400, 900), "white")
    draw = ImageDraw.Draw(img)
    xs = [40, 200, 320, 440, 700, 820, 940, 1360]
    for y in range(40, 861, 70):
        draw.line((40, y, 1360, y), fill="black", width=2)
    for x in xs:
        draw.line((x, 40, x, 880 - 20), fill="black", width=12 if x == 440 else 2)
    grids = grids_of(np.asarray(img))
    assert len(grids) == 1 and grids[0].n_cols == len(xs) - 1


def test_a_border_drawn_double_close_together_keeps_both_its_lines():
    """Thick-and-thin rules 3 px apart: each has the other beside it, a rule, not dark ground
    (the test that drops the outline of a solid stroke must not drop a double border)."""
    img = Image.new("RGB", (1300, 800), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 1260, 760), outline="black", width=6)
    draw.rectangle((49, 49, 1251, 751), outline="black", width=2)
    for y in (280, 520):
        draw.line((49, y, 1251, y), fill="black", width=2)
    draw.line((600, 49, 600, 751), fill="black", width=2)
    grid, = grids_of(np.asarray(img))
    assert (grid.n_rows, grid.n_cols) == (3, 2)


def _filled_table(fill_cells, fill) -> np.ndarray:
    """A 5×4 ruled table, 2 px rules, with ``fill_cells`` (row, col) filled edge to edge."""
    xs, ys = [60, 200, 700, 1100, 1400], [60, 140, 220, 300, 380, 460]
    img = Image.new("RGB", (1460, 520), "white")
    draw = ImageDraw.Draw(img)
    for r, c in fill_cells:
        draw.rectangle((xs[c], ys[r], xs[c + 1], ys[r + 1]), fill=fill)
    for x in xs:
        draw.line((x, ys[0], x, ys[-1]), fill="black", width=2)
    for y in ys:
        draw.line((xs[0], y, xs[-1], y), fill="black", width=2)
    return np.asarray(img)


def test_a_header_row_filled_dark_keeps_its_rules():
    """Excel's standard blue header fill (grey 88) and a black one: the rules beside a filled
    row are rules (a review found a dark-side test gluing the header onto the first row)."""
    for fill in ((0, 112, 192), (0, 0, 0)):
        grid, = grids_of(_filled_table([(0, c) for c in range(4)], fill))
        assert (grid.n_rows, grid.n_cols) == (5, 4)


def test_a_column_of_blacked_out_cells_keeps_its_rules():
    """A public list with its ID column redacted in black up to the rules: the column rules
    merged with the black boxes are thick, but run the table's height."""
    grid, = grids_of(_filled_table([(r, 2) for r in range(1, 5)], (0, 0, 0)))
    assert (grid.n_rows, grid.n_cols) == (5, 4)

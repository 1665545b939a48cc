"""The image reader: pages, EXIF orientation, DPI, bad files, OCR switched off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from saidao.errors import SaidaoError
from saidao.ingest.read import read
from saidao.ingest.readers import image as image_reader
from saidao.settings import ReadSettings

CASES = Path(__file__).parent / "fixtures" / "scan_cases"
NO_OCR = ReadSettings(ocr=False)


def test_multi_page_tiff_reads_every_page():
    doc = read(CASES / "two_pages.tif")
    assert doc.format == "image"
    assert [p.number for p in doc.pages] == [1, 2]
    assert doc.ocr_pages == [1, 2]
    assert all(p.ocr_reason == "image file" for p in doc.pages)
    texts = [b.text for b in doc.paragraphs]
    assert texts == ["第一页：新赛道培育实施方案", "第二页：组织保障措施"]
    assert [b.provenance.page for b in doc.paragraphs] == [1, 2]


def test_tables_are_numbered_in_document_order():
    from saidao.document import Cell, Provenance, Table
    from saidao.ingest.tables import number_tables

    def table() -> Table:
        prov = Provenance(file="x", origin="ocr")
        return Table(1, 1, [Cell(0, 0, "a", prov.at(cell=(0, 0)))], prov)

    blocks = [table(), table()]
    number_tables(blocks)  # the one numbering (ingest.tables), the image reader's too
    assert [t.provenance.table for t in blocks] == [0, 1]
    assert blocks[1].cells[0].provenance.table == 1


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (400, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90° clockwise to view
    path = tmp_path / "photo.jpg"
    img.save(path, exif=exif, dpi=(200, 200))
    doc = read(path, NO_OCR)
    page = doc.pages[0]
    assert (page.width, page.height) == pytest.approx((200 * 72 / 200, 400 * 72 / 200))
    assert doc.status == "partial" and "OCR" in doc.problems[0]


def test_dpi_from_the_file_or_a_sensible_default():
    assert image_reader._dpi((300, 300), (3508, 2480)) == 300
    assert image_reader._dpi(None, (1000, 800)) == 200
    assert image_reader._dpi((72, 72), (1000, 800)) == 200
    # a 12-megapixel phone photo of a sheet claiming 72 dpi: assume A4
    assert image_reader._dpi((72, 72), (4000, 3000)) == pytest.approx(4000 / 11.69)


def test_transparency_is_paper_white():
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert image_reader._to_rgb(rgba).min() == 255
    assert image_reader._to_rgb(Image.new("L", (4, 4), 7)).shape == (4, 4, 3)


def test_corrupt_and_truncated_images(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(SaidaoError) as err:
        read(bad)
    assert err.value.reason == "corrupt"
    good = tmp_path / "cut.jpg"
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(good, quality=90)
    cut = tmp_path / "cut2.jpg"
    cut.write_bytes(good.read_bytes()[:400])
    with pytest.raises(SaidaoError) as err:
        read(cut)
    assert err.value.reason == "corrupt"


def test_absurd_pixel_counts_are_refused(tmp_path):
    path = tmp_path / "big.png"
    Image.new("1", (3000, 3000)).save(path)
    with pytest.raises(SaidaoError) as err:
        read(path, NO_OCR.replace(max_image_pixels=1_000_000))
    assert err.value.reason == "too_large"


def test_too_many_frames_are_refused(tmp_path):
    path = tmp_path / "many.tif"
    frames = [Image.new("L", (20, 20), 255) for _ in range(4)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(SaidaoError) as err:
        read(path, ReadSettings(max_pages=3, ocr=False))
    assert err.value.reason == "too_many_pages"


def test_photo_sheet_is_measured_as_a4_and_enlarged():
    import cv2

    photo = np.full((1400, 1000, 3), (80, 60, 50), np.uint8)
    sheet = np.array([[100, 100], [900, 100], [900, 1231], [100, 1231]], np.int32)  # A4 shape
    cv2.fillConvexPoly(photo, sheet, (240, 240, 240))
    page, dpi = image_reader._unwarp(photo, stated=(72, 72))
    # 1131 px for 11.69 in is ~97 dpi; enlarged (at most ×2) towards 200 dpi
    assert dpi == pytest.approx(2 * 1131 / 11.69, rel=0.02)
    assert page.shape[0] == pytest.approx(2 * 1131, rel=0.02)
    flat_scan = np.full((2339, 1654, 3), 250, np.uint8)
    assert image_reader._unwarp(flat_scan, stated=(200, 200))[1] == 200


def test_a_small_photo_of_paper_is_flattened_and_a_screenshot_panel_is_not():
    import cv2

    photo = np.full((600, 800, 3), (80, 60, 50), np.uint8)  # a sheet 540 px tall, held askew
    cv2.fillConvexPoly(photo, np.array([[300, 30], [690, 45], [680, 575], [285, 560]], np.int32), (235, 235, 235))
    page, dpi = image_reader._unwarp(photo, stated=None)
    assert dpi == pytest.approx(2 * 545 / 11.69, rel=0.05) and page.shape[0] > 1000  # measured as A4
    shot = np.full((133, 259, 3), 230, np.uint8)  # a window's white panel, square to the frame
    shot[28:126, 8:251] = 255
    page, dpi = image_reader._unwarp(shot, stated=None)
    assert page.shape == shot.shape and dpi == image_reader.DEFAULT_DPI


def test_fine_scans_are_brought_down_to_the_ocr_resolution(tmp_path):
    path = tmp_path / "fine.png"
    Image.new("L", (2480, 3508), 255).save(path, dpi=(300, 300))  # A4 at 300 dpi: kept
    assert read(path, NO_OCR).pages[0].width == pytest.approx(595, abs=1)
    rgb, dpi = image_reader._at_most(np.zeros((7016, 4960, 3), np.uint8), 600, 200)
    assert dpi == 200 and rgb.shape[:2] == (2339, 1653)


DECLARATIONS = Path(__file__).parent / "fixtures" / "declarations"


@pytest.mark.slow
@pytest.mark.skipif(not (DECLARATIONS / "decl_044.png").exists(), reason="declaration fixtures not built")
def test_photo_of_a_declaration_page():
    """A phone photo (perspective, shading, seal over the header): text and firm table."""
    import json
    import re
    import unicodedata

    from rapidfuzz import fuzz
    from rapidfuzz.distance import Levenshtein

    gold = json.loads((DECLARATIONS / "decl_044.gold.json").read_text("utf-8"))
    doc = read(DECLARATIONS / "decl_044.png")

    def norm(text: str) -> str:
        return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text))

    got, want = norm(doc.text), norm(gold["text"])
    span = fuzz.partial_ratio_alignment(got, want)  # the photo shows page 1 only
    want = want[span.dest_start:span.dest_end]
    rate = Levenshtein.distance(got, want) / len(want)
    firms = next(t for t in doc.tables if any(c.text == "企业名称" for c in t.cells))
    gold_firms = next(t for t in gold["tables"] if "企业名称" in t[0])
    rows = [[norm(c) for c in row] for row in firms.grid()]
    right = sum(norm(cell) == rows[r][c] for r, row in enumerate(gold_firms) for c, cell in enumerate(row))
    total = sum(len(row) for row in gold_firms)
    print(f"photo CER {rate:.2%}, firm cells {right}/{total}")
    assert rate <= 0.05
    assert right / total >= 0.9
    assert doc.pages[0].seals


def test_a_phone_screenshots_status_and_title_bars_are_not_the_title(tmp_path):
    """A policy shared as a phone screenshot: the clock and battery line and the app's bar
    (a back chevron and the account's name) go to the headers, not into the title."""
    from PIL import ImageDraw, ImageFont

    from saidao.extractors.extract import extract_document

    face = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    small, body, big = (ImageFont.truetype(face, size) for size in (34, 42, 54))
    img = Image.new("RGB", (1080, 1100), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 1080, 90), fill=(237, 237, 237))
    draw.text((40, 25), "9:41", font=small, fill="black")
    draw.text((860, 25), "5G 87%", font=small, fill="black")
    draw.rectangle((0, 90, 1080, 200), fill=(247, 247, 247))
    draw.text((40, 120), "<  赤峰市科学技术局", font=small, fill="black")
    draw.text((60, 260), "赤峰市支持新赛道企业", font=big, fill="black")
    draw.text((60, 340), "创新发展的若干措施", font=big, fill="black")
    y = 460
    for line in ("一、对新认定的高新技术企业", "给予20万元奖励。", "二、对新建的自治区级研发", "平台给予50万元支持。"):
        draw.text((60, y), line, font=body, fill="black")
        y += 70
    img.save(tmp_path / "phone.png")
    doc = read(tmp_path / "phone.png")
    heads = [h.text.replace(" ", "") for h in doc.headers]
    assert len(heads) == 2 and heads[0].startswith("9:41") and heads[1].endswith("赤峰市科学技术局")
    assert not any("9:41" in b.text for b in doc.blocks)
    result = extract_document(doc)
    assert result["title"] == "赤峰市支持新赛道企业创新发展的若干措施"


def _lettering(size: tuple[int, int], ground, ink, lines: list[str], face: str, points: int) -> Image.Image:
    """Lines of text drawn in ``ink`` on ``ground`` (either may be transparent)."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(face, points)
    img = Image.new("RGBA", size, ground)
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        draw.text((40, 40 + k * int(points * 1.6)), line, font=font, fill=ink)
    return img


def test_white_lettering_on_a_transparent_ground_is_read(tmp_path):
    """A PNG of white text on a transparent ground (cut out for a slide) is the text, not a
    blank page: on white paper it vanished (read as nothing); it is laid on dark paper."""
    lines = ["关于支持新赛道发展的通知", "对新认定企业给予奖励"]
    face = "/usr/share/fonts/truetype/arphic/uming.ttc"
    _lettering((900, 260), (0, 0, 0, 0), (255, 255, 255, 255), lines, face, 48).save(tmp_path / "w.png")
    _lettering((900, 260), (0, 0, 0, 0), (20, 20, 20, 255), lines, face, 48).save(tmp_path / "b.png")
    for name in ("w.png", "b.png"):
        text = "".join(b.text for b in read(tmp_path / name).blocks).replace(" ", "")
        assert "支持新赛道发展的通知" in text and "给予奖励" in text, (name, text)


def test_a_dark_mode_screenshot_reads_as_its_light_twin(tmp_path):
    """Light text on a dark ground (a phone in dark mode) is turned to dark on light: the
    detector and the layout steps see ink on paper, and it reads as the same page in light
    mode does. Before, it came out as nothing but fragments."""
    lines = ["乌海市关于培育新赛道的实施意见", "一、对新认定的科技型中小企业给予10万元奖励。",
             "二、对新建的盟市级研发平台给予30万元支持。"]
    face = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
    texts = []
    for name, ground, ink in (("night.png", (18, 18, 18, 255), (225, 225, 225, 255)),
                              ("day.png", (255, 255, 255, 255), (30, 30, 30, 255))):
        _lettering((1080, 420), ground, ink, lines, face, 40).convert("RGB").save(tmp_path / name)
        texts.append("".join(b.text for b in read(tmp_path / name).blocks).replace(" ", ""))
    assert texts[0] == texts[1]
    assert "给予10万元奖励" in texts[0] and "给予30万元支持" in texts[0], texts[0]


def test_lone_short_values_in_a_small_screenshot_of_a_table_are_read(tmp_path):
    """A small screenshot of a ruled table (text 11 px, striped rows, no resolution stated):
    a cell holding only "1" is missed by the detector, as raw rapidocr misses such cells.
    The second look's sizes now follow the page's own text height, and a stretch the
    magnified detector still finds nothing in is read as it stands when the recogniser is
    sure of it (before: the last row's "1" was lost)."""
    from PIL import ImageDraw, ImageFont

    size = 11
    hanzi = ImageFont.truetype("/usr/share/fonts/truetype/arphic/uming.ttc", size)
    digits = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size)
    rows = [("名称", "产量（吨）", "增长量"), ("荔枝", "11", "1"), ("芒果", "9", "-1"), ("香蕉", "6", "1")]
    xs = [8 + k * size * 8 for k in range(4)]
    ys = [8 + k * int(size * 2.2) for k in range(5)]
    img = Image.new("RGB", (xs[-1] + 10, ys[-1] + 10), "white")
    draw = ImageDraw.Draw(img)
    for r in (1, 3):
        draw.rectangle((xs[0], ys[r], xs[-1], ys[r + 1]), fill=(252, 226, 230))
    for x in xs:
        draw.line((x, ys[0], x, ys[-1]), fill="black", width=1)
    for y in ys:
        draw.line((xs[0], y, xs[-1], y), fill="black", width=1)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            font = digits if value[-1].isdigit() else hanzi
            draw.text((xs[c] + size, ys[r] + size // 2), value, font=font, fill="black")
    img.save(tmp_path / "small_table.png")
    doc = read(tmp_path / "small_table.png")
    table, = [b for b in doc.blocks if b.kind == "table"]
    assert [row[2] for row in table.grid()][1:] == ["1", "-1", "1"]


def test_a_lone_number_in_a_cell_of_an_ordinary_scan_is_read(tmp_path):
    """A subsidy list on an A4 page at 200 dpi in a thin Song face, values set close to the
    left rule: the first row's 序号 "1" stands alone in its cell, and the detector misses it
    even magnified. Read in place, kept as a number only (what else stands alone in a
    scan's cells is the remains of erased rules)."""
    from PIL import ImageDraw, ImageFont

    song = ImageFont.truetype("/usr/share/fonts/truetype/arphic/uming.ttc", 32)
    hei = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 44)
    rows = [("序号", "企业名称", "统一社会信用代码", "补助金额（万元）"),
            ("1", "包头市稀土新材料有限公司", "91150200MA0N123456", "30"),
            ("2", "鄂尔多斯绿能科技有限公司", "91150600MA0P654321", "25"),
            ("3", "赤峰市智慧农业发展有限公司", "91150400MA0Q112233", "18"),
            ("4", "乌海市新赛道装备制造有限公司", "91150300MA0R445566", "12")]
    xs, ys = [100, 230, 870, 1330, 1590], [220, 300, 370, 440, 510, 580]
    img = Image.new("RGB", (1654, 1100), "white")
    draw = ImageDraw.Draw(img)
    draw.text((420, 80), "2026年度科技型中小企业研发费用补助汇总表", font=hei, fill="black")
    draw.rectangle((xs[0], ys[0], xs[-1], ys[1]), fill=(191, 191, 191))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            draw.text((xs[c] + 10, (ys[r] + ys[r + 1] - 32) // 2), value, font=song,
                      fill="white" if r == 0 else "black")
    for x in xs:
        draw.line((x, ys[0], x, ys[-1]), fill="black", width=2)
    for y in ys:
        draw.line((xs[0], y, xs[-1], y), fill="black", width=2)
    img.save(tmp_path / "firms.png", dpi=(200, 200))
    table, = [b for b in read(tmp_path / "firms.png").blocks if b.kind == "table"]
    assert [row[0] for row in table.grid()][1:] == ["1", "2", "3", "4"]

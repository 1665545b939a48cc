"""OCR of synthetic scans: cells in the right place, character error rate, seals, checkboxes.

The pages (tests/fixtures/scan_cases, made by make.py) are 200-dpi renderings
with noise, ±1° rotation, a red seal over text and JPEG compression. CER
thresholds are set well above what was measured (0-0.5 %) but far below what a
broken step causes: an undetected skew mixes rows (CER > 20 %), an unremoved
seal wipes out the characters under it (several % on these short pages).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from saidao.document import Image as ImageBlock
from saidao.document import Paragraph, Table
from saidao.errors import SaidaoError
from saidao.ingest.readers.ocr import ocr_page
from saidao.settings import ReadSettings

CASES = Path(__file__).parent / "fixtures" / "scan_cases"
PPP = 72 / 200  # points per pixel at 200 dpi


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def cer(got: str, gold: str) -> float:
    gold = squash(gold)
    return Levenshtein.distance(squash(got), gold) / max(1, len(gold))


def run(name: str, **settings):
    rgb = np.asarray(Image.open(CASES / name).convert("RGB"))
    blocks, info = ocr_page(rgb, path=name, page_number=1, points_per_pixel=PPP,
                            settings=ReadSettings(**settings))
    gold = json.loads((CASES / (name.split(".")[0] + ".gold.json")).read_text("utf-8"))
    return blocks, info, gold


@pytest.fixture(scope="module")
def pages():
    """OCR each case once for the whole module (the engine is shared process-wide)."""
    return {
        "form": run("form.png"),
        "firms": run("firms.jpg"),
        "pledge": run("pledge.png"),
        "pledge_raw": run("pledge.png", suppress_seals=False),
    }


def only_table(blocks) -> Table:
    tables = [b for b in blocks if isinstance(b, Table)]
    assert len(tables) == 1
    return tables[0]


def placed_share(table: Table, gold_cells: list[dict]) -> float:
    """Share of gold cells whose text is found (CER ≤ 10 %) at their own row and column."""
    hits = 0
    for g in gold_cells:
        cell = table.cell_at(g["row"], g["col"])
        ok = cell is not None and (cell.row, cell.col) == (g["row"], g["col"]) and cer(cell.text, g["text"]) <= 0.1
        hits += ok
    return hits / len(gold_cells)


def table_cer(table: Table, gold_cells: list[dict]) -> float:
    got = "".join((table.cell_at(g["row"], g["col"]) or table.cells[0]).text for g in gold_cells)
    return cer(got, "".join(g["text"] for g in gold_cells))


@pytest.mark.parametrize("case", ["form", "firms"])
def test_cells_land_in_their_row_and_column(pages, case):
    blocks, _, gold = pages[case]
    table = only_table(blocks)
    assert (table.n_rows, table.n_cols) == (gold["rows"], gold["cols"])
    share = placed_share(table, gold["cells"])
    rate = table_cer(table, gold["cells"])
    print(f"{case}: cells placed {share:.1%}, table CER {rate:.2%}")
    assert share >= 0.95
    assert rate <= 0.03


def test_credit_codes_read_exactly(pages):
    blocks, _, gold = pages["firms"]
    table = only_table(blocks)
    codes = [g["text"] for g in gold["cells"] if g["col"] == 2 and g["row"] > 0]
    read = [squash(table.cell_at(r, 2).text) for r in range(1, 11)]
    exact = sum(a == b for a, b in zip(read, codes, strict=True))
    print(f"credit codes exact: {exact}/10")
    assert exact >= 9


def test_ticked_box_is_read_from_the_scan(pages):
    blocks, _, gold = pages["form"]
    cell = only_table(blocks).cell_at(1, 1)
    assert [(b.label, b.checked) for b in cell.checkboxes] == [
        (b["label"], b["checked"]) for b in gold["checkboxes"]
    ]
    assert "☑新兴产业延伸" in cell.text


def test_merged_cells_keep_their_spans(pages):
    blocks, _, _ = pages["form"]
    table = only_table(blocks)
    group = table.cell_at(4, 0)
    assert (group.row, group.row_span, group.text) == (2, 4, "高新区情况")
    # a wrapped cell is one text, in reading order
    assert table.cell_at(6, 3).text.startswith("建设稀土新材料中试基地")
    assert table.cell_at(6, 3).text.endswith("百分之三点四。")


def test_seal_suppression_improves_recognition(pages):
    blocks, info, gold = pages["pledge"]
    raw_blocks, raw_info, _ = pages["pledge_raw"]
    text = "\n".join(b.text for b in blocks if isinstance(b, Paragraph))
    raw = "\n".join(b.text for b in raw_blocks if isinstance(b, Paragraph))
    with_s, without = cer(text, gold["text"]), cer(raw, gold["text"])
    print(f"pledge CER with seal suppression {with_s:.2%}, without {without:.2%}")
    assert with_s < without
    assert with_s <= 0.03
    assert len(info.seals) == 1 and len(raw_info.seals) == 1  # found either way
    seals = [b for b in blocks if isinstance(b, ImageBlock)]
    assert [s.description for s in seals] == ["seal"]


def test_header_under_the_seal_is_read(pages):
    blocks, info, _ = pages["form"]
    texts = [b.text for b in blocks if isinstance(b, Paragraph)]
    assert "高新区（盖章）：包头稀土高新技术产业开发区" in texts
    assert info.rotation == pytest.approx(-1.0, abs=0.15)


def test_provenance_is_ocr_with_scores_and_point_boxes(pages):
    blocks, info, _ = pages["firms"]
    assert info.origin == "ocr" and info.number == 1
    assert info.width == pytest.approx(1654 * PPP)
    table = only_table(blocks)
    lines = [ln for c in table.cells for ln in c.lines]
    assert lines
    for ln in lines:
        p = ln.provenance
        assert p.origin == "ocr" and p.page == 1 and 0.5 <= p.confidence <= 1.0
        x0, top, x1, bottom = p.bbox
        assert 0 <= x0 < x1 <= info.width and 0 <= top < bottom <= info.height
    for cell in table.cells:  # a cell's confidence is its weakest line's
        if cell.lines:
            assert cell.provenance.confidence == min(ln.provenance.confidence for ln in cell.lines)
            assert cell.provenance.cell == (cell.row, cell.col)


def test_not_an_image_is_an_ocr_failure():
    with pytest.raises(SaidaoError) as err:
        ocr_page(np.zeros((0,), np.uint8), path="x.png", page_number=1, points_per_pixel=PPP,
                 settings=ReadSettings())
    assert err.value.reason == "ocr_failed"


def test_sparse_glyphs_missed_at_page_scale_are_recovered(pages):
    blocks, _, _ = pages["firms"]
    # the detector drops the lone 二 at page scale; the magnified second look finds it
    assert blocks[0].text == "二、新赛道企业名录"


def test_box_glyphs_are_normalised_and_labelled():
    from saidao.document import Provenance
    from saidao.ingest.readers.ocr import checkboxes_in, normalise_boxes

    raw = "√传统产业转型升级 □新兴产业延伸 □未来产业验证熟化 √2"
    assert normalise_boxes(raw) == "☑传统产业转型升级 ☐新兴产业延伸 ☐未来产业验证熟化 √2"
    boxes = checkboxes_in(raw, Provenance(file="x", origin="ocr"))
    assert [(b.label, b.checked, b.glyph) for b in boxes] == [
        ("传统产业转型升级", True, "√"), ("新兴产业延伸", False, "□"), ("未来产业验证熟化 √2", False, "□"),
    ]


def test_empty_boxes_read_as_kou():
    from saidao.ingest.readers.ocr import _boxes_read_as_kou

    assert _boxes_read_as_kou("口传统产业转型升级口新兴产业延伸口未来产业验证熟化").count("□") == 3
    assert _boxes_read_as_kou("口甲 口乙") == "□甲 □乙"
    assert _boxes_read_as_kou("口岸进出口贸易") == "口岸进出口贸易"
    assert _boxes_read_as_kou("人口 出口") == "人口 出口"


def test_only_table_rules_are_erased_not_a_big_title():
    from PIL import ImageDraw, ImageFont

    from saidao.ingest.readers.ocr import _prepare

    img = Image.new("RGB", (1400, 700), "white")
    draw = ImageDraw.Draw(img)
    draw.text((200, 40), "高新技术产业开发区新赛道申报表", font=ImageFont.truetype(
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 64), fill="black")
    for y in (250, 350, 450):
        draw.line([(100, y), (1300, y)], fill="black", width=3)
    for x in (100, 500, 1300):
        draw.line([(x, 250), (x, 450)], fill="black", width=3)
    rgb = np.asarray(img)
    page = _prepare(rgb, 200, ReadSettings())
    assert len(page.grids) == 1
    title = (slice(30, 130), slice(150, 1300))
    assert (page.text_image[title] < 128).sum() == (rgb[title] < 128).sum()
    assert (page.text_image[240:460, 90:1310] < 128).sum() < 50  # the rules are gone


def test_a_page_is_detected_reduced_but_read_and_placed_at_full_size():
    """Lines found on the reduced copy come back in the page's own pixels, characters placed."""
    from PIL import ImageDraw, ImageFont

    from saidao.ingest.readers.ocr import DETECT_SIDE, recognise

    img = Image.new("RGB", (1654, 2339), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 30)
    ImageDraw.Draw(img).text((300, 1800), "包头稀土高新技术产业开发区", font=font, fill="black")
    assert max(img.size) > DETECT_SIDE
    (line,) = recognise(np.asarray(img))
    assert line.text == "包头稀土高新技术产业开发区"
    x0, y0, x1, y1 = line.box
    assert abs(x0 - 300) < 12 and abs(y0 - 1800) < 12 and abs(x1 - 690) < 20 and y1 < 1850
    assert len(line.char_xs) == len(line.text) and x0 <= line.char_xs[0][0] < line.char_xs[-1][1] <= x1 + 2
    # each character where it was drawn (30 px apart from x = 300), within a fifth of a character
    starts = [a for a, _ in line.char_xs]
    assert all(abs(a - (300 + 30 * i)) < 6 for i, a in enumerate(starts)), starts


def test_models_come_from_the_wheel_and_nothing_is_downloaded(monkeypatch):
    """The engine loads rapidocr's in-wheel models by path; its downloader is never called."""
    from PIL import ImageDraw, ImageFont
    from rapidocr.utils import download_file

    from saidao.ingest.readers import ocr_engine

    def refuse(*args, **kwargs):
        raise AssertionError("rapidocr tried to download a model")

    monkeypatch.setattr(download_file.DownloadFile, "run", refuse)
    for name in (ocr_engine.DET_MODEL, ocr_engine.REC_MODEL):
        assert ocr_engine.model_path(name).parent == ocr_engine.models_dir()
    engine = ocr_engine.Engine("onnxruntime", "cpu")  # a fresh one, not the process-wide engine
    img = Image.new("RGB", (600, 120), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 40)
    ImageDraw.Draw(img).text((20, 30), "新赛道申报表", font=font, fill="black")
    rgb = np.asarray(img)
    (line,) = engine.read(rgb, engine.detect(rgb))
    assert line.text == "新赛道申报表"


def test_a_missing_gpu_falls_back_to_the_cpu_and_auto_picks_an_installed_engine():
    from saidao.ingest.readers import ocr_engine

    assert ocr_engine.resolve_device("cpu") == "cpu"
    expected = "cuda" if ocr_engine.cuda_available() else "cpu"
    assert ocr_engine.resolve_device("cuda") == expected == ocr_engine.resolve_device("auto")
    with pytest.raises(ValueError):
        ocr_engine.resolve_device("tpu")
    assert ocr_engine.resolve_engine("auto", "cuda") == "onnxruntime"  # a GPU runs through onnxruntime
    try:
        import openvino  # noqa: F401
    except ImportError:
        assert ocr_engine.resolve_engine("auto", "cpu") == "onnxruntime"
    else:
        assert ocr_engine.resolve_engine("auto", "cpu") == "openvino"


def test_punctuation_set_apart_at_a_line_edge_is_read():
    """A typesetter without line-break rules leaves a paragraph's 。 alone on the next line,
    or starts a line with the point of 2.8; the detector leaves such a mark out of its
    line, and a widened re-read (recogniser only) puts it back — as marks only."""
    from PIL import ImageDraw, ImageFont

    img = Image.new("RGB", (1400, 600), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 30)
    draw.text((160, 60), "研究与试验发展经费投入强度达到2", font=font, fill="black")
    draw.text((100, 105), ".8%，园区相关企业发明专利拥有量达到31件", font=font, fill="black")
    draw.text((160, 250), "对新赛道重点项目给予土地、能耗等要素保障", font=font, fill="black")
    draw.text((100, 295), "。", font=font, fill="black")
    draw.text((100, 400), "五、真实性声明", font=font, fill="black")
    blocks, _ = ocr_page(np.asarray(img), path="marks.png", page_number=1, points_per_pixel=PPP,
                         settings=ReadSettings())
    text = squash("".join(b.text for b in blocks if isinstance(b, Paragraph)))
    assert "达到2.8%" in text and "要素保障。" in text and "五、真实性声明" in text

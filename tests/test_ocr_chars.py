"""Per-character repairs of a recognised line (``ingest/readers/ocr_chars.py``), judged from
the recogniser's geometry and confidences only.

The lines here are built by hand the way ``ocr_engine.char_spans`` lays characters
out: one span per character centred on the CTC column that emitted it, a Chinese
character one pitch (here 30 px) after the last. A glyph read twice is emitted in
columns two apart (0.4 pitch, as measured on scan set 2); a dropped mark leaves
two pitches between its neighbours.
"""

from __future__ import annotations

import pytest

from saidao.ingest.readers import ocr_chars
from saidao.ingest.readers.scan_layout import OcrLine

PITCH = 30.0
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def laid_out(text: str, steps: dict[int, float] | None = None, confs: dict[int, float] | None = None,
             half: float = 0.5) -> OcrLine:
    """A line of ``text`` whose character ``i`` stands ``steps[i]`` pitches after character
    ``i - 1`` (one pitch unless given); digits and Latin letters half a pitch."""
    steps = steps or {}
    xs, x = [], 100.0
    for i, ch in enumerate(text):
        if i:
            narrow = ch.isascii() and text[i - 1].isascii()
            x += PITCH * steps.get(i, half if narrow else 1.0)
        xs.append(x)
    spans = []
    for i, c in enumerate(xs):
        reach = PITCH / 2
        if i:
            reach = min(reach, (c - xs[i - 1]) / 2)
        if i + 1 < len(xs):
            reach = min(reach, (xs[i + 1] - c) / 2)
        spans.append((c - reach, c + reach))
    probs = [0.999] * len(text)
    for i, p in (confs or {}).items():
        probs[i] = p
    box = (int(spans[0][0]), 50, int(spans[-1][1]), 50 + int(PITCH))
    return OcrLine(box, text, min(probs), spans, probs, raw=text)


def test_a_glyph_emitted_twice_close_together_is_read_once() -> None:
    line = laid_out("围绕聚变堆材料延链补链，引引进配套企业", steps={13: 0.4})
    assert ocr_chars.read_once(line)
    assert line.text == "围绕聚变堆材料延链补链，引进配套企业"
    assert len(line.char_xs) == len(line.char_confs) == len(line.text)
    assert line.raw == "围绕聚变堆材料延链补链，引引进配套企业"  # the reading is kept


def test_closer_than_usual_counts_only_when_the_recogniser_was_unsure() -> None:
    unsure = laid_out("园区相关企业发明专专利拥有量达到", steps={9: 0.6}, confs={9: 0.93})
    assert ocr_chars.read_once(unsure) and unsure.text == "园区相关企业发明专利拥有量达到"
    sure = laid_out("园区相关企业发明专专利拥有量达到", steps={9: 0.6})
    assert not ocr_chars.read_once(sure)


@pytest.mark.parametrize("text", ["我们常常研究研究人人都有的问题", "星星之火可以燎原的道理大家都懂",
                                  "内蒙古奈曼旗新镇星星米面加工厂"])
def test_real_reduplication_a_full_pitch_apart_stays(text: str) -> None:
    line = laid_out(text)
    assert not ocr_chars.read_once(line) and line.text == text


def test_digits_and_codes_are_never_judged() -> None:
    """Digits stand half a pitch apart and repeat all the time (911500001, 010000)."""
    line = laid_out("统一社会信用代码911500001143925邮编010000", steps={15: 0.4})
    assert not ocr_chars.read_once(line)


def test_a_mark_read_twice_is_one_mark() -> None:
    line = laid_out("推动科技成果就地转化。。同时加强合作", steps={11: 0.4})
    assert ocr_chars.read_once(line) and line.text == "推动科技成果就地转化。同时加强合作"


def test_a_short_line_without_a_pitch_is_left_alone() -> None:
    """Two or three characters (a name cell) give no pitch to compare with."""
    line = laid_out("丽丽", steps={1: 0.4})
    assert not ocr_chars.read_once(line) and line.text == "丽丽"


def test_insert_and_keep_hold_spans_and_confidences_aligned() -> None:
    line = laid_out("给予土地能耗等要素保障", steps={4: 2.0})
    line.insert(4, "、", (200.0, 210.0), 0.91)
    assert line.text == "给予土地、能耗等要素保障"
    assert line.char_xs[4] == (200.0, 210.0) and line.char_confs[4] == 0.91
    line.keep([0, 1, 2, 3, 5])
    assert line.text == "给予土地能" and len(line.char_xs) == len(line.char_confs) == 5


def test_a_lone_mark_under_a_line_that_ends_with_one_is_not_a_second_mark() -> None:
    """A speck at the start of the next row, read as 。 under a full line that ends in 。,
    would make 保障。。: Chinese never writes a mark twice, so it is not taken."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from saidao.document import Paragraph
    from saidao.ingest.readers.ocr import ocr_page
    from saidao.settings import ReadSettings

    img = Image.new("RGB", (1400, 400), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 30)
    draw.text((160, 60), "对新赛道重点项目给予土地、能耗等要素保障。", font=font, fill="black")
    draw.text((100, 105), "。", font=font, fill="black")
    draw.text((100, 250), "五、真实性声明", font=font, fill="black")
    blocks, _ = ocr_page(np.asarray(img), path="twice.png", page_number=1, points_per_pixel=72 / 200,
                         settings=ReadSettings())
    text = "".join(b.text for b in blocks if isinstance(b, Paragraph)).replace(" ", "")
    assert "要素保障。" in text and "。。" not in text


# -- a mark left out inside a line, re-read from the page (the real recogniser) ----------------

def drawn_line(pieces: list[str], gap_after: dict[int, float] | None = None, size: int = 30):
    """A page with ``pieces`` drawn on one line (``gap_after[i]`` px of extra space after
    piece ``i``), and the reading the recogniser would give without the marks: every
    character that is not a mark, with its x span from the font's own advance widths.
    A mark character is drawn but left out of the reading, as a recogniser that missed
    it would."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, size)
    img = Image.new("RGB", (1400, 200), "white")
    draw = ImageDraw.Draw(img)
    x, y = 100.0, 80
    text, spans = "", []
    for n, piece in enumerate(pieces):
        for ch in piece:
            width = font.getlength(ch)
            draw.text((x, y), ch, font=font, fill="black")
            if ch not in "、，。；：":
                text += ch
                spans.append((x, x + width))
            x += width
        x += (gap_after or {}).get(n, 0.0)
    box = (int(spans[0][0]) - 2, y - 4, int(x) + 4, y + size + 6)
    return np.asarray(img), OcrLine(box, text, 0.99, spans, [0.99] * len(text), raw=text)


def reread(image, line) -> str:
    from saidao.ingest.readers.ocr import _read_edge_marks
    from saidao.settings import ReadSettings

    _read_edge_marks(image, [line], ReadSettings(), [], 200.0)
    return line.text


@pytest.mark.parametrize(("pieces", "want"), [
    (["对新赛道重点项目给予土地", "、", "能耗等要素保障"], "对新赛道重点项目给予土地、能耗等要素保障"),
    (["持续开展技术攻关和工艺升级", "，", "提升产品附加值"], "持续开展技术攻关和工艺升级，提升产品附加值"),
    (["带动能源用钢产品在能源", "、"], "带动能源用钢产品在能源、"),  # at the line's end, inside its box
])
def test_a_mark_left_out_of_the_reading_is_read_back_from_its_cell(pieces: list[str], want: str) -> None:
    image, line = drawn_line(pieces)
    assert reread(image, line) == want
    assert len(line.char_xs) == len(line.char_confs) == len(line.text)
    assert line.raw == want.replace("、", "").replace("，", "")  # the recogniser's reading is kept


def test_an_empty_cell_gets_nothing() -> None:
    """A blank the width of one character (a form's letter-spaced words, a missing glyph
    that was never printed) has no ink: nothing is written in."""
    image, line = drawn_line(["对新赛道重点项目给予土地", "能耗等要素保障"], gap_after={0: 30.0})
    assert reread(image, line) == "对新赛道重点项目给予土地能耗等要素保障"


def test_a_table_column_gap_and_numbers_are_not_read_for_marks() -> None:
    image, line = drawn_line(["企业名称统一", "社会信用代码"], gap_after={0: 150.0})
    assert reread(image, line) == "企业名称统一社会信用代码"
    image, line = drawn_line(["联系电话0471", "，", "6668888转分机"])
    assert reread(image, line) == "联系电话04716668888转分机"  # between digits: never touched


def _cut_at(image, line: OcrLine, mark_text_x: float, share: float) -> OcrLine:
    """``line`` with its box ending ``share`` of the way into the ink of the mark drawn at
    ``mark_text_x`` (as the detector's box cut a ， on scan set 2)."""
    import numpy as np

    cols = (np.asarray(image)[line.box[1]:line.box[3], int(mark_text_x):int(mark_text_x) + 40]
            .min(axis=2) < 128).any(axis=0)
    first = int(np.argmax(cols))
    last = first + int(np.argmin(cols[first:])) - 1  # the mark's run of ink columns
    x0, x1 = int(mark_text_x) + first, int(mark_text_x) + last
    line.box = (line.box[0], line.box[1], int(x0 + share * (x1 - x0)), line.box[3])
    return line


def test_a_mark_the_lines_own_box_cuts_in_two_is_read_whole() -> None:
    image, line = drawn_line(["持续开展技术攻关和工艺升级", "，"])
    line = _cut_at(image, line, line.char_xs[-1][1], 0.5)
    assert reread(image, line) == "持续开展技术攻关和工艺升级，"


def test_a_mark_that_starts_the_next_cells_line_is_left_to_that_line() -> None:
    """The 。 at the start of the next cell's line, just right of a label, is that line's."""
    image, label = drawn_line(["举措及成效（500字以内）", "。引进培育光伏材料领域高层次人才"])
    cut = len("举措及成效（500字以内）")
    start = label.char_xs[cut - 1][1]  # where the 。 was drawn
    nxt = OcrLine((0, label.box[1], label.box[2], label.box[3]), "。" + label.text[cut:], 0.99,
                  [(start, start + 30.0), *label.char_xs[cut:]], [0.99] * (len(label.text) - cut + 1))
    label = OcrLine(label.box, label.text[:cut], 0.99, label.char_xs[:cut], label.char_confs[:cut])
    label.box = (label.box[0], label.box[1], int(label.char_xs[-1][1]) + 2, label.box[3])
    ink = _cut_at(image, OcrLine(label.box, "", 1.0), start, 0.2).box[2]
    nxt.box = (ink, nxt.box[1], nxt.box[2], nxt.box[3])  # its box covers all of the 。 but a sliver
    from saidao.ingest.readers.ocr import _read_edge_marks
    from saidao.settings import ReadSettings

    _read_edge_marks(image, [label, nxt], ReadSettings(), [], 200.0)
    assert label.text == "举措及成效（500字以内）" and nxt.text.startswith("。引进")


def test_a_mark_that_starts_the_page_is_read() -> None:
    """The last page ran out of room for a sentence's 。: it stands alone above this page's
    first line, at the text's left margin; read as its own paragraph, which the plan's
    line repair joins to the sentence it ends."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from saidao.document import Paragraph
    from saidao.ingest.readers.ocr import ocr_page
    from saidao.settings import ReadSettings

    img = Image.new("RGB", (1400, 500), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 30)
    draw.text((100, 60), "。", font=font, fill="black")
    draw.text((100, 110), "五、真实性声明", font=font, fill="black")
    draw.text((160, 200), "本单位承诺此次新赛道的信息真实、合法，如有不实之处，本单位愿意负", font=font, fill="black")
    draw.text((900, 40), "·", font=font, fill="black")  # a speck away from the margin stays out
    blocks, _ = ocr_page(np.asarray(img), path="top.png", page_number=3, points_per_pixel=72 / 200,
                         settings=ReadSettings())
    texts = [b.text.replace(" ", "") for b in blocks if isinstance(b, Paragraph)]
    assert texts[0] == "。" and texts[1].startswith("五、真实性声明")
    assert not any("·" in t for t in texts)

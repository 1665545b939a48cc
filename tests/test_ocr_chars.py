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

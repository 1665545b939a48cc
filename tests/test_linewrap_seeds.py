"""repair_lines on the real seed texts in tests/refdata/seeds (hard-wrapped, page breaks)."""

from __future__ import annotations

import re
from pathlib import Path

from saidao.extractors.normalize import (
    RepairedParagraph,
    cn_to_int,
    ends_sentence,
    is_heading_start,
    repair_lines,
)

SEEDS = Path(__file__).resolve().parent / "refdata" / "seeds"

PAREN_NUMBER = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]")
ARABIC_ITEM = re.compile(r"^(\d{1,2})\.")


def seed_lines(prefix: str) -> list[str]:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8").splitlines()


def repaired(prefix: str) -> list[RepairedParagraph]:
    return repair_lines(seed_lines(prefix))


def numbers_starting(paragraphs: list[RepairedParagraph], pattern: re.Pattern[str]) -> list[int]:
    values = []
    for p in paragraphs:
        match = pattern.match(p.text)
        if match:
            value = cn_to_int(match.group(1))
            assert value is not None
            values.append(value)
    return values


def assert_provenance_covers_text(lines: list[str], paragraphs: list[RepairedParagraph]) -> None:
    """Every paragraph's characters come from the source lines it names."""
    for p in paragraphs:
        source = "".join(lines[i].strip() for i in p.lines)
        assert p.lines == sorted(p.lines)
        assert re.sub(r"\s", "", p.text) in re.sub(r"\s", "", source)


# ---------------------------------------------------------------- seed 001


def test_001_no_sentence_broken_across_paragraphs() -> None:
    paragraphs = repaired("001")
    unfinished = [p.text for p in paragraphs if not ends_sentence(p.text)]
    # Exactly the lines that are not sentences: title, 文号, the eight part
    # headings, the signing date and the 印发 line.
    assert unfinished == [
        "内蒙古自治区人民政府关于促进高新技术产业开发区高质量发展的实施意见",
        "内政发〔2021〕13 号",
        "一、总体要求",
        "二、提升高新区发展能级",
        "三、强化高新区创新能力",
        "四、激发企业创新发展活力",
        "五、推进产业迈向中高端",
        "六、推动跨区域合作创新",
        "七、深化高新区体制机制改革",
        "八、加强高新区组织管理",
        "2021年 10月 15 日",
        "内蒙古自治区人民政府办公厅文电处 2021 年 10 月 28 日印发",
    ]


def test_001_numbered_items_each_start_a_paragraph_in_order() -> None:
    assert numbers_starting(repaired("001"), PAREN_NUMBER) == list(range(1, 24))


def test_001_known_wraps_are_joined() -> None:
    texts = [p.text for p in repaired("001")]
    # mid-sentence blank lines, a leading page-break space, a line ending in “
    assert "各盟行政公署、市人民政府，自治区各委、办、厅、局，各大企业、事业单位：" in texts
    assert any("以打造主导产业集群、转化落地科技成果为重点" in t for t in texts)
    assert any("开展国家级高新区“提质进位”行动" in t for t in texts)
    assert any("（责任单位：自治区科技厅、工业和信息化厅" in t for t in texts)
    assert not any(t.startswith(" ") for t in texts)


def test_001_provenance() -> None:
    lines = seed_lines("001")
    paragraphs = repair_lines(lines)
    assert_provenance_covers_text(lines, paragraphs)
    first_item = next(p for p in paragraphs if p.text.startswith("（一）"))
    assert first_item.lines[0] == 23  # 0-based: the 24th line of the file
    assert len(first_item.lines) == 11  # 24..43, blank lines skipped


# ---------------------------------------------------------------- seed 002


def test_002_chapters_sections_and_boxes_start_paragraphs() -> None:
    lines = seed_lines("002")
    paragraphs = repair_lines(lines)
    starts = {p.text for p in paragraphs}
    for raw in lines:
        text = raw.strip()
        if re.match(r"^(第[一二三四五六七八九十]+[章节]|专栏\s*\d+)", text):
            assert text in starts, text
    chapters = [p.text for p in paragraphs if re.match(r"^第[一二三四五六七八九十]+章", p.text)]
    assert [cn_to_int(re.match(r"第(.+?)章", c).group(1)) for c in chapters] == list(range(1, 10))
    boxes = [int(m.group(1)) for p in paragraphs if (m := re.match(r"^专栏\s*(\d+)", p.text))]
    assert boxes == list(range(1, 36))


def test_002_page_breaks_mid_sentence_are_joined() -> None:
    texts = [p.text for p in repaired("002")]
    # lines 54-58: "…累计免税近 50 亿元；高校、" + three blank lines + "科研院所和企业…"
    assert any("高校、科研院所和企业创新能力稳步提升" in t for t in texts)
    assert any("人才“第一资源”理念" in t for t in texts)


def test_002_prose_paragraphs_end_sentences() -> None:
    paragraphs = repaired("002")
    for p in paragraphs:
        if p.kind == "text":
            assert ends_sentence(p.text), p.text


def test_002_table_rows_are_not_glued() -> None:
    texts = [p.text for p in repaired("002")]
    assert "4 每万人口高价值发明专利拥有量（件） 0.93 1.80" in texts
    assert "30" in texts  # a table cell, not a page number


def test_002_provenance() -> None:
    lines = seed_lines("002")
    assert_provenance_covers_text(lines, repair_lines(lines))


# ---------------------------------------------------------------- seeds 000, 003, 004


def test_000_mongolian_letterhead_is_dropped() -> None:
    texts = [p.text for p in repaired("000")]
    assert not any(re.search("[\u1800-\u18af]", t) for t in texts)
    assert "内蒙古自治区科学技术厅文件" in texts
    assert "内科高字〔2026〕11号" in texts


def test_003_numbered_items_start_paragraphs() -> None:
    paragraphs = repaired("003")
    assert numbers_starting(paragraphs, PAREN_NUMBER) == [*range(1, 15), *range(1, 7), 1, 2]
    assert [p.text for p in paragraphs[-2:]] == ["鄂尔多斯市人民政府", "2025年8月15日"]


def test_004_arabic_items_1_to_22_each_start_a_paragraph() -> None:
    paragraphs = repaired("004")
    assert numbers_starting(paragraphs, ARABIC_ITEM) == list(range(1, 23))
    for p in paragraphs:
        if ARABIC_ITEM.match(p.text):
            assert ends_sentence(p.text), p.text
            assert len(p.lines) == 1


def test_headings_in_every_seed_stay_own_paragraph() -> None:
    for prefix in ("001", "002", "003", "004"):
        for p in repaired(prefix):
            if p.kind == "heading":
                assert is_heading_start(p.text)
                assert len(p.text) <= 40, p.text

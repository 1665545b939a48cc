"""Unit and property-style tests for saidao.extractors.normalize."""

from __future__ import annotations

import datetime as dt
import doctest
import random

import pytest

import saidao.extractors.linewrap as linewrap_module
import saidao.extractors.normalize as normalize_module
import saidao.extractors.numerals as numerals_module
import saidao.extractors.text_width as text_width_module
from saidao.extractors.normalize import (
    canonical_doc_number_brackets,
    cn_numerals_in,
    cn_to_int,
    collapse_cjk_spaces,
    fold_width,
    is_page_artefact,
    normalize,
    parse_cn_date,
    parse_cn_month,
    repair_lines,
    to_simplified,
)


@pytest.mark.parametrize(
    "module", [normalize_module, linewrap_module, numerals_module, text_width_module]
)
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- fold_width


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("\u3000联系人", " 联系人"),
        ("(一)总体要求", "（一）总体要求"),
        ("高新区,市人民政府", "高新区，市人民政府"),
        ("联系人:张三", "联系人：张三"),
        ("人才3500人;到2026年", "人才3500人；到2026年"),
        ("真的吗?是的!", "真的吗？是的！"),
        ('支持"新基建"项目', "支持“新基建”项目"),
        ("研究与试验发展(R&D)投入", "研究与试验发展（R&D）投入"),
        ("战略性新兴产业分类(2018版)", "战略性新兴产业分类（2018版）"),
        ("增长１５％", "增长15%"),
        ("⼀⼆三", "一二三"),  # Kangxi radicals from PDF fonts
        ("﹙一﹚", "（一）"),
    ],
)
def test_fold_width_cases(raw: str, expected: str) -> None:
    assert fold_width(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "https://kjt.nmg.gov.cn/zwgk/index.html?id=1,2&x=(3)",
        "www.nmg.gov.cn",
        "kjt_office@nmg.gov.cn",
        "1.5",
        "2026-04-20",
        "10:30",
        "1,000,000",
        "f(x) = a, b; c!",
        "E-mail: a@b.cn",
    ],
)
def test_fold_width_keeps_urls_numbers_and_latin(kept: str) -> None:
    assert fold_width(kept) == kept
    assert fold_width(f"网址{kept}") == f"网址{kept}" or not kept[0].isalnum()


def test_fold_width_keeps_url_inside_chinese_sentence() -> None:
    text = "详见https://kjt.nmg.gov.cn/a?b=1,c=2,时间10:30,比例1.5"
    assert fold_width(text) == "详见https://kjt.nmg.gov.cn/a?b=1,c=2，时间10:30，比例1.5"


def test_fold_width_keeps_canonical_punctuation() -> None:
    canonical = "（）〔〕【】、，。：；！？“”‘’《》—"
    assert fold_width(canonical) == canonical


def _random_text(rng: random.Random, length: int) -> str:
    pools = [
        [chr(c) for c in range(0x4E00, 0x4E00 + 400)],
        list("，。：；！？（）“”《》、〔〕【】—"),
        list("abcXYZ0123456789 ,.;:!?()[]\"'-/@%+"),
        [chr(c) for c in range(0xFF01, 0xFF5F)],
        ["\u3000", " ", "  ", "\t"],
    ]
    return "".join(rng.choice(rng.choice(pools)) for _ in range(length))


def test_fold_width_never_changes_cjk_ideographs() -> None:
    rng = random.Random(20260420)
    for _ in range(400):
        text = _random_text(rng, rng.randint(0, 40))
        folded = fold_width(text)
        assert len(folded) == len(text)  # character-for-character mapping
        for before, after in zip(text, folded, strict=True):
            if 0x4E00 <= ord(before) <= 0x9FFF:
                assert after == before


def test_fold_width_leaves_no_fullwidth_alnum() -> None:
    rng = random.Random(7)
    for _ in range(200):
        folded = fold_width(_random_text(rng, 30))
        assert not any(
            "０" <= ch <= "９" or "Ａ" <= ch <= "Ｚ" or "ａ" <= ch <= "ｚ" for ch in folded
        )


# ---------------------------------------------------------------- doc numbers


@pytest.mark.parametrize(
    "raw",
    [
        "内政发〔2021〕13号",
        "内政发[2021]13号",
        "内政发（2021）13号",
        "内政发［2021］13号",
        "内政发【2021】13号",
    ],
)
def test_canonical_doc_number_brackets(raw: str) -> None:
    assert canonical_doc_number_brackets(raw) == "内政发〔2021〕13号"


def test_canonical_doc_number_brackets_leaves_other_brackets() -> None:
    for text in ["详见附件[1]", "（2021年）", "参考文献[2021]", "方案（2025—2027年）"]:
        assert canonical_doc_number_brackets(text) == text


# ---------------------------------------------------------------- spaces


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("联 系 人", "联系人"),
        (" 业集群、转化", "业集群、转化"),
        ("到 2025年，达到 5家以上", "到2025年，达到5家以上"),
        ("内政发〔2021〕13 号", "内政发〔2021〕13号"),
        ("open   source  code", "open source code"),
        ("姓名：    张三", "姓名：张三"),
        ("单位\t名称  地址", "单位\t名称地址"),
        ("第一行 \n 第二 行", "第一行\n第二行"),
    ],
)
def test_collapse_cjk_spaces(raw: str, expected: str) -> None:
    assert collapse_cjk_spaces(raw) == expected


# ---------------------------------------------------------------- simplified


def test_to_simplified() -> None:
    assert to_simplified("內蒙古科技廳") == "内蒙古科技厅"
    assert to_simplified("内蒙古科技厅") == "内蒙古科技厅"
    assert to_simplified("") == ""


# ---------------------------------------------------------------- numerals


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一百二十三", 123),
        ("二〇二六", 2026),
        ("二零二六", 2026),
        ("十五", 15),
        ("两千", 2000),
        ("〇", 0),
        ("零", 0),
        ("十", 10),
        ("二十三", 23),
        ("一千零五", 1005),
        ("三万五千", 35000),
        ("２０２６", 2026),
        ("2026", 2026),
        ("壹佰", 100),
    ],
)
def test_cn_to_int(text: str, value: int) -> None:
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text", ["", "百", "万", "五点五", "负五", "3万", "统一", "abc", "二十日"])
def test_cn_to_int_rejects(text: str) -> None:
    assert cn_to_int(text) is None


def test_cn_numerals_in_positions() -> None:
    text = "到二〇二七年，新增两千家企业"
    found = cn_numerals_in(text)
    assert [(n.text, n.value) for n in found] == [("二〇二七", 2027), ("两千", 2000)]
    for n in found:
        assert text[n.start : n.end] == n.text


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text",
    [
        "2026年4月20日",
        "2026 年 4 月 20 日",
        "2026.4.20",
        "2026-04-20",
        "2026/4/20",
        "二〇二六年四月二十日",
        "２０２６年４月２０日",
        "填报时间：2026年4月20日印发",
    ],
)
def test_parse_cn_date(text: str) -> None:
    assert parse_cn_date(text) == dt.date(2026, 4, 20)


@pytest.mark.parametrize(
    "text", ["2026年4月", "2026年2月30日", "2026-13-01", "第2026号", "", "1.2026.4.20"]
)
def test_parse_cn_date_rejects(text: str) -> None:
    assert parse_cn_date(text) is None


def test_parse_cn_date_takes_first_date() -> None:
    assert parse_cn_date("2025.1.2发布，2026年3月4日施行") == dt.date(2025, 1, 2)
    assert parse_cn_date("2026年3月4日施行，2025.1.2发布") == dt.date(2026, 3, 4)


def test_parse_cn_month() -> None:
    assert parse_cn_month("2026年4月") == (2026, 4)
    assert parse_cn_month("无日期") is None


# ---------------------------------------------------------------- normalize


def test_normalize_pipeline() -> None:
    raw = "內蒙古 科技廳 ,聯 系 人:張三 (一) 到 ２０２５年"
    assert normalize(raw) == "内蒙古科技厅，联系人：张三（一）到2025年"
    assert normalize(raw, simplified=False) == "內蒙古科技廳，聯系人：張三（一）到2025年"


def test_normalize_is_idempotent() -> None:
    rng = random.Random(42)
    samples = [_random_text(rng, rng.randint(0, 60)) for _ in range(400)]
    samples += ["(一)总体要求", '支持"新基建"项目,  和 "双创"', "a  中 b", "联 系 人 :  张 三"]
    for text in samples:
        once = normalize(text)
        assert normalize(once) == once, repr(text)


# ---------------------------------------------------------------- repair_lines (synthetic)


@pytest.mark.parametrize(
    "line", ["- 3 -", "—3—", "— 12 —", "·3·", "第3页", "第 3 页 共 10 页", "3/10"]
)
def test_page_number_forms(line: str) -> None:
    assert is_page_artefact(line)


@pytest.mark.parametrize("line", ["3.5", "（三）", "2026-04-20", "专栏 3", "— 数字经济"])
def test_not_page_numbers(line: str) -> None:
    assert not is_page_artefact(line)


WRAPPED = [
    "各盟行政公署、市人民政府，自治区各委、办、厅、局，各大企",
    "业、事业单位：",
    "为贯彻落实《国务院关于促进国家高新技术产业开发区高质",
    "量发展的若干意见》精神，充分发挥自治区高新技术产业开发",
    "区在经济结构调整、产业转型升级中的示范引领和辐射带动作",
    "用，现提出以下意见。",
]


def test_repair_drops_page_numbers_and_letterhead_mid_sentence() -> None:
    lines = [WRAPPED[0], "", WRAPPED[1], "", WRAPPED[2], "", "- 2 -", "", "ᠮᠣᠩᠭᠣᠯ ᠤᠯᠤᠰ",
             " " + WRAPPED[3], "3", WRAPPED[4], "", WRAPPED[5]]  # fmt: skip
    paragraphs = repair_lines(lines)
    assert [p.text for p in paragraphs] == [
        WRAPPED[0] + WRAPPED[1],
        WRAPPED[2] + WRAPPED[3] + WRAPPED[4] + WRAPPED[5],
    ]
    assert paragraphs[1].lines == [4, 9, 11, 13]


def test_repair_bare_page_number_at_edges() -> None:
    paragraphs = repair_lines(["2", *WRAPPED, "3"])
    assert [p.lines[0] for p in paragraphs] == [1, 3]
    assert all(p.text[0] != "2" for p in paragraphs)


def test_repair_inline_heading_after_sentence_end() -> None:
    paragraphs = repair_lines(["（一）指导思想。坚持创新驱动。（二）发展目标。到2025年实现目标。"])
    assert [p.text for p in paragraphs] == [
        "（一）指导思想。坚持创新驱动。",
        "（二）发展目标。到2025年实现目标。",
    ]
    assert paragraphs[1].lines == [0]


def test_repair_keeps_tab_rows_apart() -> None:
    lines = ["序号\t企业名称\t统一信用代码", "1\t\t", "2\t\t", "以上企业名单如下，"]
    paragraphs = repair_lines(lines)
    assert [p.kind for p in paragraphs[:3]] == ["table", "table", "table"]
    assert len(paragraphs) == 4


def test_repair_headings_start_paragraphs() -> None:
    lines = [
        "一、总体要求",
        "（一）指导思想",
        "1.坚持创新",
        "（1）细则",
        "①第一项",
        "第三条 适用范围",
        "专栏 3 氢能",
        "附件1",
    ]
    paragraphs = repair_lines(lines)
    assert [p.text for p in paragraphs] == lines
    assert all(p.kind == "heading" for p in paragraphs)


def test_repair_closing_quote_mid_sentence_joins() -> None:
    lines = ["牢固树立人才“第一资源”", "理念，建立健全人才评价体系。"] * 4
    paragraphs = repair_lines(lines)
    assert [p.text for p in paragraphs] == [
        "牢固树立人才“第一资源”理念，建立健全人才评价体系。"
    ] * 4


def test_repair_empty_and_blank_input() -> None:
    assert repair_lines([]) == []
    assert repair_lines(["", "  ", "\t"]) == []


def test_pair_quotes_sets_ocr_quotes_open_then_close() -> None:
    from saidao.extractors.normalize import pair_quotes

    assert pair_quotes("建立”一企一策“服务机制和“季度监测、年度评估“要求") == \
        "建立“一企一策”服务机制和“季度监测、年度评估”要求"
    assert pair_quotes("缺一个”引号") == "缺一个”引号"  # odd count: nothing guessed
    assert pair_quotes("正常的“引号”不变") == "正常的“引号”不变"

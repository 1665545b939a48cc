"""OCR stand-ins put back where the reading is unique: glyphs, labels, place names, headings.

Hand-made cases for issue 12's scan repairs (the slow ``test_scan_set2`` measures them
on whole scans): the recogniser's 丶/眞/6·3/°, labels read as ``E-mai1`` or with a lost
bracket, a 真实性声明 heading grouped into the plan's last paragraph, and place names
in firm names one glyph away from exactly one GB/T 2260 division.
"""

from __future__ import annotations

import pytest

from saidao.document import Document, Paragraph, Provenance, TextLine
from saidao.extractors.declaration import read_plan
from saidao.extractors.firm_place import restore_places
from saidao.extractors.form_labels import BASIC_LABELS, match_label
from saidao.ingest.readers.ocr import standard_glyphs


@pytest.mark.parametrize(("read", "standard"), [
    ("能源丶矿山丶农牧业", "能源、矿山、农牧业"),
    ("五、眞实性声明", "五、真实性声明"),
    ("6新能源产业/6·3太阳能产业/6·3·2太阳能材料制造", "6新能源产业/6.3太阳能产业/6.3.2太阳能材料制造"),
    ("打造新赛道°到2028年", "打造新赛道。到2028年"),
    ("零下25°C 的环境", "零下25°C 的环境"),  # a degree sign after a digit stays
    ("约翰·史密斯", "约翰·史密斯"),  # a middle dot between names stays
])
def test_standard_glyphs(read: str, standard: str) -> None:
    out = standard_glyphs(read)
    assert out == standard and len(out) == len(read)  # one for one: character boxes stay valid


@pytest.mark.parametrize(("label", "field"), [
    ("E-mai1", "email"), ("E-mai|", "email"), ("Emai1", "email"),
    ("新赛道培育的举措及成效5 00字以内）", "measures"), ("新赛道培育的举措及成效 500字以内）", "measures"),
    ("新赛道培育的举措及成效（500字以内）", "measures"),
])
def test_labels_read_with_ocr_damage(label: str, field: str) -> None:
    assert match_label(label, BASIC_LABELS) == field


def test_labels_still_strict() -> None:
    assert match_label("0471-6604651", BASIC_LABELS) is None
    assert match_label("2026年", BASIC_LABELS) is None


def _para(lines: list[str], page: int = 1) -> Paragraph:
    prov = Provenance("scan.pdf", page=page, origin="ocr")
    return Paragraph("".join(lines), prov, [TextLine(t, prov) for t in lines])


def test_plan_stops_at_a_heading_line_inside_a_paragraph() -> None:
    doc = Document(path="scan.pdf", sha256="x", format="pdf", blocks=[
        _para(["四、新赛道培育实施方案（包括发展基础等内容，3000字以内）"]),
        _para(["（一）发展基础"]),
        _para(["园区现有相关企业47家，其中高新技术企业6家、专精特新企业2家，形成较为完善的",
               "产业生态。", "五、真实性声明"]),
        _para(["本单位承诺此次新赛道的信息真实。"], page=2),
    ])
    assert read_plan(doc).value == ("（一）发展基础\n园区现有相关企业47家，其中高新技术企业6家、"
                                    "专精特新企业2家，形成较为完善的产业生态。")


@pytest.mark.parametrize(("read", "restored"), [
    ("中国邮政集团公司内蒙古自治区口县补隆淖代办所", "中国邮政集团公司内蒙古自治区磴口县补隆淖代办所"),
    ("砼口县富华农机服务农民专业合作社", "磴口县富华农机服务农民专业合作社"),
    ("中国邮政集团公司内蒙古自治区莫力达瓦达翰尔族自治旗宝山邮政所",
     "中国邮政集团公司内蒙古自治区莫力达瓦达斡尔族自治旗宝山邮政所"),
    ("巴彦淖尔市杭锦后旗陕坝镇新成鞋厂", "巴彦淖尔市杭锦后旗陕坝镇新成鞋厂"),  # exact: unchanged
    ("包头市九原区东园供销合作中心社", "包头市九原区东园供销合作中心社"),
    ("宏远县城建材有限公司", "宏远县城建材有限公司"),  # no division one glyph away in the province
    ("上海市口县建材有限公司", "上海市口县建材有限公司"),  # none under 上海市
    ("口县建材有限公司", "口县建材有限公司"),  # two characters at the start: too short to tell
])
def test_place_names_restored_only_when_unique(read: str, restored: str) -> None:
    out, fixes = restore_places(read)
    assert out == restored
    assert bool(fixes) == (read != restored)


@pytest.mark.parametrize(("read", "value"), [
    ("chifengkj373@126.c☑", "chifengkj373@126.com"), ("kj@163.co", "kj@163.com"),
    ("kj@sina.c", None), ("kj@126.", None),  # two known domains start so / nothing to go on
])
def test_an_email_domain_ocr_cut_short_is_completed_only_when_unique(read: str, value: str | None) -> None:
    from saidao.extractors.ocr_values import repair_email

    fixed = repair_email(read)
    assert (fixed.value if fixed else None) == value


def test_digits_inside_latin_words_of_a_firm_name() -> None:
    from saidao.extractors.firm_place import latin_lookalikes

    assert latin_lookalikes("Baoshan Iron and Stee1 Co.,Ltd.")[0] == "Baoshan Iron and Steel Co.,Ltd."
    assert latin_lookalikes("A1 Technology 2000 Co., Ltd.")[1] is None


def test_a_numeric_date_with_a_dash_read_as_a_tilde() -> None:
    from saidao.extractors.ocr_values import parse_ocr_date

    assert str(parse_ocr_date("高新区管委会（公章）：2026~04-10")) == "2026-04-10"
    assert parse_ocr_date("2026～2028年") is None  # a range of years is no date


def test_place_names_in_an_ocr_long_text_are_restored_with_the_reading_kept() -> None:
    from saidao.extractors.declaration import _Found, _prose_restored, _Result

    result = _Result()
    read = "依托中国邮政集团公司内蒙古自治区莫力达瓦达韩尔族自治旗杜拉尔邮政所建设中试基地。"
    found = _prose_restored(_Found(read, Provenance("scan.pdf", page=1, origin="ocr")), "measures", result, [])
    assert "莫力达瓦达斡尔族自治旗杜拉尔" in found.value and result.repairs["measures"].printed == read
    typed = _prose_restored(_Found(read, Provenance("a.docx", origin="text")), "plan", result, [])
    assert typed.value == read  # a text layer is what was typed: left alone


def _firm(name: str, confidence: float, fix: dict | None = None) -> dict:
    return {"name": name, "name_fix": fix, "sources": {"name": {"confidence": confidence}}}


def test_a_platform_host_one_glyph_off_a_listed_firm_is_that_firm() -> None:
    from saidao.extractors.declaration import _host_as_listed

    firms = [_firm("磴口县富华农机服务农民专业合作社", 0.95), _firm("杭锦后旗陕坝镇新成鞋厂", 0.99)]
    platform = {"name": "口县富华农机服企业技术中心", "host": "口县富华农机服务农民专业合作社"}
    _host_as_listed(platform, 0.9, firms)
    assert platform["host"] == "磴口县富华农机服务农民专业合作社"
    assert platform["name"] == "磴口县富华农机服企业技术中心"
    assert platform["host_printed"] == "口县富华农机服务农民专业合作社" and "名录" in platform["host_fix"]
    # the table read less surely than the host, and nothing else for it: left as read
    unsure = {"name": "新行成鞋业研发中心", "host": "杭锦后旗陕坝镇新行成鞋厂"}
    _host_as_listed(unsure, 0.995, firms)
    assert unsure["host"] == "杭锦后旗陕坝镇新行成鞋厂" and "host_printed" not in unsure
    # two listed firms one glyph away: no unique reading
    twins = {"name": "研发中心", "host": "包头市甲乙有限公司"}
    _host_as_listed(twins, 0.5, [_firm("包头市甲丙有限公司", 0.9), _firm("包头市甲丁有限公司", 0.9)])
    assert twins["host"] == "包头市甲乙有限公司"

"""Policy metadata: each rule on its own, and every seed 100% equal to its gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saidao.extractors.normalize import normalize
from saidao.extractors.policy import extract_policy
from saidao.extractors.policy_meta import (
    cited_titles,
    find_doc_numbers,
    issued_date,
    issuer,
    level_and_jurisdiction,
    parse_date,
    title,
    written_date,
)
from saidao.ingest.read import read

SEEDS = Path(__file__).resolve().parent / "refdata" / "seeds"
GOLD = Path(__file__).parent / "gold" / "policies"
STEMS = sorted(p.stem for p in GOLD.glob("*.json"))
KEYS = ("title", "doc_number", "issuer", "date", "date_written", "date_issued", "level",
        "jurisdiction", "references", "cited_titles")


def _norm(value: object) -> object:
    if isinstance(value, str):
        return "".join(normalize(value, simplified=False).split())
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


@pytest.mark.parametrize("stem", STEMS)
def test_seed_metadata_equals_gold(stem: str) -> None:
    gold = json.loads((GOLD / f"{stem}.json").read_text(encoding="utf-8"))["meta"]
    result = extract_policy(read(SEEDS / f"{stem}.txt"))
    wrong = {k: (result[k], gold[k]) for k in KEYS if _norm(result[k]) != _norm(gold[k])}
    print(f"{stem}: metadata {len(KEYS) - len(wrong)}/{len(KEYS)} fields equal to gold")
    assert not wrong


@pytest.mark.parametrize("text", [
    "内政发〔2021〕13号", "内政发[2021]13号", "内政发（2021）13号", "内政发［2021］13 号",
    "内政发(2021)13号", "内政发2021年13号", "内政发 〔2021〕 第13号",
])
def test_doc_number_bracket_forms_are_canonical(text: str) -> None:
    assert find_doc_numbers(text) == ["内政发〔2021〕13号"]


def test_cited_doc_numbers_in_running_text() -> None:
    text = "根据《国务院关于…的若干意见》（国发〔2020〕7号）和工信部联科〔2024〕12号，到2025年，给予1.5万元"
    assert find_doc_numbers(text) == ["国发〔2020〕7号", "工信部联科〔2024〕12号"]


def test_title_skips_letterhead_number_and_addressee_and_joins_wraps() -> None:
    front = ["内蒙古自治区科学技术厅文件", "内科高字〔2026〕11号", "内蒙古自治区科学技术厅 关于印发《方案》的通知",
             "各有关盟市科技局：" ]
    assert title(front) == "内蒙古自治区科学技术厅关于印发《方案》的通知"
    assert title(["鄂府发〔2025〕36号", "各旗区人民政府：" ]) is None


def test_issuer_from_title_else_signature() -> None:
    assert issuer("鄂尔多斯市人民政府关于支持高新区的意见", []) == "鄂尔多斯市人民政府"
    assert issuer(None, ["鄂尔多斯市人民政府"]) == "鄂尔多斯市人民政府"
    assert issuer("和林格尔县创新驱动发展行动方案", []) is None


def test_written_and_issued_dates_are_told_apart() -> None:
    lines = ["……为目标。", " 2021年 10月 15 日", "（此件公开发布）", "抄送：各部门。",
             "内蒙古自治区人民政府办公厅文电处 2021 年 10 月 28 日印发"]
    assert written_date(lines) == "2021-10-15"
    assert issued_date(lines) == "2021-10-28"
    assert parse_date("二〇二一年八月二十八日") == "2021-08-28"
    assert parse_date("年 月 日") is None


@pytest.mark.parametrize(("issuer_text", "expected"), [
    ("内蒙古自治区人民政府", ("region", "内蒙古自治区")),
    ("内蒙古自治区科学技术厅", ("region", "内蒙古自治区")),
    ("自治区科技厅", ("region", "内蒙古自治区")),
    ("鄂尔多斯市人民政府", ("city", "鄂尔多斯市")),
    ("兴安盟行政公署", ("city", "兴安盟")),
    ("和林格尔县人民政府", ("county", "和林格尔县")),
    ("呼和浩特市和林格尔县人民政府", ("county", "和林格尔县")),
    ("准格尔旗人民政府", ("county", "准格尔旗")),
    ("国务院", ("national", "全国")),
    ("工业和信息化部", ("national", "全国")),
])
def test_level_and_jurisdiction_from_issuer(issuer_text: str, expected: tuple[str, str]) -> None:
    assert level_and_jurisdiction(issuer_text) == expected


def test_level_falls_back_to_title_then_doc_number() -> None:
    assert level_and_jurisdiction(None, None, "和林格尔县创新驱动发展行动方案") == ("county", "和林格尔县")
    assert level_and_jurisdiction(None, "国发〔2020〕7号") == ("national", "全国")
    assert level_and_jurisdiction(None, "鄂府发〔2025〕36号") == ("city", "鄂尔多斯市")


def test_cited_titles_skip_abbreviations_and_the_document_itself() -> None:
    text = ("结合《关于加快推进“科技兴蒙”行动的若干政策措施》（以下简称《“科技兴蒙”政策措施》），"
            "按照《“科技兴蒙”政策措施》规定，印发《新赛道培育方案》。")
    assert cited_titles(text, "关于印发《新赛道培育方案》的通知") == [
        "关于加快推进“科技兴蒙”行动的若干政策措施"]

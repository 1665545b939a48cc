"""Clause tagging: per-type precision/recall on the five seeds against hand-made gold; rules."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from saidao.extractors.money import find_amounts, find_targets, find_years
from saidao.extractors.policy import extract_policy
from saidao.extractors.tagging import tag_clause
from saidao.extractors.units import split_units
from saidao.ingest.read import read

SEEDS = Path(__file__).resolve().parent / "refdata" / "seeds"
GOLD = Path(__file__).parent / "gold" / "policy_tags"
STEMS = sorted(p.stem for p in GOLD.glob("*.json"))
KINDS = ("lead_units", "responsible_units", "amounts", "zones", "industries", "beneficiaries")
#: Minimum precision and recall per tag type, over all seeds.
FLOORS = {"lead_units": 0.95, "responsible_units": 0.95, "amounts": 0.95, "zones": 0.95,
          "industries": 0.90, "beneficiaries": 0.90}


def _values(clause: dict, kind: str) -> set:
    if kind == "amounts":
        return {a["yuan"] if isinstance(a, dict) else a for a in clause[kind]}
    return set(clause[kind])


@cache
def _counts(stem: str) -> dict[str, tuple[int, int, int]]:
    """(true positives, found, gold) per tag type for one seed, clauses matched by number+path."""
    gold = json.loads((GOLD / f"{stem}.json").read_text(encoding="utf-8"))["clauses"]
    found = {(c["number"], tuple(c["path"])): c
             for c in extract_policy(read(SEEDS / f"{stem}.txt"))["clauses"]}
    counts = {}
    for kind in KINDS:
        tp = nf = ng = 0
        for g in gold:
            f = found.get((g["number"], tuple(g["path"])), {kind: []})
            fs, gs = _values(f, kind), _values(g, kind)
            tp, nf, ng = tp + len(fs & gs), nf + len(fs), ng + len(gs)
        counts[kind] = (tp, nf, ng)
    return counts


def _pr(tp: int, nf: int, ng: int) -> tuple[float, float]:
    return (tp / nf if nf else 1.0), (tp / ng if ng else 1.0)


@pytest.mark.parametrize("stem", STEMS)
def test_seed_tags_per_seed(stem: str) -> None:
    """Per-seed numbers, printed; each seed must at least find most of its gold."""
    for kind, (tp, nf, ng) in _counts(stem).items():
        p, r = _pr(tp, nf, ng)
        print(f"{stem} {kind:18s} P={p:.3f} R={r:.3f} (tp={tp} found={nf} gold={ng})")
        assert r >= 0.6 and p >= 0.6, (stem, kind, p, r)


@pytest.mark.parametrize("kind", KINDS)
def test_seed_tags_overall(kind: str) -> None:
    tp = nf = ng = 0
    for stem in STEMS:
        a, b, c = _counts(stem)[kind]
        tp, nf, ng = tp + a, nf + b, ng + c
    p, r = _pr(tp, nf, ng)
    print(f"ALL {kind:18s} P={p:.3f} R={r:.3f} (tp={tp} found={nf} gold={ng})")
    assert p >= FLOORS[kind] and r >= FLOORS[kind], (kind, p, r)


# --------------------------------------------------------------------------- money
@pytest.mark.parametrize(("text", "yuan", "qualifier"), [
    ("给予10万元的科技经费支持", 100_000, "exact"),
    ("给予1.5万元科技经费支持", 15_000, "exact"),
    ("每年给予不低于250万元科技经费支持", 2_500_000, "at_least"),
    ("每年给予最高不超过1000万元的科技经费支持", 10_000_000, "at_most"),
    ("每个高校院所每年最高支持150万元", 1_500_000, "at_most"),
    ("每年安排不低于5亿元资金", 500_000_000, "at_least"),
    ("研发投入年增量在1000万元及以上的高校院所", 10_000_000, "at_least"),
    ("按200元/平方米给予补贴", 200, "exact"),
])
def test_money_forms(text: str, yuan: int, qualifier: str) -> None:
    (amount,) = find_amounts(text)
    assert (amount.yuan, amount.qualifier) == (yuan, qualifier)


def test_money_range_list_and_per_unit() -> None:
    (rng,) = find_amounts("给予50万—100万元奖励")
    assert (rng.yuan, rng.yuan_max, rng.qualifier) == (500_000, 1_000_000, "range")
    listed = find_amounts("一次性给予不低于50万元、25万元科技经费支持")
    assert [(a.yuan, a.qualifier) for a in listed] == [(500_000, "at_least"), (250_000, "at_least")]
    assert find_amounts("按200元/平方米补贴")[0].per == "平方米"
    assert find_amounts("2025—2027年，形成3-5条百亿级新赛道，R&D投入5%") == []


def test_years_and_targets() -> None:
    text = "到2025年，全区高新技术企业总量达到2000家以上，最高不超过1000万元。"
    assert find_years(text) == [2025]
    assert find_years("2025—2027年") == [2025, 2027]
    targets = find_targets(text)
    assert [(t["value"], t["unit"], t["qualifier"], t["year"]) for t in targets] == [
        (2000, "家", "at_least", 2025)]


# --------------------------------------------------------------------------- units
def test_units_lead_and_responsible_in_brackets() -> None:
    units = split_units("支持企业。(牵头单位:自治区科技厅;责任单位:财政厅、工业和信息化厅,各有关部门按职责分工负责)")
    assert units.lead == ["自治区科技厅"]
    assert units.responsible == ["财政厅", "工业和信息化厅", "各有关部门"]
    assert units.rest == "支持企业。"


def test_units_alone_on_a_line_and_one_char_pieces() -> None:
    units = split_units("支持企业。\n责任单位:各有关盟行政公署、市人民政府,自治区各有关委、办、厅、局")
    assert units.responsible == ["各有关盟行政公署", "市人民政府", "自治区各有关委、办、厅、局"]
    assert units.rest == "支持企业。"


def test_unit_names_are_not_read_as_industries() -> None:
    tags = tag_clause("推进数据共享。（责任单位：自治区科技厅、大数据中心）")
    assert tags["responsible_units"] == ["自治区科技厅", "大数据中心"]
    assert "大数据" not in tags["industries"]


def test_no_unit_note_without_a_colon() -> None:
    assert tag_clause("建立重点任务清单，明确责任单位、工作进度、完成时限。")["responsible_units"] == []


# --------------------------------------------------------------------------- zones and lexicon
def test_zone_short_and_long_forms() -> None:
    for text in ("支持稀土高新区发展", "包头国家级稀土高新区", "包头稀土高新技术产业开发区"):
        assert tag_clause(text)["zones"] == ["baotou-rare-earth"], text
    assert tag_clause("各高新区要加快发展")["zones"] == []


def test_zone_list_sharing_one_tail() -> None:
    tags = tag_clause("依托呼和浩特金山、包头稀土和鄂尔多斯国家高新技术产业开发区，在稀土新材料领域")
    assert sorted(tags["zones"]) == ["baotou-rare-earth", "hohhot-jinshan", "ordos"]
    assert "稀土" in tags["industries"]


def test_zone_name_is_not_an_industry_mention() -> None:
    assert tag_clause("支持包头稀土高新区建设")["industries"] == []


@pytest.mark.parametrize("quoted", [
    "专精特新“小巨人”企业", '专精特新"小巨人"企业', "专精特新‘小巨人’企业", "专精特新小巨人企业",
])
def test_little_giant_quote_forms(quoted: str) -> None:
    assert tag_clause(f"对认定的{quoted}给予50万元支持")["beneficiaries"] == ["专精特新“小巨人”企业"]


def test_longest_term_wins() -> None:
    tags = tag_clause("培育潜在独角兽企业，发展新能源汽车")
    assert tags["beneficiaries"] == ["潜在独角兽企业"]
    assert tags["industries"] == ["新能源汽车"]


def test_school_names_are_not_industries() -> None:
    assert tag_clause("与中国矿业大学合作")["industries"] == []

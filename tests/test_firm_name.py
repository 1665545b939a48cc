"""Firm-name keys and same-firm scores on the 299 real firms of tests/refdata."""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Callable
from pathlib import Path

import opencc
import pytest

from saidao.extractors.firm_name import name_key, same_firm_score, split_firm_name

REAL_FIRMS = Path(__file__).resolve().parent / "refdata" / "reference" / "uscc" / "real_firms.csv"


@pytest.fixture(scope="module")
def firms() -> list[str]:
    with REAL_FIRMS.open(encoding="utf-8", newline="") as fh:
        return [row["name"].strip() for row in csv.DictReader(fh)]


_S2T = opencc.OpenCC("s2t")


def _brackets(name: str) -> str:
    swapped = name.translate(str.maketrans("()（）", "（）()"))
    return swapped if swapped != name else name.replace("集团", "（集团）", 1)


def _legal_form(name: str) -> str:
    if "有限责任公司" in name:
        return name.replace("有限责任公司", "有限公司")
    if "股份有限公司" in name:
        return name
    return name.replace("有限公司", "有限责任公司")


def _region(name: str) -> str:
    return name if name.startswith("内蒙古") else f"内蒙古自治区{name}"


def _traditional(name: str) -> str:
    return _S2T.convert(name)


def _stray_space(name: str) -> str:
    middle = len(name) // 2
    return f" {name[:middle]} {name[middle:]}　"


def _full_width(name: str) -> str:
    return name.translate(str.maketrans("()0123456789", "（）０１２３４５６７８９"))


VARIANTS: dict[str, Callable[[str], str]] = {
    "brackets": _brackets,
    "legal_form": _legal_form,
    "region": _region,
    "traditional": _traditional,
    "stray_space": _stray_space,
    "full_width": _full_width,
    "all_at_once": lambda n: _stray_space(_traditional(_region(_legal_form(_brackets(n))))),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_of_real_names_share_the_key(firms: list[str], variant: str) -> None:
    make = VARIANTS[variant]
    same = [name_key(make(n)) == name_key(n) for n in firms]
    print(f"\n{variant}: {sum(same)}/{len(firms)} keys equal")
    assert all(same), [n for n, ok in zip(firms, same, strict=True) if not ok][:5]
    assert all(same_firm_score(make(n), n) == 1.0 for n in firms)


def test_real_firms_have_distinct_keys_and_score_apart(firms: list[str]) -> None:
    assert len({name_key(n) for n in firms}) == len(firms)
    worst = max(
        ((same_firm_score(a, b), a, b) for a, b in itertools.combinations(firms, 2)),
        key=lambda item: item[0],
    )
    print(f"\nhighest score between two different real firms: {worst}")
    assert worst[0] < 0.9


def test_a_one_character_slip_finds_its_firm(firms: list[str]) -> None:
    """A name with one character misread still scores highest against its own firm."""
    rng = random.Random(10)
    found = tried = 0
    for name in firms:
        core = split_firm_name(name).core
        if len(core) < 4:
            continue
        i = name.index(core[0]) + rng.randrange(1, len(core))
        typo = name[:i] + "口" + name[i + 1 :]
        best = max(firms, key=lambda other, t=typo: same_firm_score(t, other))
        tried += 1
        found += best == name
    print(f"\none-character slip: own firm ranked first for {found}/{tried}")
    assert found / tried >= 0.97


def test_region_is_kept_beside_the_name() -> None:
    printed = "內蒙古自治區包頭市 青山區 某某科技 有限責任公司"
    parts = split_firm_name(printed)
    assert parts.printed == printed
    assert parts.regions == ("内蒙古自治区", "包头市", "青山区")
    assert (parts.core, parts.legal_form, parts.tail) == ("某某科技", "有限公司", "")
    assert name_key(printed) == "某某科技有限公司"


def test_a_name_that_is_only_a_region_keeps_it() -> None:
    assert name_key("鄂尔多斯市有限公司") == "鄂尔多斯市有限公司"


def test_regions_that_cannot_contain_each_other_lower_the_score() -> None:
    assert same_firm_score("包头市恒达商贸有限公司", "鄂尔多斯市恒达商贸有限公司") < 0.9
    assert same_firm_score("包头市恒达商贸有限公司", "内蒙古恒达商贸有限责任公司") == 1.0
    assert same_firm_score("包头市恒达商贸有限公司", "包头市青山区恒达商贸有限公司") == 1.0
    # 伊克昭盟 is the old name of 鄂尔多斯市, 准格尔旗 lies in it
    assert same_firm_score("伊克昭盟恒达商贸有限公司", "准格尔旗恒达商贸有限公司") == 1.0
    assert same_firm_score("东胜区恒达商贸有限公司", "准格尔旗恒达商贸有限公司") < 0.9


def test_joint_stock_is_a_distinct_legal_form() -> None:
    a, b = "内蒙古第一机械集团有限公司", "内蒙古第一机械集团股份有限公司"
    assert name_key(a) != name_key(b)
    assert 0.8 <= same_firm_score(a, b) < 0.9
    assert name_key("某某股份有限公司") == name_key("某某股份公司")


def test_branch_is_not_its_head_office() -> None:
    head = "中国农业银行股份有限公司"
    assert same_firm_score(head, "中国农业银行股份有限公司鄂伦春自治旗甘河支行") < 0.5
    assert (
        split_firm_name("中国农业银行股份有限公司鄂伦春自治旗甘河支行").tail
        == "鄂伦春自治旗甘河支行"
    )


def test_empty_names() -> None:
    assert name_key("") == ""
    assert same_firm_score("", "某某有限公司") == 0.0


def test_a_county_that_moved_between_leagues_does_not_merge_two_cities() -> None:
    """和林格尔县 and 达茂旗 moved between leagues; 包头 and 呼和浩特 stay two places."""
    assert same_firm_score("包头市鑫达商贸有限公司", "呼和浩特市鑫达商贸有限公司") < 0.8
    assert same_firm_score("伊克昭盟东胜煤炭有限公司", "鄂尔多斯市东胜煤炭有限公司") == 1.0

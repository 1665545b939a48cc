"""Duplicate firms across tracks: pair rules, decisions, and the generated truth set."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from saidao.index.dupes import Decision, Mention, evaluate, find_groups

GENERATOR = Path(__file__).parent / "fixtures" / "dupes" / "generate.py"
MENGNIU = "91150100701465425Y"
YILI = "91150291701399333L"


def load_generator():
    """The fixture generator as a module (it lives outside any package)."""
    spec = importlib.util.spec_from_file_location("dupes_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules["dupes_generate"] = module
    spec.loader.exec_module(module)
    return module


def m(track: str, seq: int, name: str, printed: str = "", fixed: str | None = None,
      zone: str = "") -> Mention:
    return Mention(track, seq, name, printed, fixed if fixed is not None else (printed or None),
                   zone, f"{track}.docx", f"sha-{track}")


def test_same_code_groups_across_zones_with_evidence() -> None:
    rows = [m("A", 1, "内蒙古蒙牛乳业(集团)股份有限公司", MENGNIU, zone="呼和浩特金山高新区"),
            m("B", 3, "蒙牛乳业（集团）股份有限公司", MENGNIU, zone="包头稀土高新区"),
            m("C", 2, "包头伊利乳业有限责任公司", YILI)]
    [group] = find_groups(rows)
    assert {x.track_id for x in group.members} == {"A", "B"}
    assert group.uscc == MENGNIU
    assert group.evidence[0] == "信用代码相同"
    assert group.zones == ["包头稀土高新区", "呼和浩特金山高新区"]
    assert group.confidence >= 0.95


def test_confusable_code_needs_matching_name() -> None:
    misread = MENGNIU.replace("0", "D", 1)  # 0/D: passes the format, fails the check
    same = [m("A", 1, "内蒙古蒙牛乳业(集团)股份有限公司", MENGNIU),
            m("B", 1, "蒙牛乳业集团股份有限公司", misread, fixed="")]
    [group] = find_groups(same)
    assert "信用代码仅差一个易混字符（0/D）且名称一致" in group.evidence
    other = [same[0], m("B", 1, "包头伊利乳业有限责任公司", misread, fixed="")]
    assert find_groups(other) == []


def test_transposed_code_links() -> None:
    swapped = MENGNIU[:9] + MENGNIU[10] + MENGNIU[9] + MENGNIU[11:]
    rows = [m("A", 1, "内蒙古蒙牛乳业(集团)股份有限公司", MENGNIU),
            m("B", 1, "内蒙古蒙牛乳业(集团)股份有限公司", swapped, fixed="")]
    [group] = find_groups(rows)
    assert any("相邻两位互换" in e for e in group.evidence)


def test_same_name_missing_code_links_but_two_valid_codes_never() -> None:
    rows = [m("A", 1, "包头伊利乳业有限责任公司", YILI), m("B", 1, "包头伊利乳业有限公司")]
    [group] = find_groups(rows)
    assert group.evidence == ["名称规范化后相同（一方未填信用代码）"]
    clash = [rows[0], m("B", 1, "包头伊利乳业有限公司", MENGNIU)]
    assert find_groups(clash) == []


def test_hard_negatives_stay_apart() -> None:
    rows = [m("A", 1, "包头市鑫达商贸有限公司"), m("B", 1, "鄂尔多斯市鑫达商贸有限公司"),
            m("C", 1, "包头伊利乳业有限公司呼和浩特分公司"), m("D", 1, "包头伊利乳业有限公司", YILI),
            m("E", 1, "内蒙古第一机械集团股份有限公司")]
    rows.append(m("F", 1, "内蒙古第一机械集团有限公司"))
    assert find_groups(rows) == []


def test_name_region_must_agree_with_code_area() -> None:
    # 呼和浩特 (1501) code vs a name-only row from 乌兰察布 with the same core
    rows = [m("A", 1, "呼和浩特市正锦智能科技股份有限公司", "91150100MAQE4E5M92"),
            m("B", 1, "乌兰察布市正锦智能科技股份有限公司")]
    assert find_groups(rows) == []


def test_listed_twice_in_one_track() -> None:
    rows = [m("A", 1, "包头伊利乳业有限责任公司", YILI), m("A", 7, "包头伊利乳业有限公司", YILI)]
    [group] = find_groups(rows)
    assert "同一赛道内重复列出" in group.evidence


def test_no_chain_through_a_name_only_row() -> None:
    # the name-only row fits both firms; one group may take it, never both firms
    rows = [m("A", 1, "鑫达商贸有限公司", "9115030074389683XQ"),
            m("B", 1, "鑫达商贸有限公司"),
            m("C", 1, "鑫达商贸有限公司", YILI)]
    for group in find_groups(rows):
        assert len({x.hard_code for x in group.members if x.hard_code}) <= 1
    assert find_groups(rows)  # the name-only row does join one of them


def test_split_is_never_merged_again_and_confirm_gives_full_confidence() -> None:
    rows = [m("A", 1, "包头伊利乳业有限责任公司", YILI), m("B", 1, "包头伊利乳业有限公司"),
            m("C", 2, "包头伊利乳业有限公司")]
    [group] = find_groups(rows)
    assert group.confidence < 1.0
    split = Decision("split", (rows[1].id,), (rows[0].id, rows[2].id))
    groups = find_groups(rows, [split])
    assert [sorted(x.track_id for x in g.members) for g in groups] == [["A", "C"]]
    confirm = Decision("confirm", tuple(r.id for r in rows))
    [group] = find_groups(rows, [confirm])
    assert group.confidence == 1.0 and group.confirmed and group.evidence[0] == "人工确认"


def test_group_id_is_stable() -> None:
    rows = [m("A", 1, "包头伊利乳业有限责任公司", YILI), m("B", 1, "包头伊利乳业有限公司")]
    first = find_groups(rows)[0].group_id
    assert find_groups(list(reversed(rows)))[0].group_id == first


@pytest.mark.skipif(not load_generator().REAL_FIRMS.exists(), reason="shared reference missing")
def test_generated_truth_set_precision_and_recall() -> None:
    data = load_generator().generate(700)
    assert len(data.mentions) >= 2000 and len(data.firms) >= 600
    result = evaluate(find_groups(data.mentions), data.truth)
    print(f"\npairs: true {result.true_pairs}, predicted {result.predicted_pairs}, "
          f"precision {result.precision:.4f}, recall {result.recall:.4f}")
    assert result.precision >= 0.99, result.errors[:10]
    assert result.recall >= 0.97


def test_later_split_overrides_earlier_confirm() -> None:
    rows = [m("A", 1, "包头伊利乳业有限责任公司", YILI), m("B", 1, "包头伊利乳业有限公司", YILI),
            m("C", 2, "包头伊利乳业有限公司")]
    ids = tuple(r.id for r in rows)
    decisions = [Decision("confirm", ids), Decision("split", (ids[2],), ids[:2])]
    [group] = find_groups(rows, decisions)
    assert sorted(x.track_id for x in group.members) == ["A", "B"]
    assert group.confirmed and group.confidence == 1.0


def test_name_score_is_the_firm_name_score_without_regions() -> None:
    from saidao.extractors.firm_name import firm_parts_score, same_firm_score, split_firm_name
    from saidao.index.dupes import name_score

    pairs = [("内蒙古第一机械集团股份有限公司", "内蒙古第一机械集团有限公司"),
             ("包头伊利乳业有限公司呼和浩特分公司", "包头伊利乳业有限公司"),
             ("蒙牛乳业", "内蒙古蒙牛乳业(集团)股份有限公司"),
             ("包头市鑫达商贸有限公司", "鄂尔多斯市鑫达商贸有限公司")]
    for a, b in pairs:
        expected = firm_parts_score(split_firm_name(a), split_firm_name(b), regions=False)
        assert name_score(m("A", 1, a), m("B", 1, b)) == expected
        assert same_firm_score(a, b) == firm_parts_score(split_firm_name(a), split_firm_name(b))
    # regions are the one difference: dupes judges them with the codes' areas
    assert name_score(m("A", 1, pairs[3][0]), m("B", 1, pairs[3][1])) == 1.0
    assert same_firm_score(*pairs[3]) < 0.8


def test_stored_keys_split_like_the_names_they_came_from() -> None:
    """dupes scores names from stored keys (``key_parts``): the parts must be the name's."""
    from saidao.extractors.firm_name import key_parts, name_key, split_firm_name

    names = [x.name for x in load_generator().generate(200).mentions]
    names += ["内蒙古蒙牛乳业(集团)股份有限公司", "ＡＢＣ（内蒙古）科技有限公司", "包头 伊利乳业,有限公司",
              "中国农业银行股份有限公司鄂伦春自治旗甘河支行", "\"鑫达\"商贸有限公司"]
    for name in names:
        full, from_key = split_firm_name(name), key_parts(name_key(name))
        assert (from_key.core, from_key.legal_form, from_key.tail) == \
            (full.core, full.legal_form, full.tail), name

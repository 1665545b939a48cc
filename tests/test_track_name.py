"""Track names resolved against the official classification tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saidao.corpus.classifications import Scheme, load
from saidao.extractors.track_name import EMERGING, FUTURE, TRADITIONAL, parse_track_name

GOLDS = sorted((Path(__file__).parent / "fixtures" / "declarations").glob("*.gold.json"))
KEYS = ("direction", "scheme", "codes", "class_names", "label", "resolved")
EMERGING_SCHEMES = {str(Scheme.SEI_2018), str(Scheme.ISEI_2023)}


def _codes(result: dict) -> list[str]:
    return [p["code"] for p in result["problems"]]


def _gold_tracks() -> list[tuple[str, str, dict]]:
    out = []
    for path in GOLDS:
        expected = json.loads(path.read_text(encoding="utf-8"))["expected"]
        out.append((path.name.split(".")[0], expected["track_name"], expected["track"]))
    return out


def _same_in_both_emerging(track: dict) -> bool:
    """The gold path reads identically in SEI 2018 and ISEI 2023 (the text cannot tell them apart)."""
    tables = [load(Scheme.SEI_2018), load(Scheme.ISEI_2023)]
    return all(
        [(e.code, e.name) for e in map(t.by_code, track["codes"]) if e]
        == list(zip(track["codes"], track["class_names"], strict=True))
        for t in tables
    )


def _derivable_match(got: dict, want: dict) -> bool:
    """Equal, except what the text cannot carry.

    * a path that reads identically in SEI 2018 and ISEI 2023 may be given
      under either scheme (the other is then among the candidates);
    * a name typed from memory (``农副食品+肉羊精深加工``) names only a broad
      class: the resolved path must be a leading part of the gold path.
    """
    if all(got[k] == want[k] for k in KEYS):
        return True
    if got["scheme"] != want["scheme"]:
        if not (
            {got["scheme"], want["scheme"]} <= EMERGING_SCHEMES and _same_in_both_emerging(want)
        ):
            return False
        if not any(
            c["scheme"] == want["scheme"] and c["codes"] == want["codes"] for c in got["candidates"]
        ):
            return False
    loose = "track_name_nonstandard" in _codes(got)
    n = len(got["class_names"])
    path_ok = (got["codes"], got["class_names"]) == (want["codes"], want["class_names"]) or (
        loose
        and 0 < n < len(want["class_names"])
        and got["class_names"] == want["class_names"][:n]
        and got["codes"] == want["codes"][: len(got["codes"])]
    )
    return path_ok and all(got[k] == want[k] for k in ("direction", "label", "resolved"))


def test_gold_track_names_parse_to_their_track() -> None:
    tracks = _gold_tracks()
    assert len(tracks) >= 40
    strict = derivable = 0
    misses = []
    for ident, name, want in tracks:
        got = parse_track_name(name, want["direction"]).to_dict()
        exact = all(got[k] == want[k] for k in KEYS)
        strict += exact
        derivable += _derivable_match(got, want)
        if not exact:
            misses.append((ident, name, {k: got[k] for k in KEYS if got[k] != want[k]}))
    n = len(tracks)
    print(
        f"\ntrack names: strict {strict}/{n} = {strict / n:.1%}, derivable {derivable}/{n} = {derivable / n:.1%}"
    )
    for miss in misses:
        print("  differs:", *miss)
    assert derivable / n >= 0.97
    assert strict / n >= 0.80


def test_gold_track_names_without_the_ticked_box() -> None:
    """The class alone gives the direction (the box is not needed to resolve)."""
    for _ident, name, want in _gold_tracks():
        got = parse_track_name(name).to_dict()
        assert got["direction"] == want["direction"], name
        assert got["label"] == want["label"], name
        assert got["resolved"], name


# ------------------------------------------------------------------ the seed's three examples


def test_seed_example_traditional() -> None:
    got = parse_track_name("17 纺织业+【智能织物】").to_dict()
    assert {k: got[k] for k in KEYS} == {
        "direction": TRADITIONAL,
        "scheme": "GB/T 4754-2017",
        "codes": ["17"],
        "class_names": ["纺织业"],
        "label": "智能织物",
        "resolved": True,
    }
    assert got["problems"] == []


def test_seed_example_emerging_wrapped_over_two_lines() -> None:
    # the seed prints this example wrapped after "2.1.1"
    text = "2 高端装备制造产业/2.1 智能制造装备产业/2.1.1\n机器人与增材设备制造+【人形机器人】"
    got = parse_track_name(text).to_dict()
    assert got["scheme"] == str(Scheme.SEI_2018)
    assert got["codes"] == ["2", "2.1", "2.1.1"]
    assert got["class_names"] == ["高端装备制造产业", "智能制造装备产业", "机器人与增材设备制造"]
    assert (got["direction"], got["label"], got["resolved"]) == (EMERGING, "人形机器人", True)
    # the same path exists in ISEI 2023: kept as a candidate, not lost
    assert any(c["scheme"] == str(Scheme.ISEI_2023) for c in got["candidates"])


def test_seed_example_future() -> None:
    got = parse_track_name("未来能源+【核能】").to_dict()
    assert (got["direction"], got["scheme"], got["codes"]) == (FUTURE, "未来产业", [])
    assert (got["class_names"], got["label"], got["resolved"]) == (["未来能源"], "核能", True)


# ------------------------------------------------------------------ rule-bending forms


@pytest.mark.parametrize(
    "text",
    [
        "17 纺织业+[智能织物]",  # half-width brackets
        "17 纺织业+（智能织物）",  # parentheses
        "17 纺织业(智能织物)",
        "17 纺织业【智能织物】",  # no +
        "17纺织业 + 【 智能 织物 】",  # spaces
        "１７ 纺织业＋【智能织物】",  # full-width digits and plus
        "17 紡織業+【智能織物】",  # traditional characters
        "新赛道名称：17 纺织业+【智能织物】",  # label copied with the value
        "C/17+【智能织物】",  # section letter ahead of the division
    ],
)
def test_bent_forms_of_one_name(text: str) -> None:
    got = parse_track_name(text).to_dict()
    assert (got["scheme"], got["codes"], got["class_names"]) == (
        "GB/T 4754-2017",
        ["17"],
        ["纺织业"],
    )
    assert (got["label"], got["resolved"], got["direction"]) == ("智能织物", True, TRADITIONAL)


def test_code_path_only() -> None:
    got = parse_track_name("C/17/171/1711+【智能织物】").to_dict()
    assert got["codes"] == ["17", "171", "1711"]
    assert got["class_names"] == ["纺织业", "棉纺织及印染精加工", "棉纺纱加工"]
    assert got["resolved"]


def test_missing_codes_are_found_by_name_along_the_hierarchy() -> None:
    got = parse_track_name("医药制造业/生物药品制品制造/生物药品制造+【动物疫苗】").to_dict()
    assert got["codes"] == ["27", "276", "2761"]
    assert got["resolved"]
    assert _codes(got) == ["track_code_missing"]


def test_full_width_dotted_codes() -> None:
    got = parse_track_name("６ 新能源产业/６．２ 风能产业+【构网型风电】").to_dict()
    assert got["codes"] == ["6", "6.2"]
    assert got["resolved"]


def test_name_typed_from_memory() -> None:
    got = parse_track_name("纺织+智能织物").to_dict()
    assert (got["codes"], got["class_names"], got["label"]) == (["17"], ["纺织业"], "智能织物")
    assert got["resolved"]
    assert _codes(got) == ["track_name_nonstandard"]


def test_memory_form_descends_only_on_evidence() -> None:
    # 蒙药 is a 民族药 (industry lexicon) → 4.1.3 现代中药与民族药制造
    got = parse_track_name("生物+蒙药现代化", EMERGING).to_dict()
    assert got["codes"] == ["4", "4.1", "4.1.3"]
    # 储能 names exactly one branch of 新能源汽车产业
    got = parse_track_name("新能源汽车+钠离子储能电池").to_dict()
    assert got["codes"] == ["5", "5.2", "5.2.2"]
    # 肉羊精深加工 shares no distinctive word with one class below 13: stay at 13
    got = parse_track_name("农副食品+肉羊精深加工").to_dict()
    assert got["codes"] == ["13"]


def test_code_whose_name_disagrees() -> None:
    got = parse_track_name("18 纺织业+【智能织物】").to_dict()
    assert not got["resolved"]
    assert "track_code_name_mismatch" in _codes(got)
    offered = {tuple(c["codes"]) for c in got["candidates"]}
    assert {("17",), ("18",)} <= offered


def test_unknown_code_with_known_name() -> None:
    got = parse_track_name(
        "6 新能源产业/6.2 风能产业/6.2.9 风能发电机装备+【大功率主轴】"
    ).to_dict()
    assert not got["resolved"]
    assert "track_code_name_mismatch" in _codes(got)
    assert got["codes"][-1] == "6.2.1"


def test_unknown_class() -> None:
    got = parse_track_name("火星采矿业+【月壤提取】").to_dict()
    assert not got["resolved"]
    assert got["scheme"] is None
    assert "track_class_unknown" in _codes(got)
    assert got["candidates"] and got["candidates"][0]["class_names"][-1] == "采矿业"
    assert all(p["message"] for p in got["problems"])


def test_path_whose_levels_do_not_nest() -> None:
    got = parse_track_name("13 农副食品加工业/17 纺织业+【智能织物】").to_dict()
    assert not got["resolved"]
    assert "track_path_inconsistent" in _codes(got)


def test_ticked_box_wins_but_the_disagreement_is_reported() -> None:
    got = parse_track_name("17 纺织业+【智能织物】", EMERGING).to_dict()
    assert got["direction"] == EMERGING
    assert got["scheme"] == "GB/T 4754-2017"
    assert not got["resolved"]
    assert "track_direction_mismatch" in _codes(got)


def test_agreeing_box_is_no_problem() -> None:
    got = parse_track_name("未来制造+【具身智能】", FUTURE).to_dict()
    assert got["resolved"] and got["problems"] == []


def test_schemes_that_renumbered_are_told_apart_by_name() -> None:
    # 8 is 航空航天产业 only in ISEI 2023 (数字创意产业 in SEI 2018)
    assert parse_track_name("8 航空航天产业+【无人机】").scheme == str(Scheme.ISEI_2023)
    assert parse_track_name("8 数字创意产业+【数字孪生】").scheme == str(Scheme.SEI_2018)


def test_named_scheme_wins_a_tie() -> None:
    text = (
        "工业战略性新兴产业分类目录（2023）2 高端装备制造产业/2.1 智能制造装备产业+【人形机器人】"
    )
    got = parse_track_name(text).to_dict()
    assert got["scheme"] == str(Scheme.ISEI_2023)
    assert got["codes"] == ["2", "2.1"]


def test_future_alias_and_unlisted_domain() -> None:
    got = parse_track_name("未来空天+【低轨卫星测控】").to_dict()
    assert got["class_names"] == ["未来空间"] and got["resolved"]
    got = parse_track_name("未来能源+氢能+【绿氢】").to_dict()
    assert got["class_names"] == ["未来能源", "氢能"]
    assert "track_domain_unlisted" in _codes(got)


def test_future_domain_path() -> None:
    got = parse_track_name("未来材料/超导材料+【稀土超导带材】").to_dict()
    assert got["class_names"] == ["未来材料", "超导材料"] and got["resolved"]


def test_class_name_ending_in_brackets_is_not_a_label() -> None:
    got = parse_track_name("5332 货运火车站（场）").to_dict()
    assert got["class_names"] == ["货运火车站（场）"]
    assert got["label"] is None
    assert "track_label_missing" in _codes(got)


def test_empty_name() -> None:
    got = parse_track_name("   ").to_dict()
    assert not got["resolved"]
    assert _codes(got) == ["track_name_missing"]


@pytest.mark.parametrize(
    "text",
    [
        "17纺织业、171棉纺织及印染精加工+【智能织物】",
        "17 纺织业-171 棉纺织及印染精加工【智能织物】",
        "17 纺织业 171 棉纺织及印染精加工+【智能织物】",
    ],
)
def test_other_level_separators(text: str) -> None:
    got = parse_track_name(text).to_dict()
    assert got["codes"] == ["17", "171"] and got["resolved"]


def test_separator_inside_a_class_name_is_not_a_level() -> None:
    got = parse_track_name("44 电力、热力生产和供应业/441 电力生产+【构网型风电】").to_dict()
    assert got["class_names"] == ["电力、热力生产和供应业", "电力生产"] and got["resolved"]


def test_label_after_a_space() -> None:
    got = parse_track_name("17 纺织业 智能织物").to_dict()
    assert (got["codes"], got["label"]) == (["17"], "智能织物")
    assert "track_name_nonstandard" in _codes(got)


def test_gold_track_problem_codes() -> None:
    """The track problems the gold expects (track_code_missing, track_name_nonstandard …).

    Known difference: the generator flags ``未来能源/核聚变+【…】`` as
    track_code_missing, but future industries have no codes to miss.
    """
    agree = 0
    for path in GOLDS:
        expected = json.loads(path.read_text(encoding="utf-8"))["expected"]
        want = {p["code"] for p in expected["problems"] if p["field"].startswith("track")}
        got = parse_track_name(expected["track_name"], expected["track"]["direction"])
        agree += want == {p["code"] for p in got.problems}
    print(f"\ntrack problem codes equal to gold: {agree}/{len(GOLDS)}")
    assert agree / len(GOLDS) >= 0.9

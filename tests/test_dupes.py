"""Duplicate firms across tracks: pair rules, decisions, and the generated truth set."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from dupes_eval import evaluate

from saidao.index.dupe_rules import candidate_links
from saidao.index.dupes import Decision, Mention, find_groups

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


def test_generated_truth_set_precision_and_recall() -> None:
    data = load_generator().generate(700)
    assert len(data.mentions) >= 2000 and len(data.firms) >= 600
    result = evaluate(find_groups(data.mentions), data.truth)
    print(f"\npairs: true {result.true_pairs}, predicted {result.predicted_pairs}, "
          f"precision {result.precision:.4f}, recall {result.recall:.4f}")
    assert result.precision >= 0.99, result.errors[:10]
    assert result.recall >= 0.97


def test_a_form_imported_many_times_costs_links_not_pairs() -> None:
    """600 copies of one form (paper re-scanned, files sent twice): every row joins its
    firm, through one link per row rather than one per pair of rows."""
    form = [("包头伊利乳业有限责任公司", YILI), ("内蒙古蒙牛乳业(集团)股份有限公司", MENGNIU),
            ("包头伊利乳业有限公司", "")]
    rows = [m(f"T{copy}", seq, name, code) for copy in range(600)
            for seq, (name, code) in enumerate(form, 1)]
    links = candidate_links(rows)
    assert len(links) < 2 * len(rows)  # all pairs would be ~1.4 million
    groups = find_groups(rows)
    assert sorted(len(g.members) for g in groups) == [600, 1200]
    yili = next(g for g in groups if g.uscc == YILI)
    # as pair-by-pair judging gives it: the rows without a code join through a coded row;
    # each copy lists the firm twice (with and without its code), and that is said too
    assert yili.evidence == ["信用代码相同", "名称规范化后相同（一方未填信用代码）", "同一赛道内重复列出"]
    assert yili.confidence == 0.9
    # a split names rows, not every row that reads the same
    split = Decision("split", (rows[2].id,), (rows[0].id,))
    regrouped = find_groups(rows, [split])
    assert not any(rows[2] in g.members and rows[0] in g.members for g in regrouped)
    assert sum(len(g.members) for g in regrouped) >= len(rows) - 1  # at most one row alone


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
    from saidao.index.dupe_rules import name_score

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


# ---------------------------------------------------------------- stored groups


def test_stored_groups_read_back_as_computed() -> None:
    from saidao.index.dupe_store import BLOCK_GROUPS
    from saidao.index.dupe_store import decode_groups as _decode_groups
    from saidao.index.dupe_store import encode_groups as _encode_groups

    data = load_generator().generate(300)
    groups = find_groups(data.mentions)
    assert len(groups) > BLOCK_GROUPS  # several blocks
    back = _decode_groups(_encode_groups(groups))
    assert [g.to_dict() for g in back] == [g.to_dict() for g in groups]
    assert [g.members for g in back] == [g.members for g in groups]
    assert _decode_groups(_encode_groups([])) == []


def test_a_stored_group_is_skipped_by_a_filter_only_when_no_row_can_match() -> None:
    from saidao.index.dupe_store import decode_groups as _decode_groups
    from saidao.index.dupe_store import encode_groups as _encode_groups

    groups = find_groups(load_generator().generate(200).mentions)
    probes = {"有限公司", "9115", "ZZZZ", "\"", "包头", "科技"}
    probes |= {g.members[-1].name[1:4].upper() for g in groups[:20]}
    probes |= {(g.members[0].uscc_printed or "")[4:9].upper() for g in groups[:20]}
    for probe in probes - {""}:
        back = _decode_groups(_encode_groups(groups))
        for stored, group in zip(back, groups, strict=True):
            texts = [t for m in group.members for t in (m.name, m.uscc_printed or "", m.uscc or "")]
            if any(probe in t.upper() for t in texts):
                assert stored.may_contain(probe), (probe, group.name)
        assert not all(g.may_contain("ZZZZ") for g in back)


SAME = "91150291558112116R"


@pytest.fixture()
def indexed(index_of_tracks) -> Path:
    """An index with one firm in two tracks (a stored group once computed)."""
    return index_of_tracks([[("包头伊利乳业有限责任公司", SAME), ("甲科技有限公司", None)],
                            [("包头伊利乳业有限公司", SAME), ("乙科技有限公司", None)]])


def no_grouping(*args: object, **kwargs: object) -> None:
    raise AssertionError("grouped again")


def test_groups_are_stored_and_read_back_after_a_restart(
        indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from saidao.cli import app
    from saidao.index import cache, dupes
    from saidao.index.store import Index

    with Index.open(indexed) as index:
        assert dupes.precompute_groups(index)
        assert not dupes.precompute_groups(index)  # stored already: neither grouped nor read
        [group] = dupes.groups_from_index(index)
    cache._memo.clear()  # a new process
    monkeypatch.setattr(dupes, "find_groups", no_grouping)
    with Index.open(indexed) as index:
        [stored] = dupes.groups_from_index(index)
        assert isinstance(stored, dupes.StoredGroup)
        assert stored.to_dict() == group.to_dict()
    cache._memo.clear()
    result = CliRunner().invoke(app, ["dupes", "--json", "--db", str(indexed)])
    assert result.exit_code == 0, result.output
    assert '"包头伊利乳业有限责任公司"' in result.output and group.group_id in result.output


def test_a_decision_or_a_firm_row_change_regroups(indexed: Path) -> None:
    from saidao.index import cache, dupes
    from saidao.index.store import Index

    with Index.open(indexed) as index:
        dupes.precompute_groups(index)
        [group] = dupes.groups_from_index(index)
        assert not group.confirmed
        dupes.confirm_group(index, group.group_id, by="王审核")
        cache._memo.clear()
        [confirmed] = dupes.groups_from_index(index)
        assert confirmed.confirmed and confirmed.confidence == 1.0
        with index.db.conn:
            index.db.execute("UPDATE firm_mentions SET (name, name_key) = (SELECT name, name_key "
                             "FROM firm_mentions WHERE name = '乙科技有限公司') "
                             "WHERE name = '甲科技有限公司'")
        cache._memo.clear()
        names = sorted(g.name for g in dupes.groups_from_index(index))
        assert names == ["乙科技有限公司", group.name]


def test_zone_filter_takes_the_zone_id_or_any_name() -> None:
    from saidao.corpus.zones import registry
    from saidao.index.dupes import _zone_names

    zone = registry().resolve("鄂尔多斯高新区")
    assert zone is not None
    for text in (zone.id, zone.name, "鄂尔多斯高新区"):
        assert zone.name in _zone_names(text)
    assert _zone_names("不存在的园区") == {"不存在的园区"}


def test_latest_groups_never_group_and_say_when_they_are_out_of_date(
        indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What /dupes reads (``dupes.latest_groups``): the current groups, or after a write the
    last stored ones flagged out of date (from memory, or decoded after a restart), never
    computed; None when nothing was ever stored."""
    from saidao.index import cache, dupes
    from saidao.index.store import Index

    with Index.open(indexed) as index:
        index.db.execute("DELETE FROM cached_answers")
        index.db.conn.commit()
        cache._memo.clear()
        cache._stale_memo.clear()
        with monkeypatch.context() as patched:
            patched.setattr(dupes, "find_groups", no_grouping)
            assert dupes.latest_groups(index) is None
        dupes.precompute_groups(index)
        [group] = dupes.groups_from_index(index)
        dupes.confirm_group(index, group.group_id, by="王审核")  # the groups are now out of date
        with monkeypatch.context() as patched:
            patched.setattr(dupes, "find_groups", no_grouping)
            for restarted in (False, True):
                if restarted:
                    cache._memo.clear()
                found = dupes.latest_groups(index)
                assert found is not None
                [old], current = found
                assert current is False and not old.confirmed and old.group_id == group.group_id
        assert dupes.precompute_groups(index)
        found = dupes.latest_groups(index)
        assert found is not None and found[1] is True and found[0][0].confirmed


def test_members_in_natural_track_order() -> None:
    from saidao.index.dupe_model import natural_key
    from saidao.index.dupe_store import decode_groups, encode_groups

    assert sorted(["10", "7", "赛道10", "赛道7", "2"], key=natural_key) == [
        "2", "7", "10", "赛道7", "赛道10"]
    rows = [m(t, 1, "内蒙古蒙牛乳业(集团)股份有限公司", MENGNIU) for t in ("10", "7", "100", "2")]
    [group] = find_groups(rows)
    assert [x.track_id for x in group.members] == ["2", "7", "10", "100"]
    assert group.tracks == ["2", "7", "10", "100"]
    [back] = decode_groups(encode_groups([group]))
    assert [x.track_id for x in back.members] == ["2", "7", "10", "100"]


def test_members_in_natural_track_order_on_the_web_in_the_cli_and_in_excel(
        index_of_tracks, tmp_path: Path) -> None:
    """Tracks 2, 7 and 10 share a firm: listed 2, 7, 10 (as text 10 came first)."""
    import json
    import re

    import openpyxl
    from starlette.testclient import TestClient
    from typer.testing import CliRunner

    from saidao.cli import app
    from saidao.index.store import Index
    from saidao.web import create_app

    shared = {1, 6, 9}  # the 2nd, 7th and 10th table: tracks 2, 7 and 10
    db = index_of_tracks([[("包头伊利乳业有限责任公司", SAME) if n in shared
                           else (f"第{n}科技有限公司", None)] for n in range(11)])
    with Index.open(db) as index:
        ids = [str(t) for (t,) in index.db.execute(
            "SELECT track_id FROM tracks ORDER BY track_id").fetchall()]
    want = [ids[n] for n in sorted(shared)]
    assert sorted(want) != want  # as text they would be out of order: the test can fail

    page = TestClient(create_app(db, regroup_wait=None)).get("/dupes").text
    group = page.split('<section class="group', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'href="/track/(\d+)"', group) == want

    result = CliRunner().invoke(app, ["dupes", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    [listed] = json.loads(result.stdout)["groups"]
    assert [str(x["track_id"]) for x in listed["members"]] == want

    target = tmp_path / "dupes.xlsx"
    result = CliRunner().invoke(app, ["dupes", "--xlsx", str(target), "--db", str(db)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(target).active
    header = [c.value for c in sheet[1]]
    column = header.index("赛道编号")
    assert [str(r[column].value) for r in sheet.iter_rows(min_row=2)] == want

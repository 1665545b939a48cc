"""Staff decisions on duplicate groups follow the firm when a track's rows are replaced
(issue 13, leftover 2): another form of the declaration takes over, a later version
supersedes, ``--split-source`` undoes the merge, a file is read again.

The declarations are extraction results written here (``Index.record``, as an import
stores them): one zone's track read first from a scan (rank 1) and then from its
.docx (rank 3), its firms listed in another order, and another zone's track that
names two of the same firms. Decisions are taken through ``dupes.split_group`` /
``confirm_group`` as the CLI and the web take them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from form_versions import two_versions
from typer.testing import CliRunner

from saidao.cli import app
from saidao.index.dupes import all_groups, confirm_group, decisions, split_group
from saidao.index.store import Index
from saidao.index.track_merge import split_source

JIA = ("内蒙古甲科技有限公司", "91150800117410003C")  # same code in both zones: one group
YI = ("赤峰乙新材料有限公司", None)  # same name, no code: a group staff confirm
BING = ("赤峰丙生物科技有限公司", "91150303756663277L")
DING = ("赤峰丁农牧业开发有限公司", "91150627690061969K")
SCAN, DOCX, V2, OTHER = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)


def _declaration(firms, *, fmt: str, path: str, filled: str = "2026-05-01",
                 zone: str = "chifeng", track: str = "未来健康+生物基尼龙") -> dict:
    return {
        "kind": "declaration", "track_name": track, "filled_at": filled,
        "zone": {"id": zone, "printed": zone}, "track": {"direction": "新兴产业延伸"},
        "firms": [{"seq": i, "name": name, "uscc": code, "uscc_printed": code}
                  for i, (name, code) in enumerate(firms, start=1)],
        "problems": [],
        "source": {"path": path, "format": fmt, "ocr_pages": [1] if fmt == "image" else []},
    }


def _record(index: Index, sha: str, result: dict, reread: bool = False) -> None:
    run = index.start_run([result["source"]["path"]], {})
    index.record(run_id=run, path=result["source"]["path"], sha256=sha, size=1,
                 kind="declaration", result=result, error=None, reread=reread)


def _group_of(index: Index, name: str):
    return [g for g in all_groups(index) if any(m.name == name for m in g.members)]


def _tracks_of(group) -> set[str]:
    return {m.track_id for m in group.members}


@pytest.fixture()
def decided(tmp_path: Path):
    """The scan of zone 赤峰's declaration and 包头's track; 甲 split apart, 乙 confirmed."""
    index = Index.open(tmp_path / "d.db")
    _record(index, OTHER, _declaration([JIA, YI], fmt="docx", path="包头.docx", zone="baotou",
                                       track="稀土新材料"))
    _record(index, SCAN, _declaration([JIA, YI, BING], fmt="image", path="赤峰_扫描.jpg"))
    [jia] = _group_of(index, JIA[0])
    [yi] = _group_of(index, YI[0])
    assert not yi.confirmed
    split_group(index, jia.group_id, ["1"], by="张三")  # staff: these two are not one firm
    confirm_group(index, yi.group_id, by="张三")
    assert _group_of(index, JIA[0]) == []
    assert _group_of(index, YI[0])[0].confirmed
    yield index
    index.close()


def _decision_ids(index: Index) -> list[str]:
    return [m for (mentions, others) in index.db.execute(
        "SELECT mentions, others FROM dupe_decisions") for m in
        (*json.loads(mentions), *json.loads(others))]


def test_a_better_form_takes_over_and_the_decisions_hold_for_the_same_firms(decided) -> None:
    index = decided
    # the .docx of the same declaration, its firms in another order: rows renumbered
    _record(index, DOCX, _declaration([BING, YI, JIA], fmt="docx", path="赤峰.docx"))
    assert index.db.execute("SELECT count(*) FROM tracks").fetchone()[0] == 2  # merged
    assert _group_of(index, JIA[0]) == []  # the split still keeps 甲 of 包头 and 赤峰 apart
    [yi] = _group_of(index, YI[0])
    assert yi.confirmed and {m.sha256 for m in yi.members} == {OTHER, DOCX}
    ids = _decision_ids(index)
    assert f"{DOCX}#3" in ids and f"{DOCX}#2" in ids  # 甲 is row 3 now, 乙 row 2: by firm
    assert not any(m.startswith(SCAN) for m in ids)
    moves = list(index.db.query("SELECT old_id, new_id, name, note FROM dupe_decision_moves"))
    assert {(m["old_id"], m["new_id"]) for m in moves} == {(f"{SCAN}#1", f"{DOCX}#3"),
                                                          (f"{SCAN}#2", f"{DOCX}#2")}
    assert all("决定随企业转入" in m["note"] for m in moves)
    assert [d["state"] for d in decisions(index)] == ["valid", "valid"]


def test_undoing_the_merge_leaves_nothing_dangling(decided) -> None:
    index = decided
    _record(index, DOCX, _declaration([BING, YI, JIA], fmt="docx", path="赤峰.docx"))
    track = index.db.execute("SELECT track_id FROM track_sources WHERE file_sha256 = ?",
                             [SCAN]).fetchone()[0]
    split_source(index.db, track, "赤峰.docx")  # staff: the .docx was another declaration
    ids = _decision_ids(index)
    assert not any(m.startswith(DOCX) for m in ids)  # nothing names the split-off file's rows
    assert f"{SCAN}#1" in ids and f"{SCAN}#2" in ids  # back on the track's own rows
    assert [d["state"] for d in decisions(index)] == ["valid", "valid"]
    for group in _group_of(index, JIA[0]):  # the split-off track's 甲 may group, but the
        names = {(m.sha256, m.seq) for m in group.members}  # decided pair stays apart
        assert not {(OTHER, 1), (SCAN, 1)} <= names
    # the confirmed pair is one group again (with the split-off track's 乙, a new row no
    # decision named, it is no longer all confirmed: as for any row that joins later)
    [yi] = _group_of(index, YI[0])
    assert {(m.sha256, m.seq) for m in yi.members} >= {(OTHER, 2), (SCAN, 2)}


def test_a_later_version_without_the_firm_shows_the_decision_gone(decided, tmp_path) -> None:
    index = decided
    # the revised declaration: 乙 left the list, 丁 took its row (row 2)
    _record(index, V2, _declaration([JIA, DING, BING], fmt="image", path="赤峰_修改稿.jpg",
                                    filled="2026-06-02"))
    assert index.db.execute("SELECT count(*) FROM tracks").fetchone()[0] == 2  # superseded
    assert not any(g.confirmed for g in all_groups(index))  # never applied to 丁 of row 2
    assert _group_of(index, DING[0]) == []
    confirm = next(d for d in decisions(index) if d["kind"] == "confirm")
    assert confirm["state"] == "partial" and confirm["state_zh"] == "部分企业行已不存在"
    gone = [m for m in confirm["members"] if not m["present"]]
    assert [m["name"] for m in gone] == [YI[0]] and "不在新的企业名录中" in gone[0]["gone_note"]
    assert next(d for d in decisions(index) if d["kind"] == "split")["state"] == "valid"
    assert [d["id"] for d in decisions(index, only_gone=True)] == [confirm["id"]]

    out = CliRunner().invoke(app, ["dupes", "decisions", "--gone", "--json",
                                   "--db", str(tmp_path / "d.db")])
    assert out.exit_code == 0, out.output
    shown = json.loads(out.stdout)["decisions"]
    assert [d["state"] for d in shown] == ["partial"]
    table = CliRunner().invoke(app, ["dupes", "decisions", "--db", str(tmp_path / "d.db")],
                               env={"COLUMNS": "240"})
    assert "部分企业行已不存在" in table.stdout and "已不存在：" in table.stdout

    # the version rolled back (staff split the revision off): 乙 and its decision come back
    track = index.db.execute("SELECT track_id FROM track_sources WHERE file_sha256 = ?",
                             [SCAN]).fetchone()[0]
    split_source(index.db, track, "赤峰_修改稿.jpg")
    assert [d["state"] for d in decisions(index)] == ["valid", "valid"]
    assert any(g.confirmed and {m.sha256 for m in g.members} == {OTHER, SCAN}
               for g in _group_of(index, YI[0]))


def test_a_reread_numbering_rows_differently_never_moves_a_decision_to_another_firm(decided) -> None:
    index = decided
    # the same file read again: 乙 no longer read, 戊 now on row 2 (where 乙 was)
    wu = ("赤峰乙新材料科技有限公司", None)  # close to 乙's name, yet another firm
    _record(index, SCAN, _declaration([JIA, wu, BING], fmt="image", path="赤峰_扫描.jpg"),
            reread=True)
    assert f"{SCAN}#2" not in _decision_ids(index)  # row 2 is 戊's now: not decided
    assert not any(g.confirmed for g in all_groups(index))
    confirm = next(d for d in decisions(index) if d["kind"] == "confirm")
    assert confirm["state"] == "partial"
    split = next(d for d in decisions(index) if d["kind"] == "split")
    assert split["state"] == "valid"  # 甲 is still row 1 of the same file


def test_the_dupes_page_shows_a_decision_whose_rows_are_gone(decided, tmp_path) -> None:
    from starlette.testclient import TestClient

    from saidao.web import create_app

    index = decided
    client = TestClient(create_app(tmp_path / "d.db", regroup_wait=None))
    assert "企业行已不存在的人工决定" not in client.get("/dupes").text  # all valid: nothing shown
    _record(index, V2, _declaration([JIA, DING, BING], fmt="image", path="赤峰_修改稿.jpg",
                                    filled="2026-06-02"))
    page = client.get("/dupes").text
    section = page.split('id="decisions-gone"', 1)[1].split("</section>", 1)[0]
    assert "企业行已不存在的人工决定（1 条）" in page
    assert "确认为同一企业" in section and "部分企业行已不存在" in section
    assert f"已不存在：{YI[0]}" in section and DING[0] not in section


def test_through_an_import_a_later_version_carries_the_decisions(tmp_path: Path) -> None:
    """The real pipeline: ``forms/declaration.docx`` imported, decisions taken, then its
    revision (filled a month later, its fifth firm 禾晟 replaced) imported."""
    from saidao.ingest.bulk import Options, ingest
    from saidao.settings import ReadSettings

    first, second = two_versions(tmp_path)

    db = tmp_path / "e2e.db"
    options = Options(workers=1, settings=ReadSettings(ocr=False))
    ingest([first], db, options)
    with Index.open(db) as index:  # another zone's track lists two of the same firms
        _record(index, OTHER, _declaration(
            [("内蒙古草原宏宝食品股份有限公司", "911508007644901935"),
             ("鄂尔多斯市禾晟农牧业开发有限责任公司", "91150627690061969K")],
            fmt="docx", path="包头.docx", zone="baotou", track="稀土新材料"))
        [hongbao] = _group_of(index, "内蒙古草原宏宝食品股份有限公司")
        [hesheng] = _group_of(index, "鄂尔多斯市禾晟农牧业开发有限责任公司")
        split_group(index, hongbao.group_id, ["1"], by="张三")
        confirm_group(index, hesheng.group_id, by="张三")
    ingest([second], db, options)
    with Index.open(db) as index:
        assert index.db.execute("SELECT count(*) FROM tracks").fetchone()[0] == 2
        assert _group_of(index, "内蒙古草原宏宝食品股份有限公司") == []  # the split holds
        states = {d["kind"]: d for d in decisions(index)}
        assert states["split"]["state"] == "valid"
        assert states["confirm"]["state"] == "partial"  # 禾晟 left the revised list
        assert not any(g.confirmed for g in all_groups(index))
        moved = index.db.execute("SELECT count(*) FROM dupe_decision_moves WHERE new_id IS NOT "
                                 "NULL").fetchone()[0]
    assert moved == 1  # 草原宏宝 to the revision's row


def test_the_upgrade_repairs_decisions_a_merge_lost_before(decided) -> None:
    """An index whose decisions were taken, and then lost by a take-over, before decisions
    followed the firm: the migration's ``repair_decisions`` moves them by firm."""
    from saidao.index.dupe_follow import repair_decisions

    index = decided
    before = list(index.db.execute("SELECT id, mentions, others FROM dupe_decisions"))
    _record(index, DOCX, _declaration([BING, YI, JIA], fmt="docx", path="赤峰.docx"))
    with index.db.conn:  # as the old code left it: the decisions on the scan's rows
        for did, mentions, others in before:
            index.db.execute("UPDATE dupe_decisions SET mentions = ?, others = ? WHERE id = ?",
                             [mentions, others, did])
        index.db.execute("DROP TABLE dupe_decision_moves")  # the index before the upgrade
    from saidao.index import schema

    step = next(m for m in schema.MIGRATIONS if m.__name__.endswith("_decision_moves"))
    with index.db.conn:
        step(index.db)  # the upgrade, as ``schema.migrate`` runs it
    moves = list(index.db.query("SELECT old_id, new_id, note FROM dupe_decision_moves"))
    assert {(m["old_id"], m["new_id"]) for m in moves} == {(f"{SCAN}#1", f"{DOCX}#3"),
                                                          (f"{SCAN}#2", f"{DOCX}#2")}
    assert all(m["note"].startswith("升级") for m in moves)
    assert [d["state"] for d in decisions(index)] == ["valid", "valid"]
    assert f"{DOCX}#3" in _decision_ids(index) and f"{DOCX}#2" in _decision_ids(index)
    assert _group_of(index, JIA[0]) == [] and _group_of(index, YI[0])[0].confirmed
    with index.db.conn:
        assert repair_decisions(index.db) == 0  # once: nothing left to move

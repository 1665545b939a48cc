"""The views that define "current" and "as corrected" once (``index.schema.VIEWS``),
and the one firm-row reader over them (``index.firm_rows``)."""

from __future__ import annotations

from pathlib import Path

from conftest import firm_table

from saidao.index import schema
from saidao.index.firm_rows import code_fixes, firm_rows, mentions
from saidao.index.overview import counts
from saidao.index.store import Index

CODE = "91150291558112116R"
OTHER = "91150100701465425Y"


def test_views_follow_supersession_and_the_latest_correction(tmp_path: Path) -> None:
    with Index.open(tmp_path / "saidao.db") as index:
        assert schema.version(index.db) == len(schema.MIGRATIONS)
        assert set(schema.VIEWS) <= set(index.db.view_names())
        run = index.start_run(["a.docx"], {})
        index.record(run_id=run, path="a.docx", sha256="a".ljust(64, "0"), size=1,
                     kind="declaration", result=firm_table("赛道一", [("甲公司", CODE)]), error=None)
        # a new version of the same file supersedes the first: only its rows are current
        index.record(run_id=run, path="a.docx", sha256="b".ljust(64, "0"), size=1,
                     kind="declaration", result=firm_table("赛道一", [("乙公司", CODE),
                                                                   ("丙公司", None)]),
                     error=None)
        current = firm_rows(index)
        assert [r["name"] for r in current] == ["乙公司", "丙公司"]
        assert {r["name"] for r in firm_rows(index, current=False)} == {"甲公司", "乙公司", "丙公司"}
        assert index.db.execute("SELECT count(*) FROM current_tracks").fetchone()[0] == 1
        assert index.db.execute("SELECT count(*) FROM track_rows").fetchone()[0] == 2
        # two staff corrections of one row: the latest counts, everywhere
        row = current[0]["id"]
        index.correct("firm_mentions", row, "uscc", OTHER, by="王")
        index.correct("firm_mentions", row, "uscc", CODE, by="李")
        [fixed, _] = firm_rows(index)
        assert fixed["uscc_corrected"] == CODE and fixed["corrected_by"] == "李"
        assert code_fixes(index)[row]["corrected_by"] == "李"
        assert [m.uscc for m in mentions(index)] == [CODE, None]
        assert counts(index)["firms"] == 2  # 乙 by its code, 丙 by its name
        index.correct("firm_mentions", row, "uscc", OTHER, by="张")
        assert firm_rows(index)[0]["uscc_corrected"] == OTHER
        assert [m.uscc for m in mentions(index, track_id=fixed["track_id"])] == [OTHER, None]

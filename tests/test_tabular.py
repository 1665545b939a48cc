"""Every Excel / CSV list is written by ``index.tabular``, and no document text becomes a formula.

Issue 17 item 2: a firm named ``=cmd|' /C calc'!A0`` or ``@SUM(1)`` and a clause
holding ``=HYPERLINK(…)`` must come out of ``saidao export``, ``saidao report
--xlsx``, ``saidao dupes --xlsx`` and the web's downloads as text.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from conftest import firm_table
from typer.testing import CliRunner

from saidao.cli import app
from saidao.index.store import Index
from saidao.index.tabular import FORMULA_STARTS, write_csv, write_xlsx

HOSTILE = ["=cmd|' /C calc'!A0", "@SUM(1)", "+1+cmd|' /C calc'!A0", "-2+3",
           '=HYPERLINK("http://evil.example/", "点击")', "\t=1+1", "\r=1+1"]
CODE = "91150291558112116R"


@pytest.fixture()
def hostile_db(tmp_path: Path) -> Path:
    """Two tracks naming the same hostile firms (so they group as duplicates), a policy
    whose clause holds a live-looking HYPERLINK, and a failed file named like a formula."""
    path = tmp_path / "saidao.db"
    firms = [(HOSTILE[0], CODE), (HOSTILE[1], None), (HOSTILE[2], None), (HOSTILE[3], None)]
    with Index.open(path) as index:
        for n in range(2):
            run = index.start_run([f"{n}.docx"], {})
            index.record(run_id=run, path=f"{n}.docx", sha256=f"{n}".ljust(64, "0"), size=1,
                         kind="declaration", result=firm_table(f"赛道{n}", firms), error=None)
        run = index.start_run(["p.docx"], {})
        policy = {"kind": "policy", "title": "=HYPERLINK(\"http://evil.example/\")",
                  "clauses": [{"id": "c1", "number": "一", "heading": "@SUM(1)",
                               "text": HOSTILE[4], "path": ["一"]}]}
        index.record(run_id=run, path="p.docx", sha256="p".ljust(64, "0"), size=1,
                     kind="policy", result=policy, error=None)
        index.record(run_id=run, path="=HYPERLINK(\"x\").docx", sha256="f".ljust(64, "0"),
                     size=1, kind=None, result=None,
                     error={"reason": "corrupt", "message_zh": "=1+1 文件已损坏"})
    return path


def formula_cells(path: Path) -> list[str]:
    """Every cell openpyxl reads back as a formula, and every guarded text it kept."""
    book = openpyxl.load_workbook(path)
    return [f"{c.coordinate}:{c.value}" for sheet in book for row in sheet.iter_rows()
            for c in row if c.data_type == "f"]


def texts(path: Path) -> set[str]:
    book = openpyxl.load_workbook(path)
    return {c.value for sheet in book for row in sheet.iter_rows() for c in row
            if isinstance(c.value, str)}


def unguarded_csv_fields(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        fields = [f for row in csv.reader(handle) for f in row]
    bad = []
    for f in fields:
        if f.startswith(FORMULA_STARTS):
            try:
                float(f)  # a number a spreadsheet reads as a number is harmless
            except ValueError:
                bad.append(f)
    return bad


def invoke(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output  # 1: the report names a failed file


def test_export_report_and_dupes_write_hostile_text_as_text(hostile_db: Path,
                                                            tmp_path: Path) -> None:
    db = str(hostile_db)
    written = {}
    for what in ("firms", "clauses", "tracks"):
        xlsx, csv_path = tmp_path / f"{what}.xlsx", tmp_path / f"{what}.csv"
        invoke("export", what, "--xlsx", str(xlsx), "--csv", str(csv_path), "--db", db)
        written[what] = (xlsx, csv_path)
    report, dupes = tmp_path / "report.xlsx", tmp_path / "dupes.xlsx"
    invoke("report", "--xlsx", str(report), "--db", db)
    invoke("dupes", "--xlsx", str(dupes), "--db", db)
    for xlsx in [x for x, _ in written.values()] + [report, dupes]:
        assert formula_cells(xlsx) == [], xlsx
    for _, csv_path in written.values():
        assert unguarded_csv_fields(csv_path) == [], csv_path
    # the text is kept exactly in the workbook, and guarded (not lost) in the CSV
    assert {HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]} <= texts(written["firms"][0])
    assert HOSTILE[0] in texts(dupes)
    assert HOSTILE[4] in texts(written["clauses"][0])
    assert '=HYPERLINK("x").docx' in texts(report)
    firms_csv = written["firms"][1].read_text(encoding="utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in firms_csv and "'@SUM(1)" in firms_csv


def test_web_downloads_use_the_same_guard(hostile_db: Path) -> None:
    from starlette.testclient import TestClient

    from saidao.web.app import create_app

    client = TestClient(create_app(hostile_db))
    for url in ("/dupes?format=xlsx", "/tracks?format=xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        cells = [c for s in book for row in s.iter_rows() for c in row]
        assert not [c.value for c in cells if c.data_type == "f"], url
    dupes = openpyxl.load_workbook(io.BytesIO(client.get("/dupes?format=xlsx").content))
    assert HOSTILE[0] in {c.value for s in dupes for row in s.iter_rows() for c in row}


def test_writer_guards_every_formula_start_and_streams(tmp_path: Path) -> None:
    rows = ({"a": text, "b": i} for i, text in enumerate(HOSTILE + ["普通文字", "\x01控制字符"]))
    columns = [("a", "文字"), ("b", "序号")]
    assert write_xlsx(tmp_path / "x.xlsx", "表", columns, rows) == len(HOSTILE) + 2
    assert formula_cells(tmp_path / "x.xlsx") == []
    kept = texts(tmp_path / "x.xlsx")
    assert set(HOSTILE) <= kept and "控制字符" in kept  # a control character XML cannot hold is dropped
    rows = ({"a": text, "b": -i} for i, text in enumerate(HOSTILE))
    assert write_csv(tmp_path / "x.csv", columns, rows) == len(HOSTILE)
    assert unguarded_csv_fields(tmp_path / "x.csv") == []

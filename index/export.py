"""Lists for Excel: tracks, firms, clauses, duplicate groups and the import report.

Which rows and which Chinese headers; writing them (streamed, formula-guarded)
is ``index.tabular``'s job.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from saidao.index.firm_rows import firm_rows
from saidao.index.report import tracks
from saidao.index.store import Index
from saidao.index.tabular import Column, cell, write_csv, write_xlsx
from saidao.vocab import OUTCOME_LABELS, label

__all__ = ["Column", "cell", "export", "rows_for", "write_csv", "write_xlsx"]

TRACK_COLUMNS: list[Column] = [
    ("track_id", "赛道编号"), ("track_name", "新赛道名称"), ("label", "赛道"),
    ("direction", "所属方向"), ("scheme", "分类体系"), ("codes", "分类代码"),
    ("class_names", "分类名称"), ("zone_name", "高新区"), ("zone_printed", "表中高新区"),
    ("filled_at", "填报时间"), ("firms", "企业数"), ("problems", "待处理问题"),
    ("file", "文件"), ("sha256", "SHA-256"),
]
FIRM_COLUMNS: list[Column] = [
    ("track_id", "赛道编号"), ("track_name", "新赛道名称"), ("zone_name", "高新区"),
    ("seq", "序号"), ("name", "企业名称"), ("uscc_printed", "信用代码（原文）"),
    ("uscc", "信用代码（校正）"), ("uscc_valid", "原文校验通过"), ("uscc_fix", "校正方式"),
    ("confidence", "置信度"), ("extra", "其他列"), ("file", "文件"),
]
CLAUSE_COLUMNS: list[Column] = [
    ("doc_number", "文号"), ("title", "文件标题"), ("level", "层级"),
    ("jurisdiction", "适用地域"), ("path", "上级编号"), ("number", "条款编号"),
    ("heading", "条款标题"), ("text", "条款内容"), ("zones", "提及高新区"),
    ("amounts", "金额"), ("units", "牵头/责任单位"), ("in_force", "效力（今天）"), ("clause_id", "条款ID"),
]
DUPE_COLUMNS: list[Column] = [
    ("group_id", "组编号"), ("group_name", "企业"), ("group_uscc", "统一社会信用代码"),
    ("confidence", "置信度"), ("evidence", "依据"), ("confirmed", "已确认"), ("zone", "高新区"),
    ("track_id", "赛道编号"), ("seq", "行号"), ("name", "名录中名称"),
    ("uscc_printed", "原文信用代码"), ("uscc", "纠正后信用代码"), ("file", "文件"),
    ("sha256", "SHA-256"),
]
REPORT_COLUMNS: list[Column] = [
    ("path", "文件"), ("origin", "来源（压缩包内路径）"), ("outcome", "结果"),
    ("reason", "原因代码"), ("message", "说明"), ("kind", "类型"), ("format", "格式"),
    ("pages", "页数"), ("copy_of", "副本：与此文件相同"), ("sha256", "SHA-256"),
    ("problems", "待核对问题"),
]


def report_rows(index: Index, run: int | None = None) -> list[dict[str, Any]]:
    """The rows of ``index.report(run)`` with each outcome in Chinese."""
    return [{**r, "outcome": label(OUTCOME_LABELS, r["outcome"])}
            for r in index.report(run)]


def _firm_rows(index: Index) -> list[dict[str, Any]]:
    """Every firm row of a current file (``firm_rows.firm_rows``)."""
    return firm_rows(index)


def _clause_rows(index: Index) -> list[dict[str, Any]]:
    rows = list(index.db.query(
        "SELECT c.*, p.doc_number, p.title, p.level, p.jurisdiction, "
        "(SELECT group_concat(z.name, '、') FROM clause_tags t JOIN zones z ON z.id = t.value "
        " WHERE t.clause_id = c.clause_id AND t.tag_type = 'zone') AS zones, "
        "(SELECT group_concat(value, '、') FROM clause_tags t WHERE t.clause_id = c.clause_id "
        " AND t.tag_type = 'amount') AS amounts, "
        "(SELECT group_concat(value, '、') FROM clause_tags t WHERE t.clause_id = c.clause_id "
        " AND t.tag_type IN ('lead_unit', 'responsible_unit')) AS units "
        "FROM clauses c JOIN current_policies p ON p.policy_id = c.policy_id "
        "ORDER BY p.level, p.doc_number, c.position"))
    from saidao.index.validity import annotate, describe_zh

    annotate(index, rows)
    for row in rows:
        row["path"] = "/".join(json.loads(row["path"] or "[]"))
        row["in_force"] = describe_zh(row.get("in_force"))
    return rows


def rows_for(index: Index, what: str) -> tuple[list[Column], list[dict[str, Any]]]:
    """The columns and rows of one list: ``tracks``, ``firms``, ``clauses`` or ``report``."""
    if what == "tracks":
        return TRACK_COLUMNS, tracks(index)
    if what == "firms":
        return FIRM_COLUMNS, _firm_rows(index)
    if what == "clauses":
        return CLAUSE_COLUMNS, _clause_rows(index)
    if what == "report":
        return REPORT_COLUMNS, report_rows(index)
    raise ValueError(f"unknown list {what!r}")


def group_rows(groups: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """One row per member of each duplicate group (``dupes.Group``), its group's columns
    repeated (filters well in Excel); the rows of ``DUPE_COLUMNS``."""
    for g in groups:
        for m in g.members:
            yield {"group_id": g.group_id, "group_name": g.name, "group_uscc": g.uscc,
                   "confidence": g.confidence, "evidence": "；".join(g.evidence),
                   "confirmed": "是" if g.confirmed else "", "zone": m.zone,
                   "track_id": m.track_id, "seq": m.seq, "name": m.name,
                   "uscc_printed": m.uscc_printed, "uscc": m.uscc, "file": m.file,
                   "sha256": m.sha256}


SHEET_NAMES = {"tracks": "新赛道", "firms": "企业名录", "clauses": "政策条款", "report": "导入报告"}


def export(index: Index, what: str, *, xlsx: str | Path | None = None,
           csv_path: str | Path | None = None) -> int:
    """Write one list to ``xlsx`` and/or ``csv_path``; returns the number of rows."""
    columns, rows = rows_for(index, what)
    if xlsx:
        write_xlsx(xlsx, SHEET_NAMES[what], columns, rows)
    if csv_path:
        write_csv(csv_path, columns, rows)
    return len(rows)


def write_report_xlsx(index: Index, path: str | Path, run: int | None = None) -> int:
    """The import report of ``run`` (default the latest) as one sheet; returns the row count."""
    return write_xlsx(path, SHEET_NAMES["report"], REPORT_COLUMNS, report_rows(index, run))


def write_groups_xlsx(groups: Iterable[Any], path: str | Path) -> int:
    """Duplicate groups as one sheet, one row per member; returns the row count."""
    return write_xlsx(path, "重复企业", DUPE_COLUMNS, group_rows(groups))

"""Lists for Excel: tracks, firms, clauses (and the import report) with Chinese headers."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from saidao.index.store import Index

Column = tuple[str, str]  # (key, Chinese header)

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
    ("amounts", "金额"), ("units", "牵头/责任单位"), ("clause_id", "条款ID"),
]
REPORT_COLUMNS: list[Column] = [
    ("path", "文件"), ("origin", "来源（压缩包内路径）"), ("outcome", "结果"),
    ("reason", "原因代码"), ("message", "说明"), ("kind", "类型"), ("format", "格式"),
    ("pages", "页数"), ("copy_of", "副本：与此文件相同"), ("sha256", "SHA-256"),
]
OUTCOME_ZH = {"imported": "已导入", "unchanged": "未变（已导入过）",
              "superseded": "新版本（旧版本保留）", "failed": "失败",
              "skipped": "跳过（不是文档）", "pending_ocr": "待识别（未做文字识别）",
              "duplicate": "副本（同批次另一文件）", "reread": "已重新读取"}


def _firm_rows(index: Index) -> list[dict[str, Any]]:
    return list(index.db.query(
        "SELECT m.*, t.track_name, z.name AS zone_name, f.path AS file FROM firm_mentions m "
        "JOIN tracks t ON t.track_id = m.track_id "
        "JOIN declarations d ON d.declaration_id = t.declaration_id "
        "JOIN files f ON f.sha256 = d.file_sha256 LEFT JOIN zones z ON z.id = t.zone_id "
        "WHERE f.status = 'imported' ORDER BY t.zone_id, t.track_id, m.seq"))


def _clause_rows(index: Index) -> list[dict[str, Any]]:
    rows = list(index.db.query(
        "SELECT c.*, p.doc_number, p.title, p.level, p.jurisdiction, "
        "(SELECT group_concat(z.name, '、') FROM clause_tags t JOIN zones z ON z.id = t.value "
        " WHERE t.clause_id = c.clause_id AND t.tag_type = 'zone') AS zones, "
        "(SELECT group_concat(value, '、') FROM clause_tags t WHERE t.clause_id = c.clause_id "
        " AND t.tag_type = 'amount') AS amounts, "
        "(SELECT group_concat(value, '、') FROM clause_tags t WHERE t.clause_id = c.clause_id "
        " AND t.tag_type IN ('lead_unit', 'responsible_unit')) AS units "
        "FROM clauses c JOIN policies p ON p.policy_id = c.policy_id "
        "JOIN files f ON f.sha256 = p.file_sha256 WHERE f.status = 'imported' "
        "ORDER BY p.level, p.doc_number, c.position"))
    for row in rows:
        row["path"] = "/".join(json.loads(row["path"] or "[]"))
    return rows


def rows_for(index: Index, what: str) -> tuple[list[Column], list[dict[str, Any]]]:
    """The columns and rows of one list: ``tracks``, ``firms``, ``clauses`` or ``report``."""
    from saidao.index.report import tracks

    if what == "tracks":
        return TRACK_COLUMNS, tracks(index)
    if what == "firms":
        return FIRM_COLUMNS, _firm_rows(index)
    if what == "clauses":
        return CLAUSE_COLUMNS, _clause_rows(index)
    if what == "report":
        rows = [{**r, "outcome": OUTCOME_ZH.get(r["outcome"], r["outcome"])}
                for r in index.report()]
        return REPORT_COLUMNS, rows
    raise ValueError(f"unknown list {what!r}")


def cell(value: Any) -> Any:
    """A value Excel shows as-is: lists joined, booleans as 是/否, None blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return value


def _table(columns: Sequence[Column], rows: list[dict[str, Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        values = []
        for key, _ in columns:
            value = row.get(key)
            if key in ("extra",) and isinstance(value, str):
                value = json.loads(value) if value else {}
            if key == "uscc_valid" and value is not None:
                value = bool(value)
            values.append(cell(value))
        out.append(values)
    return out


def write_xlsx(path: str | Path, sheet: str, columns: Sequence[Column],
               rows: list[dict[str, Any]]) -> int:
    """One sheet with a bold frozen header row; credit codes kept as text. Returns row count."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([zh for _, zh in columns])
    for cell_ in ws[1]:
        cell_.font = Font(bold=True)
    for values in _table(columns, rows):
        ws.append([str(v) if isinstance(v, str) else v for v in values])
    ws.freeze_panes = "A2"
    for i, (_, zh) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(60, len(zh) * 2 + 4))
    wb.save(str(path))
    return len(rows)


def write_csv(path: str | Path, columns: Sequence[Column], rows: list[dict[str, Any]]) -> int:
    """UTF-8 with BOM so Excel opens the Chinese correctly. Returns row count."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([zh for _, zh in columns])
        writer.writerows(_table(columns, rows))
    return len(rows)


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

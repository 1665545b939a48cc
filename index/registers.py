"""Registers of certified firms (高新技术企业, 专精特新"小巨人" …) and matching them to tracks.

Staff import the public lists (xlsx or csv as published by the departments);
the name and code columns are found by their headers in the first rows, since
every list has its own title rows and column order. Entries are matched to the
firms of the tracks by credit code first, then by normalised name when the
regions and codes do not contradict it.

The tables behind this module, the duplicate decisions and the staff figures
are created by ``index.schema.create_firm_tables``, run as one index migration.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from saidao.errors import SaidaoError
from saidao.extractors.firm_name import name_key
from saidao.extractors.uscc import check, compact
from saidao.index.db import IndexLike, as_database, now
from saidao.index.dupe_model import Mention
from saidao.index.firm_regions import regions_agree
from saidao.index.schema import create_firm_tables

__all__ = [
    "REGISTER_TYPES",
    "import_register",
    "load_registers",
    "read_register",
    "register_hits",
    "register_matches",
]

#: The lists staff can import (the `--type` of ``saidao register import``).
REGISTER_TYPES = (
    "高新技术企业", "科技型中小企业", "专精特新中小企业", "专精特新小巨人",
    "制造业单项冠军", "科技标杆企业", "瞪羚企业", "独角兽企业",
)
_NAME_HEADERS = ("企业名称", "单位名称", "公司名称", "企业（单位）名称", "名称")
_CODE_HEADERS = ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码")
_HEADER_ROWS = 10  # a header is looked for in this many leading rows

# ---------------------------------------------------------------- reading


def _rows_xlsx(path: Path) -> list[list[Any]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise SaidaoError("corrupt", path, str(e)) from e
    try:
        return [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _rows_csv(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SaidaoError("decode_failed", path)
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _cell(value: Any) -> str:
    """A cell as text; Excel numbers that hold codes lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header(text: str) -> str:
    return "".join(text.split()).replace("(", "（").replace(")", "）")


def _find_columns(rows: Sequence[Sequence[Any]]) -> tuple[int, int, int | None]:
    """(header row, name column, code column or None) from the first rows."""
    for r, row in enumerate(rows[:_HEADER_ROWS]):
        cells = [_header(_cell(v)) for v in row]
        name = next((i for h in _NAME_HEADERS for i, c in enumerate(cells) if c == h), None)
        if name is None:
            name = next((i for i, c in enumerate(cells) if "名称" in c and len(c) <= 10), None)
        code = next((i for i, c in enumerate(cells) if any(h in c for h in _CODE_HEADERS)), None)
        if name is not None:
            return r, name, code
    raise KeyError("no name column")


def read_register(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a register file: ``{"row", "name", "uscc_printed", "uscc"}``.

    Raises SaidaoError for a missing, empty, unreadable or headerless file.
    """
    path = Path(path)
    if not path.is_file():
        raise SaidaoError("not_found", path)
    if path.stat().st_size == 0:
        raise SaidaoError("empty", path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _rows_xlsx(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        rows = _rows_csv(path)
    else:
        raise SaidaoError("unknown_format", path, "名单须为 .xlsx 或 .csv")
    try:
        head, name_col, code_col = _find_columns(rows)
    except KeyError:
        raise SaidaoError("unknown_format", path,
                          "前几行中找不到“企业名称/单位名称”列标题") from None
    out = []
    for number, row in enumerate(rows[head + 1:], start=head + 2):
        name = _cell(row[name_col]) if name_col < len(row) else ""
        printed = _cell(row[code_col]) if code_col is not None and code_col < len(row) else ""
        if not name and not printed:
            continue
        fixed = check(printed).uscc if printed else None
        out.append({"row": number, "name": name, "uscc_printed": printed, "uscc": fixed})
    return out


@dataclass
class RegisterReport:
    """What ``register import`` did with each row of a list, for staff (Chinese reasons)."""

    read: int = 0  # rows with a name or a code
    loaded: int = 0  # rows stored (all but the rejected)
    matched: int = 0  # stored rows naming a firm of a current track
    repaired: list[dict[str, Any]] = field(default_factory=list)  # row, name, printed, uscc, how
    rejected: list[dict[str, Any]] = field(default_factory=list)  # row, name, printed, reason
    name_only: list[dict[str, Any]] = field(default_factory=list)  # rows without a code
    name_only_matched: int = 0  # of those, rows matched to a track's firm by name alone

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def row_verdict(row: dict[str, Any]) -> tuple[str, str]:
    """One register row: ``ok``, ``repaired``, ``no_code`` or ``rejected``, and why (Chinese)."""
    printed = row.get("uscc_printed") or ""
    if not printed:
        if not row.get("name"):
            return "rejected", "既无企业名称也无信用代码"
        return "no_code", "未填信用代码，仅按企业名称匹配"
    result = check(printed)
    if result.valid:
        return "ok", ""
    if result.uscc:
        how = result.problems[0].message if result.problems else (result.fix or "")
        return "repaired", f"信用代码“{printed}”已更正为 {result.uscc}（{how}）"
    reason = "；".join(p.message for p in result.problems[:2]) or "信用代码无效"
    return "rejected", f"信用代码“{printed}”无效且无法可靠更正：{reason}"


def import_register(index: IndexLike, path: str | Path, type: str,  # noqa: A002 - the CLI name
                    year: int | None = None) -> int:
    """Load a register file into ``firm_registers``; returns the rows loaded
    (:func:`import_register_report` says what happened to each row)."""
    return import_register_report(index, path, type, year).loaded


def import_register_report(index: IndexLike, path: str | Path,
                           type: str, year: int | None = None  # noqa: A002 - the CLI name
                           ) -> RegisterReport:
    """Load a register file into ``firm_registers`` and report on every row.

    A row whose code is wrong beyond a sure repair is rejected (its firm is in
    doubt); a repaired code is kept with the repair listed; a row without a code
    is kept and matched by name only. Importing the same file for the same type
    and year again replaces its rows.
    """
    if type not in REGISTER_TYPES:
        raise ValueError(f"名单类型“{type}”无效，可选：{'、'.join(REGISTER_TYPES)}")
    report = RegisterReport()
    rows = []
    for row in read_register(path):
        report.read += 1
        verdict, why = row_verdict(row)
        entry = {"row": row["row"], "name": row["name"], "printed": row["uscc_printed"],
                 "uscc": row["uscc"], "reason": why}
        if verdict == "rejected":
            report.rejected.append(entry)
            continue
        if verdict == "repaired":
            report.repaired.append(entry)
        elif verdict == "no_code":
            report.name_only.append(entry)
        rows.append(row)
    report.loaded = len(rows)
    db = as_database(index)
    create_firm_tables(db)
    source, stamp = Path(path).name, now()
    with db.conn:
        db.execute("DELETE FROM firm_registers WHERE type = ? AND year IS ? AND source = ?",
                   [type, year, source])
        db.conn.executemany(
            "INSERT INTO firm_registers (type, year, name, name_key, uscc_printed, uscc, source, "
            "row, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(type, year, r["name"], name_key(r["name"]), r["uscc_printed"], r["uscc"], source,
              r["row"], stamp) for r in rows],
        )
    _count_matches(db, rows, type, report)
    return report


def _count_matches(db: Any, rows: list[dict[str, Any]], type: str,  # noqa: A002
                   report: RegisterReport) -> None:
    """How many loaded rows name a firm of a current track (and how many by name alone)."""
    if "firm_mentions" not in db.table_names():
        return
    from saidao.index.dupes import mentions_from_index

    entries = [{**r, "type": type} for r in rows]
    hits = register_matches(mentions_from_index(db), entries)
    matched = {h["register_row"] for h in hits}
    report.matched = len(matched)
    no_code = {e["row"] for e in report.name_only}
    report.name_only_matched = len(matched & no_code)


def load_registers(index: IndexLike) -> list[dict[str, Any]]:
    """Every register entry in the index."""
    db = as_database(index)
    if "firm_registers" not in db.table_names():
        return []
    return list(db.query("SELECT * FROM firm_registers ORDER BY id"))


# ---------------------------------------------------------------- matching


def _entry_mention(entry: dict[str, Any]) -> Mention:
    return Mention("register", int(entry.get("row") or 0), entry.get("name") or "",
                   entry.get("uscc_printed") or "", entry.get("uscc"))


def register_matches(mentions: Iterable[Mention],
                     entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Register entries that name the firm of each mention, with the evidence.

    Code first (the corrected code equals the register's); else the same
    normalised name, provided the regions agree and the two codes are not two
    different valid codes.
    """
    by_code: dict[str, list[dict[str, Any]]] = {}
    by_key: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry.get("uscc"):
            by_code.setdefault(compact(entry["uscc"]), []).append(entry)
        key = entry.get("name_key") or name_key(entry.get("name") or "")
        if key:
            by_key.setdefault(key, []).append(entry)
    hits = []
    for m in mentions:
        found = {id(e): (e, "信用代码一致") for e in by_code.get(m.code or "", [])}
        for e in by_key.get(m.key, []):
            if id(e) in found:
                continue
            other = _entry_mention(e)
            if m.hard_code and other.hard_code and m.hard_code != other.hard_code:
                continue
            if regions_agree(m, other):
                found[id(e)] = (e, "名称规范化后相同")
        hits += [_hit(m, e, why) for e, why in found.values()]
    return hits


def _hit(m: Mention, entry: dict[str, Any], evidence: str) -> dict[str, Any]:
    return {"mention_id": m.id, "track_id": m.track_id, "seq": m.seq, "name": m.name,
            "type": entry.get("type"), "year": entry.get("year"),
            "register_name": entry.get("name"), "uscc": entry.get("uscc"),
            "register_row": entry.get("row"),
            "source": entry.get("source"), "evidence": evidence}


def register_hits(index: IndexLike, mentions: Iterable[Mention]) -> list[dict[str, Any]]:
    """:func:`register_matches` against every register in the index."""
    return register_matches(mentions, load_registers(index))


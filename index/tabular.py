"""The one Excel / CSV writer: rows streamed out, every cell a document wrote kept as text.

Every list staff take away (``saidao export``, ``saidao report --xlsx``,
``saidao dupes --xlsx`` and every page's ``?format=xlsx``) goes through here,
so a firm named ``=cmd|' /C calc'!A0`` or a clause holding ``=HYPERLINK(…)``
can never become a live formula or a DDE call in the reader's spreadsheet
(CWE-1236, "CSV injection").

The guard, per format:

- **.xlsx**: a cell is a formula only if it is written with data type ``f``;
  openpyxl infers that type from a leading ``=``. Every string that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written as a
  :class:`~openpyxl.cell.WriteOnlyCell` whose ``data_type`` is forced to ``s``
  (a string), so the text is kept exactly and never evaluated. Characters XML
  cannot hold (control characters a damaged document may carry) are dropped,
  since openpyxl refuses them and the list would otherwise fail whole.
- **.csv**: CSV has no types, so a spreadsheet evaluates such a field on
  opening; it is prefixed with ``'`` (OWASP's advice), which Excel and
  LibreOffice show as text.

Lives in ``index/`` (not ``web/`` or the CLI) because both faces ask the index
for their lists and write them the same way; it imports nothing of saidao.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Column = tuple[str, str]  # (key in the row dict, Chinese header)

#: A cell starting with one of these is read as a formula (or a DDE call) by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The media type of an .xlsx download.
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell(value: Any) -> Any:
    """A value shown as-is: lists joined with 、, booleans as 是/否, dicts as JSON, None blank.

    >>> cell(["稀土高新区", "金山高新区"]), cell(True), cell(None), cell(3)
    ('稀土高新区、金山高新区', '是', '', 3)
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return value


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet would evaluate.

    >>> is_formula_like("=HYPERLINK(\\"http://x\\")"), is_formula_like("@SUM(1)")
    (True, True)
    >>> is_formula_like("内蒙古"), is_formula_like(-3)
    (False, False)
    """
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_field(value: Any) -> Any:
    """One CSV field: formula-like text prefixed with ``'``.

    >>> csv_field("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> csv_field("91150100701465425Y")
    '91150100701465425Y'
    """
    value = cell(value)
    return "'" + value if is_formula_like(value) else value


def _xlsx_value(sheet: Any, value: Any) -> Any:
    value = cell(value)
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not is_formula_like(value):
        return value
    text = WriteOnlyCell(sheet, value)
    text.data_type = "s"  # a string, never a formula, whatever it starts with
    return text


def write_xlsx(target: str | Path | IO[bytes], sheet_name: str, columns: Sequence[Column],
               rows: Iterable[dict[str, Any]]) -> int:
    """One sheet with a bold frozen header row, streamed (openpyxl write-only mode).

    ``target`` is a path or a binary file object. Strings stay strings (credit
    codes are text). Returns the number of rows written.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])  # Excel's limit on a sheet name
    sheet.freeze_panes = "A2"
    for i, (_, header) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, min(60, len(header) * 2 + 4))
    headers = []
    for _, header in columns:
        bold = WriteOnlyCell(sheet, header)
        bold.font = Font(bold=True)
        headers.append(bold)
    sheet.append(headers)
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(sheet, row.get(key)) for key, _ in columns])
        count += 1
    book.save(target if not isinstance(target, Path) else str(target))
    return count


def xlsx_bytes(sheet_name: str, columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> bytes:
    """The workbook of :func:`write_xlsx` in memory (a web download)."""
    out = io.BytesIO()
    write_xlsx(out, sheet_name, columns, rows)
    return out.getvalue()


def write_csv(target: str | Path, columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> int:
    """UTF-8 with a BOM (so Excel opens the Chinese correctly), one header row, streamed.

    Returns the number of rows written.
    """
    count = 0
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([header for _, header in columns])
        for row in rows:
            writer.writerow([csv_field(row.get(key)) for key, _ in columns])
            count += 1
    return count

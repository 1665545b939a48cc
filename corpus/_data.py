"""Shared helpers for the bundled data files: locating them and reading CSVs.

Every loader in ``saidao.corpus`` reads only files shipped inside this package
(never a folder outside the package), so the product works from an installed wheel.
"""

from __future__ import annotations

import csv
from pathlib import Path

from saidao.errors import SaidaoError

#: Folder holding the bundled data files (this package's own folder).
DATA_DIR = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """Path of a bundled data file, e.g. ``data_path("classifications", "sei_2018.csv")``."""
    return DATA_DIR.joinpath(*parts)


def read_csv(path: Path, required: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV (BOM tolerated) as dicts with stripped values.

    Staff may edit some of these files in a spreadsheet, so a missing file or a
    missing column is reported as bad input (SaidaoError), not a traceback.
    """
    if not path.is_file():
        raise SaidaoError("not_found", path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [name for name in required if name not in header]
            if missing:
                raise SaidaoError("corrupt", path, f"缺少列 missing columns: {', '.join(missing)}")
            return [
                {key: (value or "").strip() for key, value in row.items() if key is not None}
                for row in reader
            ]
    except UnicodeDecodeError as exc:
        raise SaidaoError("decode_failed", path, str(exc)) from exc
    except csv.Error as exc:
        raise SaidaoError("corrupt", path, str(exc)) from exc


def split_list(value: str, sep: str = "|") -> tuple[str, ...]:
    """Split a multi-valued cell (``a|b``), dropping blanks."""
    return tuple(part.strip() for part in value.split(sep) if part.strip())

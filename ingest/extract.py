"""``extract_file``: one file in, the contract's JSON out (``saidao extract``, tests).

The one place besides ``ingest.bulk`` that runs reading and extraction together;
it lives in ``ingest`` because extraction may not import ingest (the import
contract, docs/architecture.md), while ingest may call the extractors here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saidao.extractors.extract import extract_document
from saidao.ingest.read import read
from saidao.settings import DEFAULT, ReadSettings

__all__ = ["extract_file"]


def extract_file(
    path: str | Path, kind: str | None = None, settings: ReadSettings = DEFAULT
) -> dict[str, Any]:
    """Read ``path`` and extract it; raises ``SaidaoError`` for bad input (a ``kind`` the
    content contradicts too, unless scanned pages went unread for want of OCR)."""
    doc = read(path, settings)
    return extract_document(doc, kind, check_kind=settings.ocr or not doc.ocr_pages)

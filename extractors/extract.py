"""``extract_file``: one file in, the contract's JSON out (``saidao extract``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saidao.document import Document
from saidao.extractors.classify import classify
from saidao.extractors.declaration import extract_declaration
from saidao.ingest.read import read
from saidao.settings import DEFAULT, ReadSettings


def source_block(doc: Document) -> dict[str, Any]:
    """The contract's ``source`` block: where the values came from."""
    return {
        "path": doc.path,
        "sha256": doc.sha256,
        "format": doc.format,
        "pages": len(doc.pages),
        "ocr_pages": doc.ocr_pages,
        "status": doc.status,
        "timings": doc.timings,
    }


def extract_document(doc: Document, kind: str | None = None) -> dict[str, Any]:
    """Run the extractor for the document's kind (detected unless given)."""
    kind = kind or classify(doc)
    result: dict[str, Any] = {"kind": kind, "source": source_block(doc)}
    if kind == "policy":
        from saidao.extractors.policy import extract_policy  # spaCy: loaded only for policies

        extracted = extract_policy(doc)
    elif kind == "declaration":
        extracted = extract_declaration(doc)
    else:
        return result
    result.update({k: v for k, v in extracted.items() if k not in ("kind", "source")})
    return result


def extract_file(
    path: str | Path, kind: str | None = None, settings: ReadSettings = DEFAULT
) -> dict[str, Any]:
    """Read ``path`` and extract it; raises ``SaidaoError`` for bad input."""
    return extract_document(read(path, settings), kind)

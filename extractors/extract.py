"""A read ``Document`` in, the contract's JSON out: classify, then the kind's extractor.

Reading a file is ingest's job: ``saidao.ingest.extract.extract_file`` reads and
then calls :func:`extract_document` (extraction never imports ingest).
"""

from __future__ import annotations

from typing import Any

from saidao.document import Document
from saidao.extractors.classify import classify
from saidao.extractors.declaration import extract_declaration


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

"""``extract_policy``: a policy Document in, the contract's policy JSON out.

Tags (units, amounts, zones, industries, beneficiaries) are filled by a later
tagging step; here they are empty lists so the shape is already the contract's.
"""

from __future__ import annotations

import re
from typing import Any

from saidao.document import Document
from saidao.extractors.clauses import Part, document_paras, split_document, unique_ids
from saidao.extractors.policy_meta import extract_meta, front_matter

TAG_KEYS = ("lead_units", "responsible_units", "amounts", "zones", "industries", "beneficiaries")


def _source(doc: Document) -> dict[str, Any]:
    return {"path": doc.path, "sha256": doc.sha256, "format": doc.format,
            "pages": len(doc.pages), "ocr_pages": doc.ocr_pages}


def _cited(titles: list[str], parts: list[Part]) -> list[str]:
    """Cited titles without the document's own attachments (the plan a notice issues)."""
    own = {p.title for p in parts if p.title}
    return [t for t in titles if re.sub(r"\s+", "", t) not in own]


def extract_policy(doc: Document) -> dict[str, Any]:
    """Metadata and clauses of a policy document (see ``clauses`` for the splitting rules)."""
    paras = document_paras(doc)
    texts = [p.text for p in paras if not p.is_table]
    meta = extract_meta(texts)
    front = set(front_matter([t for t in texts if t.strip()]))
    split = split_document(paras)
    id_prefix = (doc.sha256 or doc.path)[:16]
    clauses = []
    for clause in split.clauses:
        item = clause.to_dict(id_prefix)
        item.update({key: [] for key in TAG_KEYS})
        clauses.append(item)
    return {
        "kind": "policy",
        "source": _source(doc),
        "title": meta.title,
        "doc_number": meta.doc_number,
        "issuer": meta.issuer,
        "date": meta.date,
        "date_written": meta.date_written,
        "date_issued": meta.date_issued,
        "level": meta.level,
        "jurisdiction": meta.jurisdiction,
        "references": meta.references,
        "cited_titles": _cited(meta.cited_titles, split.parts),
        "preamble": "\n".join(p.text for p in split.preamble if p.text.strip() not in front),
        "attachments": [{"label": p.label, "title": p.title, "form": p.is_form}
                        for p in split.parts[1:]],
        "clauses": unique_ids(clauses),
    }

"""``extract_policy``: a policy Document in, the contract's policy JSON out.

Each clause gets its tags (units, amounts, zones, industries, beneficiaries,
years, targets) from ``saidao.extractors.tagging``.
"""

from __future__ import annotations

import re
from typing import Any

from saidao.document import Document
from saidao.extractors.clauses import Part, document_paras, split_document, unique_ids
from saidao.extractors.policy_meta import extract_meta, front_matter
from saidao.extractors.tagging import tag_clauses

TAG_KEYS = ("lead_units", "responsible_units", "amounts", "zones", "industries", "beneficiaries")


def _cited(titles: list[str], parts: list[Part]) -> list[str]:
    """Cited titles without the document's own attachments (the plan a notice issues)."""
    own = {p.title for p in parts if p.title}
    return [t for t in titles if re.sub(r"\s+", "", t) not in own]


def extract_policy(doc: Document) -> dict[str, Any]:
    """Metadata and clauses of a policy document (see ``clauses`` for the splitting rules).

    The ``source`` block is ``extract.source_block``'s, added by ``extract_document``.
    """
    paras = document_paras(doc)
    texts = [p.text for p in paras if not p.is_table]
    meta = extract_meta(texts)
    front = set(front_matter([t for t in texts if t.strip()]))
    split = split_document(paras)
    id_prefix = (doc.sha256 or doc.path)[:16]
    clauses = [clause.to_dict(id_prefix) for clause in split.clauses]
    tags = tag_clauses((c["text"], c.get("heading") or "") for c in clauses)
    for item, tagged in zip(clauses, tags, strict=True):
        item.update({key: [] for key in TAG_KEYS})
        item.update(tagged)
    return {
        "kind": "policy",
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

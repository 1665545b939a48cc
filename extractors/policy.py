"""``extract_policy``: a policy Document in, the contract's policy JSON out.

Steps: repaired paragraphs (``clauses.document_paras``); page chrome and the
政府信息公开 block set aside (``portal``); metadata from the block, else the
公文 layout (``policy_meta``); parts and clauses (``clauses``); validity
(``validity``); tags per clause (``tagging``); and problems a person must look
at (no clauses, a gap in a numbering sequence, no title), each with its page.
"""

from __future__ import annotations

import re
from typing import Any

from saidao.document import Document
from saidao.extractors.clauses import Part, Split, document_paras, split_document, unique_ids
from saidao.extractors.policy_meta import extract_meta, front_matter
from saidao.extractors.portal import separate
from saidao.extractors.tagging import tag_clauses
from saidao.extractors.validity import read_validity

TAG_KEYS = ("lead_units", "responsible_units", "amounts", "zones", "industries", "beneficiaries")
_LEAD_COLUMN = re.compile(r"牵头")
_RESPONSIBLE_COLUMN = re.compile(r"责任|配合|实施|主责")


def _cited(titles: list[str], parts: list[Part]) -> list[str]:
    """Cited titles without the document's own attachments (the plan a notice issues)."""
    own = {p.title for p in parts if p.title}
    return [t for t in titles if re.sub(r"\s+", "", t) not in own]


def _column_units(item: dict[str, Any]) -> None:
    """A 清单 row's 牵头单位 / 责任单位 columns are its units."""
    for header, value in (item.get("columns") or {}).items():
        units = [u for u in re.split(r"[、，,；;\s]+", value) if u]
        if _LEAD_COLUMN.search(header):
            item["lead_units"] = list(dict.fromkeys([*item["lead_units"], *units]))
        elif _RESPONSIBLE_COLUMN.search(header) and ("单位" in header or "部门" in header):
            item["responsible_units"] = list(dict.fromkeys([*item["responsible_units"], *units]))


def extract_policy(doc: Document) -> dict[str, Any]:
    """Metadata and clauses of a policy document (see ``clauses`` for the splitting rules).

    The ``source`` block is ``extract.source_block``'s, added by ``extract_document``.
    """
    all_paras = document_paras(doc)
    page = separate([p.text for p in all_paras])
    paras = [all_paras[i] for i in page.kept]
    texts = [p.text for p in paras if not p.is_table]
    meta = extract_meta(texts, page.info)
    front = set(front_matter([t for t in texts if t.strip()]))
    split = split_document(paras)
    id_prefix = (doc.sha256 or doc.path)[:16]
    clauses = [clause.to_dict(id_prefix) for clause in split.clauses]
    tags = tag_clauses((c["text"], c.get("heading") or "") for c in clauses)
    for item, tagged in zip(clauses, tags, strict=True):
        item.update({key: [] for key in TAG_KEYS})
        item.update(tagged)
        _column_units(item)
    validity = read_validity(texts, date=meta.date, date_issued=meta.date_issued,
                             date_published=meta.date_published, info=page.info)
    return {
        "kind": "policy",
        "title": meta.title,
        "doc_number": meta.doc_number,
        "issuer": meta.issuer,
        "issuers": meta.issuers,
        "date": meta.date,
        "date_written": meta.date_written,
        "date_issued": meta.date_issued,
        "date_published": meta.date_published,
        "level": meta.level,
        "jurisdiction": meta.jurisdiction,
        "references": meta.references,
        "cited_titles": _cited(meta.cited_titles, split.parts),
        "preamble": "\n".join(p.text for p in split.preamble if p.text.strip() not in front),
        "attachments": [{"label": p.label, "title": p.title, "form": p.is_form}
                        for p in split.parts[1:]],
        "clauses": unique_ids(clauses),
        "in_force": validity.to_dict(),
        "chrome": page.chrome,
        "info": dict(page.info.fields),
        "meta_sources": meta.sources,
        "problems": policy_problems(meta.title, split, paras),
    }


# --------------------------------------------------------------------------- problems
def _page(clause_or_para: Any) -> int | None:
    sources = getattr(clause_or_para, "sources", None) or []
    return next((s.page for s in sources if s.page is not None), None)


def _where(page: int | None) -> str:
    return f"（第{page}页）" if page else ""


def policy_problems(title: str | None, split: Split, paras: list[Any]) -> list[dict[str, Any]]:
    """What staff must look at: no clauses, numbering gaps, no title (Chinese messages)."""
    problems: list[dict[str, Any]] = []
    first_page = _page(paras[0]) if paras else None
    if not title:
        problems.append({"field": "title", "code": "policy_no_title", "page": first_page,
                         "message": f"未找到政策文件的标题{_where(first_page) or '（文件开头）'}，请人工核对"})
    if not split.clauses:
        problems.append({"field": "clauses", "code": "policy_no_clauses", "page": first_page,
                         "message": "作为政策文件导入，但未识别出任何条款：请核对文件内容或编号格式"})
    for gap in split.gaps:
        page = _page(gap)
        problems.append({"field": f"clauses[{gap.after}]", "code": "policy_numbering_gap", "page": page,
                         "message": f"条款编号不连续：{gap.before}之后是{gap.after}{_where(page)}，"
                                    "可能漏读了条款，请核对原件"})
    return problems

"""How a clause is named to staff: its number after its ancestors', after the document.

A clause dict (the contract's hit, link or clause) holds ``path``, the numbers of the
clauses it sits in, and ``number``, its own; a number alone repeats across a document
(every chapter has a （一）), so a clause is always shown with its ancestors.

>>> clause_label({"path": ["二"], "number": "（三）"})
'二（三）'
>>> cite({"doc_number": "内政发〔2021〕13号", "path": ["二"], "number": "（三）"})
'内政发〔2021〕13号 二（三）'
"""

from __future__ import annotations

from typing import Any


def clause_label(clause: dict[str, Any]) -> str:
    """``path`` then ``number``: 二（三）, 第七章第三节3. A path already joined with
    ``/`` (as some pages hold it) is read the same."""
    path = clause.get("path") or []
    if isinstance(path, str):
        path = [part for part in path.split("/") if part]
    return "".join(path) + (clause.get("number") or "")


def cite(clause: dict[str, Any]) -> str:
    """How staff cite a clause: 文号 (or the title) and the clause."""
    doc = clause.get("doc_number") or clause.get("title") or clause.get("policy_id")
    return f"{doc} {clause_label(clause)}"

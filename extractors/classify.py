"""Tell a declaration from a policy by what the document says, not by its name."""

from __future__ import annotations

from saidao.document import Document

# Labels only the declaration form carries; a policy that quotes the form's
# title (seed 000 does) has none of its table labels.
_DECLARATION_MARKS = ("统一信用代码", "统一社会信用代码", "企业名录", "所属方向", "高新区情况", "创新平台名录")
_POLICY_MARKS = ("号", "意见", "方案", "通知", "规划", "办法", "措施", "责任单位", "牵头单位")


def classify(doc: Document) -> str:
    """``declaration``, ``policy`` or ``other``."""
    text = doc.text
    compact = "".join(text.split())
    declaration_hits = sum(mark in compact for mark in _DECLARATION_MARKS)
    if declaration_hits >= 3 and any(t for t in doc.tables):
        return "declaration"
    if sum(mark in compact for mark in _POLICY_MARKS) >= 2 and len(compact) > 200:
        return "policy"
    if declaration_hits >= 3:
        return "declaration"
    return "other"

"""Tell a declaration from a policy by what the document says, not by its name.

A filled declaration carries the form's table labels *and* firms in its firm
table (names, 18-character credit codes). A policy may quote the empty form —
seed 000 issues it as an attachment — so the labels alone do not make a
declaration; the filled rows do.
"""

from __future__ import annotations

import re

from saidao.document import Document

_DECLARATION_MARKS = ("统一信用代码", "统一社会信用代码", "企业名录", "所属方向", "高新区情况", "创新平台名录")
_POLICY_MARKS = ("号", "意见", "方案", "通知", "规划", "办法", "措施", "责任单位", "牵头单位")
_CODE_LIKE = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{18}(?![0-9A-Z])")
_FIRM_NAME = re.compile(r"(公司|集团|研究院|合作社|中心|厂)\s*$")


def filled_firm_rows(doc: Document) -> int:
    """Table cells that hold a credit code or a firm's name: the mark of a filled form."""
    count = 0
    for table in doc.tables:
        for cell in table.cells:
            text = re.sub(r"\s", "", cell.text).upper()
            if _CODE_LIKE.search(text) or (len(text) <= 60 and _FIRM_NAME.search(text)):
                count += 1
    return count


def classify(doc: Document) -> str:
    """``declaration``, ``policy`` or ``other``."""
    compact = "".join(doc.text.split())
    declaration_hits = sum(mark in compact for mark in _DECLARATION_MARKS)
    policy_hits = sum(mark in compact for mark in _POLICY_MARKS)
    if declaration_hits >= 3 and filled_firm_rows(doc) >= 1:
        return "declaration"
    if policy_hits >= 2 and len(compact) > 200:
        return "policy"
    if declaration_hits >= 3:
        return "declaration"
    return "other"

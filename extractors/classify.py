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


#: What names a short policy (a 批复, a one-page 规定) that the marks above may miss.
_POLICY_KINDS = re.compile(r"(意见|方案|通知|规划|办法|措施|规定|条例|细则|批复|决定|政策|清单|规则|计划|决议)")
_UNIT_START = re.compile(r"(?:^|(?<=[。；：;:]))\s*(?:第\s*[一二三四五六七八九十百零〇\d\s]{1,6}\s*条|"
                         r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、](?!\d)|"
                         r"\d{1,3}\t|[①-⒇])", re.MULTILINE)


def numbered_units(doc: Document) -> int:
    """Numbered units opened at a line start or after a sentence (第X条, 一、, （一）, 1., ①,
    a 清单 row): the shape of a policy."""
    return sum(1 for _ in _UNIT_START.finditer(doc.text))


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
    if _POLICY_KINDS.search(compact[:400]) and numbered_units(doc) >= 2 and len(compact) > 60:
        return "policy"  # a short policy: says what it is near the top and numbers its units
    return "other"

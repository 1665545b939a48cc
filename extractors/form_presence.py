"""Is this file the declaration form at all? The form's own labels and tables, counted.

``--kind declaration`` skips the classifier, so a policy, a letter or a blank page
forced as a declaration used to become an empty track full of "blank" problems.
Whether a document is the form is decided here by what the form itself prints,
never by the file's name: its distinctive labels (新赛道名称, 所属方向, 高新区情况,
新赛道培育的举措及成效) and the header rows of its two listings (企业名录: 企业名称 +
统一信用代码; 创新平台名录: 平台名称 + 级别 or 依托单位), looked up in the form's one
vocabulary (``form_labels``) as the extractor reads them, plus one glyph OCR got
wrong (``ocr_values.one_glyph_off``: 新赛遒名称, 统一信用代玛). Labels a notice prints
as well (联系人, 联系电话, 申报时间, 高新区, 地址) count for nothing alone.

A listing counts only with a firm or platform in it, and a form found with every box
empty is told by :func:`nothing_filled`. The opposite mistake, ``--kind policy``
forced on a filled form, is told by :func:`filled_form` (the form's parts and its
filled firm rows) with none of a policy's own marks (发文字号, 发文机关):
``extractors.extract.refuse_form_as_policy``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

from saidao.document import CHECKED, Document, Paragraph
from saidao.extractors.classify import filled_firm_rows
from saidao.extractors.form_labels import (
    BASIC_LABELS,
    FIRM_COLUMNS,
    HEADER_LABELS,
    PLATFORM_COLUMNS,
    label_key,
    match_label,
)
from saidao.extractors.ocr_values import one_glyph_off

#: The form's distinctive parts -> the names staff read (in the form's order).
FORM_PARTS = {
    "track_name": "新赛道名称",
    "direction": "所属方向",
    "zone_info": "高新区情况",
    "measures": "新赛道培育的举措及成效",
    "firms": "企业名录",
    "platforms": "创新平台名录",
}
#: Basic-table labels only the form prints (a notice prints 联系人, 地址, 电话 too).
_DISTINCTIVE = ("track_name", "direction", "zone_info", "measures")
#: The header rows of the two listings: each set of columns names one.
_LISTINGS = (("firms", FIRM_COLUMNS, ({"name", "uscc"},)),
             ("platforms", PLATFORM_COLUMNS, ({"name", "level"}, {"name", "host"})))
#: The longest text before a colon (or a whole short line) read as a label.
_MAX_LABEL = 16
#: Labels of this many characters or more are matched with one glyph off.
_FUZZY_FROM = 4
_COLON = re.compile(r"[：:]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


_VOCABULARIES = (HEADER_LABELS, BASIC_LABELS, FIRM_COLUMNS, PLATFORM_COLUMNS)
#: A text longer than this is a value, never a label (the longest label is 21 characters).
_MAX_TEXT = 40


@cache
def _fuzzy_variants(which: int) -> tuple[tuple[str, str], ...]:
    """(label key, field) of each variant long enough to match with one glyph off."""
    vocabulary = _VOCABULARIES[which]
    return tuple((key, field) for field, variants in vocabulary.items() for variant in variants
                 if len(key := label_key(variant)) >= _FUZZY_FROM)


def near_label(text: str, vocabulary: dict[str, tuple[str, ...]]) -> str | None:
    """The field ``text`` labels: as the extractor matches it (``match_label``), else a
    variant of four or more characters with one glyph misread, lost or added (a scan)."""
    if not _CJK.search(text) or len(text) > _MAX_TEXT:
        return None  # every label the form prints holds Chinese (E-mail is no part here)
    return _near_label(text, next(i for i, v in enumerate(_VOCABULARIES) if v is vocabulary))


@lru_cache(maxsize=8192)
def _near_label(text: str, which: int) -> str | None:
    field = match_label(text, _VOCABULARIES[which])
    if field is not None:
        return field
    key = label_key(text)
    if len(key) < _FUZZY_FROM - 1:
        return None
    for wanted, field in _fuzzy_variants(which):
        if abs(len(wanted) - len(key)) <= 1 and one_glyph_off(key, wanted, added=True):
            return field
    return None


def _label_texts(doc: Document) -> Iterator[str]:
    """Where a label stands: every table cell, and each printed line's head before a
    colon, or the whole line when it is short (a label on a line of its own)."""
    for table in doc.tables:
        for cell in table.cells:
            yield cell.text
    for para in doc.paragraphs:
        for text in [line.text for line in para.lines] or [para.text]:
            head = _COLON.split(text, maxsplit=1)[0].strip()
            if head and len(head) <= _MAX_LABEL:
                yield head


def _listing_headers(doc: Document) -> Iterator[list[str]]:
    """The texts of a row that may head a listing: a table's first two rows, and a printed
    line split at its gaps (a scan whose table rules were not found)."""
    for table in doc.tables:
        for row in table.rows()[:2]:
            yield [cell.text for cell in row]
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            for text in [line.text for line in block.lines] or [block.text]:
                parts = text.split()
                if 2 <= len(parts) <= 10:
                    yield parts


def form_parts(doc: Document) -> list[str]:
    """The form's distinctive parts this document carries (keys of :data:`FORM_PARTS`).

    A listing counts only with a firm or platform in it (``classify.filled_firm_rows``): a
    notice's own application form (企业名称 | 统一社会信用代码 | 申请额度 …) heads a table
    like the firm listing's, but holds no firm."""
    found: set[str] = set()
    for text in _label_texts(doc):
        for vocabulary in (BASIC_LABELS, HEADER_LABELS):
            field = near_label(text, vocabulary)
            if field in _DISTINCTIVE:
                found.add(field)
    for texts in _listing_headers(doc):
        for part, vocabulary, headers in _LISTINGS:
            if part in found:
                continue
            fields = {near_label(t, vocabulary) for t in texts}
            if any(required <= fields for required in headers):
                found.add(part)
    if found & {"firms", "platforms"} and not filled_firm_rows(doc):
        found -= {"firms", "platforms"}
    return [part for part in FORM_PARTS if part in found]


def missing_parts_zh(found: list[str]) -> str:
    """The parts looked for and not found, as staff read them."""
    return "、".join(zh for part, zh in FORM_PARTS.items() if part not in found)


#: What a filled form has in it besides the track's name and long texts (which a policy
#: quoting the form, or the text after its 实施方案 heading, may fill).
_UNIT_KEYS = ("name", "address", "contact", "postcode", "department", "title", "phone",
              "mobile", "fax", "email")


def nothing_filled(result: dict[str, Any], doc: Document) -> bool:
    """A declaration read from a form with every box empty: no known zone, unit detail,
    ticked box, firm, platform or 举措及成效. The header lines, the track's name and the plan
    do not count: a policy that prints the blank form as its attachment fills them from its
    own prose (every paragraph before the form's first table is a "header line": its
    naming guidance ``新赛道名称：…``, a line starting 高新区…, 联系人：…, 申报时间：…, and the
    text after a 实施方案 heading)."""
    unit = result.get("unit") or {}
    measures = result.get("measures") or {}
    return not ((result.get("zone") or {}).get("id")
                or any(unit.get(k) for k in _UNIT_KEYS) or _ticked(doc)
                or result.get("firms") or result.get("platforms") or measures.get("text"))


def _ticked(doc: Document) -> bool:
    """A box ticked anywhere in the document (a checkbox object or the ☑ glyph)."""
    boxes = [box for table in doc.tables for cell in table.cells for box in cell.checkboxes]
    boxes += [box for para in doc.paragraphs for box in para.checkboxes]
    return any(box.checked for box in boxes) or CHECKED in doc.text


def filled_form(doc: Document) -> tuple[list[str], int]:
    """The form's parts found and the number of filled firm rows (``classify``'s count of
    cells holding a firm's name or a credit code)."""
    return form_parts(doc), filled_firm_rows(doc)

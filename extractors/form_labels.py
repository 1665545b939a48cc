"""The declaration form's vocabulary, and fuzzy matching of the labels people wrote.

Real submissions drift from the printed form: ``联 系 人``, ``邮箱`` for
``E-mail``, ``统一社会信用代码`` for ``统一信用代码``, a missing colon,
half-width brackets, an OCR'd character gone wrong. Each context (header
lines, the basic-information table, the firm table's and the platform table's
column headers) has its own small vocabulary, so a label is matched only
against the labels that can stand there.
"""

from __future__ import annotations

import re
from functools import cache

from rapidfuzz import fuzz, process

from saidao.extractors.normalize import fold_width, to_simplified
from saidao.vocab import DIRECTIONS as VOCAB_DIRECTIONS

#: field key -> label variants, per context. The first variant is the form's own.
HEADER_LABELS: dict[str, tuple[str, ...]] = {
    "track_name": ("新赛道名称", "赛道名称"),
    "zone": ("高新区(盖章)", "高新区（盖章）", "高新区盖章", "高新区", "申报单位(盖章)", "申报单位"),
    "filled_at": ("填报时间", "填报日期", "填表时间", "填表日期", "申报时间", "申报日期"),
    "contact": ("联系人及联系电话", "联系人及电话", "联系人和联系电话", "联系人、联系电话", "联系人"),
}

BASIC_LABELS: dict[str, tuple[str, ...]] = {
    "track_name": ("新赛道名称", "赛道名称"),
    "direction": ("所属方向", "方向", "赛道方向"),
    "zone_info": ("高新区情况", "高新区基本情况"),
    "name": ("单位名称", "高新区名称", "名称"),
    "address": ("通信地址", "通讯地址", "地址", "联系地址"),
    "contact": ("联系人姓名", "联系人", "姓名"),
    "postcode": ("邮编", "邮政编码"),
    "department": ("所在部门", "部门", "所在处室"),
    "title": ("职务", "职称", "职位"),
    "phone": ("固定电话", "电话", "座机", "办公电话", "联系电话"),
    "mobile": ("移动电话", "手机", "手机号码", "手机号"),
    "fax": ("传真", "传真号码"),
    "email": ("E-mail", "Email", "E-mail地址", "邮箱", "电子邮箱", "电子邮件"),
    "measures": (
        "新赛道培育的举措及成效(500字以内)", "新赛道培育的举措及成效", "培育举措及成效", "举措及成效",
    ),
}

FIRM_COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "name": ("企业名称", "企业", "单位名称", "公司名称", "企业全称"),
    "uscc": (
        "统一信用代码", "统一社会信用代码", "社会信用代码", "信用代码", "统一代码",
        "组织机构代码", "统一社会信用代码(注册号)",
    ),
}

PLATFORM_COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "name": ("平台名称", "创新平台名称", "名称"),
    "host": ("依托单位", "依托单位名称", "承建单位", "建设单位"),
    "level": ("平台级别", "级别", "平台层级"),
    "year": ("认定年度", "认定年份", "认定时间", "获批年度", "批准年度"),
    "certifier": ("认定部门", "认定单位", "批准部门", "认定机构"),
    "research": ("研究方向及重要成果", "研究方向", "主要研究方向及成果", "研究方向及成果", "重要成果"),
}

DIRECTIONS = VOCAB_DIRECTIONS  # saidao.vocab: the form's order

_NOISE = re.compile(r"[\s:：;；,，。．.、*＊_\-—–·•]+")
#: The form's length note ``（500字以内）``, also with a bracket OCR lost (``成效5 00字以内）``).
_LIMIT_NOTE = re.compile(r"[(（][^()（）]*字以内[)）]|[(（]?[\s\dOo〇零一二三四五六七八九十百千]+字以内[)）]?")
#: No label holds a digit (the length note aside): a 1 or 0 in one is OCR's l or o (E-mai1).
_LABEL_LOOKALIKES = str.maketrans({"1": "l", "0": "o", "|": "l"})


def label_key(text: str) -> str:
    """The comparable form of a label: widths folded, simplified, spaces and punctuation gone.

    >>> label_key("E-mai1"), label_key("新赛道培育的举措及成效5 00字以内）")
    ('email', '新赛道培育的举措及成效')
    """
    text = to_simplified(fold_width(text))
    text = _LIMIT_NOTE.sub("", text)
    text = text.replace("（", "(").replace("）", ")")
    return _NOISE.sub("", text).lower().translate(_LABEL_LOOKALIKES)


@cache
def _choices(vocabulary_id: int) -> list[tuple[str, str]]:
    vocabulary = _VOCABULARIES[vocabulary_id]
    pairs = [(label_key(v), key) for key, variants in vocabulary.items() for v in variants]
    return sorted(pairs, key=lambda p: -len(p[0]))  # longest first: 联系人姓名 before 联系人


@cache
def _long_choices(vocabulary_id: int) -> dict[str, str]:
    """The variants of four or more characters (the only ones matched fuzzily)."""
    return {variant: field for variant, field in _choices(vocabulary_id) if len(variant) >= 4}


_VOCABULARIES: list[dict[str, tuple[str, ...]]] = [
    HEADER_LABELS, BASIC_LABELS, FIRM_COLUMNS, PLATFORM_COLUMNS,
]


def _vocab_id(vocabulary: dict[str, tuple[str, ...]]) -> int:
    return next(i for i, v in enumerate(_VOCABULARIES) if v is vocabulary)


def match_label(text: str, vocabulary: dict[str, tuple[str, ...]], cutoff: float = 84.0) -> str | None:
    """The field a cell's or line's text labels, or None.

    Exact after normalisation first; then fuzzy, but only for labels of four
    or more characters — short ones (邮编, 职务) are too easily confused with
    values to match approximately.
    """
    key = label_key(text)
    if not key or len(key) > 40:
        return None
    choices = _choices(_vocab_id(vocabulary))
    for variant, field in choices:
        if key == variant:
            return field
    if len(key) < 4:
        return None
    long_choices = _long_choices(_vocab_id(vocabulary))
    if not long_choices:
        return None
    hit = process.extractOne(key, list(long_choices), scorer=fuzz.ratio, score_cutoff=cutoff)
    return long_choices[hit[0]] if hit else None


def split_labelled_line(text: str, vocabulary: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    """``新赛道名称：xx`` → (field, value); also without the colon and with spaced labels.

    The label is found as a prefix of the line whose key matches a variant
    (longest first), so ``联系人及联系电话`` wins over ``联系人``.
    """
    folded = fold_width(text).strip()
    head, sep, tail = folded.partition("：")
    if not sep:
        head, sep, tail = folded.partition(":")
    if sep:
        field = match_label(head, vocabulary) or _reworded_label(head, vocabulary)
        if field:
            return field, tail.strip()
    for i in range(len(folded)):
        key_so_far = label_key(folded[: i + 1])
        for variant, field in _choices(_vocab_id(vocabulary)):
            if key_so_far == variant and not _continues_label(folded[i + 1 :], variant, vocabulary):
                return field, folded[i + 1 :].lstrip(" ：:").strip()
    return None


#: The longest text before a colon still read as a (reworded) label.
_MAX_LABEL_HEAD = 12


def _reworded_label(head: str, vocabulary: dict[str, tuple[str, ...]]) -> str | None:
    """The field of a reworded label before a colon: ``联系人/电话`` is 联系人's label.

    Everything before the colon of a labelled line is the label's own words, so
    they never become part of the value. Only when that text starts with a known
    label, is short and holds no digit (a value, e.g. a date, holds digits).
    """
    head = head.strip()
    if not head or len(head) > _MAX_LABEL_HEAD or any(ch.isdigit() for ch in head):
        return None
    key = label_key(head)
    for variant, field in _choices(_vocab_id(vocabulary)):
        if key.startswith(variant):
            return field
    return None


def _continues_label(rest: str, variant: str, vocabulary: dict[str, tuple[str, ...]]) -> bool:
    """Whether a longer variant also starts here (联系人 inside 联系人及联系电话)."""
    rest_key = label_key(rest[:12])
    return any(
        longer.startswith(variant) and len(longer) > len(variant) and (variant + rest_key).startswith(longer)
        for longer, _ in _choices(_vocab_id(vocabulary))
    )


def match_direction(text: str) -> str | None:
    """One of the three directions from a box's label (OCR-tolerant)."""
    key = label_key(text)
    if not key:
        return None
    for direction in DIRECTIONS:
        if direction in key:
            return direction
    hit = process.extractOne(key, DIRECTIONS, scorer=fuzz.partial_ratio, score_cutoff=75)
    return hit[0] if hit else None

"""Every Chinese label and enumeration a person reads, in one flat module.

The index stores short English codes (``national``, ``existing``, ``uscc`` …)
because they are stable keys for programs; staff read the labels below. Each
constant is a plain dict named ``<THING>_LABELS`` so the pages, the CLI and the
exports show one word for one thing. :func:`label` falls back to the code only
for a value no table knows (a newer index, an edited registry).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The time zone times are shown in; ``SAIDAO_TZ`` (an IANA name) overrides it.
TZ_ENV = "SAIDAO_TZ"
DEFAULT_TZ = "Asia/Shanghai"

#: Policy and zone levels.
LEVEL_LABELS = {"national": "国家级", "region": "自治区级", "city": "盟市级", "county": "旗县区级",
                "zone": "高新区级"}
#: Zone registry status.
ZONE_STATUS_LABELS = {"existing": "已设立", "planned": "拟创建", "not_htz": "非高新区"}
#: What a file was read as.
DOC_KIND_LABELS = {"declaration": "申报表", "policy": "政策文件", "other": "其他"}
#: An import's outcome per file.
OUTCOME_LABELS = {"imported": "已导入", "unchanged": "未变（已导入过）", "superseded": "已被新版本取代",
                  "failed": "失败", "unsupported": "不支持", "skipped": "已跳过"}
#: How a credit code was repaired (``extractors.uscc``'s ``fix``).
FIX_LABELS = {"confusable": "形近字符", "substitution": "单字符替换", "transposition": "相邻字符互换",
              "width": "全角字符", "length": "增删一位"}
#: The unit (申报单位) fields of a declaration.
UNIT_LABELS = {"name": "单位名称", "address": "通讯地址", "contact": "联系人", "postcode": "邮编",
               "department": "部门", "title": "职务", "phone": "电话", "mobile": "手机",
               "fax": "传真", "email": "电子邮箱"}
#: Kinds of review item (待核).
REVIEW_KIND_LABELS = {"uscc": "信用代码", "track": "赛道分类", "blank": "缺填", "over_limit": "超字数",
                      "other": "其他"}
#: Top-level declaration fields named in problems.
FIELD_LABELS = {"attestation": "真实性声明", "attestation.date": "真实性声明的日期",
                "attestation.sealed": "真实性声明的公章", "basic": "基本情况表",
                "filled_at": "填报时间", "firms": "企业名录", "track.direction": "所属方向",
                "track_name": "新赛道名称", "zone": "高新区名称",
                "measures": "新赛道培育的举措及成效", "plan": "新赛道培育实施方案"}
#: Firm-row fields (``firms[i].<key>``).
FIRM_FIELD_LABELS = {"uscc": "信用代码", "name": "名称", "role": "类型"}
#: Clause tag types (``clause_tags.tag_type``).
TAG_LABELS = {"amount": "金额", "beneficiary": "支持对象", "industry": "产业", "lead_unit": "牵头单位",
              "responsible_unit": "责任单位", "target": "目标", "year": "年份", "zone": "高新区"}
#: Review decisions.
DECISION_LABELS = {"accept": "确认更正", "settle": "不更正，标记已核"}
#: Reasons a duplicate group was formed (``index.dupes``).
DUPE_REASON_LABELS = {"uscc": "信用代码相同", "name": "名称相同", "similar": "名称相近"}

_FIELD = re.compile(r"^(firms|platforms)\[(\d+)\](?:\.(\w+))?$")
_UNIT = re.compile(r"^unit\.(\w+)$")


def label(table: dict[str, str], code: Any) -> str:
    """``table[code]``, or the code itself when no label is known (never empty for a value)."""
    if code is None:
        return ""
    return table.get(str(code), str(code))


def field_label(field: str | None) -> str:
    """A problem's field as staff name it: ``firms[2].uscc`` → 第3行企业的信用代码.

    Rows are counted from 1, as the form's own 序号 column counts them.
    """
    field = field or ""
    m = _FIELD.match(field)
    if m:
        what, n, key = m.group(1), int(m.group(2)) + 1, m.group(3)
        if what == "firms":
            return f"第{n}行企业" + (f"的{FIRM_FIELD_LABELS.get(key, key)}" if key else "")
        return f"第{n}个平台" + ("的认定年度" if key == "year" else "")
    m = _UNIT.match(field)
    if m:
        return "申报单位的" + UNIT_LABELS.get(m.group(1), m.group(1))
    return FIELD_LABELS.get(field, field)


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def local_time(stamp: str | None, with_seconds: bool = False) -> str:
    """A stored UTC timestamp (ISO 8601) as staff read it: local time (``SAIDAO_TZ``,
    default Asia/Shanghai), ``2026-12-07 14:11``; text that is not a timestamp unchanged."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is None:
        return str(stamp)  # a date as written on a form: no zone to convert from
    local = moment.astimezone(_zone(os.environ.get(TZ_ENV) or DEFAULT_TZ))
    return local.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")

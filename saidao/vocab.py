"""Every Chinese label and enumeration shown to staff, defined once.

A flat module of dict constants named ``<THING>_LABELS`` (stored value →
what staff read) and tiny lookups; it imports nothing, so every layer (the
extractors, the index, the CLI, the web pages) may use it. The values stored in
the index, the JSON contract and the CLI options stay English identifiers; only
what a person reads comes from here.

Choices made where copies had drifted apart (issue 15):

- ``superseded`` is **已更新** (a new version of a file replaced the older one;
  the older is kept as history): it was 已更新 in the CLI, 新版本 on the web
  and 新版本（旧版本保留） in Excel.
- Levels carry 级: 国家级 / 自治区级 / 盟市级 / 旗县区级 (旗县区, as the region's
  own documents name the county level; it was 旗县 in the CLI).
- Directions in the order the declaration form prints them.
- Unit fields by the form's own labels (通信地址, not 通讯地址).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: What happened to a file in an import run (``import_log.outcome``); the keys are the
#: counts of ``saidao ingest --json``.
OUTCOME_LABELS = {
    "imported": "已导入",
    "unchanged": "未变",
    "superseded": "已更新",
    "failed": "失败",
    "skipped": "跳过（不是文档）",
    "pending_ocr": "待识别（未做文字识别）",
    "duplicate": "副本（同批次另一文件）",
    "reread": "已重新读取",
}
#: A web upload's outcome: a run's, or refused before the run.
UPLOAD_OUTCOME_LABELS = {**OUTCOME_LABELS, "unsupported": "不支持"}
#: What a dry run says would happen to each file (``saidao ingest --dry-run``).
DRY_OUTCOME_LABELS = {
    "new": "新文件",
    "retry": "重试（上次失败或待识别）",
    "unchanged": "未变",
    "would_supersede": "将更新旧版本",
    "unsupported": "不支持/无法读取",
    "skip": "跳过（不是文档）",
    "copy": "副本（同批次另一文件）",
    "reread": "将重新读取",
}
#: A policy's level (``policies.level``) and a zone's level.
LEVEL_LABELS = {
    "national": "国家级",
    "region": "自治区级",
    "city": "盟市级",
    "county": "旗县区级",
    "zone": "高新区",
}
#: The three directions of a new track, in the declaration form's order.
DIRECTIONS = ("传统产业转型升级", "新兴产业延伸", "未来产业验证熟化")
#: The unit block of the form (高新区情况): JSON key → the form's label.
UNIT_FIELD_LABELS = {
    "name": "单位名称",
    "address": "通信地址",
    "contact": "联系人姓名",
    "postcode": "邮编",
    "department": "所在部门",
    "title": "职务",
    "phone": "固定电话",
    "mobile": "移动电话",
    "fax": "传真",
    "email": "E-mail",
}
#: File formats the pipeline reads (``ingest.detect.FORMATS``).
FORMAT_LABELS = {
    "pdf": "PDF",
    "docx": "Word 文档（.docx）",
    "doc": "旧版 Word 文档（.doc/.wps）",
    "rtf": "RTF 文档",
    "image": "图片",
    "txt": "纯文本",
    "zip": "压缩包",
}
#: A zone registry row's status (``corpus.zones.STATUSES``).
ZONE_STATUS_LABELS = {
    "existing": "已设立",
    "planned": "规划中",
    "not_htz": "非高新区",
}
#: What a file was classified as (``files.kind``).
KIND_LABELS = {
    "declaration": "申报表",
    "policy": "政策文件",
    "other": "其他",
}
#: How a credit code was repaired (``uscc.check().fix``).
USCC_FIX_LABELS = {
    "confusable": "形近字符",
    "substitution": "单字符替换",
    "transposition": "相邻字符互换",
    "width": "全角字符",
    "length": "增删一位",
}


#: The time zone times are shown in; ``SAIDAO_TZ`` (an IANA name) overrides it.
TZ_ENV = "SAIDAO_TZ"
DEFAULT_TZ = "Asia/Shanghai"
#: Names the pages' code used for the tables above (one table each, two names).
DOC_KIND_LABELS = KIND_LABELS
FIX_LABELS = USCC_FIX_LABELS
UNIT_LABELS = UNIT_FIELD_LABELS
#: Kinds of review item (待核).
REVIEW_KIND_LABELS = {"uscc": "信用代码", "track": "赛道分类", "blank": "缺填", "over_limit": "超字数",
                      "other": "其他"}
#: Top-level declaration fields named in problems.
FIELD_LABELS = {"attestation": "真实性声明", "attestation.date": "真实性声明的日期",
                "attestation.sealed": "真实性声明的公章", "basic": "基本情况表",
                "filled_at": "填报时间", "firms": "企业名录", "track.direction": "所属方向",
                "track_name": "新赛道名称", "zone": "高新区名称",
                "measures": "新赛道培育的举措及成效", "plan": "新赛道培育实施方案",
                "content": "文件内容"}
#: Firm-row fields (``firms[i].<key>``).
FIRM_FIELD_LABELS = {"uscc": "信用代码", "name": "名称", "role": "类型"}
#: Clause tag types (``clause_tags.tag_type``).
TAG_LABELS = {"amount": "金额", "beneficiary": "支持对象", "industry": "产业", "lead_unit": "牵头单位",
              "responsible_unit": "责任单位", "target": "目标", "year": "年份", "zone": "高新区"}
#: Review decisions.
DECISION_LABELS = {"accept": "确认更正", "settle": "不更正，标记已核"}
#: Reasons a duplicate group was formed (``index.dupes``).
DUPE_REASON_LABELS = {"uscc": "信用代码相同", "name": "名称相同", "similar": "名称相近"}
#: A staff decision on a duplicate-firm group (``dupe_decisions.kind``), and its state once
#: the rows it names were replaced (``index.dupe_follow.decision_states``).
DUPE_DECISION_LABELS = {"confirm": "确认为同一企业", "split": "拆分"}
DUPE_DECISION_STATE_LABELS = {"valid": "有效", "partial": "部分企业行已不存在",
                              "gone": "涉及的企业行均已不存在"}

_FIELD = re.compile(r"^(firms|platforms)\[(\d+)\](?:\.(\w+))?$")
_UNIT = re.compile(r"^unit\.(\w+)$")


_FIELD = re.compile(r"^(firms|platforms)\[(\d+)\](?:\.(\w+))?$")
_UNIT = re.compile(r"^unit\.(\w+)$")


def label(labels: dict[str, str], value: str | None, default: str = "") -> str:
    """The Chinese label of ``value`` in ``labels``; an unknown value as it is, None as ``default``.

    >>> label(LEVEL_LABELS, "county"), label(OUTCOME_LABELS, "superseded")
    ('旗县区级', '已更新')
    >>> label(LEVEL_LABELS, "galaxy"), label(LEVEL_LABELS, None, "—")
    ('galaxy', '—')
    """
    if value is None or value == "":
        return default
    return labels.get(str(value), str(value))


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
        return "申报单位的" + UNIT_FIELD_LABELS.get(m.group(1), m.group(1))
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

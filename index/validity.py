"""Whether a stored policy — and so each of its clauses — is in force on a given day.

Each policy row keeps the period its own text and page state (schema v7:
``in_force_from``, ``in_force_until``, ``validity_status``, and ``validity``
with the phrases read and what it repeals; ``extractors.validity``). What
repeals it is only known across documents: a later policy whose ``repeals``
names this one by 文号 (or by title) ends it the day before the later one
takes effect. :func:`periods` works that out for every current policy;
:func:`annotate` puts the answer on search hits and zone clauses
(``in_force``: from, until, repealed_by, status, basis) and :func:`keep_in_force`
leaves out what does not apply on a day, counting why.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from saidao.index.store import Index

#: Why a clause was left out, for the summary line (Chinese for staff).
REASON_ZH = {"repealed": "已废止", "expired": "已失效", "not_yet": "尚未施行"}


@dataclass(slots=True)
class Period:
    """A policy's in-force period after every stored document has had its say."""

    policy_id: str
    valid_from: str | None = None
    valid_until: str | None = None
    status: str = "unknown"  # the page's or text's own word: in_force | expired | repealed | unknown
    basis: list[str] = field(default_factory=list)
    repealed_by: dict[str, Any] | None = None  # {policy_id, title, doc_number, from}

    def state_on(self, day: str) -> str:
        """``in_force``, ``repealed``, ``expired`` or ``not_yet`` on ISO ``day``."""
        if self.repealed_by and (self.repealed_by.get("from") or "") <= day:
            return "repealed"
        if self.valid_from and day < self.valid_from:
            return "not_yet"
        if self.valid_until and day > self.valid_until:
            return "repealed" if self.status == "repealed" else "expired"
        if self.status in ("expired", "repealed") and not self.valid_until:
            return self.status  # the portal says so and gives no date: not in force
        return "in_force"

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.valid_from, "until": self.valid_until,
                "repealed_by": self.repealed_by, "status": self.status, "basis": list(self.basis)}


def _key(text: str | None) -> str:
    return re.sub(r"[\s《》〈〉]", "", text or "")


def _day_before(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


def periods(index: Index) -> dict[str, Period]:
    """Every current policy's period, repeals by other current policies applied."""
    rows = list(index.db.query(
        "SELECT p.policy_id, p.title, p.doc_number, p.date, p.in_force_from, p.in_force_until, "
        "p.validity_status, p.validity FROM current_policies p"))
    out: dict[str, Period] = {}
    by_number: dict[str, str] = {}
    by_title: dict[str, str] = {}
    for r in rows:
        extra = json.loads(r["validity"] or "{}")
        out[r["policy_id"]] = Period(r["policy_id"], r["in_force_from"], r["in_force_until"],
                                     r["validity_status"] or "unknown", extra.get("basis") or [])
        if r["doc_number"]:
            by_number[r["doc_number"]] = r["policy_id"]
        if r["title"]:
            by_title[_key(r["title"])] = r["policy_id"]
    for r in rows:
        repeals = (json.loads(r["validity"] or "{}")).get("repeals") or []
        starts = r["in_force_from"] or r["date"]
        for target in repeals:
            pid = by_number.get(target.get("doc_number") or "") or by_title.get(_key(target.get("title")))
            if pid is None or pid == r["policy_id"]:
                continue
            old = out[pid]
            old.repealed_by = {"policy_id": r["policy_id"], "title": r["title"],
                               "doc_number": r["doc_number"], "from": starts}
            if starts and (old.valid_until is None or _day_before(starts) < old.valid_until):
                old.valid_until = _day_before(starts)
    return out


def annotate(index: Index, items: Iterable[dict[str, Any]], on: str | None = None) -> None:
    """Add ``in_force`` (the period, and ``state`` on ``on``, default today) to hits/clauses."""
    day = on or dt.date.today().isoformat()
    known = periods(index)
    for item in items:
        period = known.get(item.get("policy_id") or "")
        if period is None:
            continue
        item["in_force"] = {**period.to_dict(), "on": day, "state": period.state_on(day)}


def keep_in_force(index: Index, items: list[dict[str, Any]],
                  on: str | None = None) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The items in force on ``on`` (annotated), and how many were left out, by reason."""
    annotate(index, items, on)
    kept, left = [], Counter()
    for item in items:
        state = (item.get("in_force") or {}).get("state", "in_force")
        if state == "in_force":
            kept.append(item)
        else:
            left[state] += 1
    return kept, left


def zone_in_force(index: Index, result: dict[str, Any], on: str | None = None) -> Counter[str]:
    """Filter a ``clauses_for_zone`` result in place; the counts of clauses left out."""
    left: Counter[str] = Counter()
    policies = []
    for group in result.get("policies", []):
        for clause in group["clauses"]:
            clause.setdefault("policy_id", group["policy_id"])
        group["clauses"], dropped = keep_in_force(index, group["clauses"], on)
        left.update(dropped)
        if group["clauses"]:
            group["in_force"] = group["clauses"][0]["in_force"]
            policies.append(group)
    result["policies"] = policies
    result["left_out"] = dict(left)
    result["on"] = on or dt.date.today().isoformat()
    return left


def left_out_zh(left: Counter[str] | dict[str, int]) -> str:
    """「已略去 3 条（已废止 2 条，尚未施行 1 条）」, or "" when nothing was left out."""
    total = sum(left.values())
    if not total:
        return ""
    parts = "，".join(f"{REASON_ZH.get(k, k)} {n} 条" for k, n in sorted(left.items()))
    return f"已略去 {total} 条（{parts}）"


def describe_zh(period: dict[str, Any] | None) -> str:
    """One clause's period for a table cell: 「2025-06-01 起施行，至 2028-05-31；已被鄂府发〔2025〕12号废止」."""
    if not period:
        return ""
    parts = []
    if period.get("from"):
        parts.append(f"{period['from']} 起施行")
    if period.get("until"):
        parts.append(f"至 {period['until']}")
    text = "，".join(parts) or "有效期未注明"
    if rb := period.get("repealed_by"):
        text += f"；已被{rb.get('doc_number') or '《' + (rb.get('title') or '') + '》'}废止"
    elif period.get("state") == "repealed" or period.get("status") == "repealed":
        text += "；已废止"  # the portal's 有效性 says so, without naming what replaced it
    elif period.get("state") == "expired" or period.get("status") == "expired":
        text += "；已失效"
    elif period.get("state") == "not_yet":
        text += "；尚未施行"
    return text

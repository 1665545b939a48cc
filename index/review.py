"""The review queue (待核): every open problem of a current file, one item per (file, field),
with what a person needs to settle it, and the decision applied in one transaction.

The web page and ``saidao review`` both call :func:`open_items`, :func:`count_open`,
:func:`detail` and :func:`resolve`, so they show the same items and apply the same rules.

A credit-code item never pre-selects a doubtful candidate: :func:`detail` marks as
``preselect`` only the repair :func:`extractors.uscc.check` itself would apply (the unique
plausible one, clearly ahead of the rest). A message that says 候选：无合理候选, or a
candidate whose organisation-code check fails, is left for a person to choose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from saidao.extractors.uscc import DOUBT_NOTES, check
from saidao.index.db import write_transaction
from saidao.index.firm_rows import read_from
from saidao.index.overview import TRACKS, cached
from saidao.index.store import Index, now
from saidao.vocab import REVIEW_KIND_LABELS, UNIT_LABELS, field_label

_FIRM_FIELD = re.compile(r"^firms\[(\d+)\]\.uscc$")
_UNIT_FIELD = re.compile(r"^unit\.(\w+)$")
KINDS = tuple(REVIEW_KIND_LABELS)
#: Items per page on the web and in ``saidao review list``.
PAGE_SIZE = 20
#: Candidates shown per credit code.
MAX_CANDIDATES = 5
#: The region's area prefix (内蒙古): a repair inside it is more plausible.
AREA_PREFIX = "15"

_QUEUE_SQL = """
SELECT p.id, p.file_sha256, p.field, p.code, p.message, f.path, f.format,
       d.declaration_id, t.track_id, t.track_name, t.zone_id, z.name AS zone_name, d.unit_name
FROM problems p
JOIN files f ON f.sha256 = p.file_sha256 AND f.status = 'imported'
LEFT JOIN declarations d ON d.file_sha256 = p.file_sha256
LEFT JOIN tracks t ON t.declaration_id = d.declaration_id
LEFT JOIN zones z ON z.id = t.zone_id
WHERE p.status = 'open'
ORDER BY f.path, p.id
"""


class NotOpen(LookupError):
    """The item was settled meanwhile, or never existed."""

    def __init__(self) -> None:
        super().__init__("该条目已处理或不存在")


class Refused(ValueError):
    """A decision the rules refuse (an invalid credit code); the message is for staff."""


@dataclass(frozen=True)
class Page:
    """One page of items and where it sits in the whole list."""

    items: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def kind_of(field: str | None) -> str:
    """The kind of an item, from its field: uscc, track, blank, over_limit or other."""
    field = field or ""
    if _FIRM_FIELD.match(field):
        return "uscc"
    if field == "track_name":
        return "track"
    if _UNIT_FIELD.match(field):
        return "blank"
    if field in ("measures", "plan"):
        return "over_limit"
    return "other"


def _queue(index: Index) -> list[dict[str, Any]]:
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for row in index.db.query(_QUEUE_SQL):
        key = (row["file_sha256"], row["field"] or "")
        item = items.get(key)
        if item is None:
            item = items[key] = {
                **row, "kind": kind_of(row["field"]), "kind_label": REVIEW_KIND_LABELS[kind_of(row["field"])],
                "field_label": field_label(row["field"]), "problem_ids": [], "messages": [], "codes": []}
        item["problem_ids"].append(row["id"])
        item["messages"].append(row["message"])
        item["codes"].append(row["code"])
    for item in items.values():
        item["key"] = item_key(item)
    return list(items.values())


def item_key(item: dict[str, Any]) -> str:
    """A short stable name of an item for the CLI: the file's first 12 hex digits and the field."""
    return f"{item['file_sha256'][:12]}:{item['field'] or ''}"


def queue(index: Index) -> list[dict[str, Any]]:
    """Every open item, kept until the problems, files or tracks change (tens of thousands
    on a big index). Shared between callers: read-only, annotate copies."""
    return cached(index, "review_queue", lambda _db: _queue(index), (*TRACKS, "problems"))


def open_items(index: Index, *, kind: str | None = None, zones: set[str] | None = None,
               file: str | None = None, track_id: int | None = None,
               names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Open items under the filters: a kind, zone ids (any of them), a file name part
    (matched on the name a person gave, ``names``: stored path → shown name), one track."""
    items = queue(index)
    if kind:
        items = [i for i in items if i["kind"] == kind]
    if zones is not None:
        items = [i for i in items if i["zone_id"] in zones]
    if track_id is not None:
        items = [i for i in items if i["track_id"] == track_id]
    if file:
        needle = file.casefold()
        items = [i for i in items if needle in shown_path(i["path"], names or {}).casefold()]
    return items


def open_per_zone(index: Index) -> list[tuple[str, str | None, int]]:
    """Open items per zone (``zone name``, ``zone id``, count), most first; items of a
    track whose zone was not recognised, or of no track, under 未识别."""
    counts: dict[tuple[str, str | None], int] = {}
    for item in queue(index):
        key = (item["zone_name"] or "未识别", item["zone_id"])
        counts[key] = counts.get(key, 0) + 1
    return sorted(((n, z, c) for (n, z), c in counts.items()), key=lambda t: (-t[2], t[0]))


def count_open(index: Index) -> int:
    """The one count of open items (per file and field) that every page and command shows."""
    return len(queue(index))


def paged(items: list[dict[str, Any]], page: int, size: int = PAGE_SIZE) -> Page:
    """The ``page``-th (from 1) slice; a page past the end is the last page."""
    pages = max(1, -(-len(items) // size))
    page = min(max(1, page), pages)
    return Page(items[(page - 1) * size: page * size], len(items), page, pages)


def shown_path(path: str | None, names: dict[str, str]) -> str:
    """A stored upload's path shown as the user's file name (archive members too)."""
    if not path:
        return ""
    head, sep, tail = path.partition("!")
    return names.get(head, head) + sep + tail


def find(index: Index, key: str | None = None, *, sha: str | None = None,
         field: str | None = None) -> dict[str, Any]:
    """One open item by its :func:`item_key` (a unique prefix of the file's hash works) or by
    (file hash, field). Raises :class:`NotOpen`."""
    if key is not None:
        prefix, _, field = key.partition(":")
        found = [i for i in queue(index) if i["file_sha256"].startswith(prefix.lower())
                 and (i["field"] or "") == field] if prefix else []
    else:
        found = [i for i in queue(index) if i["file_sha256"] == sha and (i["field"] or "") == field]
    if len(found) != 1:
        raise NotOpen()
    return found[0]


# ---------------------------------------------------------------- what a person decides on


def firm_row(index: Index, track_id: int | None, position: int) -> dict[str, Any] | None:
    """The ``position``-th (0-based) firm row of a track, as stored."""
    if track_id is None:
        return None
    rows = list(index.db.query("SELECT * FROM firm_mentions WHERE track_id = ? ORDER BY id "
                               "LIMIT 1 OFFSET ?", [track_id, position]))
    return rows[0] if rows else None


def firm_source(index: Index, firm_id: int) -> dict[str, Any] | None:
    """Where a firm row's credit code was read: ``source`` (page and box, when known) and
    the stored file's ``path`` and ``origin``; None for no such row."""
    row = index.db.execute("SELECT track_id, source FROM firm_mentions WHERE id = ?",
                           [firm_id]).fetchone()
    read = read_from(index, row[0]) if row is not None else None
    if read is None:
        return None
    return {"source": json.loads(row[1] or "{}").get("uscc") or {},
            "path": read["path"], "origin": read["origin"]}


def differing(read: str, candidate: str) -> list[int]:
    """Positions where ``candidate`` differs from the code as read (all when lengths differ
    from the first difference on: a dropped or doubled character shifts the rest)."""
    out = [i for i, (a, b) in enumerate(zip(read, candidate, strict=False)) if a != b]
    if len(read) != len(candidate):
        start = out[0] if out else min(len(read), len(candidate))
        out = list(range(start, len(candidate)))
    return out


def code_candidates(printed: str, stored: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Repairs of a printed credit code, each with its reason, whether it is doubtful and
    the positions that differ; and the one to pre-select, or None.

    Only the repair ``check`` applies on its own is pre-selected (the unique plausible one,
    clearly ahead of the rest), and only when nothing speaks against it (no doubt note: an
    organisation-code check that fails, an unknown area code …). Every other candidate waits
    for a person's choice.
    """
    checked = check(printed or "", expected_area_prefix=AREA_PREFIX)
    read = checked.compact
    unique = checked.unique_repair  # None unless the evidence leaves exactly one repair
    supported = unique if unique and unique != read else None
    out = []
    for code, _score, why in checked.candidates[:MAX_CANDIDATES]:
        out.append({"code": code, "why": why, "doubtful": any(n in why for n in DOUBT_NOTES),
                    "diff": differing(read, code), "supported": code == supported})
    if supported and all(c["code"] != supported for c in out):
        out.insert(0, {"code": supported, "why": "唯一合理的更正", "doubtful": False,
                       "diff": differing(read, supported), "supported": True})
    if stored and stored != read and all(c["code"] != stored for c in out):
        out.insert(0, {"code": stored, "why": "导入时按已知代码更正", "doubtful": False,
                       "diff": differing(read, stored), "supported": stored == supported})
    if any(c["supported"] and c["doubtful"] for c in out):  # e.g. its area code is unknown
        for c in out:
            c["supported"] = False
        supported = None
    return out, supported


def detail(index: Index, item: dict[str, Any]) -> dict[str, Any]:
    """A copy of the item with what the decision needs: candidates (and the one to
    pre-select, ``preselect``, None unless unique and supported), the value as read, the
    target column of a correction, whether a page crop exists."""
    kind, item = item["kind"], {**item, "candidates": [], "preselect": None, "target": None}
    if kind == "uscc":
        m = _FIRM_FIELD.match(item["field"])
        firm = firm_row(index, item["track_id"], int(m.group(1))) if m else None
        if firm is None:
            return {**item, "kind": "other"}
        candidates, supported = code_candidates(firm["uscc_printed"] or "", firm["uscc"])
        source = json.loads(firm["source"] or "{}").get("uscc") or {}
        return {**item, "firm": firm, "candidates": candidates, "preselect": supported,
                "printed": firm["uscc_printed"] or "",
                "crop": bool(source.get("page") and source.get("bbox")),
                "target": ("firm_mentions", firm["id"], "uscc")}
    if kind == "track" and item["declaration_id"] is not None:
        raw = json.loads(next(index.db.query("SELECT raw FROM declarations WHERE "
                                             "declaration_id = ?", [item["declaration_id"]]))["raw"])
        track = raw.get("track") or {}
        candidates = [{"code": _track_text(c, track.get("label")), "why": c.get("scheme") or "",
                       "doubtful": False, "diff": [], "supported": False}
                      for c in track.get("candidates") or []]
        return {**item, "printed": raw.get("track_name"), "candidates": candidates,
                "target": ("tracks", item["track_id"], "track_name")}
    if kind == "blank" and item["declaration_id"] is not None:
        key = _UNIT_FIELD.match(item["field"]).group(1)  # type: ignore[union-attr]
        if key in UNIT_LABELS:
            return {**item, "label": UNIT_LABELS[key],
                    "target": ("declarations", item["declaration_id"], f"unit_{key}")}
    if kind == "over_limit" and item["declaration_id"] is not None:
        row = next(index.db.query(
            f"SELECT {item['field']}_text AS text, {item['field']}_chars AS chars FROM "
            "declarations WHERE declaration_id = ?", [item["declaration_id"]]))
        return {**item, "text": row["text"], "chars": row["chars"]}
    return item


def _track_text(candidate: dict[str, Any], label: str | None) -> str:
    codes = candidate.get("codes") or []
    names = candidate.get("class_names") or []
    parts = [f"{c} {n}" if c else n for c, n in zip(codes or [""] * len(names), names, strict=False)]
    return "/".join(parts) + (f"+[{label}]" if label else "")


# ---------------------------------------------------------------- the decision


def resolve(index: Index, item: dict[str, Any], value: str | None, *, by: str = "",
            note: str = "") -> str:
    """Apply one decision in ONE transaction: the correction (when ``value`` is given and
    the item has a target) and every problem of the item resolved, each recorded in
    ``corrections`` (the raw values stay where they are). Returns the message for staff.

    Raises :class:`Refused` for a credit code that does not verify, :class:`NotOpen` when
    the item was settled meanwhile.
    """
    full = detail(index, item)
    target = full.get("target")
    if target and target[2] not in index.db[target[0]].columns_dict:  # an older schema
        target = None
    value = (value or "").strip() or None
    if value and target and target[0] == "firm_mentions":
        checked = check(value, expected_area_prefix=AREA_PREFIX)
        if not checked.valid:
            raise Refused(f"“{value}”不是有效的统一社会信用代码")
        value = checked.uscc or value
    message = f"已更正为 {value}" if value and target else "已标记为已核"
    ids = list(item["problem_ids"])
    marks = ",".join("?" for _ in ids)
    stamp = now()
    with write_transaction(index.db):
        still = index.db.execute(f"SELECT count(*) FROM problems WHERE status = 'open' AND "
                                 f"id IN ({marks})", ids).fetchone()[0]
        if still != len(ids):
            raise NotOpen()
        rows = []
        if value and target:
            table, row_id, field = target
            raw = index.db.execute(f"SELECT {field} FROM {table} WHERE "
                                   f"{index.db[table].pks[0]} = ?", [row_id]).fetchone()
            rows.append((table, str(row_id), field, None if raw is None or raw[0] is None
                         else str(raw[0]), value, note))
        rows += [("problems", str(pid), "status", "open", "resolved", note or message) for pid in ids]
        index.db.conn.executemany(
            "INSERT INTO corrections(table_name, row_id, field, raw_value, corrected_value, "
            "corrected_by, corrected_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(t, r, f, raw, new, by, stamp, n) for t, r, f, raw, new, n in rows])
        index.db.execute(f"UPDATE problems SET status = 'resolved' WHERE id IN ({marks})", ids)
    return message

"""Eligibility of a declared track under 三、（一） of seed 000 (内科高字〔2026〕11号).

The four conditions: ≥ 5 firms in the track; ≥ 1 quality firm (高新技术企业,
专精特新"小巨人", 制造业单项冠军, (潜在)独角兽, 科技标杆企业); R&D intensity
≥ 3 % **or** ≥ 15 invention patents; revenue or head-count growth over the last
two years above the region's average. The form proves only the firm count; the
quality firms come from imported registers and the other figures from staff
(:func:`set_track_figure`, kept with who and when). Each condition is 满足,
不满足 or 未知 with its reason — unknown is never shown as failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from saidao.index.dupes import Mention
from saidao.index.overview import cached
from saidao.index.registers import (
    as_database,
    create_firm_tables,
    load_registers,
    now,
    register_matches,
)

__all__ = [
    "FIGURE_KEYS",
    "MET",
    "MIN_FIRMS",
    "MIN_PATENTS",
    "MIN_RD_INTENSITY",
    "NOT_MET",
    "QUALITY_TYPES",
    "UNKNOWN",
    "code_corrections",
    "eligibility",
    "set_track_figure",
    "track_eligibility",
    "track_figures",
    "track_mentions",
]

MET, NOT_MET, UNKNOWN = "满足", "不满足", "未知"
MIN_FIRMS = 5
MIN_RD_INTENSITY = 3.0  # percent of revenue
MIN_PATENTS = 15
#: Register types that count as a quality firm (优质企业) under 三、（一）.
QUALITY_TYPES = ("高新技术企业", "专精特新小巨人", "制造业单项冠军", "独角兽企业", "科技标杆企业")
#: Figures staff enter for a track: key -> Chinese label (rates in percent).
FIGURE_KEYS = {
    "rd_intensity": "研发投入强度（%）",
    "invention_patents": "有效发明专利数（件）",
    "revenue_growth": "近两年营业收入增长率（%）",
    "headcount_growth": "近两年从业人数增长率（%）",
    "region_avg_growth": "全区平均增长率（%）",
}


def _condition(key: str, name: str, status: str, reason: str, **values: Any) -> dict[str, Any]:
    return {"key": key, "name": name, "status": status, "reason": reason, **values}


def _distinct_firms(firms: Iterable[dict[str, Any]]) -> int:
    """Firms in the table, a row repeated (same code or same name) counted once."""
    from saidao.extractors.firm_name import name_key

    seen: set[str] = set()
    count = 0
    for firm in firms:
        keys = {k for k in (firm.get("uscc"), name_key(firm.get("name") or "")) if k}
        if keys and not keys & seen:
            count += 1
        seen |= keys
    return count


def _firm_count(track: dict[str, Any]) -> dict[str, Any]:
    firms = track.get("firms")
    n = _distinct_firms(firms) if isinstance(firms, list) else int(firms or 0)
    status = MET if n >= MIN_FIRMS else NOT_MET
    return _condition("firms", "赛道内企业不少于5家", status,
                      f"企业名录共{n}家（不同企业）", value=n)


def _quality(hits: list[dict[str, Any]], loaded: set[str] | None) -> dict[str, Any]:
    good = [h for h in hits if h.get("type") in QUALITY_TYPES]
    name = "至少1家优质企业"
    if good:
        listed = "；".join(sorted({f"{h['name']}（{h['type']}，{h['evidence']}）" for h in good}))
        return _condition("quality", name, MET, listed, firms=sorted({h["name"] for h in good}))
    quality_loaded = sorted((loaded or set()) & set(QUALITY_TYPES))
    if not quality_loaded:
        return _condition("quality", name, UNKNOWN, "尚未导入高新技术企业等认定名单", firms=[])
    return _condition("quality", name, NOT_MET,
                      f"已导入的名单（{'、'.join(quality_loaded)}）中未找到本赛道企业", firms=[])


def _rd(figures: dict[str, float]) -> dict[str, Any]:
    rd, patents = figures.get("rd_intensity"), figures.get("invention_patents")
    name = "研发投入强度不低于3%或有效发明专利不少于15件"
    parts = [f"研发投入强度{rd:g}%" if rd is not None else "研发投入强度未录入",
             f"发明专利{patents:g}件" if patents is not None else "发明专利数未录入"]
    reason = "，".join(parts)
    if (rd is not None and rd >= MIN_RD_INTENSITY) or (patents is not None and patents >= MIN_PATENTS):
        return _condition("rd", name, MET, reason)
    if rd is not None and patents is not None:
        return _condition("rd", name, NOT_MET, reason)
    return _condition("rd", name, UNKNOWN, reason)


def _growth(figures: dict[str, float]) -> dict[str, Any]:
    avg = figures.get("region_avg_growth")
    growth = {k: figures.get(k) for k in ("revenue_growth", "headcount_growth")}
    name = "近两年营业收入或从业人数增长高于全区平均水平"
    labels = {"revenue_growth": "营业收入增长", "headcount_growth": "从业人数增长"}
    parts = [f"{labels[k]}{v:g}%" for k, v in growth.items() if v is not None]
    parts.append(f"全区平均{avg:g}%" if avg is not None else "全区平均增长率未录入")
    reason = "，".join(parts)
    if avg is None:
        return _condition("growth", name, UNKNOWN, reason)
    if any(v is not None and v > avg for v in growth.values()):
        return _condition("growth", name, MET, reason)
    if all(v is not None for v in growth.values()):
        return _condition("growth", name, NOT_MET, reason)
    return _condition("growth", name, UNKNOWN, reason + "（另一项未录入）")


def eligibility(track: dict[str, Any], figures: dict[str, float],
                register_hits: Iterable[dict[str, Any]],
                registers_loaded: Iterable[str] | None = None) -> dict[str, Any]:
    """Judge one track: each condition 满足/不满足/未知 with its reason, and the whole.

    ``track`` carries ``firms`` (the firm rows, or a count); ``figures`` the
    staff figures by key; ``register_hits`` the register matches of the track's
    firms; ``registers_loaded`` the register types imported so far (an empty
    search in a loaded register is 不满足, in none 未知).
    """
    wanted = track.get("track_id")
    hits = [h for h in register_hits if wanted is None or str(h.get("track_id")) == str(wanted)]
    conditions = [
        _firm_count(track),
        _quality(hits, set(registers_loaded) if registers_loaded is not None else None),
        _rd(figures),
        _growth(figures),
    ]
    states = {c["status"] for c in conditions}
    overall = NOT_MET if NOT_MET in states else UNKNOWN if UNKNOWN in states else MET
    return {"track_id": track.get("track_id"), "status": overall, "conditions": conditions,
            "figures": figures}


# ---------------------------------------------------------------- the index


def _number(value: Any) -> float:
    """A figure as typed by staff: ``3.5``, ``3.5%``, ``１５件``."""
    if isinstance(value, int | float):
        return float(value)
    import unicodedata

    text = unicodedata.normalize("NFKC", str(value)).strip()
    found = re.fullmatch(r"\s*([-+]?\d+(?:\.\d+)?)\s*(?:%|％|件|个|项)?\s*", text)
    if found is None:
        raise ValueError(f"“{value}”不是数值")
    return float(found.group(1))


def set_track_figure(db: Any, track_id: int | str, key: str, value: Any, by: str = "") -> float:
    """Record a figure for a track (history kept; the latest counts). Returns the value."""
    if key not in FIGURE_KEYS:
        raise ValueError(f"指标“{key}”无效，可选：{'、'.join(FIGURE_KEYS)}")
    number = _number(value)
    database = as_database(db)
    create_firm_tables(database)
    with database.conn:
        database.execute(
            "INSERT INTO track_figures (track_id, key, value, entered_by, entered_at) "
            "VALUES (?, ?, ?, ?, ?)", [int(track_id), key, number, by, now()])
    return number


def track_figures(db: Any, track_id: int | str) -> dict[str, float]:
    """The latest value of every figure entered for the track."""
    database = as_database(db)
    if "track_figures" not in database.table_names():
        return {}
    rows = database.execute(
        "SELECT key, value FROM track_figures WHERE track_id = ? ORDER BY id", [int(track_id)])
    return {key: value for key, value in rows}


def code_corrections(db: Any, track_id: int | str) -> dict[int, dict[str, Any]]:
    """Staff corrections of the track's credit codes by firm row id, the latest per row
    (``corrected_value``, ``corrected_by``, ``corrected_at``)."""
    rows = as_database(db).query(
        "SELECT c.row_id, c.corrected_value, c.corrected_by, c.corrected_at FROM corrections c "
        "JOIN firm_mentions m ON c.table_name = 'firm_mentions' AND c.field = 'uscc' "
        "AND c.row_id = CAST(m.id AS TEXT) WHERE m.track_id = ? ORDER BY c.id", [int(track_id)])
    return {int(r["row_id"]): r for r in rows}


def track_mentions(db: Any, track_id: int | str) -> list[Mention]:
    """The firm rows of one track as ``dupes.Mention``, staff code corrections applied.

    Reads that track's rows only (``dupes.mentions_from_index`` reads every
    firm row of the index: hundreds of milliseconds on a big one), whatever
    its file's status, as the track's page shows them. Zone and file path are
    left empty: the eligibility rules read names and codes only.
    """
    database = as_database(db)
    fixes = code_corrections(database, track_id)
    rows = database.execute(
        "SELECT m.id, m.seq, m.name, m.name_key, m.uscc_printed, m.uscc, d.file_sha256 "
        "FROM firm_mentions m JOIN tracks t ON t.track_id = m.track_id "
        "JOIN declarations d ON d.declaration_id = t.declaration_id "
        "WHERE m.track_id = ? ORDER BY m.seq, m.id", [int(track_id)])
    return [Mention(str(track_id), int(seq or 0), name or "", printed or "",
                    (fixes.get(rid) or {}).get("corrected_value", code), sha256=sha or "",
                    name_key=key or "")
            for rid, seq, name, key, printed, code, sha in rows]


@dataclass(frozen=True)
class _Registers:
    """Every register entry, and where each can be found by code and by name key."""

    entries: list[dict[str, Any]]
    by_code: dict[str, list[int]]
    by_key: dict[str, list[int]]
    types: frozenset[str]


def _register_lookup(db: Any) -> _Registers:
    """Keyed as ``registers.register_matches`` looks entries up: compacted code, name key."""
    from saidao.extractors.firm_name import name_key
    from saidao.extractors.uscc import compact

    entries = load_registers(db)
    by_code: dict[str, list[int]] = {}
    by_key: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        if entry.get("uscc"):
            by_code.setdefault(compact(entry["uscc"]), []).append(i)
        key = entry.get("name_key") or name_key(entry.get("name") or "")
        if key:
            by_key.setdefault(key, []).append(i)
    return _Registers(entries, by_code, by_key, frozenset(e["type"] for e in entries))


def _track_registers(database: Any, mentions: list[Mention]) -> tuple[list[dict[str, Any]],
                                                                      frozenset[str]]:
    """The register entries the track's rows could match (in register order), and the
    types loaded. ``register_matches`` over them gives what it gives over every entry:
    tens of thousands of entries are read and keyed once per register import, not at
    every track page."""
    registers = cached(database, "register_lookup", _register_lookup, ("firm_registers",))
    found = {i for m in mentions
             for i in (*registers.by_code.get(m.code or "", ()), *registers.by_key.get(m.key, ()))}
    return [registers.entries[i] for i in sorted(found)], registers.types


def track_eligibility(db: Any, track_id: int | str) -> dict[str, Any]:
    """:func:`eligibility` of a track in the index: its firm rows (codes as corrected),
    the imported registers and the staff figures."""
    database = as_database(db)
    mentions = track_mentions(database, track_id)
    entries, loaded = _track_registers(database, mentions)
    firms = [{"name": m.name, "uscc": m.code} for m in mentions]
    hits = register_matches(mentions, entries)
    return eligibility({"track_id": int(track_id), "firms": firms},  # a number, as everywhere
                       track_figures(database, track_id), hits, loaded)

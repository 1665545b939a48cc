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
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from saidao.extractors.firm_name import name_key
from saidao.extractors.uscc import compact
from saidao.index.cache import cached
from saidao.index.db import IndexLike, as_database, now
from saidao.index.dupe_model import Mention
from saidao.index.firm_rows import code_fixes, mentions
from saidao.index.registers import load_registers, register_matches
from saidao.index.schema import create_firm_tables

__all__ = [
    "FIGURE_KEYS",
    "MET",
    "MIN_FIRMS",
    "MIN_PATENTS",
    "MIN_RD_INTENSITY",
    "REGION_FIGURE_KEYS",
    "checked_figure",
    "region_figure",
    "region_figures",
    "set_region_figure",
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
#: Figures of the whole region, entered once per year (``saidao region set``), not per track.
REGION_FIGURE_KEYS = {"region_avg_growth": "全区平均增长率（%）"}


@dataclass(frozen=True)
class FigureRule:
    """The range and type a figure must have; staff see it when a value is refused."""

    low: float | None
    high: float | None
    whole: bool = False  # a count: a whole number

    def describe(self) -> str:
        kind = "整数" if self.whole else "数值"
        unit = "" if self.whole else "%"
        if self.high is None:
            return f"不小于 {self.low:g}{unit} 的{kind}"
        return f"{self.low:g}{unit} 至 {self.high:g}{unit} 之间的{kind}"


#: key -> rule: R&D intensity is a share of revenue (0–100 %), patents a count, growth
#: rates cannot fall below −100 % and above 1000 % is a typing slip, not a firm.
FIGURE_RULES = {
    "rd_intensity": FigureRule(0, 100),
    "invention_patents": FigureRule(0, None, whole=True),
    "revenue_growth": FigureRule(-100, 1000),
    "headcount_growth": FigureRule(-100, 1000),
    "region_avg_growth": FigureRule(-100, 1000),
}


def checked_figure(key: str, value: Any) -> float:
    """A figure as typed, parsed and checked against its range and type (Chinese refusals)."""
    if key not in FIGURE_KEYS:
        raise ValueError(f"指标“{key}”无效，可选：{'、'.join(FIGURE_KEYS)}")
    number = _number(value)
    rule = FIGURE_RULES[key]
    out_of_range = (rule.low is not None and number < rule.low) or (
        rule.high is not None and number > rule.high)
    if out_of_range or (rule.whole and not number.is_integer()):
        raise ValueError(f"{FIGURE_KEYS[key]}“{value}”超出范围：应为{rule.describe()}")
    return number


def _condition(key: str, name: str, status: str, reason: str, **values: Any) -> dict[str, Any]:
    return {"key": key, "name": name, "status": status, "reason": reason, **values}


def _distinct_firms(firms: Iterable[dict[str, Any]]) -> int:
    """Firms in the table, a row repeated (same code or same name) counted once."""
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
    year = figures.get("region_avg_growth_year")
    where = f"全区{year:g}年平均" if year is not None else "全区平均"
    parts.append(f"{where}{avg:g}%" if avg is not None else "全区平均增长率未录入")
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
    text = unicodedata.normalize("NFKC", str(value)).strip()
    found = re.fullmatch(r"\s*([-+]?\d+(?:\.\d+)?)\s*(?:%|％|件|个|项)?\s*", text)
    if found is None:
        raise ValueError(f"“{value}”不是数值")
    return float(found.group(1))


def set_track_figure(index: IndexLike, track_id: int | str, key: str, value: Any, by: str = "") -> float:
    """Record a figure for a track (history kept; the latest counts). Returns the value.

    Raises ValueError (Chinese) for an unknown key, a value out of its range or of
    the wrong type, and for a region-wide figure (entered once, ``set_region_figure``).
    """
    if key in REGION_FIGURE_KEYS:
        raise ValueError(f"{REGION_FIGURE_KEYS[key]}是全区性指标，每年只录一次："
                         f"saidao region set {key}=数值 --year 年度")
    number = checked_figure(key, value)
    database = as_database(index)
    create_firm_tables(database)
    with database.conn:
        database.execute(
            "INSERT INTO track_figures (track_id, key, value, entered_by, entered_at) "
            "VALUES (?, ?, ?, ?, ?)", [int(track_id), key, number, by, now()])
    return number


def track_figures(index: IndexLike, track_id: int | str) -> dict[str, float]:
    """The latest value of every figure entered for the track."""
    database = as_database(index)
    if "track_figures" not in database.table_names():
        return {}
    rows = database.execute(
        "SELECT key, value FROM track_figures WHERE track_id = ? ORDER BY id", [int(track_id)])
    return {key: value for key, value in rows}


def set_region_figure(db: Any, key: str, year: int, value: Any, by: str = "") -> float:
    """Record a region-wide figure of a year (history kept; the latest counts)."""
    if key not in REGION_FIGURE_KEYS:
        raise ValueError(f"全区性指标“{key}”无效，可选：{'、'.join(REGION_FIGURE_KEYS)}")
    if not 1990 <= int(year) <= 2100:
        raise ValueError(f"年度“{year}”无效：应为 1990 至 2100 之间的整数")
    number = checked_figure(key, value)
    database = as_database(db)
    with database.conn:
        database.execute(
            "INSERT INTO region_figures (key, year, value, entered_by, entered_at) "
            "VALUES (?, ?, ?, ?, ?)", [key, int(year), number, by, now()])
    return number


def region_figures(db: Any) -> list[dict[str, Any]]:
    """The latest value of every region-wide figure by key and year."""
    database = as_database(db)
    if "region_figures" not in database.table_names():
        return []
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    for row in database.query("SELECT key, year, value, entered_by, entered_at "
                              "FROM region_figures ORDER BY id"):
        latest[(row["key"], row["year"])] = row
    return [latest[k] for k in sorted(latest)]


def region_figure(db: Any, key: str, year: int | None) -> tuple[float, int] | None:
    """A region figure for the year asked (the track's declaration year), else the latest
    year entered before it, else the latest of all; ``(value, year)`` or None."""
    rows = [r for r in region_figures(db) if r["key"] == key]
    if not rows:
        return None
    earlier = [r for r in rows if year is None or r["year"] <= year]
    pick = max(earlier or rows, key=lambda r: r["year"])
    return pick["value"], pick["year"]


def _declaration_year(database: Any, track_id: int | str) -> int | None:
    row = database.execute(
        "SELECT d.filled_at FROM tracks t JOIN declarations d "
        "ON d.declaration_id = t.declaration_id WHERE t.track_id = ?", [int(track_id)]).fetchone()
    found = re.match(r"(\d{4})", (row[0] or "") if row else "")
    return int(found.group(1)) if found else None


def code_corrections(index: IndexLike, track_id: int | str) -> dict[int, dict[str, Any]]:
    """Staff corrections of the track's credit codes by firm row id, the latest per row
    (``corrected_value``, ``corrected_by``, ``corrected_at``)."""
    return code_fixes(index, track_id)


def track_mentions(index: IndexLike, track_id: int | str) -> list[Mention]:
    """The firm rows of one track as ``dupes.Mention``, staff code corrections applied.

    Reads that track's rows only (``dupes.mentions_from_index`` reads every
    firm row of the index: hundreds of milliseconds on a big one), whatever
    its file's status, as the track's page shows them.
    """
    return mentions(index, track_id=track_id, current=False)


@dataclass(frozen=True)
class _Registers:
    """Every register entry, and where each can be found by code and by name key."""

    entries: list[dict[str, Any]]
    by_code: dict[str, list[int]]
    by_key: dict[str, list[int]]
    types: frozenset[str]


def _register_lookup(db: Any) -> _Registers:
    """Keyed as ``registers.register_matches`` looks entries up: compacted code, name key."""
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


def track_eligibility(index: IndexLike, track_id: int | str) -> dict[str, Any]:
    """:func:`eligibility` of a track in the index: its firm rows (codes as corrected),
    the imported registers and the staff figures."""
    database = as_database(index)
    mentions = track_mentions(database, track_id)
    entries, loaded = _track_registers(database, mentions)
    firms = [{"name": m.name, "uscc": m.code} for m in mentions]
    hits = register_matches(mentions, entries)
    figures = track_figures(database, track_id)
    if "region_avg_growth" not in figures:  # entered once for the region, not per track
        found = region_figure(database, "region_avg_growth", _declaration_year(database, track_id))
        if found is not None:
            figures["region_avg_growth"], figures["region_avg_growth_year"] = found
    return eligibility({"track_id": int(track_id), "firms": firms}, figures, hits, loaded)

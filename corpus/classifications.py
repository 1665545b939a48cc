"""The official classification tables a track name cites, and lookups over them.

Four schemes (see ``corpus/SOURCES.md`` for editions, counts and doubts):
GB/T 4754-2017 (国民经济行业分类, 2019 amendment), 战略性新兴产业分类(2018),
工业战略性新兴产业分类目录(2023), and the future industries of 工信部联科〔2024〕12号
(incomplete). SEI/ISEI leaves carry the GB/T 4754 classes they cover.

The future-industry table has no codes; its entries are keyed by name:
``未来能源`` (category) and ``未来能源/核能`` (domain); directions and flagship
products without a category are keyed by their own name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz

from saidao.corpus._data import data_path, read_csv, split_list


class Scheme(StrEnum):
    """The classification schemes the track naming rules allow."""

    GBT_4754_2017 = "GB/T 4754-2017"
    SEI_2018 = "战略性新兴产业分类(2018)"
    ISEI_2023 = "工业战略性新兴产业分类目录(2023)"
    FUTURE_2024 = "未来产业"


_FILES = {
    Scheme.GBT_4754_2017: "gbt4754_2017.csv",
    Scheme.SEI_2018: "sei_2018.csv",
    Scheme.ISEI_2023: "isei_2023.csv",
    Scheme.FUTURE_2024: "future_industries_2024.csv",
}
_GBT_DEPTH = {"section": 0, "division": 1, "group": 2, "class": 3}
# Inner Mongolia documents write 未来空天 for the official 未来空间.
_FUTURE_ALIASES = {"未来空天": "未来空间"}
# How documents write the schemes' names (checked on the normalised text, in order).
_SCHEME_PATTERNS: tuple[tuple[re.Pattern[str], Scheme], ...] = (
    (re.compile(r"工业战略性新兴产业|ISEI"), Scheme.ISEI_2023),
    (re.compile(r"战略性新兴产业|SEI"), Scheme.SEI_2018),
    (re.compile(r"4754|国民经济行业分类|GB/T|GBT"), Scheme.GBT_4754_2017),
    (re.compile(r"未来产业|工信部联科"), Scheme.FUTURE_2024),
)


@lru_cache(maxsize=16384)
def normalise_name(text: str) -> str:
    """Fold widths (NFKC), unify brackets to ``()``, drop spaces and quotes.

    Cached: track names score every printed segment against every class of a scheme,
    so the same few thousand names come back over and over."""
    folded = unicodedata.normalize("NFKC", text)
    folded = re.sub(r"[\[【〔［｛{]", "(", folded)
    folded = re.sub(r"[\]】〕］｝}]", ")", folded)
    return re.sub(r"[\s\"'“”‘’]", "", folded)


def scheme_of(text: str) -> Scheme | None:
    """The scheme a written name refers to (``战略性新兴产业分类(2018版)`` → SEI_2018)."""
    norm = normalise_name(text).upper()
    for value in Scheme:
        if norm == normalise_name(value).upper():
            return value
    return next((scheme for pattern, scheme in _SCHEME_PATTERNS if pattern.search(norm)), None)


@dataclass(frozen=True)
class Entry:
    """One class of a scheme."""

    scheme: Scheme
    code: str
    name: str
    level: str
    depth: int
    parent: str
    gbt_codes: tuple[str, ...] = ()
    gbt_codes_partial: tuple[str, ...] = ()
    note: str = ""


class ClassificationTable:
    """One scheme's classes with hierarchy navigation and name search."""

    def __init__(self, scheme: Scheme, entries: list[Entry]) -> None:
        self.scheme = scheme
        self.entries = tuple(entries)
        self._by_code = {e.code: e for e in self.entries}
        self._children: dict[str, list[Entry]] = {}
        for entry in self.entries:
            self._children.setdefault(entry.parent, []).append(entry)
        self._norm_names = [(normalise_name(e.name), e) for e in self.entries if e.name]

    def __len__(self) -> int:
        return len(self.entries)

    def _key(self, code: str) -> str:
        key = normalise_name(code).rstrip(".").upper()
        if self.scheme is Scheme.FUTURE_2024:
            for alias, official in _FUTURE_ALIASES.items():
                key = key.replace(alias, official)
        return key

    def by_code(self, code: str) -> Entry | None:
        """The class with this code (widths and spaces ignored), or None."""
        return self._by_code.get(self._key(code))

    def children(self, code: str) -> list[Entry]:
        """Direct sub-classes; ``children("")`` gives the top level."""
        key = self._key(code) if code else ""
        return list(self._children.get(key, ()))

    def ancestors(self, code: str) -> list[Entry]:
        """Classes above ``code``, top level first (empty for a top-level or unknown code)."""
        chain: list[Entry] = []
        entry = self.by_code(code)
        while entry is not None and entry.parent:
            entry = self._by_code.get(entry.parent)
            if entry is not None:
                chain.append(entry)
        return chain[::-1]

    def path(self, code: str) -> list[tuple[str, str]]:
        """(code, name) from the top level down to ``code`` itself; empty if unknown."""
        entry = self.by_code(code)
        if entry is None:
            return []
        return [(e.code, e.name) for e in (*self.ancestors(code), entry)]

    def descendants(self, code: str) -> list[Entry]:
        """Every class below ``code``, depth-first in table order."""
        out: list[Entry] = []
        for child in self.children(code):
            out.append(child)
            out.extend(self.descendants(child.code))
        return out

    def gbt_codes(self, code: str) -> tuple[str, ...]:
        """GB/T 4754-2017 codes an SEI/ISEI class covers.

        Leaves list them in the table; for a non-leaf the union of its leaves'
        codes is returned (source order, no repeats). Other schemes: empty.
        """
        entry = self.by_code(code)
        if entry is None:
            return ()
        if entry.gbt_codes:
            return entry.gbt_codes
        merged = [c for d in self.descendants(entry.code) for c in d.gbt_codes]
        return tuple(dict.fromkeys(merged))

    def search(self, name: str, limit: int = 5) -> list[tuple[str, str, float]]:
        """Classes whose name is closest to ``name``: [(code, name, score 0-100)].

        Score = mean of rapidfuzz ratio and partial_ratio on normalised names, so
        a whole-name match outranks a name that merely contains the query. An
        exact name scores 100 and wins; among equal scores an exact match
        prefers the deeper class (group 019 and class 0190 are both 其他农业),
        other ties prefer the broader, then the shorter, name.
        """
        query = normalise_name(name)
        if not query:
            return []
        scored = []
        for norm, entry in self._norm_names:
            exact = norm == query
            score = 100.0 if exact else (fuzz.ratio(query, norm) + fuzz.partial_ratio(query, norm)) / 2
            depth_rank = -entry.depth if exact else entry.depth
            scored.append((-score, depth_rank, len(norm), entry.code, entry, score))
        scored.sort(key=lambda item: item[:4])
        return [(item[4].code, item[4].name, round(item[5], 1)) for item in scored[:limit]]


def _gbt_entries(rows: list[dict[str, str]]) -> list[Entry]:
    return [
        Entry(Scheme.GBT_4754_2017, r["code"], r["name"], r["level"], _GBT_DEPTH[r["level"]], r["parent"])
        for r in rows
    ]


def _sei_entries(scheme: Scheme, rows: list[dict[str, str]]) -> list[Entry]:
    return [
        Entry(
            scheme,
            r["code"],
            r["name"],
            r["level"],
            int(r["level"]),
            r["parent"],
            split_list(r.get("gbt_codes", ""), ";"),
            split_list(r.get("gbt_codes_partial", ""), ";"),
            r.get("note", ""),
        )
        for r in rows
    ]


def _future_entries(rows: list[dict[str, str]]) -> list[Entry]:
    entries = []
    for r in rows:
        category, domain, kind = r["category"], r["domain"], r["kind"]
        if kind == "category":
            code, name, parent, depth = category, category, "", 1
        elif category:
            code, name, parent, depth = f"{category}/{domain}", domain, category, 2
        else:
            code, name, parent, depth = domain, domain, "", 2
        entries.append(Entry(Scheme.FUTURE_2024, code, name, kind, depth, parent, note=r.get("note", "")))
    return entries


def load(scheme: Scheme | str) -> ClassificationTable:
    """The bundled table of a scheme (cached). Accepts a Scheme or its written name."""
    resolved = scheme if isinstance(scheme, Scheme) else scheme_of(scheme)
    if resolved is None:
        raise ValueError(f"未知的分类体系 unknown classification scheme: {scheme!r}")
    return _load(resolved)


@lru_cache(maxsize=len(Scheme))
def _load(resolved: Scheme) -> ClassificationTable:
    rows = read_csv(data_path("classifications", _FILES[resolved]))
    if resolved is Scheme.GBT_4754_2017:
        entries = _gbt_entries(rows)
    elif resolved is Scheme.FUTURE_2024:
        entries = _future_entries(rows)
    else:
        entries = _sei_entries(resolved, rows)
    return ClassificationTable(resolved, entries)

"""Whether two firm-table rows can be one place: a name's leading region and a
code's registration area (:func:`regions_agree`), from python-stdnum's GB/T 2260 table.

Used by the duplicate rules and by register matching and code re-checks.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from itertools import combinations

from stdnum import numdb

from saidao.index.dupe_model import Mention

# ---------------------------------------------------------------- regions
#
# A name's leading region (包头市, 九原区) and a code's registration area (pos
# 3-6, 1502 包头) must agree before names alone link two rows. Cities are
# taken from python-stdnum's GB/T 2260 table; a former league (乌兰察布盟 1526)
# is joined to the city that received most of its counties (乌兰察布市 1509),
# not to every city that received one (和林格尔县 went to 呼和浩特).


def _loc_inner_mongolia() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(city prefix -> city names, county name -> city prefixes) for codes 15xxxx."""
    cities: dict[str, set[str]] = defaultdict(set)
    counties: dict[str, set[str]] = defaultdict(set)
    for _length, low, _high, _props, children in numdb.get("cn/loc").prefixes:
        if low != "15":
            continue
        for _clen, code, _chigh, props, _sub in children:
            names = {re.sub(r"^\[[^\]]*\]", "", n).strip() for n in props.get("county", "").split(",")}
            names = {n for n in names if n and n not in _GENERIC_COUNTIES}
            if code == "0000":
                continue  # the province itself: no city
            if code.endswith("00"):
                cities[f"15{code[:2]}"] |= names
            else:
                for name in names:
                    counties[name].add(f"15{code[:2]}")
    return cities, counties


_GENERIC_COUNTIES = frozenset({"市辖区", "郊区", "市区", "矿区"})


@lru_cache(maxsize=1)
def _city_tables() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(region form -> city families, city prefix -> its family)."""
    cities, counties = _loc_inner_mongolia()
    shares: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for places in counties.values():
        for old in places:
            for new in places - {old}:
                shares[old][new] += 1
    own = {c: sum(1 for p in counties.values() if c in p) for c in cities}
    family: dict[str, set[str]] = {c: {c} for c in cities}
    for old, to in shares.items():
        new, count = max(to.items(), key=lambda kv: (kv[1], kv[0]))
        if count * 2 > own.get(old, 0) and old > new:  # a former league: 15 2x > 15 0x
            family[old].add(new)
            family.setdefault(new, {new}).add(old)
    fam = {c: frozenset(v) for c, v in family.items()}
    forms: dict[str, frozenset[str]] = {}
    for city, names in cities.items():
        for name in names:
            for form in {name, re.sub(r"[市盟]$", "", name)}:
                forms[form] = fam[city]
    for name, places in counties.items():
        forms.setdefault(name, frozenset(c for p in places for c in fam.get(p, {p})))
    return forms, fam


def _name_cities(m: Mention) -> frozenset[str] | None:
    """City prefixes the name's leading regions allow (None: no city-level region)."""
    forms, _ = _city_tables()
    found = [forms[r] for r in m.parts.regions if r in forms]
    if not found:
        return None
    out = found[0]
    for more in found[1:]:
        out &= more
    return out


def _code_cities(m: Mention) -> frozenset[str] | None:
    """The city family of the code's registration area (None outside Inner Mongolia)."""
    code = m.code or (m.printed if len(m.printed) == 18 else "")
    if not code.startswith("15", 2) or not code[2:6].isdigit():
        return None
    _, fam = _city_tables()
    return fam.get(code[2:6], frozenset({code[2:6]}))


def regions_agree(a: Mention, b: Mention) -> bool:
    """Whether the regions of two rows (names and code areas) can be one place."""
    places = [_name_cities(a), _name_cities(b), _code_cities(a), _code_cities(b)]
    known = [p for p in places if p is not None]
    return all(x & y for x, y in combinations(known, 2))

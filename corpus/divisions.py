"""China's administrative divisions (GB/T 2260 codes): every province, city and county.

The table is ``divisions.csv`` (built by ``scripts/build_divisions.py`` from
python-stdnum's ``cn/loc.dat``; see ``corpus/SOURCES.md``): one row per name a
code has carried, with the years it was in use. The API:

* :func:`by_code` — ``"150123"`` (or a 2-/4-digit prefix) → the current division;
* :func:`by_name` — a full name (``和林格尔县``) or short name (``和林格尔``,
  ``内蒙古``) → every division so called, current ones first;
* :func:`find_in` — the chain of divisions an issuer's name begins with
  (``呼和浩特市和林格尔县人民政府`` → 内蒙古自治区 › 呼和浩特市 › 和林格尔县),
  resolving a county name shared by several provinces by the names before it
  and by a preferred province.

Levels are ``province``, ``city`` (地级) and ``county`` (县级: 县, 旗, 县级市,
市辖区). :meth:`Division.parent` walks up the chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from saidao.corpus._data import data_path, read_csv

#: Suffixes dropped to make a short name, longest first (内蒙古自治区 → 内蒙古).
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县",
             "自治旗", "地区", "省", "市", "县", "区", "旗", "盟")


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division under one of its names."""

    code: str
    name: str
    level: str  # province | city | county
    province_code: str
    city_code: str
    valid_from: int | None
    valid_until: int | None

    @property
    def current(self) -> bool:
        return self.valid_until is None

    @property
    def short_name(self) -> str:
        return short_name(self.name)

    def parent(self) -> Division | None:
        """The city (for a county that has one) or the province above this division."""
        if self.level == "county" and self.city_code and (city := by_code(self.city_code)):
            return city
        if self.level != "province":
            return by_code(self.province_code)
        return None

    def chain(self) -> list[Division]:
        """Province first, this division last."""
        out: list[Division] = [self]
        while (up := out[0].parent()) is not None:
            out.insert(0, up)
        return out


def short_name(name: str) -> str:
    """``内蒙古自治区`` → ``内蒙古``, ``鄂尔多斯市`` → ``鄂尔多斯``; two characters are kept whole."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            if suffix in ("自治州", "自治县", "自治旗"):  # 恩施土家族苗族自治州 → 恩施
                stem = re.sub(r"(?:[\u4e00-\u9fff]{1,3}族)+$", "", stem) or stem
            return stem
    return name


def _year(value: str) -> int | None:
    return int(value) if value else None


@cache
def _all() -> tuple[Division, ...]:
    rows = read_csv(data_path("divisions.csv"), ("code", "name", "level"))
    return tuple(Division(r["code"], r["name"], r["level"], r["province_code"], r["city_code"],
                          _year(r["from"]), _year(r["until"])) for r in rows)


@cache
def _by_code() -> dict[str, Division]:
    out: dict[str, Division] = {}
    for d in _all():
        if d.code not in out or d.current:
            out[d.code] = d
    return out


@cache
def _by_name() -> dict[str, tuple[Division, ...]]:
    index: dict[str, list[Division]] = {}
    for d in _all():
        for key in {d.name, d.short_name}:
            index.setdefault(key, []).append(d)
    return {k: tuple(sorted(v, key=lambda d: (not d.current, d.code))) for k, v in index.items()}


def all_divisions(current_only: bool = True) -> list[Division]:
    """Every division (current names only by default)."""
    return [d for d in _all() if d.current or not current_only]


def by_code(code: str) -> Division | None:
    """The division a GB/T 2260 code names (``15`` and ``1501`` are padded with zeros)."""
    code = code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6):
        return None
    return _by_code().get(code.ljust(6, "0"))


def by_name(name: str, current_only: bool = False) -> list[Division]:
    """Divisions with this full or short name, current ones first."""
    found = _by_name().get(name.strip(), ())
    return [d for d in found if d.current or not current_only]


@cache
def _name_lengths() -> tuple[int, ...]:
    return tuple(sorted({len(k) for k in _by_name()}, reverse=True))


def _names_at(text: str, pos: int) -> Iterable[tuple[str, tuple[Division, ...]]]:
    """(name, divisions) for every known name starting at ``pos``, longest first."""
    names = _by_name()
    for n in _name_lengths():
        key = text[pos:pos + n]
        if len(key) == n and key in names:
            yield key, names[key]


def _fits(d: Division, chain: list[Division]) -> bool:
    """Does ``d`` sit under the last division of ``chain``?"""
    if not chain:
        return True
    up = chain[-1]
    return d.code != up.code and (d.province_code == up.code or d.city_code == up.code
                                  or (up.level == "city" and d.code[:4] == up.code[:4])
                                  or (up.level == "province" and d.code[:2] == up.code[:2]))


def find_in(text: str, prefer_province: str = "15") -> list[Division]:
    """The divisions ``text`` names at its start, outermost first, as a chain.

    Names are read one after another from the start of ``text``
    (``中共``/``自治区`` style prefixes aside), each the longest known name
    that fits under the one before; a short name counts only when followed by
    an organ's word (``内蒙古科技厅`` but not ``和林格尔新区``). Where a name is
    shared (朝阳区 in Beijing and in Changchun) the chain decides, then the
    preferred province, then the current code. The chain is completed upward
    (a county alone gives its city and province).
    """
    text = re.sub(r"\s+", "", text)
    pos = 3 if text.startswith("中国共产党") else 2 if text.startswith("中共") else 0
    chain: list[Division] = []
    while pos < len(text):
        step = None
        for name, candidates in _names_at(text, pos):
            fitting = [d for d in candidates if _fits(d, chain)]
            if not fitting or (name != fitting[0].name and not _organ_follows(text, pos + len(name))):
                continue
            fitting.sort(key=lambda d: (not d.current, d.province_code != prefer_province + "0000",
                                        d.code))
            step = (name, fitting[0])
            break
        if step is None:
            break
        chain.append(step[1])
        pos += len(step[0])
    if not chain:
        return []
    return chain[-1].chain() if len(chain[-1].chain()) >= len(chain) else chain


_ORGAN_WORDS = ("人民政府", "政府", "委", "省", "市", "县", "区", "旗", "盟", "党委", "人大", "政协",
                "行政公署", "行署", "科技", "发展", "财政", "工业", "教育", "商务", "自然", "人力",
                "生态", "农牧", "农业", "交通", "住房", "文化", "卫生", "应急", "审计", "统计",
                "市场", "税务", "办公", "经济", "高新")


def _organ_follows(text: str, pos: int) -> bool:
    return text[pos:].startswith(_ORGAN_WORDS)

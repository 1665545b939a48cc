"""Firm names as matching keys: the same firm written differently on two forms.

A printed name (``内蒙古蒙牛乳业（集团）股份有限公司``) is split into a leading
region (``内蒙古``), a core (``蒙牛乳业集团``), a legal form (``股份公司``) and a
tail after the legal form (a branch: ``…有限公司鄂尔多斯分公司``). The printed
name is never replaced; :func:`name_key` is the normalised core + form + tail
without the leading region, for grouping candidates, and
:func:`same_firm_score` weighs the parts.

Decisions:

* 有限责任公司 and 有限公司 are one legal form (the Company Law lets a limited
  liability company write either), so they share a key. 股份有限公司 (a
  joint-stock company, also written 股份公司) is kept distinct: it is another
  legal form. A firm that converts keeps its credit code, but real pairs such as
  内蒙古第一机械集团有限公司 / …股份有限公司 are two registrants, so differing
  forms cost ×0.85 (below the 0.9 that a pure spelling variant keeps).
* A leading region is dropped from the key but kept beside it: ``包头市XX商贸``
  and ``鄂尔多斯市XX商贸`` are usually two firms, so the score falls when both
  names carry regions that cannot contain each other (内蒙古 ⊃ 包头市 ⊃ 青山区
  are compatible). Region names are the GB/T 2260 names of 15xxxx codes in
  python-stdnum's ``cn/loc`` table, historic ones included (伊克昭盟, 哲里木盟),
  plus the corpus' ``regions.csv``.
* Brackets are dropped but their text kept (``（集团）`` = ``集团``).
* A branch (分公司, 支行, 营业部 …) is its own registrant with its own credit
  code: a tail that differs lowers the score sharply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from stdnum import numdb

from saidao.corpus.zones import regions
from saidao.extractors.normalize import fold_width, to_simplified

PROVINCE = "内蒙古自治区"
_PROVINCE_FORMS = (PROVINCE, "内蒙古")
_DROP = re.compile(r"[\s()（）\[\]【】〔〕［］{}<>《》\"'“”‘’·•・.,，、:：;；_\-—–]+")
_LEGAL_FORMS = (
    (re.compile(r"股份有限(?:责任)?公司"), "股份公司"),
    (re.compile(r"有限责任公司"), "有限公司"),
)
_FORM = re.compile(r"股份公司|有限公司|公司")
_GENERIC_COUNTY = re.compile(r"^(?:市辖区|市区|郊区|矿区)$")
_MIN_CORE = 2  # characters a core must keep after a region is taken off


@dataclass(frozen=True)
class FirmName:
    """A printed firm name and its parts (all but ``printed`` normalised)."""

    printed: str
    regions: tuple[str, ...]
    core: str
    legal_form: str
    tail: str

    @property
    def region(self) -> str:
        """The leading region as printed after folding (``内蒙古自治区包头市``), or ``""``."""
        return "".join(self.regions)

    @property
    def key(self) -> str:
        """The matching key: core + legal form + tail, without the leading region."""
        return f"{self.core}{self.legal_form}{self.tail}"


# ------------------------------------------------------------------ regions


@dataclass(frozen=True)
class _Region:
    name: str
    level: int  # 0 province, 1 盟市, 2 旗县区
    groups: frozenset[str]  # the 盟市 it lies in (historic and current names of one area)


def _loc_rows() -> list[tuple[str, list[str]]]:
    """(6-digit code, names) of Inner Mongolia from python-stdnum's GB/T 2260 table."""
    try:
        db = numdb.get("cn/loc")
    except OSError:  # stdnum without its data: fall back to the corpus
        return []
    rows = []
    for _length, low, _high, _props, children in db.prefixes:
        if low != "15":
            continue
        for _clen, code, _chigh, cprops, _sub in children:
            raw = cprops.get("county", "")
            names = [re.sub(r"^\[[^\]]*\]", "", part).strip() for part in raw.split(",")]
            rows.append((f"15{code}", [n for n in names if n]))
    return rows


def _corpus_rows() -> list[tuple[str, list[str]]]:
    """(code, [name]) from the corpus' regions.csv."""
    rows = []
    for region in regions():
        rows.append((region.code, [region.name]))
        rows += [(f"{region.code[:4]}xx", [county]) for county in region.counties]
    return rows


@lru_cache(maxsize=1)
def _regions() -> dict[str, _Region]:
    """Every written region form → its level and the 盟市 areas it lies in."""
    rows = _loc_rows() + _corpus_rows()
    city_names: dict[str, set[str]] = {}
    counties: dict[str, set[str]] = {}
    for code, names in rows:
        if code.endswith("0000"):
            continue
        city = code[:4]
        if code.endswith("00"):
            city_names.setdefault(city, set()).update(names)
        else:
            for name in names:
                if not _GENERIC_COUNTY.match(name):
                    counties.setdefault(name, set()).add(city)
    area = _merge_areas(counties)
    out: dict[str, _Region] = {form: _Region(form, 0, frozenset()) for form in _PROVINCE_FORMS}
    for city, names in city_names.items():
        groups = frozenset({area.get(city, city)})
        for name in names:
            for form in {name, re.sub(r"[市盟]$", "", name)}:
                if len(form) >= 2:
                    out.setdefault(form, _Region(form, 1, groups))
    for name, cities in counties.items():
        out.setdefault(name, _Region(name, 2, frozenset(area.get(c, c) for c in cities)))
    return out


def _merge_areas(counties: dict[str, set[str]]) -> dict[str, str]:
    """City codes that are one place under two names (伊克昭盟 1527 → 鄂尔多斯市 1506).

    A renamed league shares most of its counties with its successor; a county
    that moved between leagues (和林格尔县, 达茂旗) is a single shared name and
    must not make 包头 and 呼和浩特 one area. So two codes merge only when at
    least half of the smaller one's counties are shared.
    """
    by_city: dict[str, set[str]] = {}
    for name, cities in counties.items():
        for city in cities:
            by_city.setdefault(city, set()).add(name)
    parent: dict[str, str] = {}

    def find(code: str) -> str:
        while parent.get(code, code) != code:
            code = parent[code]
        return code

    codes = sorted(by_city)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            shared = len(by_city[a] & by_city[b])
            if shared and shared * 2 >= min(len(by_city[a]), len(by_city[b])):
                parent[find(b)] = find(a)
    return {code: find(code) for code in by_city}


@lru_cache(maxsize=1)
def _forms_by_first_char() -> dict[str, tuple[str, ...]]:
    """Region forms by their first character, longest first (鄂尔多斯市 before 鄂尔多斯)."""
    table: dict[str, list[str]] = {}
    for form in sorted(_regions(), key=len, reverse=True):
        table.setdefault(form[0], []).append(form)
    return {first: tuple(forms) for first, forms in table.items()}


def _leading_region(text: str) -> str | None:
    """The longest region form ``text`` starts with, or None."""
    for form in _forms_by_first_char().get(text[:1], ()):
        if text.startswith(form):
            return form
    return None


def _take_regions(text: str) -> tuple[list[str], str]:
    """Leading region names (内蒙古自治区包头市青山区…) and the rest of the name."""
    found: list[str] = []
    while True:
        form = _leading_region(text)
        if form is None or len(_FORM.split(text[len(form) :], 1)[0]) < _MIN_CORE:
            return found, text
        found.append(form)
        text = text[len(form) :]


def _regions_compatible(a: list[str], b: list[str]) -> bool:
    """True unless both names carry regions that cannot contain each other."""
    ra = [_regions()[f] for f in a if _regions()[f].level]
    rb = [_regions()[f] for f in b if _regions()[f].level]
    if not ra or not rb:
        return True
    return all(x.groups & y.groups for x in ra for y in rb) and _same_counties(ra, rb)


def _same_counties(ra: list[_Region], rb: list[_Region]) -> bool:
    ca = {r.name for r in ra if r.level == 2}
    cb = {r.name for r in rb if r.level == 2}
    return not ca or not cb or bool(ca & cb)


# ------------------------------------------------------------------ keys


def _fold(name: str) -> str:
    """Widths, traditional characters, case, spaces, brackets and punctuation."""
    text = to_simplified(fold_width(name or "")).upper()
    text = _DROP.sub("", text)
    for pattern, form in _LEGAL_FORMS:
        text = pattern.sub(form, text)
    return text


@lru_cache(maxsize=65536)
def split_firm_name(name: str) -> FirmName:
    """The printed name with its region, core, legal form and branch tail."""
    folded = _fold(name)
    regions, rest = _take_regions(folded)
    return FirmName(name, tuple(regions), *_core_form_tail(rest))


@lru_cache(maxsize=65536)
def key_parts(key: str) -> FirmName:
    """The parts of a stored matching key (:func:`name_key`), without its regions.

    A key is the folded name after its regions, so splitting it again gives the
    name's core, legal form and tail: callers that hold keys (the index stores
    them) score names without folding every printed name again.
    """
    return FirmName(key, (), *_core_form_tail(key))


def _core_form_tail(rest: str) -> tuple[str, str, str]:
    """The folded name after its regions cut at its first legal form."""
    found = _FORM.search(rest)
    if found is None:
        return rest, "", ""
    return rest[: found.start()], found.group(), rest[found.end() :]


def name_key(name: str) -> str:
    """A normalised key for matching firm names (see the module notes for what it folds).

    The region prefix, 有限责任公司 vs 有限公司 and traditional characters fold away:

    >>> name_key("包头伊利乳业有限责任公司"), name_key("包頭伊利乳業有限公司")
    ('伊利乳业有限公司', '伊利乳业有限公司')
    """
    return split_firm_name(name).key


def same_firm_score(a: str, b: str) -> float:
    """How likely two printed names are one firm, 0–1 (1.0: same key, compatible regions)."""
    return firm_parts_score(split_firm_name(a), split_firm_name(b))


def firm_parts_score(fa: FirmName, fb: FirmName, *, regions: bool = True) -> float:
    """:func:`same_firm_score` of names already split — the one place its weights live.

    Callers that hold the parts of many names (duplicate detection) use this to
    avoid splitting a name again for every pair; ``regions=False`` leaves the
    leading regions out, for callers that judge places with more evidence (a
    credit code's registration area).
    """
    if not fa.key or not fb.key:
        return 0.0
    score = fuzz.ratio(fa.core, fb.core) / 100
    score *= _form_factor(fa.legal_form, fb.legal_form)
    if fa.tail != fb.tail:
        score *= 0.6 * (0.5 + 0.5 * fuzz.ratio(fa.tail, fb.tail) / 100)
    if regions and not _regions_compatible(list(fa.regions), list(fb.regions)):
        score *= 0.7
    return round(score, 4)


def _form_factor(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.95  # a form left off (蒙牛乳业) is a short way of writing the name
    if {a, b} == {"股份公司", "有限公司"}:
        return 0.85  # e.g. 内蒙古第一机械集团有限公司 / …股份有限公司 are two registrants
    return 0.8

"""What linking reads of a track and of a policy: folded text, the track's zone and
the policy's scope over it, and where the track sits in the classifications
(``ClassKeys``), so a clause's industry terms can be met against it.

Part of ``index.links`` (its public API re-exports these names).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from saidao.corpus import lexicon
from saidao.corpus.classifications import ClassificationTable, Scheme, load, scheme_of
from saidao.corpus.zones import Zone, jurisdiction_covers, registry

_SCOPE_TEXT = {
    "national": "全国",
    "region": "{j}全区",
    "city": "{j}",
    "county": "{j}",
    "zone": "{j}",
}


# ---------------------------------------------------------------- text helpers


def _fold(text: str) -> str:
    """NFKC and no whitespace: PDF text splits words with spaces and wraps."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


@lru_cache(maxsize=4096)
def _folded_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """A term's names folded, one-character names dropped (too ambiguous to match)."""
    return tuple(f for f in (_fold(n) for n in names) if len(f) > 1)


def _track_block(track: dict[str, Any]) -> dict[str, Any]:
    return track.get("track") or {}


def _text_of(track: dict[str, Any], key: str) -> str:
    value = track.get(key)
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value or "")


def track_text(track: dict[str, Any]) -> str:
    """The track's own words: label, class names, 举措及成效 and 实施方案."""
    block = _track_block(track)
    head = " ".join([block.get("label") or "", *(block.get("class_names") or [])])
    return "\n".join([head, _text_of(track, "measures"), _text_of(track, "plan")])


def _zone_short(zone: Zone) -> str:
    """The name staff use (包头稀土高新区), falling back to the official name."""
    short = [a for a in zone.aliases if a.endswith("高新区")]
    return short[0] if short else zone.name


# ---------------------------------------------------------------- zones and scope


def track_zone(track: dict[str, Any]) -> Zone | None:
    """The registry zone of a track (by id, else by the printed name)."""
    info = track.get("zone") or {}
    if isinstance(info, str):
        info = {"id": info}
    zones = registry()
    if info.get("id"):
        found = zones.get(info["id"])
        if found is not None:
            return found
    for key in ("name", "printed"):
        if info.get(key):
            found = zones.resolve(info[key])
            if found is not None:
                return found
    return None


def policy_scope(policy: dict[str, Any], zone: Zone | None) -> str | None:
    """The scope level through which ``policy`` covers ``zone``, or None.

    National documents cover everything; others follow ``jurisdiction_covers``
    on the policy's jurisdiction, so a county plan never reaches a zone outside
    that county. A track without a known zone is covered only region-wide.
    """
    level = policy.get("level") or ""
    if level == "national":
        return "national"
    jurisdiction = policy.get("jurisdiction") or ""
    if zone is None:
        return level if level == "region" and jurisdiction_covers(jurisdiction, _ANY_ZONE) else None
    if jurisdiction_covers(jurisdiction, zone):
        return level or "region"
    return None


class _AnyZone:
    """A stand-in zone that only region-wide jurisdictions cover."""

    id = "__none__"
    city = "__none__"
    counties: tuple[str, ...] = ()


_ANY_ZONE: Any = _AnyZone()


def _scope_reason(policy: dict[str, Any], scope: str) -> str:
    if scope == "named":
        return "适用范围：条款点名本区"
    jurisdiction = policy.get("jurisdiction") or "内蒙古自治区"
    return "适用范围：" + _SCOPE_TEXT.get(scope, "{j}").format(j=jurisdiction)


@lru_cache(maxsize=256)
def _title_zones(title: str) -> frozenset[str]:
    """Zones a policy's title is about (鄂府发〔2025〕36号 is about 鄂尔多斯高新区)."""
    return frozenset(m.zone.id for m in registry().find_all(title or ""))


# ---------------------------------------------------------------- industry tie


@lru_cache(maxsize=4096)
def _industry(name: str) -> lexicon.IndustryTerm | None:
    """``lexicon.industry`` cached: the lexicon scans every name on each call."""
    return lexicon.industry(name)


@lru_cache(maxsize=4096)
def _beneficiary(name: str) -> lexicon.BeneficiaryTerm | None:
    return lexicon.beneficiary(name)


@dataclass(frozen=True)
class ClassKeys:
    """Where a track sits in the classifications: codes on its path, and its leaves."""

    on_path: frozenset[tuple[Scheme, str]]
    leaves: tuple[tuple[Scheme, str], ...]
    words: str
    names: tuple[str, ...] = ()
    """The folded label and class names one by one (``words`` joins them)."""

    def meets(self, term: lexicon.IndustryTerm) -> str | None:
        """``"path"`` when a term code lies on the track's path (or on the path of
        a GB/T class its SEI/ISEI class covers), ``"narrower"`` when a term code
        lies below the track's class, ``"word"`` when only the names meet."""
        if any(code in self.on_path for code in term.codes):
            return "path"
        if any(_is_below(scheme, code, leaf) for scheme, code in term.codes for leaf in self.leaves):
            return "narrower"
        if any(name in self.words for name in _folded_names(term.names)):
            return "word"
        return None

    def coverage(self, term: lexicon.IndustryTerm) -> float:
        """How much of the track's own name a word match covers: 煤基新材料 is met
        in full by 现代煤化工's alias 煤基新材料, only in part by 新材料, whose
        three characters name a far wider field."""
        best = 0.0
        for folded in _folded_names(term.names):
            for word in self.names:
                if folded in word:
                    best = max(best, len(folded) / len(word))
        return best


@lru_cache(maxsize=65536)
def _meets(keys: ClassKeys, term: lexicon.IndustryTerm) -> str | None:
    return keys.meets(term)


@lru_cache(maxsize=65536)
def _coverage(keys: ClassKeys, term: lexicon.IndustryTerm) -> float:
    return keys.coverage(term)


def _is_below(scheme: Scheme, code: str, leaf: tuple[Scheme, str]) -> bool:
    if scheme is not leaf[0]:
        return False
    return any(entry.code == leaf[1] for entry in load(scheme).ancestors(code))


def _path_keys(table: ClassificationTable, code: str) -> set[tuple[Scheme, str]]:
    return {(table.scheme, c) for c, _ in table.path(code)}


def _future_codes(block: dict[str, Any]) -> list[str]:
    """Future-industry keys: the category, ``category/domain`` and flagship names."""
    table = load(Scheme.FUTURE_2024)
    label = block.get("label") or ""
    codes: list[str] = []
    for name in [*(block.get("codes") or []), *(block.get("class_names") or [])]:
        entry = table.by_code(name)
        if entry is None:
            continue
        codes.append(entry.code)
        if label and table.by_code(f"{entry.code}/{label}") is not None:
            codes.append(table.by_code(f"{entry.code}/{label}").code)  # type: ignore[union-attr]
    if label and table.by_code(label) is not None:
        codes.append(table.by_code(label).code)  # type: ignore[union-attr]
    return list(dict.fromkeys(codes))


@lru_cache(maxsize=1024)
def _head_term_codes(label: str) -> tuple[tuple[Scheme, str], ...]:
    """Industry-table codes of the lexicon terms that head a future track's label.

    A future track has no SEI/GB/T code of its own; its label does place it: a
    Chinese compound names its kind last, so 人形机器人 is a 机器人 and lies
    where 机器人 lies (SEI 2.1.1 under 2 高端装备). Future-table codes are
    left out (the track's own category already gives them).
    """
    folded = _fold(label)
    codes: list[tuple[Scheme, str]] = []
    for term in lexicon.industries():
        if any(len(n) > 1 and folded.endswith(_fold(n)) for n in term.names):
            codes.extend(c for c in term.codes if c[0] is not Scheme.FUTURE_2024 and load(c[0]).by_code(c[1]))
    return tuple(dict.fromkeys(codes))


def class_keys(track: dict[str, Any]) -> ClassKeys:
    """The classification keys of a track, built from its scheme and codes.

    GB/T 4754 and SEI/ISEI: every code on the path of the track's deepest code;
    an SEI/ISEI track also brings the GB/T classes it covers (``gbt_codes``,
    the classes themselves, not their divisions: 3.2.7 covers 3232 稀土金属冶炼
    but is not the whole of 26 化学原料), which is how a 稀土新材料制造 track
    meets a clause tagged with 稀土's GB/T code 3232. Future tracks: category, domain and flagship keys.
    """
    block = _track_block(track)
    names = tuple(n for n in (_fold(x) for x in [block.get("label") or "", *(block.get("class_names") or [])]) if n)
    words = "".join(names)
    scheme = scheme_of(block.get("scheme") or "")
    if scheme is None and block.get("direction") == "未来产业验证熟化":
        scheme = Scheme.FUTURE_2024
    if scheme is None:
        return ClassKeys(frozenset(), (), words, names)
    if scheme is Scheme.FUTURE_2024:
        codes = _future_codes(block)
        table = load(scheme)
        keys = {k for code in codes for k in _path_keys(table, code)}
        headed = _head_term_codes(block.get("label") or "")
        keys |= {k for code in headed for k in _path_keys(load(code[0]), code[1])}
        leaves = tuple((scheme, c) for c in codes) + headed
        return ClassKeys(frozenset(keys), leaves, words, names)
    table = load(scheme)
    known = [c for c in block.get("codes") or [] if table.by_code(c) is not None]
    if not known:
        return ClassKeys(frozenset(), (), words, names)
    leaf = table.by_code(known[-1]).code  # type: ignore[union-attr]
    keys = _path_keys(table, leaf)
    if scheme is not Scheme.GBT_4754_2017:
        keys |= {(Scheme.GBT_4754_2017, code) for code in table.gbt_codes(leaf)}
    return ClassKeys(frozenset(keys), ((scheme, leaf),), words, names)


def track_industries(track: dict[str, Any]) -> list[str]:
    """Lexicon terms that meet the track's class on its path (for display and tests)."""
    keys = class_keys(track)
    return [t.term for t in lexicon.industries() if keys.meets(t) == "path"]

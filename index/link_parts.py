"""The score's parts of one clause against one track, each with its Chinese reason:
zone, industry, direction, new track, beneficiary; and the clause's subject
(heading and lead sentences) that decides whether a word is the point or in passing.

Part of ``index.links`` (its public API re-exports these names).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from saidao.corpus import lexicon
from saidao.corpus.zones import Zone, registry
from saidao.index.link_features import (
    ClassKeys,
    _beneficiary,
    _coverage,
    _fold,
    _folded_names,
    _industry,
    _meets,
    _title_zones,
    _zone_short,
)
from saidao.index.link_weights import DEFAULT_WEIGHTS, LinkWeights

DIRECTION_TERMS: dict[str, tuple[str, ...]] = {
    "未来产业验证熟化": ("未来产业", "概念验证", "中试", "验证熟化", "前沿技术", "颠覆性技术"),
    "传统产业转型升级": (
        "转型升级", "技术改造", "智能化改造", "数字化转型", "改造提升", "改造升级",
        "传统产业", "传统优势产业", "设备更新", "工艺升级", "先进适用技术",
    ),
    "新兴产业延伸": ("战略性新兴产业", "新兴产业", "延链补链", "补链延链", "延链", "产业链延伸"),
}
"""Words that show a clause speaks of a direction (the three boxes of the form)."""

DIRECTION_CORE: dict[str, tuple[str, ...]] = {
    "未来产业验证熟化": ("未来产业", "概念验证", "中试", "验证熟化"),
    "传统产业转型升级": ("转型升级", "传统产业", "传统优势产业", "数字化转型"),
    "新兴产业延伸": ("战略性新兴产业", "新兴产业", "产业链延伸"),
}
"""The words of ``DIRECTION_TERMS`` that name the direction itself (or, for
验证熟化, what it is: 中试, 概念验证); the others (技术改造, 延链, 前沿技术)
name means that clauses about anything use. Full direction credit needs a core
word in the clause's heading or a lead sentence."""

TRACK_TERMS = ("新赛道",)
"""Words of new-track cultivation itself (seed 000): they concern every direction."""

TRACK_BINDING_HEADINGS = ("方向", "条件", "支持方式", "支持形式", "支持内容", "支持标准", "申报要求")
"""Headings of a new-track clause that every track is judged or funded by."""


# ---------------------------------------------------------------- parts


@dataclass
class _Part:
    value: float = 0.0
    reasons: list[str] = field(default_factory=list)


AREA_VALUE = 0.5
"""Zone value of a clause naming only the zone's city or county, where that
area holds no other zone (赤峰, 通辽): it speaks of the zone's ground. A planned
zone has no name of its own yet, so its area's name counts in full."""


def _short_area(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "市盟县旗区" else name


@lru_cache(maxsize=64)
def _area_names(zone_id: str) -> tuple[str, ...]:
    """The city/county names that identify ``zone_id``: areas holding no other zone."""
    zones = [z for z in registry().all() if z.status != "not_htz"]
    zone = next(z for z in zones if z.id == zone_id)
    out = []
    if zone.city and sum(1 for z in zones if z.city == zone.city) == 1:
        out.append(zone.city)
    for county in zone.counties:
        if sum(1 for z in zones if county in z.counties) == 1:
            out.append(county)
    return tuple(out)


@lru_cache(maxsize=1)
def _not_zone_names() -> tuple[str, ...]:
    names = {_fold(n) for z in registry().lookalikes() for n in z.names}
    return tuple(sorted(names, key=len, reverse=True))


def _area_named(text: str, zone: Zone) -> str | None:
    """The area of ``zone`` the text names (after taking out entities that are not
    zones: 和林格尔新区 is not 和林格尔县's zone), or None."""
    areas = _area_names(zone.id)
    return _area_in_text(text, areas) if areas else None


@lru_cache(maxsize=65536)
def _area_in_text(text: str, areas: tuple[str, ...]) -> str | None:
    if not any(_short_area(a) in text for a in areas):
        return None
    for name in _not_zone_names():
        text = text.replace(name, "")
    return next((a for a in areas if _short_area(a) in text), None)


def zone_parts(
    clause: dict[str, Any], policy: dict[str, Any], zone: Zone | None, weights: LinkWeights = DEFAULT_WEIGHTS
) -> tuple[_Part, _Part]:
    """(zone, other_zone): the clause names this zone; or it (or its policy's
    title) names only other zones. In a policy written for the zone (its title
    names it) every clause is about the zone, so naming it tells little
    (``zone_own_policy``)."""
    named = set(clause.get("zones") or [])
    if zone is not None and zone.id in named:
        if zone.id in _title_zones(policy.get("title") or ""):
            return _Part(weights.zone_own_policy, [f"提及本区：{_zone_short(zone)}（本区专项政策）"]), _Part()
        return _Part(1.0, [f"提及本区：{_zone_short(zone)}"]), _Part()
    area = _area_named(_clause_text(clause), zone) if zone is not None else None
    if area is not None:
        value = 1.0 if zone.is_planned else AREA_VALUE  # type: ignore[union-attr]
        return _Part(value, [f"提及本区所在地：{area}"]), _Part()
    others = named or set(_title_zones(policy.get("title") or ""))
    if zone is not None and zone.id in others:
        return _Part(), _Part()
    if others:
        names = [_zone_short(z) for z in registry().all() if z.id in others]
        more = "等" if len(names) > 2 else ""
        return _Part(), _Part(1.0, [f"仅提及他区：{'、'.join(names[:2])}{more}"])
    return _Part(), _Part()


_SENTENCE_END = re.compile(r"[。；;！？\n]")


@lru_cache(maxsize=16384)
def _sentence_zones(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The clause's sentences, each with the zones it names."""
    out = []
    for sentence in _SENTENCE_END.split(text):
        if sentence:
            out.append((sentence, frozenset(m.zone.id for m in registry().find_all(sentence))))
    return tuple(out)


def industry_about_zone(clause: dict[str, Any], term: lexicon.IndustryTerm, zone: Zone | None) -> bool:
    """Whether a sentence that names ``term`` is about ``zone`` or names no zone.

    001（十三） gives each zone its clusters in one clause ("包头…稀土、装备制造；
    鄂尔多斯…"): 装备制造 there is 包头稀土高新区's business, not that of a
    装备 park elsewhere. A term the text does not spell out (tagged through an
    alias the sentence split cannot see) keeps counting.
    """
    return _about_zone(_clause_text(clause), term, zone.id if zone is not None else None)


@lru_cache(maxsize=65536)
def _about_zone(text: str, term: lexicon.IndustryTerm, zone_id: str | None) -> bool:
    names = _folded_names(term.names)
    seen = False
    for sentence, zones in _sentence_zones(text):
        if not any(n in sentence for n in names):
            continue
        seen = True
        if not zones or zone_id in zones:
            return True
    return not seen


def industry_part(
    clause: dict[str, Any], keys: ClassKeys, weights: LinkWeights, zone: Zone | None = None
) -> _Part:
    """The best meeting of the clause's industry terms with the track's class,
    counted only where the sentence naming the term concerns the track's zone."""
    value_of = {"path": 1.0, "narrower": weights.industry_narrower, "word": weights.industry_word}
    part = _Part()
    for name in clause.get("industries") or []:
        term = _industry(name)
        how = _meets(keys, term) if term is not None else None
        if how is None or not industry_about_zone(clause, term, zone):  # type: ignore[arg-type]
            continue
        value = value_of[how]
        if how == "word":
            value *= _coverage(keys, term)  # type: ignore[arg-type]
        subject = _industry_prominence(clause, term, zone, weights)  # type: ignore[arg-type]
        part.value = max(part.value, round(value * subject, 4))
        suffix = "（下位产业）" if how == "narrower" else ""
        passing = "（顺带提及）" if subject < 1.0 else ""
        part.reasons.append(f"产业：{name}{suffix}{passing}")
    return part


def _industry_prominence(
    clause: dict[str, Any], term: lexicon.IndustryTerm, zone: Zone | None, weights: LinkWeights
) -> float:
    """``prominence`` of an industry, and full where a sentence naming the track's
    zone lists it: "包头国家级稀土高新区重点打造稀土、有色金属新材料…等产业集群"
    assigns the zone its industries, so the list is the point there."""
    if zone is not None and _named_with_zone(_clause_text(clause), term, zone.id):
        return 1.0
    return prominence(term.names, clause, weights)


@lru_cache(maxsize=65536)
def _named_with_zone(text: str, term: lexicon.IndustryTerm, zone_id: str) -> bool:
    names = _folded_names(term.names)
    return any(zone_id in zones and any(n in sentence for n in names) for sentence, zones in _sentence_zones(text))


@lru_cache(maxsize=8192)
def _folded(heading: str, text: str) -> str:
    return _fold(heading + text)


_LEAD_END = re.compile(r"[。；;！？!?]")


@lru_cache(maxsize=8192)
def _subject_text(heading: str, text: str) -> str:
    """The part of a clause that says what it is about: its heading and the lead
    sentence of each paragraph.

    Policy clauses open with a topic sentence ("大力发展新型研发机构。") and
    001-style clauses repeat their heading as a run-in title first, so the
    sentence after a run-in title leads too. A word found only further on is
    mentioned in passing (a list of kinds, a means to another end).
    """
    head = _fold(heading)
    out = [head]
    for paragraph in (text or "").splitlines():
        sentences = [s for s in (_fold(x) for x in _LEAD_END.split(paragraph)) if s]
        if not sentences:
            continue
        leads = sentences[:1]
        run_in = head and (sentences[0] in head or head in sentences[0])
        if (run_in or len(sentences[0]) <= _RUN_IN_CHARS) and len(sentences) > 1:
            leads.append(sentences[1])
        out.extend(_without_long_lists(lead) for lead in leads)
    return "\n".join(out)


_SEGMENT = re.compile(r"[，,：:]")


def _without_long_lists(sentence: str) -> str:
    """The sentence without its long enumerations ("在能源、乳业、草业、中药…等领域"):
    a field named among four or more is an example, not the subject."""
    return "，".join(s for s in _SEGMENT.split(sentence) if not _is_long_list(s))


def _is_long_list(segment: str) -> bool:
    """An enumeration closed by 等 with at least ``_LIST_ITEMS`` items."""
    return segment.count("、") >= _LIST_ITEMS - 1 and "等" in segment


_LIST_ITEMS = 4


_RUN_IN_CHARS = 16
"""A paragraph's first sentence this short is a run-in title ("强化重点实验室体系
建设。"): the sentence after it is a lead sentence too."""


def clause_subject(clause: dict[str, Any]) -> str:
    """Folded heading and lead sentences of ``clause`` (see ``_subject_text``)."""
    return _subject_text(clause.get("heading") or "", clause.get("text") or "")


def prominence(names: Iterable[str], clause: dict[str, Any], weights: LinkWeights) -> float:
    """1 when one of ``names`` is the clause's subject (heading or a lead sentence),
    ``weights.passing`` when it is only mentioned further on."""
    subject = clause_subject(clause)
    if any(n in subject for n in _folded_names(tuple(names))):
        return 1.0
    return weights.passing


def _clause_text(clause: dict[str, Any]) -> str:
    return _folded(clause.get("heading") or "", clause.get("text") or "")


_HEADING_DIRECTION = {"传统产业": "传统产业转型升级", "新兴产业": "新兴产业延伸", "未来产业": "未来产业验证熟化"}
"""A heading naming one of these is written for that direction alone."""


def _heading_direction(clause: dict[str, Any]) -> str | None:
    heading = _fold(clause.get("heading") or "")
    found = [d for word, d in _HEADING_DIRECTION.items() if word in heading]
    return found[0] if len(found) == 1 else None


def direction_part(clause: dict[str, Any], direction: str, weights: LinkWeights = DEFAULT_WEIGHTS) -> _Part:
    """The clause speaks of the track's direction (its words, longest kept).

    A clause whose heading is written for another direction (``新兴产业延伸的
    新赛道`` for a future track) counts against the link instead.
    """
    aimed = _heading_direction(clause)
    if aimed is not None and direction and aimed != direction:
        return _Part(-1.0, [f"方向：条款针对{aimed}"])
    text = _clause_text(clause)
    hits = [w for w in DIRECTION_TERMS.get(direction, ()) if w in text]
    hits = [w for w in hits if not any(w != o and w in o for o in hits)]
    if not hits:
        return _Part()
    core = [w for w in hits if any(c in w for c in DIRECTION_CORE.get(direction, ()))]
    if core and prominence(core, clause, weights) == 1.0:
        return _Part(1.0, [f"方向：{direction}（{'、'.join(hits[:3])}）"])
    return _Part(weights.passing, [f"方向：{direction}（{'、'.join(hits[:3])}，顺带提及）"])


def track_part(clause: dict[str, Any], weights: LinkWeights = DEFAULT_WEIGHTS, direction: str = "") -> _Part:
    """The clause is about cultivating new tracks: it governs every declared track.

    Its directions, conditions and form of support (headed 培育方向, 申报条件,
    支持方式 …, or the track's own direction) bind each track, which is judged
    and funded by them; its goals,
    the zones' tasks and the organisation are background (``track_background``).
    A clause that names 新赛道 only in passing (开辟科技服务业新赛道) gets half
    of that (``passing``): it is not about the programme.
    """
    if not any(w in _clause_text(clause) for w in TRACK_TERMS):
        return _Part()
    if prominence(TRACK_TERMS, clause, weights) < 1.0:
        return _Part(weights.track_background * weights.passing, ["新赛道：顺带提及新赛道"])
    heading = _fold(clause.get("heading") or "")
    if any(w in heading for w in TRACK_BINDING_HEADINGS) or (direction and _heading_direction(clause) == direction):
        return _Part(1.0, ["新赛道：新赛道培育的方向、条件或支持方式"])
    return _Part(weights.track_background, ["新赛道：新赛道培育政策"])


def _platform_match(term: lexicon.BeneficiaryTerm, platforms: Iterable[dict[str, Any]]) -> str | None:
    for platform in platforms:
        name = _fold(platform.get("name") or "")
        if any(n in name for n in _folded_names(term.names)):
            level = platform.get("level") or ""
            return f"{platform.get('name')}（{level}）" if level else str(platform.get("name"))
    return None


PLATFORM_HEADING_CUES = ("平台", "载体", "孵化", "实验室", "研发机构", "工作站")
"""Heading words of a clause about innovation platforms as such (强化创新平台建设):
every platform kind it names is its subject, not only those in a lead sentence."""


def platform_is_subject(term: lexicon.BeneficiaryTerm, clause: dict[str, Any]) -> bool:
    """The platform kind is what the clause is about: in its heading or a lead
    sentence, or named anywhere in a clause headed as being about platforms."""
    heading = _fold(clause.get("heading") or "")
    if any(cue in heading for cue in PLATFORM_HEADING_CUES):
        return True
    subject = clause_subject(clause)
    return any(n in subject for n in _folded_names(term.names))


def _register_types(track: dict[str, Any]) -> Counter[str]:
    """Register types attached to the track's firms (``firm["types"]``) once imported."""
    return Counter(t for firm in track.get("firms") or [] for t in firm.get("types") or [])


def beneficiary_part(
    clause: dict[str, Any], track: dict[str, Any], text: str, weights: LinkWeights
) -> _Part:
    """The clause's beneficiaries against the track's firms, platforms and text."""
    part = _Part()
    firms = len(track.get("firms") or [])
    registered = _register_types(track)
    for name in clause.get("beneficiaries") or []:
        term = _beneficiary(name)
        if term is None:
            continue
        value, reason = _beneficiary_value(term, clause, track, text, firms, registered, weights)
        if value > 0:
            part.value = max(part.value, value)
            part.reasons.append(reason)
    part.reasons = list(dict.fromkeys(part.reasons))[:3]
    return part


def _beneficiary_value(
    term: lexicon.BeneficiaryTerm,
    clause: dict[str, Any],
    track: dict[str, Any],
    text: str,
    firms: int,
    registered: Counter[str],
    weights: LinkWeights,
) -> tuple[float, str]:
    named_in_text = any(n in text for n in _folded_names(term.names))
    if term.kind == "platform":
        found = _platform_match(term, track.get("platforms") or [])
        if found:
            return _platform_value(term, found, clause, weights)
        return (weights.talent_text, f"平台：{term.term}（申报材料提及）") if named_in_text else (0.0, "")
    if term.kind == "firm":
        if registered.get(term.term):
            return weights.firm_named, f"对象：{term.term}（{registered[term.term]}家）"
        if firms and named_in_text:
            return weights.firm_named, f"对象：{term.term}（申报材料提及）"
        if firms:
            return weights.firm_generic, f"对象：企业（本赛道{firms}家）"
        return 0.0, ""
    if named_in_text:
        return weights.talent_text, f"对象：{term.term}"
    return 0.0, ""


def _platform_value(
    term: lexicon.BeneficiaryTerm, found: str, clause: dict[str, Any], weights: LinkWeights
) -> tuple[float, str]:
    """A platform kind the track has (``found``): full value where the clause is about that kind."""
    if platform_is_subject(term, clause):
        return 1.0, f"平台：{found}"
    return weights.platform_passing, f"平台：{found}（条款顺带提及）"


_NO_PART = _Part()
_NO_PARTS = (_NO_PART, _NO_PART)

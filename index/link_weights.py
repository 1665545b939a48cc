"""The weights of a track–clause link, in one documented place.

A link's score is ``sum(weight[part] * value[part])`` over the visible parts
below; every part value lies in 0–1 and comes with a Chinese reason, so a user
can see why a clause was linked and a maintainer can retune one number here
without touching the code in ``links.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LinkWeights:
    """Weights of the score parts and the thresholds applied to them."""

    zone: float = 1.6
    """The clause names the track's own zone (提及本区). Strong: a clause written
    for this zone is rarely irrelevant to a track of that zone."""

    zone_own_policy: float = 0.5
    """Value of the ``zone`` part when the clause's policy is written for the zone
    (its title names it, 鄂府发〔2025〕36号 for 鄂尔多斯高新区): there every
    clause concerns the zone, and the scope part already says so."""

    other_zone: float = -0.6
    """The clause or its policy's title names zones, none of them the track's
    (仅提及他区). Negative: such clauses are about another zone's business,
    although the policy's area still covers the track."""

    scope: float = 0.3
    """The policy's area covers the zone (适用范围). Every candidate has it; the
    value grows with how local the issuer is (see ``scope_levels``), so a county
    plan outranks a region plan on otherwise equal terms."""

    industry: float = 1.3
    """The clause's industry terms meet the track's class (产业), through the
    lexicon's codes on the track's classification path or the track's own words."""

    direction: float = 0.9
    """The clause speaks of the track's direction or of new-track cultivation
    (方向): 未来产业/中试 for future tracks, 转型升级/技术改造 for traditional
    ones, 战略性新兴产业 for emerging ones."""

    track: float = 1.6
    """The clause is about cultivating new tracks (新赛道, seed 000's plan):
    it governs every declared track, whatever its industry."""

    beneficiary: float = 1.3
    """The clause's beneficiaries meet what the track has (对象/平台): its firms,
    its platforms by name and level, register types once imported. A clause
    about a kind of platform the track lists (value 1) matters to it as much as
    one naming its industry; firm kinds count for less (``firm_*``)."""

    track_background: float = 0.45
    """Value of the ``track`` part for a new-track clause that is background
    (goals, the zones' tasks, organisation, publicity) rather than a direction,
    condition or form of support every track is judged or funded by."""

    text: float = 1.0
    """BM25 similarity of the track's texts to the clause, divided by the best
    candidate's score for this track (文本相似)."""

    scope_levels: dict[str, float] = field(
        default_factory=lambda: {
            "zone": 1.0,
            "county": 1.0,
            "city": 0.8,
            "region": 0.5,
            "national": 0.4,
            "named": 0.6,
        }
    )
    """Value of the ``scope`` part per issuer level; ``named`` is a clause that
    reaches the zone only by naming it."""

    industry_narrower: float = 0.5
    """Industry value when the clause's term sits BELOW the track's class (a
    稀土 clause for a 有色金属 track): related, but not the track's own field."""

    industry_word: float = 0.8
    """Industry value when only the words meet (the term is written in the
    track's label or class names) without a code tie."""

    firm_generic: float = 0.2
    """Beneficiary value when the clause names a kind of firm and the track
    lists firms, but nothing says its firms are of that kind."""

    firm_named: float = 0.5
    """Beneficiary value when the track says it has that kind of firm (its text
    names it, or a register type is attached to its firms)."""

    talent_text: float = 0.4
    """Beneficiary value for talent/institution terms the track's text names."""

    passing: float = 0.5
    """Share of the industry or direction value kept when the clause only mentions
    the term in passing: not in its heading or a lead sentence, or only inside a
    long enumeration ("在能源、乳业、草业…等重点领域")."""

    platform_passing: float = 0.4
    """Beneficiary value when a clause names one of the track's platform kinds in
    passing (总体部署 listing 创新联合体 among other means) rather than being
    about that kind of platform (value 1)."""

    min_score: float = 0.45
    """Links below this score are dropped: they rest on scope alone or on a
    faint textual echo."""

    bm25_k1: float = 1.5
    """BM25 term-frequency saturation."""

    bm25_b: float = 0.75
    """BM25 length normalisation."""


DEFAULT_WEIGHTS = LinkWeights()

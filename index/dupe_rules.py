"""Duplicate firms, the rules: one firm entity from many firm-table rows (no SQL here).

A *mention* is one row of a declaration's firm table (企业名录). The same firm
shows up in several tracks, of one zone or of several, written differently
(brackets, legal form, region prefix, traditional characters …) and with its
credit code misprinted. :func:`find_groups` links mentions pairwise on
explicit evidence and joins the links with union-find.

Evidence, strongest first (each pair keeps a Chinese reason for staff):

* the same corrected credit code — a code identifies its registrant, even when
  the names differ (a firm renamed between two submissions);
* codes one confusable character apart (OCR / typing confusions of
  ``uscc_data``), one check-character repair apart, or two neighbours swapped,
  *and* matching names (a single-character error proves nothing alone: two
  valid codes are never one substitution apart, so one side is invalid);
* the same normalised name (:func:`name_key`) with compatible regions, and a
  missing code or a code that fails its check on one side;
* names close by rapidfuzz (:func:`same_firm_score`) with compatible codes.

Decisions taken here:

* Two **different valid codes** never link, whatever the names: two real
  firms can share a short name (鑫达商贸 in 包头 and in 鄂尔多斯), while a
  misprint that happens to verify needs two errors (≈1/31 of double errors).
  A group therefore never holds two different valid printed codes; merges that
  would create one are refused (this also stops chains through a name-only
  mention).
* Links are applied strongest first, so a weak link never decides between two
  strong groups.

Blocking keeps the work near-linear: distinct codes are blocked exactly; an
invalid code also meets the seen codes among its check-character and
adjacent-transposition repairs, and the other invalid codes sharing its even or
its odd positions (one substitution leaves one of the two intact); names by
``name_key`` and by the first and last characters of the name's core, a pair of
near keys judged once on their scores. Blocks larger than :data:`MAX_BLOCK` are
skipped (they hold generic keys, not one firm). Each candidate pair is judged
once, whatever number of blocks found it.

Staff decisions (confirm a group, split mentions out of one) are keyed by
stable mention identity (file sha256 + row number) so they survive re-imports:
a split pair never links again; a group whose members were all confirmed
together gets confidence 1.0.

Grouping a big index takes seconds to a minute, so :func:`all_groups` keeps the
groups under the data state of what they read (firm rows, their files, code
corrections, decisions: ``overview.cached``), in memory and in the index
(:func:`groups_codec`), and an import computes them at its end
(:func:`precompute_groups`): the CLI and a restarted server read them back.
Stored groups decode their members on first use (:class:`StoredGroup`), as a
page shows a hundred groups of tens of thousands.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import combinations
from typing import Any

from rapidfuzz import fuzz

from saidao.extractors.firm_name import (
    firm_parts_score,
    key_parts,
)
from saidao.extractors.uscc import adjacent_transpositions, single_substitutions
from saidao.extractors.uscc_data import CONFUSABLE_PAIRS
from saidao.index.dupe_model import (
    Decision,
    Group,
    Link,
    Mention,
    gc_paused,
    member_order,
    valid_code,
)
from saidao.index.firm_regions import regions_agree

#: Blocks with more distinct entries than this are skipped: a key shared by so
#: many different names is generic (a common word), not one firm.
MAX_BLOCK = 200

#: Name agreement needed beside a near code (one misread character).
NEAR_CODE_NAME = 0.85
#: Name similarity for a link on names alone (codes compatible).
FUZZY_NAME = 0.9
#: same_firm_score of two names with one key and compatible regions.
SAME_KEY_SCORE = 0.95

_CONFUSABLE = frozenset(frozenset(p) for p in CONFUSABLE_PAIRS)


# ---------------------------------------------------------------- pair rules


def _one_error_apart(x: str, y: str) -> str | None:
    """How two different 18-character codes are one error apart, as a Chinese phrase.

    One substitution (the pair named when it is a known lookalike) or two
    neighbours swapped; None otherwise. Two valid codes are never one error
    apart (the check character detects both), so one of them is a misprint.
    """
    diff = [i for i in range(18) if x[i] != y[i]]
    if len(diff) == 1:
        pos = diff[0]
        pair = f"{x[pos]}/{y[pos]}"
        if frozenset((x[pos], y[pos])) in _CONFUSABLE:
            return f"信用代码仅差一个易混字符（{pair}）"
        return f"信用代码仅差一个字符（第{pos + 1}位 {pair}，校验位可纠正）"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] \
            and x[diff[1]] == y[diff[0]]:
        return f"信用代码仅差相邻两位互换（第{diff[0] + 1}、{diff[1] + 1}位）"
    return None


def _near_code_reason(a: Mention, b: Mention) -> str | None:
    """How some code of a and some code of b are one error apart, or None."""
    for x in a.codes:
        for y in b.codes:
            if x != y and (reason := _one_error_apart(x, y)):
                return reason
    return None


def name_score(a: Mention, b: Mention) -> float:
    """How alike two names are, 0–1, regions left out (:func:`regions_agree` judges them).

    ``firm_name.firm_parts_score`` over the parts of the stored keys: regions
    aside, a key holds everything the score reads, so no printed name is split
    again for a pair.
    """
    if a.key and a.key == b.key:
        return 1.0  # the common case, without scoring
    return firm_parts_score(key_parts(a.key), key_parts(b.key), regions=False)


def _code_state(a: Mention, b: Mention) -> str:
    """same / conflict / missing / unchecked (a code fails its check, unrelated)."""
    if a.code and a.code == b.code:
        return "same"
    if a.hard_code and b.hard_code:
        return "conflict"
    if not a.codes or not b.codes:
        return "missing"
    return "unchecked"


def pair_link(a: Mention, b: Mention, ia: int, ib: int) -> Link | None:
    """The strongest evidence that a and b are one firm, or None (cheap tests first)."""
    state = _code_state(a, b)
    if state == "conflict":
        return None
    if state == "same":
        if name_score(a, b) >= NEAR_CODE_NAME:
            return Link(ia, ib, 0.99, "信用代码相同")
        return Link(ia, ib, 0.9, "信用代码相同（名称写法不同，可能已更名）")
    near = _near_code_reason(a, b) if state == "unchecked" else None
    if near is None and a.key != b.key and fuzz.ratio(a.key, b.key) < 80:
        return None
    score = name_score(a, b)
    if near and score >= NEAR_CODE_NAME:
        conf = 0.95 if score >= FUZZY_NAME else 0.88
        return Link(ia, ib, conf, f"{near}且名称一致" if score >= SAME_KEY_SCORE else f"{near}且名称相近")
    if score < FUZZY_NAME or not regions_agree(a, b):
        return None
    if a.key == b.key and score >= SAME_KEY_SCORE:
        if state == "missing":
            both = not a.codes and not b.codes
            return Link(ia, ib, 0.85 if both else 0.9,
                        "名称规范化后相同（均未填信用代码）" if both
                        else "名称规范化后相同（一方未填信用代码）")
        return Link(ia, ib, 0.8, "名称规范化后相同（信用代码未通过校验）")
    if state == "missing" or near:
        return Link(ia, ib, round(0.9 * score, 3), f"名称相近（相似度{score:.2f}），信用代码不冲突")
    return None


# ---------------------------------------------------------------- blocking


def _index_by(values: Iterable[tuple[Any, int]]) -> dict[Any, list[int]]:
    out: dict[Any, list[int]] = defaultdict(list)
    for key, i in values:
        out[key].append(i)
    return out


def _code_blocks(mentions: Sequence[Mention]) -> Iterator[tuple[list[int], list[int]]]:
    """Pairs of mention lists whose codes are equal or one error apart.

    Two valid codes are never one error apart, so only misprinted codes need
    neighbours: their check-character repairs and swaps (looked up among the
    codes seen), and other misprints one substitution away (:func:`_one_apart_pairs`).
    """
    by_code = _index_by((c, i) for i, m in enumerate(mentions) for c in m.codes)
    for members in by_code.values():
        if len(members) > 1:
            yield members, members
    misprints = [code for code in by_code if not valid_code(code)]
    for code in misprints:
        for fixed in (*single_substitutions(code), *adjacent_transpositions(code)):
            if fixed in by_code:
                yield by_code[code], by_code[fixed]
    for x, y in _one_apart_pairs(misprints):
        yield by_code[x], by_code[y]


def _one_apart_pairs(codes: Sequence[str]) -> Iterator[tuple[str, str]]:
    """Pairs of equal-length codes differing in exactly one position.

    Pigeonhole blocking: one difference leaves either the even or the odd
    positions identical, so two keys per code find every such pair (18 masked
    keys per code did the same at nine times the cost). Each key holds half
    the organisation-code characters, so blocks stay small.
    """
    blocks: dict[tuple[int, str], list[str]] = defaultdict(list)
    for code in codes:
        blocks[0, code[0::2]].append(code)
        blocks[1, code[1::2]].append(code)
    for members in blocks.values():
        if not 1 < len(members) <= MAX_BLOCK:
            continue
        for x, y in combinations(members, 2):
            if sum(a != b for a, b in zip(x, y, strict=True)) == 1:
                yield x, y


def _name_blocks(mentions: Sequence[Mention]) -> Iterator[tuple[list[int], list[int]]]:
    """Pairs of mention lists with one name key, or keys sharing a core prefix/suffix."""
    by_key = _index_by((m.key, i) for i, m in enumerate(mentions) if m.key)
    for members in by_key.values():
        if 1 < len(members) <= MAX_BLOCK:
            yield members, members
    near: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key in by_key:
        core = key_parts(key).core
        if len(core) >= 4:
            near["p", core[:3]].append(key)
            near["s", core[-3:]].append(key)
    seen: set[tuple[str, str]] = set()
    for keys in near.values():
        if not 1 < len(keys) <= MAX_BLOCK:
            continue
        for x, y in combinations(keys, 2):
            if (x, y) in seen or fuzz.ratio(x, y) < 85:
                continue
            seen.add((x, y))
            # the name score of two rows depends on their keys alone: judged once
            # per key pair, a pair of keys too far apart to link any rows is dropped
            score = firm_parts_score(key_parts(x), key_parts(y), regions=False)
            if score >= NEAR_CODE_NAME:
                yield by_key[x], by_key[y]


def _signature(m: Mention) -> tuple[str, str, str, str | None]:
    """Everything :func:`pair_link` and the blocking read of a row.

    Two rows with one signature (the same declaration imported twice, a firm
    copied from one form to the next) are judged alike against every other
    row, so only one of them needs judging.
    """
    return (m.name, m.key, m.printed, m.code)


def _alike_rows(mentions: Sequence[Mention], pinned: Iterable[int]) -> tuple[list[int], list[list[int]]]:
    """One representative per signature, and each representative's class of rows.

    ``pinned`` rows (named in a staff decision) stand alone: a decision is about
    those very rows, not every row that reads the same.
    """
    pinned = set(pinned)
    classes: dict[Any, list[int]] = {}
    for i, m in enumerate(mentions):
        classes.setdefault(("row", i) if i in pinned else _signature(m), []).append(i)
    rows = list(classes.values())
    return [c[0] for c in rows], rows


def candidate_links(mentions: Sequence[Mention], pinned: Iterable[int] = ()) -> list[Link]:
    """Every accepted pair found through the blocks, each pair judged once.

    Rows are first folded by signature (:func:`_alike_rows`): blocks pair the
    representatives, and the rows of one class are chained to their
    representative by the link two of them would get. A firm listed in 2,000
    copies of a form then costs 2,000 links, not 2,000 × 1,999 / 2 pairs, and the
    groups are those every pair would give (alike rows link alike).
    """
    reps, classes = _alike_rows(mentions, pinned)
    shown = [mentions[i] for i in reps]
    n = len(shown)
    pairs: set[int] = set()  # a * n + b with a < b: cheaper than a set of tuples
    for left, right in (*_code_blocks(shown), *_name_blocks(shown)):
        if left is right:  # a block paired with itself: its members are ascending
            pairs.update(a * n + b for a, b in combinations(left, 2))
        else:
            pairs.update(a * n + b if a < b else b * n + a for a in left for b in right if a != b)
    links = []
    best: dict[int, Link] = {}  # each representative's strongest link to another class
    for pair in pairs:
        a, b = divmod(pair, n)
        if link := pair_link(shown[a], shown[b], reps[a], reps[b]):
            links.append(link)
            for end in (link.a, link.b):
                if end not in best or link.confidence > best[end].confidence:
                    best[end] = link
    for first, *rest in classes:
        if rest:
            links.extend(_class_links(mentions, first, rest, best.get(first)))
    return links


def _class_links(mentions: Sequence[Mention], first: int, rest: list[int],
                 outside: Link | None) -> list[Link]:
    """Links that join a class's rows to its representative.

    Judged pair by pair, each row would join its group through the strongest link
    it has: to a row of its own class, or (as its representative does) to a row
    outside. The chain carries the stronger of the two, so the group's evidence
    and confidence come out as the pairwise judgement gives them.
    """
    inside = pair_link(mentions[first], mentions[rest[0]], first, rest[0])
    chosen = max((k for k in (inside, outside) if k), key=lambda k: k.confidence, default=None)
    if chosen is None:
        return []
    return [Link(first, i, chosen.confidence, chosen.evidence) for i in rest]


# ---------------------------------------------------------------- union-find


class _Components:
    """Union-find whose merges respect codes and staff splits."""

    def __init__(self, mentions: Sequence[Mention], apart: dict[int, set[int]]) -> None:
        self.parent = list(range(len(mentions)))
        self.codes = [{m.hard_code} if m.hard_code else set() for m in mentions]
        self.members: list[set[int]] = [{i} for i in range(len(mentions))]
        self.apart = apart
        self.links: list[list[Link]] = [[] for _ in mentions]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def _blocked(self, ra: int, rb: int) -> bool:
        if self.codes[ra] and self.codes[rb] and self.codes[ra] != self.codes[rb]:
            return True
        small, big = sorted((ra, rb), key=lambda r: len(self.members[r]))
        return any(self.apart.get(i, set()) & self.members[big] for i in self.members[small])

    def union(self, link: Link, force: bool = False) -> bool:
        ra, rb = self.find(link.a), self.find(link.b)
        if ra == rb:
            return False
        if not force and self._blocked(ra, rb):
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.codes[ra] |= self.codes[rb]
        self.members[ra] |= self.members[rb]
        self.links[ra] += self.links[rb] + [link]
        return True


def _decision_constraints(
    mentions: Sequence[Mention], decisions: Iterable[Decision]
) -> tuple[dict[int, set[int]], list[set[int]]]:
    """Cannot-link sets from splits, and the confirmed sets (indices present now).

    Decisions apply in order: a later split takes its mentions out of earlier
    confirmed sets; a later confirm lifts earlier splits between its members.
    """
    where = _index_by((m.id, i) for i, m in enumerate(mentions))
    apart: dict[int, set[int]] = defaultdict(set)
    confirmed: list[set[int]] = []
    for d in decisions:
        left = {i for mid in d.mentions for i in where.get(mid, ())}
        if d.kind == "confirm":
            for i in left:
                apart[i] -= left
            confirmed.append(left)
            continue
        right = {i for mid in d.others for i in where.get(mid, ())}
        for chosen in confirmed:
            if chosen & right:
                chosen -= left
        for i in left:
            apart[i] |= right
        for j in right:
            apart[j] |= left
    return apart, [c for c in confirmed if len(c) > 1]


# ---------------------------------------------------------------- groups


def group_id_for(members: Sequence[Mention]) -> str:
    """A short id from the group's earliest member identity: stable across runs
    and re-imports as long as that row stays in the group."""
    first = min(m.id for m in members)
    return "G" + hashlib.sha1(first.encode("utf-8")).hexdigest()[:10]


def _display_name(members: Sequence[Mention]) -> str:
    """The most frequent printed name, longest among ties (most complete)."""
    counts: dict[str, int] = defaultdict(int)
    for m in members:
        counts[m.name.strip()] += 1
    return max(counts, key=lambda n: (counts[n], len(n), n))


def _group_code(members: Sequence[Mention]) -> str | None:
    counts: dict[str, int] = defaultdict(int)
    for m in members:
        if m.code:
            counts[m.code] += 1 + (m.hard_code is not None)
    return max(counts, key=lambda c: (counts[c], c)) if counts else None


def _build_group(members: list[Mention], links: list[Link], confirmed: bool) -> Group:
    members.sort(key=member_order)
    evidence: list[str] = []
    if confirmed:
        evidence.append("人工确认")
    for link in sorted(links, key=lambda k: -k.confidence):
        if link.evidence not in evidence and link.evidence != "人工确认":
            evidence.append(link.evidence)
    if len({m.track_id for m in members}) < len(members):
        evidence.append("同一赛道内重复列出")
    real = [k.confidence for k in links if k.evidence != "人工确认"]
    confidence = 1.0 if confirmed else round(min(real, default=1.0), 3)
    return Group(group_id_for(members), _display_name(members), _group_code(members),
                 confidence, evidence, members, confirmed)


def find_groups(mentions: Iterable[Mention], decisions: Iterable[Decision] = ()) -> list[Group]:
    """Group the mentions that name one firm; only groups of two or more rows.

    Groups come largest first; within a size, by name.
    """
    with gc_paused():
        return _find_groups(list(mentions), decisions)


def _find_groups(rows: list[Mention], decisions: Iterable[Decision]) -> list[Group]:
    apart, confirmed = _decision_constraints(rows, decisions)
    comps = _Components(rows, apart)
    for chosen in confirmed:
        first, *rest = sorted(chosen)
        for other in rest:
            comps.union(Link(first, other, 1.0, "人工确认"), force=True)
    pinned = {i for rows_apart in apart.values() for i in rows_apart} | set(apart)
    pinned.update(i for chosen in confirmed for i in chosen)
    for link in sorted(candidate_links(rows, pinned), key=lambda k: (-k.confidence, k.a, k.b)):
        comps.union(link)
    groups = []
    for root in {comps.find(i) for i in range(len(rows))}:
        idx = comps.members[root]
        if len(idx) < 2:
            continue
        is_confirmed = any(idx <= chosen for chosen in confirmed)
        groups.append(_build_group([rows[i] for i in idx], comps.links[root], is_confirmed))
    groups.sort(key=lambda g: (-len(g.members), g.name, g.group_id))
    return groups

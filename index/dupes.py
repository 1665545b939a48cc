"""Duplicate firms across tracks: one firm entity from many firm-table rows.

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

import gc
import hashlib
import json
import re
import struct
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Any, Literal

from rapidfuzz import fuzz
from stdnum import numdb

from saidao.extractors.firm_name import (
    FirmName,
    firm_parts_score,
    key_parts,
    name_key,
    split_firm_name,
)
from saidao.extractors.uscc import adjacent_transpositions, compact, is_valid, single_substitutions
from saidao.extractors.uscc_data import CONFUSABLE_PAIRS

__all__ = [
    "GROUPS_DEPEND",
    "MAX_BLOCK",
    "Decision",
    "Group",
    "Link",
    "Mention",
    "Evaluation",
    "StoredGroup",
    "all_groups",
    "compute_groups",
    "evaluate",
    "find_groups",
    "group_id_for",
    "groups_codec",
    "groups_from_index",
    "mention_id",
    "precompute_groups",
]

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


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Mention:
    """One firm-table row: where it is and what it says."""

    track_id: str
    seq: int
    name: str
    uscc_printed: str = ""
    uscc: str | None = None  # the corrected code (None when no unique correction)
    zone: str = ""
    file: str = ""
    sha256: str = ""
    name_key: str = ""  # as stored by the index (computed here when empty)
    # derived in __post_init__ (see there)
    id: str = field(init=False, repr=False, compare=False)
    key: str = field(init=False, repr=False, compare=False)
    printed: str = field(init=False, repr=False, compare=False)
    hard_code: str | None = field(init=False, repr=False, compare=False)
    code: str | None = field(init=False, repr=False, compare=False)
    codes: frozenset[str] = field(init=False, repr=False, compare=False)
    _parts: FirmName | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # derived values computed once, eagerly: plain attributes are much
        # cheaper than cached properties over 100,000 rows
        printed = _compact(self.uscc_printed) if self.uscc_printed else ""
        hard = printed if printed and _valid(printed) else None
        fixed = _compact(self.uscc) if self.uscc else ""
        code = hard or (fixed if fixed and _valid(fixed) else None)
        # written to __dict__ directly: the frozen __setattr__ costs a call per field
        self.__dict__.update(
            id=mention_id(self.sha256 or self.track_id, self.seq),
            key=self.name_key or name_key(self.name),
            printed=printed,  # the printed code compacted
            hard_code=hard,  # the printed code when it verifies: beyond doubt
            code=code,  # the best valid code: printed if it verifies, else the correction
            # every 18-character code this row might mean
            codes=frozenset(c for c in (printed, code) if c and len(c) == 18),
            _parts=None,
        )

    @property
    def parts(self) -> FirmName:
        """The name split into region, core, legal form and tail (once per row, on demand)."""
        if self._parts is None:
            object.__setattr__(self, "_parts", split_firm_name(self.name))
        return self._parts

    def to_dict(self) -> dict[str, Any]:
        """The member shape of ``dupes --json``."""
        return {
            "mention_id": self.id, "zone": self.zone,  # track_id a number, as everywhere:
            "track_id": int(self.track_id) if str(self.track_id).isdigit() else self.track_id,
            "file": self.file, "sha256": self.sha256, "seq": self.seq, "name": self.name,
            "uscc_printed": self.uscc_printed, "uscc": self.uscc,
        }


def mention_id(sha256_or_track: str, seq: int) -> str:
    """``<file sha256>#<row>``: the same row of the same file keeps its identity."""
    return f"{sha256_or_track}#{seq}"


@dataclass(frozen=True)
class Decision:
    """A person's ruling: ``confirm`` these mentions are one firm, or ``split``
    ``mentions`` away from ``others`` (every cross pair stays apart)."""

    kind: Literal["confirm", "split"]
    mentions: tuple[str, ...]
    others: tuple[str, ...] = ()
    by: str = ""
    at: str = ""


@dataclass(frozen=True)
class Link:
    """Evidence that two mentions (indices into the input) are one firm."""

    a: int
    b: int
    confidence: float
    evidence: str


@dataclass
class Group:
    """One firm seen in several rows, with the evidence that joined them."""

    group_id: str
    name: str
    uscc: str | None
    confidence: float
    evidence: list[str]
    members: list[Mention]
    confirmed: bool = False

    @property
    def tracks(self) -> list[str]:
        return sorted({m.track_id for m in self.members})

    @property
    def zones(self) -> list[str]:
        return sorted({m.zone for m in self.members if m.zone})

    def to_dict(self) -> dict[str, Any]:
        """The group shape of ``dupes --json`` (plus tracks, zones, confirmed)."""
        return {
            "group_id": self.group_id, "name": self.name, "uscc": self.uscc,
            "confidence": self.confidence, "evidence": self.evidence,
            "tracks": self.tracks, "zones": self.zones, "confirmed": self.confirmed,
            "members": [m.to_dict() for m in self.members],
        }

    def may_contain(self, text: str) -> bool:
        """False only when no member's printed name or code can contain ``text``
        (upper case): lets a filter skip a stored group without decoding it."""
        return True


class _Blocks:
    """The stored members' text, compressed in blocks of :data:`BLOCK_GROUPS` groups and
    decompressed one block at a time, when a group of it is first read."""

    def __init__(self, compressed: list[bytes]) -> None:
        self._compressed = compressed
        self._texts: dict[int, str] = {}
        self._upper: dict[int, str] = {}

    def text(self, block: int) -> str:
        found = self._texts.get(block)
        if found is None:  # two threads may both decompress: same text, either kept
            found = self._texts[block] = zlib.decompress(self._compressed[block]).decode("utf-8")
        return found

    def upper(self, block: int) -> str:
        found = self._upper.get(block)
        if found is None:
            found = self._upper[block] = self.text(block).upper()
        return found


class StoredGroup(Group):
    """A group read back from the index: its members decoded on first use.

    A page shows a hundred groups, a filter reads the names and zones: decoding
    every member of tens of thousands of groups would cost seconds.
    """

    def __init__(self, header: list[Any], strings: list[str], places: list[tuple[str, str, str]],
                 blocks: _Blocks, block: int) -> None:
        gid, name, uscc, confidence, evidence, confirmed, zones, start, end = header
        self.group_id, self.name, self.uscc = gid, name, uscc
        self.confidence, self.confirmed = confidence, confirmed
        self.evidence = [strings[e] for e in evidence]
        self._zones = [strings[z] for z in zones]
        self._places, self._blocks, self._where = places, blocks, (block, start, end)
        self._members: list[Mention] | None = None

    @property  # type: ignore[override]
    def members(self) -> list[Mention]:
        if self._members is None:
            block, start, end = self._where
            places = self._places
            self._members = [
                Mention(track, seq, name, printed, printed if fixed == 1 else fixed,
                        *places[place], name if key == 1 else key)
                for track, seq, name, printed, fixed, key, place
                in json.loads(self._blocks.text(block)[start:end])]
        return self._members

    @members.setter
    def members(self, value: list[Mention]) -> None:
        self._members = value

    @property
    def zones(self) -> list[str]:
        return self._zones

    def may_contain(self, text: str) -> bool:
        # the stored rows hold every name and code verbatim (JSON escapes only quotes,
        # backslashes and control characters, so any other text is found as typed)
        if self._members is not None or any(c in text for c in '"\\') or not text.isprintable():
            return True
        block, start, end = self._where
        return self._blocks.upper(block).find(text, start, end) >= 0


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


@lru_cache(maxsize=1 << 18)
def _valid(code: str) -> bool:
    return is_valid(code)


@lru_cache(maxsize=1 << 18)
def _compact(code: str) -> str:
    return compact(code)


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
    misprints = [code for code in by_code if not _valid(code)]
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
    members.sort(key=lambda m: (m.track_id, m.seq, m.id))
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
    with _gc_paused():
        return _find_groups(list(mentions), decisions)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: grouping builds millions of short-lived
    containers and no cycles, and the collector's passes over them made 100,000
    rows take twice as long."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


@dataclass
class Evaluation:
    """Pairwise precision and recall of predicted groups against truth labels."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def evaluate(groups: Sequence[Group], truth: dict[str, str]) -> Evaluation:
    """Compare groups with ``truth`` (mention id → firm id), pair by pair."""
    by_firm = _index_by((firm, mid) for mid, firm in truth.items())
    true_pairs = sum(len(v) * (len(v) - 1) // 2 for v in by_firm.values())
    predicted = correct = 0
    errors = []
    for g in groups:
        for x, y in combinations(g.members, 2):
            predicted += 1
            if truth.get(x.id) == truth.get(y.id):
                correct += 1
            elif len(errors) < 50:
                errors.append((x.name, y.name))
    return Evaluation(true_pairs, predicted, correct, errors)


# ---------------------------------------------------------------- the index


_MENTIONS_SQL = """
SELECT fm.id, fm.track_id, fm.seq, fm.name, fm.name_key, fm.uscc_printed, fm.uscc,
       COALESCE(z.name, t.zone_id, d.zone_printed, '') AS zone, f.path, f.sha256
FROM firm_mentions fm
JOIN tracks t ON t.track_id = fm.track_id
JOIN declarations d ON d.declaration_id = t.declaration_id
JOIN files f ON f.sha256 = d.file_sha256
LEFT JOIN zones z ON z.id = t.zone_id
WHERE f.status = 'imported'
ORDER BY fm.track_id, fm.seq, fm.id
"""


def _db(index_or_db: Any) -> Any:
    return index_or_db.db if hasattr(index_or_db, "db") else index_or_db


def mentions_from_index(index_or_db: Any) -> list[Mention]:
    """Every firm row of every current declaration, with staff corrections of the code."""
    db = _db(index_or_db)
    fixes = {row[0]: row[1] for row in db.execute(
        "SELECT row_id, corrected_value FROM corrections WHERE table_name = 'firm_mentions' "
        "AND field = 'uscc' ORDER BY id")}
    out = []
    with _gc_paused():  # 100,000 new objects: the collector's passes doubled the time
        for row in db.execute(_MENTIONS_SQL):
            rid, track, seq, name, key, printed, fixed, zone, path, sha = row
            fixed = fixes.get(str(rid), fixed)
            out.append(Mention(str(track), int(seq or 0), name or "", printed or "", fixed,
                               zone or "", path or "", sha or "", key or ""))
    return out


def load_decisions(index_or_db: Any) -> list[Decision]:
    """The staff decisions stored in the index, oldest first."""
    db = _db(index_or_db)
    if "dupe_decisions" not in db.table_names():
        return []
    return [Decision(kind, tuple(json.loads(mentions)), tuple(json.loads(others)), by or "", at)
            for kind, mentions, others, by, at in db.execute(
                "SELECT kind, mentions, others, decided_by, decided_at FROM dupe_decisions "
                "ORDER BY id")]


def record_decision(index_or_db: Any, decision: Decision, group_id: str = "",
                    note: str = "") -> None:
    """Store a decision (keyed by mention identity, so it survives re-imports)."""
    from saidao.index.registers import create_firm_tables, now

    db = _db(index_or_db)
    create_firm_tables(db)
    with db.conn:
        db.execute(
            "INSERT INTO dupe_decisions (kind, group_id, mentions, others, decided_by, "
            "decided_at, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [decision.kind, group_id, json.dumps(list(decision.mentions)),
             json.dumps(list(decision.others)), decision.by, decision.at or now(), note])


def compute_groups(index_or_db: Any) -> list[Group]:
    """Duplicate groups over the whole index, honouring stored decisions (uncached)."""
    return find_groups(mentions_from_index(index_or_db), load_decisions(index_or_db))


#: What grouping reads, by the names of the index's data versions: current firm rows
#: (files, declarations, tracks, firm_mentions), code corrections and staff decisions.
GROUPS_DEPEND = ("files", "declarations", "tracks", "firm_mentions", "corrections:firm_mentions",
                 "dupe_decisions")


#: Groups per compressed block of stored members: a page of groups reads one or two.
BLOCK_GROUPS = 128

_LENGTH = struct.Struct("<I")


def _encode_groups(groups: list[Group]) -> bytes:
    """Groups for the index: a compressed JSON header per group (evidence and zones
    numbered once), then the members' rows as JSON text in compressed blocks, each
    group's rows found by their place in the block. A row's zone, file and hash are
    one numbered place (they are its track's); a corrected code equal to the printed
    one, and a name key equal to the name, are written ``1``."""
    with _gc_paused():  # millions of short-lived lists: the collector's passes doubled the time
        return _encode(groups)


def _encode(groups: list[Group]) -> bytes:
    strings: dict[str, int] = {}
    places: dict[tuple[str, str, str], int] = {}
    headers: list[list[Any]] = []
    blocks: list[bytes] = []
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for first in range(0, len(groups), BLOCK_GROUPS):
        parts: list[str] = []
        size = 0
        for g in groups[first:first + BLOCK_GROUPS]:
            rows = dumps([[m.track_id, m.seq, m.name, m.uscc_printed,
                           1 if m.uscc == m.uscc_printed else m.uscc,
                           1 if m.name_key == m.name else m.name_key,
                           places.setdefault((m.zone, m.file, m.sha256), len(places))]
                          for m in g.members])
            headers.append([g.group_id, g.name, g.uscc, g.confidence,
                            [strings.setdefault(e, len(strings)) for e in g.evidence],
                            g.confirmed, [strings.setdefault(z, len(strings)) for z in g.zones],
                            size, size + len(rows)])
            parts.append(rows)
            size += len(rows)
        blocks.append(zlib.compress("".join(parts).encode("utf-8"), 1))
    head = {"format": 3, "block_groups": BLOCK_GROUPS, "strings": list(strings),
            "places": list(places), "groups": headers}
    out = [zlib.compress(json.dumps(head, ensure_ascii=False).encode("utf-8"), 1), *blocks]
    return b"".join(_LENGTH.pack(len(part)) + part for part in out)


def _split_parts(payload: bytes) -> list[bytes]:
    parts, at = [], 0
    while at < len(payload):
        (size,) = _LENGTH.unpack_from(payload, at)
        parts.append(payload[at + _LENGTH.size: at + _LENGTH.size + size])
        at += _LENGTH.size + size
    return parts


def _decode_groups(payload: bytes) -> list[Group]:
    head_bytes, *compressed = _split_parts(payload)
    head = json.loads(zlib.decompress(head_bytes))
    if head.get("format") != 3:
        raise ValueError("unknown stored groups format")
    strings, per_block, blocks = head["strings"], head["block_groups"], _Blocks(compressed)
    places = [tuple(p) for p in head["places"]]
    with _gc_paused():
        return [StoredGroup(header, strings, places, blocks, i // per_block)
                for i, header in enumerate(head["groups"])]


def groups_codec() -> Any:
    """How groups are stored in the index (``overview.Codec``)."""
    from saidao.index.overview import Codec

    return Codec(_encode_groups, _decode_groups)


def all_groups(index_or_db: Any) -> list[Group]:
    """Every duplicate group of the index, computed once per data state (and code) and
    kept in memory and in the index. Shared between callers: treat as read-only."""
    from saidao.index.overview import cached

    return cached(index_or_db, "dupe_groups", compute_groups, GROUPS_DEPEND,
                  persist=groups_codec())


def precompute_groups(index_or_db: Any) -> bool:
    """Group now (an import's last step) unless the stored groups are current, so the
    next ``saidao dupes`` or /dupes answers at once. True when it grouped."""
    from saidao.index.overview import refresh

    return refresh(index_or_db, "dupe_groups", compute_groups, GROUPS_DEPEND,
                   persist=groups_codec())


def groups_from_index(index_or_db: Any, zone: str | None = None,
                      min_confidence: float = 0.0) -> list[Group]:
    """Duplicate groups over the index, honouring stored decisions; ``zone`` keeps the
    groups with a member in that zone (any of its names). Read-only: shared."""
    groups = list(all_groups(index_or_db))
    if zone:
        wanted = _zone_names(zone)
        groups = [g for g in groups if wanted & set(g.zones)]
    return [g for g in groups if g.confidence >= min_confidence]


def _zone_names(zone: str) -> set[str]:
    """The names and ids, as the index stores them, of every zone a name people use means
    (``search.resolve_zones``: a city gives its zones); the text itself too (a zone as
    printed on a form that the registry does not know)."""
    from saidao.index.search import UnknownZone, resolve_zones

    try:
        return {zone} | {n for z in resolve_zones(zone) for n in (z.name, z.id)}
    except UnknownZone:
        return {zone}


def find_group(index_or_db: Any, group_id: str) -> Group | None:
    """The current group with this id, or None."""
    return next((g for g in groups_from_index(index_or_db) if g.group_id == group_id), None)


def confirm_group(index_or_db: Any, group_id: str, by: str = "") -> Group:
    """Record that every member of the group is one firm."""
    group = find_group(index_or_db, group_id)
    if group is None:
        raise KeyError(group_id)
    record_decision(index_or_db, Decision("confirm", tuple(m.id for m in group.members), by=by),
                    group_id)
    return group


def split_group(index_or_db: Any, group_id: str, mention_ids: Iterable[str],
                by: str = "") -> Group:
    """Record that these members are not the firm of the rest of the group.

    ``mention_ids`` are member ids (``sha256#seq``) or row numbers within the group (1-based).
    """
    group = find_group(index_or_db, group_id)
    if group is None:
        raise KeyError(group_id)
    chosen = set()
    for ref in mention_ids:
        if ref.isdigit() and 1 <= int(ref) <= len(group.members):
            chosen.add(group.members[int(ref) - 1].id)
        elif any(m.id == ref for m in group.members):
            chosen.add(ref)
        else:
            raise ValueError(ref)
    rest = tuple(m.id for m in group.members if m.id not in chosen)
    record_decision(index_or_db, Decision("split", tuple(sorted(chosen)), rest, by=by), group_id)
    return group

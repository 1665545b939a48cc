"""Duplicate firms, the records: a firm-table row (:class:`Mention`), a staff
:class:`Decision`, a :class:`Link` between two rows and a :class:`Group` of rows.

Plain data shared by the grouping rules (``index.dupe_rules``), the stored
groups (``index.dupe_store``), the index API (``index.dupes``) and the modules
that match firms to registers and re-check codes (``registers``, ``recheck``,
``eligibility``).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from saidao.extractors.firm_name import (
    FirmName,
    name_key,
    split_firm_name,
)
from saidao.extractors.uscc import compact, is_valid

# ---------------------------------------------------------------- records

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """``text`` ordered as people read numbers in it: track 7 before track 10, 赛道2
    before 赛道10 (as text, "10" < "7"). Runs of digits compare as numbers, the rest as
    text; a number sorts before text at the same place. Hand-written: three lines, where
    ``natsort`` would be a dependency for one key."""
    return tuple((0, int(part)) if i % 2 else (1, part)
                 for i, part in enumerate(_DIGITS.split(str(text))) if part or i % 2)


def member_order(member: Mention) -> tuple[Any, ...]:
    """How a group's members are listed everywhere (web, CLI, Excel): by track in
    natural order (7 before 10), then row."""
    return (natural_key(member.track_id), member.seq, member.id)



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
        printed = compact_code(self.uscc_printed) if self.uscc_printed else ""
        hard = printed if printed and valid_code(printed) else None
        fixed = compact_code(self.uscc) if self.uscc else ""
        code = hard or (fixed if fixed and valid_code(fixed) else None)
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
        return sorted({m.track_id for m in self.members}, key=natural_key)

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


@lru_cache(maxsize=1 << 18)
def valid_code(code: str) -> bool:
    return is_valid(code)


@lru_cache(maxsize=1 << 18)
def compact_code(code: str) -> str:
    return compact(code)


@contextmanager
def gc_paused() -> Iterator[None]:
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

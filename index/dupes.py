"""Duplicate firms across tracks, the index API: the firm rows and decisions of an
index, its groups (computed once per data state and code, kept in memory and in
the index), and staff decisions (confirm, split).

The jobs live in their own modules: the records in ``index.dupe_model``, the
regions in ``index.firm_regions``, the grouping rules (evidence, blocking,
union-find; see that module's docstring for the decisions) in
``index.dupe_rules``, the stored form in ``index.dupe_store``. This module
names the ones callers use, so ``from saidao.index.dupes import Group`` keeps
working.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from saidao.index.cache import cached, latest, refresh
from saidao.index.db import IndexLike, as_database, now
from saidao.index.dupe_follow import STATE_LABELS, decision_states
from saidao.index.dupe_model import Decision, Group, Link, Mention, mention_id
from saidao.index.dupe_rules import MAX_BLOCK, find_groups, group_id_for
from saidao.index.dupe_store import StoredGroup, groups_codec
from saidao.index.firm_rows import mentions
from saidao.index.schema import create_firm_tables
from saidao.vocab import DUPE_DECISION_LABELS

__all__ = [
    "GROUPS_DEPEND",
    "MAX_BLOCK",
    "DECISION_LABELS",
    "STATE_LABELS",
    "Decision",
    "Group",
    "Link",
    "Mention",
    "StoredGroup",
    "all_groups",
    "compute_groups",
    "confirm_group",
    "decisions",
    "find_group",
    "find_groups",
    "group_id_for",
    "groups_codec",
    "groups_from_index",
    "latest_groups",
    "load_decisions",
    "mention_id",
    "mentions_from_index",
    "precompute_groups",
    "record_decision",
    "select_groups",
    "split_group",
]


# ---------------------------------------------------------------- the index


def mentions_from_index(index: IndexLike) -> list[Mention]:
    """Every firm row of every current declaration, with staff corrections of the code."""
    return mentions(index)


def load_decisions(index: IndexLike) -> list[Decision]:
    """The staff decisions stored in the index, oldest first."""
    db = as_database(index)
    if "dupe_decisions" not in db.table_names():
        return []
    return [Decision(kind, tuple(json.loads(mentions)), tuple(json.loads(others)), by or "", at)
            for kind, mentions, others, by, at in db.execute(
                "SELECT kind, mentions, others, decided_by, decided_at FROM dupe_decisions "
                "ORDER BY id")]


def record_decision(index: IndexLike, decision: Decision, group_id: str = "",
                    note: str = "") -> None:
    """Store a decision (keyed by mention identity, so it survives re-imports)."""
    db = as_database(index)
    create_firm_tables(db)
    with db.conn:
        db.execute(
            "INSERT INTO dupe_decisions (kind, group_id, mentions, others, decided_by, "
            "decided_at, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [decision.kind, group_id, json.dumps(list(decision.mentions)),
             json.dumps(list(decision.others)), decision.by, decision.at or now(), note])


def decisions(index: IndexLike, only_gone: bool = False) -> list[dict[str, Any]]:
    """The staff decisions, each with the rows it names and whether they are still firm rows
    of current files (``dupe_follow.decision_states``: a decision whose rows are gone is
    shown as such; it applies to no other firm). ``only_gone``: the decisions with a row
    gone. Memoised per data state (the web's /dupes shows the gone ones). Read-only."""
    states = cached(index, "dupe_decision_states", decision_states, GROUPS_DEPEND)
    return [d for d in states if d["state"] != "valid"] if only_gone else states


DECISION_LABELS = DUPE_DECISION_LABELS  # saidao.vocab


def compute_groups(index: IndexLike) -> list[Group]:
    """Duplicate groups over the whole index, honouring stored decisions (uncached)."""
    return find_groups(mentions_from_index(index), load_decisions(index))


#: What grouping reads, by the names of the index's data versions: current firm rows
#: (files, declarations, tracks, firm_mentions), code corrections and staff decisions.
GROUPS_DEPEND = ("files", "declarations", "tracks", "firm_mentions", "corrections:firm_mentions",
                 "dupe_decisions")


def all_groups(index: IndexLike) -> list[Group]:
    """Every duplicate group of the index, computed once per data state (and code) and
    kept in memory and in the index. Shared between callers: treat as read-only."""
    return cached(index, "dupe_groups", compute_groups, GROUPS_DEPEND,
                  persist=groups_codec())


def precompute_groups(index: IndexLike) -> bool:
    """Group now (an import's last step) unless the stored groups are current, so the
    next ``saidao dupes`` or /dupes answers at once. True when it grouped."""
    return refresh(index, "dupe_groups", compute_groups, GROUPS_DEPEND,
                   persist=groups_codec())


def groups_from_index(index: IndexLike, zone: str | None = None,
                      min_confidence: float = 0.0) -> list[Group]:
    """Duplicate groups over the index, honouring stored decisions; ``zone`` keeps the
    groups with a member in that zone (any of its names). Read-only: shared."""
    return select_groups(all_groups(index), zone, min_confidence)


def latest_groups(index: IndexLike) -> tuple[list[Group], bool] | None:
    """The groups without grouping: (groups, True) when they are those of the current
    data state and code; (the last stored groups, False) when a write (a corrected code,
    a decision) or new grouping rules made them out of date; None when none were ever
    stored. For the web, which regroups in the background (``web.regroup``) and shows
    out-of-date groups only under a notice."""
    return latest(index, "dupe_groups", __name__, GROUPS_DEPEND, persist=groups_codec())


def select_groups(groups: Iterable[Group], zone: str | None = None,
                  min_confidence: float = 0.0) -> list[Group]:
    """The groups with a member in ``zone`` (any of its names) and at least this confidence."""
    groups = list(groups)
    if zone:
        wanted = _zone_names(zone)
        groups = [g for g in groups if wanted & set(g.zones)]
    return [g for g in groups if g.confidence >= min_confidence]


def _zone_names(zone: str) -> set[str]:
    """The names and ids, as the index stores them, of every zone a name people use means
    (``search.resolve_zones``: a city gives its zones); the text itself too (a zone as
    printed on a form that the registry does not know)."""
    from saidao.index.search import UnknownZone, resolve_zones  # search asks dupes nothing

    try:
        return {zone} | {n for z in resolve_zones(zone) for n in (z.name, z.id)}
    except UnknownZone:
        return {zone}


def find_group(index: IndexLike, group_id: str) -> Group | None:
    """The current group with this id, or None."""
    return next((g for g in groups_from_index(index) if g.group_id == group_id), None)


def confirm_group(index: IndexLike, group_id: str, by: str = "") -> Group:
    """Record that every member of the group is one firm."""
    group = find_group(index, group_id)
    if group is None:
        raise KeyError(group_id)
    record_decision(index, Decision("confirm", tuple(m.id for m in group.members), by=by),
                    group_id)
    return group


def split_group(index: IndexLike, group_id: str, mention_ids: Iterable[str],
                by: str = "") -> Group:
    """Record that these members are not the firm of the rest of the group.

    ``mention_ids`` are member ids (``sha256#seq``) or row numbers within the group (1-based).
    """
    group = find_group(index, group_id)
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
    record_decision(index, Decision("split", tuple(sorted(chosen)), rest, by=by), group_id)
    return group

"""Staff decisions on duplicate groups follow the firm when a track's rows are replaced.

A decision (``dupes.confirm_group`` / ``split_group``) names firm rows by their
identity ``<file sha256>#<row>`` (``dupe_model.mention_id``). A track's firm rows
are its primary source's (``index.track_merge``), so when another source's rows
become the track's — a better-digitised form of the same declaration, a later
version, a re-read, a ``--split-source`` that undoes a merge — every row gets a new
identity and a decision on the old ones would be lost, or, after a re-read whose
rows are numbered differently, land on another firm.

So, as corrections do (``track_merge._carry_corrections``), each decided row goes to
the new row of the *same firm* (same name key and code, else the same name key, else
the same printed code; each new row taken once), never by row number. A decided row
with no such firm among the new rows is written ``gone:<old identity>``: it matches
no row any more (never another firm's), the decision shows it as gone
(:func:`decision_states`), and it comes back if that firm's row returns to the same
track (the merge undone, the version rolled back). Each move is kept in
``dupe_decision_moves`` (old and new identity, the firm's name and code, when and
why); the decision keeps its place in the order decisions apply in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from saidao.extractors.firm_name import name_key
from saidao.vocab import DUPE_DECISION_STATE_LABELS

#: A decided row whose firm is no longer in its track: matches no firm row.
GONE = "gone:"
#: The decision tables' names: created by the index migration (``schema``).
_DECISIONS, _MOVES = "dupe_decisions", "dupe_decision_moves"


@dataclass(frozen=True)
class Firm:
    """A decided row as the move needs it: identity, name, name key, printed code."""

    mention: str
    name: str
    key: str
    printed: str


@dataclass
class Held:
    """A track's decided rows, read before its rows are replaced (:func:`decided_rows`)."""

    track_id: int
    firms: dict[str, Firm] = field(default_factory=dict)  # identity (or GONE+identity) -> firm
    decisions: list[tuple[int, list[str], list[str]]] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _has_tables(db: sqlite_utils.Database) -> bool:
    names = set(db.table_names())
    return _DECISIONS in names and _MOVES in names


def track_file(db: sqlite_utils.Database, track_id: int) -> str | None:
    """The sha256 of the file the track's rows are read from now (its primary's)."""
    row = db.execute(
        "SELECT d.file_sha256 FROM tracks t JOIN declarations d "
        "ON d.declaration_id = t.declaration_id WHERE t.track_id = ?", [track_id]).fetchone()
    return row[0] if row else None


def _rows(db: sqlite_utils.Database, track_id: int, sha256: str) -> list[Firm]:
    return [Firm(f"{sha256}#{int(seq or 0)}", name or "", key or (name_key(name) if name else ""),
                 printed or "")
            for seq, name, key, printed in db.execute(
                "SELECT seq, name, name_key, uscc_printed FROM firm_mentions WHERE track_id = ? "
                "ORDER BY seq, id", [track_id])]


def decided_rows(db: sqlite_utils.Database, track_id: int, sha256: str | None) -> Held:
    """Before a track's rows are replaced: the decisions that name one of its rows (read
    from ``sha256``, the file its rows are now read from), or a row of it gone earlier."""
    held = Held(track_id)
    if not _has_tables(db) or not sha256:
        return held
    rows = {f.mention: f for f in _rows(db, track_id, sha256)}
    gone = {GONE + old: Firm(GONE + old, name or "", key or "", printed or "")
            for old, name, key, printed in db.execute(
                "SELECT old_id, name, name_key, uscc_printed FROM dupe_decision_moves "
                "WHERE track_id = ? AND new_id IS NULL ORDER BY id", [track_id])}
    pattern = f"%{sha256}#%"
    for did, mentions, others in db.execute(
            "SELECT id, mentions, others FROM dupe_decisions WHERE mentions LIKE ? OR others LIKE ? "
            "OR mentions LIKE '%gone:%' OR others LIKE '%gone:%' ORDER BY id",
            [pattern, pattern]):
        left, right = json.loads(mentions), json.loads(others)
        named = [m for m in (*left, *right) if m in rows or m in gone]
        if named:
            held.decisions.append((did, left, right))
            for m in named:
                held.firms[m] = rows.get(m) or gone[m]
    return held


def _same_firm(firm: Firm, rows: list[Firm], taken: set[str]) -> str | None:
    """The new row of the same firm: name key and code, else name key, else printed code."""
    free = [r for r in rows if r.mention not in taken]
    tests = (lambda r: bool(firm.key) and r.key == firm.key and r.printed == firm.printed,
             lambda r: bool(firm.key) and r.key == firm.key,
             lambda r: bool(firm.printed) and r.printed == firm.printed)
    for test in tests:
        hit = next((r.mention for r in free if test(r)), None)
        if hit is not None:
            return hit
    return None


def follow_decisions(db: sqlite_utils.Database, held: Held, why: str) -> int:
    """After the track's rows were replaced: each decided row goes to the new row of the same
    firm, or is written gone; a row gone earlier comes back when its firm is there again.
    Returns how many decided rows moved (to a row or to gone)."""
    if not held.decisions:
        return 0
    sha256 = track_file(db, held.track_id)
    rows = _rows(db, held.track_id, sha256) if sha256 else []
    taken: set[str] = set()
    moved: dict[str, str] = {}
    order = sorted(held.firms.items(), key=lambda item: item[0].startswith(GONE))
    for old, firm in order:  # rows of the old primary first, then rows gone earlier
        new = _same_firm(firm, rows, taken)
        if new is not None:
            taken.add(new)
            if new != old:
                moved[old] = new
        elif not old.startswith(GONE):
            moved[old] = GONE + old
    if not moved:
        return 0
    at = _now()
    for did, left, right in held.decisions:
        new_left = [moved.get(m, m) for m in left]
        new_right = [moved.get(m, m) for m in right]
        if (new_left, new_right) == (left, right):
            continue
        db.execute("UPDATE dupe_decisions SET mentions = ?, others = ? WHERE id = ?",
                   [json.dumps(new_left), json.dumps(new_right), did])
        for old in (m for m in (*left, *right) if m in moved):
            firm, new = held.firms[old], moved[old]
            gone = new.startswith(GONE)
            note = (f"{why}；该企业不在新的企业名录中，决定中的这一行已不存在" if gone else
                    f"{why}；该企业重新出现，决定恢复" if old.startswith(GONE) else
                    f"{why}；决定随企业转入新的企业行")
            db.execute(
                "INSERT INTO dupe_decision_moves(decision_id, track_id, old_id, new_id, name, "
                "name_key, uscc_printed, moved_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [did, held.track_id, old.removeprefix(GONE), None if gone else new, firm.name,
                 firm.key, firm.printed, at, note])
    return len(moved)


def repair_decisions(db: sqlite_utils.Database) -> int:
    """Once, on upgrade: decisions taken before they followed the firm may name rows of a
    source that is no longer its track's primary (another form took over, a later version
    superseded). Each such row goes to the track's current row of the same firm, read from
    the source's stored extraction; a row whose firm cannot be told (no such row number, or
    two firms with it) or is not in the track now stays as it is (shown gone). Returns the
    number of rows moved."""
    if not _has_tables(db):
        return 0
    decisions = db.execute("SELECT id, mentions, others FROM dupe_decisions ORDER BY id").fetchall()
    if not decisions:
        return 0
    current = {f"{sha}#{int(seq or 0)}" for sha, seq in db.execute(
        "SELECT sha256, seq FROM current_firm_rows")}
    moved_total, at = 0, _now()
    for did, mentions, others in decisions:
        left, right = json.loads(mentions), json.loads(others)
        taken = {m for m in (*left, *right) if m in current}
        moved: dict[str, tuple[str, int, Firm]] = {}
        for old in (m for m in (*left, *right) if m not in current and not m.startswith(GONE)):
            found = _firm_now(db, old, taken)
            if found is not None:
                moved[old] = found
                taken.add(found[0])
        if not moved:
            continue
        db.execute("UPDATE dupe_decisions SET mentions = ?, others = ? WHERE id = ?",
                   [json.dumps([moved[m][0] if m in moved else m for m in left]),
                    json.dumps([moved[m][0] if m in moved else m for m in right]), did])
        for old, (new, track_id, firm) in moved.items():
            db.execute(
                "INSERT INTO dupe_decision_moves(decision_id, track_id, old_id, new_id, name, "
                "name_key, uscc_printed, moved_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [did, track_id, old, new, firm.name, firm.key, firm.printed, at,
                 "升级：此前主来源更换时未随企业转入，现转入赛道现在的企业行"])
        moved_total += len(moved)
    return moved_total


def _firm_now(db: sqlite_utils.Database, old: str, taken: set[str]
              ) -> tuple[str, int, Firm] | None:
    """The current row, in the track ``old``'s file is a non-primary source of, of the firm
    ``old`` named (from that source's stored extraction): (identity, track, firm) or None."""
    sha256, _, seq_text = old.rpartition("#")
    if not seq_text.isdigit():
        return None
    for track_id, raw in db.execute(
            "SELECT s.track_id, d.raw FROM declarations d JOIN track_sources s "
            "ON s.declaration_id = d.declaration_id WHERE d.file_sha256 = ? "
            "AND s.role IN ('evidence', 'superseded')", [sha256]).fetchall():
        firms = [f for f in (json.loads(raw or "{}").get("firms") or [])
                 if int(f.get("seq") or 0) == int(seq_text)]
        if len(firms) != 1:
            continue  # no such row, or two firms with one number: the firm cannot be told
        name = firms[0].get("name") or ""
        firm = Firm(old, name, name_key(name) if name else "", firms[0].get("uscc_printed") or "")
        now_file = track_file(db, track_id)
        rows = _rows(db, track_id, now_file) if now_file else []
        new = _same_firm(firm, rows, taken)
        if new is not None:
            return new, track_id, firm
    return None


# ---------------------------------------------------------------- reading


STATE_LABELS = DUPE_DECISION_STATE_LABELS  # saidao.vocab: the one list of staff-facing labels


def decision_states(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every decision with each row it names: current (a firm row of a current file) or gone
    (written gone by a move, or its file no longer current), with the firm's name, track and
    row as last known. ``state``: valid, partial (some rows gone) or gone (all)."""
    if not _has_tables(db):
        return []
    decisions = list(db.query(
        "SELECT id, kind, group_id, mentions, others, decided_by, decided_at, note "
        "FROM dupe_decisions ORDER BY id"))
    named = {m.removeprefix(GONE) for d in decisions
             for m in (*json.loads(d["mentions"]), *json.loads(d["others"]))}
    shas = sorted({m.partition("#")[0] for m in named})
    current: dict[str, dict[str, Any]] = {}
    for chunk in range(0, len(shas), 500):
        part = shas[chunk:chunk + 500]
        for row in db.query(
                "SELECT sha256 || '#' || coalesce(seq, 0) AS mention, name, track_id, seq, "
                "zone_id FROM current_firm_rows WHERE sha256 IN "
                f"({', '.join('?' for _ in part)})", part):
            current[row["mention"]] = row
    last_known = {old: {"name": name, "track_id": track, "moved_at": at, "note": note}
                  for old, name, track, at, note in db.execute(
                      "SELECT old_id, name, track_id, moved_at, note FROM dupe_decision_moves "
                      "WHERE new_id IS NULL ORDER BY id")} if named else {}
    out = []
    for d in decisions:
        sides = {"mentions": json.loads(d.pop("mentions")), "others": json.loads(d.pop("others"))}
        members = []
        for side, ids in sides.items():
            for mid in ids:
                plain = mid.removeprefix(GONE)
                row = None if mid.startswith(GONE) else current.get(plain)
                known = last_known.get(plain, {})
                members.append({
                    "mention_id": plain, "side": side, "present": row is not None,
                    "name": row["name"] if row else known.get("name"),
                    "track_id": row["track_id"] if row else known.get("track_id"),
                    "seq": row["seq"] if row else None,
                    "gone_note": None if row else known.get("note") or
                    "该行已不在任何当前赛道的企业名录中（来源文件已更换、拆出或不再是当前文件）",
                })
        present = sum(m["present"] for m in members)
        state = "valid" if present == len(members) else "gone" if present == 0 else "partial"
        out.append({**d, "members": members, "state": state, "state_zh": STATE_LABELS[state]})
    return out

"""One declaration, one track: the same declaration in several forms or versions.

A zone's declaration reaches the index as its .docx, the PDF made from it, a
scan of the signed paper and a phone photo — and, weeks later, a revised
version. Each is a file of its own (its own bytes, its own extraction), but
they are one declaration: one track, with every file kept as a *source*.

*Same declaration*: same zone, the same track name (after folding spaces and
punctuation, a near match allowed for OCR slips) and largely the same firm
list (firms matched by credit code, name key or name likeness). Then:

- the same firm list and filling date → another *form*: the best-digitised
  source is the track's *primary* (born-digital over converted over scanned),
  the others *evidence*;
- otherwise → another *version*: the later one (by filling date, else by
  arrival) is primary, the earlier one *superseded* — kept, with the note why.

The track's firm and platform rows are its primary's; the track's own fields
take each value from the best source that has it. Nothing extracted is
overwritten: each source's declaration row and raw JSON stay as read. Staff
undo a wrong merge with :func:`split_source` (``saidao track ID --split-source FILE``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import PurePath
from typing import Any

import sqlite_utils

from saidao.extractors.firm_name import name_key, same_firm_score
from saidao.index.dupe_follow import decided_rows, follow_decisions, track_file
from saidao.index.source_roles import ROLES_ZH, names_source, source_rank
from saidao.index.source_roles import now as _now

#: Firm lists at least this alike (matched firms / the longer list) are one declaration's.
MIN_FIRM_OVERLAP = 0.6
#: Track names at least this alike (after folding) are one name (an OCR slip or two).
MIN_NAME_LIKENESS = 0.8
#: Two printed firm names at least this likely one firm (``same_firm_score``) match.
MIN_FIRM_LIKENESS = 0.85
#: Track fields taken from the best source that has a value.
TRACK_FIELDS = ("track_name", "direction", "scheme", "codes", "class_names", "label", "resolved",
                "zone_id")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


def fold_name(name: str | None) -> str:
    """A track name for comparison: NFKC, no spaces, no punctuation, no 赛道/领域 suffix."""
    text = unicodedata.normalize("NFKC", name or "")
    text = re.sub(r"[\s\W_]+", "", text)
    return re.sub(r"(新赛道|赛道)$", "", text)


# ---------------------------------------------------------------- likeness


def _firm_keys(firm: dict[str, Any]) -> tuple[str, str, str]:
    name = firm.get("name") or ""
    return (firm.get("uscc") or "", name_key(name) if name else "", name)


def _same_firm(a: tuple[str, str, str], b: tuple[str, str, str]) -> bool:
    if a[0] and a[0] == b[0]:
        return True
    if a[1] and a[1] == b[1]:
        return True
    return bool(a[2] and b[2]) and same_firm_score(a[2], b[2]) >= MIN_FIRM_LIKENESS


def firm_overlap(firms_a: list[dict[str, Any]], firms_b: list[dict[str, Any]]) -> float:
    """Matched firms over the longer list (1.0 when both lists are empty)."""
    a = [_firm_keys(f) for f in firms_a if f.get("name") or f.get("uscc")]
    b = [_firm_keys(f) for f in firms_b if f.get("name") or f.get("uscc")]
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    unused = list(b)
    matched = 0
    for firm in a:
        hit = next((i for i, other in enumerate(unused) if _same_firm(firm, other)), None)
        if hit is not None:
            matched += 1
            unused.pop(hit)
    return matched / max(len(a), len(b))


def names_alike(a: str | None, b: str | None) -> bool:
    fa, fb = fold_name(a), fold_name(b)
    if not fa or not fb:
        return False
    return fa == fb or SequenceMatcher(None, fa, fb).ratio() >= MIN_NAME_LIKENESS


def _zone_of(result: dict[str, Any]) -> str:
    zone = result.get("zone") or {}
    return zone.get("id") or fold_name(zone.get("printed"))


@dataclass(frozen=True)
class Match:
    track_id: int
    overlap: float
    same_form: bool  # the same firm list and date: another digitisation, not a new version


def find_track(db: sqlite_utils.Database, result: dict[str, Any],
               exclude_sha: str = "") -> Match | None:
    """The current track this declaration is another form or version of, if any.

    Candidates are narrowed in SQL to the zone's current tracks, then by name; only
    then are firm lists compared (from the tracks' stored firm rows), so a run over
    thousands of declarations stays linear in the zone's size, not the index's.
    """
    zone = _zone_of(result)
    if not zone or not fold_name(result.get("track_name")):
        return None
    firms = result.get("firms") or []
    best: Match | None = None
    for track_id, track_name, other_zone, filled_at in _zone_tracks(db, result, exclude_sha):
        if other_zone != zone or not names_alike(result.get("track_name"), track_name):
            continue
        other_firms = [{"name": n, "uscc": u} for n, u in db.execute(
            "SELECT name, uscc FROM firm_mentions WHERE track_id = ? ORDER BY seq, id",
            [track_id]).fetchall()]
        overlap = firm_overlap(firms, other_firms)
        if overlap < MIN_FIRM_OVERLAP:
            continue
        dates = {result.get("filled_at"), filled_at} - {None, ""}
        same_form = overlap >= 0.9 and len(firms) == len(other_firms) and len(dates) <= 1
        if best is None or overlap > best.overlap:
            best = Match(track_id, overlap, same_form)
    return best


def _zone_tracks(db: sqlite_utils.Database, result: dict[str, Any], exclude_sha: str
                 ) -> list[tuple[int, str, str, str | None]]:
    """Current tracks that may be of the declaration's zone: (id, name, zone key, filled)."""
    zone_id = (result.get("zone") or {}).get("id")
    rows = db.execute(
        "SELECT t.track_id, d.track_name, d.zone_id, d.zone_printed, d.filled_at FROM tracks t "
        "JOIN declarations d ON d.declaration_id = t.declaration_id "
        "JOIN files f ON f.sha256 = d.file_sha256 "
        "WHERE f.status = 'imported' AND f.sha256 != ? AND (d.zone_id IS ? OR ? IS NULL "
        "OR d.zone_id IS NULL)", [exclude_sha, zone_id, zone_id]).fetchall()
    return [(tid, name, zid or fold_name(printed), filled)
            for tid, name, zid, printed, filled in rows]


# ---------------------------------------------------------------- writing


def place_declaration(db: sqlite_utils.Database, declaration_id: int, sha256: str,
                      result: dict[str, Any], reuse_track: int | None = None) -> int:
    """Give a newly written declaration its track: an existing one it belongs to, or a new one.

    ``reuse_track``: the track this file's earlier reading belonged to (a re-read);
    it stays that track's primary. Returns the track id.
    """
    rank = source_rank(result)
    if reuse_track is not None:
        _add_source(db, reuse_track, declaration_id, sha256, "primary", rank, "重新读取")
        make_primary(db, reuse_track, declaration_id, result, "重新读取")
        return reuse_track
    match = find_track(db, result, exclude_sha=sha256)
    if match is None:
        track_id = _new_track(db, declaration_id, result)
        _add_source(db, track_id, declaration_id, sha256, "primary", rank, None)
        return track_id
    primary = _primary(db, match.track_id)
    primary_result = json.loads(primary["raw"])
    if match.same_form:
        if rank > primary["rank"]:
            _take_over(db, match.track_id, primary["declaration_id"],
                       ("evidence", "同一申报表，另有数字化质量更好的文件"),
                       (declaration_id, sha256, rank, result),
                       "同一申报表的另一种形式，数字化质量更好，取其值")
        else:
            _add_source(db, match.track_id, declaration_id, sha256, "evidence", rank,
                        f"同一申报表的另一种形式（企业名录一致 {match.overlap:.0%}），留作佐证")
        _refresh_track_values(db, match.track_id)
        return match.track_id
    if _is_later(result, primary_result):
        _take_over(db, match.track_id, primary["declaration_id"],
                   ("superseded", f"被新版本取代（{_when(result)}）"),
                   (declaration_id, sha256, rank, result),
                   f"新版本（企业名录相同 {match.overlap:.0%}），取代{_when(primary_result)}的版本")
    else:
        _add_source(db, match.track_id, declaration_id, sha256, "superseded", rank,
                    f"旧版本（{_when(result)}），已有{_when(primary_result)}的版本")
    _refresh_track_values(db, match.track_id)
    return match.track_id


def _take_over(db: sqlite_utils.Database, track_id: int, old_primary: int,
               old_becomes: tuple[str, str], new: tuple[int, str, int, dict[str, Any]],
               note: str) -> None:
    """The new arrival becomes the track's primary: the old primary steps down to the role
    ``old_becomes`` gives (with its note why), the new one joins as primary (``note``) and
    the track's rows become its own (``make_primary``).

    ``new`` is the arrival: ``(declaration_id, sha256, rank, result)``.
    """
    declaration_id, sha256, rank, result = new
    _set_role(db, track_id, old_primary, *old_becomes)
    _add_source(db, track_id, declaration_id, sha256, "primary", rank, note)
    make_primary(db, track_id, declaration_id, result, f"主来源更换为{_when(result)}的{_form_zh(result)}")


def _form_zh(result: dict[str, Any]) -> str:
    """The arrival's form as staff read it (the file's name)."""
    path = (result.get("source") or {}).get("path") or ""
    return f"文件“{PurePath(path).name}”" if path else "文件"


def _when(result: dict[str, Any]) -> str:
    return f"填报于{result['filled_at']}" if result.get("filled_at") else "未注明填报时间"


def _is_later(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """The new arrival is the later version unless its filling date says it is older."""
    a, b = new.get("filled_at") or "", old.get("filled_at") or ""
    return not (a and b and a < b)


def _primary(db: sqlite_utils.Database, track_id: int) -> dict[str, Any]:
    row = next(db.query(
        "SELECT t.declaration_id, d.raw, coalesce(s.rank, 0) AS rank FROM tracks t "
        "JOIN declarations d ON d.declaration_id = t.declaration_id "
        "LEFT JOIN track_sources s ON s.track_id = t.track_id "
        "AND s.declaration_id = t.declaration_id WHERE t.track_id = ?", [track_id]))
    return row


def _add_source(db: sqlite_utils.Database, track_id: int, declaration_id: int, sha256: str,
                role: str, rank: int, note: str | None) -> None:
    db.execute(
        "INSERT INTO track_sources(track_id, declaration_id, file_sha256, role, rank, added_at, "
        "note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [track_id, declaration_id, sha256, role, rank, _now(), note])


def _set_role(db: sqlite_utils.Database, track_id: int, declaration_id: int, role: str,
              note: str) -> None:
    db.execute("UPDATE track_sources SET role = ?, note = ? WHERE track_id = ? "
               "AND declaration_id = ?", [role, note, track_id, declaration_id])


def _track_values(result: dict[str, Any]) -> dict[str, Any]:
    track = result.get("track") or {}
    zone = result.get("zone") or {}
    return {
        "track_name": result.get("track_name"),
        "direction": track.get("direction"),
        "scheme": track.get("scheme"),
        "codes": _dumps(track.get("codes") or []),
        "class_names": _dumps(track.get("class_names") or []),
        "label": track.get("label"),
        "resolved": _bool(track.get("resolved")),
        "zone_id": zone.get("id"),
    }


def _insert(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    columns, marks = ", ".join(row), ", ".join("?" for _ in row)
    cur = db.execute(f"INSERT INTO {table}({columns}) VALUES ({marks})", list(row.values()))
    return int(cur.lastrowid)


def _new_track(db: sqlite_utils.Database, declaration_id: int, result: dict[str, Any]) -> int:
    track_id = _insert(db, "tracks", {"declaration_id": declaration_id, **_track_values(result)})
    _fill_rows(db, track_id, result)
    return track_id


def make_primary(db: sqlite_utils.Database, track_id: int, declaration_id: int,
                 result: dict[str, Any], why: str = "主来源更换") -> None:
    """The track's rows become this declaration's: firm and platform rows, track fields.
    A person's corrections and duplicate-group decisions follow each firm to its new row
    (``why`` is noted with each decision moved, ``index.dupe_follow``)."""
    # the rows' file before the change; on a re-read the old declaration row is already
    # gone, and the file is the same one
    old_file = track_file(db, track_id) or _file_of(db, declaration_id)
    decided = decided_rows(db, track_id, old_file)
    db.execute("UPDATE tracks SET declaration_id = ? WHERE track_id = ?",
               [declaration_id, track_id])
    corrected = _corrected_firms(db, track_id)
    drop_rows(db, track_id)
    _fill_rows(db, track_id, result)
    _carry_corrections(db, track_id, corrected)
    follow_decisions(db, decided, why)
    _refresh_track_values(db, track_id)


def _file_of(db: sqlite_utils.Database, declaration_id: int) -> str | None:
    row = db.execute("SELECT file_sha256 FROM declarations WHERE declaration_id = ?",
                     [declaration_id]).fetchone()
    return row[0] if row else None


def drop_rows(db: sqlite_utils.Database, track_id: int) -> None:
    """Delete a track's firm and platform rows. Their corrections stay, filed under
    ``retired:<table>``: SQLite reuses a deleted row's id, and a correction must never
    land on another firm's new row (``_carry_corrections`` moves them to the new rows)."""
    for table in ("firm_mentions", "platforms"):
        db.execute(
            f"UPDATE corrections SET table_name = 'retired:{table}' WHERE table_name = '{table}' "
            f"AND row_id IN (SELECT CAST(id AS TEXT) FROM {table} WHERE track_id = ?)",
            [track_id])
        db.execute(f"DELETE FROM {table} WHERE track_id = ?", [track_id])


def _corrected_firms(db: sqlite_utils.Database, track_id: int) -> list[dict[str, Any]]:
    """The track's firm rows a person corrected, with the corrections (latest last)."""
    return list(db.query(
        "SELECT m.name, m.name_key, m.uscc_printed, c.field, c.raw_value, c.corrected_value, "
        "c.corrected_by, c.corrected_at, c.note FROM corrections c JOIN firm_mentions m "
        "ON c.table_name = 'firm_mentions' AND c.row_id = CAST(m.id AS TEXT) "
        "WHERE m.track_id = ? ORDER BY c.id", [track_id]))


def _carry_corrections(db: sqlite_utils.Database, track_id: int,
                       corrected: list[dict[str, Any]]) -> None:
    """A person's corrections follow the firm when another source's rows become the track's:
    each goes to the new row of the same firm (same name key, else same printed code), the
    old one kept as it was (corrections are a layer; nothing is overwritten)."""
    if not corrected:
        return
    rows = db.execute("SELECT id, name_key, uscc_printed FROM firm_mentions WHERE track_id = ?",
                      [track_id]).fetchall()
    for fix in corrected:
        new_id = next((rid for rid, key, printed in rows if fix["name_key"] and key == fix["name_key"]),
                      None) or next((rid for rid, key, printed in rows
                                     if fix["uscc_printed"] and printed == fix["uscc_printed"]), None)
        if new_id is None:
            continue
        note = "；".join(x for x in (fix["note"], "主来源更换后随企业转入") if x)
        db.execute(
            "INSERT INTO corrections(table_name, row_id, field, raw_value, corrected_value, "
            "corrected_by, corrected_at, note) VALUES ('firm_mentions', ?, ?, ?, ?, ?, ?, ?)",
            [str(new_id), fix["field"], fix["raw_value"], fix["corrected_value"],
             fix["corrected_by"], fix["corrected_at"], note])


def _fill_rows(db: sqlite_utils.Database, track_id: int, result: dict[str, Any]) -> None:
    for firm in result.get("firms") or []:
        _insert(db, "firm_mentions", {
            "track_id": track_id,
            "seq": firm.get("seq"),
            "name": firm.get("name"),
            "name_key": name_key(firm["name"]) if firm.get("name") else None,
            "uscc_printed": firm.get("uscc_printed"),
            "uscc": firm.get("uscc"),
            "uscc_valid": _bool(firm.get("uscc_valid")),
            "uscc_fix": firm.get("uscc_fix"),
            "confidence": firm.get("confidence"),
            "extra": _dumps(firm.get("extra") or {}),
            "source": _dumps(firm.get("sources") or firm.get("source") or {}),
        })
    for platform in result.get("platforms") or []:
        _insert(db, "platforms", {
            "track_id": track_id,
            **{k: platform.get(k) for k in
               ("seq", "name", "host", "level", "year", "certifier", "research")},
            "extra": _dumps(platform.get("extra") or {}),
        })


def _refresh_track_values(db: sqlite_utils.Database, track_id: int) -> None:
    """Each track field from the best source that has it: the primary first, then evidence
    by digitisation rank (superseded versions are not asked)."""
    rows = db.execute(
        "SELECT d.raw FROM track_sources s JOIN declarations d "
        "ON d.declaration_id = s.declaration_id WHERE s.track_id = ? "
        "AND s.role IN ('primary', 'evidence') "
        "ORDER BY s.role = 'primary' DESC, s.rank DESC, s.id", [track_id]).fetchall()
    values: dict[str, Any] = {}
    for (raw,) in rows:
        for key, value in _track_values(json.loads(raw)).items():
            if values.get(key) in (None, "", "[]"):
                values[key] = value
    if values:
        sets = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE tracks SET {sets} WHERE track_id = ?", [*values.values(), track_id])


# ---------------------------------------------------------------- reading, splitting


def sources(db: sqlite_utils.Database, track_ids: list[int] | None = None
            ) -> dict[int, list[dict[str, Any]]]:
    """Each track's sources, primary first: file, format, role (and its Chinese), rank, note."""
    sql = ("SELECT s.track_id, s.declaration_id, s.file_sha256 AS sha256, f.path, f.origin, "
           "f.format, f.status, s.role, s.rank, s.note, s.added_at FROM track_sources s "
           "JOIN files f ON f.sha256 = s.file_sha256")
    params: list[Any] = []
    if track_ids is not None:
        sql += f" WHERE s.track_id IN ({', '.join('?' for _ in track_ids)})"
        params = list(track_ids)
    sql += " ORDER BY s.track_id, s.role = 'primary' DESC, s.rank DESC, s.id"
    out: dict[int, list[dict[str, Any]]] = {}
    for row in db.query(sql, params):
        row["role_zh"] = ROLES_ZH.get(row["role"], row["role"])
        out.setdefault(row.pop("track_id"), []).append(row)
    return out


def split_source(db: sqlite_utils.Database, track_id: int, which: str) -> int:
    """Undo a wrong merge: the source ``which`` (path, file name or sha256 prefix) becomes a
    track of its own. Returns the new track's id. Raises LookupError/ValueError in Chinese."""
    found = [s for s in sources(db, [track_id]).get(track_id, [])
             if s["role"] != "split" and names_source(s, which)]
    if not found:
        raise LookupError(f"赛道 {track_id} 没有来源文件“{which}”")
    if len(found) > 1:
        raise LookupError(f"“{which}”对应赛道 {track_id} 的多个来源文件，请给出完整路径")
    source = found[0]
    remaining = [s for s in sources(db, [track_id])[track_id]
                 if s["role"] != "split" and s["declaration_id"] != source["declaration_id"]]
    if not remaining:
        raise ValueError(f"赛道 {track_id} 只有这一个来源文件，无需拆分")
    raw = json.loads(next(db.query("SELECT raw FROM declarations WHERE declaration_id = ?",
                                   [source["declaration_id"]]))["raw"])
    with db.conn:
        _set_role(db, track_id, source["declaration_id"], "split",
                  f"已由工作人员拆出为独立赛道（{_now()}）")
        if source["role"] == "primary":  # the next best source takes over
            heir = max(remaining, key=lambda s: (s["role"] == "evidence", s["rank"]))
            heir_raw = json.loads(next(db.query(
                "SELECT raw FROM declarations WHERE declaration_id = ?",
                [heir["declaration_id"]]))["raw"])
            _set_role(db, track_id, heir["declaration_id"], "primary", "拆分后成为主来源")
            make_primary(db, track_id, heir["declaration_id"], heir_raw,
                         f"来源文件“{PurePath(source['path'] or '').name}”已拆出，主来源更换")
        new_id = _new_track(db, source["declaration_id"], raw)
        _add_source(db, new_id, source["declaration_id"], source["sha256"], "primary",
                    source["rank"], f"由赛道 {track_id} 拆出")
        _refresh_track_values(db, track_id)
    return new_id


def forget_declarations(db: sqlite_utils.Database, sha256: str) -> int | None:
    """Before a file is read again: drop its declarations, keeping the track it was primary of
    (its figures, links and other sources stay); returns that track for the new reading."""
    keep = None
    for declaration_id, track_id, role in db.execute(
            "SELECT d.declaration_id, s.track_id, s.role FROM declarations d "
            "LEFT JOIN track_sources s ON s.declaration_id = d.declaration_id "
            "WHERE d.file_sha256 = ?", [sha256]).fetchall():
        if role == "primary" and track_id is not None:
            keep = track_id  # its rows are replaced by the new reading (``make_primary``)
        db.execute("DELETE FROM track_sources WHERE declaration_id = ?", [declaration_id])
        orphan = db.execute("SELECT track_id FROM tracks WHERE declaration_id = ?",
                            [declaration_id]).fetchall()
        for (tid,) in orphan:
            if tid != keep:  # a track of this file only (before track_sources existed)
                decided = decided_rows(db, tid, sha256)
                drop_rows(db, tid)
                follow_decisions(db, decided, "来源文件重新读取")  # no rows: written gone
                db.execute("DELETE FROM track_links WHERE track_id = ?", [tid])
                db.execute("DELETE FROM tracks WHERE track_id = ?", [tid])
        db.execute("DELETE FROM declarations WHERE declaration_id = ?", [declaration_id])
    return keep

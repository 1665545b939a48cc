"""``Index``: the one door to the SQLite index for importers, search and reports.

Every file is written in ONE ``BEGIN IMMEDIATE`` transaction (file row,
its declaration or policy rows, its problems, the run-log row), so a crash at
any moment leaves either the whole file or nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlean
import sqlite_utils

from saidao.corpus.policies import bundled
from saidao.corpus.zones import registry
from saidao.index import fts
from saidao.index.db import connect, now, write_transaction
from saidao.index.schema import MIGRATIONS, migrate, version

OUTCOMES = ("imported", "unchanged", "superseded", "failed")
#: clause keys stored as clause_tags rows: dict key -> tag_type
_TAG_KEYS = {
    "lead_units": "lead_unit",
    "responsible_units": "responsible_unit",
    "amounts": "amount",
    "zones": "zone",
    "industries": "industry",
    "beneficiaries": "beneficiary",
    "years": "year",
    "targets": "target",
}
_UNIT_FIELDS = (
    "name", "address", "contact", "postcode", "department", "title", "phone", "mobile", "fax",
    "email",
)


def dumps(value: Any) -> str:
    """JSON for a TEXT column: readable Chinese, stable."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


class Index:
    """The saidao index at one path (create or migrate on open)."""

    def __init__(self, db: sqlite_utils.Database, path: str, read_only: bool = False) -> None:
        self.db = db
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, path: str | Path = "saidao.db", read_only: bool | None = None) -> Index:
        """Open or create the index: migrations applied, zones refreshed from the registry.

        ``read_only`` None: read-only exactly when the file or its folder cannot be
        written. A read-only index is opened ``mode=ro`` and never written; a file
        that is not an index, a damaged one and one from a newer saidao raise
        :class:`~saidao.index.opening.IndexUnusable` before anything is written.
        """
        from saidao.index import opening

        exists = opening.check_file(path)
        read_only = (not opening.writable(path)) if read_only is None else read_only
        if read_only and not exists:
            raise opening.IndexUnusable(f"索引文件不存在，且所在位置不可写：{path}")
        try:
            db = opening.connect_read_only(path) if read_only else connect(path)
            index = cls(db, str(path), read_only)
            opening.check_schema(version(db), len(MIGRATIONS), path)
            if read_only:
                if version(db) < len(MIGRATIONS):
                    raise opening.IndexUnusable(
                        f"索引 {path} 的结构版本为 {version(db)}，需要升级到 {len(MIGRATIONS)}，"
                        "但文件只读：请用可写的副本打开一次")
                return index
            migrate(db)
            index.refresh_zones()
        except opening.IndexUnusable:
            raise
        except sqlean.DatabaseError as exc:  # not a database, damaged, disk full
            raise opening.damaged(path, exc) from exc
        return index

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- zones -------------------------------------------------------------
    def refresh_zones(self) -> None:
        """Copy the zone registry into ``zones`` (the registry CSV is the source of truth)."""
        rows = [
            (z.id, z.name, dumps(list(z.aliases)), z.level, z.city, dumps(list(z.counties)),
             z.status, z.approved_year, z.committee)
            for z in registry().all()
        ]
        stored = [tuple(r) for r in self.db.execute("SELECT * FROM zones ORDER BY rowid").fetchall()]
        if stored == rows:  # nothing changed: opening an index writes nothing
            return
        with write_transaction(self.db):
            self.db.execute("DELETE FROM zones")
            self.db.conn.executemany(
                "INSERT INTO zones VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

    # -- runs ----------------------------------------------------------------
    def start_run(self, args: list[str], options: dict) -> int:
        """Open an import run; its id tags every log row the run writes."""
        with write_transaction(self.db):
            cur = self.db.execute(
                "INSERT INTO import_runs(started_at, args, options) VALUES (?, ?, ?)",
                [now(), dumps(list(args)), dumps(options)],
            )
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, summary: dict) -> None:
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE import_runs SET finished_at = ?, summary = ? WHERE run_id = ?",
                [now(), dumps(summary), run_id],
            )

    def previous_run_interrupted(self, run_id: int) -> bool:
        """True when the run before ``run_id`` never finished (killed part-way)."""
        row = self.db.execute(
            "SELECT 1 FROM import_runs WHERE run_id < :run AND finished_at IS NULL AND run_id > "
            "coalesce((SELECT max(run_id) FROM import_runs WHERE run_id < :run "
            "AND finished_at IS NOT NULL), 0) LIMIT 1", {"run": run_id},
        ).fetchone()
        return row is not None

    def latest_run(self) -> int | None:
        row = self.db.execute("SELECT max(run_id) FROM import_runs").fetchone()
        return row[0]

    # -- files ---------------------------------------------------------------
    def _file(self, sha256: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM files WHERE sha256 = ?", [sha256]))
        return rows[0] if rows else None

    def known(self, sha256: str) -> str | None:
        """How these bytes fared before: ``"imported"``, ``"failed"`` or None (never seen)."""
        row = self._file(sha256)
        if row is None:
            return None
        return "failed" if row["status"] == "failed" else "imported"

    def record(
        self,
        *,
        run_id: int,
        path: str,
        sha256: str,
        size: int,
        kind: str | None,
        result: dict | None,
        error: dict | None,
        origin: str | None = None,
        copy_of: str | None = None,
        reread: bool = False,
    ) -> str:
        """Store one file's extraction (or failure) in one transaction; return the outcome.

        ``copy_of``: the path of the file these bytes were first seen as (a copy);
        a copy of a file this run imported is a ``duplicate``, of an older import
        ``unchanged``. ``reread``: bytes already imported are read again and their
        stored extraction replaced (the track they belong to is kept).
        """
        with write_transaction(self.db):
            existing = self._file(sha256)
            if error is not None and error.get("reason") == "needs_ocr":
                outcome = "unchanged" if existing and existing["status"] == "imported" \
                    else "pending_ocr"
                if outcome == "pending_ocr":
                    self._write_failed(run_id, path, sha256, size, kind, error, origin)
            elif error is not None:
                outcome = "failed"
                if existing is None or existing["status"] == "failed":
                    self._write_failed(run_id, path, sha256, size, kind, error, origin)
            elif existing is not None and existing["status"] == "imported" and reread \
                    and result is not None:
                self._reread(run_id, existing, kind, result)
                outcome = "reread"
            elif existing is not None and existing["status"] == "imported":
                outcome = "duplicate" if copy_of and existing["run_id"] == run_id else "unchanged"
                if copy_of is None and existing["path"] != path:
                    copy_of = existing["path"]
            elif existing is not None and existing["status"] == "superseded":
                outcome = self._reinstate(sha256, path, origin)
            else:
                if existing is not None:  # failed before, readable now
                    self.db.execute("DELETE FROM problems WHERE file_sha256 = ?", [sha256])
                    self.db.execute("DELETE FROM files WHERE sha256 = ?", [sha256])
                older = self._current_versions(path, origin, sha256)
                fate = self._write_file(run_id, path, sha256, size, kind, result or {}, origin)
                self._supersede(older, sha256)
                outcome = "superseded" if older else "imported"
                error = error or fate
            self._log(run_id, path, origin, sha256, outcome, error, copy_of)
        return outcome

    def logged_fate(self, run_id: int, sha256: str) -> tuple[str | None, str | None]:
        """The reason and message the run logged for these bytes (latest): a failure's, or
        a policy kept as another form of one already imported (``same_policy``)."""
        row = self.db.execute(
            "SELECT reason, message FROM import_log WHERE run_id = ? AND sha256 = ? "
            "ORDER BY id DESC LIMIT 1", [run_id, sha256]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def skipped(self, *, run_id: int, path: str, sha256: str, error: dict,
                origin: str | None = None) -> str:
        """Log a file that is not a document (``ingest.fate``): counted, never stored as one."""
        with write_transaction(self.db):
            self._log(run_id, path, origin, sha256, "skipped", error)
        return "skipped"

    def _reread(self, run_id: int, existing: dict, kind: str | None, result: dict) -> None:
        """Replace a file's stored extraction with a fresh reading (``ingest --reread``)."""
        from saidao.index.track_merge import forget_declarations

        sha256 = existing["sha256"]
        self.db.execute("PRAGMA defer_foreign_keys = ON")  # the kept track points at the old row
        keep = forget_declarations(self.db, sha256)
        self._forget_policy(sha256)
        self.db.execute("DELETE FROM problems WHERE file_sha256 = ?", [sha256])
        source = result.get("source") or {}
        kind = result.get("kind") or kind
        self.db.execute(
            "UPDATE files SET kind = ?, format = ?, pages = ?, ocr_pages = ?, run_id = ?, "
            "imported_at = ? WHERE sha256 = ?",
            [kind, source.get("format"), source.get("pages"),
             dumps(source.get("ocr_pages") or []), run_id, now(), sha256])
        self._write_content(sha256, kind, result, reuse_track=keep)

    def _forget_policy(self, sha256: str) -> None:
        """Drop a policy's rows and its clauses from the search indexes (a re-read)."""
        rows = self.db.execute(
            "SELECT c.id, c.clause_id, c.heading, c.text FROM clauses c JOIN policies p "
            "ON p.policy_id = c.policy_id WHERE p.file_sha256 = ?", [sha256]).fetchall()
        for rowid, clause_id, heading, text in rows:
            fts.forget_clause(self.db, rowid, heading or "", text or "")
            self.db.execute("DELETE FROM track_links WHERE clause_id = ?", [clause_id])
            self.db.execute("DELETE FROM clause_tags WHERE clause_id = ?", [clause_id])
            self.db.execute("DELETE FROM clauses WHERE id = ?", [rowid])
        self.db.execute("DELETE FROM policies WHERE file_sha256 = ?", [sha256])

    def _current_versions(self, path: str, origin: str | None, sha256: str) -> list[str]:
        """Imported files that are the same logical file (same path or same origin)."""
        rows = self.db.execute(
            "SELECT sha256 FROM current_files WHERE sha256 != ? "
            "AND (path = ? OR (? IS NOT NULL AND origin = ?))",
            [sha256, path, origin, origin],
        ).fetchall()
        return [r[0] for r in rows]

    def _supersede(self, older: list[str], sha256: str) -> None:
        from saidao.index.policy_merge import retire_file

        for old in older:
            self.db.execute(
                "UPDATE files SET status = 'superseded', superseded_by = ? WHERE sha256 = ?",
                [sha256, old],
            )
            retire_file(self.db, old)  # a policy's primary: its next best form takes over

    def _reinstate(self, sha256: str, path: str, origin: str | None) -> str:
        """An older version came back: it is current again, the newer one superseded."""
        from saidao.index.policy_merge import reinstate_file

        older = self._current_versions(path, origin, sha256)
        self.db.execute(
            "UPDATE files SET status = 'imported', superseded_by = NULL WHERE sha256 = ?", [sha256]
        )
        reinstate_file(self.db, sha256)
        self._supersede(older, sha256)
        return "superseded" if older else "unchanged"

    def _log(
        self, run_id: int, path: str, origin: str | None, sha256: str, outcome: str,
        error: dict | None, copy_of: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO import_log(run_id, path, origin, sha256, outcome, reason, message, "
            "logged_at, copy_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, path, origin, sha256, outcome, (error or {}).get("reason"),
             (error or {}).get("message"), now(), copy_of],
        )

    def _write_failed(
        self, run_id: int, path: str, sha256: str, size: int, kind: str | None, error: dict,
        origin: str | None,
    ) -> None:
        self.db.execute("DELETE FROM files WHERE sha256 = ?", [sha256])
        self.db.execute(
            "INSERT INTO files(sha256, size, path, origin, kind, status, reason, message, run_id, "
            "imported_at) VALUES (?, ?, ?, ?, ?, 'failed', ?, ?, ?, ?)",
            [sha256, size, path, origin, kind, error.get("reason"), error.get("message"), run_id,
             now()],
        )

    def _write_file(
        self, run_id: int, path: str, sha256: str, size: int, kind: str | None, result: dict,
        origin: str | None,
    ) -> dict | None:
        """The file's row and content; returns its fate when it joined a policy already
        imported (``policy_merge.place_policy``), for the run's log."""
        source = result.get("source") or {}
        kind = result.get("kind") or kind
        self.db.execute(
            "INSERT INTO files(sha256, size, path, origin, kind, format, pages, ocr_pages, status, "
            "run_id, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'imported', ?, ?)",
            [sha256, size, path, origin, kind, source.get("format"), source.get("pages"),
             dumps(source.get("ocr_pages") or []), run_id, now()],
        )
        return self._write_content(sha256, kind, result)

    def _write_content(self, sha256: str, kind: str | None, result: dict,
                       reuse_track: int | None = None) -> dict | None:
        """A file's declaration or policy rows and its problems; a policy's fate (another
        form of a policy already imported) is returned."""
        for problem in _open_problems(sha256, kind, result):
            self.db.execute(
                "INSERT INTO problems(file_sha256, field, code, message) VALUES (?, ?, ?, ?)",
                [sha256, problem.get("field"), problem.get("code"), problem.get("message")],
            )
        if kind == "declaration":
            self._write_declaration(sha256, result, reuse_track)
        elif kind == "policy":
            return self._write_policy(sha256, result)
        return None

    # -- declarations ------------------------------------------------------------
    def _write_declaration(self, sha256: str, result: dict, reuse_track: int | None = None
                           ) -> None:
        """The declaration's row; its track is an existing one it is another form or version
        of, or a new one (``index.track_merge``)."""
        unit = result.get("unit") or {}
        measures = result.get("measures") or {}
        plan = result.get("plan") or {}
        attest = result.get("attestation") or {}
        recommend = result.get("recommendation") or {}
        zone = result.get("zone") or {}
        row: dict[str, Any] = {
            "file_sha256": sha256,
            "track_name": result.get("track_name"),
            "zone_printed": zone.get("printed"),
            "zone_id": zone.get("id"),
            "filled_at": result.get("filled_at"),
            **{f"unit_{k}": unit.get(k) for k in _UNIT_FIELDS},
            "measures_text": measures.get("text"),
            "measures_chars": measures.get("chars"),
            "measures_over_limit": _bool(measures.get("over_limit")),
            "plan_text": plan.get("text"),
            "plan_chars": plan.get("chars"),
            "plan_over_limit": _bool(plan.get("over_limit")),
            "attestation_present": _bool(attest.get("present")),
            "attestation_sealed": _bool(attest.get("sealed")),
            "attestation_date": attest.get("date"),
            "recommendation_present": _bool(recommend.get("present")),
            "recommendation_sealed": _bool(recommend.get("sealed")),
            "recommendation_date": recommend.get("date"),
            "raw": dumps(result),
        }
        declaration_id = self._insert("declarations", row)
        from saidao.index.track_merge import place_declaration

        place_declaration(self.db, declaration_id, sha256, result, reuse_track)

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cur = self.db.execute(f"INSERT INTO {table}({columns}) VALUES ({marks})", list(row.values()))
        return int(cur.lastrowid)

    # -- policies ----------------------------------------------------------------
    def _write_policy(self, sha256: str, result: dict) -> dict | None:
        """The policy's rows; then its place (``index.policy_merge``): another form of a
        current policy is kept as its source, its fate returned."""
        from saidao.index.policy_merge import place_policy

        meta = _with_bundled_metadata(sha256, result)
        policy_id = sha256[:16]
        self._insert("policies", {
            "policy_id": policy_id,
            "file_sha256": sha256,
            **{k: meta.get(k) for k in
               ("title", "doc_number", "issuer", "date", "date_written", "date_issued", "level",
                "jurisdiction")},
            "refs": dumps(result.get("references") or []),
            "preamble": result.get("preamble"),
            **_validity_columns(result),
        })
        seen: set[str] = set()
        for position, clause in enumerate(result.get("clauses") or [], start=1):
            clause_id = _unique(clause.get("id") or f"{policy_id}:{position}", seen)
            self._write_clause(policy_id, clause_id, position, clause)
        return place_policy(self.db, policy_id, sha256, result)

    def _write_clause(self, policy_id: str, clause_id: str, position: int, clause: dict) -> None:
        rowid = self._insert("clauses", {
            "clause_id": clause_id,
            "policy_id": policy_id,
            "number": clause.get("number"),
            "path": dumps(clause.get("path") or []),
            "path_headings": dumps(clause.get("path_headings") or []),
            "heading": clause.get("heading"),
            "text": clause.get("text"),
            "position": position,
            "lines": dumps(clause.get("lines") or []),
        })
        for key, tag_type in _TAG_KEYS.items():
            for value in clause.get(key) or []:
                self._insert("clause_tags", {
                    "clause_id": clause_id,
                    "tag_type": tag_type,
                    "value": _tag_value(value),
                    "detail": dumps(value) if isinstance(value, dict) else None,
                })
        fts.index_clause(self.db, rowid, clause.get("heading") or "", clause.get("text") or "")

    # -- tracks ------------------------------------------------------------------
    def track_ids(self, sha256: str) -> list[int]:
        """The tracks a declaration file is the primary source of (one per declaration)."""
        rows = self.db.execute(
            "SELECT t.track_id FROM tracks t JOIN declarations d ON d.declaration_id = t.declaration_id "
            "WHERE d.file_sha256 = ? ORDER BY t.track_id", [sha256],
        ).fetchall()
        return [r[0] for r in rows]

    def replace_links(self, track_id: int, links: Iterable[Any]) -> int:
        """Store a track's links (``index.links.Link``, best first) in place of its earlier ones.

        The same rows ``index.links.compute_links`` writes, in one transaction;
        returns how many were stored.
        """
        stamp = now()
        rows = [
            (track_id, link.clause_id, rank, link.score, dumps(link.parts), dumps(link.reasons),
             link.snippet, stamp)
            for rank, link in enumerate(links, start=1)
        ]
        with write_transaction(self.db):
            self.db.execute("DELETE FROM track_links WHERE track_id = ?", [track_id])
            self.db.conn.executemany("INSERT INTO track_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def retires_policy(self, sha256: str) -> bool:
        """True when importing ``sha256`` superseded a policy (its clauses left the index)."""
        row = self.db.execute(
            "SELECT 1 FROM files WHERE superseded_by = ? AND kind = 'policy' LIMIT 1", [sha256]
        ).fetchone()
        return row is not None

    # -- reports -----------------------------------------------------------------
    def report(self, run_id: int | None = None) -> list[dict]:
        """Every file the run saw (latest run by default): outcome, reason, message."""
        run_id = run_id if run_id is not None else self.latest_run()
        if run_id is None:
            return []
        return list(self.db.query(
            "SELECT l.run_id, l.path, l.origin, l.sha256, l.outcome, l.copy_of, "
            "coalesce(l.reason, f.reason) AS reason, coalesce(l.message, f.message) AS message, "
            "f.kind, f.format, f.pages, f.status, f.superseded_by, l.logged_at, "
            "(SELECT group_concat(p.message, '；') FROM problems p WHERE p.file_sha256 = l.sha256 "
            "AND p.status = 'open' AND p.code LIKE 'policy_%') AS problems "
            "FROM import_log l LEFT JOIN files f ON f.sha256 = l.sha256 "
            "WHERE l.run_id = ? ORDER BY l.id",
            [run_id],
        ))

    # -- corrections ---------------------------------------------------------------
    def correct(
        self, table: str, row_id: str | int, field: str, value: Any, *, by: str = "",
        note: str = "",
    ) -> int:
        """Record a person's fix; the raw value stays in its table, the fix goes to ``corrections``."""
        if table not in self.db.table_names() or field not in self.db[table].columns_dict:
            raise ValueError(f"unknown column {table}.{field}")
        pk = self.db[table].pks[0]
        row = self.db.execute(f"SELECT {field} FROM {table} WHERE {pk} = ?", [row_id]).fetchone()
        if row is None:
            raise KeyError(f"{table} row {row_id!r} not found")
        with write_transaction(self.db):
            return self._insert("corrections", {
                "table_name": table, "row_id": str(row_id), "field": field,
                "raw_value": None if row[0] is None else str(row[0]),
                "corrected_value": None if value is None else str(value),
                "corrected_by": by, "corrected_at": now(), "note": note,
            })

    def value(self, table: str, row_id: str | int, field: str) -> Any:
        """A field as a person last corrected it, else as extracted."""
        fix = self.db.execute(
            "SELECT corrected_value FROM corrections WHERE table_name = ? AND row_id = ? "
            "AND field = ? ORDER BY id DESC LIMIT 1", [table, str(row_id), field],
        ).fetchone()
        if fix is not None:
            return fix[0]
        pk = self.db[table].pks[0]
        row = self.db.execute(f"SELECT {field} FROM {table} WHERE {pk} = ?", [row_id]).fetchone()
        return None if row is None else row[0]


def _open_problems(sha256: str, kind: str | None, result: dict) -> list[dict]:
    """The result's problems, less a policy's missing title that the bundled corpus supplies."""
    problems = list(result.get("problems") or [])
    missing_title = any(p.get("code") == "policy_no_title" for p in problems)
    if kind == "policy" and missing_title and _with_bundled_metadata(sha256, {}).get("title"):
        problems = [p for p in problems if p.get("code") != "policy_no_title"]
    return problems


def _validity_columns(result: dict) -> dict[str, Any]:
    """Schema v7's policy columns: issuers, in-force period, the page's block and chrome."""
    period = result.get("in_force") or {}
    return {
        "issuers": dumps(result.get("issuers") or []),
        "date_published": result.get("date_published"),
        "in_force_from": period.get("from"),
        "in_force_until": period.get("until"),
        "validity_status": period.get("status"),
        "validity": dumps({k: period.get(k) for k in ("basis", "repeals", "repeals_general")}),
        "page": dumps({"info": result.get("info") or {}, "chrome": result.get("chrome") or []}),
    }


def _unique(clause_id: str, seen: set[str]) -> str:
    """Clause ids are unique per document; a repeated one gets ``~2``, ``~3`` …"""
    candidate, n = clause_id, 1
    while candidate in seen:
        n += 1
        candidate = f"{clause_id}~{n}"
    seen.add(candidate)
    return candidate


def _tag_value(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("text") or value.get("value") or value.get("name") or dumps(value))
    return str(value)


def _with_bundled_metadata(sha256: str, result: dict) -> dict:
    """Fill title/文号/… the text does not print from the bundled corpus metadata (same bytes)."""
    meta = dict(result)
    known = next((p for p in bundled() if p.sha256 == sha256), None)
    if known is None:
        return meta
    published = {
        "title": known.title, "doc_number": known.doc_number, "issuer": known.issuer,
        "level": known.level, "jurisdiction": known.jurisdiction,
        "date": (known.signed_date or known.printed_date or "") and
        str(known.signed_date or known.printed_date),
    }
    for key, value in published.items():
        if not meta.get(key) and value:
            meta[key] = value
    return meta

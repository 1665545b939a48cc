"""Connections to the index: a current SQLite (sqlean.py) wrapped in sqlite-utils.

Python 3.11's bundled SQLite (3.40) answers FTS5 trigram ``LIKE`` with
two-character patterns wrongly; sqlean.py ships a current SQLite, so every
connection goes through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeAlias

import sqlean
import sqlite_utils

#: How long a writer waits for another writer's lock before failing (ms).
BUSY_TIMEOUT_MS = 30_000


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (or create) the database at ``path``: WAL, busy timeout, foreign keys on."""
    conn = sqlean.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    db = sqlite_utils.Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
        # WAL with synchronous=NORMAL stays consistent after a crash (only the
        # last commits may be lost, never half of one).
        db.execute("PRAGMA synchronous = NORMAL")
    return db


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One all-or-nothing write: ``BEGIN IMMEDIATE`` … ``COMMIT`` (rollback on any error).

    IMMEDIATE takes the write lock up front, so two importers never deadlock
    half-way through a file; sqlite-utils calls inside become savepoints.
    """
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class HasDatabase(Protocol):
    """Anything holding an open index as ``.db`` (``index.store.Index``)."""

    db: sqlite_utils.Database


#: The first parameter of every public function of ``saidao.index``, named ``index``:
#: an ``Index``, its sqlite-utils ``Database``, or the path of an index file. Functions
#: read it with :func:`as_database`; private helpers that ``cache.cached`` calls take
#: the ``db`` it hands them. (One convention instead of four: docs/architecture.md.)
IndexLike: TypeAlias = "HasDatabase | sqlite_utils.Database | str | Path"


def as_database(index: IndexLike) -> sqlite_utils.Database:
    """The sqlite-utils Database of an ``Index`` (its ``.db``), a Database, or a path to one."""
    if isinstance(index, sqlite_utils.Database):
        return index
    if hasattr(index, "db"):
        return index.db
    return connect(index)


def now() -> str:
    """UTC timestamp, ISO 8601 to the second (when a row was written, decided, entered)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def sqlite_version(db: sqlite_utils.Database) -> str:
    """The SQLite library version behind ``db`` (for reports and tests)."""
    return str(db.execute("SELECT sqlite_version()").fetchone()[0])

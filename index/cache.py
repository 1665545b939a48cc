"""Answers that never go stale: memoised under the index's data state and, for
expensive ones, stored in the index under that state and a fingerprint of the code.

The key is the index's *data state* (:func:`data_state`): per content table a
version that SQLite triggers move on at every write (schema v5), plus a random
epoch of the index file. The key and the answer are read in one snapshot
(:func:`snapshot`), so a write that lands meanwhile can never be cached under
the older key. :func:`cached` keeps an answer in memory; with ``persist=`` also
in table ``cached_answers`` (schema v6) under the state and :func:`code_version`
(the source of the computing module and of every saidao module it imports,
absolutely or relatively, at any depth), so the CLI and a restarted server read
it back when both still match, and never otherwise.

Moved out of ``index.overview`` (which keeps the home page's counts) so that
every module that caches (search, dupes, links, eligibility) depends on this
engine only, not on the counts.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlean
import sqlite_utils

from saidao.index.db import IndexLike, as_database, now, write_transaction

__all__ = ["CLAUSES", "COUNTS", "FIRMS", "JSON", "TRACKS", "Codec", "cached", "code_version",
           "data_state", "latest", "refresh", "snapshot"]

T = TypeVar("T")

#: What the figures read, by the names of schema v5's ``data_versions`` (a plain table
#: name also covers its ``table:detail`` rows, e.g. ``corrections`` every corrected table).
TRACKS = ("files", "declarations", "tracks")
FIRMS = (*TRACKS, "firm_mentions", "corrections:firm_mentions")
CLAUSES = ("files", "policies", "clauses", "clause_tags", "policy_sources")
COUNTS = (*FIRMS, *CLAUSES, "problems")

#: (database file, figure name) -> (data state it was computed at, value).
_memo: dict[tuple[str, str], tuple[tuple[Any, ...], Any]] = {}
_memo_lock = threading.Lock()
#: More entries than this (many test indexes, many zones) and the memo starts afresh.
_MEMO_LIMIT = 256


def data_state(index: IndexLike, depends: Iterable[str] | None = None) -> tuple[Any, ...] | None:
    """The index's random epoch and the versions of the tables in ``depends`` (all when
    None): equal twice means none of them was written in between, by any process.
    None before schema v5 (nothing is then cached)."""
    db = as_database(index)
    try:
        versions = dict(db.execute("SELECT name, version FROM data_versions").fetchall())
    except sqlean.OperationalError:
        return None
    epoch = versions.pop("epoch", None)
    wanted = None if depends is None else set(depends)
    picked = sorted((name, version) for name, version in versions.items()
                    if wanted is None or name in wanted or name.split(":", 1)[0] in wanted)
    return (epoch, tuple(picked))


@contextmanager
def snapshot(index: IndexLike) -> Iterator[sqlite_utils.Database]:
    """One read transaction, so the data state and the figures computed under it
    describe the same data (WAL: writers go on meanwhile). Inside a transaction
    already, that one is used."""
    db = as_database(index)
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN")
    try:
        yield db
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # read only: nothing to keep


def _database_file(db: sqlite_utils.Database) -> str:
    """The main database's file ('' in memory: such a database is never cached)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file or "")
    return ""


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How an answer is written to ``cached_answers`` and read back (bytes both ways)."""

    encode: Callable[[T], bytes]
    decode: Callable[[bytes], T]


def _json_encode(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False).encode("utf-8"), 1)


def _json_decode(payload: bytes) -> Any:
    return json.loads(zlib.decompress(payload))


#: Plain JSON values (lists, dicts, numbers, strings), compressed. Tuples come back as lists.
JSON: Codec[Any] = Codec(_json_encode, _json_decode)

#: How long storing an answer waits for another writer (an import) before giving up: the
#: answer is still returned and memoised, only not kept for the next process.
STORE_WAIT_MS = 500

@lru_cache(maxsize=64)
def code_version(module: str) -> str:
    """A fingerprint of the code behind an answer: the source of ``module`` and of every
    saidao module it imports, at any depth (imports inside functions too), plus the
    bundled data when the corpus is among them. A stored answer computed by other code
    (an upgrade, a fixed rule) is never taken for this code's; an edit elsewhere keeps it."""
    digest = hashlib.sha256()
    files = sorted(_source_files(module))
    if any(name.startswith("saidao.corpus") for name, _ in files):
        corpus = Path(_origin("saidao.corpus") or ".").parent
        files += [(f"data:{p.relative_to(corpus).as_posix()}", p) for p in sorted(corpus.rglob("*"))
                  if p.is_file() and p.suffix not in (".py", ".pyc")]
    for name, path in files:
        digest.update(name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1024)
def _origin(module: str) -> str | None:
    """The source file of a saidao module, found without importing it (below the
    top-level folders, whose packages are empty: importing a reader for its path
    would load OCR models)."""
    parts = module.split(".")
    try:
        spec = importlib.util.find_spec(".".join(parts[:2]))
    except (ImportError, ValueError):
        return None
    for part in parts[2:]:
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = importlib.machinery.PathFinder.find_spec(part, list(spec.submodule_search_locations))
    return spec.origin if spec is not None and spec.has_location else None


#: ``from X import names`` (names in brackets may span lines) and ``import X, Y``, at any
#: indentation (imports inside functions count). Read with a regular expression, not
#: ``ast``: a cold process fingerprints ~40 modules, and parsing them cost 0.2 CPU s of a
#: one-file import. A match inside a string only adds a module to the fingerprint, which
#: errs on the safe side (an edit there recomputes); a real import is never missed.
_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M)
_PLAIN_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n]+)", re.M)


def _names(listed: str) -> list[str]:
    """``a as b, (c,\n d)`` → [a, c, d] (comments, brackets and line continuations dropped)."""
    listed = re.sub(r"#[^\n]*", "", listed).replace("\\", " ").strip("() \t\n")
    return [part.split()[0] for part in listed.replace("\n", " ").split(",") if part.split()]


def _imported(source: str, package: str) -> Iterator[str]:
    """Names of the modules a module's source imports (``from x import y``: x.y too).

    Relative imports are resolved against ``package`` (the importing module's
    package), so ``from .text_width import fold`` in ``saidao.extractors.normalize``
    counts as ``saidao.extractors.text_width``: the project writes absolute imports
    (ruff TID252), but a fingerprint that missed a relative one would serve answers
    of old code.
    """
    for m in _FROM_IMPORT.finditer(source):
        dots, name, listed = m.groups()
        if dots:
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - (len(dots) - 1)])
            module = f"{base}.{name}" if name else base
        else:
            module = name
        yield module
        yield from (f"{module}.{a}" for a in _names(listed))
    for m in _PLAIN_IMPORT.finditer(source):
        yield from _names(m.group(1))


def _source_files(module: str) -> set[tuple[str, Path]]:
    """(module name, source file) of ``module`` and the saidao modules it reaches."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or not name.startswith("saidao"):
            continue
        origin = _origin(name)
        if origin is None or not origin.endswith(".py"):
            continue
        seen[name] = Path(origin)
        package = name if seen[name].name == "__init__.py" else name.rpartition(".")[0]
        todo += _imported(seen[name].read_text("utf-8", errors="replace"), package)
    return set(seen.items())


def _state_text(state: tuple[Any, ...]) -> str:
    return json.dumps(state, separators=(",", ":"))


def _load(db: sqlite_utils.Database, name: str, state: tuple[Any, ...], code: str,
          codec: Codec[T]) -> tuple[bool, T | None]:
    """(found, value) of the answer stored under exactly this state and code."""
    try:
        row = db.execute("SELECT payload FROM cached_answers WHERE name = ? AND state = ? "
                         "AND code = ?", [name, _state_text(state), code]).fetchone()
    except sqlean.OperationalError:  # an index older than schema v6
        return False, None
    if row is None:
        return False, None
    try:
        return True, codec.decode(bytes(row[0]))
    except (ValueError, KeyError, IndexError, TypeError, zlib.error):
        return False, None  # damaged: computed afresh and stored again


def _store(db: sqlite_utils.Database, name: str, state: tuple[Any, ...], code: str,
           payload: bytes) -> bool:
    """Keep the answer in the index, replacing the one of an older state; False when the
    index cannot be written now (locked by an import past :data:`STORE_WAIT_MS`, read-only)."""
    conn = db.conn
    waited = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute(f"PRAGMA busy_timeout = {STORE_WAIT_MS}")
    try:
        with write_transaction(db):
            db.execute("INSERT OR REPLACE INTO cached_answers (name, state, code, payload, "
                       "computed_at) VALUES (?, ?, ?, ?, ?)",
                       [name, _state_text(state), code, payload,
                        now()])
    except sqlean.OperationalError:
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {waited}")
    return True


def _module_of(compute: Callable[..., Any]) -> str:
    """The module whose code ``compute`` runs (a ``functools.partial``: its function's)."""
    return str(getattr(getattr(compute, "func", compute), "__module__", None) or __name__)


def cached(index: IndexLike, name: str, compute: Callable[[sqlite_utils.Database], T],
           depends: Iterable[str] | None = None, persist: Codec[T] | bool = False,
           code: str | None = None) -> T:
    """``compute(db)``, kept until a table in ``depends`` (every content table when None)
    is written. Name every table ``compute`` reads, or it may be served stale.

    ``persist`` (a :class:`Codec`, or True for :data:`JSON`) also keeps the answer in
    the index for other processes, for answers that cost seconds: the in-process memo
    is tried first, then the stored answer, and only then ``compute``. ``code`` names the
    module whose code the answer comes from when ``compute`` is a wrapper defined
    elsewhere (a page's lambda): its :func:`code_version` keys the stored answer.

    The value is shared between callers and threads: treat it as read-only.
    """
    db = as_database(index)
    where = _database_file(db)
    if not where or db.conn.in_transaction:  # a caller's writes may yet be rolled back
        return compute(db)
    codec: Codec[T] | None = JSON if persist is True else (persist or None)
    version = code_version(code or _module_of(compute)) if codec else ""
    payload = None
    with snapshot(db):
        state = data_state(db, depends)
        if state is None:
            return compute(db)
        key = (where, name)
        with _memo_lock:
            hit = _memo.get(key)
        if hit is not None and hit[0] == state:
            return hit[1]
        found, value = _load(db, name, state, version, codec) if codec else (False, None)
        if not found:
            value = compute(db)
            payload = codec.encode(value) if codec else None
    if payload is not None:
        _store(db, name, state, version, payload)
    with _memo_lock:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo[key] = (state, value)
    return value  # type: ignore[return-value]


def refresh(index: IndexLike, name: str, compute: Callable[[sqlite_utils.Database], T],
            depends: Iterable[str] | None = None, persist: Codec[T] | bool = True) -> bool:
    """Make sure the index holds ``name``'s answer for the current data state (as
    :func:`cached` with ``persist`` would store it), without reading it back when it
    does: the end of an import readies what the next process will ask. True when it
    computed."""
    db = as_database(index)
    codec: Codec[T] = JSON if persist is True else (persist or JSON)
    if _database_file(db) and not db.conn.in_transaction:
        with snapshot(db):
            state = data_state(db, depends)
            try:
                found = state is not None and db.execute(
                    "SELECT 1 FROM cached_answers WHERE name = ? AND state = ? AND code = ?",
                    [name, _state_text(state), code_version(_module_of(compute))]).fetchone()
            except sqlean.OperationalError:  # an index older than schema v6
                found = None
        if found:
            return False
    cached(db, name, compute, depends, persist=codec)
    return True


#: (database file, figure name) -> (stored state text, value) of the last stored answer
#: read while it was out of date (decoding a large answer on every request costs).
_stale_memo: dict[tuple[str, str], tuple[str, Any]] = {}


def latest(index: IndexLike, name: str, module: str, depends: Iterable[str] | None = None,
           persist: Codec[T] | bool = True) -> tuple[T, bool] | None:
    """``name``'s answer without computing it: (value, True) when it is the answer of
    the current data state and code (memoised, or stored by :func:`refresh`), else the
    last answer stored in the index, of an older state or code, as (value, False); None
    when none was ever stored. For pages that must not compute in the request: a False
    answer must be shown as out of date, and its recomputation started elsewhere.
    ``module`` is the module whose code computes the answer (as :func:`cached`'s ``code``)."""
    db = as_database(index)
    where = _database_file(db)
    codec: Codec[T] = JSON if persist is True else (persist or JSON)
    if not where:
        return None
    version = code_version(module)
    key = (where, name)
    with snapshot(db):
        state = data_state(db, depends)
        if state is None:
            return None
        with _memo_lock:
            hit = _memo.get(key)
        if hit is not None and hit[0] == state:
            return hit[1], True
        found, value = _load(db, name, state, version, codec)
        if found:
            with _memo_lock:
                if len(_memo) >= _MEMO_LIMIT:
                    _memo.clear()
                _memo[key] = (state, value)
            return value, True  # type: ignore[return-value]
        try:
            row = db.execute("SELECT state, code FROM cached_answers WHERE name = ?",
                             [name]).fetchone()
        except sqlean.OperationalError:  # an index older than schema v6
            return None
        if row is None:
            return None
        if hit is not None and row[1] == version and _state_text(hit[0]) == row[0]:
            return hit[1], False  # the answer memoised before the write: nothing to decode
        mark = f"{row[0]}|{row[1]}"
        with _memo_lock:
            old = _stale_memo.get(key)
        if old is not None and old[0] == mark:
            return old[1], False
        payload = db.execute("SELECT payload FROM cached_answers WHERE name = ?",
                             [name]).fetchone()
    if payload is None:
        return None
    try:
        value = codec.decode(bytes(payload[0]))
    except (ValueError, KeyError, IndexError, TypeError, zlib.error):
        return None
    with _memo_lock:
        if len(_stale_memo) >= _MEMO_LIMIT:
            _stale_memo.clear()
        _stale_memo[key] = (mark, value)
    return value, False

"""Opening an index safely: what the file is, whether it may be written, which schema.

Operator mistakes must read as sentences, not tracebacks: ``--db`` naming a
text file or a damaged database, an index written by a newer saidao, a
read-only file or folder. :func:`check_index` looks before anything writes;
a read-only index is opened read-only (``mode=ro``) and works for every
command that only reads (search, report, export, serve).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import sqlean
import sqlite_utils

from saidao.index.db import BUSY_TIMEOUT_MS


class IndexUnusable(Exception):  # noqa: N818  (a state of the index, shown to staff)
    """The index file cannot be used (CLI exit code 3); ``message_zh`` says why."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def check_file(path: str | Path) -> bool:
    """Whether ``path`` exists; raise :class:`IndexUnusable` when it is not a SQLite database.

    The file is read through SQLite (``mode=ro``), never with ``open()``: POSIX record
    locks belong to the process, and closing *any* descriptor of the file drops every lock
    the process holds on it, including the shared lock each of its WAL connections keeps.
    The web server opens the index again for each upload while its page connections are
    open; after a plain ``open().close()`` the next other process to close its connection
    (the background regroup) found no other user, checkpointed and deleted the WAL, and
    the server's later commits (a staff decision) went to the deleted file and were lost.
    SQLite's own descriptors are kept open until the process's last lock on the file goes.
    """
    path = Path(path)
    if str(path) == ":memory:" or not path.exists():
        return False
    if path.is_dir():
        raise IndexUnusable(f"--db 指向的是文件夹，不是索引文件：{path}")
    if not os.access(path, os.R_OK):
        raise IndexUnusable(f"没有读取索引文件的权限：{path}")
    if path.stat().st_size == 0:
        return False  # an empty file: a new index is made in it
    try:
        conn = sqlean.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True,
                              timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlean.Error:
        return True  # cannot even be opened: the real open says why
    try:
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header
    except sqlean.DatabaseError as exc:
        if "not a database" in str(exc):
            raise IndexUnusable(f"--db 指向的文件不是赛道索引（不是 SQLite 数据库）：{path}") from exc
        # anything else (locked, no -shm beside a read-only file): the real open says why
    finally:
        conn.close()
    return True


def writable(path: str | Path) -> bool:
    """True when the index file (or, for a new one, its folder) may be written."""
    path = Path(path)
    if str(path) == ":memory:":
        return True
    if path.exists():
        folder_ok = os.access(path.parent, os.W_OK)  # WAL needs its -wal/-shm files beside it
        return os.access(path, os.W_OK) and folder_ok
    return os.access(path.parent, os.W_OK)


def connect_read_only(path: str | Path) -> sqlite_utils.Database:
    """A read-only connection; ``immutable`` when the WAL files cannot be made beside it."""
    uri = Path(path).absolute().as_uri()
    for flags in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlean.connect(f"{uri}?{flags}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlean.DatabaseError:
            conn.close()
            continue
        return sqlite_utils.Database(conn)
    raise IndexUnusable(f"索引文件无法以只读方式打开：{path}")


def check_schema(found: int, supported: int, path: str | Path) -> None:
    """Refuse an index written by a newer saidao (its tables may mean other things)."""
    if found > supported:
        raise IndexUnusable(
            f"索引 {path} 的结构版本为 {found}，本程序只支持到版本 {supported}："
            "它由更新版本的赛道写成，请升级 saidao 后再打开（未做任何修改）"
        )


def _nearly_full(path: str | Path) -> bool:
    """SQLite says "disk I/O error" when its WAL cannot grow: tell a full disk apart."""
    try:
        return shutil.disk_usage(Path(path).absolute().parent).free < 1 << 20
    except OSError:
        return False


def damaged(path: str | Path, exc: Exception) -> IndexUnusable:
    """A SQLite error on open as the sentence staff read."""
    text = str(exc)
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return IndexUnusable(f"索引文件已损坏，无法使用：{path}（{text}）；请用备份恢复或换一个新的 --db")
    if "full" in text or ("disk I/O error" in text and _nearly_full(path)):
        return IndexUnusable(f"磁盘空间已满，无法写入索引：{path}")
    if "readonly" in text or "read-only" in text:
        return IndexUnusable(f"索引文件只读，此命令需要写入：{path}")
    return IndexUnusable(f"索引文件无法打开：{path}（{text}）")

"""A process that opens the index again while its connections are open keeps its writes.

The web server opens the index once per upload (``Index.open``) while its page
connections stay open, and a background child (the regroup) opens and closes the index
meanwhile. Reading the file's header with a plain ``open()`` had dropped every POSIX lock
the server held on the file: the child, closing, then took itself for the last user,
checkpointed and deleted the WAL, and the server's next commit (a staff decision) went
to the deleted WAL and was lost (the browser journey's confirm step).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from saidao.index.dupe_model import Decision
from saidao.index.dupes import record_decision
from saidao.index.store import Index


def _in_child(code: str, db: Path) -> str:
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True,
                          text=True, check=True, timeout=120)
    return done.stdout.strip()


def test_a_second_open_in_the_process_keeps_the_wal_for_its_connections(tmp_path: Path) -> None:
    db = tmp_path / "saidao.db"
    Index.open(db).close()
    server = Index.open(db)  # a page connection of the server, kept open
    server.db.execute("SELECT count(*) FROM files").fetchone()
    Index.open(db).close()  # an upload opens the index again in the same process
    # another process (the background regroup) opens, writes and closes the index
    _in_child("import sys; from saidao.index.store import Index; "
              "ix = Index.open(sys.argv[1]); "
              "ix.db.execute(\"UPDATE data_versions SET version = version WHERE name = 'epoch'\"); "
              "ix.db.conn.commit(); ix.close()", db)
    assert Path(f"{db}-wal").exists()  # the server still uses it: not checkpointed away
    record_decision(server, Decision("confirm", ("a#1", "b#1"), by="王审核"))
    try:
        seen = _in_child("import sys, sqlean; c = sqlean.connect(sys.argv[1]); "
                         "print(c.execute('SELECT count(*) FROM dupe_decisions').fetchone()[0])", db)
    finally:
        server.close()
    assert seen == "1"  # another process sees the server's commit


def test_a_text_file_is_refused_and_an_empty_one_is_a_new_index(tmp_path: Path) -> None:
    from saidao.index.opening import IndexUnusable, check_file

    text = tmp_path / "notes.db"
    text.write_text("这不是数据库\n" * 100, encoding="utf-8")
    with pytest.raises(IndexUnusable) as err:
        check_file(text)
    assert "不是 SQLite 数据库" in err.value.message_zh
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert check_file(empty) is False
    assert check_file(tmp_path / "missing.db") is False
    Index.open(empty).close()
    assert check_file(empty) is True

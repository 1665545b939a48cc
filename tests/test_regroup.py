"""Duplicate groups regrouped off the request path (``web.regroup``): after a code
correction /dupes shows the last stored groups under a notice, never grouping in the
request, and the groups of the correction once the background regroup is done."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser.webdata import FIRM_CODE, MISPRINT, RENAMED, build_index
from starlette.testclient import TestClient

from saidao.index import dupes
from saidao.index.store import Index
from saidao.web import create_app
from saidao.web.firms import NONE_YET_NOTICE, STALE_NOTICE
from saidao.web.regroup import Regrouper
from saidao.web.security import CSRF_COOKIE

NOTICE = "正在按最新更正重新计算"
REAL_RUN = Regrouper._run_once


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("regroupidx")
    return build_index(root / "saidao.db", root / "files")


@pytest.fixture()
def db(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "saidao.db"
    shutil.copy(built, target)
    return target


@pytest.fixture()
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[str]]]:
    """The background regroup held until the gate opens (then the real one: a child
    process), and grouping in this process refused: a request that grouped would fail,
    not pass slowly. ``threads`` names the threads that ran a regroup."""
    real_run, opened, threads = Regrouper._run_once, threading.Event(), []

    def held(self: Regrouper) -> None:
        threads.append(threading.current_thread().name)
        assert opened.wait(60), "gate never opened"
        real_run(self)

    def no_grouping(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"grouped on {threading.current_thread().name}")

    monkeypatch.setattr(Regrouper, "_run_once", held)
    monkeypatch.setattr(dupes, "find_groups", no_grouping)
    yield opened, threads
    opened.set()  # never leave a regroup thread blocked


def correct(c: TestClient, db: Path) -> None:
    """Accept the unique repair of the misprinted code on the review page."""
    with Index.open(db) as index:
        sha = index.db.execute(
            "SELECT d.file_sha256 FROM firm_mentions m JOIN tracks t USING (track_id) "
            "JOIN declarations d USING (declaration_id) WHERE m.uscc_printed = ?",
            [MISPRINT]).fetchone()[0]
    r = c.post("/review/resolve", data={"csrf": c.cookies[CSRF_COOKIE], "sha": sha,
                                         "field": "firms[0].uscc", "choice": FIRM_CODE,
                                         "user": "王审核", "action": "accept"},
               follow_redirects=False)
    assert r.status_code == 303 and "error=" not in r.headers["location"]


def test_after_a_correction_dupes_shows_the_stored_groups_with_a_notice(
        db: Path, gate: tuple[threading.Event, list[str]]) -> None:
    opened, threads = gate
    app = create_app(db)  # the default: a page never waits for the regroup
    c = TestClient(app, raise_server_exceptions=True)
    c.get("/")
    before = c.get("/dupes", params={"q": FIRM_CODE}).text
    assert RENAMED not in before and NOTICE not in before
    group_id = c.get("/dupes").text.split('data-group="', 1)[1].split('"', 1)[0]

    correct(c, db)
    assert app.state.regroup.busy()  # started by the correction, held at the gate
    page = c.get("/dupes", params={"q": FIRM_CODE}).text
    assert STALE_NOTICE in page and 'http-equiv="refresh"' in page
    assert RENAMED not in page  # the groups stored before the correction
    # and an empty list under the notice does not read as "no duplicates"
    assert "当前显示的分组中没有符合条件的组" in page and "没有重复企业组" not in page
    whole = c.get("/dupes").text
    assert group_id in whole and STALE_NOTICE in whole
    assert 'class="confirm" disabled' in whole
    refused = c.post("/dupes/decide", data={"csrf": c.cookies[CSRF_COOKIE],
                                            "group_id": group_id, "action": "confirm"},
                     follow_redirects=False)
    assert "error=" in refused.headers["location"]  # no decision on out-of-date groups
    with Index.open(db) as index:
        assert index.db.execute("SELECT count(*) FROM dupe_decisions").fetchone()[0] == 0
        found = dupes.latest_groups(index)
        assert found is not None and found[1] is False
    assert set(threads) <= {"saidao-regroup"}

    opened.set()
    assert app.state.regroup.wait(60)
    after = c.get("/dupes", params={"q": FIRM_CODE}).text
    assert NOTICE not in after and 'http-equiv="refresh"' not in after
    assert "当前显示的分组" not in after
    assert RENAMED in after and "包头市新源天然气有限责任公司" in after
    assert threads and set(threads) == {"saidao-regroup"}
    with Index.open(db) as index:
        found = dupes.latest_groups(index)
        assert found is not None and found[1] is True


def test_a_write_while_regrouping_asks_for_exactly_one_more_run(
        db: Path, gate: tuple[threading.Event, list[str]]) -> None:
    opened, threads = gate
    with Index.open(db) as index:  # out of date: the first run must group
        index.db.execute("DELETE FROM cached_answers")
        index.db.conn.commit()
    regroup = Regrouper(db)
    regroup.schedule()
    regroup.schedule()  # two more corrections while the first run waits at the gate
    regroup.schedule()
    assert regroup.busy() and not regroup.wait(0)
    opened.set()
    assert regroup.wait(60) and not regroup.busy()
    assert regroup.runs == 2  # the run under way, then one more
    assert threads == ["saidao-regroup", "saidao-regroup"]


def test_an_index_without_stored_groups_says_they_are_being_computed(
        db: Path, gate: tuple[threading.Event, list[str]]) -> None:
    opened, _ = gate
    with Index.open(db) as index:
        index.db.execute("DELETE FROM cached_answers")
        index.db.conn.commit()
    app = create_app(db, regroup_wait=0)
    c = TestClient(app, raise_server_exceptions=True)
    page = c.get("/dupes").text
    assert NONE_YET_NOTICE in page and "data-group=" not in page
    opened.set()
    assert app.state.regroup.wait(60)
    assert "data-group=" in c.get("/dupes").text and NONE_YET_NOTICE not in c.get("/dupes").text


def test_a_download_right_after_a_correction_holds_the_new_groups(db: Path) -> None:
    """An Excel file has no place for the notice: its request waits for the regroup."""
    import io

    import openpyxl

    app = create_app(db)
    c = TestClient(app, raise_server_exceptions=True)
    c.get("/")
    correct(c, db)
    book = openpyxl.load_workbook(io.BytesIO(c.get("/dupes?format=xlsx").content))
    cells = {str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row}
    assert RENAMED in cells


def test_a_regroup_that_leaves_the_groups_out_of_date_is_not_started_again_by_pages(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that ends without current groups (here: one that stores nothing, as a child
    that failed or a server older than the code on disk) is said on the page, and page
    views do not start the same failing run again and again; a write tries again."""
    from saidao.web.firms import FAILED_NOTICE

    stored_nothing = []
    monkeypatch.setattr(Regrouper, "_run_once", lambda self: stored_nothing.append(1))
    app = create_app(db)
    c = TestClient(app, raise_server_exceptions=True)
    c.get("/")
    correct(c, db)
    assert app.state.regroup.wait(60)
    runs = app.state.regroup.runs
    assert runs == len(stored_nothing) == 1
    for _ in range(3):
        page = c.get("/dupes").text
        assert FAILED_NOTICE in page and STALE_NOTICE not in page
        assert 'http-equiv="refresh"' not in page and 'class="confirm" disabled' in page
    assert app.state.regroup.runs == runs  # no run per page view
    monkeypatch.setattr(Regrouper, "_run_once", REAL_RUN)
    app.state.regroup.schedule()  # a write asks again: this time the real child regroups
    assert app.state.regroup.wait(60)
    after = c.get("/dupes", params={"q": FIRM_CODE}).text
    assert FAILED_NOTICE not in after and NOTICE not in after and RENAMED in after

"""The web app with Starlette's TestClient on a small real index (no OCR)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from browser.webdata import FIRM_CODE, MISPRINT, RENAMED, SCRIPT, script_declaration, wait_for_job
from starlette.testclient import TestClient

from saidao.index.search import resolve_zone
from saidao.index.store import Index
from saidao.web import create_app
from saidao.web.format import highlight
from saidao.web.security import CSRF_COOKIE

HTML = {"accept": "text/html"}
OWN_SCRIPT = re.compile(r'<script src="/static/[a-z_]+\.js" defer></script>')


@pytest.fixture()
def db(web_index: Path, tmp_path: Path) -> Path:
    """A private copy of the web tests' index: tests that write do not disturb each other."""
    return Path(shutil.copy(web_index, tmp_path / "saidao.db"))


def client(db: Path, **options: object) -> TestClient:
    c = TestClient(create_app(db, **options), raise_server_exceptions=True)
    c.get("/")  # receives its CSRF cookie
    return c


def csrf(c: TestClient) -> str:
    return c.cookies[CSRF_COOKIE]


def ids(db: Path) -> dict[str, object]:
    with Index.open(db) as index:
        q = index.db.execute
        return {
            "track": q("SELECT min(track_id) FROM tracks").fetchone()[0],
            "clause": q("SELECT clause_id FROM clauses ORDER BY id LIMIT 1").fetchone()[0],
            "policy": q("SELECT policy_id FROM policies LIMIT 1").fetchone()[0],
            "zone": q("SELECT zone_id FROM tracks WHERE zone_id IS NOT NULL").fetchone()[0],
            "run": q("SELECT max(run_id) FROM import_runs").fetchone()[0],
            "pdf_firm": q("SELECT m.id FROM firm_mentions m JOIN tracks t USING (track_id) JOIN "
                          "declarations d USING (declaration_id) JOIN files f ON "
                          "f.sha256 = d.file_sha256 WHERE f.format = 'pdf' AND m.uscc_valid = 0"
                          ).fetchone()[0],
        }


def test_every_page_answers(db: Path) -> None:
    c, i = client(db), ids(db)
    pages = ["/", "/import", "/review", "/review?kind=uscc", "/search", "/search?q=人才公寓",
             "/search?q=人才公寓&zone=鄂尔多斯高新区&level=city", "/search?level=national",
             f"/clause/{i['clause']}", f"/policy/{i['policy']}", "/zones", f"/zone/{i['zone']}",
             "/tracks", f"/track/{i['track']}", "/dupes", f"/import/run/{i['run']}", "/login"]
    for url in pages:
        r = c.get(url)
        assert r.status_code == 200, url
        assert "赛道" in r.text and "<html" in r.text, url
    assert c.get("/track/999999").status_code == 404
    assert c.get("/zone/nowhere").status_code == 404


def test_home_counts_what_is_indexed(db: Path) -> None:
    text = client(db).get("/").text
    assert "新赛道" in text and "政策条款" in text
    with Index.open(db) as index:
        clauses = index.db.execute("SELECT count(*) FROM clauses").fetchone()[0]
    assert f"<b>{clauses}</b>政策条款" in text


def test_every_list_exports_xlsx(db: Path) -> None:
    c, i = client(db), ids(db)
    lists = {"/tracks": "新赛道名称", "/review": "问题", "/dupes": "组编号", "/zones": "高新区",
             "/search?q=人才公寓": "条款内容", f"/track/{i['track']}": "企业名称",
             f"/zone/{i['zone']}": "新赛道名称", f"/import/run/{i['run']}": "结果",
             f"/policy/{i['policy']}": "条款内容"}
    for url, header in lists.items():
        r = c.get(url + ("&" if "?" in url else "?") + "format=xlsx")
        assert r.status_code == 200, url
        sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
        assert header in [cell.value for cell in sheet[1]], url
        assert sheet.max_row >= 2, url


def test_search_filters_highlights_and_cites(db: Path) -> None:
    c = client(db)

    def hits(params: dict[str, str]) -> str:
        return c.get("/search", params=params).text.partition('<ol class="hits">')[2]

    ordos = hits({"q": "人才公寓", "zone": "鄂尔多斯高新区"})
    assert "鄂府发〔2025〕36号" in ordos.split("</li>")[0]  # the city's own policy first
    assert "<mark>人才公寓</mark>" in ordos
    horinger = hits({"q": "人才公寓", "zone": resolve_zone("和林格尔高新区").id})
    assert "<mark>人才公寓</mark>" in horinger and "鄂府发〔2025〕36号" not in horinger
    assert "未找到高新区" in c.get("/search", params={"q": "人才", "zone": "不存在区"}).text


def test_highlight_escapes_before_marking() -> None:
    out = str(highlight("<b>人才</b>公寓 & 人才", ["人才"]))
    assert out == "&lt;b&gt;<mark>人才</mark>&lt;/b&gt;公寓 &amp; <mark>人才</mark>"


def test_post_without_csrf_is_refused(db: Path) -> None:
    c = client(db)
    form = {"sha": "x", "field": "y", "value": "z"}
    assert c.post("/review/resolve", data=form).status_code == 403
    assert c.post("/review/resolve", data={**form, "csrf": "forged"}).status_code == 403
    assert c.post("/dupes/decide", data={"group_id": "G", "action": "confirm"}).status_code == 403
    files = {"files": ("a.txt", b"hello", "text/plain")}
    assert c.post("/import", data={"csrf": "forged"}, files=files).status_code == 403


def test_token_required_when_set(db: Path) -> None:
    c = TestClient(create_app(db, token="s3cret"))
    assert c.get("/tracks").status_code == 401
    page = c.get("/tracks", headers=HTML, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert c.get("/tracks", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert c.get("/tracks", headers={"Authorization": "Bearer wrong"}).status_code == 401
    login = c.get("/login")
    assert login.status_code == 200
    bad = c.post("/login", data={"token": "nope", "csrf": csrf(c)})
    assert bad.status_code == 401
    ok = c.post("/login?next=/tracks", data={"token": "s3cret", "csrf": csrf(c)},
                follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/tracks"
    assert c.get("/tracks").status_code == 200  # the cookie now carries the token


def _uploads(db: Path) -> list[Path]:
    folder = db.parent / "saidao-data" / "uploads"
    return sorted(p for p in folder.glob("*") if p.name != "names.json") if folder.exists() else []


def test_upload_refuses_too_large_traversal_and_unknown(db: Path, tmp_path: Path) -> None:
    c = client(db, max_upload_bytes=10_000)
    big = {"files": ("big.txt", b"x" * 20_000, "text/plain")}
    r = c.post("/import", data={"csrf": csrf(c)}, files=big)
    assert r.status_code == 413 and "超过上限" in r.text
    evil = {"files": ("../../evil.txt", "政策文本".encode(), "text/plain")}
    r = c.post("/import", data={"csrf": csrf(c)}, files=evil)
    assert r.status_code == 400 and "路径" in r.text
    assert _uploads(db) == []
    assert not (tmp_path.parent / "evil.txt").exists() and not (db.parent / "evil.txt").exists()
    # an unreadable file is no longer refused with the whole selection (issue 16): the
    # import reports it alone, in Chinese, without the server's path
    unknown = {"files": ("a.docx", b"\x00\x01\x02binary", "application/octet-stream")}
    r = c.post("/import", data={"csrf": csrf(c)}, files=unknown, follow_redirects=False)
    assert r.status_code == 303
    state = wait_for_job(c, r.headers["location"], 60.0)
    (only,) = state["outcomes"]
    assert only["outcome"] == "failed" and only["path"] == "a.docx"
    assert only["message"] and "/" not in only["message"] and "uploads" not in only["message"]


def test_uploaded_markup_is_shown_inert(db: Path, tmp_path: Path) -> None:
    c = client(db)
    doc = script_declaration(tmp_path / "脚本.docx")
    r = c.post("/import", data={"csrf": csrf(c), "user": "测试员"},
               files={"files": ("脚本.docx", doc.read_bytes(), "application/octet-stream")},
               follow_redirects=False)
    assert r.status_code == 303
    state = wait_for_job(c, r.headers["location"], 60.0)
    assert state["state"] == "done" and state["outcomes"][0]["outcome"] == "imported"
    assert state["outcomes"][0]["path"] == "脚本.docx"  # the user's name, not the stored one
    stored = _uploads(db)
    assert len(stored) == 1 and stored[0].suffix == ".docx" and "脚本" not in stored[0].name
    with Index.open(db) as index:
        track_id = index.db.execute(
            "SELECT t.track_id FROM tracks t JOIN declarations d USING (declaration_id) "
            "WHERE d.unit_address LIKE '%script%'").fetchone()[0]
    pages = [c.get(f"/track/{track_id}").text, c.get("/dupes").text,
             c.get("/review").text, c.get(f"/import/run/{state['run_id']}").text]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    for text in pages:
        text = OWN_SCRIPT.sub("", text)  # the app's own scripts, from /static only
        assert "<script>alert" not in text and "<script" not in text.lower()
        assert "<img src=x" not in text and "<b onclick" not in text
    assert SCRIPT not in pages[0]


def test_correcting_a_code_leaves_the_queue_and_joins_the_duplicates(db: Path) -> None:
    c = client(db, regroup_wait=None)  # each page waits for the background regroup
    with Index.open(db) as index:
        firm_id, sha = index.db.execute(
            "SELECT m.id, d.file_sha256 FROM firm_mentions m JOIN tracks t USING (track_id) "
            "JOIN declarations d USING (declaration_id) WHERE m.uscc_printed = ?",
            [MISPRINT]).fetchone()
    review = c.get("/review?kind=uscc").text
    assert MISPRINT in review and FIRM_CODE in review  # the misprint and its best repair
    before = c.get("/dupes", params={"q": FIRM_CODE}).text
    assert RENAMED not in before
    r = c.post("/review/resolve", data={"csrf": csrf(c), "sha": sha, "field": "firms[0].uscc",
                                         "choice": FIRM_CODE, "user": "王审核", "action": "accept"},
               follow_redirects=False)
    assert r.status_code == 303 and "dupes=" in r.headers["location"]
    assert MISPRINT not in c.get("/review?kind=uscc").text
    after = c.get("/dupes", params={"q": FIRM_CODE}).text
    assert RENAMED in after and "包头市新源天然气有限责任公司" in after
    with Index.open(db) as index:
        fix = index.db.execute("SELECT raw_value, corrected_value, corrected_by FROM corrections "
                               "WHERE table_name = 'firm_mentions' AND row_id = ?",
                               [str(firm_id)]).fetchone()
        assert fix == (None, FIRM_CODE, "王审核")  # no automatic repair existed
        assert index.value("firm_mentions", firm_id, "uscc") == FIRM_CODE
    bad = c.post("/review/resolve", data={"csrf": csrf(c), "sha": sha, "field": "firms[0].uscc",
                                           "value": "123"}, follow_redirects=False)
    assert bad.status_code in (303, 404)


def _misprint_file(db: Path) -> str:
    """The sha256 of the declaration that prints the misprinted code (its review item's key)."""
    with Index.open(db) as index:
        return index.db.execute(
            "SELECT d.file_sha256 FROM firm_mentions m JOIN tracks t USING (track_id) "
            "JOIN declarations d USING (declaration_id) WHERE m.uscc_printed = ?",
            [MISPRINT]).fetchone()[0]


def test_invalid_typed_code_is_refused(db: Path) -> None:
    c = client(db)
    sha = _misprint_file(db)
    r = c.post("/review/resolve", data={"csrf": csrf(c), "sha": sha, "field": "firms[0].uscc",
                                         "value": "91150291558112127R", "action": "accept"})
    assert "不是有效的统一社会信用代码" in r.text
    assert MISPRINT in c.get("/review?kind=uscc").text


def test_confirm_a_group(db: Path) -> None:
    c = client(db, regroup_wait=None)  # each page waits for the background regroup
    page = c.get("/dupes").text
    group_id = page.split('data-group="', 1)[1].split('"', 1)[0]
    r = c.post("/dupes/decide", data={"csrf": csrf(c), "group_id": group_id, "action": "confirm"})
    assert r.status_code == 200 and "已确认" in r.text
    confirmed = c.get("/dupes", params={"state": "confirmed"}).text
    assert group_id in confirmed


def test_dupes_answer_from_the_groups_the_import_stored(db: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from saidao.index import cache, dupes

    with Index.open(db) as index:  # the import ended by grouping: stored for this state
        state = cache.data_state(index, dupes.GROUPS_DEPEND)
        stored = index.db.execute("SELECT state FROM cached_answers WHERE name = 'dupe_groups'")
        assert stored.fetchone()[0] == cache._state_text(state)
    cache._memo.clear()  # a restarted server

    def no_grouping(*args: object, **kwargs: object) -> None:
        raise AssertionError("grouped again")

    with monkeypatch.context() as patched:
        patched.setattr(dupes, "find_groups", no_grouping)
        c = client(db, regroup_wait=None)
        page = c.get("/dupes").text
        group_id = page.split('data-group="', 1)[1].split('"', 1)[0]
        assert FIRM_CODE in c.get("/dupes", params={"q": FIRM_CODE}).text
        assert "没有重复企业组" in c.get("/dupes", params={"q": "不存在的企业名称"}).text
    r = c.post("/dupes/decide", data={"csrf": csrf(c), "group_id": group_id, "action": "confirm"})
    assert r.status_code == 200 and "已确认" in r.text  # a decision: grouped again, with it
    assert group_id in c.get("/dupes", params={"state": "confirmed"}).text


def test_a_refused_decision_comes_back_as_a_message(db: Path) -> None:
    from urllib.parse import parse_qs, urlsplit

    c = client(db)
    group_id = c.get("/dupes").text.split('data-group="', 1)[1].split('"', 1)[0]

    def back(data: dict[str, str]) -> dict[str, list[str]]:
        r = c.post("/dupes/decide", data={"csrf": csrf(c), **data}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/dupes?")
        return parse_qs(urlsplit(r.headers["location"]).query)

    assert back({"group_id": group_id, "action": "split", "q": "包头"}) == {
        "q": ["包头"], "error": ["请勾选要拆出的成员"]}
    assert "没有编号为 G-none" in back({"group_id": "G-none", "action": "confirm"})["error"][0]
    assert back({"group_id": group_id, "action": "confirm", "user": "李核对"})["done"][0].startswith("已确认")
    assert c.cookies.get("saidao_user") is not None  # the typed name is kept for the next form


def test_pdf_value_crop_is_a_png(db: Path) -> None:
    c, i = client(db), ids(db)
    r = c.get(f"/crop/firm/{i['pdf_firm']}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    assert c.get("/crop/firm/999999.png").status_code == 404


def _register(index: Index, folder: Path) -> None:
    """A register naming one firm by code, one by name only, and a firm not declared."""
    named = index.db.execute("SELECT name FROM firm_mentions WHERE uscc IS NULL OR uscc != ? "
                             "ORDER BY id LIMIT 1", [FIRM_CODE]).fetchone()[0]
    first = index.db.execute("SELECT name FROM firm_mentions WHERE uscc = ?",
                             [FIRM_CODE]).fetchone()[0]
    path = folder / "高新技术企业.csv"
    path.write_text(f"企业名称,统一社会信用代码\n{first},{FIRM_CODE}\n{named},\n"
                    "无关科技有限公司,91150100MA0N12345T\n", "utf-8")
    from saidao.index.registers import import_register

    assert import_register(index, path, "高新技术企业", 2025) == 3


def test_track_eligibility_reads_one_track_as_the_whole_index_would(db: Path, tmp_path: Path
                                                                    ) -> None:
    """The per-track read (what the track page and the CLI call) against the reference:
    every firm row of the index, filtered to the track, and every register entry."""
    from saidao.index.dupes import mentions_from_index
    from saidao.index.eligibility import (
        eligibility,
        track_eligibility,
        track_figures,
        track_mentions,
    )
    from saidao.index.registers import load_registers, register_matches

    def fields(mentions: list) -> list[tuple]:
        return [(m.track_id, m.seq, m.name, m.uscc_printed, m.code, m.key) for m in mentions]

    with Index.open(db) as index:
        firm_id, track_id = index.db.execute(
            "SELECT id, track_id FROM firm_mentions WHERE uscc_printed = ?", [MISPRINT]).fetchone()
        index.correct("firm_mentions", firm_id, "uscc", FIRM_CODE, by="王审核")
        unknown = track_eligibility(index, track_id)["conditions"][1]
        _register(index, tmp_path)  # after a track was judged: the registers read anew
        every = mentions_from_index(index)
        entries = load_registers(index)
        assert unknown["status"] == "未知"
        assert track_eligibility(index, track_id)["conditions"][1]["status"] == "满足"
        hits = 0
        for (tid,) in index.db.execute("SELECT track_id FROM tracks").fetchall():
            reference = [m for m in every if m.track_id == str(tid)]
            assert fields(track_mentions(index, tid)) == fields(reference)
            expected = eligibility({"track_id": tid, "firms": [  # a number (issue 16)
                {"name": m.name, "uscc": m.code} for m in reference]}, track_figures(index, tid),
                register_matches(reference, entries), {e["type"] for e in entries})
            assert track_eligibility(index, tid) == expected
            hits += len(register_matches(reference, entries))
        assert FIRM_CODE in [m.code for m in track_mentions(index, track_id)]
        assert hits >= 3  # by code in two tracks at least, and by name


def test_overview_counts_agree_with_the_track_list(db: Path) -> None:
    from collections import Counter

    from saidao.index.overview import counts, tracks_by_zone, tracks_per_zone
    from saidao.index.report import tracks

    with Index.open(db) as index:
        listed = tracks(index)
        numbers = counts(index)
        per_zone = tracks_per_zone(index)
        by_zone = tracks_by_zone(index)
        clauses = index.db.execute("SELECT count(*) FROM clauses").fetchone()[0]
    assert numbers["tracks"] == len(listed) == sum(row["n"] for row in by_zone) > 0
    assert per_zone == Counter(t["zone"] for t in listed if t["zone"])
    assert numbers["clauses"] == clauses and numbers["firms"] > 0
    zones_page = client(db).get("/zones", params={"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(zones_page.content)).active
    shown = {row[0]: row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {z: n for z, n in shown.items() if n} == per_zone


def test_zone_page_lists_naming_clauses_first(db: Path) -> None:
    from saidao.web.pages import ZONE_CLAUSES_PER_POLICY, zone_clauses

    with Index.open(db) as index:
        groups = zone_clauses(index, "鄂尔多斯高新区")
    assert groups and groups[0]["clauses"][0]["names_zone"]
    assert all(g["count"] >= len(g["clauses"]) for g in groups)
    assert all(len(g["clauses"]) <= ZONE_CLAUSES_PER_POLICY for g in groups)


def test_zone_page_links_every_applicable_clause_of_a_policy(db: Path) -> None:
    from saidao.index.search import clauses_for_zone

    zone = resolve_zone("鄂尔多斯高新区")
    with Index.open(db) as index:
        every = clauses_for_zone(index, zone.id)["policies"]
    c = client(db)
    page = c.get(f"/zone/{zone.id}").text
    for group in every:
        link = f"/zone/{zone.id}/policy/{group['policy_id']}"
        assert link in page
        listed = c.get(link).text
        assert f"适用 {len(group['clauses'])} 条" in listed
        for clause in group["clauses"]:
            assert quote(clause["clause_id"], safe="/") in listed
    assert c.get(f"/zone/{zone.id}/policy/nothing").status_code == 404
    assert c.get(f"/zone/nowhere/policy/{every[0]['policy_id']}").status_code == 404
    sheet = c.get(f"/zone/{zone.id}/policy/{every[0]['policy_id']}", params={"format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.iter_rows(min_row=2))
    assert len(rows) == len(every[0]["clauses"])


def test_zone_page_is_paged(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from saidao.web import pages

    zone = resolve_zone(str(ids(db)["zone"]))
    with Index.open(db) as index:
        policies = pages.zone_clauses(index, zone.id)
        tracks = pages.track_rows(index, zone.id)
    assert len(policies) >= 2 and tracks
    monkeypatch.setattr(pages, "ZONE_POLICIES_PER_PAGE", 1)
    monkeypatch.setattr(pages, "ZONE_TRACKS", 0)
    c = client(db)
    first = c.get(f"/zone/{zone.id}").text
    second = c.get(f"/zone/{zone.id}", params={"page": 2}).text
    assert f"policy/{policies[0]['policy_id']}" in first
    assert f"policy/{policies[0]['policy_id']}" not in second
    assert f"policy/{policies[1]['policy_id']}" in second and "下一页" in first
    assert f"查看全部 {len(tracks)} 个新赛道" in first and "/track/" not in first.split("适用的政策条款")[0]


# ---------------------------------------------------------------- versions of a file

CODE_A = "91150100MA0N12345T"


def _record(db: Path, path: str, sha: str, result: dict) -> str:
    """Import one extraction result as the importer stores it (same path: a new version)."""
    with Index.open(db) as index:
        run = index.start_run([path], {})
        outcome = index.record(run_id=run, path=path, sha256=sha.ljust(64, "0"), size=1,
                               kind=result["kind"], result=result, error=None)
        index.finish_run(run, {})
    return outcome


def _region_policy(title: str, texts: list[str]) -> dict:
    """A region-wide policy: it applies to every zone."""
    return {"kind": "policy", "title": title, "level": "region", "jurisdiction": "内蒙古自治区",
            "issuer": "内蒙古自治区科学技术厅", "clauses": [{"text": t} for t in texts]}


def _declaration(firm: str, code: str) -> dict:
    return {"kind": "declaration", "track_name": f"{firm}所在赛道", "track": {},
            "firms": [{"seq": 1, "name": firm, "uscc": code, "uscc_printed": code}]}


def test_a_reimported_older_policy_is_what_the_zone_search_finds(db: Path) -> None:
    """v1, v2 (supersedes v1), v1 again (current again): the same number of files and
    clauses each time, so only a data-state key notices the swap."""
    c = client(db)

    def found(word: str) -> set[str]:
        page = c.get("/search", params={"q": word, "zone": "鄂尔多斯高新区"}).text
        text = page.split('<ol class="hits">', 1)[-1] if '<ol class="hits">' in page else ""
        return {title for title in ("测试政策甲版", "测试政策乙版") if title in text}

    def clauses() -> str:
        return c.get("/").text.split("</b>政策条款", 1)[0].rsplit("<b>", 1)[1]

    before = int(clauses())
    assert _record(db, "versions/policy.txt", "a1", _region_policy("测试政策甲版", ["支持深海牧场建设。"])) == "imported"
    assert found("深海牧场") == {"测试政策甲版"} and int(clauses()) == before + 1
    assert _record(db, "versions/policy.txt", "a2", _region_policy(
        "测试政策乙版", ["支持沙漠钟表建设。"])) == "superseded"
    assert found("沙漠钟表") == {"测试政策乙版"} and found("深海牧场") == set()
    assert _record(db, "versions/policy.txt", "a1", {"kind": "policy"}) == "superseded"
    assert found("深海牧场") == {"测试政策甲版"} and found("沙漠钟表") == set()
    assert int(clauses()) == before + 1


def test_a_reimported_older_declaration_is_what_the_duplicates_show(db: Path) -> None:
    c = client(db, regroup_wait=None)  # each page waits for the background regroup

    def group_names() -> set[str]:
        text = c.get("/dupes", params={"q": CODE_A}).text
        return {name for name in ("版本甲公司", "版本乙公司", "版本丙公司") if name in text}

    _record(db, "versions/other.docx", "b0", _declaration("版本甲公司", CODE_A))
    assert group_names() == set()  # one row: no duplicate yet
    _record(db, "versions/decl.docx", "b1", _declaration("版本乙公司", CODE_A))
    assert group_names() == {"版本甲公司", "版本乙公司"}
    _record(db, "versions/decl.docx", "b2", _declaration("版本丙公司", CODE_A))
    assert group_names() == {"版本甲公司", "版本丙公司"}
    assert "版本丙公司所在赛道" in c.get("/tracks").text
    assert _record(db, "versions/decl.docx", "b1", {"kind": "declaration"}) == "superseded"
    assert group_names() == {"版本甲公司", "版本乙公司"}
    listed = c.get("/tracks", params={"page": 1}).text + c.get("/tracks", params={"page": 2}).text
    assert "版本乙公司所在赛道" in listed and "版本丙公司所在赛道" not in listed


def test_no_candidate_is_preselected_unless_it_is_the_unique_repair(db: Path) -> None:
    """Two codes fit the misprint (2→1 is no lookalike): the form must not pick one."""
    c = client(db)
    page = c.get("/review?kind=uscc").text
    section = next(s for s in page.split("<section") if MISPRINT in s)
    assert 'type="radio"' in section and FIRM_CODE in section
    assert " checked>" not in section
    sha = _misprint_file(db)
    r = c.post("/review/resolve", data={"csrf": csrf(c), "sha": sha, "field": "firms[0].uscc",
                                         "action": "accept"})
    assert "请先选择一个候选或输入正确值" in r.text  # 确认更正 with nothing chosen is refused
    assert MISPRINT in c.get("/review?kind=uscc").text


def test_pages_say_whether_a_clause_is_in_force_and_a_track_names_its_sources(db: Path) -> None:
    """效力 on the search hits, the zone's pages and the clause page (index.validity), a
    track's source files (index.track_merge) on its page: the repeal pair of the policy set."""
    from saidao.ingest.bulk import Options, ingest
    from saidao.settings import ReadSettings

    out = Path(__file__).parent / "fixtures" / "policy_set" / "out"
    ingest([out / "repeal_old.txt", out / "repeal_new.docx"], db,
           Options(workers=1, kind="policy", settings=ReadSettings(ocr=False)))
    c = client(db)
    repealed = "已被鄂府发〔2025〕12号废止"
    hits = c.get("/search", params={"q": "人才公寓"}).text
    assert "效力：2019-03-01 起施行" in hits and repealed in hits and "效力：2025-06-01 起施行" in hits
    with Index.open(db) as index:
        old_id, clause_id = index.db.execute(
            "SELECT p.policy_id, c.clause_id FROM policies p JOIN clauses c USING (policy_id) "
            "WHERE p.doc_number = '鄂府发〔2019〕5号' ORDER BY c.position LIMIT 1").fetchone()
    assert repealed in c.get(f"/clause/{quote(clause_id)}").text
    zone = resolve_zone("鄂尔多斯高新区").id
    assert repealed in c.get(f"/zone/{quote(zone)}/policy/{quote(old_id)}").text
    zone_page = c.get(f"/zone/{quote(zone)}").text
    assert "效力：" in zone_page and "有效期未注明" in zone_page  # every policy says it, dated or not
    track_page = c.get(f"/track/{ids(db)['track']}").text
    assert "来源文件" in track_page and "主来源" in track_page

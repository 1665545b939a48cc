"""Web upload that tells staff where it is: a bad file is reported alone while the rest
import; an empty PDF is called 文件为空; no file chosen says so; folder uploads keep their
relative names; reasons are Chinese and never show the server's paths."""

from __future__ import annotations

import time
from pathlib import Path

from browser.webdata import DECL, POLICIES, wait_for_job
from starlette.testclient import TestClient

from saidao.web import create_app
from saidao.web.imports import Job, check_name, staff_reason
from saidao.web.security import CSRF_COOKIE


def _client(db: Path) -> TestClient:
    c = TestClient(create_app(db), raise_server_exceptions=True)
    c.get("/")
    return c


def test_five_files_one_bad_four_import(tmp_path: Path) -> None:
    c = _client(tmp_path / "saidao.db")
    files = [
        ("files", ("申报/decl_001.docx", (DECL / "decl_001.docx").read_bytes(), "application/octet-stream")),
        ("files", ("申报/decl_003.docx", (DECL / "decl_003.docx").read_bytes(), "application/octet-stream")),
        ("files", (POLICIES[0].name, POLICIES[0].read_bytes(), "text/plain")),
        ("files", (POLICIES[1].name, POLICIES[1].read_bytes(), "text/plain")),
        ("files", ("扫描件.pdf", b"", "application/pdf")),
    ]
    r = c.post("/import", data={"csrf": c.cookies[CSRF_COOKIE], "user": "李导入"}, files=files,
               follow_redirects=False)
    assert r.status_code == 303, r.text
    state = wait_for_job(c, r.headers["location"], 90.0)
    assert state["state"] == "done"
    by_name = {o["path"]: o for o in state["outcomes"]}
    assert by_name["扫描件.pdf"]["outcome"] == "failed"
    assert by_name["扫描件.pdf"]["message"] == "文件为空"
    assert sum(o["outcome"] == "imported" for o in state["outcomes"]) == 4
    assert "申报/decl_001.docx" in by_name  # a folder upload's relative name, as given
    report = c.get(f"/import/run/{state['run_id']}").text
    assert "文件为空" in report and "uploads" not in report and "empty" not in report


def test_no_file_chosen_says_so(tmp_path: Path) -> None:
    c = _client(tmp_path / "saidao.db")
    r = c.post("/import", data={"csrf": c.cookies[CSRF_COOKIE]},
               files=[("files", ("", b"", "application/octet-stream"))])
    assert r.status_code == 400 and "请选择要上传的文件" in r.text


def test_names_and_reasons() -> None:
    assert check_name("材料/第一批/申报表.docx") == "材料/第一批/申报表.docx"
    for bad in ("../x.docx", "/etc/passwd", "a/../../b.docx", "a\\b.docx"):
        try:
            check_name(bad)
        except Exception as e:
            assert "路径" in str(e)
        else:
            raise AssertionError(bad)
    assert staff_reason("corrupt", None, "/srv/up/x.docx：文件已损坏，无法读取（not a valid zip "
                        "container: File is not a zip file）") == "文件已损坏，无法读取"
    assert staff_reason("unknown_format", None, "/srv/up/a.exe：不支持的文件格式（.exe）") == (
        "不支持的文件格式（.exe）")


def test_time_left_counts_pages() -> None:
    job = Job("j", [], "李")
    job.state, job.total = "running", 3
    job.pages = {"a.pdf": 20, "b.docx": 1, "c.docx": 1}
    assert job.eta() is None  # nothing read yet: no guess
    job.started = time.time() - 40

    class Done:
        path, outcome, kind, reason, detail, message, pages, ocr_pages = (
            "a.pdf", "imported", "declaration", None, None, None, 20, 20)

    job.done(Done())  # type: ignore[arg-type]
    assert job.pages_done == 20 and job.eta() == "约 5 秒"


def test_eligibility_figures_and_register_forms(tmp_path: Path) -> None:
    from browser.webdata import FIRM_CODE, build_index

    from saidao.index.eligibility import track_figures
    from saidao.index.store import Index

    db = build_index(tmp_path / "saidao.db", tmp_path / "files")
    c = _client(db)
    with Index.open(db) as index:
        track_id = index.db.execute("SELECT min(track_id) FROM tracks").fetchone()[0]
    token = c.cookies[CSRF_COOKIE]
    r = c.post(f"/track/{track_id}/figures", data={"csrf": token, "rd_intensity": "3.6",
                                                   "invention_patents": "", "user": "王录入"})
    assert r.status_code == 200 and "已录入：研发投入强度（%） 3.6" in r.text
    bad = c.post(f"/track/{track_id}/figures", data={"csrf": token, "revenue_growth": "很多"})
    assert "不是数值" in bad.text
    with Index.open(db) as index:
        assert track_figures(index.db, track_id)["rd_intensity"] == 3.6
    register = f"企业名称,统一社会信用代码\n包头市新源天然气有限责任公司,{FIRM_CODE}\n".encode()
    r = c.post("/registers/import", data={"csrf": token, "type": "高新技术企业", "year": "2025"},
               files={"file": ("高企名单.csv", register, "text/csv")})
    assert r.status_code == 200 and "已导入高新技术企业名单 1 家" in r.text
    r = c.post("/registers/import", data={"csrf": token, "type": "高新技术企业"},
               files={"file": ("名单.pdf", b"%PDF-1.4", "application/pdf")})
    assert "名单须为 .xlsx 或 .csv" in r.text

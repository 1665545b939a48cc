"""Every file's fate told truthfully, and one declaration however digitised is one track.

The folder is what staff really hand in: a register workbook, a text file named
``.pdf``, JSON and Markdown left by tools, a copy, and one declaration as
.docx, as its PDF and as a scan (``tests/fixtures/forms``, made by
``generate.py --only forms``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from form_versions import two_versions
from openpyxl import Workbook
from typer.testing import CliRunner

from saidao.cli import app
from saidao.ingest.bulk import Options, ingest
from saidao.settings import ReadSettings

FORMS = Path(__file__).parent / "fixtures" / "forms"
NO_OCR = Options(workers=1, settings=ReadSettings(ocr=False))
WITH_OCR = Options(workers=1)


def _folder(root: Path) -> Path:
    """The mixed folder: 3 forms of one declaration, a copy, and four things that are not."""
    folder = root / "batch"
    folder.mkdir()
    for name in ("declaration.docx", "declaration.pdf", "declaration_scan.pdf"):
        shutil.copy(FORMS / name, folder / name)
    shutil.copy(FORMS / "declaration.docx", folder / "declaration_copy.docx")
    book = Workbook()
    book.active.append(["企业名称", "统一社会信用代码"])
    book.active.append(["内蒙古河套酒业集团股份有限公司", "91150800117410003C"])
    book.save(folder / "高新技术企业名单.xlsx")
    (folder / "notes.pdf").write_text(
        "关于开展新赛道申报工作的说明\n各高新区：请于五月底前报送申报材料。\n", encoding="utf-8")
    (folder / "declaration.gold.json").write_text(json.dumps({"track": "x"}), encoding="utf-8")
    (folder / "README.md").write_text("# 材料说明\n本文件夹为申报材料。\n", encoding="utf-8")
    return folder


def _by_name(summary) -> dict[str, object]:
    return {Path(f.path).name: f for f in summary.files}


def _cli_json(args: list[str]) -> object:
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture()
def first_run(tmp_path: Path):
    folder = _folder(tmp_path)
    db = tmp_path / "fates.db"
    return folder, db, ingest([folder], db, NO_OCR)


def test_every_file_has_its_true_fate(first_run) -> None:
    folder, db, summary = first_run
    files = _by_name(summary)
    outcomes = {name: f.outcome for name, f in files.items()}
    assert outcomes == {
        "declaration.docx": "imported",
        "declaration.pdf": "imported",
        "declaration_copy.docx": "duplicate",
        "declaration_scan.pdf": "pending_ocr",
        "高新技术企业名单.xlsx": "skipped",
        "notes.pdf": "imported",
        "declaration.gold.json": "skipped",
        "README.md": "skipped",
    }
    assert "saidao register import" in files["高新技术企业名单.xlsx"].detail
    assert files["declaration.gold.json"].detail == "JSON 数据文件"
    assert "Markdown" in files["README.md"].detail
    assert files["declaration_scan.pdf"].reason == "needs_ocr"
    assert files["declaration_copy.docx"].copy_of.endswith("declaration.docx")
    assert summary.failed == 0  # nothing here failed: skipped and pending are not failures

    report = {Path(r["path"]).name: r for r in _cli_json(["report", "--db", str(db), "--json"])}
    assert report["declaration_copy.docx"]["outcome"] == "duplicate"
    assert report["declaration_copy.docx"]["copy_of"] == str(folder.absolute() / "declaration.docx")
    assert report["高新技术企业名单.xlsx"]["outcome"] == "skipped"
    assert report["declaration_scan.pdf"]["outcome"] == "pending_ocr"
    assert "待识别" in report["declaration_scan.pdf"]["message"]

    track = _cli_json(["tracks", "--db", str(db), "--json"])
    assert len(track) == 1
    sources = {Path(s["path"]).name: s["role"] for s in track[0]["sources"]}
    assert sources == {"declaration.docx": "primary", "declaration.pdf": "evidence"}

    detail = _cli_json(["track", str(track[0]["track_id"]), "--db", str(db), "--json"])
    codes = [p["code"] for p in detail["problems"]]
    assert "extension_mismatch" not in codes
    problems = _cli_json(["report", "--db", str(db), "--json"])
    assert problems  # the text named .pdf carries its problem in the index
    from saidao.index.store import Index

    with Index.open(db) as index:
        notes = next(index.db.query(
            "SELECT p.code, p.message FROM problems p JOIN files f ON f.sha256 = p.file_sha256 "
            "WHERE f.path LIKE '%notes.pdf'"))
    assert notes["code"] == "extension_mismatch" and "纯文本" in notes["message"]


def test_dry_run_tells_the_same_fates(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    summary = ingest([folder], tmp_path / "none.db", Options(dry_run=True))
    outcomes = {name: f.outcome for name, f in _by_name(summary).items()}
    assert outcomes["高新技术企业名单.xlsx"] == "skip"
    assert outcomes["README.md"] == "skip"
    assert outcomes["declaration.gold.json"] == "skip"
    assert outcomes["declaration_copy.docx"] == "copy"
    assert outcomes["notes.pdf"] == "new"
    assert not (tmp_path / "none.db").exists()


def test_rerun_without_ocr_keeps_the_scan_waiting_and_reread_reads_again(first_run) -> None:
    folder, db, _ = first_run
    again = _by_name(ingest([folder], db, NO_OCR))
    assert again["declaration_scan.pdf"].outcome == "pending_ocr"  # still waiting, not "未变"
    assert again["declaration.docx"].outcome == "unchanged"
    before = _cli_json(["tracks", "--db", str(db), "--json"])
    from saidao.index.store import Index

    with Index.open(db) as index:
        row = index.db.execute("SELECT id FROM firm_mentions ORDER BY seq LIMIT 1").fetchone()[0]
        index.correct("firm_mentions", row, "name", "更正后的企业名称", by="李四")
    reread = _by_name(ingest([folder / "declaration.docx"], db,
                             Options(workers=1, settings=ReadSettings(ocr=False), reread=True)))
    assert reread["declaration.docx"].outcome == "reread"
    after = _cli_json(["tracks", "--db", str(db), "--json"])
    assert [t["track_id"] for t in after] == [t["track_id"] for t in before]
    assert after[0]["firms"] == before[0]["firms"]
    assert len(after[0]["sources"]) == 2
    with Index.open(db) as index:  # the person's correction follows the firm to its new row
        row = index.db.execute("SELECT id FROM firm_mentions ORDER BY seq LIMIT 1").fetchone()[0]
        assert index.value("firm_mentions", row, "name") == "更正后的企业名称"


def test_split_a_wrong_merge(first_run) -> None:
    _, db, _ = first_run
    track_id = _cli_json(["tracks", "--db", str(db), "--json"])[0]["track_id"]
    result = CliRunner().invoke(app, ["track", str(track_id), "--split-source",
                                      "declaration.pdf", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    tracks = _cli_json(["tracks", "--db", str(db), "--json"])
    assert len(tracks) == 2
    roles = {Path(s["path"]).name: s["role"] for t in tracks for s in t["sources"]
             if t["track_id"] == track_id}
    assert roles == {"declaration.docx": "primary", "declaration.pdf": "split"}
    bad = CliRunner().invoke(app, ["track", str(track_id), "--split-source", "nothing.pdf",
                                   "--db", str(db)])
    assert bad.exit_code == 2 and "没有来源文件" in bad.output


@pytest.mark.slow
def test_the_next_run_with_ocr_reads_the_scan_into_the_same_track(first_run) -> None:
    folder, db, _ = first_run
    second = _by_name(ingest([folder], db, WITH_OCR))
    assert second["declaration_scan.pdf"].outcome == "imported"
    assert second["declaration.docx"].outcome == "unchanged"
    tracks = _cli_json(["tracks", "--db", str(db), "--json"])
    assert len(tracks) == 1
    roles = {Path(s["path"]).name: s["role"] for s in tracks[0]["sources"]}
    assert roles == {"declaration.docx": "primary", "declaration.pdf": "evidence",
                     "declaration_scan.pdf": "evidence"}
    dupes = _cli_json(["dupes", "--db", str(db), "--json"])
    assert dupes["groups"] == []  # each firm counted once, not once per copy


def test_a_later_version_supersedes_with_the_history_kept(tmp_path: Path) -> None:
    first, second = two_versions(tmp_path)
    db = tmp_path / "versions.db"
    ingest([first], db, NO_OCR)
    from saidao.index.store import Index

    with Index.open(db) as index:  # a person corrects the first firm's code on version 1
        row = index.db.execute("SELECT id FROM firm_mentions ORDER BY seq LIMIT 1").fetchone()[0]
        index.correct("firm_mentions", row, "uscc", "91150303756663277L", by="张三")
    ingest([second], db, NO_OCR)
    tracks = _cli_json(["tracks", "--db", str(db), "--json"])
    assert len(tracks) == 1
    sources = {Path(s["path"]).name: s for s in tracks[0]["sources"]}
    assert sources["申报表（修改稿）.docx"]["role"] == "primary"
    assert sources["申报表.docx"]["role"] == "superseded"
    assert "2026-06-02" in sources["申报表.docx"]["note"]  # why, with the newer version's date
    assert tracks[0]["filled_at"] == "2026-06-02"
    detail = _cli_json(["track", str(tracks[0]["track_id"]), "--db", str(db), "--json"])
    assert "包头伊利乳业有限责任公司" in [f["name"] for f in detail["firms"]]
    with Index.open(db) as index:  # the correction followed the firm to version 2's row
        first_row = detail["firms"][0]["id"]
        assert index.value("firm_mentions", first_row, "uscc") == "91150303756663277L"
        fix = index.db.execute("SELECT corrected_by, note FROM corrections WHERE table_name = "
                               "'firm_mentions' AND row_id = ?", [str(first_row)]).fetchall()
        retired = index.db.execute("SELECT count(*) FROM corrections WHERE table_name = "
                                   "'retired:firm_mentions'").fetchone()[0]
    assert retired == 1  # version 1's correction kept, filed away from reused row ids
    assert len(fix) == 1
    fix = fix[0]
    assert fix[0] == "张三" and "主来源更换" in fix[1]


def test_what_is_not_a_document_by_its_bytes(tmp_path: Path) -> None:
    import zipfile

    from PIL import Image

    from saidao.ingest.detect import sniff
    from saidao.ingest.fate import extension_problem, not_a_document

    slides = tmp_path / "汇报.pptx"
    with zipfile.ZipFile(slides, "w") as zf:
        zf.writestr("ppt/presentation.xml", "<p:presentation/>")
    old_book = tmp_path / "名单.xls"
    old_book.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
                         + "Workbook".encode("utf-16-le"))
    icon = tmp_path / "logo.png"
    Image.new("RGB", (120, 80), "white").save(icon)
    page = tmp_path / "page.png"
    Image.new("RGB", (1240, 1754), "white").save(page)
    program = tmp_path / "make.py"
    program.write_text('PDF = b"%PDF-1.4"\n', encoding="utf-8")  # text that names a PDF
    assert sniff(slides) == "pptx" and sniff(old_book) == "xls"
    details = {p.name: (e.detail if (e := not_a_document(p, str(p))) else None)
               for p in (slides, old_book, icon, page, program)}
    assert details["汇报.pptx"] == "PowerPoint 演示文稿"
    assert "Excel" in details["名单.xls"]
    assert "不是文档页面" in details["logo.png"]
    assert details["page.png"] is None  # a page-sized image is a page to read
    assert details["make.py"] == "Python 程序文件"
    assert extension_problem("a/说明.pdf", "txt")["code"] == "extension_mismatch"
    assert extension_problem("a/申报表.doc", "rtf") is None  # Word saves RTF as .doc
    assert extension_problem("a/申报表", "docx") is None


def test_reread_of_a_policy_replaces_its_clauses_and_search_terms(tmp_path: Path) -> None:
    import sqlite3

    policy = sorted((Path(__file__).parents[1] / "corpus" / "policies").glob("*.txt"),
                    key=lambda p: p.stat().st_size)[0]
    db = tmp_path / "policy.db"
    ingest([policy], db, NO_OCR)

    def state() -> tuple:
        with sqlite3.connect(db) as conn:
            return (conn.execute("SELECT count(*) FROM clauses").fetchone()[0],
                    conn.execute("SELECT count(*) FROM clauses_fts").fetchone()[0],
                    conn.execute("SELECT sum(docs), count(*) FROM clause_terms").fetchone(),
                    conn.execute("SELECT count(*) FROM policies").fetchone()[0])

    before = state()
    result = CliRunner().invoke(app, ["ingest", str(policy), "--db", str(db), "--no-ocr",
                                      "--reread", "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["reread"] == 1
    assert state() == before  # the same clauses once, not twice; term counts unchanged


@pytest.mark.slow  # OCR of the scan
def test_a_better_digitised_form_arriving_later_becomes_the_primary(tmp_path: Path) -> None:
    """The scan (rank 1) first, the .docx (born digital, rank 3) in a later run: the .docx
    takes over as primary, the scan steps down to evidence, each with its note why."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    shutil.copy(FORMS / "declaration_scan.pdf", first / "declaration_scan.pdf")
    shutil.copy(FORMS / "declaration.docx", second / "declaration.docx")
    db = tmp_path / "forms.db"
    ingest([first], db, WITH_OCR)
    ingest([second], db, NO_OCR)
    tracks = _cli_json(["tracks", "--db", str(db), "--json"])
    assert len(tracks) == 1
    sources = {Path(s["path"]).name: s for s in tracks[0]["sources"]}
    assert sources["declaration.docx"]["role"] == "primary"
    assert "数字化质量更好" in sources["declaration.docx"]["note"]
    assert sources["declaration_scan.pdf"]["role"] == "evidence"
    assert "另有数字化质量更好的文件" in sources["declaration_scan.pdf"]["note"]
    assert tracks[0]["file"].endswith("declaration.docx")  # the track's rows are the primary's

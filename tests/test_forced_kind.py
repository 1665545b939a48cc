"""A kind forced with ``--kind`` that the file's content contradicts (issue 13, leftover 1).

``--kind declaration`` on a policy, a letter or a blank template used to make an empty
track full of "blank" problems; ``--kind policy`` on a filled form made a "policy" of
its cells (the firm list became clauses that applied to the zone). Both are now
refused with the reason in Chinese and the run goes on; a real declaration, partly
filled or scanned with labels OCR damaged, still imports with its problems.

Files: the repository's fixtures (``tests/fixtures/forms``, ``policies``), a partly
filled form made here from ``forms/declaration.docx`` with python-docx, a letter and a
blank page written here, and a scanned form's reading built by hand with the labels
misread as OCR misreads them (one glyph each: 新赛遒名称, 企业名祢, 统一信用代玛).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from saidao.cli import app
from saidao.document import Cell, Document, PageInfo, Paragraph, Provenance, Table, TextLine
from saidao.errors import SaidaoError
from saidao.extractors.extract import extract_document
from saidao.extractors.form_labels import FIRM_COLUMNS
from saidao.extractors.form_presence import form_parts, near_label
from saidao.index.store import Index
from saidao.ingest.bulk import Options, ingest
from saidao.settings import ReadSettings

FIXTURES = Path(__file__).parent / "fixtures"
FORMS = FIXTURES / "forms"
POLICY = FIXTURES / "policies" / "001_e594227e6f39871e.docx"
POLICY_WITH_BLANK_FORM = FIXTURES / "policies" / "000_85343553a506e6d7.docx"
NO_OCR = ReadSettings(ocr=False)


def _forced(kind: str) -> Options:
    return Options(workers=1, settings=NO_OCR, kind=kind)


def _partly_filled(path: Path) -> Path:
    """The forms declaration with its zone line, filling date, address and fax left empty."""
    import docx

    document = docx.Document(str(FORMS / "declaration.docx"))
    for paragraph in document.paragraphs[:6]:
        for label in ("高新区(盖章)：", "填报时间："):
            if paragraph.text.startswith(label):
                for run in paragraph.runs:
                    run.text = ""
                paragraph.runs[0].text = label
    rows = document.tables[0].rows
    for r, c in ((3, 2), (7, 2)):  # 通信地址, 传真
        for run in rows[r].cells[c].paragraphs[0].runs:
            run.text = ""
    document.save(str(path))
    return path


def _by_name(summary) -> dict[str, object]:
    return {Path(f.path).name: f for f in summary.files}


@pytest.fixture()
def mixed(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(POLICY, folder / "政策.docx")
    shutil.copy(POLICY_WITH_BLANK_FORM, folder / "印发培育方案（附申报表模板）.docx")
    _partly_filled(folder / "申报表（部分未填）.docx")
    (folder / "致函.txt").write_text(
        "尊敬的赤峰高新区管委会：\n感谢贵单位对我厅工作的支持。请于下周报送年度工作总结。\n"
        "内蒙古自治区科学技术厅\n2026年4月1日\n", encoding="utf-8")
    (folder / "空白页.txt").write_text("\n\n   \n", encoding="utf-8")
    return folder, tmp_path / "forced.db"


def test_forced_declaration_refuses_what_is_no_form_and_imports_a_partly_filled_one(mixed) -> None:
    folder, db = mixed
    summary = ingest([folder], db, _forced("declaration"))
    files = _by_name(summary)
    assert files["申报表（部分未填）.docx"].outcome == "imported"
    for name in ("政策.docx", "致函.txt"):
        assert (files[name].outcome, files[name].reason) == ("failed", "not_declaration"), name
        assert "按申报表导入，但文件中未找到申报表的栏目" in files[name].message
        assert "新赛道名称" in files[name].message and "企业名录" in files[name].message
    blank_form = files["印发培育方案（附申报表模板）.docx"]
    assert (blank_form.outcome, blank_form.reason) == ("failed", "blank_declaration")
    assert "空白申报表" in blank_form.message
    assert files["空白页.txt"].outcome == "failed"  # a blank page: no form (or empty, as before)
    assert summary.failed == 4
    assert summary.failed_by_reason["not_declaration"] >= 2

    with Index.open(db) as index:
        tracks = index.db.execute("SELECT count(*) FROM tracks").fetchone()[0]
        problems = {code for (code,) in index.db.execute(
            "SELECT p.code FROM problems p JOIN files f ON f.sha256 = p.file_sha256 "
            "WHERE f.path LIKE '%部分未填%'")}
        refused = dict(index.db.execute(
            "SELECT path, status FROM files WHERE path LIKE '%政策.docx'").fetchall())
    assert tracks == 1  # the partly filled form only: no empty track for the others
    assert "blank" in problems  # its blank boxes are its problems, as before
    assert list(refused.values()) == ["failed"]  # stored as failed: the next run retries it


def test_the_refused_policy_imports_as_a_policy_without_the_forced_kind(mixed) -> None:
    folder, db = mixed
    ingest([folder / "政策.docx"], db, _forced("declaration"))
    again = _by_name(ingest([folder / "政策.docx"], db, Options(workers=1, settings=NO_OCR)))
    assert again["政策.docx"].outcome == "imported" and again["政策.docx"].kind == "policy"


def test_cli_counts_the_refusal_like_any_failed_file(mixed) -> None:
    folder, db = mixed
    result = CliRunner().invoke(app, ["ingest", str(folder / "政策.docx"),
                                      str(folder / "申报表（部分未填）.docx"), "--db", str(db),
                                      "--kind", "declaration", "--workers", "1", "--no-ocr"])
    assert result.exit_code == 1, result.output
    for text in ("失败原因", "按申报表导入，但文件中未找到申报表的栏目", "not_declaration", "未能导入的文件"):
        assert text in result.stdout, text
    log = json.loads(CliRunner().invoke(app, ["report", "--db", str(db), "--json"]).stdout)
    refused = next(r for r in log if r["path"].endswith("政策.docx"))
    assert refused["outcome"] == "failed" and "未找到申报表的栏目" in refused["message"]


def test_forced_policy_on_a_filled_form_is_refused(tmp_path: Path) -> None:
    for name in ("declaration.docx",):
        shutil.copy(FORMS / name, tmp_path / name)
    shutil.copy(POLICY_WITH_BLANK_FORM, tmp_path / "policy.docx")  # prints the blank form
    summary = ingest([tmp_path], tmp_path / "p.db", _forced("policy"))
    files = _by_name(summary)
    assert (files["declaration.docx"].outcome, files["declaration.docx"].reason) == (
        "failed", "not_policy")
    assert "按政策文件导入，但文件是填写好的申报表" in files["declaration.docx"].message
    assert files["policy.docx"].outcome == "imported"  # a policy that quotes the form stays one
    with Index.open(tmp_path / "p.db") as index:
        assert index.db.execute("SELECT count(*) FROM policies").fetchone()[0] == 1


def test_forced_declaration_on_a_scan_without_ocr_waits_for_ocr(tmp_path: Path) -> None:
    shutil.copy(FORMS / "declaration_scan.pdf", tmp_path / "scan.pdf")
    files = _by_name(ingest([tmp_path], tmp_path / "s.db", _forced("declaration")))
    assert files["scan.pdf"].outcome == "pending_ocr"  # not judged on pages nobody read


# ------------------------------------------------------------------ a scan's reading


def _ocr(text: str, row: int = 0, col: int = 0) -> Provenance:
    return Provenance("scan.png", page=1, cell=(row, col), origin="ocr", confidence=0.8)


def _cell(row: int, col: int, text: str) -> Cell:
    return Cell(row, col, text, _ocr(text, row, col))


def _scanned_form() -> Document:
    """A photographed declaration as OCR read it: each label with one glyph wrong."""
    header = [("新赛遒名称：未来健康+生物基尼龙", 1), ("高新区（盖章）：赤峰高新区", 2),
              ("填报时间：2026年5月1日", 3)]
    paragraphs = [Paragraph(text, _ocr(text), lines=[TextLine(text, _ocr(text))])
                  for text, _ in header]
    basic = Table(3, 2, [_cell(0, 0, "新赛遒名称"), _cell(0, 1, "未来健康+生物基尼龙"),
                         _cell(1, 0, "所属方问"), _cell(1, 1, "☑未来产业验证熟化"),
                         _cell(2, 0, "单位名祢"), _cell(2, 1, "")], _ocr(""))
    firms = Table(3, 3, [_cell(0, 0, "序号"), _cell(0, 1, "企业名祢"), _cell(0, 2, "统一信用代玛"),
                         _cell(1, 0, "1"), _cell(1, 1, "内蒙古河套酒业集团股份有限公司"),
                         _cell(1, 2, "91150800117410003C"),
                         _cell(2, 0, "2"), _cell(2, 1, "赤峰制药股份有限公司"), _cell(2, 2, "")],
                  _ocr(""))
    return Document("scan.png", "ab" * 32, "image", pages=[PageInfo(1, origin="ocr")],
                    blocks=[*paragraphs, basic, firms])


def test_labels_one_glyph_off_are_the_forms_labels() -> None:
    assert near_label("企业名祢", FIRM_COLUMNS) == "name"
    assert near_label("统一信用代玛", FIRM_COLUMNS) == "uscc"
    assert near_label("联系人", FIRM_COLUMNS) is None  # a notice's label is no firm column
    assert form_parts(_scanned_form()) == ["track_name", "direction", "firms"]


def test_a_scanned_form_with_damaged_labels_still_imports_with_its_problems() -> None:
    result = extract_document(_scanned_form(), "declaration")
    assert result["kind"] == "declaration"
    codes = {p["code"] for p in result["problems"]}
    assert "blank" in codes  # the unit boxes left empty are problems, not a refusal


def test_a_letter_forced_as_a_declaration_names_what_was_looked_for() -> None:
    text = "关于报送年度工作总结的函\n联系人：王敏  联系电话：0471-6666666\n申报时间：2026年5月\n"
    doc = Document("letter.txt", "cd" * 32, "txt", pages=[PageInfo(1)],
                   blocks=[Paragraph(line, Provenance("letter.txt", line=i + 1))
                           for i, line in enumerate(text.splitlines())])
    assert form_parts(doc) == []  # 联系人, 联系电话, 申报时间: a notice prints them too
    with pytest.raises(SaidaoError) as caught:
        extract_document(doc, "declaration")
    assert caught.value.reason == "not_declaration"
    assert "新赛道名称、所属方向、高新区情况" in caught.value.message_zh
    assert extract_document(doc)["kind"] == "other"  # by content: as before


def test_a_notice_whose_own_application_form_heads_a_firm_column_is_no_declaration() -> None:
    """阿拉善盟's 创新券 notice attaches its 申请表 (企业名称 | 统一社会信用代码 | 申请额度 |
    联系人): a firm listing's header, but no firm in it. Forced, it used to import a track
    whose one "firm" was 申请额度 with the code 联系人."""
    from saidao.ingest.read import read

    doc = read(FIXTURES / "policy_set" / "out" / "notice_02.txt", NO_OCR)
    assert form_parts(doc) == []
    with pytest.raises(SaidaoError) as caught:
        extract_document(doc, "declaration")
    assert caught.value.reason == "not_declaration"


@pytest.mark.slow
def test_every_policy_of_the_fixtures_forced_as_a_declaration_is_refused() -> None:
    """The born-digital policies of the repository (seed set, real-world set in every format,
    OFD), forced: none becomes a track; the one that prints the blank form is blank."""
    from saidao.ingest.extract import extract_file

    paths = [p for pattern in ("policy_set/out/*", "policies/*.docx", "policies/*.pdf",
                               "ofd_real/*.ofd", "policies_unseen/*.txt")
             for p in sorted(FIXTURES.glob(pattern))
             if p.suffix != ".json" and ".scan." not in p.name]
    assert len(paths) > 100
    reasons = {}
    for path in paths:
        with pytest.raises(SaidaoError) as caught:
            extract_file(path, "declaration", NO_OCR)
        reasons[path.name] = caught.value.reason
    blank = {name for name, reason in reasons.items() if reason == "blank_declaration"}
    assert blank <= {"000_85343553a506e6d7.docx", "000_85343553a506e6d7.pdf"}
    assert set(reasons.values()) <= {"not_declaration", "blank_declaration"}

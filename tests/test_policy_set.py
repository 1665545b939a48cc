"""Issue 11: real-world policy layouts — clauses, metadata, in-force periods, problems.

The set (``tests/fixtures/policy_set``: hand-written specs with gold, rendered
to .txt, .docx, born-digital PDF, a few scans, and through
``tests/fixtures/policy_forms.py`` to saved portal pages (.html in four page
layouts, .mhtml) and OFD) is measured per form, per page layout and per
document layout by ``tests/policy_set_eval.py``; the figures are printed (``-s``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from policy_set_eval import (
    BORN_DIGITAL,
    OUT,
    WEB_AND_OFD,
    evaluate,
    form_path,
    load_render,
    load_specs,
)
from typer.testing import CliRunner

from saidao.cli import app
from saidao.corpus import divisions
from saidao.document import Document, Paragraph, Provenance
from saidao.extractors.policy import extract_policy
from saidao.extractors.policy_meta import parse_date, split_orgs
from saidao.extractors.portal import info_pairs, is_chrome, separate
from saidao.extractors.validity import read_validity
from saidao.index.store import Index
from saidao.ingest.bulk import Options, ingest
from saidao.settings import ReadSettings

SPECS = load_specs()
F1_MIN, META_MIN = 0.97, 0.95


def test_the_set_has_thirty_documents_in_ten_layouts_each_in_several_forms() -> None:
    assert len(SPECS.DOCS) >= 30 and len(SPECS.layouts()) >= 10
    for doc in SPECS.DOCS:
        forms = [f for f in BORN_DIGITAL if form_path(doc["id"], f).is_file()]
        assert len(forms) >= 2, doc["id"]
        for block in doc["blocks"]:
            assert set(block) == {"kind", "text", "rows", "fields"}
            assert block["kind"] in ("chrome", "info", "title", "heading", "para", "table", "signature")


def test_every_document_of_the_set_is_classified_as_a_policy() -> None:
    """Staff import without --kind: a 批复, a one-page 规定, a 清单 are policies too."""
    from saidao.extractors.classify import classify
    from saidao.ingest.read import read

    wrong = [(d["id"], f) for d in SPECS.DOCS for f in BORN_DIGITAL
             if classify(read(form_path(d["id"], f))) != "policy"]
    assert not wrong


@pytest.fixture(scope="module")
def born_digital() -> object:
    return evaluate(BORN_DIGITAL, verbose=True)


@pytest.mark.parametrize("form", BORN_DIGITAL)
def test_clause_boundaries_and_metadata_per_form(born_digital: object, form: str) -> None:
    print("\n" + born_digital.table())  # type: ignore[attr-defined]
    for line in born_digital.failures:  # type: ignore[attr-defined]
        print(line)
    tally = born_digital.by_form[form]  # type: ignore[attr-defined]
    assert tally.f1 >= F1_MIN, f"{form}: clause-boundary F1 {tally.f1:.3f}"
    assert tally.meta >= META_MIN, f"{form}: metadata {tally.meta:.3f}"
    assert tally.validity_equal == tally.validity_total


def test_every_document_is_also_a_saved_page_and_an_ofd_in_every_page_layout() -> None:
    """Each document as .html and .ofd, every other one as .mhtml; each page layout used,
    the county site's page in GBK bytes."""
    render = load_render()
    used: set[str] = set()
    for doc in SPECS.DOCS:
        for form in WEB_AND_OFD:
            layout = render.variant(doc["id"], form)
            assert form_path(doc["id"], form).is_file() == (form != "mhtml" or layout is not None), doc["id"]
            used.add(f"{form}:{layout}")
            if layout == "county" and form == "html":
                data = form_path(doc["id"], form).read_bytes()
                assert b"charset=gbk" in data
                data.decode("gbk")
    assert {f"html:{name}" for name in render.WEB_LAYOUTS} <= used
    assert {f"mhtml:{name}" for name in render.PORTAL_LAYOUTS} <= used


@pytest.fixture(scope="module")
def web_and_ofd() -> object:
    return evaluate(WEB_AND_OFD, verbose=True)


@pytest.mark.parametrize("form", WEB_AND_OFD)
def test_clause_boundaries_and_metadata_per_web_form_and_ofd(web_and_ofd: object, form: str) -> None:
    print("\n" + web_and_ofd.table())  # type: ignore[attr-defined]
    for line in web_and_ofd.failures:  # type: ignore[attr-defined]
        print(line)
    tally = web_and_ofd.by_form[form]  # type: ignore[attr-defined]
    assert tally.docs >= (len(SPECS.DOCS) // 2 if form == "mhtml" else len(SPECS.DOCS))
    assert tally.f1 >= F1_MIN, f"{form}: clause-boundary F1 {tally.f1:.3f}"
    assert tally.meta >= META_MIN, f"{form}: metadata {tally.meta:.3f}"
    assert tally.validity_equal == tally.validity_total
    for name, page in web_and_ofd.by_page.items():  # type: ignore[attr-defined]
        if name.startswith(form + ":"):
            assert page.f1 >= F1_MIN and page.meta >= META_MIN, name


@pytest.mark.slow
def test_scanned_paper_copies_through_ocr() -> None:
    report = evaluate(("scan",), verbose=True)
    print("\n" + report.table())
    for line in report.failures:
        print(line)
    tally = report.by_form["scan"]
    assert tally.docs >= 3
    assert tally.f1 >= F1_MIN and tally.meta >= META_MIN


# --------------------------------------------------------------------------- extract --json
def test_extract_json_gives_in_force_and_chrome() -> None:
    result = CliRunner().invoke(app, ["extract", str(OUT / "portal_01.txt"), "--kind", "policy", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"from", "until", "repealed_by", "basis"} <= data["in_force"].keys()
    assert data["in_force"]["from"] == "2023-05-16" and data["in_force"]["until"] == "2026-05-15"
    assert "【打印本页】【关闭窗口】" in data["chrome"]
    assert data["info"]["发文字号"] == "内科发〔2023〕21号"
    assert not any("打印" in c["text"] or "索引号" in c["text"] for c in data["clauses"])
    assert "首页" not in data["title"] and data["issuers"] == ["内蒙古自治区科学技术厅"]


# --------------------------------------------------------------------------- in force in the index
@pytest.fixture(scope="module")
def repeal_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2019 policy and the 2025 one that repeals it, imported together."""
    root = tmp_path_factory.mktemp("repeal")
    shutil.copy(OUT / "repeal_old.txt", root / "old.txt")
    shutil.copy(OUT / "repeal_new.docx", root / "new.docx")
    db = root / "r.db"
    ingest([root / "old.txt", root / "new.docx"], db,
           Options(workers=1, kind="policy", settings=ReadSettings(ocr=False)))
    return db


def _clauses(db: Path, *extra: str) -> dict:
    result = CliRunner().invoke(app, ["clauses", "--zone", "鄂尔多斯高新区", "--db", str(db), "--json",
                                      *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _numbers(result: dict) -> set[str]:
    return {p["doc_number"] for p in result["policies"]}


def test_repealed_policy_is_left_out_after_its_successor_takes_effect(repeal_db: Path) -> None:
    everything = _clauses(repeal_db)
    assert _numbers(everything) == {"鄂府发〔2019〕5号", "鄂府发〔2025〕12号"}
    old = next(p for p in everything["policies"] if p["doc_number"] == "鄂府发〔2019〕5号")
    period = old["clauses"][0]["in_force"]
    assert period["repealed_by"]["doc_number"] == "鄂府发〔2025〕12号"
    assert period["from"] == "2019-03-01" and period["until"] == "2025-05-31"

    later = _clauses(repeal_db, "--in-force", "--on", "2026-06-01")
    assert _numbers(later) == {"鄂府发〔2025〕12号"}
    assert later["left_out"] == {"repealed": 4}
    assert all(c["in_force"]["state"] == "in_force" for p in later["policies"] for c in p["clauses"])

    earlier = _clauses(repeal_db, "--in-force", "--on", "2024-01-01")
    assert _numbers(earlier) == {"鄂府发〔2019〕5号"} and earlier["left_out"] == {"not_yet": 4}


def test_summary_line_says_how_many_were_left_out(repeal_db: Path) -> None:
    result = CliRunner().invoke(app, ["clauses", "--zone", "鄂尔多斯高新区", "--db", str(repeal_db),
                                      "--in-force", "--on", "2026-06-01"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    assert "已略去 4 条（已废止 4 条）" in result.stdout
    assert "已被鄂府发〔2025〕12号废止" not in result.stdout  # the repealed ones are not listed
    plain = CliRunner().invoke(app, ["clauses", "--zone", "鄂尔多斯高新区", "--db", str(repeal_db),
                                     "--on", "2026-06-01"], env={"COLUMNS": "300"})
    assert "已被鄂府发〔2025〕12号废止" in plain.stdout  # without the filter it is said per clause


def test_clause_export_says_what_was_repealed(repeal_db: Path) -> None:
    from saidao.index.export import rows_for

    with Index.open(repeal_db) as index:
        _, rows = rows_for(index, "clauses")
    old = [r["in_force"] for r in rows if r["doc_number"] == "鄂府发〔2019〕5号"]
    assert old and all("已被鄂府发〔2025〕12号废止" in cell for cell in old)


def test_search_in_force(repeal_db: Path) -> None:
    result = CliRunner().invoke(app, ["search", "人才公寓", "--db", str(repeal_db), "--in-force",
                                      "--on", "2026-06-01", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert hits and all(h["doc_number"] == "鄂府发〔2025〕12号" for h in hits)
    assert all(h["in_force"]["from"] == "2025-06-01" for h in hits)
    bad = CliRunner().invoke(app, ["search", "人才", "--db", str(repeal_db), "--on", "明天"])
    assert bad.exit_code == 2


# --------------------------------------------------------------------------- never silent
def _lines(text: str, name: str = "t.txt") -> Document:
    blocks = [Paragraph(text=line, provenance=Provenance(file=name, page=1 + i // 20, line=i + 1))
              for i, line in enumerate(text.split("\n"))]
    return Document(path=name, sha256="0" * 64, format="txt", blocks=blocks)


def test_numbering_gap_is_a_problem_with_its_page() -> None:
    text = "某县科技奖励办法\n" + "\n".join(
        f"第{n}条 对符合条件的企业给予第{n}项奖励。" for n in (*range(1, 10), 11, 12))
    problems = extract_policy(_lines(text))["problems"]
    gaps = [p for p in problems if p["code"] == "policy_numbering_gap"]
    assert len(gaps) == 1 and "第9条之后是第11条" in gaps[0]["message"] and gaps[0]["page"] == 1


def test_policy_without_clauses_reaches_the_report_and_the_review_queue(tmp_path: Path) -> None:
    from saidao.index.review import queue

    path = tmp_path / "notice.txt"
    path.write_text("关于做好2025年度科技项目申报工作的通知\n各有关单位：\n请按照有关要求做好申报工作，"
                    "材料于5月31日前报送，逾期不予受理。联系人：王某，电话：0471-1234567。\n"
                    "某市科学技术局\n2025年4月1日\n", encoding="utf-8")
    db = tmp_path / "p.db"
    ingest([path], db, Options(workers=1, kind="policy"))
    report = CliRunner().invoke(app, ["report", "--db", str(db), "--json"])
    rows = json.loads(report.stdout)
    assert rows[0]["outcome"] == "imported" and "未识别出任何条款" in rows[0]["problems"]
    with Index.open(db) as index:
        items = queue(index)
    assert [i["field"] for i in items] == ["clauses"]
    assert "未识别出任何条款" in items[0]["messages"][0]
    from starlette.testclient import TestClient

    from saidao.web.app import create_app

    page = TestClient(create_app(db), raise_server_exceptions=True).get("/review")
    assert page.status_code == 200 and "未识别出任何条款" in page.text and "notice.txt" in page.text


# --------------------------------------------------------------------------- the pieces
def test_division_table_covers_all_of_china() -> None:
    provinces = [d for d in divisions.all_divisions() if d.level == "province"]
    assert len(provinces) == 34
    assert divisions.by_code("150123").name == "和林格尔县"
    assert divisions.by_code("15").name == "内蒙古自治区"
    assert [d.code for d in divisions.by_name("内蒙古")] == ["150000"]
    chain = divisions.find_in("呼和浩特市和林格尔县人民政府")
    assert [d.name for d in chain] == ["内蒙古自治区", "呼和浩特市", "和林格尔县"]
    assert [d.name for d in divisions.find_in("长春市朝阳区人民政府")][-1] == "朝阳区"
    assert divisions.find_in("长春市朝阳区人民政府")[0].name == "吉林省"
    assert divisions.find_in("和林格尔新区管委会") == []


@pytest.mark.parametrize(("text", "iso"), [
    ("二○一○年八月十一日", "2010-08-11"), ("二〇二三年二月八日", "2023-02-08"), ("2023-02-08", "2023-02-08"),
    ("2023年2月8日", "2023-02-08"), ("2023.2.8", "2023-02-08"), ("2023/2/8", "2023-02-08"),
])
def test_dates_in_every_written_form(text: str, iso: str) -> None:
    assert parse_date(text) == iso


def test_joint_issuers_are_a_list() -> None:
    assert split_orgs("中共清水河县委员会清水河县人民政府") == ["中共清水河县委员会", "清水河县人民政府"]
    assert split_orgs("鄂尔多斯市人民政府办公室") == ["鄂尔多斯市人民政府办公室"]


def test_info_block_and_chrome_are_set_aside() -> None:
    assert info_pairs("发文机关：科学技术部成文日期：2022年06月20日") == {
        "发文机关": "科学技术部", "成文日期": "2022年06月20日"}
    lines = ["北方科技资讯网", "来源：包头市人民政府 浏览次数：386", "包头市促进科技成果转化办法",
             "第一条 为促进科技成果转化，制定本办法。", "分享：微信 微博"]
    parts = separate(lines)
    assert parts.kept == [2, 3] and len(parts.chrome) == 3
    assert not is_chrome("包头市人民政府")


@pytest.mark.parametrize(("sentence", "start", "until"), [
    ("本措施自发布之日起施行，有效期三年。", "2023-05-16", "2026-05-15"),
    ("本政策自2024年2月1日起施行，暂定三年有效期。", "2024-02-01", "2027-01-31"),
    ("本意见自印发之日起施行，有效期至2027年12月31日。", "2023-05-12", "2027-12-31"),
    ("本办法有效期为2024年1月1日至2026年12月31日。", "2024-01-01", "2026-12-31"),
    ("本通知自2024年3月1日起至2025年2月28日止执行。", "2024-03-01", "2025-02-28"),
])
def test_validity_phrases(sentence: str, start: str, until: str) -> None:
    v = read_validity([sentence], date="2023-05-12", date_published="2023-05-16")
    assert (v.valid_from, v.valid_until) == (start, until)


def test_repeal_statements() -> None:
    v = read_validity(["《包头市人才新政》（包府发〔2019〕5号）同时废止。",
                       "此前出台的有关政策与本办法不一致的，以本办法为准。"], date="2024-01-01")
    assert v.repeals == [{"title": "包头市人才新政", "doc_number": "包府发〔2019〕5号"}]
    assert v.repeals_general


def test_a_fixed_layout_paragraph_s_lines_are_wraps_unless_the_text_says_otherwise() -> None:
    """OFD paragraphs (grouped by the page's indents): a 文号 cut from its label runs on, a
    sentence ending at the line's end does not end the paragraph; a signature's date stays."""
    from saidao.extractors.linewrap import repair_lines

    lines = ["标题：某某措施　发文字号：内科", "发〔2023〕21号", "3.加强人才保障。", "引进高层次人才100名。",
             "赛罕区人民政府", "2024年2月26日"]
    soft = frozenset({1, 3, 5})
    assert [p.text for p in repair_lines(lines, soft)] == [
        "标题：某某措施　发文字号：内科发〔2023〕21号", "3.加强人才保障。引进高层次人才100名。",
        "赛罕区人民政府", "2024年2月26日"]
    assert len(repair_lines(lines)) == 6  # without the reader's grouping nothing is joined

"""One policy, however many forms it was brought in (``index.policy_merge``).

Test files: the policy set (``tests/fixtures/policy_set/out``, rendered by ``render.py``
from ``specs.py``: the same document as portal page, PDF, Word, plain text, MHTML and OFD),
and by-hand variants of their text written here (another 文号, a revision, a forwarding
notice, the page without its reprint note) — the counter-cases that must stay two.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import record_files
from typer.testing import CliRunner

from saidao.cli import app
from saidao.index import policy_merge, schema
from saidao.index.clauses import policies, policy_detail
from saidao.index.export import rows_for
from saidao.index.search import clauses_for_zone, search
from saidao.index.store import Index

SET = Path(__file__).parent / "fixtures" / "policy_set" / "out"
FORMS = Path(__file__).parent / "fixtures" / "forms"


def _current(ix: Index) -> list[dict]:
    return policies(ix)


def _numbers(hits: list[dict]) -> list[tuple[str, str]]:
    return sorted((h["policy_id"], h["number"]) for h in hits)


def _variant(tmp_path: Path, source: str, name: str, *edits: tuple[str, str]) -> Path:
    """A by-hand variant of a set document's text: each (old, new) replaced (must occur)."""
    text = (SET / source).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    out = tmp_path / name
    out.write_text(text, encoding="utf-8")
    return out


# ---------------------------------------------------------------- the same policy, merged


@pytest.mark.parametrize("order", [("html", "pdf", "docx"), ("docx", "pdf", "html")])
def test_three_forms_in_either_order_are_one_policy_with_its_clauses_once(
        index: Index, order: tuple[str, ...]) -> None:
    record_files(index, [(SET / f"portal_01.{form}", "policy") for form in order])
    current = _current(index)
    assert len(current) == 1 and current[0]["sources"] == 3
    assert current[0]["doc_number"] == "内科发〔2023〕21号"
    hits = search(index, "研发投入后补助")
    assert len(hits) == len({h["number"] for h in hits})  # no clause twice
    assert [h["number"] for h in hits].count("（一）") == 1
    zone = clauses_for_zone(index, "鄂尔多斯高新区")
    numbers = [c["number"] for p in zone["policies"] for c in p["clauses"]]
    assert len(zone["policies"]) == 1 and numbers.count("（三）") == 1
    detail = policy_detail(index, current[0]["policy_id"])
    _, exported = rows_for(index, "clauses")
    assert [r["number"] for r in exported] == [c["number"] for c in detail["clauses"]]
    roles = sorted(s["role"] for s in detail["sources"])
    assert roles == ["evidence", "evidence", "primary"]
    # on a tie the policy imported first stays primary; every form is kept, with its note
    assert Path(detail["sources"][0]["path"]).suffix == f".{order[0]}"
    assert all("与已导入的政策相同" in s["note"] for s in detail["sources"][1:])


def test_every_form_of_the_set_joins_its_own_policy_only(index: Index) -> None:
    """Two documents, every born-digital and saved-page form each: two policies."""
    files = [(p, "policy") for doc in ("portal_02", "reprint_01")
             for p in sorted(SET.glob(f"{doc}.*")) if ".scan." not in p.name]
    assert len(files) >= 11
    record_files(index, files)
    current = _current(index)
    assert len(current) == 2
    assert sum(p["sources"] for p in current) == len(files)


def test_without_a_doc_number_title_date_and_text_decide(index: Index) -> None:
    record_files(index, [(SET / "reprint_01.html", "policy"), (SET / "reprint_01.docx", "policy")])
    current = _current(index)
    assert len(current) == 1 and current[0]["doc_number"] is None
    note = policy_detail(index, current[0]["policy_id"])["sources"][1]["note"]
    assert "标题、日期相同" in note and "条款文字" in note


def test_a_better_digitised_form_arriving_later_takes_over(index: Index) -> None:
    """Plain text (converted, rank 2) first, then Word (born digital, rank 3): the Word file
    becomes the primary, the text file its evidence, each with the note why."""
    record_files(index, [(SET / "portal_01.txt", "policy")])
    first = _current(index)[0]["policy_id"]
    record_files(index, [(SET / "portal_01.docx", "policy")])
    current = _current(index)
    assert len(current) == 1 and current[0]["policy_id"] != first
    detail = policy_detail(index, first)  # the old id opens the policy too
    assert detail["policy_id"] == current[0]["policy_id"]
    sources = {Path(s["path"]).suffix: s for s in detail["sources"]}
    assert sources[".docx"]["role"] == "primary" and "数字化质量更好" in sources[".docx"]["note"]
    assert sources[".txt"]["role"] == "evidence"
    assert "改以另一文件为主来源：数字化质量更好" in sources[".txt"]["note"]


@pytest.mark.parametrize("original_first", [True, False])
def test_the_issuer_s_own_text_is_primary_over_a_reprint(
        index: Index, tmp_path: Path, original_first: bool) -> None:
    """The same text twice as plain text, once with the reprint site's note
    (本文转载自…，如有侵权…) and once without: the one without is primary, in either order."""
    original = _variant(tmp_path, "reprint_01.txt", "original.txt",
                        ("（本文转载自和林格尔县人民政府网站，如有侵权请联系删除）", ""))
    files = [(original, "policy"), (SET / "reprint_01.txt", "policy")]
    record_files(index, files if original_first else files[::-1])
    current = _current(index)
    assert len(current) == 1
    primary = policy_detail(index, current[0]["policy_id"])["sources"][0]
    assert Path(primary["path"]).name == "original.txt" and primary["role"] == "primary"


# ---------------------------------------------------------------- counter-cases: two policies


def test_the_same_text_under_another_doc_number_stays_two(index: Index, tmp_path: Path) -> None:
    """A county reissuing the region's measures under its own 文号: same title, same text."""
    reissued = _variant(tmp_path, "portal_01.txt", "county.txt",
                        ("内科发〔2023〕21号", "清科发〔2023〕5号"))
    record_files(index, [(SET / "portal_01.txt", "policy"), (reissued, "policy")])
    assert {p["doc_number"] for p in _current(index)} == {"内科发〔2023〕21号", "清科发〔2023〕5号"}


def test_a_revision_under_the_same_title_stays_two(index: Index, tmp_path: Path) -> None:
    """No 文号 on either; the revision keeps the title but is dated later and changes a clause."""
    revised = _variant(tmp_path, "reprint_01.txt", "revised.txt",
                       ("2025年6月26日", "2026年3月2日"), ("给予20万元奖励", "给予30万元奖励"))
    record_files(index, [(SET / "reprint_01.txt", "policy"), (revised, "policy")])
    assert len(_current(index)) == 2


def test_a_revision_whose_title_says_so_stays_two(index: Index, tmp_path: Path) -> None:
    title = "和林格尔县支持科技型企业发展的若干措施"
    revised = _variant(tmp_path, "reprint_01.txt", "revised.txt",
                       (f"\n{title}\n", f"\n{title}（2025年修订）\n"))
    record_files(index, [(SET / "reprint_01.txt", "policy"), (revised, "policy")])
    assert len(_current(index)) == 2


def test_a_notice_forwarding_a_policy_stays_two(index: Index, tmp_path: Path) -> None:
    """A city office forwards the county's measures: its own title, date and 文号, the whole
    text inside."""
    text = (SET / "reprint_01.txt").read_text(encoding="utf-8")
    body = text[text.index("和林格尔县支持科技型企业发展的若干措施"):text.index("（本文转载")]
    notice = tmp_path / "forward.txt"
    notice.write_text(
        "呼和浩特市人民政府办公室关于转发和林格尔县支持科技型企业发展的若干措施的通知\n\n"
        "呼政办字〔2025〕40号\n\n各旗县区人民政府：\n\n现将《和林格尔县支持科技型企业发展的若干措施》"
        "转发给你们，请参照执行。\n\n呼和浩特市人民政府办公室\n2025年8月1日\n\n" + body, encoding="utf-8")
    record_files(index, [(SET / "reprint_01.txt", "policy"), (notice, "policy")])
    assert len(_current(index)) == 2


def test_identity_rules_on_their_own() -> None:
    base = policy_merge.Form("a", "a" * 64, "a.pdf", "包头市促进科技成果转化办法", "包府办发〔2024〕15号",
                             ("包头市人民政府办公室",), "2024-04-03", 3, False, 0, 5)

    def other(**changes: object) -> policy_merge.Form:
        return policy_merge.Form(**{**base.__dict__, "policy_id": "b", **changes})

    agree = lambda: 1.0  # noqa: E731
    assert policy_merge.same_policy(base, other(doc_number="包府办发[2024]15号"), agree)
    assert policy_merge.same_policy(base, other(doc_number="包府办发（２０２４）１５ 号"), agree)
    assert policy_merge.same_policy(base, other(title="包头市促进科技成果转化办沄"), agree)  # OCR slip
    assert policy_merge.same_policy(base, other(doc_number="包府办发〔2024〕16号"), agree) is None
    assert policy_merge.same_policy(base, other(doc_number="包府办发〔2024〕15号", title="另一文件",
                                                issuers=("别的机关",)), agree) is None
    assert policy_merge.same_policy(base, other(doc_number=None), agree)
    assert policy_merge.same_policy(base, other(doc_number=None), lambda: 0.3) is None
    assert policy_merge.same_policy(base, other(doc_number=None, date="2025-01-01"), agree) is None
    assert policy_merge.same_policy(
        base, other(doc_number=None, title="包头市促进科技成果转化办法（2025年修订）"), agree) is None


# ---------------------------------------------------------------- links, fates, undo


def _links(db: Path) -> list[tuple]:
    with Index.open(db) as ix:
        return ix.db.execute(
            "SELECT l.track_id, c.clause_id, l.rank, round(l.score, 9), l.reasons FROM track_links l "
            "JOIN clauses c ON c.clause_id = l.clause_id ORDER BY 1, 3").fetchall()


def test_links_are_those_of_importing_only_the_primary(tmp_path: Path) -> None:
    """The text form first (linked), then the Word form takes over: every track is linked
    again, against the Word form's clauses only — the same links as an index holding only
    the Word form."""
    from saidao.index.link_state import link_pending

    merged, alone = tmp_path / "merged.db", tmp_path / "alone.db"
    declaration = (FORMS / "declaration.docx", "declaration")
    with Index.open(merged) as ix:
        record_files(ix, [declaration, (SET / "portal_01.txt", "policy"),
                          (SET / "portal_02.txt", "policy")])
        link_pending(ix)
        before = _links(merged)
        record_files(ix, [(SET / "portal_01.docx", "policy")])
        link_pending(ix)
    with Index.open(alone) as ix:
        record_files(ix, [declaration, (SET / "portal_02.txt", "policy"),
                          (SET / "portal_01.docx", "policy")])
        link_pending(ix)
    assert before and _links(merged) == _links(alone)
    assert _links(merged) != before  # the clauses are the new primary's


def _cli_json(args: list[str]) -> object:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture()
def merged_db(tmp_path: Path) -> Path:
    from saidao.ingest.bulk import Options, ingest
    from saidao.settings import ReadSettings

    folder = tmp_path / "政策"
    folder.mkdir()
    for form in ("html", "pdf", "docx"):
        shutil.copy(SET / f"portal_01.{form}", folder / f"portal_01.{form}")
    db = tmp_path / "merged.db"
    options = Options(workers=1, settings=ReadSettings(ocr=False))
    for form in ("html", "pdf", "docx"):  # one run each: a known order
        ingest([folder / f"portal_01.{form}"], db, options)
    return db


def test_the_file_s_fate_is_told_in_the_report_and_the_policy(merged_db: Path) -> None:
    from saidao.web.imports import staff_reason

    rows = _cli_json(["report", "--run", "2", "--db", str(merged_db), "--json"])
    assert rows[0]["outcome"] == "imported" and rows[0]["reason"] == "same_policy"
    assert re.search(r"与已导入的政策相同（《内蒙古自治区科学技术厅关于支持高新技术企业研发投入的若干措施》，"
                     r"内科发〔2023〕21号），作为其来源保留", rows[0]["message"])
    assert staff_reason(rows[0]["reason"], None, rows[0]["message"]) == rows[0]["message"]
    listed = _cli_json(["policies", "--db", str(merged_db), "--json"])
    assert len(listed) == 1 and listed[0]["sources"] == 3
    detail = _cli_json(["policy", listed[0]["policy_id"], "--db", str(merged_db), "--json"])
    assert [s["role_zh"] for s in detail["sources"]] == ["主来源", "佐证", "佐证"]
    shown = CliRunner().invoke(app, ["policy", listed[0]["policy_id"], "--db", str(merged_db)])
    assert shown.exit_code == 0 and "来源文件" in shown.output and "佐证" in shown.output


def test_split_a_wrong_merge(merged_db: Path) -> None:
    pid = _cli_json(["policies", "--db", str(merged_db), "--json"])[0]["policy_id"]
    result = CliRunner().invoke(app, ["policy", pid, "--split-source", "portal_01.pdf",
                                      "--db", str(merged_db), "--json"])
    assert result.exit_code == 0, result.output
    listed = _cli_json(["policies", "--db", str(merged_db), "--json"])
    assert len(listed) == 2
    sources = {Path(s["path"]).name: s for s in json.loads(result.stdout)["sources"]}
    assert {name: s["role"] for name, s in sources.items()} == {
        "portal_01.html": "primary", "portal_01.docx": "evidence", "portal_01.pdf": "split"}
    word = sources["portal_01.docx"]["policy_id"]
    # the primary split off too: the Word form takes over the first policy
    result = CliRunner().invoke(app, ["policy", pid, "--split-source", "portal_01.html",
                                      "--db", str(merged_db), "--json"])
    assert result.exit_code == 0, result.output
    assert len(_cli_json(["policies", "--db", str(merged_db), "--json"])) == 3
    bad = CliRunner().invoke(app, ["policy", pid, "--split-source", "nothing.pdf", "--db",
                                   str(merged_db)])
    assert bad.exit_code == 2 and "没有来源文件" in bad.output
    heir = _cli_json(["policy", word, "--db", str(merged_db), "--json"])["sources"]
    assert [(Path(s["path"]).name, s["role"]) for s in heir][0] == ("portal_01.docx", "primary")
    alone = CliRunner().invoke(app, ["policy", word, "--split-source", "portal_01.docx", "--db",
                                     str(merged_db)])
    assert alone.exit_code == 2 and "只有这一个来源文件" in alone.output


def test_a_re_read_keeps_the_policy_s_place(merged_db: Path) -> None:
    from saidao.ingest.bulk import Options, ingest
    from saidao.settings import ReadSettings

    before = _cli_json(["policies", "--db", str(merged_db), "--json"])
    path = next(Path(s["path"]) for s in _cli_json(
        ["policy", before[0]["policy_id"], "--db", str(merged_db), "--json"])["sources"]
        if s["role"] == "evidence")
    ingest([path], merged_db, Options(workers=1, reread=True, settings=ReadSettings(ocr=False)))
    assert _cli_json(["policies", "--db", str(merged_db), "--json"]) == before


def test_the_migration_gives_every_stored_policy_its_own_place(tmp_path: Path) -> None:
    """An index of the version before ours: its policies become primaries, one group each."""
    import sqlean
    import sqlite_utils

    db = tmp_path / "old.db"
    conn = sqlite_utils.Database(sqlean.connect(str(db), isolation_level=None))
    ours = next(i for i, m in enumerate(schema.MIGRATIONS) if m.__name__.endswith("_policy_sources"))
    for number, step in enumerate(schema.MIGRATIONS[:ours], start=1):
        step(conn)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("INSERT INTO files(sha256, path, kind, format, status, imported_at) "
                 "VALUES ('ab', 'a.pdf', 'policy', 'pdf', 'imported', 'x')")
    conn.execute("INSERT INTO policies(policy_id, file_sha256, title) VALUES ('ab', 'ab', 't')")
    conn.conn.close()
    with Index.open(db) as ix:
        assert schema.version(ix.db) == len(schema.MIGRATIONS)
        rows = ix.db.execute("SELECT policy_id, role, rank FROM policy_sources").fetchall()
        assert rows == [("ab", "primary", 3)]
        assert [p["policy_id"] for p in policies(ix)] == ["ab"]


def test_the_web_pages_show_one_policy_and_its_forms(merged_db: Path) -> None:
    from starlette.testclient import TestClient

    from saidao.web import create_app

    listed = _cli_json(["policies", "--db", str(merged_db), "--json"])
    detail = _cli_json(["policy", listed[0]["policy_id"], "--db", str(merged_db), "--json"])
    evidence = next(s["policy_id"] for s in detail["sources"] if s["role"] == "evidence")
    with TestClient(create_app(merged_db), raise_server_exceptions=True) as c:
        page = c.get(f"/policy/{listed[0]['policy_id']}").text
        assert "来源文件（3" in page and "佐证" in page and "作为其来源保留" in page
        assert page.count('class="clause"') == len(detail["clauses"])
        other = c.get(f"/policy/{evidence}").text  # any form's id opens the policy
        assert other.replace(evidence, listed[0]["policy_id"]) == page
        run = c.get("/import/run/2").text
        assert "与已导入的政策相同（《内蒙古自治区科学技术厅" in run and "作为其来源保留" in run
        hits = c.get("/search", params={"q": "研发投入后补助"}).text
        assert hits.count(">（一）<") <= 1


@pytest.mark.slow  # OCR of the scan
@pytest.mark.parametrize("scan_first", [True, False])
def test_the_text_layer_is_primary_over_the_scan_in_either_order(index: Index,
                                                                 scan_first: bool) -> None:
    files = [(SET / "county_02.scan.pdf", "policy"), (SET / "county_02.pdf", "policy")]
    record_files(index, files if scan_first else files[::-1])
    current = _current(index)
    assert len(current) == 1 and current[0]["file"].endswith("county_02.pdf")
    sources = {Path(s["path"]).name: s for s in policy_detail(index, current[0]["policy_id"])["sources"]}
    assert sources["county_02.scan.pdf"]["role"] == "evidence"
    assert sources["county_02.scan.pdf"]["rank"] == 1 and sources["county_02.pdf"]["rank"] == 3


def test_merge_joins_forms_stored_apart_and_respects_a_split(merged_db: Path) -> None:
    """An index upgraded from before: every form its own policy (as the migration leaves
    them). ``policies --merge`` joins them; a form staff split off stays apart."""
    with Index.open(merged_db) as ix, ix.db.conn:
        ix.db.execute("UPDATE policy_sources SET role = 'primary', note = NULL, "
                      "group_id = 100 + id WHERE role = 'evidence'")
    assert len(_cli_json(["policies", "--db", str(merged_db), "--json"])) == 3
    merged = _cli_json(["policies", "--merge", "--db", str(merged_db), "--json"])
    assert len(merged) == 1 and merged[0]["sources"] == 3
    pid = merged[0]["policy_id"]
    result = CliRunner().invoke(app, ["policy", pid, "--split-source", "portal_01.pdf",
                                      "--db", str(merged_db)])
    assert result.exit_code == 0, result.output
    assert len(_cli_json(["policies", "--merge", "--db", str(merged_db), "--json"])) == 2


@pytest.mark.parametrize("suffix", [".txt", ".html"])  # the page was evidence / the primary
def test_a_new_version_of_a_form_s_file_keeps_one_policy(index: Index, tmp_path: Path,
                                                         suffix: str) -> None:
    """The portal page saved again (new bytes at the same path: the old file is superseded):
    the policy keeps one current primary and its other form, never none and never two."""
    page = tmp_path / f"portal_01{suffix}"
    shutil.copy(SET / f"portal_01{suffix}", page)
    record_files(index, [(page, "policy"), (SET / "portal_01.docx", "policy")])
    first = {s["role"] for s in policy_detail(index, _current(index)[0]["policy_id"])["sources"]
             if s["path"] == str(page)}
    assert first == ({"evidence"} if suffix == ".txt" else {"primary"})
    page.write_bytes(page.read_bytes() + b"\n")
    record_files(index, [(page, "policy")])
    _one_policy_a_version_superseded(index)
    page.write_bytes(page.read_bytes()[:-1])  # and the first version back again
    record_files(index, [(page, "policy")])
    _one_policy_a_version_superseded(index)


def _one_policy_a_version_superseded(index: Index) -> None:
    """One current policy with two current forms, and the replaced version kept as superseded."""
    current = _current(index)
    assert len(current) == 1 and current[0]["sources"] == 2
    sources = policy_detail(index, current[0]["policy_id"])["sources"]
    assert sorted(s["role"] for s in sources) == ["evidence", "primary", "superseded"]
    assert all(s["status"] == "imported" for s in sources if s["role"] != "superseded")

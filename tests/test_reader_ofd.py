"""The OFD reader: pages, positions, paragraphs and ruled tables equal what the writer placed.

Files are made by ``tests/fixtures/ofd_writer.py`` (from GB/T 33190's package
structure) and ``policy_forms.to_ofd`` (a GB/T 9704 page), in the variants
producers write: per-character DeltaX or the ``g n v`` shorthand, one object
per character, text drawn through a CTM, a default namespace, a template.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from saidao.document import Paragraph
from saidao.errors import SaidaoError
from saidao.ingest.archive import is_archive
from saidao.ingest.detect import sniff
from saidao.ingest.extract import extract_file
from saidao.ingest.read import read
from saidao.ingest.readers.ofd import MM, deltas, path_segments

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

import policy_forms as pf  # noqa: E402
from ofd_writer import Page, Rule, Style, Text, write_ofd  # noqa: E402

SEEDS = Path(__file__).parent / "refdata" / "seeds"
FORMS = FIXTURES / "policies"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _two_pages() -> list[Page]:
    """A title, an indented two-line paragraph, a short one; a second page with one line."""
    first = Page(texts=[
        Text(70.0, 50.0, "关于支持高新区发展的通知", 7.0),
        Text(28.0 + 11.0, 70.0, "各旗县区人民政府，市直各有关部门：为贯彻落实", 5.5),
        Text(28.0, 80.0, "自治区部署，现就有关事项通知如下。", 5.5),
        Text(28.0 + 11.0, 90.0, "一、总体要求", 5.5, font="黑体"),
    ])
    second = Page(texts=[Text(28.0 + 11.0, 50.0, "二、工作措施", 5.5, font="黑体")], width=297.0, height=210.0)
    return [first, second]


STYLES = {
    "plain": Style(),
    "g_shorthand": Style(g_shorthand=True),
    "per_char": Style(per_char=True),
    "ctm": Style(ctm_scale=0.5),
    "default_ns": Style(prefix=False),
}


@pytest.mark.parametrize("name", list(STYLES))
def test_pages_lines_and_positions_as_written(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, "a.ofd", write_ofd(_two_pages(), title="通知", style=STYLES[name]))
    doc = read(path)
    assert doc.format == "ofd" and doc.status == "success"
    assert [(p.number, round(p.width), round(p.height)) for p in doc.pages] == [
        (1, round(210 * MM), round(297 * MM)), (2, round(297 * MM), round(210 * MM))]
    paras = [b for b in doc.blocks if isinstance(b, Paragraph)]
    assert [p.text for p in paras] == [
        "关于支持高新区发展的通知",
        "各旗县区人民政府，市直各有关部门：为贯彻落实自治区部署，现就有关事项通知如下。",
        "一、总体要求",
        "二、工作措施",
    ]
    body = paras[1]
    assert [ln.text for ln in body.lines] == ["各旗县区人民政府，市直各有关部门：为贯彻落实", "自治区部署，现就有关事项通知如下。"]
    assert [ln.provenance.page for ln in body.lines] == [1, 1] and paras[3].provenance.page == 2
    x0, top, x1, bottom = body.lines[0].provenance.bbox
    assert x0 == pytest.approx(39.0 * MM, abs=0.5)  # the first-line indent as written
    assert bottom > 70.0 * MM > top  # the baseline lies inside the line's box
    assert x1 == pytest.approx((39.0 + 22 * 5.5) * MM, abs=1.0)  # 22 full-width characters
    assert body.lines[1].provenance.bbox[0] == pytest.approx(28.0 * MM, abs=0.5)


def test_template_text_is_a_running_head(tmp_path: Path) -> None:
    style = Style(template_text=[Text(80.0, 15.0, "内蒙古自治区人民政府公报", 4.0)])
    pages = [Page(texts=[Text(39.0, 60.0, f"第{n}页的第一段正文，内容较长，写满一行为止。", 5.5),
                         Text(28.0, 70.0, "第一段到此结束。", 5.5),
                         Text(39.0, 80.0, "第二段。", 5.5)]) for n in range(1, 4)]
    doc = read(_write(tmp_path, "t.ofd", write_ofd(pages, style=style)))
    assert [h.text for h in doc.headers] == ["内蒙古自治区人民政府公报"] * 3
    assert "公报" not in doc.text
    assert [(b.provenance.page, b.text[:3]) for b in doc.blocks] == [
        (n, t) for n in (1, 2, 3) for t in (f"第{n}页", "第二段")]


def test_ruled_table_with_spans(tmp_path: Path) -> None:
    """Rules drawn as segments; missing rules make a 1×2 header and a 2×1 merged cell."""
    xs, ys = [30.0, 60.0, 110.0, 160.0], [100.0, 110.0, 120.0, 130.0]
    rules = [Rule(xs[0], y, xs[-1], y) for y in (ys[0], ys[1], ys[3])]
    rules += [Rule(xs[0], ys[2], xs[1], ys[2]), Rule(xs[2], ys[2], xs[3], ys[2])]  # column 1: rows 1–2 one cell
    rules += [Rule(x, ys[0], x, ys[-1]) for x in (xs[0], xs[1], xs[3])]
    rules += [Rule(xs[2], ys[1], xs[2], ys[3])]  # row 0: columns 1–2 one cell
    texts = [Text(32, 107, "序号", 4), Text(62, 107, "支持方式", 4),
             Text(32, 117, "1", 4), Text(62, 122, "研发投入后补助", 4), Text(112, 117, "100万元", 4),
             Text(32, 127, "2", 4), Text(112, 127, "另行制定", 4)]
    page = Page(texts=[Text(39.0, 80.0, "附表：支持事项一览", 5.5), *texts,
                       Text(39.0, 150.0, "以上事项自发布之日起施行。", 5.5)], rules=rules)
    doc = read(_write(tmp_path, "table.ofd", write_ofd([page])))
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["paragraph", "table", "paragraph"]
    table = doc.tables[0]
    spans = {(c.row, c.col): (c.row_span, c.col_span, c.text) for c in table.cells}
    assert (table.n_rows, table.n_cols) == (3, 3)
    assert spans[(0, 0)] == (1, 1, "序号") and spans[(0, 1)] == (1, 2, "支持方式")
    assert spans[(1, 1)] == (2, 1, "研发投入后补助")
    assert spans[(1, 2)] == (1, 1, "100万元") and spans[(2, 2)] == (1, 1, "另行制定")
    assert table.grid() == [["序号", "支持方式", "支持方式"], ["1", "研发投入后补助", "100万元"],
                            ["2", "研发投入后补助", "另行制定"]]
    assert table.provenance.page == 1 and table.provenance.bbox[0] == pytest.approx(30 * MM, abs=0.5)
    assert "研发投入后补助" not in "".join(b.text for b in doc.paragraphs)


def test_cell_rectangles_make_a_table_too(tmp_path: Path) -> None:
    boxes = [(30.0 + 40 * c, 100.0 + 10 * r, 40.0, 10.0) for r in range(2) for c in range(3)]
    texts = [Text(32 + 40 * c, 107 + 10 * r, f"格{r}{c}", 4) for r in range(2) for c in range(3)]
    doc = read(_write(tmp_path, "rects.ofd", write_ofd([Page(texts=texts, rects=boxes)])))
    assert doc.tables[0].grid() == [["格00", "格01", "格02"], ["格10", "格11", "格12"]]


def test_policy_layout_paragraphs_and_tables_round_trip(tmp_path: Path) -> None:
    blocks = [
        {"kind": "title", "text": "鄂尔多斯市人民政府关于印发支持高新技术产业开发区高质量发展若干措施的通知"},
        {"kind": "para", "text": "各旗区人民政府，市人民政府各部门，各直属单位："},
        {"kind": "heading", "text": "一、加大企业研发投入支持力度"},
        {"kind": "para", "text": "对年度研发投入超过500万元的企业，按新增研发投入的10%给予奖励，最高不超过100万元。" * 3},
        {"kind": "table", "rows": [["序号", "支持事项", "标准"], ["1", "国家级平台", "一次性奖励200万元"],
                                   ["2", "自治区级平台", "一次性奖励50万元"]]},
        {"kind": "signature", "text": "鄂尔多斯市人民政府\n2025年6月30日"},
    ]
    doc = read(_write(tmp_path, "p.ofd", pf.to_ofd(blocks)))
    texts = [b.text for b in doc.paragraphs]
    title_lines = texts[:texts.index(blocks[1]["text"])]  # a long title wraps into centred lines
    assert "".join(title_lines) == blocks[0]["text"] and len(title_lines) == 2
    assert texts[2:5] == [blocks[1]["text"], blocks[2]["text"], blocks[3]["text"]]
    assert texts[5:] == ["鄂尔多斯市人民政府", "2025年6月30日"]
    assert doc.tables[0].grid() == blocks[4]["rows"]
    assert [f.text.replace(" ", "") for f in doc.footers] == ["—1—"]


def test_a_long_policy_runs_over_pages(tmp_path: Path) -> None:
    text = "支持高新区建设国家级和自治区级创新平台，对新认定的平台给予资金支持。" * 40
    doc = read(_write(tmp_path, "long.ofd", pf.to_ofd([{"kind": "para", "text": text}])))
    assert len(doc.pages) >= 3
    assert [b.text for b in doc.paragraphs] == [text]  # joined across the page breaks
    assert {ln.provenance.page for ln in doc.paragraphs[0].lines} == set(range(1, len(doc.pages) + 1))
    assert [f.text.replace(" ", "") for f in doc.footers] == [f"—{n}—" for n in range(1, len(doc.pages) + 1)]


def test_sniffed_by_bytes_and_not_expanded_as_an_archive(tmp_path: Path) -> None:
    path = _write(tmp_path, "renamed.zip", write_ofd(_two_pages()))
    assert sniff(path) == "ofd" and not is_archive(path)
    assert read(path).format == "ofd"


def test_delta_shorthand_and_paths() -> None:
    assert deltas("g 3 2.5 1 g 2 4", 10) == [2.5, 2.5, 2.5, 1.0, 4.0, 4.0]
    assert deltas("g 1000000000 1", 3) == [1.0, 1.0, 1.0]  # a huge count is bounded by the text
    assert path_segments("M 0 0 L 10 0 L 10 5 C") == [((0, 0), (10, 0)), ((10, 0), (10, 5)), ((10, 5), (0, 0))]
    assert path_segments("M 0 0 B 1 1 2 2 3 3 L 4 4") == [((3, 3), (4, 4))]


# --------------------------------------------------------------------------- hostile and broken files
def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _reason(path: Path) -> SaidaoError:
    with pytest.raises(SaidaoError) as info:
        read(path)
    return info.value


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    members = _members(write_ofd(_two_pages()))
    members["Doc_0/Res/padding.bin"] = b"\0" * (5 * 1024 * 1024)  # inflates ~1000×
    err = _reason(_write(tmp_path, "bomb.ofd", _zip(members)))
    assert err.reason == "zip_bomb" and "压缩炸弹" in err.message_zh


def test_a_truncated_container_is_corrupt(tmp_path: Path) -> None:
    data = write_ofd(_two_pages())
    err = _reason(_write(tmp_path, "cut.ofd", data[: len(data) // 2]))
    assert err.reason == "corrupt" and "文件已损坏" in err.message_zh


def test_missing_parts_have_chinese_reasons(tmp_path: Path) -> None:
    members = _members(write_ofd(_two_pages()))
    no_document = {k: v for k, v in members.items() if k != "Doc_0/Document.xml"}
    err = _reason(_write(tmp_path, "nodoc.ofd", _zip(no_document)))
    assert err.reason == "corrupt" and "OFD 缺少 Document.xml" in err.message_zh
    no_page = {k: v for k, v in members.items() if k != "Doc_0/Pages/Page_1/Content.xml"}
    doc = read(_write(tmp_path, "nopage.ofd", _zip(no_page)))
    assert doc.status == "partial" and "第 2 页内容缺失" in doc.problems[0]
    # and staff are told: the page is marked, and extraction puts it before a person
    from saidao.extractors.extract import unread_content

    assert [p.unread for p in doc.pages] == [None, "页面内容缺失或无法解析"]
    assert [p["code"] for p in unread_content(doc)] == ["page_unread"]
    broken = {**members, "Doc_0/Pages/Page_0/Content.xml": b"\x00\x01 not XML"}
    torn = read(_write(tmp_path, "broken.ofd", _zip(broken)))
    assert any("已损坏，未能读取" in what for what in torn.unread)
    assert torn.pages[0].unread and not torn.pages[1].unread
    assert "一、总体要求" in doc.text and len(doc.pages) == 2
    no_pages = dict(members, **{"Doc_0/Document.xml": members["Doc_0/Document.xml"].replace(
        b"<ofd:Page ID", b"<ofd:Missing ID")})
    err = _reason(_write(tmp_path, "nopages.ofd", _zip(no_pages)))
    assert err.reason == "corrupt" and "没有页面" in err.message_zh
    garbage = dict(members, **{"Doc_0/Document.xml": b"\x00\x01 not xml at all"})
    err = _reason(_write(tmp_path, "garbage.ofd", _zip(garbage)))
    assert err.reason == "corrupt" and "Document.xml" in err.message_zh


def test_entities_are_not_expanded_and_broken_xml_is_recovered(tmp_path: Path) -> None:
    members = _members(write_ofd(_two_pages()))
    page = members["Doc_0/Pages/Page_0/Content.xml"].decode()
    laughs = ('<!DOCTYPE ofd:Page [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>")
    bomb = page.replace("?>\n", "?>\n" + laughs, 1).replace("一、总体要求", "&j;")
    members["Doc_0/Pages/Page_0/Content.xml"] = bomb.encode()
    members["Doc_0/Pages/Page_1/Content.xml"] = members["Doc_0/Pages/Page_1/Content.xml"][:-40]  # cut off
    doc = read(_write(tmp_path, "laughs.ofd", _zip(members)))
    assert "哈哈哈哈" not in doc.text and len(doc.text) < 500
    assert "关于支持高新区发展的通知" in doc.text


def test_external_entities_are_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容不应出现", encoding="utf-8")
    members = _members(write_ofd(_two_pages()))
    page = members["Doc_0/Pages/Page_0/Content.xml"].decode()
    page = page.replace("?>\n", f'?>\n<!DOCTYPE ofd:Page [<!ENTITY x SYSTEM "file://{secret}">]>', 1)
    members["Doc_0/Pages/Page_0/Content.xml"] = page.replace("一、总体要求", "&x;").encode()
    doc = read(_write(tmp_path, "xxe.ofd", _zip(members)))
    assert "机密" not in doc.text and "关于支持高新区发展的通知" in doc.text
    html = f'<!DOCTYPE html [<!ENTITY x SYSTEM "file://{secret}">]><html><body><p>正文&x;</p></body></html>'
    page_doc = read(_write(tmp_path, "xxe.html", html.encode()))
    assert "机密" not in page_doc.text and "正文" in page_doc.text


def test_too_many_pages_is_refused(tmp_path: Path) -> None:
    from saidao.settings import ReadSettings

    path = _write(tmp_path, "many.ofd", write_ofd([Page(texts=[Text(30, 40, f"第{n}页", 5)]) for n in range(5)]))
    with pytest.raises(SaidaoError) as info:
        read(path, ReadSettings(max_pages=3))
    assert info.value.reason == "too_many_pages"


# --------------------------------------------------------------------------- the seeds, as OFD
def _clauses(path: Path) -> list[tuple[str, str]]:
    return [(c["id"].split(":", 1)[1], c["text"]) for c in extract_file(path, kind="policy")["clauses"]]


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.stem[:3])
def test_seed_policies_as_ofd_give_the_docx_clauses(tmp_path: Path, seed: Path) -> None:
    """Clause ids equal, texts equal up to line breaks: where the seed's own text breaks a
    sentence into two paragraphs (the .docx keeps that break, which the extractor's line
    repair joins), the OFD shows a real paragraph end with an indent after it."""
    docx = FORMS / f"{seed.stem}.docx"
    if not docx.exists():
        pytest.skip("policy .docx fixtures not generated")
    expected = _clauses(docx)
    blocks = pf.seed_blocks(seed.read_text(encoding="utf-8"), mend=True)
    for name, style in (("a.ofd", None), ("b.ofd", Style(g_shorthand=True, ctm_scale=0.25))):
        got = _clauses(_write(tmp_path, name, pf.to_ofd(blocks, style=style)))
        assert [i for i, _ in got] == [i for i, _ in expected], name
        assert [t.replace("\n", "") for _, t in got] == [t.replace("\n", "") for _, t in expected], name


# --------------------------------------------------------------------------- real files
REAL = FIXTURES / "ofd_real"  # two files from the ofdrw project's tests (see its README.md)


def test_a_real_gongwen_with_a_seal() -> None:
    doc = read(REAL / "gongwen_pifu.ofd")
    assert doc.status == "success" and [(round(p.width), round(p.height)) for p in doc.pages] == [(595, 842)] * 2
    texts = [b.text for b in doc.paragraphs]
    assert texts[:4] == ["测试符路桥区卫生局文件", "路卫发〔2011〕76号", "关于同意张阿三同志辞职的批复", "区中医院："]
    assert "你院《关于给张阿三同志辞职的请示》（路中医发〔2011〕10号）收悉。" in texts  # wrapped lines joined
    assert texts[-3:-1] == ["2011年3月10日", "测试符路桥区卫生局办公室 2011年3月10日印发"]
    assert [b.provenance.page for b in doc.paragraphs if b.text.startswith("2011年3月10日")] == [2]
    # the electronic seal (Signatures → StampAnnot) sits on page 2 over the signing office
    assert doc.pages[0].seals == []
    (seal,) = doc.pages[1].seals
    assert seal == pytest.approx((122.94 * MM, 37.0 * MM, 155.94 * MM, 70.0 * MM))
    office = next(b for b in doc.paragraphs if b.text == "测试符路桥区卫生局办公室")
    assert office.provenance.bbox[1] < seal[3] and office.provenance.bbox[3] > seal[1]


def test_a_real_essay_runs_over_the_page_break() -> None:
    doc = read(REAL / "nalaizhuyi.ofd")
    texts = [b.text for b in doc.paragraphs]
    assert texts[:2] == ["拿来主义", "鲁迅"]
    running = next(b for b in doc.paragraphs if b.text.startswith("譬如罢"))
    assert "怕给他的东西染污了" in running.text and {ln.provenance.page for ln in running.lines} == {1, 2}
    assert texts[-1].endswith("文艺不能自成为新文艺。")


# --------------------------------------------------------------------------- the commands
def test_read_and_ingest_commands_take_web_pages_and_ofd(tmp_path: Path) -> None:
    """``saidao read --json`` shows the model; ``saidao ingest`` walks a folder and a zip."""
    import json

    from typer.testing import CliRunner

    from saidao.cli import app

    blocks = pf.seed_blocks((SEEDS / "003_c4eb0391d8a3dfe8.txt").read_text(encoding="utf-8"))
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    _write(folder, "policy.ofd", pf.to_ofd(blocks))
    _write(folder / "sub", "page.htm", pf.to_html_bytes(blocks, layout="county", encoding="gb2312"))
    other = pf.seed_blocks((SEEDS / "004_77c083acec178a4c.txt").read_text(encoding="utf-8"))
    _write(folder / "sub", "saved.mhtml", pf.to_mhtml(other))
    with zipfile.ZipFile(folder / "batch.zip", "w") as zf:
        zf.writestr("inner/other.ofd", pf.to_ofd(other))

    result = CliRunner().invoke(app, ["read", str(folder / "policy.ofd"), str(folder / "sub"), "--json"])
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)["documents"]
    assert sorted(d["format"] for d in docs) == ["html", "mhtml", "ofd"]
    ofd = next(d for d in docs if d["format"] == "ofd")
    assert len(ofd["pages"]) > 1 and ofd["blocks"][0]["provenance"]["bbox"]
    html = next(d for d in docs if d["format"] == "html")
    assert {b["chrome"] for b in html["headers"]} >= {"page_title", "banner", "nav"}
    assert all(not b["chrome"] for b in html["blocks"])

    result = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(tmp_path / "t.db"), "--no-ocr",
                                      "--kind", "policy", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["counts"]["failed"] == 0 and summary["counts"]["imported"] == 4
    assert {f["kind"] for f in summary["files"]} == {"policy"}
    imported = sorted(f["path"].split(str(folder))[-1] for f in summary["files"] if f["outcome"] == "imported")
    assert imported == ["/batch.zip!inner/other.ofd", "/policy.ofd", "/sub/page.htm", "/sub/saved.mhtml"]


def test_damaged_parts_never_raise_anything_but_a_reason(tmp_path: Path) -> None:
    """Fuzzed XML parts (cuts, stray markup, NaN boxes, zero CTMs, huge g-counts)."""
    import random

    from saidao.ingest.readers.ofd import read_ofd
    from saidao.settings import DEFAULT

    rng = random.Random(5)
    members = _members(pf.to_ofd([{"kind": "title", "text": "关于支持高新区发展的通知"},
                                  {"kind": "para", "text": "为贯彻落实自治区部署，现就有关事项通知如下。" * 3},
                                  {"kind": "table", "rows": [["序号", "事项"], ["1", "研发补助"]]}]))
    stray = [b"<", b">", b"&", b"\x00", b'"', b' X="1e309"', b' DeltaX="g 99999999999 1"',
             b' CTM="0 0 0 0 0 0"', b' Boundary="nan nan 1 1"', b"<ofd:PageBlock>"]
    path = tmp_path / "fuzz.ofd"
    for _ in range(80):
        damaged = dict(members)
        name = rng.choice(sorted(damaged))
        data = bytearray(damaged[name])
        for _ in range(rng.randint(1, 20)):
            i = rng.randrange(len(data))
            if rng.random() < 0.5:
                del data[i:i + rng.randint(1, 40)]
            else:
                data[i:i] = rng.choice(stray)
        damaged[name] = bytes(data)
        path.write_bytes(_zip(damaged))
        try:
            read_ofd(path, "", DEFAULT)
        except SaidaoError as err:
            assert err.message_zh

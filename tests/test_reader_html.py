"""The web-page reader (.html/.htm/.mhtml): what was written is what is read.

Pages are rendered by ``tests/fixtures/policy_forms.py`` in three portal
layouts modelled on real government sites (div layout with the 信息公开 table,
a 内蒙古-style page with full-width indents, an old county site in nested
tables served as GB2312) and as a plain page, plus hand-written markup for the
awkward cases (spans, broken markup, encodings, hostile input).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from saidao.document import Document, Paragraph
from saidao.errors import SaidaoError
from saidao.ingest.detect import sniff
from saidao.ingest.extract import extract_file
from saidao.ingest.read import read

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

import policy_forms as pf  # noqa: E402

SEEDS = Path(__file__).parent / "refdata" / "seeds"
FORMS = FIXTURES / "policies"

TITLE = "呼和浩特市人民政府关于印发促进科技创新若干措施的通知"
INFO = {"索引号": "11150100011527405A/2023-00123", "主题分类": "科技", "发文机关": "呼和浩特市人民政府",
        "成文日期": "2023年02月08日", "标题": TITLE, "发文字号": "呼政发〔2023〕3号",
        "发布日期": "2023年02月10日", "有效性": "有效"}
BLOCKS = [
    {"kind": "chrome", "text": "呼和浩特市人民政府"},
    {"kind": "chrome", "text": "当前位置：首页 > 政务公开 > 政策文件"},
    {"kind": "info", "fields": INFO},
    {"kind": "title", "text": TITLE},
    {"kind": "chrome", "text": "来源：呼和浩特市科技局 点击：1234"},
    {"kind": "para", "text": "各旗、县、区人民政府，市各委、办、局："},
    {"kind": "heading", "text": "一、总体要求"},
    {"kind": "para", "text": "（一）指导思想。以习近平新时代中国特色社会主义思想为指导。\n（二）基本原则。坚持创新驱动。"},
    {"kind": "para", "text": "对认定的国家级平台给予100万元奖励，对自治区级平台给予 50 万元奖励。"},
    {"kind": "table", "rows": [["序号", "事项", "金额（万元）"], ["1", "研发投入后补助", "100"],
                               ["2", "平台建设", "50"]]},
    {"kind": "signature", "text": "呼和浩特市人民政府\n2023年2月8日"},
    {"kind": "chrome", "text": "【打印本页】 【关闭窗口】"},
    {"kind": "chrome", "text": "主办单位：呼和浩特市人民政府办公室 网站标识码：1501000001"},
]
CONTENT_LINES = ["各旗、县、区人民政府，市各委、办、局：", "一、总体要求",
                 "（一）指导思想。以习近平新时代中国特色社会主义思想为指导。", "（二）基本原则。坚持创新驱动。",
                 "对认定的国家级平台给予100万元奖励，对自治区级平台给予 50 万元奖励。",
                 "呼和浩特市人民政府", "2023年2月8日"]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _lines(blocks: list) -> list[str]:
    return [ln.text for b in blocks if isinstance(b, Paragraph) for ln in b.lines]


def _chrome_text(doc: Document) -> str:
    return "\n".join(b.text for b in doc.headers + doc.footers)


LAYOUTS = [("govcn", "utf-8"), ("nmg", "utf-8"), ("county", "gb2312")]


@pytest.mark.parametrize(("layout", "encoding"), LAYOUTS)
def test_portal_layouts_read_back_as_written(tmp_path: Path, layout: str, encoding: str) -> None:
    path = _write(tmp_path, f"{layout}.html", pf.to_html_bytes(BLOCKS, layout=layout, encoding=encoding))
    doc = read(path)
    assert doc.format == "html" and [p.number for p in doc.pages] == [1]
    body = _lines(doc.blocks)
    # after the title: every content line in order, and nothing else but the 来源 line
    after = body[body.index(TITLE) + 1:]
    assert [x for x in after if x in CONTENT_LINES] == CONTENT_LINES
    assert [x for x in after if x not in CONTENT_LINES] in ([], ["来源：呼和浩特市科技局 点击：1234"])
    tables = doc.tables
    assert tables[-1].grid() == BLOCKS[9]["rows"]
    info = tables[0].grid()
    flat = [cell for row in info for cell in row]
    for label, value in INFO.items():
        assert value in flat
        assert any(cell.replace("\u3000", "").replace(" ", "").startswith(label) for cell in flat)
    # the title row of the info table spans the whole width
    title_cell = next(c for c in tables[0].cells if c.text == TITLE)
    assert title_cell.col == 1 and title_cell.col + title_cell.col_span == tables[0].n_cols
    # chrome recognised from the page structure is kept aside, in order, with its kind
    chrome = _chrome_text(doc)
    for text in ("当前位置：首页 > 政务公开 > 政策文件", "【打印本页】", "网站标识码：1501000001"):
        assert text in chrome
        assert not any(text in line for line in body)
    kinds = {b.chrome for b in doc.headers + doc.footers}
    assert {"page_title", "banner", "breadcrumb", "print", "footer"} <= kinds
    assert all(b.chrome for b in doc.headers + doc.footers)
    assert not any(b.chrome for b in doc.blocks)
    assert doc.headers[0].chrome == "page_title" and doc.footers[-1].chrome == "footer"


def test_source_line_is_chrome_where_the_page_names_it(tmp_path: Path) -> None:
    """nmg's ``detail_source`` names the 来源 line; gov.cn's ``pages-date`` does not (text rules' job)."""
    nmg = read(_write(tmp_path, "a.html", pf.to_html_bytes(BLOCKS, layout="nmg")))
    assert any(b.chrome == "source" and "来源" in b.text for b in nmg.headers)
    govcn = read(_write(tmp_path, "b.html", pf.to_html_bytes(BLOCKS, layout="govcn")))
    assert any("来源" in b.text for b in govcn.blocks)


def test_plain_page_keeps_everything_in_the_body(tmp_path: Path) -> None:
    doc = read(_write(tmp_path, "plain.htm", pf.to_html_bytes(BLOCKS, portal=False)))
    body = _lines(doc.blocks)
    assert body[:2] == ["呼和浩特市人民政府", "当前位置：首页 > 政务公开 > 政策文件"]  # in page order
    assert "索引号：11150100011527405A/2023-00123" in body and TITLE in body
    assert [x for x in body[body.index(TITLE) + 1:] if x in CONTENT_LINES] == CONTENT_LINES
    assert "【打印本页】 【关闭窗口】" in body  # nothing in the markup says it is chrome
    assert [b.chrome for b in doc.headers] == ["page_title"]


def test_headings_bold_lines_and_whitespace(tmp_path: Path) -> None:
    html = ("<html><body><h2>第一章　总则</h2>"
            "<p>&nbsp;&nbsp;&nbsp;&nbsp;<strong>强化创新平台建设。</strong>支持企业\n建设研发机构，"
            "每家 最高<br/>　　补助 10 万元。</p>"
            "<p>第一行<br>第二行<br><br>第三行</p>"
            '<div>勾选：<input type="checkbox" checked> 是 <input type="checkbox"> 否</div>'
            "<script>document.write('<p>脚本</p>')</script><style>.x{}</style><noscript>请开启脚本</noscript>"
            '<div style="display: none">隐藏的分享文字</div><p hidden>隐藏段落</p>'
            '<span style="visibility:hidden">看不见</span>'
            "</body></html>")
    doc = read(_write(tmp_path, "h.html", html.encode("utf-8")))
    first, second, third, boxes = doc.blocks
    assert first.text == "第一章　总则" and first.style == "Heading 2"
    # a source line break between two Chinese characters disappears; ASCII spaces collapse
    assert [ln.text for ln in second.lines] == ["强化创新平台建设。支持企业建设研发机构，每家 最高", "补助 10 万元。"]
    assert second.bold_prefix == "强化创新平台建设。"
    assert [ln.text for ln in third.lines] == ["第一行", "第二行", "第三行"]
    assert boxes.text == "勾选：☑ 是 ☐ 否"
    assert [(c.checked, c.label) for c in boxes.checkboxes] == [(True, "是"), (False, "否")]
    assert "脚本" not in doc.text and "请开启脚本" not in doc.text
    assert "隐藏" not in doc.text and "看不见" not in doc.text  # what a browser does not show


def test_table_spans_and_line_provenance(tmp_path: Path) -> None:
    html = """<html><body>
<table border="1">
<thead><tr><th rowspan="2">序号</th><th colspan="2">支持方式</th><th rowspan="0">备注</th></tr>
<tr><th>类别</th><th>金额</th></tr></thead>
<tbody><tr><td>1</td><td>研发<br>补助</td><td>10万元</td></tr>
<tr><td>2</td><td colspan="9999">另行制定</td></tr></tbody>
</table></body></html>"""
    doc = read(_write(tmp_path, "t.html", html.encode("utf-8")))
    (table,) = doc.tables
    spans = {(c.row, c.col): (c.row_span, c.col_span, c.text) for c in table.cells}
    assert spans[(0, 0)] == (2, 1, "序号")
    assert spans[(0, 1)] == (1, 2, "支持方式")
    assert spans[(0, 3)] == (4, 1, "备注")  # rowspan="0": to the end of the table
    assert spans[(1, 1)] == (1, 1, "类别") and spans[(1, 2)] == (1, 1, "金额")
    assert spans[(2, 1)] == (1, 1, "研发\n补助")
    assert spans[(3, 1)][2] == "另行制定" and spans[(3, 1)][1] <= 100  # a runaway colspan is capped
    assert table.header_rows == 1
    assert table.grid()[1] == ["序号", "类别", "金额", "备注"]
    assert table.provenance.line == 2 and table.provenance.table == 0
    cell = table.cell_at(2, 1)
    assert cell is not None and cell.provenance.cell == (2, 1) and cell.provenance.line == 5


def test_layout_tables_are_walked_not_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, "county.html", pf.to_html_bytes(BLOCKS, layout="county", encoding="gb2312"))
    doc = read(path)
    assert len(doc.tables) == 2  # the info table and the data table; the page frame is not a table
    assert doc.blocks[0].kind == "table" and TITLE in _lines(doc.blocks)


def test_misnamed_main_column_is_not_chrome(tmp_path: Path) -> None:
    body = "".join(f"<p>第{n}条 本办法所称科技创新平台，是指依法认定的研发机构和服务机构。</p>" for n in range(1, 12))
    html = f'<html><body><div id="nav"><a href="/">首页</a></div><div id="footer-wrap">{body}</div></body></html>'
    doc = read(_write(tmp_path, "m.html", html.encode("utf-8")))
    assert len(doc.paragraphs) == 11 and doc.paragraphs[0].text.startswith("第1条")
    assert [b.chrome for b in doc.headers] == ["nav"]


@pytest.mark.parametrize(("data", "expected"), [
    ("<meta charset='gb2312'><p>中文喆镕</p>".encode("gbk"), "中文喆镕"),  # GBK characters in a "GB2312" page
    ('<meta http-equiv="Content-Type" content="text/html; charset=GBK"><p>政策</p>'.encode("gbk"), "政策"),
    (b"\xef\xbb\xbf<html><body><p>" + "带BOM".encode() + b"</p></body></html>", "带BOM"),
    ("<meta charset='utf-8'><p>声明错了</p>".encode("gb18030"), "声明错了"),  # declaration does not fit
    ("<html><body><p>没有声明</p></body></html>".encode("gb18030"), "没有声明"),
    ('<?xml version="1.0" encoding="gb2312"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body><p>XHTML页面喆'
     "</p></body></html>".encode("gbk"), "XHTML页面喆"),
])
def test_charsets(tmp_path: Path, data: bytes, expected: str) -> None:
    doc = read(_write(tmp_path, "c.html", data))
    assert doc.paragraphs[0].text == expected


def test_damaged_bytes_are_replaced_and_said(tmp_path: Path) -> None:
    page = pf.to_html_bytes(BLOCKS, layout="county", encoding="gb2312")
    at = page.index("指导思想".encode("gbk"))
    damaged = page[:at] + b"\xff\x00" + page[at + 1:]  # half a character gone, a NUL in its place
    doc = read(_write(tmp_path, "damaged.htm", damaged))
    assert doc.status == "partial" and "无法按 gb18030 解码" in doc.problems[0]
    from saidao.extractors.extract import unread_content

    assert [p["code"] for p in unread_content(doc)] == ["content_unread"]
    assert "无法按 gb18030 编码识别" in unread_content(doc)[0]["message"]
    assert TITLE in _lines(doc.blocks) and "基本原则。坚持创新驱动。" in doc.text
    err = _reason(_write(tmp_path, "noise.html", b"<html><body><p>" + bytes(range(128, 256)) * 40 + b"</p>"))
    assert err.reason == "decode_failed" and "网页编码无法识别" in err.message_zh


def test_formats_are_sniffed_from_bytes(tmp_path: Path) -> None:
    html = _write(tmp_path, "page.txt", pf.to_html_bytes(BLOCKS))
    assert sniff(html) == "html"
    mhtml = _write(tmp_path, "page.bin", pf.to_mhtml(BLOCKS))
    assert sniff(mhtml) == "mhtml"
    text = _write(tmp_path, "policy.html", "第一条 这是纯文本。".encode())
    assert sniff(text) == "txt"
    assert read(html).format == "html" and read(mhtml).format == "mhtml"


def test_mhtml_reads_like_its_page(tmp_path: Path) -> None:
    page = read(_write(tmp_path, "p.html", pf.to_html_bytes(BLOCKS)))
    archive = read(_write(tmp_path, "p.mhtml", pf.to_mhtml(BLOCKS)))
    assert archive.format == "mhtml"
    assert _lines(archive.blocks) == _lines(page.blocks)
    assert [t.grid() for t in archive.tables] == [t.grid() for t in page.tables]
    assert [b.chrome for b in archive.headers] == [b.chrome for b in page.headers]


def test_internet_explorer_mht_in_gb2312_base64(tmp_path: Path) -> None:
    """IE's .mht: a non-ASCII From line, the page base64-encoded in GB2312, named by ``start``."""
    import base64

    page = "<html><head></head><body><p>第一条 为促进科技创新，制定本办法。</p></body></html>"
    body = base64.encodebytes(page.encode("gbk")).decode("ascii")
    mht = ("From: <由 Windows Internet Explorer 8 保存>\r\nSubject: 办法\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/related; type="text/html"; start="<main@x>"; boundary="=_NextPart_01"\r\n'
           "\r\n--=_NextPart_01\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n<p>别的框架</p>\r\n"
           "--=_NextPart_01\r\nContent-Type: text/html; charset=\"gb2312\"\r\nContent-ID: <main@x>\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n--=_NextPart_01--\r\n").encode("gbk")
    path = _write(tmp_path, "ie.mht", mht)
    assert sniff(path) == "mhtml"
    doc = read(path)
    assert [b.text for b in doc.blocks] == ["第一条 为促进科技创新，制定本办法。"]


# --------------------------------------------------------------------------- hostile input
def _reason(path: Path) -> SaidaoError:
    with pytest.raises(SaidaoError) as info:
        read(path)
    return info.value


def test_broken_markup_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    html = "<html><body><div><p>第一条 有效内容<table><tr><td>甲<td>乙<tr><td>丙</div></span></p><p>第二条 <b>未闭合"
    doc = read(_write(tmp_path, "broken.html", html.encode("utf-8")))
    assert "第一条 有效内容" in doc.text and "第二条 未闭合" in doc.text
    grid = doc.tables[0].grid()  # libxml2 keeps the unclosed table open: what follows lands in it
    assert grid[0] == ["甲", "乙"] and grid[1][0].startswith("丙")


def test_content_after_a_premature_html_end_tag_is_read(tmp_path: Path) -> None:
    """libxml2 stops at ``</html>``; browsers (and this reader) carry on into the body."""
    html = """<!DOCTYPE html>
<html><head><title>网络出版服务管理规定_中国政府网</title></head>
<body>
<div class="head"><a href="/">首页</a> | <a href="/en">EN</a></div>
</html>
<div class="article">
  <div class="pages_content" id="UCAP-CONTENT">
    <p>第一条 为了规范网络出版服务秩序，制定本规定。</p>
    <p>第二条 本规定自发布之日起施行。</p>
  </div>
</div>
<div class="footer">版权所有</div>
</body></html>
"""
    doc = read(_write(tmp_path, "premature.html", html.encode("utf-8")))
    assert [(b.text, b.provenance.line) for b in doc.blocks] == [
        ("第一条 为了规范网络出版服务秩序，制定本规定。", 8), ("第二条 本规定自发布之日起施行。", 9)]
    assert [(b.chrome, b.text) for b in doc.headers] == [
        ("page_title", "网络出版服务管理规定_中国政府网"), ("banner", "首页 | EN")]
    assert [(b.chrome, b.text) for b in doc.footers] == [("footer", "版权所有")]


def test_deep_nesting_and_entity_expansion_are_bounded(tmp_path: Path) -> None:
    # unclosed <font> per paragraph, as old editors leave them: 1800 levels are read in full
    fonts = "<html><body>" + "".join(f"<p><font>第{n}段" for n in range(900)) + "</body></html>"
    doc = read(_write(tmp_path, "fonts.html", fonts.encode("utf-8")))
    assert "第0段" in doc.text and "第899段" in doc.text and doc.status == "success"
    # past libxml2's 2048 levels the rest is cut off: said, not silent
    deep = "<html><body><p>前文</p>" + "<div><span>" * 50_000 + "深处" + "</span></div>" * 50_000 + "</body></html>"
    doc = read(_write(tmp_path, "deep.html", deep.encode("utf-8")))
    assert "前文" in doc.text and doc.status == "partial" and "嵌套超过 2048 层" in doc.problems[0]
    err = _reason(_write(tmp_path, "deeper.html", ("<html><body>" + "<div>" * 5000 + "深处").encode()))
    assert err.reason == "corrupt" and "嵌套超过 2048 层" in err.message_zh
    laughs = ('<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
              + ']><html><body><p>&j;</p><p>正文</p></body></html>')
    doc = read(_write(tmp_path, "laughs.html", laughs.encode("utf-8")))
    assert "正文" in doc.text and len(doc.text) < 1000


def test_too_many_elements_and_empty_pages_have_chinese_reasons(tmp_path: Path) -> None:
    err = _reason(_write(tmp_path, "many.html", ("<html><body>" + "<i>x</i>" * 600_000 + "</body></html>").encode()))
    assert err.reason == "too_large" and "网页元素超过" in err.message_zh
    err = _reason(_write(tmp_path, "blank.html", b"<html><head><title></title></head><body>  </body></html>"))
    assert err.reason == "empty" and "网页没有正文文字" in err.message_zh
    bad = _write(tmp_path, "bad.mhtml", b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n"
                 b"--b\r\nContent-Type: image/png\r\n\r\nxx\r\n--b--\r\n")
    err = _reason(bad)
    assert err.reason == "corrupt" and "MHTML 文件不含网页部分" in err.message_zh


# --------------------------------------------------------------------------- the seeds, as web pages
def _clauses(path: Path) -> list[tuple[str, str]]:
    return [(c["id"].split(":", 1)[1], c["text"]) for c in extract_file(path, kind="policy")["clauses"]]


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.stem[:3])
def test_seed_policies_as_web_pages_give_the_docx_clauses(tmp_path: Path, seed: Path) -> None:
    """Clause ids (path/number) and texts equal the .docx form's, in every page layout."""
    docx = FORMS / f"{seed.stem}.docx"
    if not docx.exists():
        pytest.skip("policy .docx fixtures not generated")
    expected = _clauses(docx)
    assert expected
    blocks = pf.seed_blocks(seed.read_text(encoding="utf-8"))
    forms = {
        "govcn.html": pf.to_html_bytes(blocks),
        "nmg.html": pf.to_html_bytes(blocks, layout="nmg"),
        "county.htm": pf.to_html_bytes(blocks, layout="county", encoding="gb2312"),
        "plain.html": pf.to_html_bytes(blocks, portal=False, bom=True),
        "page.mhtml": pf.to_mhtml(blocks),
    }
    for name, data in forms.items():
        assert _clauses(_write(tmp_path, name, data)) == expected, name


def _mutate(rng, data: bytes) -> bytes:
    """Random damage: cut runs, stray markup, huge spans, flipped bytes."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 30)):
        op, i = rng.random(), rng.randrange(len(out))
        if op < 0.4:
            del out[i:i + rng.randint(1, 50)]
        elif op < 0.7:
            out[i:i] = rng.choice([b"<", b">", b"</td>", b"<table>", b"&", b"\x00", b"<p", b'"',
                                   b" colspan=999999", b" rowspan=-3", b"</html>"])
        else:
            out[i] = rng.randrange(256)
    return bytes(out)


def test_damaged_pages_never_raise_anything_but_a_reason(tmp_path: Path) -> None:
    """Fuzzed portal pages: the reader itself (not read()'s safety net) reads or says why."""
    import random

    from saidao.ingest.readers.html import read_html
    from saidao.settings import DEFAULT

    rng = random.Random(11)
    path = tmp_path / "fuzz.html"
    for layout in ("govcn", "nmg", "county"):
        base = pf.to_html_bytes(BLOCKS, layout=layout)
        for _ in range(25):
            path.write_bytes(_mutate(rng, base))
            try:
                read_html(path, "", DEFAULT)
            except SaidaoError as err:
                assert err.message_zh

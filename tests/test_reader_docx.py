"""The .docx reader on small built cases (tests/fixtures/docx_cases/make.py)."""

from __future__ import annotations

import io
import json
import lzma
import re
import zipfile
import zlib
from pathlib import Path

import pytest

from saidao.document import Paragraph, Table
from saidao.errors import SaidaoError
from saidao.ingest.read import read
from saidao.ingest.readers.docx import (
    clear_caches,
    format_number,
    normalise_boxes,
    read_docx,
    scan_checkboxes,
)
from saidao.ingest.readers.docx_package import ContentCache, style_table, without_table_styles
from saidao.ingest.zipguard import is_unsafe_name, open_zip, safe_members
from saidao.settings import DEFAULT, ReadSettings

CASES = Path(__file__).parent / "fixtures" / "docx_cases"
DECLARATIONS = Path(__file__).parent / "fixtures" / "declarations"


def load(name: str):
    return read_docx(CASES / f"{name}.docx", "sha", DEFAULT)


def spans(table: Table) -> list[list[tuple[str, int, int, int, int]]]:
    return [[(c.text, c.row, c.col, c.row_span, c.col_span) for c in row] for row in table.rows()]


# -- structure ------------------------------------------------------------------


def test_body_order_interleaves_paragraphs_and_tables():
    doc = load("merged")
    assert [b.kind for b in doc.blocks] == ["paragraph", "table", "paragraph"]
    assert [b.text for b in doc.paragraphs] == ["前言", "后记"]
    assert [p.provenance.line for p in doc.paragraphs] == [1, 2]


def test_merged_cells_rows_and_grid():
    table = load("merged").tables[0]
    assert (table.n_rows, table.n_cols, table.header_rows) == (6, 4, 1)
    assert spans(table) == [
        [("序号", 0, 0, 1, 1), ("名称", 0, 1, 1, 2), ("备注", 0, 3, 1, 1)],
        [("1", 1, 0, 1, 1), ("甲", 1, 1, 3, 1), ("B1", 1, 2, 1, 1), ("x", 1, 3, 1, 1)],
        [("2", 2, 0, 1, 1), ("B2", 2, 2, 1, 1), ("y", 2, 3, 1, 1)],
        [("3", 3, 0, 1, 1), ("B3", 3, 2, 1, 1), ("z", 3, 3, 1, 1)],
        [("E", 4, 1, 1, 2), ("F", 4, 3, 1, 1)],  # gridBefore=1 skips column 0
        [("G", 5, 0, 1, 1), ("H", 5, 1, 1, 1), ("I", 5, 2, 1, 1)],  # gridAfter=1
    ]
    assert table.grid() == [
        ["序号", "名称", "名称", "备注"],
        ["1", "甲", "B1", "x"],
        ["2", "甲", "B2", "y"],
        ["3", "甲", "B3", "z"],
        ["", "E", "E", "F"],
        ["G", "H", "I", ""],
    ]
    assert table.grid(fill_merged=False)[2] == ["2", "", "B2", "y"]


def test_cell_provenance():
    doc = load("merged")
    table = doc.tables[0]
    cell = table.cell_at(3, 1)
    assert cell is not None and cell.text == "甲"
    prov = cell.provenance
    assert (prov.file, prov.table, prov.cell, prov.origin, prov.confidence) == (
        str(CASES / "merged.docx"), 0, (1, 1), "text", 1.0,
    )
    assert table.provenance.table == 0


def test_nested_table_kept_in_cell_blocks():
    table = load("nested").tables[0]
    outer = table.cell_at(1, 1)
    assert outer is not None
    assert outer.text == "外层\n甲 乙\n丙 丁"
    nested = [b for b in outer.blocks if isinstance(b, Table)]
    assert len(nested) == 1
    assert nested[0].grid() == [["甲", "乙"], ["丙", "丁"]]
    assert nested[0].cells[0].provenance.cell == (1, 1)  # points at the outer cell
    assert table.cell_at(0, 0).blocks == []


def test_inline_markup_revisions_text_boxes_and_wrappers():
    doc = load("inline")
    assert [b.text for b in doc.paragraphs] == [
        "保留插入",  # tracked insertion kept, deletion dropped
        "链接\t乙\n丙",  # hyperlink text, tab and line break
        "前文\n框内\n后文",  # text box read once (its VML fallback copy skipped)
        "☐否",  # w:sym in a Unicode font
        "控件内段落",  # paragraph inside a block-level content control
        "结尾",
    ]
    assert [p.provenance.line for p in doc.paragraphs] == [1, 2, 3, 4, 5, 6]
    assert [b.kind for b in doc.blocks][4:] == ["paragraph", "table", "paragraph"]
    table = doc.tables[0]  # no w:tblGrid; second row wrapped in a content control
    assert (table.n_rows, table.n_cols) == (2, 2)
    assert table.grid() == [["一", "二"], ["包", "装"]]


def test_list_numbers_rendered():
    texts = [p.text for p in load("numbered").paragraphs]
    assert texts == [
        "一、总体要求", "（一）指导思想", "（二）基本原则", "1.坚持创新", "2.坚持协调",
        "二、主要任务", "（一）强化平台",  # deeper levels restart under a new parent
        "1. 第一项", "2. 第二项",  # numbering inherited from the List Number style
    ]


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (11, "chineseCounting", "十一"), (20, "taiwaneseCountingThousand", "二十"),
        (105, "ideographDigital", "一〇五"), (3, "chineseLegalSimplified", "叁"),
        (2, "ideographTraditional", "乙"), (4, "upperRoman", "IV"), (28, "lowerLetter", "bb"),
        (3, "decimalEnclosedCircle", "③"), (7, "decimal", "7"), (5, "decimalFullWidth", "５"),
    ],
)
def test_format_number(value: int, fmt: str, shown: str):
    assert format_number(value, fmt) == shown


# -- checkboxes -----------------------------------------------------------------


def boxes(para: Paragraph) -> list[tuple[bool, str]]:
    return [(b.checked, b.label) for b in para.checkboxes]


def test_text_glyph_checkboxes_normalised():
    paras = load("checkboxes").paragraphs
    assert paras[0].text == "所属方向：☑传统产业转型升级 ☐新兴产业延伸 ☐未来产业验证熟化"
    assert boxes(paras[0]) == [(True, "传统产业转型升级"), (False, "新兴产业延伸"), (False, "未来产业验证熟化")]
    assert boxes(paras[1]) == [(True, "高新技术企业"), (True, "科技型中小企业"), (True, "专精特新"), (False, "其他")]
    assert [b.glyph for b in paras[1].checkboxes] == ["■", "☒", "⊠", "☐"]


def test_tick_before_label_and_ticked_box():
    paras = load("checkboxes").paragraphs
    assert boxes(paras[2]) == [(True, "新兴产业延伸"), (True, "传统产业"), (True, "未来产业")]
    assert paras[2].text == "☑新兴产业延伸 ☑传统产业 ☑未来产业"
    assert boxes(paras[3]) == [(True, "新兴产业"), (False, "传统产业")]
    assert paras[3].text == "☑新兴产业 ☐传统产业"


def test_symbol_font_checkboxes():
    para = load("checkboxes").paragraphs[4]
    assert boxes(para) == [
        (True, "甲"), (False, "乙"), (True, "丙"), (False, "丁"), (True, "戊"), (False, "己"),
    ]
    assert para.text == "☑甲☐乙☑丙☐丁☑戊☐己"
    assert para.checkboxes[4].glyph == "w:sym Wingdings 2 F052"
    typed = load("checkboxes").paragraphs[8]  # "R" in Wingdings 2, "¨" in Wingdings
    assert boxes(typed) == [(True, "选项一"), (False, "选项二")]


def test_content_control_and_form_field_checkboxes():
    paras = load("checkboxes").paragraphs
    assert boxes(paras[5]) == [(True, "同意"), (False, "不同意")]
    assert [b.glyph for b in paras[5].checkboxes] == ["w14:checkbox"] * 2
    assert paras[5].text == "☑同意☐不同意"
    assert boxes(paras[6]) == [(True, "是"), (False, "否")]
    assert paras[6].text == "☑是☐否"


def test_labels_before_boxes():
    para = load("checkboxes").paragraphs[7]
    assert boxes(para) == [(False, "是"), (True, "否")]


def test_checkboxes_in_table_cell():
    cell = load("checkboxes").tables[0].cell_at(0, 1)
    assert [(b.checked, b.label, b.provenance.cell) for b in cell.checkboxes] == [
        (True, "是", (0, 1)), (False, "否", (0, 1)),
    ]


def test_plain_text_box_helpers():
    assert normalise_boxes("□√是 ■否") == "☑是 ☑否"
    found = scan_checkboxes("类型：☐甲 ☑乙", None)  # type: ignore[arg-type]
    assert [(b.checked, b.label) for b in found] == [(False, "甲"), (True, "乙")]
    assert scan_checkboxes("没有方框", None) == []  # type: ignore[arg-type]


# -- styles, headers, pages -------------------------------------------------------


def test_headers_footers_kept_out_of_body():
    doc = load("headers")
    assert [b.text for b in doc.headers] == ["内蒙古自治区科学技术厅"]
    assert [b.text for b in doc.footers] == ["第 1 页"]
    assert "科学技术厅" not in doc.text and "第 1 页" not in doc.text


def test_style_bold_prefix_and_page_breaks():
    doc = load("headers")
    heading, lead, second = doc.paragraphs
    assert heading.style == "Heading 1"
    assert lead.style == "Normal"
    assert lead.bold_prefix == "强化创新平台建设。"
    assert lead.text == "强化创新平台建设。支持高新区建设重点实验室。"
    assert second.bold_prefix == ""
    assert len(doc.pages) == 2  # one explicit page break
    assert doc.pages[0].width > 500  # US letter / A4 width in points


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    ],
)
def test_macro_enabled_and_template_variants(tmp_path, content_type):
    path = tmp_path / "variant.docm"
    plain = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    with zipfile.ZipFile(CASES / "merged.docx") as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(plain.encode(), content_type.encode())
            dst.writestr(info, data)
    assert read(path).tables[0].grid() == load("merged").tables[0].grid()


# -- bad input ------------------------------------------------------------------------


def reason(path: Path, settings: ReadSettings = DEFAULT) -> str:
    with pytest.raises(SaidaoError) as info:
        read(path, settings)
    return info.value.reason


def test_empty_and_corrupt(tmp_path):
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    assert reason(empty) == "empty"
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50)
    assert reason(broken) == "corrupt"
    with pytest.raises(SaidaoError) as info:
        read_docx(broken, "sha", DEFAULT)
    assert info.value.reason == "corrupt"


def test_zip_without_word_part_is_corrupt_for_docx_reader(tmp_path):
    path = tmp_path / "book.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(SaidaoError) as info:
        read_docx(path, "sha", DEFAULT)
    assert info.value.reason == "corrupt"


def test_pdf_given_to_docx_reader_is_corrupt(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n")
    with pytest.raises(SaidaoError) as info:
        read_docx(path, "sha", DEFAULT)
    assert info.value.reason == "corrupt"


def bomb(path: Path, inflated: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b" " * inflated)


def test_zip_bomb_total_size(tmp_path):
    path = tmp_path / "bomb.docx"
    bomb(path, 200_000)
    assert path.stat().st_size < 5_000
    assert reason(path, DEFAULT.replace(max_unzipped_bytes=100_000)) == "zip_bomb"


def test_zip_bomb_ratio(tmp_path):
    path = tmp_path / "ratio.docx"
    bomb(path, 3 << 20)  # 3 MiB of spaces deflate ~1000x
    assert reason(path) == "zip_bomb"
    assert reason(path, DEFAULT.replace(max_compression_ratio=1e6)) == "corrupt"  # not XML


def test_safe_members_rejects_unsafe_paths(tmp_path):
    assert is_unsafe_name("../etc/passwd") and is_unsafe_name("/abs") and is_unsafe_name("C:\\x")
    assert is_unsafe_name("a\\..\\b") and not is_unsafe_name("word/document.xml")
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ok.txt", "fine")
        zf.writestr("../escape.txt", "bad")
    with open_zip(path) as zf, pytest.raises(SaidaoError) as info:
        list(safe_members(zf, DEFAULT))
    assert info.value.reason == "unsafe_path"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a/b.txt", "x")
        zf.writestr("a/", "")
    with zipfile.ZipFile(buffer) as zf:
        assert [i.filename for i in safe_members(zf, DEFAULT)] == ["a/b.txt"]


# -- the declaration fixtures (built by another generator), if present --------------


def gold_for(path: Path) -> dict:
    """The generator's ``*.gold.json`` for a declaration file, or skip the test."""
    gold_path = path.with_name(path.name.split(".")[0] + ".gold.json")
    if not gold_path.is_file():
        pytest.skip("no gold file")
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    if "tables" not in gold:
        pytest.skip("gold has no tables key")
    return gold


def check_against_gold(path: Path) -> None:
    """Tables as rows of distinct cell texts, and the form's checkbox states."""
    gold = gold_for(path)
    doc = read(path)
    assert [[[c.text for c in row] for row in t.rows()] for t in doc.tables] == gold["tables"]
    if isinstance(gold.get("checkboxes"), list):
        found = [
            {"label": box.label, "checked": box.checked}
            for table in doc.tables for cell in table.cells for box in cell.checkboxes
        ]
        assert found == gold["checkboxes"]


def _declarations(suffix: str) -> list[Path]:
    return sorted(DECLARATIONS.glob(f"*.{suffix}")) if DECLARATIONS.is_dir() else []


@pytest.mark.parametrize("path", _declarations("docx"), ids=lambda p: p.name)
def test_declaration_docx_matches_gold(path: Path):
    check_against_gold(path)


# -- the whole document model against a committed gold --------------------------------
#
# The gold holds ``Document.to_dict()`` of every .docx fixture, written by the reader
# before it was rewritten for speed (issue #5). Only keys present in the gold are
# compared, so a new field in the model does not break it; regenerate after an
# intended change with ``python3 tests/test_reader_docx.py --write-gold``.

POLICIES = Path(__file__).parent / "fixtures" / "policies"
MODEL_GOLD = CASES / "models.gold.json.xz"
MODEL_FIXTURES = [p for folder in (CASES, DECLARATIONS, POLICIES) for p in sorted(folder.glob("*.docx"))]


def _model(path: Path) -> dict:
    """``to_dict()`` as JSON would give it, the file's path replaced by ``<file>``."""
    data = json.loads(json.dumps(read_docx(path, "sha", DEFAULT).to_dict(), ensure_ascii=False))
    data.pop("timings", None)
    return _replace_path(data, str(path))


def _replace_path(value, shown: str):  # noqa: ANN001, ANN202 - any JSON value
    if isinstance(value, dict):
        return {k: _replace_path(v, shown) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_path(v, shown) for v in value]
    return "<file>" if value == shown else value


def _first_difference(expected, actual, where: str = "") -> str | None:  # noqa: ANN001
    """Where ``actual`` departs from ``expected`` (keys only in ``actual`` allowed), or None."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            if key not in actual:
                return f"{where}.{key}: missing"
            found = _first_difference(value, actual[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{where}: {len(actual)} items, gold has {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            found = _first_difference(e, a, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if expected == actual else f"{where}: {actual!r} != gold {expected!r}"


@pytest.fixture(scope="module")
def model_gold() -> dict:
    return json.loads(lzma.decompress(MODEL_GOLD.read_bytes()))


def test_model_gold_covers_every_fixture(model_gold: dict):
    assert len(MODEL_FIXTURES) >= 20
    assert sorted(model_gold) == sorted(f"{p.parent.name}/{p.name}" for p in MODEL_FIXTURES)


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
@pytest.mark.parametrize("path", MODEL_FIXTURES, ids=lambda p: p.name)
def test_document_model_matches_gold(path: Path, cold: bool, model_gold: dict):
    if cold:
        clear_caches()
    difference = _first_difference(model_gold[f"{path.parent.name}/{path.name}"], _model(path))
    assert difference is None, difference


def test_gold_comparison_notices_a_change(model_gold: dict):
    actual = _model(CASES / "merged.docx")
    actual["blocks"][1]["cells"][0]["text"] += "x"
    assert _first_difference(model_gold["docx_cases/merged.docx"], actual) == (
        ".blocks[1].cells[0].text: '序号x' != gold '序号'"
    )


def write_model_gold() -> None:
    models = {f"{p.parent.name}/{p.name}": _model(p) for p in MODEL_FIXTURES}
    text = json.dumps(models, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    MODEL_GOLD.write_bytes(lzma.compress(text.encode("utf-8")))


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write-gold"]:
        write_model_gold()


# -- the lazily read package ---------------------------------------------------------------

STYLES_HEAD = (
    b'<?xml version="1.0"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
)


def styles_xml(*styles: str) -> bytes:
    return STYLES_HEAD + "".join(styles).encode() + b"</w:styles>"


def test_table_styles_cut_before_parsing_and_nothing_else():
    para = '<w:style w:type="paragraph" w:styleId="T"><w:name w:val="Table Text"/></w:style>'
    table = '<w:style w:type="table" w:styleId="Grid"><w:tblPr/><w:rPr><w:b/></w:rPr></w:style>'
    empty = "<w:style w:styleId='E' w:type='table'/>"
    xml = styles_xml(para, table, empty)
    assert without_table_styles(xml) == styles_xml(para)
    other_prefix = xml.replace(b"xmlns:w=", b"xmlns:x=")  # any other spelling is left whole
    assert without_table_styles(other_prefix) == other_prefix


def test_style_table_follows_based_on_and_survives_a_cycle():
    table = style_table(styles_xml(
        '<w:style w:styleId="A"><w:basedOn w:val="B"/></w:style>',
        '<w:style w:styleId="B"><w:basedOn w:val="A"/><w:rPr><w:b/></w:rPr></w:style>',
        '<w:style w:styleId="C"><w:basedOn w:val="D"/></w:style>',
        '<w:style w:styleId="D"><w:basedOn w:val="C"/></w:style>',
        '<w:style w:type="numbering" w:styleId="N"><w:rPr><w:b/></w:rPr></w:style>',
        '<w:style w:styleId="L"><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="7"/></w:numPr></w:pPr></w:style>',
        '<w:style w:styleId="M"><w:basedOn w:val="L"/></w:style>',
    ))
    assert table.bold("A") and table.bold("B")
    assert not table.bold("C")  # a cycle without bold ends, not hangs
    assert not table.bold("N")  # numbering styles have no font
    assert not table.bold("missing") and not table.bold(None)
    assert table.list_numpr("M") == ("7", 1)
    assert table.list_numpr("A") == (None, None)


def test_style_table_names_and_default_as_python_docx_shows_them():
    table = style_table(styles_xml(
        '<w:style w:styleId="H1"><w:name w:val="heading 1"/></w:style>',
        '<w:style w:styleId="X"><w:name w:val="first"/><w:rPr><w:b/></w:rPr></w:style>',
        '<w:style w:styleId="X"><w:name w:val="second"/></w:style>',
        '<w:style w:styleId="U"/>',
        '<w:style w:type="paragraph" w:default="1" w:styleId="Body"><w:name w:val="Body"/></w:style>',
        '<w:style w:type="character" w:default="1" w:styleId="Font"><w:name w:val="Font"/></w:style>',
    ))
    assert table.name("H1") == "Heading 1"
    assert table.name("X") == "second" and table.bold("X")  # name from the last, properties from the first
    assert table.name("U") == "U" and table.name("nowhere") == "nowhere"
    assert (table.default_id, table.default_name) == ("Body", "Body")


def test_style_tables_cached_by_content():
    clear_caches()
    xml = styles_xml('<w:style w:styleId="A"><w:rPr><w:b/></w:rPr></w:style>')
    first = style_table(xml)
    assert style_table(bytes(bytearray(xml))) is first  # equal bytes, another object
    assert style_table(xml.replace(b"<w:b/>", b"<w:b w:val='0'/>")) is not first
    clear_caches()
    assert style_table(xml) is not first


def test_content_cache_compares_bytes_and_evicts_oldest():
    cache: ContentCache[int] = ContentCache(2, 1000)
    cache.put(b"one", 1)
    cache.put(b"two", 2)
    assert cache.get(b"one") == 1  # now the most recent
    cache.put(b"three", 3)
    assert (cache.get(b"one"), cache.get(b"two"), cache.get(b"three")) == (1, None, 3)
    cache._items[(3, zlib.crc32(b"six"))] = (b"one", 9)  # a forged key collision
    assert cache.get(b"six") is None


def test_content_cache_bounded_by_bytes():
    cache: ContentCache[int] = ContentCache(10, 100)
    assert cache.put(b"x" * 26, 1) == 1 and cache.get(b"x" * 26) is None  # over a quarter: not kept
    for n in range(5):
        cache.put(bytes([n]) * 25, n)
    assert cache.get(bytes([0]) * 25) is None  # the oldest made room
    assert [cache.get(bytes([n]) * 25) for n in range(1, 5)] == [1, 2, 3, 4]
    cache.put(bytes([4]) * 25, 40)  # replacing a value does not count its bytes twice
    assert cache.get(bytes([1]) * 25) == 1 and cache.get(bytes([4]) * 25) == 40


def rewrite_package(source: Path, target: Path, change) -> None:  # noqa: ANN001 - (name, bytes) -> bytes | None
    """Copy a package, passing each member through ``change`` (None drops the member)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info))
            if data is not None:
                dst.writestr(info, data)


def test_package_without_styles_uses_python_docx_defaults(tmp_path):
    path = tmp_path / "nostyles.docx"

    def drop_styles(name: str, data: bytes) -> bytes | None:
        if name == "word/styles.xml":
            return None
        if name == "word/_rels/document.xml.rels":
            return re.sub(rb'<Relationship [^>]*/styles" [^>]*/>', b"", data)
        return data

    rewrite_package(CASES / "headers.docx", path, drop_styles)
    doc = read_docx(path, "sha", DEFAULT)
    assert [p.text for p in doc.paragraphs] == [p.text for p in load("headers").paragraphs]
    assert doc.paragraphs[1].style == "Normal"  # python-docx's default sheet, as before


def test_main_part_that_is_not_word_is_corrupt(tmp_path):
    path = tmp_path / "sheet.docx"
    word = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    sheet = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    rewrite_package(CASES / "merged.docx", path,
                    lambda name, data: data.replace(word, sheet) if name == "[Content_Types].xml" else data)
    with pytest.raises(SaidaoError) as info:
        read_docx(path, "sha", DEFAULT)
    assert info.value.reason == "corrupt" and "content type" in info.value.detail


def test_missing_or_malformed_main_part_is_corrupt(tmp_path):
    renamed = tmp_path / "renamed.docx"  # the package points at a part that is not there
    rewrite_package(CASES / "merged.docx", renamed, lambda name, data: data.replace(
        b"word/document.xml", b"word/elsewhere.xml") if name in ("_rels/.rels", "[Content_Types].xml") else data)
    broken = tmp_path / "broken.docx"
    rewrite_package(CASES / "merged.docx", broken,
                    lambda name, data: data[:-40] if name == "word/document.xml" else data)
    for path, detail in ((renamed, "missing part"), (broken, "malformed XML")):
        with pytest.raises(SaidaoError) as info:
            read_docx(path, "sha", DEFAULT)
        assert info.value.reason == "corrupt" and detail in info.value.detail

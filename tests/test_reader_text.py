"""The .txt reader: encodings, one paragraph per line, tab runs as tables."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from saidao.document import Table
from saidao.errors import SaidaoError
from saidao.ingest.read import read
from saidao.ingest.readers.text import decode_bytes, read_text
from saidao.settings import DEFAULT

SEEDS = Path(__file__).resolve().parent / "refdata" / "seeds"
SAMPLE = "内蒙古自治区科学技术厅\n\n关于印发《新赛道培育方案》的通知\n序号\t企业名称\t统一信用代码\n1\t甲公司\t\n2\t乙公司\n结束\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("gb18030"), "gb18030"),
        (SAMPLE.encode("gbk"), "gb18030"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16"),
    ],
)
def test_encodings_decode_to_same_text(encoded: bytes, encoding: str):
    assert decode_bytes(encoded) == (SAMPLE, encoding, 0)


def test_damaged_utf8_is_not_misread_as_gb18030(tmp_path):
    data = ("高新区新赛道培育方案" * 20).encode() + b"\xff" + "结束".encode()
    decoded = decode_bytes(data)
    assert decoded.encoding == "utf-8" and decoded.replaced == 1
    assert decoded.text.startswith("高新区新赛道") and decoded.text.endswith("\ufffd结束")
    doc = read_text(write(tmp_path, "d.txt", data), "sha", DEFAULT)
    assert doc.problems == ["1 damaged UTF-8 sequence(s) replaced by U+FFFD"]
    few_chinese = ("plain ascii policy text " * 40 + "高新区").encode("gbk")
    assert decode_bytes(few_chinese) == (few_chinese.decode("gbk"), "gb18030", 0)


def test_lines_tables_and_provenance(tmp_path):
    path = write(tmp_path, "p.txt", SAMPLE.replace("\n", "\r\n").encode("gb18030"))
    doc = read_text(path, "sha", DEFAULT)
    assert doc.format == "txt" and len(doc.pages) == 1
    assert [b.kind for b in doc.blocks] == ["paragraph", "paragraph", "table", "paragraph"]
    assert [p.provenance.line for p in doc.paragraphs] == [1, 3, 7]  # blank line 2 dropped
    assert doc.paragraphs[1].text == "关于印发《新赛道培育方案》的通知"
    table = doc.tables[0]
    assert (table.n_rows, table.n_cols, table.provenance.line) == (3, 3, 4)
    assert table.grid() == [["序号", "企业名称", "统一信用代码"], ["1", "甲公司", ""], ["2", "乙公司", ""]]
    cell = table.cell_at(2, 1)
    assert (cell.provenance.line, cell.provenance.table, cell.provenance.cell) == (6, 0, (2, 1))


def test_text_is_kept_raw_and_boxes_reported(tmp_path):
    raw = " 业集群发展，（一）\u3000□甲 ☑乙\n\t缩进的一行\n"
    doc = read_text(write(tmp_path, "r.txt", raw.encode()), "sha", DEFAULT)
    assert [p.text for p in doc.paragraphs] == [" 业集群发展，（一）\u3000□甲 ☑乙", "\t缩进的一行"]
    assert not doc.tables  # a leading tab is indentation, not a table
    assert [(b.checked, b.label) for b in doc.paragraphs[0].checkboxes] == [(False, "甲"), (True, "乙")]


def test_undecodable_and_binary(tmp_path):
    with pytest.raises(SaidaoError) as info:
        decode_bytes(b"\xff\xfe\x00")  # UTF-16 BOM then a cut code unit
    assert info.value.reason == "decode_failed"
    with pytest.raises(SaidaoError) as info:
        decode_bytes(b"\x80\x81\xff\xfe\xfd" * 10)
    assert info.value.reason == "decode_failed"
    with pytest.raises(SaidaoError) as info:
        decode_bytes(b"abc\x01\x02\x03\x04\x05\x06\x07\x08")
    assert info.value.reason == "decode_failed"


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_seeds_read_without_error(seed: Path):
    doc = read(seed)
    assert doc.format == "txt" and len(doc.paragraphs) > 20
    assert all(p.provenance.line for p in doc.paragraphs)


def test_seed_000_declaration_form_is_a_table():
    # The brief says 002, but 002 has no tab at all; 000 carries the flattened 申报表.
    doc = read(next(SEEDS.glob("000_*.txt")))
    first = doc.tables[0]
    assert isinstance(first, Table)
    assert first.grid()[0][0] == "新赛道名称"
    assert [row[1] for row in first.grid()[2:8]] == [
        "单位名称", "通信地址", "联系人姓名", "所在部门", "固定电话", "传真",
    ]
    assert first.grid()[4][3] == "邮编"
    assert doc.tables[1].grid()[0] == ["序号", "企业名称", "统一信用代码"]
    seed_002 = next(SEEDS.glob("002_*.txt"))
    assert "\t" not in seed_002.read_text(encoding="utf-8")

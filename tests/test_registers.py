"""Registers of certified firms: reading lists by their headers, importing, matching."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from saidao.errors import SaidaoError
from saidao.index.db import connect
from saidao.index.dupes import Mention
from saidao.index.registers import (
    create_firm_tables,
    import_register,
    load_registers,
    read_register,
    register_matches,
)

MENGNIU = "91150100701465425Y"
YILI = "91150291701399333L"


def write_csv(path: Path, encoding: str = "utf-8-sig") -> Path:
    text = ("2024年内蒙古自治区高新技术企业名单,,\n"
            "序号,企业名称,统一社会信用代码\n"
            f"1,内蒙古蒙牛乳业（集团）股份有限公司,{MENGNIU}\n"
            f"2,包头伊利乳业有限责任公司,{YILI.replace('0', 'O', 1)}\n"
            ",,\n"
            "3,鄂尔多斯市鑫达商贸有限公司,\n")
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["专精特新“小巨人”企业名单"])
    sheet.append([])
    sheet.append(["信用代码", "序号", "单位名称", "所在盟市"])
    sheet.append([MENGNIU, 1, "内蒙古蒙牛乳业(集团)股份有限公司", "呼和浩特市"])
    book.save(path)
    return path


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_columns_found_by_header_and_codes_corrected(tmp_path: Path, encoding: str) -> None:
    rows = read_register(write_csv(tmp_path / "gq.csv", encoding))
    assert [r["name"] for r in rows] == ["内蒙古蒙牛乳业（集团）股份有限公司", "包头伊利乳业有限责任公司",
                                         "鄂尔多斯市鑫达商贸有限公司"]
    assert rows[1]["uscc"] == YILI  # the O read for 0 is repaired
    assert rows[2]["uscc"] is None


def test_xlsx_header_in_third_row_any_column_order(tmp_path: Path) -> None:
    [row] = read_register(write_xlsx(tmp_path / "xjr.xlsx"))
    assert row == {"row": 4, "name": "内蒙古蒙牛乳业(集团)股份有限公司", "uscc_printed": MENGNIU,
                   "uscc": MENGNIU}


def test_bad_files_raise_saidao_error(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "noheader.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    (tmp_path / "list.pdf").write_bytes(b"%PDF")
    reasons = {}
    for name in ("empty.csv", "noheader.csv", "broken.xlsx", "list.pdf", "missing.csv"):
        with pytest.raises(SaidaoError) as e:
            read_register(tmp_path / name)
        reasons[name] = e.value.reason
    assert reasons == {"empty.csv": "empty", "noheader.csv": "unknown_format",
                       "broken.xlsx": "corrupt", "list.pdf": "unknown_format",
                       "missing.csv": "not_found"}


def test_import_validates_type_and_replaces_on_reimport(tmp_path: Path) -> None:
    db = connect(tmp_path / "x.db")
    create_firm_tables(db)
    path = write_csv(tmp_path / "gq.csv")
    with pytest.raises(ValueError, match="名单类型"):
        import_register(db, path, "优秀企业")
    assert import_register(db, path, "高新技术企业", 2024) == 3
    assert import_register(db, path, "高新技术企业", 2024) == 3
    assert import_register(db, write_xlsx(tmp_path / "x.xlsx"), "专精特新小巨人") == 1
    assert len(load_registers(db)) == 4


def test_matching_code_first_then_name(tmp_path: Path) -> None:
    entries = read_register(write_csv(tmp_path / "gq.csv"))
    for e in entries:
        e["type"] = "高新技术企业"
    mentions = [
        Mention("1", 1, "蒙牛乳业集团股份有限公司", MENGNIU, MENGNIU),
        Mention("1", 2, "包头伊利乳业有限公司"),  # no code: by name
        Mention("2", 1, "包头市鑫达商贸有限公司"),  # another city: not the register's firm
        Mention("2", 2, "鑫达商贸有限公司", MENGNIU, MENGNIU),  # valid code of another firm
    ]
    hits = register_matches(mentions, entries)
    assert [(h["track_id"], h["seq"], h["evidence"]) for h in hits] == [
        ("1", 1, "信用代码一致"), ("1", 2, "名称规范化后相同"), ("2", 2, "信用代码一致")]

"""Registers and figures that are checked: every register row accounted for, figures in range,
the region's average growth entered once for every track."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from saidao.cli import app
from saidao.ingest.bulk import Options, ingest
from saidao.settings import ReadSettings

FORMS = Path(__file__).parent / "fixtures" / "forms"
#: Firms of the forms fixture's declaration (codes as printed there and valid).
HETAO = ("内蒙古河套酒业集团股份有限公司", "91150800117410003C")
WUHAI = ("乌海市神力新能源环保产业有限公司", "91150303756663277L")
YILI = "91150291701399333L"  # a valid code of a firm not in the declaration


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("checked")
    shutil.copy(FORMS / "declaration.docx", root / "declaration.docx")
    path = root / "idx.db"
    ingest([root / "declaration.docx"], path, Options(workers=1, settings=ReadSettings(ocr=False)))
    return path


def _run(args: list[str]):
    return CliRunner().invoke(app, args)


def test_register_import_reports_read_matched_repaired_rejected(db: Path, tmp_path: Path) -> None:
    register = tmp_path / "高新技术企业.csv"
    register.write_text(
        "2025年高新技术企业名单,,\n"
        "序号,企业名称,统一社会信用代码\n"
        f"1,{HETAO[0]},{HETAO[1].replace('0', 'O', 1)}\n"  # an O typed for a 0: repaired
        f"2,{WUHAI[0]},\n"  # no code: matched by name only
        "3,包头伊利乳业有限责任公司,91150291701399333X\n"  # wrong check char, two repairs: rejected
        f"4,包头伊利乳业有限责任公司,{YILI}\n",  # valid, not in any track
        encoding="utf-8")
    result = _run(["register", "import", str(register), "--type", "高新技术企业", "--year", "2025",
                   "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["read"] == 4
    assert report["loaded"] == 3
    assert report["matched"] == 2  # 河套 by its repaired code, 乌海 by name
    assert [r["row"] for r in report["repaired"]] == [3]
    assert report["repaired"][0]["uscc"] == HETAO[1]
    assert "已更正为 91150800117410003C" in report["repaired"][0]["reason"]
    assert [r["row"] for r in report["rejected"]] == [5]
    assert "无效且无法可靠更正" in report["rejected"][0]["reason"]
    assert [r["row"] for r in report["name_only"]] == [4]
    assert report["name_only"][0]["reason"] == "未填信用代码，仅按企业名称匹配"
    assert report["name_only_matched"] == 1

    text = _run(["register", "import", str(register), "--type", "高新技术企业", "--year", "2025",
                 "--db", str(db)])
    assert "读取 4 行" in text.output and "拒收 1 行" in text.output
    assert "仅按名称匹配" in text.output


def _track_id(db: Path) -> str:
    return str(json.loads(_run(["tracks", "--db", str(db), "--json"]).stdout)[0]["track_id"])


@pytest.mark.parametrize(("item", "range_zh"), [
    ("rd_intensity=300", "0% 至 100% 之间的数值"),
    ("rd_intensity=-1", "0% 至 100% 之间的数值"),
    ("invention_patents=2.5", "不小于 0 的整数"),
    ("invention_patents=-3", "不小于 0 的整数"),
    ("revenue_growth=1500", "-100% 至 1000% 之间的数值"),
])
def test_out_of_range_figures_are_refused_with_the_range(db: Path, item: str, range_zh: str) -> None:
    track = _track_id(db)
    result = _run(["track", track, "--set", "rd_intensity=3.5", "--set", item, "--db", str(db)])
    assert result.exit_code == 2
    assert "超出范围" in result.output and range_zh in result.output
    figures = json.loads(_run(["track", track, "--db", str(db), "--json"]).stdout)
    assert figures["eligibility"]["figures"].get("rd_intensity") is None  # nothing half-stored


def test_region_growth_is_entered_once_and_used_by_every_track(db: Path) -> None:
    track = _track_id(db)
    refused = _run(["track", track, "--set", "region_avg_growth=5", "--db", str(db)])
    assert refused.exit_code == 2 and "saidao region set" in refused.output
    assert _run(["region", "set", "region_avg_growth=2000", "--year", "2025",
                 "--db", str(db)]).exit_code == 2
    assert _run(["region", "set", "region_avg_growth=6.5", "--year", "2025",
                 "--db", str(db)]).exit_code == 0
    assert _run(["track", track, "--set", "revenue_growth=9", "--set", "rd_intensity=4",
                 "--db", str(db)]).exit_code == 0
    data = json.loads(_run(["track", track, "--db", str(db), "--json"]).stdout)
    growth = next(c for c in data["eligibility"]["conditions"] if c["key"] == "growth")
    assert growth["status"] == "满足"
    assert "全区2025年平均6.5%" in growth["reason"]
    listed = json.loads(_run(["region", "list", "--db", str(db), "--json"]).stdout)
    assert [(r["key"], r["year"], r["value"]) for r in listed] == [("region_avg_growth", 2025, 6.5)]

"""The CLI commands no other test ran: each over a small index, through ``saidao.cli.app``
as a user runs it (``test_architecture`` checks that every command has such a test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from saidao.cli import app

SAME = "91150291558112116R"


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture()
def db(index_of_tracks) -> str:
    return str(index_of_tracks([[("包头伊利乳业有限责任公司", SAME), ("甲科技有限公司", None)],
                                [("包头伊利乳业有限公司", SAME), ("乙科技有限公司", None)]]))


def group_ids(db: str) -> list[str]:
    return [g["group_id"] for g in json.loads(run("dupes", "--json", "--db", db))["groups"]]


def test_dupes_confirm_and_split(db: str) -> None:
    [group] = group_ids(db)
    assert "已确认" in run("dupes", "confirm", group, "--by", "王审核", "--db", db)
    [confirmed] = json.loads(run("dupes", "--json", "--db", db))["groups"]
    assert confirmed["confirmed"] and confirmed["confidence"] == 1.0
    assert "已拆分" in run("dupes", "split", group, "2", "--by", "王审核", "--db", db)
    assert group_ids(db) == []
    run("dupes", "confirm", "G-nothing", "--db", db, code=1)


def test_eligibility_and_links_of_a_track(db: str) -> None:
    out = run("eligibility", "1", "--db", db)
    assert "申报条件" in out
    data = json.loads(run("eligibility", "1", "--json", "--db", db))
    assert data["conditions"] and data["status"]
    assert json.loads(run("links", "1", "--json", "--db", db)) == {"track_id": 1, "links": []}
    run("links", "99", "--db", db, code=1)
    run("eligibility", "99", "--db", db, code=1)


def test_register_import(db: str, tmp_path: Path) -> None:
    register = tmp_path / "高企名单.csv"
    register.write_text("序号,企业名称,统一社会信用代码\n1,包头伊利乳业有限责任公司,"
                        f"{SAME}\n", encoding="utf-8-sig")
    out = run("register", "import", str(register), "--type", "高新技术企业", "--year", "2025",
              "--db", db)
    assert "读取 1 行，导入 1 行" in out.replace("\n", "")
    run("register", "import", str(register), "--type", "不存在的名单", "--db", db, code=2)


@pytest.mark.slow
def test_demo_without_ocr(tmp_path: Path) -> None:
    """The tour: every bundled policy and sample declaration, then a search and a zone."""
    db = tmp_path / "demo.db"
    out = run("demo", "--no-ocr", "--workers", "1", "--db", str(db), code=0)
    assert "导入汇总" in out and "检索" in out and db.exists()


def test_the_cli_shows_the_vocabulary(db: str) -> None:
    """Levels, statuses and outcomes come from ``saidao.vocab``, never as stored words."""
    from saidao.vocab import LEVEL_LABELS, OUTCOME_LABELS, USCC_FIX_LABELS, ZONE_STATUS_LABELS

    zones = run("zones")
    assert any(level in zones for level in LEVEL_LABELS.values())
    assert ZONE_STATUS_LABELS["existing"] in zones
    assert not any(word in zones for word in ("national", "region", "county", "existing"))
    report = run("report", "--db", db)
    assert OUTCOME_LABELS["imported"] in report and "imported" not in report
    codes = run("uscc", "9115010O701465425Y")
    assert USCC_FIX_LABELS["confusable"] in codes and "confusable" not in codes


def _ingest_params(*args: str) -> dict:
    """``saidao ingest``'s parameters as the command line gives them (parsed, nothing run)."""
    import typer

    command = typer.main.get_command(app).commands["ingest"]
    return command.make_context("ingest", list(args)).params


@pytest.mark.parametrize(("args", "ray", "paths"), [
    (["in", "--ray"], "local", ["in"]),  # bare, last: a Ray runtime on this machine
    (["--ray", "--no-ocr", "in"], "local", ["in"]),  # bare, before another option
    (["in", "--ray", "--", "--odd-name"], "local", ["in", "--odd-name"]),
    (["in", "--ray", "local"], "local", ["in"]),  # the same, spelt out
    (["in", "--ray", "auto"], "auto", ["in"]),
    (["in", "--ray", "10.0.0.5:6379"], "10.0.0.5:6379", ["in"]),
    (["in", "--ray=ray://head:10001"], "ray://head:10001", ["in"]),
    (["in", "--", "--ray"], None, ["in", "--ray"]),  # after --, a path named --ray
    (["in"], None, ["in"]),
])
def test_ingest_ray_takes_an_address_or_stands_alone(args: list[str], ray: str | None,
                                                      paths: list[str]) -> None:
    params = _ingest_params(*args)
    assert params["ray"] == ray
    assert [str(p) for p in params["paths"]] == paths


def test_ingest_ray_is_declared_without_typers_deprecated_flag_value() -> None:
    """typer warns it will remove ``flag_value`` (which the bare ``--ray`` used)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-W", "error:The 'is_flag' and 'flag_value':DeprecationWarning",
         "-c", "import saidao.cli"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]

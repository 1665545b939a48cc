"""Every kind of bad input gets one clear error with its reason; the run goes on.

The files are built by ``tests/fixtures/bad.py`` (see ``tests/fixtures/bad/README.md``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from saidao.cli import app
from saidao.errors import SaidaoError
from saidao.ingest.read import read

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from bad import EXPECTED  # noqa: E402

BAD = Path(__file__).parent / "fixtures" / "bad"
GOOD = Path(__file__).parent / "fixtures" / "declarations" / "decl_001.docx"
POLICY = Path(__file__).parent.parent / "corpus" / "policies"


@pytest.mark.parametrize(("name", "reason"), [(n, r) for n, (r, _) in EXPECTED.items()])
def test_each_bad_file_has_its_reason(name: str, reason: str) -> None:
    with pytest.raises(SaidaoError) as caught:
        read(BAD / name)
    error = caught.value
    assert error.reason == reason
    assert str(BAD / name) in error.message_zh and str(BAD / name) in error.message_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message_zh)


def test_read_a_mixed_folder_reads_the_good_and_lists_the_bad(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(BAD, folder)
    (folder / "README.md").unlink()
    shutil.copy(GOOD, folder / "good.docx")
    shutil.copy(next(POLICY.glob("001_*.txt")), folder / "policy.txt")
    result = CliRunner().invoke(app, ["read", str(folder), "--json", "--no-ocr"])
    assert result.exit_code == 1  # some inputs failed: the contract's exit status
    data = json.loads(result.stdout)
    assert sorted(Path(d["path"]).name for d in data["documents"]) == ["good.docx", "policy.txt"]
    reasons = {Path(e["path"]).name: e["reason"] for e in data["errors"]}
    assert reasons == {name: reason for name, (reason, _) in EXPECTED.items()}
    assert "Traceback" not in result.output


def test_extract_of_a_bad_file_is_a_clear_error_not_a_traceback() -> None:
    result = CliRunner().invoke(app, ["extract", str(BAD / "encrypted.pdf"), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["reason"] == "encrypted"
    assert "Traceback" not in result.output

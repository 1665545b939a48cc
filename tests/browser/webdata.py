"""Fixture documents and a small index for the web tests (fast: no OCR, few files)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import docx

from saidao.ingest.bulk import Options, ingest
from saidao.settings import ReadSettings

ROOT = Path(__file__).resolve().parents[2]
DECL = ROOT / "tests" / "fixtures" / "declarations"
POLICIES = sorted((ROOT / "corpus" / "policies").glob("*.txt"))
#: decl_001's first firm, its true code, and the misprint the renamed copy carries:
#: one character off, two repairs equally likely, so no automatic correction.
FIRM_CODE = "91150291558112116R"
MISPRINT = "91150291558112126R"
RENAMED = "包头市远洋燃气设备制造有限公司"
SCRIPT = "<script>alert(1)</script>"


def set_text(cell: docx.table._Cell, text: str) -> None:
    """Replace a cell's text, keeping its first run's formatting."""
    paragraph = cell.paragraphs[0]
    runs = paragraph.runs
    if runs:
        runs[0].text = text
        for run in runs[1:]:
            run.text = ""
    else:
        paragraph.add_run(text)
    for extra in cell.paragraphs[1:]:
        for run in extra.runs:
            run.text = ""


#: The renamed copy declares another track of the zone: with decl_001's own track name
#: it would be decl_001's second version, one track (issue 13), not a second track
#: sharing its firms.
OTHER_TRACK = "未来制造+[低空经济]"


def renamed_firm_declaration(path: Path) -> Path:
    """decl_001 again as another track, with its first firm renamed and its code misprinted."""
    document = docx.Document(str(DECL / "decl_001.docx"))
    for paragraph in document.paragraphs[:6]:
        if paragraph.text.startswith("新赛道名称："):
            for run in paragraph.runs:
                run.text = ""
            paragraph.runs[0].text = f"新赛道名称：{OTHER_TRACK}"
    set_text(document.tables[0].rows[0].cells[1], OTHER_TRACK)
    firms = document.tables[1]
    set_text(firms.rows[1].cells[1], RENAMED)
    set_text(firms.rows[1].cells[2], MISPRINT)
    document.save(str(path))
    return path


def script_declaration(path: Path) -> Path:
    """decl_002 with markup typed into a firm name, the unit address and a platform."""
    document = docx.Document(str(DECL / "decl_002.docx"))
    set_text(document.tables[0].rows[3].cells[2], f"呼和浩特市{SCRIPT}<b onclick=alert(2)>路</b>")
    set_text(document.tables[1].rows[1].cells[1], f"{SCRIPT}有限公司")
    set_text(document.tables[2].rows[1].cells[1], "<img src=x onerror=alert(3)>研发中心")
    document.save(str(path))
    return path


def fixture_files(folder: Path) -> list[Path]:
    """The declarations the web tests import (policies are added separately)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name in ("decl_001.docx", "decl_003.docx", "decl_024.pdf"):
        shutil.copy(DECL / name, folder / name)
        files.append(folder / name)
    files.append(renamed_firm_declaration(folder / "decl_001_renamed.docx"))
    return files


def build_index(db: Path, folder: Path) -> Path:
    """A small real index: a few declarations and the bundled policies, no OCR."""
    options = Options(workers=2, settings=ReadSettings(ocr=False))
    ingest([*fixture_files(folder), *POLICIES], db, options)
    return db


def wait_for_job(client: Any, job_url: str, limit: float) -> dict:
    """The state of a web import job (``JOB_URL.json``) once it is done or failed, polled
    through the test client; an AssertionError after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = client.get(job_url + ".json").json()
        if state["state"] in ("done", "error"):
            return state
        time.sleep(0.3)
    raise AssertionError("import did not finish")

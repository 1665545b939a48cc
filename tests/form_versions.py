"""Revised copies of the bundled declaration form, as staff bring a later version."""

from __future__ import annotations

import shutil
from pathlib import Path

FORMS = Path(__file__).parent / "fixtures" / "forms"


def later_version(path: Path) -> Path:
    """The forms declaration revised: filled a month later, its fifth firm replaced
    (禾晟 → 包头伊利乳业有限责任公司), saved at ``path``."""
    import docx

    document = docx.Document(str(FORMS / "declaration.docx"))
    for paragraph in document.paragraphs[:6]:
        if paragraph.text.startswith("填报时间："):
            for run in paragraph.runs:
                run.text = ""
            paragraph.runs[0].text = "填报时间：2026年6月2日"
    row = document.tables[1].rows[5].cells
    for cell, text in ((row[1], "包头伊利乳业有限责任公司"), (row[2], "91150291701399333L")):
        cell.paragraphs[0].runs[0].text = text
        for run in cell.paragraphs[0].runs[1:]:
            run.text = ""
    document.save(str(path))
    return path


def two_versions(folder: Path) -> tuple[Path, Path]:
    """Folders ``v1`` (the forms declaration as 申报表.docx) and ``v2`` (its later version as
    申报表（修改稿）.docx) under ``folder``, to import one after the other."""
    first, second = folder / "v1", folder / "v2"
    first.mkdir()
    second.mkdir()
    shutil.copy(FORMS / "declaration.docx", first / "申报表.docx")
    later_version(second / "申报表（修改稿）.docx")
    return first, second

"""A page whose OCR failed is never lost in silence (issue 12, found measuring speed).

A worker's OCR once failed on every page after its memory limit was reached, and
those pages were imported empty with nothing shown to staff. Now the document
model marks such a page (``PageInfo.unread``), the extraction gives a problem of
its own (``page_unread``) and the review queue holds it for a person.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from saidao.errors import SaidaoError
from saidao.index import review
from saidao.index.store import Index
from saidao.ingest import read
from saidao.ingest.bulk import Options, ingest
from saidao.ingest.readers import ocr

SCAN = Path(__file__).parent / "fixtures" / "declarations" / "decl_035.pdf"  # scanned pages


@pytest.fixture
def second_page_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ocr.ocr_page

    def failing(image, path=None, page_number=1, **kwargs):  # noqa: ANN001, ANN202
        if page_number == 2:
            raise SaidaoError("ocr_failed", path, "page 2: RuntimeError: [CPU] node can't alloc")
        return real(image, path=path, page_number=page_number, **kwargs)

    monkeypatch.setattr(ocr, "ocr_page", failing)


@pytest.mark.usefixtures("second_page_fails")
def test_a_page_whose_ocr_failed_is_marked_shown_and_put_before_a_person(tmp_path: Path) -> None:
    doc = read(SCAN)
    assert [p.unread for p in doc.pages][0] is None
    assert "文字识别失败" in (doc.pages[1].unread or "") and "can't alloc" in doc.pages[1].unread
    assert doc.status == "partial"
    assert "unread" not in doc.to_dict()["pages"][0]  # a page read whole: its JSON as before

    db = tmp_path / "i.db"
    summary = ingest([SCAN], db, Options(workers=1))
    assert summary.failed == 0  # the first page's values are kept
    with Index.open(db) as index:
        items = [i for i in review.queue(index) if i["field"] == "content"]
    assert len(items) == 1
    assert items[0]["field_label"] == "文件内容"
    assert items[0]["codes"] == ["page_unread"]
    assert items[0]["messages"][0].startswith("第2页未能读出（文字识别失败")


def test_every_page_read_gives_no_such_problem() -> None:
    from saidao.extractors.extract import unread_content

    assert unread_content(read(Path(__file__).parent / "fixtures" / "declarations" / "decl_002.docx")) == []


def test_an_inked_page_read_as_no_text_is_reported_and_a_blank_one_is_not(tmp_path: Path) -> None:
    """A page with ink all over but not one character read (a screenshot whose panels the
    layout took for a table, a drawing) is not a blank page: staff are told to look."""
    import numpy as np
    from PIL import Image, ImageDraw

    drawn = Image.new("RGB", (1200, 900), "white")
    pen = ImageDraw.Draw(drawn)
    for x in range(100, 1100, 40):  # hatching and circles: ink, no glyph
        pen.line([(x, 100), (x + 200, 800)], fill="black", width=5)
    for r in range(50, 400, 60):
        pen.ellipse([600 - r, 450 - r, 600 + r, 450 + r], outline="black", width=4)
    drawn.save(tmp_path / "drawing.png")
    Image.fromarray(np.full((900, 1200, 3), 250, np.uint8)).save(tmp_path / "blank.png")

    doc = read(tmp_path / "drawing.png")
    assert not doc.text.strip()
    assert doc.pages[0].unread == "页面有图文内容，但未能识别出任何文字"
    from saidao.extractors.extract import unread_content

    assert [p["code"] for p in unread_content(doc)] == ["page_unread"]
    assert read(tmp_path / "blank.png").pages[0].unread is None

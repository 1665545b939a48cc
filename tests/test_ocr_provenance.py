"""Per-character OCR confidences and the recogniser's reading, carried into the document model."""

from __future__ import annotations

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def ocr_drawn(rows: list[str]):
    """OCR a page with ``rows`` drawn one under another (30 px, 200 dpi)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from saidao.ingest.readers.ocr import ocr_page
    from saidao.settings import ReadSettings

    img = Image.new("RGB", (1400, 120 + 100 * len(rows)), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 30)
    for n, row in enumerate(rows):
        draw.text((100, 60 + 100 * n), row, font=font, fill="black")
    blocks, _ = ocr_page(np.asarray(img), path="drawn.png", page_number=1, points_per_pixel=72 / 200,
                         settings=ReadSettings())
    return blocks


def test_every_ocr_line_carries_its_characters_confidences() -> None:
    from saidao.document import Paragraph

    blocks = ocr_drawn(["我们常常研究研究人人都有的问题，星星之火", "联系电话0471-6668888，邮编010000"])
    lines = [tl for b in blocks if isinstance(b, Paragraph) for tl in b.lines]
    assert lines
    for tl in lines:
        confs = tl.provenance.char_confidences
        assert tl.provenance.origin == "ocr" and confs is not None and len(confs) == len(tl.text)
        assert all(0.0 < c <= 1.0 for c in confs)
        assert tl.provenance.confidence <= max(confs)
    text = "".join(tl.text for tl in lines)
    assert "常常研究研究人人" in text and "星星" in text and "010000" in text  # nothing undoubled
    assert all(tl.provenance.ocr_text is None for tl in lines)  # read as it came: no raw copy


def test_a_text_layer_documents_json_has_no_ocr_only_keys() -> None:
    from saidao.document import Document, Paragraph, Provenance, TextLine

    prov = Provenance("a.docx", line=1)
    doc = Document("a.docx", "0" * 64, "docx", blocks=[Paragraph("正文", prov, [TextLine("正文", prov)])])
    data = doc.to_dict()
    assert "char_confidences" not in data["blocks"][0]["provenance"]
    assert "ocr_text" not in data["blocks"][0]["lines"][0]["provenance"]
    ocr = Provenance("a.png", origin="ocr", confidence=0.9, char_confidences=[0.9, 0.95], ocr_text="正丈")
    data = Document("a.png", "0" * 64, "image", blocks=[Paragraph("正文", ocr)]).to_dict()
    assert data["blocks"][0]["provenance"]["char_confidences"] == [0.9, 0.95]
    assert data["blocks"][0]["provenance"]["ocr_text"] == "正丈"


def test_read_line_keeps_its_old_four_field_form() -> None:
    import numpy as np

    from saidao.ingest.readers.ocr_engine import ReadLine

    line = ReadLine(np.zeros((4, 2), np.float32), "正文", 0.9, [])
    assert line.char_confs == []

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


def test_a_code_like_line_carries_what_else_the_recogniser_saw_and_prose_does_not() -> None:
    from saidao.document import CHAR_ALTERNATIVE_FLOOR, Paragraph

    blocks = ocr_drawn(["我们常常研究研究人人都有的问题", "91150100701465425Y"])
    lines = {tl.text: tl.provenance for b in blocks if isinstance(b, Paragraph) for tl in b.lines}
    code = lines["91150100701465425Y"].char_alternatives
    assert code is not None and len(code) == 18
    for noted in code:
        assert len(noted) <= 4 and all(CHAR_ALTERNATIVE_FLOOR <= p < 0.5 for p in noted.values())
        assert not any(ch in noted for ch in "９１５０")  # a full-width twin is no alternative
    prose = next(p for t, p in lines.items() if t.startswith("我们"))
    assert prose.char_alternatives is None  # only code-like lines are weighed


def test_a_codes_alternatives_are_found_under_its_cells_spaces_and_widths() -> None:
    from saidao.document import Cell, Provenance, TextLine
    from saidao.extractors.declaration import code_alternatives

    def line(text: str, alts: list[dict[str, float]]) -> TextLine:
        return TextLine(text, Provenance("s.png", origin="ocr", char_alternatives=alts))

    read = "911522 01Q5056291７E"
    alts: list[dict[str, float]] = [{} for _ in read]
    alts[read.index("Q")] = {"0": 0.3, "q": 0.01}
    cell = Cell(0, 2, read, Provenance("s.png", origin="ocr"), lines=[line(read, alts)])
    found = code_alternatives(cell, "91152201Q50562917E")
    assert found is not None and len(found) == 18 and found[8] == {"0": 0.3, "q": 0.01}
    assert code_alternatives(cell, "91152201Q50562917F") is None  # not what the cell says
    plain = Cell(0, 2, read, Provenance("s.png", origin="ocr"), lines=[TextLine(read, Provenance("s.png"))])
    assert code_alternatives(plain, "91152201Q50562917E") is None
    # wrapped in its cell: the short second line carries no alternatives, so nothing is claimed
    head, tail = "91152201Q505629", "17E"
    wrapped = Cell(0, 2, head + "\n" + tail, Provenance("s.png", origin="ocr"),
                   lines=[line(head, [{} for _ in head]), TextLine(tail, Provenance("s.png", origin="ocr"))])
    assert code_alternatives(wrapped, "91152201Q50562917E") is None


def test_a_characters_alternatives_are_taken_over_every_column_it_fills() -> None:
    """CTC may emit one character over several columns; the true character can stand out in
    any of them (``ocr_engine.RunnersUp``): a 0 at 0.44 in a Q's second column is noted."""
    import numpy as np

    from saidao.ingest.readers.ocr_engine import RunnersUp

    chars = ["<blank>", *"0123456789Q"]

    class Decoder:  # rapidocr's CTCLabelDecode, as far as RunnersUp uses it
        character = chars

        def decode(self, *args, **kwargs):
            return [], []

    text = "91152201Q50562917"  # 17 characters, each in one column and a blank, the Q in two
    columns: list[int] = []
    for c in text:
        columns += [chars.index(c)] * (2 if c == "Q" else 1) + [0]
    second = columns.index(chars.index("Q")) + 1
    preds = np.zeros((1, len(columns), len(chars)), np.float32)
    for t, k in enumerate(columns):
        preds[0, t, k] = 1.0
    preds[0, second] = 0.0
    preds[0, second, chars.index("Q")], preds[0, second, chars.index("0")] = 0.56, 0.44
    noted = RunnersUp(Decoder())
    noted(preds, True)
    ((read, alts),) = noted.take()
    assert read == text and len(alts) == len(text)
    assert alts[8] == {"0": 0.44} and not any(alts[:8]) and not any(alts[9:])

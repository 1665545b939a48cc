"""What the OCR does to save time keeps its output (issue 12): detection normalised in
float32 finds the very boxes rapidocr's float64 normalisation finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from saidao.ingest.readers import ocr_engine

FORM = Path(__file__).parent / "fixtures" / "scan_cases" / "form.png"


def test_float32_normalisation_finds_the_same_boxes() -> None:
    engine = ocr_engine.Engine()
    assert engine.detector.mean.dtype == np.float32 and engine.detector.std.dtype == np.float32
    page = np.asarray(Image.open(FORM).convert("RGB"))
    fast = engine.detect(page)
    engine.detector.mean = engine.detector.mean.astype(np.float64)  # as rapidocr leaves it
    engine.detector.std = engine.detector.std.astype(np.float64)
    slow = engine.detect(page)
    assert len(fast) > 10
    assert len(fast) == len(slow)
    assert all(np.allclose(a, b, atol=1.0) for a, b in zip(fast, slow, strict=True))

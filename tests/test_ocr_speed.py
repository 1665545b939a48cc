"""What the OCR does to save time keeps its output (issue 12): detection normalised in
float32 finds the very boxes rapidocr's float64 normalisation finds; OpenVINO loads
without its telemetry."""

from __future__ import annotations

import subprocess
import sys
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


def test_loading_the_engine_sends_no_openvino_telemetry() -> None:
    """Importing OpenVINO's conversion tools sends a usage event over the network (and
    writes a client id in ~/intel); the engine loads without them. Fresh interpreter."""
    code = (
        "import sys, threading\n"
        "from saidao.ingest.readers import ocr_engine\n"
        "engine = ocr_engine.Engine()\n"
        "print(engine.kind, any('telemetry' in m for m in sys.modules), threading.active_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kind, telemetry, threads = out.stdout.split()[-3:]
    assert telemetry == "False" and threads == "1"
    assert kind in ("openvino", "onnxruntime")

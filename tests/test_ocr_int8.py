"""The int8 OCR recogniser (issue 12's speed target): committed beside ``ocr_engine``,
loaded with no network, reading a generated line; fp32 is the default and the fallback
when the int8 file is missing. Their speed and accuracy are measured in
``benchmarks/scans.py --precision int8 fp32``, not asserted here.
"""

from __future__ import annotations

import socket

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from saidao.ingest.readers import ocr_engine

pytest.importorskip("openvino")

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
#: a line of the kind the forms hold: a zone's name, digits, a credit code's letters
LINE = "包头稀土高新区2026年申报91150200MA0N7YQ52X"


def _line_image(text: str = LINE) -> np.ndarray:
    img = Image.new("RGB", (1300, 120), "white")
    ImageDraw.Draw(img).text((20, 35), text, font=ImageFont.truetype(FONT, 36), fill="black")
    return np.asarray(img)


@pytest.fixture
def offline(monkeypatch):
    """No model download and no socket: a load that reached for the network fails loudly."""
    from rapidocr.utils import download_file

    def refuse(*args, **kwargs):
        raise AssertionError("tried to reach the network")

    monkeypatch.setattr(download_file.DownloadFile, "run", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("SAIDAO_OCR_PRECISION", raising=False)


def test_int8_recogniser_ships_in_the_repository_and_reads_a_line_offline(offline):
    path = ocr_engine.int8_model_path("rec")
    assert path is not None and path.with_suffix(".bin").is_file()
    engine = ocr_engine.Engine("openvino", "cpu", "int8")  # a fresh one, not the process-wide engine
    assert engine.precision == "int8"
    assert engine.models["rec"] == ocr_engine.int8_model_path("rec")
    assert engine.models["rec"].parent.name == "models" and "rapidocr" not in str(engine.models["rec"])
    rgb = _line_image()
    (line,) = engine.read(rgb, engine.detect(rgb))
    assert line.text.replace(" ", "") == LINE
    assert len(line.char_xs) == len(line.text)  # CTC columns still give each character's place


def test_fp32_is_the_default_and_int8_is_chosen_by_setting_or_environment(offline, monkeypatch):
    assert ocr_engine.resolve_precision("auto", "openvino") == "fp32"
    assert ocr_engine.resolve_precision("int8", "openvino") == "int8"
    assert ocr_engine.resolve_precision("int8", "onnxruntime") == "fp32"  # the int8 file is OpenVINO IR
    monkeypatch.setenv("SAIDAO_OCR_PRECISION", "int8")
    assert ocr_engine.resolve_precision("auto", "openvino") == "int8"
    assert ocr_engine.resolve_precision("fp32", "openvino") == "fp32"  # an explicit setting wins
    with pytest.raises(ValueError):
        ocr_engine.resolve_precision("int4", "openvino")
    engine = ocr_engine.Engine("openvino", "cpu", "fp32")
    assert engine.models == {"det": ocr_engine.model_path(ocr_engine.DET_MODEL),
                             "rec": ocr_engine.model_path(ocr_engine.REC_MODEL)}


def test_a_missing_int8_file_falls_back_to_the_wheels_fp32_model(offline, monkeypatch, caplog):
    monkeypatch.setattr(ocr_engine, "INT8_MODELS", {"rec": "absent_rec.xml"})
    engine = ocr_engine.Engine("openvino", "cpu", "int8")
    assert engine.models["rec"] == ocr_engine.model_path(ocr_engine.REC_MODEL)
    assert engine.models["det"] == ocr_engine.model_path(ocr_engine.DET_MODEL)
    warnings = [r.getMessage() for r in caplog.records if r.name == ocr_engine.__name__]
    assert len(warnings) == 1 and "absent_rec.xml" in warnings[0]  # the detector is fp32 by design
    rgb = _line_image()
    (line,) = engine.read(rgb, engine.detect(rgb))
    assert line.text.replace(" ", "") == LINE

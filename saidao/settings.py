"""Reader settings in one place, pdfplumber-style: a dataclass of explicit knobs.

Pass a ``ReadSettings`` (or ``ReadSettings().replace(...)``) instead of flags
scattered through the readers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class ReadSettings:
    max_bytes: int = 200 * 1024 * 1024  # refuse files larger than this
    max_pages: int = 300  # refuse PDFs with more pages than this
    max_unzipped_bytes: int = 500 * 1024 * 1024  # .docx parts, uncompressed, in all
    max_compression_ratio: float = 200.0  # a .docx part inflating more than this is a bomb
    ocr: bool = True  # False: pages without a usable text layer stay empty, flagged
    ocr_dpi: int = 200  # render resolution for OCR of PDF pages
    ocr_engine: str = "auto"  # auto (OpenVINO on CPU when installed, else onnxruntime) | openvino | onnxruntime
    ocr_device: str = "auto"  # auto (a CUDA GPU when onnxruntime can use one) | cpu | cuda
    garbled_threshold: float = 0.15  # share of bad chars above which a text layer is garbled
    min_text_chars: int = 10  # fewer chars than this on a page: treat as no text layer
    suppress_seals: bool = True  # remove red seal pixels before OCR
    soffice_timeout: float = 120.0  # seconds for one LibreOffice conversion

    def replace(self, **changes) -> ReadSettings:
        return replace(self, **changes)


DEFAULT = ReadSettings()

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
    # auto (SAIDAO_OCR_PRECISION if set, else fp32) | int8 | fp32 (OpenVINO only; int8 falls
    # back to the wheel's fp32 model where its file is missing: ocr_engine.model_paths)
    ocr_precision: str = "auto"
    garbled_threshold: float = 0.15  # share of bad chars above which a text layer is garbled
    min_text_chars: int = 10  # fewer chars than this on a page: treat as no text layer
    suppress_seals: bool = True  # remove red seal pixels before OCR
    soffice_timeout: float = 120.0  # seconds for one LibreOffice conversion
    # resource limits that hold whatever a file claims (saidao.ingest.limits)
    max_stream_bytes: int = 128 * 1024 * 1024  # one PDF flate stream, inflated
    max_inflated_bytes: int = 512 * 1024 * 1024  # all of a PDF's flate streams, inflated
    max_render_pixels: int = 40_000_000  # one rendered page (A3 at 300 dpi is 17 Mpx)
    min_render_dpi: float = 100.0  # a page is rendered coarser to fit the budget, not below this
    max_image_pixels: int = 50_000_000  # one image frame (A4 at 600 dpi is 35 Mpx)
    # data limit per worker: a worker warm from many scans holds ~1.1 GB and OpenVINO
    # reserves more; a photo needing its flattening on top failed at 2 GiB in the demo
    worker_memory_bytes: int = 4 * 1024 * 1024 * 1024

    def replace(self, **changes) -> ReadSettings:
        return replace(self, **changes)


DEFAULT = ReadSettings()

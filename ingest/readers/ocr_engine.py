"""The text detector and recogniser, through rapidocr 3.x's public API, models from its wheel.

Why our own wrapper rather than ``RapidOCR()(page)``: the page pipeline
(``readers.ocr``) finds lines on a reduced copy, reads them from the full
page, leaves out what the layout already knows (ruling lines, seals, boxes)
and recognises all the lines of a page in width-sorted batches. So it uses
rapidocr's public detector and recogniser classes
(``rapidocr.ch_ppocr_det.TextDetector``, ``rapidocr.ch_ppocr_rec.TextRecognizer``)
configured from rapidocr's own ``config.yaml``, never a private step method.

Nothing is downloaded: every model path is given explicitly and must be a
file inside the installed ``rapidocr`` package (rapidocr would otherwise
fetch a missing model from the web on first use). Which models and engine
were chosen, and the measurements that chose them: ``docs/architecture.md``,
"OCR engine and models".
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from saidao.document import CHAR_ALTERNATIVE_FLOOR
from saidao.errors import SaidaoError

#: Inside the rapidocr 3.0–3.8 wheels (3.9 on ship PP-OCRv6 small, measured slower and less accurate) (see ``docs/architecture.md`` for the comparison).
DET_MODEL = "ch_PP-OCRv4_det_mobile.onnx"
REC_MODEL = "ch_PP-OCRv4_rec_mobile.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
#: Longest side the detector sees: lines are found on a copy this size and read
#: from the full page (the detector's cost grows with the area).
DETECT_SIDE = 1400
#: Crops recognised per inference call (width-sorted, so padding stays small).
REC_BATCH = 6
#: The narrowest input the recogniser is given, in pixels at its 48-pixel height.
#: rapidocr pads every batch to at least 320 (PaddleOCR's training width), so a
#: cell of two characters cost as much as a line of seven; a quarter of the
#: recogniser's input was padding. 160 reads scan set 2's first 10 files as well
#: (fields 99.3 %, CER 0.41 % against 0.43 %) at 7 % less recognition time
#: (measured side by side in one process); 96 and below lose fields (short cells
#: read without enough context: 97.9 %).
REC_MIN_WIDTH = 160
#: A batch's width is rounded up to a multiple of this. OpenVINO compiles kernels for
#: every input shape it meets (~56 ms each for the recogniser, measured: a third of an
#: inference), and exact widths made nearly every batch a new shape; rounded, a run's
#: batches repeat a few dozen shapes. 5 % more columns, 8–9 % less recognition CPU
#: (recorded batches of two forms replayed side by side in one process).
REC_WIDTH_STEP = 64
#: A mark read alone (``ocr._read_alone``) keeps rapidocr's 320: a lone ， on 160 pixels
#: was read as nothing, on 320 as ，.
REC_LONE_MARK_WIDTH = 320
#: The recogniser's input height (PP-OCRv4's).
REC_HEIGHT = 48
#: Input shapes whose compiled kernels OpenVINO's CPU plugin keeps (its default: 5,000).
#: Each new shape costs ~27 MB of address space and ~10 MB resident, and a recogniser
#: meets a new width on nearly every batch: with the default a worker grew by ~0.8 GB
#: of data segment a scanned form (1.5 → 5.2 GB over 6 files) until the worker's memory
#: limit made inferences fail. 30 shapes hold it at ~1.9 GB / ~1 GB resident at the
#: same speed (the pages' detection shapes repeat and stay cached; measured).
RUNTIME_CACHE_SHAPES = 30
#: Lines rapidocr scores below this are dropped, as its own pipeline does.
TEXT_SCORE = 0.5
#: int8 copies of the models, made by ``scripts/quantize_ocr.py`` and committed beside
#: this module (``models/README.md``: source, licence, how they were made). Only the
#: recogniser: the int8 detector saved no time in the pipeline and lost fields
#: (``scripts/quantize_ocr.py --which det`` still makes it, under ``INT8_DET``).
INT8_MODELS = {"rec": "ch_PP-OCRv4_rec_mobile_int8.xml"}
INT8_DET = "ch_PP-OCRv4_det_mobile_int8.xml"
PRECISIONS = ("auto", "int8", "fp32")


def models_dir() -> Path:
    """The model folder of the installed rapidocr wheel."""
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


def model_path(name: str) -> Path:
    """A model file from the wheel, or a clear failure: never a download.

    rapidocr 3.0–3.6 named the same files ``*_infer.onnx``, 3.8 ``*_mobile.onnx``.
    """
    folder = models_dir()
    for candidate in (name, name.replace("_mobile.onnx", "_infer.onnx")):
        if (folder / candidate).is_file():
            return folder / candidate
    raise SaidaoError("ocr_failed", str(folder / name), f"OCR model {name} missing from the rapidocr package")


def int8_model_path(which: str) -> Path | None:
    """The committed int8 model for ``which`` (``rec``), or None when it is absent or not made."""
    if which not in INT8_MODELS:
        return None
    path = Path(__file__).resolve().parent / "models" / INT8_MODELS[which]
    return path if path.is_file() else None


def resolve_precision(precision: str, kind: str) -> str:
    """``auto`` → ``SAIDAO_OCR_PRECISION`` if set, else fp32; always fp32 off OpenVINO.

    fp32 is the default because the int8 recogniser reads scan set 2 less well
    (``docs/architecture.md``, "int8 models, measured"); int8 is there for CPUs
    without bf16 units, where it runs at well under half of fp32's CPU time. The
    int8 models are OpenVINO IR, so onnxruntime (and with it a CUDA GPU) runs the
    wheel's fp32 models. int8 needs its model file: where one is missing that model
    runs in fp32 (``model_paths``), so a checkout or wheel without them still reads.
    """
    if precision == "auto":
        precision = os.environ.get("SAIDAO_OCR_PRECISION", "auto").strip().lower() or "auto"
    if precision not in PRECISIONS:
        raise ValueError(f"unknown OCR precision {precision!r}")
    if kind != "openvino":
        return "fp32"
    return "fp32" if precision == "auto" else precision


def model_paths(precision: str) -> dict[str, Path]:
    """The det and rec model files for ``precision``: int8 where one is made and its file
    exists (a warning where it is missing), else the wheel's fp32."""
    paths = {"det": model_path(DET_MODEL), "rec": model_path(REC_MODEL)}
    if precision != "int8":
        return paths
    for which in INT8_MODELS:
        fallback = paths[which]
        int8 = int8_model_path(which)
        if int8 is None:
            logging.getLogger(__name__).warning("int8 OCR model %s missing: %s runs in fp32",
                                                INT8_MODELS[which], which)
        paths[which] = int8 or fallback
    return paths


def cls_model_path() -> Path:
    return model_path(CLS_MODEL)


def threads() -> int:
    """Inference threads: ``SAIDAO_OCR_THREADS`` (the bulk import shares the cores out), else 1.

    One thread per process is the cheapest in CPU time (spinning pool threads
    burn cycles on a machine whose other cores are busy); a lone process on an
    idle machine may set more.
    """
    with contextlib.suppress(ValueError):
        return max(1, int(os.environ.get("SAIDAO_OCR_THREADS", "1")))
    return 1


#: OpenCV threads the page pipeline's image work runs on.
IMAGE_THREADS = 1


def share_cores() -> None:
    """Run OpenCV's image work (deskew, ruling lines, ink components) on one thread.

    OpenCV splits each call over a pool of one thread per core, and its pool
    threads spin between calls: a page's calls are many and short, so the pool
    bought no wall time (12.5 against 12.4 s for 6 pages, one process on an idle
    2-core machine) and burnt 0.2 CPU s a page besides — in a bulk import, time
    taken from the other worker's core. Set per process (a worker's pool is its
    own), idempotent and cheap, so every page may ask.
    """
    if cv2.getNumThreads() != IMAGE_THREADS:
        cv2.setNumThreads(IMAGE_THREADS)


def cuda_available() -> bool:
    """An NVIDIA GPU that onnxruntime can use (its CUDA provider is installed and loads)."""
    with contextlib.suppress(Exception):
        import onnxruntime

        return "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    return False


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` where a usable GPU is present, else ``cpu``; ``cuda`` without one → ``cpu``."""
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"unknown OCR device {device!r}")
    if device == "cpu":
        return "cpu"
    return "cuda" if cuda_available() else "cpu"


@dataclass(slots=True)
class ReadLine:
    """One recognised line: its quadrilateral in image pixels, text, score, per-character x spans
    and per-character confidences (``char_confs``: the recogniser's probability of each
    character at the CTC column that emitted it, one per character of ``text``, spaces
    included; empty when rapidocr gave none). ``score`` is their mean."""

    quad: np.ndarray
    text: str
    score: float
    char_xs: list[tuple[float, float]]
    char_confs: list[float] = field(default_factory=list)
    #: per character, what else the recogniser saw there (:class:`RunnersUp`); [] if unknown
    char_alts: list[dict[str, float]] = field(default_factory=list)


class Engine:
    """Detection and recognition for one process (sessions must not cross a fork).

    Built from rapidocr's public detector and recogniser classes with its own
    configuration file, so every default not set here is rapidocr's. The
    angle classifier is not loaded: pages are levelled before they get here.
    """

    def __init__(self, engine: str = "auto", device: str = "auto", precision: str = "auto") -> None:
        import_openvino_quietly()  # before rapidocr imports it
        from rapidocr.ch_ppocr_det import TextDetector
        from rapidocr.ch_ppocr_rec import TextRecognizer

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # it logs every model load at INFO
        self.device = resolve_device(device)
        self.kind = resolve_engine(engine, self.device)
        self.precision = resolve_precision(precision, self.kind)
        self.models = model_paths(self.precision)
        cfg = _config(self.kind, self.device, self.models)
        for section in (cfg.Det, cfg.Rec):
            section.engine_cfg = cfg.EngineConfig[section.engine_type.value]
            section.model_root_dir = str(models_dir())
        cfg.Rec.font_path = None
        with _openvino_properties({"CPU_RUNTIME_CACHE_CAPACITY": str(RUNTIME_CACHE_SHAPES)}):
            self.detector = TextDetector(cfg.Det)
            self.recogniser = TextRecognizer(cfg.Rec)
        _normalise_in_float32(self.detector)
        self.runners_up = RunnersUp(self.recogniser.postprocess_op)
        self.recogniser.postprocess_op = self.runners_up
        self.lock = threading.Lock()

    def detect(self, rgb: np.ndarray) -> list[np.ndarray]:
        """Text-line quadrilaterals in ``rgb``'s pixels, top to bottom, found on a ≤ DETECT_SIDE copy."""
        height, width = rgb.shape[:2]
        k = min(1.0, DETECT_SIDE / max(height, width))
        small = rgb if k == 1.0 else cv2.resize(rgb, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        out = self.detector(small)
        if out.boxes is None or len(out.boxes) == 0:
            return []
        limit = np.array([width, height], np.float32)
        return [np.clip(np.asarray(b, np.float32) / k, 0, limit) for b in out.boxes]

    def read(self, rgb: np.ndarray, quads: list[np.ndarray], min_width: int = REC_MIN_WIDTH,
             ) -> list[ReadLine]:
        """Recognise the lines at ``quads`` (cut from ``rgb``), all in width-sorted batches,
        each as wide as its widest crop rounded up to REC_WIDTH_STEP and ``min_width`` at
        least (:func:`_batch_width`; the caller holds ``lock``)."""
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.utils.process_img import get_rotate_crop_image

        crops, kept = [], []
        for quad in quads:
            crop = get_rotate_crop_image(rgb, quad.copy())
            if crop.size and min(crop.shape[:2]) >= 2:
                crops.append(crop)
                kept.append(quad)
        if not crops:
            return []
        reads: list[tuple[str, float, Any, list[dict[str, float]]]] = [("", 0.0, None, [])] * len(crops)
        for batch in _batches(crops):
            self.recogniser.rec_image_shape = [3, REC_HEIGHT, _batch_width(crops, batch, min_width)]
            self.runners_up.clear()
            rec = self.recogniser(TextRecInput(img=[crops[i] for i in batch], return_word_box=True))
            seen = self.runners_up.take()
            if rec.txts is None:
                continue
            words = rec.word_results if rec.word_results and len(rec.word_results) == len(rec.txts) else None
            for j, i in enumerate(batch):
                text = str(rec.txts[j])
                reads[i] = (text, float(rec.scores[j]), words[j] if words else None, _pop(seen, text))
        lines = []
        for quad, (text, score, info, alts) in zip(kept, reads, strict=True):
            if score < TEXT_SCORE or not text.strip():
                continue
            spans = char_spans(text, info, quad) if info is not None else []
            lines.append(ReadLine(quad, text, score, spans, char_confs(text, info), alts))
        return lines


#: A line holding a run of Latin letters and digits as long as most of a credit code (18):
#: the lines whose alternatives are noted.
_CODE_LIKE = re.compile(r"[0-9A-Za-z]{15,}")
#: Alternatives kept per character: at most this many, each at least this probable. A
#: character read with 0.999 or more has none; a credit code's misread 0/Q, 6/G, 8/B
#: shows its true character among them (issue 12: 3 of the 4 open codes of a held-out batch).
ALT_COUNT = 4
ALT_MIN_PROB = CHAR_ALTERNATIVE_FLOOR


class RunnersUp:
    """rapidocr's CTC decoder, wrapped to note what else the recogniser saw at each character.

    The decoder keeps only the most probable class per column. Over the columns that
    emitted each character (one character may fill several) this also notes the next
    most probable characters and their probabilities, each at its best over those
    columns (blank and the chosen one left out): page evidence for the
    credit-code repair (``extractors.uscc``), which otherwise knows only which
    misreads are common in general. Noted for code-like lines only (``_CODE_LIKE``:
    sorting thousands of classes for every character of a page costs 3 % of its
    CPU), in the decoder's own order; :meth:`take` hands them over by text (:func:`_pop`).
    """

    def __init__(self, decode: Any) -> None:
        self.decode = decode
        self.found: list[tuple[str, list[dict[str, float]]]] = []

    def __call__(self, preds: np.ndarray, return_word_box: bool = False, **kwargs: Any) -> Any:
        """rapidocr's ``CTCLabelDecode.__call__`` (argmax, max, then its ``decode``), with
        the argmax and max it computes over the whole output reused for the alternatives."""
        best, best_p = preds.argmax(axis=2), preds.max(axis=2)
        out = self.decode.decode(best, best_p, return_word_box, kwargs.get("wh_ratio_list", (1.0,)),
                                 kwargs.get("max_wh_ratio", 1.0), remove_duplicate=True)
        chars = self.decode.character
        for b in range(preds.shape[0]):
            emitted = np.ones(best.shape[1], dtype=bool)
            emitted[1:] = best[b, 1:] != best[b, :-1]
            emitted &= best[b] != 0  # 0 is CTC's blank
            columns = np.flatnonzero(emitted)
            text = "".join(chars[best[b, t]] for t in columns)
            if not _CODE_LIKE.search(unicodedata.normalize("NFKC", text).replace(" ", "")):
                continue  # only a code's characters are weighed one by one (uscc)
            # a character may fill several columns: each class at its best over the run
            ends = [*columns[1:].tolist(), best.shape[1]]
            runs = np.stack([preds[b, t:_run_end(best[b], t, e)].max(axis=0)
                             for t, e in zip(columns.tolist(), ends, strict=True)])
            self.found.append((text, self._per_char(runs, chars)))
        return out

    @staticmethod
    def _per_char(probs: np.ndarray, chars: list[str]) -> list[dict[str, float]]:
        """The likeliest other characters for each character (rows of ``probs``: each class
        at its best over the character's columns), full-width forms folded into their own
        (the dictionary holds ９ beside 9: a runner-up ９ says nothing new about a 9)."""
        if not len(probs):
            return []
        k = min(3 * ALT_COUNT, probs.shape[1] - 1)
        out = []
        for p, row in zip(probs, np.argpartition(-probs, k, axis=1)[:, :k], strict=True):
            p = p.copy()
            p[0] = 0.0  # CTC's blank
            top = int(p.argmax())
            chosen = unicodedata.normalize("NFKC", chars[top])
            found: dict[str, float] = {}
            for j in row:
                if j in (0, top) or p[j] < ALT_MIN_PROB:
                    continue
                char = unicodedata.normalize("NFKC", chars[j])
                if char != chosen and len(char) == 1:
                    found[char] = round(found.get(char, 0.0) + float(p[j]), 5)
            out.append(dict(sorted(found.items(), key=lambda kv: -kv[1])[:ALT_COUNT]))
        return out

    def clear(self) -> None:
        """Forget what a failed or earlier call left."""
        self.found = []

    def take(self) -> list[tuple[str, list[dict[str, float]]]]:
        found, self.found = self.found, []
        return found


def _run_end(best: np.ndarray, start: int, limit: int) -> int:
    """Where the run of columns choosing ``best[start]`` ends (before ``limit``)."""
    end = start + 1
    while end < limit and best[end] == best[start]:
        end += 1
    return end


def _pop(seen: list[tuple[str, list[dict[str, float]]]], text: str) -> list[dict[str, float]]:
    """The alternatives noted for the line read as ``text`` (removed from ``seen``), or []."""
    for k, (read, alts) in enumerate(seen):
        if read == text:
            del seen[k]
            return alts if len(alts) == len(text) else []
    return []


def _batches(crops: list[np.ndarray]) -> list[list[int]]:
    """The crops' indices in recognition batches of REC_BATCH, narrowest first (as rapidocr
    sorts them: crops of like width share a batch, so little of it is padding)."""
    order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / crops[i].shape[0])
    return [order[k:k + REC_BATCH] for k in range(0, len(order), REC_BATCH)]


def _batch_width(crops: list[np.ndarray], batch: list[int], min_width: int) -> int:
    """The recogniser's input width for ``batch``: its widest crop at REC_HEIGHT, rounded
    up to REC_WIDTH_STEP, and ``min_width`` at least.

    >>> crops = [np.zeros((48, 100, 3)), np.zeros((24, 130, 3))]
    >>> _batch_width(crops, [0, 1], 160)
    320
    >>> _batch_width(crops, [0], 160)
    160
    """
    widest = max(int(np.ceil(REC_HEIGHT * crops[i].shape[1] / crops[i].shape[0])) for i in batch)
    return max(min_width, -(-widest // REC_WIDTH_STEP) * REC_WIDTH_STEP)


_properties_lock = threading.Lock()


@contextlib.contextmanager
def _openvino_properties(extra: dict[str, str]) -> Iterator[None]:
    """OpenVINO CPU properties beyond those rapidocr's configuration names, for the
    sessions made inside this block.

    rapidocr builds each OpenVINO session itself and passes the CPU plugin only
    the properties its ``config.yaml`` lists (threads, hint, streams, pinning);
    a bound on the kernel cache (``RUNTIME_CACHE_SHAPES``) is not among them,
    and a property set on another ``openvino.Core`` does not reach rapidocr's.
    So for the making of the sessions its ``CPUConfig`` gives ``extra`` too.
    rapidocr is pinned (< 3.9); ``tests/test_ocr_speed.py`` checks the bound holds.
    """
    try:
        from rapidocr.inference_engine.openvino import main as openvino_session
    except ImportError:  # no OpenVINO: onnxruntime sessions take no such properties
        yield
        return
    base = openvino_session.CPUConfig

    class Extended(base):  # type: ignore[misc, valid-type]
        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), **extra}

    with _properties_lock:
        openvino_session.CPUConfig = Extended
        try:
            yield
        finally:
            openvino_session.CPUConfig = base


def import_openvino_quietly() -> None:
    """Import OpenVINO without its model-conversion tools (``openvino.tools.ovc``).

    Importing ``openvino`` imports them when it can, and their import sends a
    usage event to Google Analytics from a new thread (``openvino_telemetry``:
    sent unless a consent file in ``~/intel`` says no, and a client-id file is
    written there) — network traffic and a file in the user's home that an
    import must not cause, and 0.08 CPU s per worker. saidao converts no model,
    so the tools are hidden for that one import; OpenVINO catches the
    ImportError itself. Without OpenVINO installed this does nothing.
    """
    if "openvino" in sys.modules:
        return
    hidden = "openvino.tools.ovc" not in sys.modules
    if hidden:
        sys.modules["openvino.tools.ovc"] = None  # type: ignore[assignment]  # import fails fast
    try:
        with contextlib.suppress(ImportError):
            importlib.import_module("openvino")
    finally:
        if hidden:
            del sys.modules["openvino.tools.ovc"]


def _normalise_in_float32(detector: Any) -> None:
    """The detector's page normalisation in float32 instead of float64: the same boxes.

    rapidocr keeps the config's mean and std as float64 arrays, which turns
    ``(page * 1/255 - mean) / std`` over a whole page into float64 arithmetic
    before the input is cast to float32 anyway (measured: 0.03 CPU s a page,
    a tenth of detection). Only the two attributes' dtype changes; left alone
    where a rapidocr release names them otherwise.
    """
    for name in ("mean", "std"):
        value = getattr(detector, name, None)
        if value is not None:
            setattr(detector, name, np.asarray(value, np.float32))


def resolve_engine(engine: str, device: str) -> str:
    """``auto``: OpenVINO on a CPU where it is installed (measured fastest), else onnxruntime.

    A GPU is driven through onnxruntime's CUDA provider.
    """
    if engine != "auto":
        return engine
    if device == "cpu":
        import_openvino_quietly()
        if "openvino" in sys.modules:
            return "openvino"
    return "onnxruntime"


def _config(kind: str, device: str, models: dict[str, Path]) -> Any:
    """rapidocr's own configuration with our models, engine, threads and detector size."""
    from rapidocr import EngineType, ModelType, OCRVersion
    from rapidocr.main import DEFAULT_CFG_PATH
    from rapidocr.utils.parse_parameters import ParseParams

    engine_type = EngineType(kind)
    n = threads()
    params: dict[str, Any] = {
        "Det.engine_type": engine_type, "Rec.engine_type": engine_type,
        "Det.ocr_version": OCRVersion.PPOCRV4, "Rec.ocr_version": OCRVersion.PPOCRV4,
        "Det.model_type": ModelType.MOBILE, "Rec.model_type": ModelType.MOBILE,
        "Det.model_path": str(models["det"]),
        "Rec.model_path": str(models["rec"]),
        # a crop of a few lines is never scaled up to 736 px; a page is never above DETECT_SIDE
        "Det.limit_type": "max", "Det.limit_side_len": DETECT_SIDE,
        "Rec.rec_batch_num": REC_BATCH,
        "Rec.rec_img_shape": [3, REC_HEIGHT, REC_MIN_WIDTH],
    }
    if engine_type is EngineType.ONNXRUNTIME:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = n
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        params["EngineConfig.onnxruntime.use_cuda"] = device == "cuda"
    elif engine_type is EngineType.OPENVINO:
        params["EngineConfig.openvino.inference_num_threads"] = n
        # OpenVINO pins the inferring thread to a core it picks — the first, in every
        # process — so two one-thread workers shared core 0 (tests/test_ocr_speed.py)
        params["EngineConfig.openvino.enable_cpu_pinning"] = False
    cfg = ParseParams.load(DEFAULT_CFG_PATH)
    return ParseParams.update_batch(cfg, params)


def char_spans(text: str, info: Any, quad: np.ndarray) -> list[tuple[float, float]]:
    """(x0, x1) in page pixels for every character of ``text`` (spaces included), or [] if unknown.

    The recogniser's CTC output says in which of its ``line_txt_len`` columns
    each non-space character was emitted; a column is a fixed share of the
    line's width. Each character spans the same distance either side of its
    column: half-way to its nearer neighbour, at most half a typical character
    pitch, so the span's middle is where the recogniser saw the character. The
    first and last reach half a pitch outwards (what ``drop_double_reads``
    compares a neighbouring box with). rapidocr's ``CalRecBoxes`` does the same
    with rotated quadrilaterals and deep copies, ten times slower; pages here
    are levelled, so the line's x extent is enough.
    """
    cols = [c for word in (getattr(info, "word_cols", None) or []) for c in word]
    units = float(getattr(info, "line_txt_len", 0) or 0)
    solid = [i for i, ch in enumerate(text) if not ch.isspace()]
    if not units or len(cols) != len(solid):
        return []
    x0, x1 = float(quad[:, 0].min()), float(quad[:, 0].max())
    unit = (x1 - x0) / units
    centres = [x0 + (c + 0.5) * unit for c in cols]
    gaps = np.diff(centres) if len(centres) > 1 else np.array([x1 - x0])
    half = float(np.median(gaps)) / 2 if len(gaps) else (x1 - x0) / 2
    spans: list[tuple[float, float]] = []
    last = len(centres) - 1
    for n, centre in enumerate(centres):
        reach = half  # the same both sides: a span's middle is its column (ocr_chars measures it)
        if n:
            reach = min(reach, (centre - centres[n - 1]) / 2)
        if n < last:
            reach = min(reach, (centres[n + 1] - centre) / 2)
        left = centre - (half if n == 0 else reach)  # the line's ends reach out half a pitch:
        right = centre + (half if n == last else reach)  # a mark there is wider than its column
        spans.append((max(x0, left), min(x1, right)))
    out: list[tuple[float, float]] = []
    it = iter(spans)
    for i, ch in enumerate(text):
        if ch.isspace():  # a space sits between the characters around it
            before = out[-1][1] if out else x0
            after = next((spans[solid.index(j)][0] for j in solid if j > i), x1)
            out.append((before, max(before, after)))
        else:
            out.append(next(it))
    return out


def char_confs(text: str, info: Any) -> list[float]:
    """The recogniser's confidence in each character of ``text``, or [] if unknown.

    rapidocr's ``WordInfo.confs`` holds the probability of every character its
    CTC decoding kept (spaces too), in order: exactly one per character of the
    line's text.
    """
    confs = list(getattr(info, "confs", None) or [])
    if len(confs) != len(text):
        return []
    return [float(c) for c in confs]


_engines: dict[tuple[str, str, str], Engine] = {}
_lock = threading.Lock()


def engine(kind: str = "auto", device: str = "auto", precision: str = "auto") -> Engine:
    """The process-wide engine for ``kind`` on ``device`` at ``precision``, created on first use."""
    with _lock:
        key = (kind, device, precision)
        if key not in _engines:
            _engines[key] = Engine(kind, device, precision)
        return _engines[key]


def discard(used: Engine) -> None:
    """Forget ``used``: the next page makes a new engine.

    After an inference fails (an allocation refused under the worker's memory
    limit), OpenVINO's request is left broken — every later inference of the
    process failed with a shape error, so one bad page emptied every page after it.
    """
    with _lock:
        for key, known in list(_engines.items()):
            if known is used:
                del _engines[key]


def loaded() -> bool:
    return bool(_engines)

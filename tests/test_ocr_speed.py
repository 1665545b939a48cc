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


def test_inference_never_pins_the_worker_to_one_core() -> None:
    """OpenVINO pins the thread that runs an inference to a core of its own choosing —
    always the first one — for the length of each inference. Two workers, each one
    thread, then shared core 0 while the other cores idled: the whole import ran at one
    core's speed on two (measured: 16.1 s → 11.4 s wall, 8 pages, 2 workers). The
    inference thread's allowed cores are watched while it recognises, and must stay all
    of the process's."""
    import os
    import threading

    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        import pytest

        pytest.skip("needs a machine with two cores or more")  # (every CI machine has)
    engine = ocr_engine.Engine()
    page = np.asarray(Image.open(FORM).convert("RGB"))
    quads = engine.detect(page)
    allowed = os.sched_getaffinity(0)
    tid: list[int] = []
    done = threading.Event()

    def recognise() -> None:
        tid.append(threading.get_native_id())
        for _ in range(2):
            engine.read(page, quads)
            engine.detect(page)
        done.set()

    worker = threading.Thread(target=recognise)
    worker.start()
    seen: set[frozenset[int]] = set()
    while not done.is_set():
        if tid:
            try:
                seen.add(frozenset(os.sched_getaffinity(tid[0])))
            except OSError:  # the thread has just ended
                break
    worker.join()
    assert len(seen) >= 1
    assert seen == {frozenset(allowed)}, f"pinned during inference: {sorted(map(sorted, seen))}"


def test_a_scanned_page_runs_opencv_on_one_thread() -> None:
    """OpenCV's pool (a thread per core) spun between a page's many short calls: no wall
    time gained, 0.2 CPU s a page lost — in a bulk import, the other worker's core. Read in
    a fresh process, whose OpenCV starts with its default pool."""
    import os

    if (os.cpu_count() or 1) < 2:
        import pytest

        pytest.skip("needs a machine with two cores or more")
    code = (
        "import cv2\n"
        "from saidao.ingest.read import read\n"
        "before = cv2.getNumThreads()\n"
        f"doc = read({str(FORM)!r})\n"
        "print(before, cv2.getNumThreads(), len(doc.text) > 20)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, read_text = out.stdout.split()[-3:]
    assert int(before) >= 2 and read_text == "True"
    assert after == "1"


def _record_widths(engine: ocr_engine.Engine) -> list[int]:
    """From now on, the width of every batch ``engine``'s recogniser is given, in order."""
    widths: list[int] = []
    session = engine.recogniser.session
    inner = session.__call__

    class Recording:
        def __call__(self, batch: np.ndarray) -> np.ndarray:
            widths.append(int(batch.shape[-1]))
            return inner(batch)

        def __getattr__(self, name: str) -> object:
            return getattr(session, name)

    engine.recogniser.session = Recording()
    return widths


def test_a_short_cell_is_not_padded_to_a_whole_line() -> None:
    """rapidocr pads every batch to 320 pixels; saidao's floor is REC_MIN_WIDTH, so a short
    cell costs the recogniser what its width needs, and is still read."""
    engine = ocr_engine.Engine()
    page = np.asarray(Image.open(FORM).convert("RGB"))
    quads = engine.detect(page)

    def aspect(q: np.ndarray) -> float:
        return float(q[:, 0].max() - q[:, 0].min()) / max(1.0, float(q[:, 1].max() - q[:, 1].min()))

    short = min((ln for ln in engine.read(page, quads) if ln.text.strip()), key=lambda ln: aspect(ln.quad))
    assert aspect(short.quad) < 3  # a cell of a word or two
    widths = _record_widths(engine)
    again = engine.read(page, [short.quad])
    assert widths == [ocr_engine.REC_MIN_WIDTH]
    assert [ln.text for ln in again] == [short.text]


def test_batch_widths_repeat_so_openvino_compiles_few_shapes() -> None:
    """Every recognition batch is as wide as a multiple of REC_WIDTH_STEP (or the floor):
    a page's batches then repeat a few shapes, where exact widths made nearly every
    batch a shape OpenVINO had to compile kernels for (~56 ms each)."""
    engine = ocr_engine.Engine()
    page = np.asarray(Image.open(FORM).convert("RGB"))
    quads = engine.detect(page)
    widths = _record_widths(engine)
    lines = engine.read(page, quads)
    assert len(widths) >= 3 and sum(len(ln.text) for ln in lines) > 50
    assert all(w == ocr_engine.REC_MIN_WIDTH or w % ocr_engine.REC_WIDTH_STEP == 0 for w in widths), widths
    assert len(set(widths)) < len(widths)  # shapes repeat within one page already


def _data_segment_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmData"))


def test_the_kernel_cache_is_bounded_so_a_worker_does_not_grow_with_every_width() -> None:
    """OpenVINO kept compiled kernels for every input shape (5,000 by default, ~27 MB of
    address space each): a worker grew ~0.8 GB a scanned form until its memory limit
    made inferences fail. 80 recognitions at 80 widths must not grow it by even 1 GB."""
    import pytest

    if not Path("/proc/self/status").exists():
        pytest.skip("reads the data segment from /proc")
    engine = ocr_engine.Engine()
    if engine.kind != "openvino":
        pytest.skip("the bound is OpenVINO's")
    page = np.asarray(Image.open(FORM).convert("RGB"))
    quad = max(engine.detect(page), key=lambda q: float(q[:, 0].max() - q[:, 0].min()))
    engine.read(page, [quad])
    before = _data_segment_mb()
    x0, x1 = float(quad[:, 0].min()), float(quad[:, 0].max())
    for step in range(80):  # the same line cut ever shorter: a new width every time
        cut = quad.copy()
        cut[:, 0] = np.clip(cut[:, 0], x0, x1 - step * (x1 - x0) / 100)
        engine.read(page, [cut])
    assert _data_segment_mb() - before < 1024


def test_an_engine_whose_inference_failed_is_not_used_again(monkeypatch) -> None:  # noqa: ANN001
    """After a failed inference OpenVINO's request stays broken: every later page of the
    worker failed too and was left empty. The failed engine is dropped; the next page
    gets a new one and is read."""
    from saidao.ingest.readers import ocr

    page = np.asarray(Image.open(FORM).convert("RGB"))
    broken = ocr_engine.engine()

    def refuse(*_: object) -> None:
        raise RuntimeError("[CPU] FullyConnected node can't alloc")

    monkeypatch.setattr(broken, "read", refuse)
    try:
        ocr.recognise(page)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure must reach the page (a problem of its own)")
    fresh = ocr_engine.engine()
    assert fresh is not broken
    assert any(line.text.strip() for line in ocr.recognise(page))

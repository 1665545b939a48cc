"""The OCR engines and models rapidocr 3.x can run here, compared on the same pages.

Not a test: prints a table (CPU seconds per page, wall seconds per page, CER)
for each engine × model pair, each through rapidocr's own default pipeline
(detection, angle classifier, recognition) with one inference thread, so the
CPU figure is the work a page costs whatever else the machine is doing.

Models: those inside the installed ``rapidocr`` wheel (nothing is downloaded:
a pair whose files are not on disk is skipped), plus any folder given with
``--models NAME=DIR`` holding ``*det*.onnx`` and ``*rec*.onnx`` (for example the
PP-OCRv4 mobile pair of an older rapidocr wheel, unpacked).

Pages: the first page or two of the scanned-declaration set ``tests/fixtures/scan_set2``
(PDFs rendered at 200 dpi, images as they are); CER is the edit distance
between the recognised text (rapidocr's line order) and the gold text of the
page, over the gold's length, whitespace removed.

    python benchmarks/ocr_engines.py [--pages 6] [--engines onnxruntime openvino]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SET2 = ROOT / "tests" / "fixtures" / "scan_set2"


def squash(text: str) -> str:
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text or ""))


def pages_of_set(folder: Path, limit: int, dpi: int = 200) -> list[tuple[str, np.ndarray, str]]:
    """(name, RGB image, gold text) of up to ``limit`` pages: first pages of the set's files."""
    import pypdfium2
    from PIL import Image

    out = []
    for gold_path in sorted(folder.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text("utf-8"))
        path = folder / gold["files"][0]["path"]
        texts = gold["page_texts"]
        if path.suffix == ".pdf":
            pdf = pypdfium2.PdfDocument(str(path))
            try:
                for i in range(min(2, len(pdf))):
                    image = pdf[i].render(scale=dpi / 72).to_pil().convert("RGB")
                    out.append((f"{path.name}#{i + 1}", np.asarray(image), texts[i]))
            finally:
                pdf.close()
        else:
            out.append((path.name, np.asarray(Image.open(path).convert("RGB")), texts[0]))
        if len(out) >= limit:
            break
    return out[:limit]


def set2() -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_scan_set2 import ensure_set

    return ensure_set(SET2)


def wheel_models() -> dict[str, tuple[Path, Path]]:
    """Det/rec pairs shipped inside the installed rapidocr wheel, by name."""
    import rapidocr

    folder = Path(rapidocr.__file__).parent / "models"
    out = {}
    for det in sorted(folder.glob("*det*.onnx")):
        rec = Path(str(det).replace("det", "rec"))
        if rec.is_file():
            out[det.stem.replace("_det", "")] = (det, rec)
    return out


def folder_models(spec: str) -> tuple[str, tuple[Path, Path]]:
    name, folder = spec.split("=", 1)
    dets = sorted(Path(folder).glob("*det*.onnx"))
    recs = sorted(Path(folder).glob("*rec*.onnx"))
    if not dets or not recs:
        raise SystemExit(f"{folder}: no *det*.onnx / *rec*.onnx")
    return name, (dets[0], recs[0])


def version_of(path: Path):
    from rapidocr import OCRVersion

    for v in OCRVersion:
        if v.value.lower().replace("-", "") in path.name.lower().replace("-", ""):
            return v
    return OCRVersion.PPOCRV4


def build(engine: str, det: Path, rec: Path):
    from rapidocr import EngineType, ModelType, RapidOCR

    from saidao.ingest.readers.ocr_engine import cls_model_path

    kind = EngineType(engine)
    version = version_of(det)
    model_type = ModelType.MOBILE  # with model_path set, the enum only names the files
    # with rapidocr's own limits: pages shrunk to 2000 px, lines found at ≥ 736 px
    params = {
        "Global.log_level": "error",
        "Det.engine_type": kind, "Cls.engine_type": kind, "Rec.engine_type": kind,
        "Det.model_path": str(det), "Rec.model_path": str(rec), "Cls.model_path": str(cls_model_path()),
        "Det.ocr_version": version, "Rec.ocr_version": version,
        "Det.model_type": model_type, "Rec.model_type": model_type,
    }
    if kind is EngineType.ONNXRUNTIME:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = 1
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
    else:
        params["EngineConfig.openvino.inference_num_threads"] = 1
    return RapidOCR(params=params)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(engine: str, name: str, det: Path, rec: Path, pages) -> dict:
    from rapidfuzz.distance import Levenshtein

    started = time.perf_counter()
    ocr = build(engine, det, rec)
    ocr(pages[0][1])  # warm: first inference compiles / allocates
    load = time.perf_counter() - started
    errors = length = 0
    c0, w0 = cpu(), time.perf_counter()
    for _, image, gold in pages:
        out = ocr(image)
        got = squash("".join(out.txts or ()))
        errors += Levenshtein.distance(got, squash(gold))
        length += len(squash(gold))
    c1, w1 = cpu(), time.perf_counter()
    n = len(pages)
    return {"engine": engine, "models": name, "det_mb": det.stat().st_size / 2**20,
            "rec_mb": rec.stat().st_size / 2**20, "cpu_per_page": (c1 - c0) / n,
            "wall_per_page": (w1 - w0) / n, "cer": errors / max(1, length), "load_s": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--set", type=Path, default=None, help="default: scan set 2 (generated if missing)")
    parser.add_argument("--engines", nargs="+", default=["onnxruntime", "openvino"])
    parser.add_argument("--models", action="append", default=[], help="NAME=DIR with det/rec .onnx")
    args = parser.parse_args()
    pages = pages_of_set(args.set or set2(), args.pages)
    models = wheel_models()
    models.update(dict(folder_models(spec) for spec in args.models))
    load = os.getloadavg()[0]
    rows = []
    for engine in args.engines:
        for name, (det, rec) in models.items():
            try:
                rows.append(run(engine, name, det, rec, pages))
            except ImportError as exc:
                print(f"skipped {engine}: {exc}")
                break
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{len(pages)} pages · load average {load:.1f} → {os.getloadavg()[0]:.1f} · one thread\n")
    print("| engine | models | det MB | rec MB | CPU s/page | wall s/page | CER | load s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['engine']} | {r['models']} | {r['det_mb']:.1f} | {r['rec_mb']:.1f} | "
              f"{r['cpu_per_page']:.2f} | {r['wall_per_page']:.2f} | {r['cer']:.2%} | {r['load_s']:.1f} |")


if __name__ == "__main__":
    main()

"""Developer-time: int8 post-training quantisation of the OCR recogniser (and detector).

Not run by saidao: it writes the int8 model files that ``ingest/readers/ocr_engine.py``
loads from ``ingest/readers/models/`` (committed; nothing is downloaded at run time).
NNCF is needed only here (``pip install -e '.[quantize]'``), never at run time.

Inputs, all stated and deterministic:

- the fp32 models: PP-OCRv4 mobile det/rec from the installed rapidocr 3.8 wheel
  (``ocr_engine.DET_MODEL`` / ``REC_MODEL``; PaddleOCR, Apache-2.0);
- calibration pages: scan set 2's generator (``tests/fixtures/scan_set2/make.py``)
  for files ``CALIBRATION`` (spec indices 141–146), which no test or benchmark reads
  (scan set 2 is files 0–20, spec indices 101–121; the first scan set and the policy
  set come from other generators): 200/240/300 dpi, all three typefaces, one
  photographed page set, seals, JPEG damage;
- calibration tensors: exactly what saidao's page pipeline feeds the two models on those
  pages (``ingest.read`` with the fp32 engine, each inference input recorded), so the
  activation ranges are the ones the pipeline produces (width-sorted batches of line
  crops, detector input at ``DETECT_SIDE``).

What is made by default (the committed file): the recogniser with its backbone in int8
and ``KEEP_FP32`` (first convolution, SVTR neck, CTC head) in floating point, through
NNCF's transformer model type (layer norms and softmax left whole), its ``MIXED`` preset
(symmetric weights, asymmetric activations), every 1st/2nd recorded crop up to
``SUBSET`` taken in order (no random sampling). ``--which det`` makes the int8 detector
too (measured, not shipped); ``--max-drop`` runs NNCF's accuracy control instead
(measured: ~20 min a ranking round on two cores; its first step, putting one neck
MatMul back, halved the loss only on the model it started from).

    .venv/bin/python scripts/quantize_ocr.py [--which rec det] [--out ingest/readers/models]
        [--ignore NAME ...] [--no-transformer] [--max-drop 0.002] [--cache calib.npz]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "ingest" / "readers" / "models"
#: scan set 2's generator, files beyond every evaluated one (see the docstring).
CALIBRATION = range(40, 46)
#: at most this many recorded inputs per model (NNCF's default subset size is 300).
SUBSET = {"rec": 600, "det": 60}
#: The recogniser's layers kept in floating point (mixed precision): its first
#: convolution, the SVTR neck (attention and feed-forward MatMuls, its convolutions) and
#: the CTC head. Measured on held-out calibration crops: quantising everything disagreed
#: with fp32 on 0.92 % of characters, the backbone alone on 0.53 %, at the same speed
#: (the backbone is where the time goes).
KEEP_FP32 = ["p2o.Conv.0", *(f"p2o.MatMul.{i}" for i in range(0, 25, 2)),
             *(f"p2o.Conv.{i}" for i in range(33, 38))]
#: held-out crops the accuracy control scores each candidate on.
VALIDATION = 300


def calibration_files(folder: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "scan_set2"))
    sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
    import make

    for n in CALIBRATION:
        make.make_one(n, folder)
    return [folder / f"s2_{n + 1:03d}.pdf" for n in CALIBRATION]


class _Recorder:
    """Stands in for an inference session: records each input, then runs the real one."""

    def __init__(self, session, store: list[np.ndarray], split: bool) -> None:
        self._session, self._store, self._split = session, store, split

    def __call__(self, tensor: np.ndarray):
        if self._split:  # one crop a sample: NNCF takes its samples one at a time
            self._store.extend(np.ascontiguousarray(t[None]) for t in tensor)
        else:
            self._store.append(np.ascontiguousarray(tensor))
        return self._session(tensor)

    def __getattr__(self, name: str):
        return getattr(self._session, name)


def record(files: list[Path]) -> dict[str, list[np.ndarray]]:
    """The det and rec inputs of saidao's own page pipeline on ``files`` (fp32 engine)."""
    import os

    os.environ["SAIDAO_OCR_PRECISION"] = "fp32"
    from saidao.ingest.read import read
    from saidao.ingest.readers import ocr, ocr_engine
    from saidao.settings import DEFAULT

    eng = ocr_engine.engine(*ocr._engine_key(DEFAULT))  # the engine read() uses, in fp32
    store: dict[str, list[np.ndarray]] = {"rec": [], "det": []}
    eng.recogniser.session = _Recorder(eng.recogniser.session, store["rec"], split=True)
    eng.detector.session = _Recorder(eng.detector.session, store["det"], split=False)
    for f in files:
        read(f)
    return store


def ctc_tokens(logits: np.ndarray) -> list[int]:
    """Greedy CTC decoding of one line's output: best class per column, repeats and blanks (0) dropped."""
    best = logits.argmax(-1)
    return [int(c) for i, c in enumerate(best) if c and (i == 0 or c != best[i - 1])]


def line_agreement(samples: list[np.ndarray], reference: list[list[int]]):
    """NNCF's validation function: 1 − edit distance to the fp32 model's lines over their length.

    Per-line values let NNCF rank which quantised layers cost the most; the
    reference is the fp32 model's own reading of the same crops, so the metric needs
    no transcription and the fp32 model scores about 1. NNCF passes any subset of
    ``samples`` (the same array objects), so each finds its reference by identity.
    """
    from rapidfuzz.distance import Levenshtein

    wanted = {id(x): tokens for x, tokens in zip(samples, reference, strict=True)}

    def validate(compiled, subset) -> tuple[float, list[float]]:
        errors, length, per_line = 0, 0, []
        for x in subset:
            want = wanted[id(x)]
            got = ctc_tokens(compiled(x)[0][0])
            e = Levenshtein.distance(got, want)
            errors, length = errors + e, length + len(want)
            per_line.append(1.0 - e / max(1, len(want)))
        return 1.0 - errors / max(1, length), per_line

    return validate


def quantize(name: str, source: Path, samples: list[np.ndarray], out: Path, ignore: list[str],
             transformer: bool = False, max_drop: float | None = None) -> Path:
    """``source`` (ONNX) → int8 OpenVINO IR at ``out`` (.xml + .bin), calibrated on ``samples``.

    Through OpenVINO's reader rather than NNCF's ONNX backend: the wheel's models are
    opset 12, where QDQ ONNX allows only per-tensor weight scales, and that QDQ copy read
    nothing (measured: no boxes, empty lines). The IR keeps the ONNX metadata (the
    recogniser's character list) in its runtime info, where rapidocr looks for it.

    With ``max_drop`` (recogniser only), NNCF's accuracy control puts back into
    floating point, one at a time, the quantised layers that cost the most agreement with
    the fp32 model on held-out crops of the calibration pages, until the loss is at most
    ``max_drop`` (mixed precision).
    """
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(source))
    step = max(1, len(samples) // SUBSET[name])
    chosen = samples[::step][: SUBSET[name]]
    dataset = nncf.Dataset(chosen)
    kwargs: dict = {"ignored_scope": nncf.IgnoredScope(names=ignore, validate=False)} if ignore else {}
    if transformer:  # keeps layer norms and attention softmax whole (OpenVINO's fused MVN)
        kwargs["model_type"] = nncf.ModelType.TRANSFORMER
    if max_drop is None:
        quantized = nncf.quantize(model, dataset, subset_size=len(chosen), **kwargs)
    else:
        held_out = samples[1::3][:VALIDATION]  # calibration pages, mostly other crops
        fp32 = ov.Core().compile_model(model, "CPU")
        reference = [ctc_tokens(fp32(x)[0][0]) for x in held_out]
        quantized = nncf.quantize_with_accuracy_control(
            model, dataset, nncf.Dataset(held_out), line_agreement(held_out, reference), max_drop=max_drop,
            subset_size=len(chosen), **kwargs)
    ov.save_model(quantized, str(out), compress_to_fp16=False)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--which", nargs="+", default=["rec"], choices=["rec", "det"])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--ignore", nargs="*", default=KEEP_FP32, help="layer names kept in fp32")
    parser.add_argument("--transformer", action=argparse.BooleanOptionalAction, default=True,
                        help="NNCF's transformer model type (keeps layer norms whole)")
    parser.add_argument("--max-drop", type=float,
                        help="accuracy control: largest loss of agreement with fp32 allowed (0.002 = 0.2 %%)")
    parser.add_argument("--cache", type=Path, help="keep the recorded tensors here (.npz) and reuse them")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from saidao.ingest.readers import ocr_engine

    args.out.mkdir(parents=True, exist_ok=True)
    if args.cache and args.cache.is_file():
        with np.load(args.cache) as saved:
            store = {k: [saved[f"{k}{i}"] for i in range(int(saved[f"n_{k}"]))] for k in ("rec", "det")}
    else:
        with tempfile.TemporaryDirectory() as tmp:
            store = record(calibration_files(Path(tmp)))
        if args.cache:
            np.savez(args.cache, n_rec=len(store["rec"]), n_det=len(store["det"]),
                     **{f"{k}{i}": x for k in store for i, x in enumerate(store[k])})
    for name in args.which:
        fp32 = ocr_engine.model_path(ocr_engine.REC_MODEL if name == "rec" else ocr_engine.DET_MODEL)
        target = args.out / (ocr_engine.INT8_MODELS["rec"] if name == "rec" else ocr_engine.INT8_DET)
        quantize(name, fp32, store[name], target, args.ignore, args.transformer,
                 args.max_drop if name == "rec" else None)
        print(name, len(store[name]), "samples →", target, f"{target.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

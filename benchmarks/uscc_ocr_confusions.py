"""Measure how the product's OCR misreads credit codes; write ``corpus/uscc_confusions.json``.

Not a test: a deterministic (seeded) generator and measurement, re-run when the
OCR models change. Each image is a scanned firm list (名录) as a declaration
carries it: a ruled table 序号 | 企业名称 | 统一社会信用代码 with a header row and
``ROWS`` firms, drawn at 200-300 dpi in one of several CJK/Latin fonts, with a
red seal over a code in some images, then turned a little, blurred, given
sensor noise and JPEG-compressed. The image goes through the scan reader's own
page pipeline (``ingest.readers.ocr.ocr_page``: deskew, seal removal, ruling
lines and cells, detection, recognition of the crops) and the code cell's text
is compared with the true code, after the same ``compact()`` folding the
credit-code check applies (NFKC, spaces, upper case).

The recogniser's output is tapped (the engine's recogniser is wrapped, its
result passed on unchanged) to keep its per-character CTC confidences, so the
script also reports whether the misread character is the least confident one.

Codes: a third the 299 real codes of ``tests/refdata/reference/uscc/real_firms.csv``,
the rest random structurally valid codes (categories of the GB 32100 table,
every GB/T 2260 county-level area code, legacy all-digit, ``MA…`` and
letter-initial organisation codes with their GB 11714 check).

    SAIDAO_OCR_THREADS=1 python benchmarks/uscc_ocr_confusions.py --images 700 --seed 20261207
    python benchmarks/uscc_ocr_confusions.py --images 20 --no-write   # a quick look
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.scan import seal_image  # noqa: E402

from saidao.corpus._data import data_path  # noqa: E402
from saidao.extractors import uscc  # noqa: E402
from saidao.extractors.uscc_data import ALPHABET, DEPARTMENTS  # noqa: E402

REAL_FIRMS = ROOT / "tests" / "refdata" / "reference" / "uscc" / "real_firms.csv"
OUT = data_path("uscc_confusions.json")
ROWS = 5

FONT_DIR = "/usr/share/fonts/truetype"
#: (name, file, weight): 宋体-like, 黑体-like and 楷体-like CJK faces plus Latin
#: faces of the kinds Word puts digits in (serif, sans, condensed, mono, bold).
FONTS = [
    ("AR PL UMing", f"{FONT_DIR}/arphic/uming.ttc", 5),
    ("AR PL UKai", f"{FONT_DIR}/arphic/ukai.ttc", 2),
    ("WenQuanYi Zen Hei", f"{FONT_DIR}/wqy/wqy-zenhei.ttc", 3),
    ("WenQuanYi Micro Hei", f"{FONT_DIR}/wqy/wqy-microhei.ttc", 2),
    ("DejaVu Serif", f"{FONT_DIR}/dejavu/DejaVuSerif.ttf", 3),
    ("DejaVu Sans", f"{FONT_DIR}/dejavu/DejaVuSans.ttf", 2),
    ("DejaVu Sans Condensed", f"{FONT_DIR}/dejavu/DejaVuSansCondensed.ttf", 1),
    ("DejaVu Sans Mono", f"{FONT_DIR}/dejavu/DejaVuSansMono.ttf", 1),
    ("DejaVu Sans Bold", f"{FONT_DIR}/dejavu/DejaVuSans-Bold.ttf", 1),
]
NAME_FONTS = [f"{FONT_DIR}/arphic/uming.ttc", f"{FONT_DIR}/wqy/wqy-zenhei.ttc"]

#: The degradations, each drawn uniformly per image.
DEGRADATIONS = {
    "dpi": [200, 240, 300],
    "font_pt": (9.0, 12.0),
    "ink_gray": (0, 70),
    "rotation_deg": (-1.5, 1.5),
    "blur_sigma": (0.3, 1.3),
    "noise_sd": (2.0, 8.0),
    "jpeg_quality": (30, 80),
    "seal_share": 0.4,
}
#: A share of the images is a poor copy (a copy of a copy, a fax, a phone's
#: scan app at low resolution): optically coarser (drawn smaller, then scaled
#: back up), more blurred, harder compressed. Without it the recogniser makes
#: too few mistakes to count.
HARD = {
    "share": 0.6,
    "downscale": (0.4, 0.75),
    "blur_sigma": (0.8, 1.8),
    "jpeg_quality": (15, 45),
}


# -- codes ------------------------------------------------------------------------------------


def real_codes() -> list[tuple[str, str]]:
    with REAL_FIRMS.open(encoding="utf-8") as fh:
        return [(row["name"], row["uscc"]) for row in csv.DictReader(fh)]


def random_code(rng: random.Random, areas: list[str]) -> str:
    """A structurally valid code: table category, real area, GB 11714 body, check character."""
    roll = rng.random()
    if roll < 0.5:
        category = "91"
    elif roll < 0.65:
        category = rng.choice(["92", "93"])
    else:
        dept = rng.choice(sorted(DEPARTMENTS))
        category = dept + rng.choice(sorted(DEPARTMENTS[dept][1]))
    shape = rng.random()
    if shape < 0.4:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    elif shape < 0.8:
        body = "MA" + "".join(rng.choice(ALPHABET) for _ in range(6))
    else:
        body = rng.choice(ALPHABET[10:]) + "".join(rng.choice(ALPHABET) for _ in range(7))
    first17 = category + rng.choice(areas) + body + uscc.calc_org_check_digit(body)
    if first17[16] not in ALPHABET:  # impossible: check is 0-9 or X
        return random_code(rng, areas)
    return first17 + uscc.calc_check_digit(first17)


# -- rendering --------------------------------------------------------------------------------


def _pick_font(rng: random.Random) -> tuple[str, str]:
    names, paths, weights = zip(*FONTS, strict=True)
    i = rng.choices(range(len(FONTS)), weights=weights)[0]
    return names[i], paths[i]


def render_table(rng: random.Random, firms: list[tuple[str, str]]) -> tuple[Image.Image, dict]:
    """A ruled 名录 table with the firms' codes; the image and what was chosen."""
    dpi = rng.choice(DEGRADATIONS["dpi"])
    px = dpi / 72
    font_name, font_path = _pick_font(rng)
    pt = rng.uniform(*DEGRADATIONS["font_pt"])
    code_font = ImageFont.truetype(font_path, round(pt * px))
    name_font = ImageFont.truetype(rng.choice(NAME_FONTS), round(pt * px))
    ink = (rng.randint(*DEGRADATIONS["ink_gray"]),) * 3
    code_w = max(code_font.getlength(c) for _, c in firms)
    cols = [int(34 * px), int(250 * px), int(code_w + rng.uniform(12, 40) * px)]
    row_h = int(pt * px * rng.uniform(1.9, 2.6))
    margin = int(24 * px)
    width = sum(cols) + 2 * margin
    height = row_h * (len(firms) + 1) + 2 * margin
    img = Image.new("RGB", (width, height), (250, 250, 247))
    draw = ImageDraw.Draw(img)
    line_w = max(1, round(0.6 * px / 2))
    xs = [margin]
    for w in cols:
        xs.append(xs[-1] + w)
    ys = [margin + r * row_h for r in range(len(firms) + 2)]
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=ink, width=line_w)
    for y in ys:
        draw.line([(xs[0], y), (xs[-1], y)], fill=ink, width=line_w)
    header = ["序号", "企业名称", "统一社会信用代码"]
    rows = [header] + [[str(n), name, code] for n, (name, code) in enumerate(firms, 1)]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            font = code_font if (c == 2 and r) else name_font
            while font.getlength(text) > cols[c] - 6 and len(text) > 4:
                text = text[:-1]  # a long firm name is cut, as a narrow column wraps it
            cx = (xs[c] + xs[c + 1]) / 2 if (c != 1 or r == 0) else xs[c] + 4 * px
            anchor = "mm" if (c != 1 or r == 0) else "lm"
            draw.text((cx, (ys[r] + ys[r + 1]) / 2), text, font=font, fill=ink, anchor=anchor)
    meta = {"dpi": dpi, "font": font_name, "pt": round(pt, 1), "ink": ink[0]}
    if rng.random() < DEGRADATIONS["seal_share"]:
        row = rng.randrange(1, len(firms) + 1)
        diameter = int(40 / 25.4 * dpi)
        seal = seal_image("内蒙古自治区科学技术厅", diameter, rng.randint(150, 210))
        seal = seal.rotate(rng.uniform(-25, 25), resample=Image.BICUBIC)
        big = Image.new("RGB", (width, max(height, diameter + 2 * margin)), (250, 250, 247))
        big.paste(img, (0, 0))
        cx = int(xs[2] + cols[2] * rng.uniform(0.2, 0.8))
        cy = int((ys[row] + ys[row + 1]) / 2 + rng.uniform(-0.3, 0.3) * diameter)
        x0 = min(max(0, cx - diameter // 2), big.width - diameter)
        y0 = min(max(0, cy - diameter // 2), big.height - diameter)
        layer = Image.new("RGBA", big.size, (0, 0, 0, 0))
        layer.alpha_composite(seal, (x0, y0))
        img = Image.alpha_composite(big.convert("RGBA"), layer).convert("RGB")
        meta["seal_row"] = row
    return img, meta


def degrade(img: Image.Image, rng: random.Random, meta: dict) -> Image.Image:
    """Turn, add noise, blur and JPEG-compress, as a scanner and its driver do."""
    hard = rng.random() < HARD["share"]
    if hard:
        k = rng.uniform(*HARD["downscale"])
        size = img.size
        img = img.resize((int(size[0] * k), int(size[1] * k)), Image.BILINEAR).resize(size, Image.BICUBIC)
        meta["downscale"] = round(k, 2)
    angle = rng.uniform(*DEGRADATIONS["rotation_deg"])
    img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=(250, 250, 247))
    arr = np.asarray(img, dtype=np.float32)
    sd = rng.uniform(*DEGRADATIONS["noise_sd"])
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, sd, arr.shape[:2])
    arr = np.clip(arr + noise[..., None], 0, 255).astype(np.uint8)
    blur = rng.uniform(*(HARD if hard else DEGRADATIONS)["blur_sigma"])
    img = Image.fromarray(arr).filter(ImageFilter.GaussianBlur(blur))
    quality = rng.randint(*(HARD if hard else DEGRADATIONS)["jpeg_quality"])
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    meta.update(angle=round(angle, 2), noise=round(sd, 1), blur=round(blur, 2), jpeg=quality)
    return Image.open(buf).convert("RGB")


# -- reading ----------------------------------------------------------------------------------


class RecogniserTap:
    """Wraps the engine's recogniser: passes its output on, keeps (text, per-char confidences)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.lines: list[tuple[str, list[float]]] = []

    def __call__(self, inp):
        out = self.inner(inp)
        words = out.word_results if out.txts is not None else ()
        for i, text in enumerate(out.txts or ()):
            confs = list(getattr(words[i], "confs", []) or []) if i < len(words) else []
            self.lines.append((str(text), confs if len(confs) == len(str(text)) else []))
        return out


def cell_texts(blocks) -> list[str]:
    """Every cell's and paragraph's text on the page."""
    out = []
    for block in blocks:
        if getattr(block, "kind", "") == "table":
            out.extend(cell.text for cell in block.cells)
        elif getattr(block, "text", ""):
            out.append(block.text)
    return out


def align(true: str, read: str) -> list[tuple[str, str]]:
    """Levenshtein alignment as (true, read) pairs; '' marks a deletion or insertion."""
    n, m = len(true), len(read)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (true[i - 1] != read[j - 1]))
    pairs, i, j = [], n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + (true[i - 1] != read[j - 1]):
            pairs.append((true[i - 1], read[j - 1]))
            i, j = i - 1, j - 1
        elif i and d[i][j] == d[i - 1][j] + 1:
            pairs.append((true[i - 1], ""))
            i -= 1
        else:
            pairs.append(("", read[j - 1]))
            j -= 1
    return pairs[::-1]


def best_match(code: str, texts: list[str]) -> str | None:
    """The page text closest to ``code`` (edit distance at most 6), else None."""
    pieces = set()
    for text in texts:
        # two rows' cells merged into one (a seal over the rule between them),
        # or the header cell run into the first row: the code is one piece of it
        text = text.replace("统一社会信用代码", " ")
        pieces.add(text)
        pieces.update(text.split())
    scored = []
    for text in pieces:
        squashed = uscc.compact(text)
        if 10 <= len(squashed) <= 26:
            pairs = align(code, squashed)
            scored.append((sum(a != b for a, b in pairs), squashed))
    scored.sort()
    return scored[0][1] if scored and scored[0][0] <= 6 else None


def confidences_for(read: str, tap: RecogniserTap) -> list[float] | None:
    """Per-character confidences of ``read`` (compact) from the tapped recogniser lines."""
    for text, confs in tap.lines:
        if not confs:
            continue
        kept = [(ch, c) for ch, c in zip(text, confs, strict=True) if not ch.isspace()]
        squashed = uscc.compact("".join(ch for ch, _ in kept))
        if len(squashed) != len(kept):
            continue  # folding changed the length: positions would not line up
        at = squashed.find(read)
        if at >= 0:
            return [c for _, c in kept[at:at + len(read)]]
    return None


# -- the run ----------------------------------------------------------------------------------


def run(images: int, seed: int, checkpoint=None) -> dict:
    from saidao.ingest.readers import ocr, ocr_engine
    from saidao.settings import DEFAULT

    rng = random.Random(seed)
    real = real_codes()
    areas = uscc.known_area_codes()
    names = [n for n, _ in real]
    ocr.load_engine_early(DEFAULT)
    eng = ocr_engine.engine(*ocr._engine_key(DEFAULT))
    tap = RecogniserTap(eng.recogniser)
    eng.recogniser = tap

    chars: Counter[str] = Counter()
    subs: Counter[tuple[str, str]] = Counter()
    dels: Counter[str] = Counter()
    ins: Counter[str] = Counter()
    by_errors: Counter[int] = Counter()
    lowest: Counter[str] = Counter()
    conf_err: list[float] = []
    conf_ok: list[float] = []
    by_font: dict[str, Counter[str]] = {}
    lost = 0
    examples: list[dict] = []
    misreads: list[tuple[str, str]] = []
    stats = {
        "chars": chars, "subs": subs, "dels": dels, "ins": ins, "by_errors": by_errors,
        "lowest": lowest, "conf_err": conf_err, "conf_ok": conf_ok, "by_font": by_font,
        "lost": lost, "examples": examples, "misreads": misreads,
    }
    for n in range(images):
        firms = []
        for _ in range(ROWS):
            code = rng.choice(real)[1] if rng.random() < 1 / 3 else random_code(rng, areas)
            firms.append((rng.choice(names), code))
        img, meta = render_table(rng, firms)
        img = degrade(img, rng, meta)
        tap.lines.clear()
        blocks, _ = ocr.ocr_page(np.asarray(img), path=f"uscc-confusions-{n}", page_number=1,
                                 points_per_pixel=72 / meta["dpi"], settings=DEFAULT)
        texts = cell_texts(blocks)
        font_stats = by_font.setdefault(meta["font"], Counter())
        for _, code in firms:
            read = best_match(code, texts)
            font_stats["codes"] += 1
            if read is None:
                lost += 1
                stats["lost"] = lost
                font_stats["lost"] += 1
                continue
            pairs = align(code, read)
            errors = [(a, b) for a, b in pairs if a != b]
            by_errors[len(errors)] += 1
            font_stats["chars"] += len(code)
            font_stats["errors"] += len(errors)
            for a, b in pairs:
                if a:
                    chars[a] += 1
                if a and b and a != b:
                    subs[(a, b)] += 1
                elif a and not b:
                    dels[a] += 1
                elif b and not a:
                    ins[b] += 1
            if errors:
                misreads.append((code, read))
                if len(examples) < 30:
                    examples.append({"true": code, "read": read, **meta})
            confs = confidences_for(read, tap)
            if confs and len(read) == len(code):
                wrong_at = [i for i, (a, b) in enumerate(zip(code, read, strict=True)) if a != b]
                for i, c in enumerate(confs):
                    (conf_err if i in wrong_at else conf_ok).append(c)
                if len(wrong_at) == 1:
                    lowest["single_sub_with_confs"] += 1
                    order = sorted(range(len(confs)), key=lambda k: confs[k])
                    rank = order.index(wrong_at[0])
                    lowest["lowest" if rank == 0 else "top3" if rank < 3 else "other"] += 1
        if checkpoint and (n + 1) % 100 == 0 and n + 1 < images:
            checkpoint(stats, n + 1)
        if (n + 1) % 25 == 0:
            print(f"{n + 1}/{images} images, {sum(by_errors.values())} codes read, "
                  f"{sum(subs.values())} substitutions", file=sys.stderr, flush=True)
    stats["lost"] = lost
    return stats


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    arr = np.asarray(values)
    return {f"p{q}": round(float(np.percentile(arr, q)), 4) for q in (5, 25, 50, 75, 95)}


def summary(stats: dict, images: int, seed: int, cpu: float, wall: float) -> dict:
    from saidao.ingest.readers import ocr_engine

    codes = sum(stats["by_errors"].values())
    return {
        "what": "single-character OCR confusions of GB 32100 credit codes, measured by "
                "benchmarks/uscc_ocr_confusions.py through the scan reader's page pipeline",
        "measured": dt.date.today().isoformat(),
        "rerun": f"SAIDAO_OCR_THREADS=1 python benchmarks/uscc_ocr_confusions.py --images {images} --seed {seed}",
        "seed": seed,
        "images": images,
        "codes_read": codes,
        "codes_lost": stats["lost"],
        "ocr": {"engine": ocr_engine.engine().kind, "det": ocr_engine.DET_MODEL, "rec": ocr_engine.REC_MODEL},
        "fonts": [name for name, _, _ in FONTS],
        "degradations": DEGRADATIONS,
        "poor_copies": HARD,
        "cpu_seconds": round(cpu, 1),
        "wall_seconds": round(wall, 1),
        "codes_by_error_count": {str(k): v for k, v in sorted(stats["by_errors"].items())},
        "by_font": {k: dict(v) for k, v in sorted(stats["by_font"].items())},
        "least_confident": {
            **dict(stats["lowest"]),
            "conf_of_misread_chars": _quantiles(stats["conf_err"]),
            "conf_of_correct_chars": _quantiles(stats["conf_ok"]),
        },
        "true_chars": dict(sorted(stats["chars"].items())),
        "substitutions": [[a, b, n] for (a, b), n in stats["subs"].most_common()],
        "deletions": dict(stats["dels"].most_common()),
        "insertions": dict(stats["ins"].most_common()),
        "examples": stats["examples"],
        # every code read with an error (true, read): the realistic repair test
        "misreads": [list(pair) for pair in stats["misreads"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=700)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--no-write", action="store_true", help="print only, keep the bundled table")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    os.environ.setdefault("SAIDAO_OCR_THREADS", "1")
    started, cpu0 = time.time(), time.process_time()
    def checkpoint(partial: dict, done: int) -> None:
        """Write the table so far (a long run on a busy machine can be used before it ends)."""
        if not args.no_write:
            report = summary(partial, done, args.seed, time.process_time() - cpu0, time.time() - started)
            args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    stats = run(args.images, args.seed, checkpoint)
    wall, cpu = time.time() - started, time.process_time() - cpu0
    report = summary(stats, args.images, args.seed, cpu, wall)
    codes = report["codes_read"]
    n_chars = sum(report["true_chars"].values())
    n_sub = sum(n for _, _, n in report["substitutions"])
    print(f"images {args.images}, codes read {codes}, lost {report['codes_lost']}, "
          f"chars {n_chars}, substitutions {n_sub} ({n_sub / max(1, n_chars):.3%}), "
          f"deletions {sum(report['deletions'].values())}, insertions {sum(report['insertions'].values())}")
    print(f"codes by error count: {report['codes_by_error_count']}")
    print(f"least confident: {report['least_confident']}")
    print("top substitutions (true→read count):")
    for a, b, n in report["substitutions"][:40]:
        print(f"  {a}→{b} {n}  ({n / max(1, report['true_chars'].get(a, 0)):.3%} of {a})")
    print(f"deletions {report['deletions']}")
    print(f"insertions {report['insertions']}")
    print(f"cpu {cpu:.0f} s, wall {wall:.0f} s, peak rss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB, "
          f"load {os.getloadavg()}")
    if not args.no_write:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"written {args.out}")


if __name__ == "__main__":
    main()

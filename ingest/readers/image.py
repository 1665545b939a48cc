"""The image reader: scans and photos (.png .jpg .tif .bmp .webp), every page by OCR.

Pillow decodes the file; the camera's EXIF orientation is applied (a phone
photo held upright is stored sideways); a multi-page TIFF gives one page per
frame. A photographed sheet is cut out of its background and its perspective
undone. The page size in points comes from the file's DPI, or 200 dpi when the
file states none (or states a screen value like 72 for a full-page photo,
which would make an A4 sheet a metre tall); pages scanned far finer than
``settings.ocr_dpi`` are brought down to it (the recogniser gains nothing from
600 dpi and the layout steps slow down); ``ocr_page`` does the rest.
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from saidao.document import Block, Document, PageInfo, Paragraph
from saidao.errors import SaidaoError
from saidao.ingest import pageprogress
from saidao.ingest.limits import image_pixels_ok
from saidao.ingest.readers import ocr_engine
from saidao.ingest.readers import scan_layout as layout
from saidao.ingest.readers.ocr import ocr_page
from saidao.ingest.tables import join_continued_tables, number_tables
from saidao.settings import ReadSettings

DEFAULT_DPI = 200.0
#: Resolution photographed sheets are brought up to before OCR.
PHOTO_DPI = 200.0
#: A stated DPI outside this range is taken as missing.
PLAUSIBLE_DPI = (100.0, 1200.0)
#: Long side of an A4 sheet in inches, for photos whose DPI says nothing.
A4_LONG_INCHES = 11.69
#: A light, exactly upright rectangle that would make an A4 sheet coarser than this (its
#: long side under 585 px; at 50 dpi a line of body text is 7 px high) is no photographed
#: sheet but a screenshot's white panel or window: taken as A4, a 259×133 screenshot
#: became a 22 dpi "page" whose large characters' strokes the rule finder took for a
#: table. A small photo of paper is never that square to the frame and is still flattened.
MIN_SHEET_DPI = 50.0
#: How far (pixels) a screenshot panel's corners may stray from an upright rectangle.
UPRIGHT_PIXELS = 2.0


def read_image(path: Path, sha256: str, settings: ReadSettings) -> Document:
    """OCR every page of an image file into one :class:`Document`."""
    started = time.perf_counter()
    doc = Document(path=str(path), sha256=sha256, format="image")
    by_page: dict[int, list[Block]] = {}
    ocr_engine.share_cores()  # before the sheet is looked for
    for number, (rgb, dpi, n_frames) in enumerate(_pages(path, settings), start=1):
        rgb, dpi = _at_most(rgb, dpi, settings.ocr_dpi)
        points_per_pixel = 72.0 / dpi
        if not settings.ocr:
            h, w = rgb.shape[:2]
            doc.pages.append(PageInfo(number, w * points_per_pixel, h * points_per_pixel))
            doc.problems.append(f"第{number}页为图片，未进行文字识别（OCR 已关闭）")
            doc.status = "partial"
            continue
        blocks, info = ocr_page(
            rgb, path=str(path), page_number=number,
            points_per_pixel=points_per_pixel, settings=settings,
        )
        info.ocr_reason = "image file"
        doc.pages.append(info)
        by_page[number] = _body(blocks, info, doc)
        pageprogress.page_done(number, n_frames)
    doc.blocks = join_continued_tables(by_page, {p.number: p.height for p in doc.pages})
    number_tables(doc.blocks)
    doc.timings["ocr"] = round(time.perf_counter() - started, 4)
    return doc


def _pages(path: Path, settings: ReadSettings):
    """Yield ``(RGB array, dpi, frames in the file)`` per frame; bad files become SaidaoError."""
    # Pillow's own bomb check at the same budget, in case a frame is decoded unasked
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the budget decides
            image = Image.open(path)
    except Image.DecompressionBombError as exc:  # refused from the header, before decoding
        raise SaidaoError("too_large", path, f"图像像素数远超上限 {settings.max_image_pixels / 1e6:g} "
                          "百万像素，未解码") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SaidaoError("corrupt", path, f"{type(exc).__name__}: {exc}"[:300]) from exc
    with image:
        n_frames = getattr(image, "n_frames", 1)
        if n_frames > settings.max_pages:
            raise SaidaoError("too_many_pages", path, f"{n_frames} > {settings.max_pages}")
        for frame in ImageSequence.Iterator(image):
            image_pixels_ok(*frame.size, settings, path)  # from the header, before decoding
            try:
                rgb = _to_rgb(ImageOps.exif_transpose(frame))
            except (OSError, SyntaxError, ValueError) as exc:  # truncated or broken data
                raise SaidaoError("corrupt", path, f"{type(exc).__name__}: {exc}"[:300]) from exc
            yield (*_unwarp(rgb, frame.info.get("dpi")), n_frames)


def _unwarp(rgb: np.ndarray, stated) -> tuple[np.ndarray, float]:
    """A photographed sheet cut out of its background and flattened; ``(page, dpi)``.

    A photo states no useful DPI, so the sheet is taken for A4 and, when it was
    shot at less than the OCR resolution, enlarged to it: small glyphs are where
    the detector loses characters.
    """
    corners = layout.find_sheet(rgb)
    if corners is None:
        return rgb, _dpi(stated, rgb.shape[:2])
    sheet = layout.flatten_sheet(rgb, corners)
    dpi = _dpi(stated, (0, 0))
    if dpi == DEFAULT_DPI:  # nothing plausible stated: measure the sheet as A4
        dpi = max(sheet.shape[:2]) / A4_LONG_INCHES
        if dpi < MIN_SHEET_DPI and _upright_rectangle(corners):  # a screenshot's panel
            return rgb, _dpi(stated, rgb.shape[:2])
    if dpi < PHOTO_DPI:
        scale = min(2.0, PHOTO_DPI / dpi)
        sheet = layout.flatten_sheet(rgb, corners, scale=scale)
        dpi *= scale
    return sheet, dpi


def _upright_rectangle(corners: np.ndarray) -> bool:
    """Whether the corners (tl, tr, br, bl) square with the image's axes, as a drawn panel's do."""
    tl, tr, br, bl = corners
    return bool(max(abs(tl[1] - tr[1]), abs(bl[1] - br[1]), abs(tl[0] - bl[0]), abs(tr[0] - br[0]))
                <= UPRIGHT_PIXELS)


def _at_most(rgb: np.ndarray, dpi: float, ocr_dpi: float) -> tuple[np.ndarray, float]:
    """Shrink a page scanned at well over the OCR resolution down to it."""
    if dpi <= 1.5 * ocr_dpi:
        return rgb, dpi
    scale = ocr_dpi / dpi
    return cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), ocr_dpi


def _to_rgb(frame: Image.Image) -> np.ndarray:
    """Any Pillow mode -> H×W×3 uint8; transparency composited on white paper."""
    frame.load()
    if frame.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(frame, dtype=np.float64)
        top = arr.max() or 1.0
        gray = (arr * (255.0 / top)).clip(0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info:
        rgba = frame.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, _paper_for(np.asarray(rgba)))
        frame = Image.alpha_composite(paper, rgba)
    return np.asarray(frame.convert("RGB"))


#: A picture whose opaque pixels are all light — fewer than this share of them darker than
#: ``scan_layout.DARK_GROUND`` — draws light on nothing: on white paper it would vanish,
#: so it gets black paper (and the page is then turned to dark on light,
#: ``scan_layout.dark_on_light``). Anything with dark content of its own (a white card
#: with black text, a red headline outlined in white) keeps white paper: on black, its
#: light part was taken for a photographed sheet and its strokes for rules.
DARK_OPAQUE_SHARE = 0.01


def _paper_for(rgba: np.ndarray) -> tuple[int, int, int, int]:
    """The paper a transparent picture is laid on: white, unless all it draws is light.

    >>> white_text = np.zeros((4, 4, 4), np.uint8); white_text[1:3, 1:3] = 255
    >>> _paper_for(white_text)
    (0, 0, 0, 255)
    >>> card = white_text.copy(); card[1, 1, :3] = 0   # a white card with dark text on it
    >>> _paper_for(card)
    (255, 255, 255, 255)
    >>> _paper_for(np.zeros((4, 4, 4), np.uint8))  # nothing opaque: white paper
    (255, 255, 255, 255)
    """
    opaque = rgba[..., 3] >= 128
    if not opaque.any():
        return (255, 255, 255, 255)
    luminance = rgba[..., :3][opaque].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    dark = np.count_nonzero(luminance < layout.DARK_GROUND)
    return (0, 0, 0, 255) if dark < DARK_OPAQUE_SHARE * luminance.size else (255, 255, 255, 255)


def _dpi(stated, shape: tuple[int, int]) -> float:
    """The stated DPI when plausible; else A4 for a page-sized photo, else the default."""
    try:
        dpi = float(min(stated)) if stated else 0.0
    except (TypeError, ValueError):
        dpi = 0.0
    if PLAUSIBLE_DPI[0] <= dpi <= PLAUSIBLE_DPI[1]:
        return dpi
    long_side = max(shape)
    if long_side > DEFAULT_DPI * 17:  # larger than A3 at 200 dpi: a photo of a sheet
        return long_side / A4_LONG_INCHES
    return DEFAULT_DPI


#: A page number on its own: "第 3 页", "- 3 -", "3 / 10", "3".
PAGE_NUMBER = re.compile(r"^\s*(第\s*\d+\s*页(\s*共\s*\d+\s*页)?|[-—–]?\s*\d+\s*[-—–]?|\d+\s*/\s*\d+)\s*$")
#: Share of the page height at top and bottom where running heads live.
MARGIN = 0.1


#: A phone screenshot's top: the status bar (a clock, then signal, network and battery
#: marks) and the app's title bar (a back chevron, then the account or page name).
STATUS_BAR = re.compile(r"^\s*\d{1,2}:\d{2}(?:[\s.·|%]*(?:[2345]G|LTE|HD|Wi-?Fi|\d{1,3}%?))*[\s.·|%]*$", re.I)
TITLE_BAR = re.compile(r"^\s*[<‹〈＜]\s*\S.{0,24}$")


def _body(blocks: list[Block], info: PageInfo, doc: Document) -> list[Block]:
    """Move page numbers in the top and bottom margins to the document's headers/footers,
    and a phone screenshot's status and title bars at the head of its first page to the
    headers (left in the body, "9:41 <包头市科学技术局" was read as part of the title).

    Left in the body they would sit between a table and its continuation on
    the next page and stop the two from being joined.
    """
    if info.number == 1:
        while blocks and isinstance(blocks[0], Paragraph) and (
                STATUS_BAR.match(blocks[0].text) or TITLE_BAR.match(blocks[0].text)):
            doc.headers.append(blocks[0])
            blocks = blocks[1:]
    body = []
    for block in blocks:
        bbox = block.provenance.bbox
        if isinstance(block, Paragraph) and bbox and PAGE_NUMBER.match(block.text):
            if bbox[3] <= MARGIN * info.height:
                doc.headers.append(block)
                continue
            if bbox[1] >= (1 - MARGIN) * info.height:
                doc.footers.append(block)
                continue
        body.append(block)
    return body

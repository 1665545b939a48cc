"""Resource limits that hold whatever a file claims about itself.

A 2 KB PDF can declare a 200-inch page (rendering it for OCR asks for
gigabytes), a 1 MB PDF can hold a flate stream that inflates to a gigabyte,
a 139 KB PNG can claim 10,900² pixels. Every such claim is checked here
*before* the work it would cause, and refused with ``too_large`` or
``too_complex``; behind the checks each worker runs under a data-size limit
(:func:`limit_worker_memory`), so what slips through fails one file with
``MemoryError`` instead of taking the machine's memory.
"""

from __future__ import annotations

import math
import mmap
import re
import resource
import zlib
from pathlib import Path

from saidao.errors import SaidaoError
from saidao.settings import ReadSettings

#: ``stream`` followed by its end of line, the start of a PDF stream's data.
_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_CHUNK = 1 << 16
_MIB = 1 << 20


def limit_worker_memory(limit_bytes: int) -> bool:
    """Cap this process's data segment (heap and private mappings); False when not possible.

    ``RLIMIT_DATA`` rather than ``RLIMIT_AS``: onnxruntime and numpy reserve
    address space they never touch (a normal OCR worker maps ~1.9 GB of
    virtual memory for ~1.1 GB of data), so an address-space limit low enough
    to matter would fail good files.
    """
    if limit_bytes <= 0:
        return False
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = limit_bytes if hard == resource.RLIM_INFINITY else min(limit_bytes, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    except (ValueError, OSError):
        return False
    return True


# ------------------------------------------------------------------------ PDF streams


def check_pdf_streams(path: Path, settings: ReadSettings) -> None:
    """Refuse a PDF whose flate streams inflate beyond the budgets (``too_complex``).

    Each stream is inflated here in bounded chunks with the output thrown away,
    so the check costs CPU, not memory: PDFium and pdfminer inflate a whole
    stream into memory, a gigabyte of zeros included, before parsing it.
    """
    per_stream, total_cap = settings.max_stream_bytes, settings.max_inflated_bytes
    total = 0
    with open(path, "rb") as fh:
        try:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty file
            return
        with data:
            for n, match in enumerate(_STREAM.finditer(data), start=1):
                size = _inflated_size(data, match.end(), per_stream + 1)
                if size > per_stream:
                    raise SaidaoError("too_complex", path,
                                      f"第{n}个压缩流解压后超过 {per_stream // _MIB} MiB")
                total += size
                if total > total_cap:
                    raise SaidaoError("too_complex", path,
                                      f"压缩流解压后合计超过 {total_cap // _MIB} MiB")


def _inflated_size(data: mmap.mmap, start: int, cap: int) -> int:
    """Bytes the zlib stream at ``start`` inflates to, counting up to ``cap``; 0 if not zlib."""
    head = data[start:start + 2]
    if len(head) < 2 or head[0] & 0x0F != 8 or (head[0] << 8 | head[1]) % 31:
        return 0  # not a zlib header: another filter (DCT, JBIG2 …) or none
    inflater = zlib.decompressobj()
    size, pos = 0, start
    try:
        while size < cap and not inflater.eof:
            chunk = inflater.unconsumed_tail or data[pos:pos + _CHUNK]
            if not inflater.unconsumed_tail:
                if not chunk:
                    break
                pos += len(chunk)
            size += len(inflater.decompress(chunk, min(_CHUNK * 16, cap - size)))
    except zlib.error:
        pass  # damaged data: PDFium decides what it makes of it
    return size


# ------------------------------------------------------------------------ rendering


def render_scale(width_pt: float, height_pt: float, dpi: float, settings: ReadSettings,
                 path: str | Path, page_number: int) -> float:
    """The render scale for a page: ``dpi`` when the pixel budget allows, else lowered to fit.

    Checked before anything is rendered: a page so large that even
    ``settings.min_render_dpi`` exceeds the budget is refused as ``too_large``.
    """
    area = max(width_pt, 1.0) * max(height_pt, 1.0) / (72.0 * 72.0)  # square inches
    budget = settings.max_render_pixels
    if area * dpi * dpi <= budget:
        return dpi / 72.0
    fitted = math.sqrt(budget / area)
    if fitted < settings.min_render_dpi:
        raise SaidaoError(
            "too_large", path,
            f"第{page_number}页 {width_pt / 72 * 2.54:.0f}×{height_pt / 72 * 2.54:.0f} 厘米，"
            f"按 {settings.min_render_dpi:g} dpi 渲染需 "
            f"{area * settings.min_render_dpi ** 2 / 1e6:.0f} 百万像素，超过上限 {budget / 1e6:g}",
        )
    return fitted / 72.0


def image_pixels_ok(width: int, height: int, settings: ReadSettings, path: str | Path) -> None:
    """Refuse an image whose header claims more pixels than the budget, before decoding it."""
    if width * height > settings.max_image_pixels:
        raise SaidaoError("too_large", path,
                          f"{width}×{height} 像素，超过上限 {settings.max_image_pixels / 1e6:g} 百万像素")

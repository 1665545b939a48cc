"""What a file is before it is read: a document, or something else, told truthfully.

A folder staff hand in holds more than declarations and policies: workbooks
(registers), slides, JSON and Markdown left by tools, program files, icons.
Those are *not documents*: they are counted as skipped with the reason, never
as imported, and never expanded as archives (an ``.xlsx`` is a zip of XML
parts, but its parts are not submissions). The bytes decide (``detect.sniff``);
the name only names what kind of non-document a text file is (``.json``,
``.md``, ``.py``), since text is text whatever it holds.

An extension that contradicts the content (text named ``.pdf``) does not stop
the file: it is read by its content and the contradiction is a problem on it.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from saidao.errors import SaidaoError
from saidao.ingest.detect import looks_like_text, sniff

#: Non-document formats the bytes identify -> what to tell staff.
NOT_DOCUMENT_FORMATS = {
    "xlsx": "Excel 工作簿；认定名单请用 `saidao register import` 导入",
    "xls": "Excel 工作簿（旧版 .xls）；认定名单请另存为 .xlsx 后用 `saidao register import` 导入",
    "pptx": "PowerPoint 演示文稿",
    "ppt": "PowerPoint 演示文稿（旧版 .ppt）",
}
#: Text files whose extension says they are data, notes or programs, not submissions.
_TEXT_SKIPS = {
    ".json": "JSON 数据文件",
    ".jsonl": "JSON 数据文件",
    ".md": "Markdown 说明文件",
    ".markdown": "Markdown 说明文件",
    ".rst": "reStructuredText 说明文件",
    ".py": "Python 程序文件",
    ".js": "程序文件",
    ".ts": "程序文件",
    ".sh": "脚本文件",
    ".bat": "脚本文件",
    ".ps1": "脚本文件",
    ".css": "样式表文件",
    ".csv": "CSV 表格；认定名单请用 `saidao register import` 导入",
    ".tsv": "表格文件；认定名单请用 `saidao register import` 导入",
    ".xml": "XML 数据文件",
    ".yaml": "配置文件",
    ".yml": "配置文件",
    ".toml": "配置文件",
    ".ini": "配置文件",
    ".cfg": "配置文件",
    ".log": "日志文件",
}
#: An image smaller than this on its short or long side cannot hold a readable page
#: (an A4 page scanned at 72 dpi is 595 x 842 pixels; icons and logos are far below).
MIN_PAGE_SHORT_SIDE = 300
MIN_PAGE_LONG_SIDE = 400
#: An image this much wider than tall (or taller than wide) is a banner or a strip, not a page.
MAX_PAGE_ASPECT = 4.0

#: The scans' and photos' extensions (``readers.image``): read by OCR, every page.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
#: Extension -> the formats whose content it may hold without contradiction.
_EXPECTED = {
    ".pdf": {"pdf"},
    ".docx": {"docx"},
    ".doc": {"doc", "rtf"},
    ".wps": {"doc", "docx"},
    ".rtf": {"rtf"},
    ".txt": {"txt"},
    ".text": {"txt"},
    **{s: {"image"} for s in IMAGE_SUFFIXES},
}
_FORMAT_ZH = {
    "pdf": "PDF", "docx": "Word 文档（.docx）", "doc": "旧版 Word 文档（.doc）", "rtf": "RTF 文档",
    "image": "图片", "txt": "纯文本",
}


def not_a_document(path: Path, display: str) -> SaidaoError | None:
    """The ``not_document`` refusal of a file that is no document, else None.

    Cheap (reads the head, at most the image header): runs in the parent
    before any worker is given the file, and in dry runs.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None  # unreadable bytes are the reader's to report
    if not head:
        return None
    suffix = PurePosixPath(display).suffix.lower()
    if suffix in _TEXT_SKIPS and looks_like_text(head):
        return SaidaoError("not_document", display, _TEXT_SKIPS[suffix])
    fmt = sniff(path, head)
    if fmt in NOT_DOCUMENT_FORMATS:
        return SaidaoError("not_document", display, NOT_DOCUMENT_FORMATS[fmt])
    if fmt == "txt" and _is_json(path, head):
        return SaidaoError("not_document", display, "JSON 数据文件")
    if fmt == "image":
        return _image_not_page(path, display)
    return None


def _is_json(path: Path, head: bytes) -> bool:
    """Text that parses as a JSON object or array is data, whatever its name."""
    if head.lstrip()[:1] not in (b"{", b"["):
        return False
    try:
        if path.stat().st_size > 32 << 20:
            return False
        json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, OSError):
        return False
    return True


def _image_not_page(path: Path, display: str) -> SaidaoError | None:
    """An image too small or too elongated to be a photographed or scanned page."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            width, height = img.size
    except Exception:  # noqa: BLE001 - a broken image is the reader's to report
        return None
    short, long = sorted((width, height))
    if short < MIN_PAGE_SHORT_SIDE or long < MIN_PAGE_LONG_SIDE:
        return SaidaoError("not_document", display, f"图片仅 {width}×{height} 像素，不是文档页面")
    if long / max(short, 1) > MAX_PAGE_ASPECT:
        return SaidaoError("not_document", display,
                           f"图片为 {width}×{height} 像素的长条，不是文档页面")
    return None


def extension_problem(display: str, fmt: str | None) -> dict[str, str] | None:
    """A problem when the name's extension contradicts the content read, else None."""
    suffix = PurePosixPath(display).suffix.lower()
    expected = _EXPECTED.get(suffix)
    if not fmt or expected is None or fmt in expected:
        return None
    content = _FORMAT_ZH.get(fmt, fmt)
    return {
        "field": "file",
        "code": "extension_mismatch",
        "message": f"文件扩展名为 {suffix}，但内容是{content}；已按{content}读取，请核对文件",
    }

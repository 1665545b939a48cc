"""Tell a file's format from its bytes, not its name.

Paper-era folders hold .doc files renamed .docx, PDFs saved as .jpg and text
exported as .doc; the extension is only a tie-breaker.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

#: format -> what the readers call it; "docx" also covers .wps saved as OOXML.
#: "xlsx"/"xls"/"pptx"/"ppt" are office files that are not documents to read
#: (a workbook is never an archive to expand; see ``ingest.fate``).
FORMATS = ("pdf", "docx", "doc", "rtf", "image", "txt", "zip", "html", "mhtml", "ofd",
           "xlsx", "xls", "pptx", "ppt")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"RIFF",  # webp (checked further below)
)
TEXT_SUFFIXES = {".txt", ".text", ".md", ".csv"}


def sniff(path: Path, head: bytes | None = None) -> str | None:
    """The file's format, or None when the bytes say nothing we can read."""
    if head is None:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    if not head:
        return None
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_OLE2):
        return _sniff_ole2(path)
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path)
    for magic in _IMAGE_MAGIC:
        if head.startswith(magic):
            if magic == b"RIFF" and head[8:12] != b"WEBP":
                break
            return "image"
    web = sniff_web(head)
    if web is not None:
        return web
    if looks_like_text(head):
        return "txt"
    return None


def pages_to_read(path: Path) -> int:
    """Pages a file will take to read, for a time estimate before it is read: a PDF's page
    count (``readers.pdf.page_count``), one for anything else, and one for a file that
    cannot tell (damaged, encrypted, gone: its reader will say why; the estimate goes on).

    The one page count the web's upload estimate may use: the web imports
    ``ingest.detect``, never the readers (``docs/architecture.md``).
    """
    try:
        if sniff(Path(path)) != "pdf":
            return 1
        from saidao.ingest.readers.pdf import page_count

        return page_count(Path(path))
    except Exception:  # noqa: BLE001  (any failure: the estimate counts the file as one page)
        return 1


#: Tags one of which a saved web page shows near its start (lower case).
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")


def sniff_web(head: bytes) -> str | None:
    """``html`` or ``mhtml`` from the first bytes of a file, else None.

    HTML: after a BOM, whitespace and comments the bytes start with a tag and
    one of the page-level tags appears (a policy .txt never starts with ``<``).
    MHTML (a browser's "save as single file"): RFC 822 headers whose
    Content-Type is ``multipart/related``.
    """
    text = head
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if text.startswith(bom):
            # UTF-16: look at the ASCII bytes only
            text = text[3:] if bom == b"\xef\xbb\xbf" else text[2:].replace(b"\x00", b"")
            break
    lowered = text.lstrip().lower()
    if lowered.startswith(b"<") and any(m in lowered for m in _HTML_MARKERS):
        return "html"
    if b"multipart/related" in lowered[:4096] and _starts_with_header(lowered):
        return "mhtml"
    return None


def _starts_with_header(text: bytes) -> bool:
    """The first line is an RFC 822 header (``Name: value``), as MHTML files begin."""
    first = text.split(b"\n", 1)[0]
    name, colon, _ = first.partition(b":")
    return bool(colon) and 0 < len(name) < 40 and all(33 <= c <= 126 for c in name)


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        # a damaged container: let its reader say "corrupt" rather than "unsupported"
        return {".docx": "docx", ".ofd": "ofd"}.get(path.suffix.lower(), "zip")
    if "word/document.xml" in names:
        return "docx"
    if any(name.lower() == "ofd.xml" for name in names):
        return "ofd"  # GB/T 33190: the container's entry file is OFD.xml at the root
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return "zip"


#: OLE2 stream names (UTF-16LE in the directory) that say which Office program wrote it.
_OLE2_STREAMS = (
    ("WordDocument".encode("utf-16-le"), "doc"),
    ("Workbook".encode("utf-16-le"), "xls"),
    ("Book".encode("utf-16-le") + b"\x00\x00", "xls"),
    ("PowerPoint Document".encode("utf-16-le"), "ppt"),
)
#: An OLE2 directory is read this far into the file at most (bounded work per file).
_OLE2_SCAN_BYTES = 64 << 20


def _sniff_ole2(path: Path) -> str:
    """``doc``, ``xls`` or ``ppt`` from the compound file's stream names; ``doc`` when unsure.

    The directory entries hold the stream names in UTF-16; they may lie anywhere in
    the file, so the bytes are scanned (legacy files are small; the scan is bounded).
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read(_OLE2_SCAN_BYTES)
    except OSError:
        return "doc"
    for name, fmt in _OLE2_STREAMS:
        if name in data:
            return fmt
    return "doc"


def looks_like_text(head: bytes) -> bool:
    """UTF-8 or GB18030 without control bytes; tolerate a cut multibyte tail."""
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # cut in the middle of the last character
                return True
    return False

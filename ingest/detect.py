"""Tell a file's format from its bytes, not its name.

Paper-era folders hold .doc files renamed .docx, PDFs saved as .jpg and text
exported as .doc; the extension is only a tie-breaker.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

#: format -> what the readers call it; "docx" also covers .wps saved as OOXML.
FORMATS = ("pdf", "docx", "doc", "rtf", "image", "txt", "zip")

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
        return "doc"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path)
    for magic in _IMAGE_MAGIC:
        if head.startswith(magic):
            if magic == b"RIFF" and head[8:12] != b"WEBP":
                break
            return "image"
    if _looks_like_text(head):
        return "txt"
    return None


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return "docx" if path.suffix.lower() == ".docx" else "zip"
    if "word/document.xml" in names:
        return "docx"
    return "zip"


def _looks_like_text(head: bytes) -> bool:
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

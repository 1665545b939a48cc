"""The one entry point from a file on disk to a :class:`Document`.

``read`` checks the things every format shares (exists, not empty, not too
large), identifies the format from the bytes, hands the file to its reader and
turns anything unexpected into a :class:`SaidaoError` so that a caller never
sees a raw traceback for bad input.
"""

from __future__ import annotations

import errno
import hashlib
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from saidao.document import Document
from saidao.errors import SaidaoError
from saidao.ingest.detect import sniff
from saidao.ingest.fate import IMAGE_SUFFIXES, NOT_DOCUMENT_FORMATS
from saidao.ingest.walk import os_error
from saidao.settings import DEFAULT, ReadSettings

SUPPORTED_SUFFIXES = {
    ".docx", ".doc", ".wps", ".rtf", ".pdf", ".txt", *IMAGE_SUFFIXES,
    ".html", ".htm", ".mhtml", ".mht", ".ofd",
}
#: Files that may hold pages without a text layer: scans, photos, and PDFs or OFDs of them.
OCR_SUFFIXES = frozenset({".pdf", ".ofd", *IMAGE_SUFFIXES})


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read(path: str | Path, settings: ReadSettings = DEFAULT, sha256: str | None = None) -> Document:
    """Read one file into the document model, or raise ``SaidaoError``.

    ``sha256``: the file's digest when the caller has it already (the bulk
    import hashes every file to know whether it is new), so the bytes are not
    read a second time just to hash them.
    """
    path = Path(path)
    started = time.perf_counter()
    try:
        fmt, sha = _identify(path, settings, sha256)
    except OSError as exc:  # permission denied, disk full, I/O error: not a corrupt file
        raise os_error(exc, path) from exc
    reader = _reader_for(fmt)
    try:
        doc = reader(path, sha, settings)
    except SaidaoError:
        raise
    except MemoryError as exc:
        raise SaidaoError("too_large", path, "out of memory") from exc
    except OSError as exc:
        if exc.errno in _OS_TROUBLE:
            raise os_error(exc, path) from exc
        raise SaidaoError("corrupt", path, f"{type(exc).__name__}: {exc}"[:300]) from exc
    except Exception as exc:  # a library choking on bad bytes is a corrupt file to the user
        raise SaidaoError("corrupt", path, f"{type(exc).__name__}: {exc}"[:300]) from exc
    doc.timings["total"] = round(time.perf_counter() - started, 4)
    return doc


#: OS errors that say nothing about the file's bytes (a library's OSError on bad data has no errno).
_OS_TROUBLE = {errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT}


def _identify(path: Path, settings: ReadSettings, sha256: str | None) -> tuple[str, str]:
    """The checks every format shares; the format and the digest."""
    if not path.is_file():
        raise SaidaoError("not_found", path)
    size = path.stat().st_size
    if size == 0:
        raise SaidaoError("empty", path)
    if size > settings.max_bytes:
        raise SaidaoError("too_large", path, f"{size} > {settings.max_bytes} bytes")
    fmt = sniff(path)
    if fmt is None or fmt == "zip":
        raise SaidaoError("unknown_format", path, path.suffix or "no extension")
    if fmt in NOT_DOCUMENT_FORMATS:  # a workbook or slides: no reader, say what it is
        raise SaidaoError("unknown_format", path, NOT_DOCUMENT_FORMATS[fmt])
    return fmt, sha256 or sha256_of(path)


def read_many(
    paths: Iterable[str | Path], settings: ReadSettings = DEFAULT
) -> Iterator[tuple[Path, Document | SaidaoError]]:
    """Read each file in turn; a bad one yields its error and the run goes on."""
    for p in paths:
        p = Path(p)
        try:
            yield p, read(p, settings)
        except SaidaoError as err:
            yield p, err


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders walked recursively (sorted, hidden files skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                f for f in sorted(p.rglob("*"))
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            out.append(p)
    return out


def _reader_for(fmt: str):
    # Imported lazily: OCR and LibreOffice machinery should cost nothing for a .txt.
    if fmt == "docx":
        from saidao.ingest.readers.docx import read_docx
        return read_docx
    if fmt in ("doc", "rtf"):
        from saidao.ingest.readers.legacy import read_legacy
        return read_legacy
    if fmt == "pdf":
        from saidao.ingest.readers.pdf import read_pdf
        return read_pdf
    if fmt == "image":
        from saidao.ingest.readers.image import read_image
        return read_image
    if fmt == "txt":
        from saidao.ingest.readers.text import read_text
        return read_text
    if fmt in ("html", "mhtml"):
        from saidao.ingest.readers.html import read_html, read_mhtml
        return read_html if fmt == "html" else read_mhtml
    if fmt == "ofd":
        from saidao.ingest.readers.ofd import read_ofd
        return read_ofd
    raise AssertionError(fmt)

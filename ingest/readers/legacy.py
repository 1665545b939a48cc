"""The .doc / .wps / .rtf reader: LibreOffice converts, the .docx reader reads.

Word 97-2003 binaries, Kingsoft WPS files and RTF are converted to .docx by
LibreOffice in headless mode, each run with its own throw-away user profile
(two conversions sharing a profile block each other, and a stale profile can
make soffice exit 0 without output). The resulting .docx goes through
:func:`docx_to_document`, so the model is the same as for a native .docx, but
``Document.path``, ``format``, ``converted_from`` and every provenance name the
original file.

soffice is found via ``$SAIDAO_SOFFICE`` (if set, it must exist), else
``soffice`` or ``libreoffice`` on ``PATH``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from saidao.document import Document
from saidao.errors import SaidaoError
from saidao.ingest import deadline
from saidao.ingest.lifetime import guarded, temporary_folder
from saidao.ingest.readers.docx import docx_to_document
from saidao.settings import ReadSettings

SOFFICE_ENV = "SAIDAO_SOFFICE"
SOFFICE_NAMES = ("soffice", "libreoffice")

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole_name(name: str) -> bytes:
    """How a stream name appears in an OLE2 directory entry (UTF-16LE)."""
    return name.encode("utf-16-le")


#: OLE2 stream name → what the file is, for compound files that are not Word.
_NOT_WORD_STREAMS = {
    "Workbook": "an Excel workbook",
    "Book": "an Excel 5 workbook",
    "PowerPoint Document": "a PowerPoint presentation",
    "EncryptedPackage": "a password-protected Office file",
}


def read_legacy(path: Path, sha256: str, settings: ReadSettings) -> Document:
    """Convert a .doc/.wps/.rtf with LibreOffice and read the result as .docx."""
    fmt = legacy_format(path)
    soffice = find_soffice(path)
    with temporary_folder("lo") as tmp:  # removed by the next run if this worker is killed
        timeout = deadline.remaining(settings.soffice_timeout)  # within the file's --timeout
        converted = convert_to_docx(path, tmp, soffice, timeout, fmt)
        doc = docx_to_document(converted, sha256=sha256, settings=settings, source=path, fmt=fmt)
    doc.converted_from = f".{fmt}"
    return doc


def legacy_format(path: Path) -> str:
    """``"rtf"``, ``"wps"`` or ``"doc"`` from the bytes (name only tells .wps from .doc).

    OLE2 files that are plainly not Word documents are refused here rather than
    handed to LibreOffice, which would convert a spreadsheet into an empty page.
    """
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if not head.startswith(_OLE2_MAGIC):
        raise SaidaoError("unknown_format", path, "neither an OLE2 (.doc/.wps) nor an RTF file")
    streams = _ole_streams(path, ["WordDocument", "EncryptionInfo", *_NOT_WORD_STREAMS])
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        raise SaidaoError("encrypted", path)
    if "WordDocument" not in streams:
        for stream, what in _NOT_WORD_STREAMS.items():
            if stream in streams:
                raise SaidaoError("unknown_format", path, f"OLE2 file is {what}, not a Word document")
    return "wps" if path.suffix.lower() == ".wps" else "doc"


def _ole_streams(path: Path, names: list[str]) -> set[str]:
    """Which of ``names`` occur as OLE2 directory entry names anywhere in the file.

    A byte scan, not a directory parse: directory sectors can sit anywhere in
    the file, and a false positive only means LibreOffice gets to try.
    """
    wanted = {name: _ole_name(name) for name in names}
    overlap = max(len(v) for v in wanted.values())
    found: set[str] = set()
    tail = b""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            window = tail + chunk
            found.update(name for name, raw in wanted.items() if raw in window)
            tail = window[-overlap:]
    return found


def find_soffice(path: Path | None = None) -> str:
    """The LibreOffice executable, or ``SaidaoError("converter_missing")``."""
    configured = os.environ.get(SOFFICE_ENV)
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise SaidaoError("converter_missing", path, f"${SOFFICE_ENV}={configured} not found")
        return found
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise SaidaoError("converter_missing", path, "soffice/libreoffice not on PATH")


def convert_to_docx(path: Path, workdir: Path, soffice: str, timeout: float, fmt: str) -> Path:
    """Run LibreOffice on a copy of ``path`` inside ``workdir``; return the .docx made.

    The copy has a plain ASCII name so odd file names cannot confuse soffice's
    argument parsing or its output naming. soffice runs in its own process
    group so a timeout kills it together with its helper processes.
    """
    source = workdir / ("input.rtf" if fmt == "rtf" else "input.doc")
    shutil.copyfile(path, source)
    outdir = workdir / "out"
    outdir.mkdir()
    command = [
        soffice,
        "--headless",
        "--norestore",
        "--nologo",
        f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
        "--convert-to",
        "docx:MS Word 2007 XML",
        "--outdir",
        str(outdir),
        str(source),
    ]
    _run(command, path, timeout)
    result = outdir / "input.docx"
    if not result.is_file() or result.stat().st_size == 0:
        raise SaidaoError("conversion_failed", path, "LibreOffice produced no .docx")
    return result


def _run(command: list[str], path: Path, timeout: float) -> None:
    """Run soffice; kill its process group on timeout; map failures to SaidaoError."""
    try:
        proc = subprocess.Popen(
            guarded(command),  # soffice and the soffice.bin it starts die with this worker
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise SaidaoError("converter_missing", path, str(exc)) from exc
    started = time.monotonic()
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        spent = time.monotonic() - started
        raise SaidaoError("conversion_timeout", path,
                          f"用时 {spent:.1f} 秒，超过限制 {timeout:g} 秒") from exc
    except BaseException:  # the file's own time limit (SIGALRM) or a stop: soffice goes too
        _kill_group(proc)
        raise
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip()[-300:]
        raise SaidaoError("conversion_failed", path, f"soffice exit {proc.returncode}: {tail}")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill soffice and every process it started (they share its session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()

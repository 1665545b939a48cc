"""Safety checks on zip containers before anything inflates them.

A .docx is a zip; so are the archives staff sometimes hand in. A hostile or
broken one can inflate to gigabytes from a few kilobytes (a "zip bomb"), hide
members behind absolute or ``..`` paths, or simply not be a zip. The checks
here look only at the central directory (cheap, nothing is decompressed).

Trusting the declared sizes is safe: :mod:`zipfile` stops inflating a member
at its declared ``file_size`` and fails its CRC check otherwise, so a member
that lies about its size cannot inflate past what was checked here.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from saidao.errors import SaidaoError
from saidao.settings import ReadSettings

#: Members smaller than this are never a bomb on their own, whatever their
#: ratio: highly repetitive XML (empty table rows) legitimately compresses well.
RATIO_FLOOR_BYTES = 1 << 20
#: More members than this is not an office file or a sane submission.
MAX_MEMBERS = 20_000

#: The member every WordprocessingML package must have.
WORD_MAIN_PART = "word/document.xml"


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open ``path`` as a zip, turning "not a zip" into ``SaidaoError("corrupt")``."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SaidaoError("corrupt", path, f"not a valid zip container: {exc}") from exc


def is_unsafe_name(name: str) -> bool:
    """True for member names that would escape an extraction folder."""
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return True
    return ".." in PurePosixPath(normalised).parts


def safe_members(
    zf: zipfile.ZipFile, settings: ReadSettings, path: str | Path | None = None
) -> Iterator[zipfile.ZipInfo]:
    """Validate the whole archive, then yield its file members (folders skipped).

    All checks run before the first member is yielded, so a caller never
    starts extracting an archive that is rejected half-way:

    - more than ``MAX_MEMBERS`` members, total uncompressed size above
      ``settings.max_unzipped_bytes`` or one member inflating more than
      ``settings.max_compression_ratio`` times → ``zip_bomb``;
    - an absolute path, a drive letter or a ``..`` component → ``unsafe_path``;
    - an encrypted member → ``encrypted``.
    """
    where = path if path is not None else zf.filename
    safe, unsafe = checked_members(zf, settings, where)
    if unsafe:
        raise SaidaoError("unsafe_path", where, unsafe[0].filename[:200])
    yield from safe


def checked_members(
    zf: zipfile.ZipFile, settings: ReadSettings, where: str | Path
) -> tuple[list[zipfile.ZipInfo], list[zipfile.ZipInfo]]:
    """The archive checked as a whole (bombs, encryption), its file members split into
    safe and unsafe names, so an importer can take the good files of an archive that
    holds one bad name and report that one alone."""
    infos = zf.infolist()
    _check_sizes(infos, settings, where)
    for info in infos:
        if info.flag_bits & 0x1:
            raise SaidaoError("encrypted", where, f"encrypted member {info.filename[:200]}")
    files = [info for info in infos if not info.is_dir()]
    unsafe = [info for info in infos if is_unsafe_name(info.filename)]
    return [i for i in files if i not in unsafe], unsafe


def check_ooxml(path: Path, settings: ReadSettings, main_part: str = WORD_MAIN_PART) -> None:
    """Refuse a .docx-like package that is not a zip, lacks ``main_part`` or is a bomb."""
    with open_zip(path) as zf:
        names = {info.filename for info in safe_members(zf, settings, path)}
    if main_part not in names:
        raise SaidaoError("corrupt", path, f"zip without {main_part}: not a Word document")


def _check_sizes(infos: list[zipfile.ZipInfo], settings: ReadSettings, where: str | Path) -> None:
    """Raise ``zip_bomb`` when the declared sizes say the archive inflates too far."""
    if len(infos) > MAX_MEMBERS:
        raise SaidaoError("zip_bomb", where, f"{len(infos)} members > {MAX_MEMBERS}")
    total = sum(info.file_size for info in infos)
    if total > settings.max_unzipped_bytes:
        raise SaidaoError(
            "zip_bomb", where, f"inflates to {total} bytes > {settings.max_unzipped_bytes}"
        )
    for info in infos:
        if info.file_size < RATIO_FLOOR_BYTES:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > settings.max_compression_ratio:
            raise SaidaoError(
                "zip_bomb",
                where,
                f"{info.filename[:100]} inflates {ratio:.0f}x > {settings.max_compression_ratio:g}x",
            )

"""Expand .zip archives handed in with a batch: their members are the files to import.

Archives made on Chinese Windows store member names in GBK without the
UTF-8 flag; :mod:`zipfile` then decodes them as cp437 (mojibake). Names are
recovered by re-encoding to the raw bytes and trying UTF-8, then GBK/GB18030;
the Info-ZIP Unicode Path field (written by 7-Zip, WinRAR) wins when present.

Members are copied to files named by a counter inside a folder the caller
owns, so a hostile name can never choose where bytes land; the names only
appear in ``origin`` (``batch.zip!材料/申报表.docx``). The whole archive is
checked by :func:`saidao.ingest.zipguard.safe_members` before the first byte
is inflated: a bomb, a ``..`` path or an encrypted member refuses it whole.
Nested archives are expanded one level.
"""

from __future__ import annotations

import shutil
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path, PurePosixPath

from saidao.errors import SaidaoError
from saidao.ingest.detect import sniff
from saidao.ingest.zipguard import checked_members, is_unsafe_name, open_zip
from saidao.settings import ReadSettings

#: Separator between an archive and a member in ``origin`` (as in ``jar:`` URLs).
SEP = "!"
#: Info-ZIP Unicode Path extra field id.
_UNICODE_PATH_FIELD = 0x7075
#: How deep archives inside archives are expanded (1: a zip inside the zip).
MAX_DEPTH = 1
_UTF8_FLAG = 0x800


@dataclass(frozen=True, slots=True)
class Member:
    """One file out of an archive: its temporary copy, or why it could not be had."""

    origin: str  # "batch.zip!dir/name.docx"; nested: "batch.zip!inner.zip!name.docx"
    path: Path | None  # the extracted copy (owned by the caller's work folder)
    error: SaidaoError | None = None


def is_archive(path: Path) -> bool:
    """A zip container that is not an office document (those are read, not expanded)."""
    try:
        return sniff(path) == "zip"
    except OSError:
        return False


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's real name, whatever encoding the archiver used."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    raw = _raw_name(info)
    unicode_path = _unicode_path_field(info.extra, raw)
    if unicode_path is not None:
        return unicode_path
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    """The name's bytes as stored (zipfile decoded them as cp437)."""
    try:
        return info.filename.encode("cp437")
    except UnicodeEncodeError:  # decoded with another metadata_encoding already
        return info.filename.encode("utf-8")


def _unicode_path_field(extra: bytes, raw: bytes) -> str | None:
    """The UTF-8 name of an Info-ZIP 0x7075 field, if its CRC matches ``raw``."""
    pos = 0
    while pos + 4 <= len(extra):
        field_id, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if field_id != _UNICODE_PATH_FIELD or len(body) < 5 or body[0] != 1:
            continue
        (crc,) = struct.unpack_from("<I", body, 1)
        if crc != zlib.crc32(raw):
            return None  # the name was changed after the field was written
        try:
            return body[5:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _skipped(name: str) -> bool:
    """Hidden files and macOS resource forks are not submissions (as in folder walks)."""
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts) or name.lower().endswith(
        "thumbs.db"
    )


def expand(
    archive: Path,
    workdir: Path,
    settings: ReadSettings,
    label: str | None = None,
    depth: int = 0,
    _counter: Iterator[int] | None = None,
) -> Iterator[Member]:
    """Yield the archive's members one by one, each copied into ``workdir``.

    Raises ``SaidaoError`` (before yielding anything) when the archive as a
    whole is refused; a member that cannot be inflated yields a ``Member``
    with its error and the rest go on. ``label`` names the archive in origins
    (default: its path as given).
    """
    label = label if label is not None else str(archive)
    counter = _counter if _counter is not None else count()
    workdir.mkdir(parents=True, exist_ok=True)
    with open_zip(archive) as zf:
        infos, unsafe = checked_members(zf, settings, label)
        named = sorted(
            ((member_name(i).replace("\\", "/"), i) for i in infos + unsafe),
            key=lambda pair: pair[0],
        )  # sorted, as folders are walked
        for name, info in named:
            if info in unsafe or is_unsafe_name(name):  # the decoded name must be safe too
                # one bad name costs that member only: the good files beside it are imported
                origin = f"{label}{SEP}{name[:200]}"
                yield Member(origin, None, SaidaoError("unsafe_path", origin, name[:200]))
            elif not _skipped(name):
                yield from _member(zf, info, name, workdir, settings, label, depth, counter)


def _member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    workdir: Path,
    settings: ReadSettings,
    label: str,
    depth: int,
    counter: Iterator[int],
) -> Iterator[Member]:
    """Extract one member; expand it in turn when it is itself an archive."""
    origin = f"{label}{SEP}{name}"
    target = workdir / f"{next(counter):06d}{_safe_suffix(name)}"
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        target.unlink(missing_ok=True)
        yield Member(origin, None, _member_error(exc, origin))
        return
    if not is_archive(target):
        yield Member(origin, target)
        return
    if depth >= MAX_DEPTH:
        target.unlink(missing_ok=True)
        yield Member(origin, None, SaidaoError("nested_archive", origin))
        return
    try:
        yield from expand(target, workdir, settings, origin, depth + 1, counter)
    except SaidaoError as exc:
        yield Member(origin, None, exc)
    finally:
        target.unlink(missing_ok=True)


def _member_error(exc: BaseException, origin: str) -> SaidaoError:
    """A member that could not be copied out: a full disk is not a corrupt archive."""
    if isinstance(exc, OSError) and exc.errno is not None:
        from saidao.ingest.walk import os_error

        return os_error(exc, origin)
    return SaidaoError("corrupt", origin, f"{type(exc).__name__}: {exc}"[:300])


def _safe_suffix(name: str) -> str:
    """The member's extension (readers use it as a tie-breaker), if it is plain."""
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ""

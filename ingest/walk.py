"""Every path under the folders given, each with its fate when it cannot be read.

``pathlib.rglob`` skips what it cannot list and ``is_file`` drops dangling
links, so unreadable folders, dangling symbolic links and special files used
to vanish from a run. Here every entry met is returned: a file to read, or a
:class:`~saidao.errors.SaidaoError` saying why it is not read
(``unreadable_folder``, ``dangling_symlink``, ``symlink_outside``,
``unknown_format`` for a FIFO or device, which would block a reader forever).

A symbolic link is followed only when its target lies inside the folder
being imported (a link to ``/etc/shadow`` is reported, not read), unless the
caller asks to follow every link. Names stay as the OS gives them (surrogate
escapes for GBK bytes, see :mod:`saidao.names`) so every file can be opened.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from saidao.errors import SaidaoError


@dataclass(slots=True)
class Found:
    """One path met: read it when ``error`` is None, else report the error."""

    path: Path
    error: SaidaoError | None = None


def walk_inputs(paths: Iterable[str | Path], follow_symlinks: bool = False) -> list[Found]:
    """The files named, and every entry under the folders named, in a stable order."""
    out: list[Found] = []
    for given in map(Path, paths):
        if given.is_dir():
            root = Path(os.path.realpath(given))
            out.extend(_walk(given, root, follow_symlinks, {root}))
        elif given.is_symlink() and not given.exists():
            out.append(Found(given, SaidaoError("dangling_symlink", given, _link_target(given))))
        else:
            out.append(_file_entry(given))
    return out


def _walk(folder: Path, root: Path, follow: bool, seen: set[Path]) -> Iterator[Found]:
    """Depth first, names sorted (the order ``sorted(rglob)`` gave), hidden names skipped."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Found(folder, SaidaoError(_folder_reason(exc), folder, _os_detail(exc)))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        try:
            if entry.is_symlink():
                yield from _link(path, root, follow, seen)
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(path, root, follow, seen)
            else:
                yield _file_entry(path)
        except OSError as exc:  # the entry vanished or cannot be stat'ed
            yield Found(path, SaidaoError(_file_reason(exc), path, _os_detail(exc)))


def _link(path: Path, root: Path, follow: bool, seen: set[Path]) -> Iterator[Found]:
    """A symbolic link: followed inside the imported folder (or everywhere when asked)."""
    target = Path(os.path.realpath(path))
    if not target.exists():
        yield Found(path, SaidaoError("dangling_symlink", path, _link_target(path)))
        return
    if not follow and not target.is_relative_to(root):
        yield Found(path, SaidaoError("symlink_outside", path, f"→ {target}"))
        return
    if target.is_dir():
        if target in seen:  # a loop, or a folder met already
            return
        seen.add(target)
        yield from _walk(path, root, follow, seen)
    else:
        yield _file_entry(path)


def _file_entry(path: Path) -> Found:
    """A file to read, or why not: special files would block a reader."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return Found(path)  # reported as not_found when identified
    except OSError as exc:
        return Found(path, SaidaoError(_file_reason(exc), path, _os_detail(exc)))
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return Found(path, SaidaoError("unknown_format", path, "不是普通文件（管道、设备或套接字）"))
    return Found(path)


def _link_target(path: Path) -> str:
    try:
        return f"→ {os.readlink(path)}"
    except OSError:
        return ""


def _folder_reason(exc: OSError) -> str:
    return "disk_full" if exc.errno == 28 else "unreadable_folder"


def _file_reason(exc: OSError) -> str:
    """The reason code of an OS error met on a file (never "corrupt": the bytes are fine)."""
    if isinstance(exc, PermissionError):
        return "permission_denied"
    if isinstance(exc, FileNotFoundError):
        return "not_found"
    if exc.errno == 28:  # ENOSPC
        return "disk_full"
    return "io_error"


def os_error(exc: OSError, path: str | Path) -> SaidaoError:
    """An OS error on a file as the report's reason (permission, disk full, I/O)."""
    return SaidaoError(_file_reason(exc), path, _os_detail(exc))


def _os_detail(exc: OSError) -> str:
    return f"{type(exc).__name__}: {exc.strerror or exc}"

"""The ``saidao`` command: each command a thin layer over a documented Python call.

The public contract is ``docs/contract.md``: ``--json`` prints one
UTF-8 JSON document on stdout (``ensure_ascii=False``); progress and messages
go to stderr; exit 0 success, 1 some inputs failed, 2 bad usage, 3 the index
cannot be used, 4 an internal error (the traceback goes to a log file).

The commands live in one ``cli_*`` module per group, registered on the shared
``app`` of ``saidao.cli_common`` as they are imported here (in this order, which
is the order of ``saidao --help``); they import from ``cli_common`` and never
from each other or from this module.
"""

from __future__ import annotations

import sys
from pathlib import Path

import saidao.cli_files  # noqa: F401  read, extract, uscc
import saidao.cli_firms  # noqa: F401  dupes, register, eligibility, recheck
import saidao.cli_index  # noqa: F401  search, clauses, zones, tracks, track, report, export
import saidao.cli_ingest  # noqa: F401  ingest, demo
import saidao.cli_links  # noqa: F401  links
import saidao.cli_policies  # noqa: F401  policies, policy
import saidao.cli_review  # noqa: F401  review
import saidao.cli_web  # noqa: F401  serve
from saidao.cli_common import app, err
from saidao.errors import SaidaoError

__all__ = ["app", "main"]

#: Exit codes (README): 0 success, 1 some inputs failed, 2 bad usage (click's own
#: convention), 3 the index cannot be used, 4 an internal error.
EXIT_INDEX_UNUSABLE = 3
EXIT_INTERNAL = 4


def main() -> None:
    """Entry point: every way a command can end is an exit code with a Chinese sentence."""
    from saidao.index.opening import IndexUnusable

    try:
        app()
    except SaidaoError as e:  # a reader error that escaped a command: still no traceback
        err.print(f"[red]✗ {e.message_zh}[/red]")
        sys.exit(1)
    except IndexUnusable as e:
        err.print(f"[red]✗ {e.message_zh}[/red]")
        sys.exit(EXIT_INDEX_UNUSABLE)
    except KeyboardInterrupt:
        err.print("[yellow]已中断[/yellow]")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001  (the last net: a sentence and a log, not a traceback)
        sys.exit(_internal_error(e))


def _internal_error(exc: BaseException) -> int:
    """Write the traceback to a log file, tell staff where it is; the exit code."""
    import errno
    import traceback

    full_disk = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    sqlite_full = "database or disk is full" in str(exc) or "disk I/O error" in str(exc)
    if full_disk or sqlite_full:  # OSError, or SQLite's own words for a disk that cannot grow
        err.print("[red]✗ 磁盘空间已满，无法继续写入（索引或临时文件）；请清理磁盘后重试[/red]")
        return EXIT_INDEX_UNUSABLE
    text = "".join(traceback.format_exception(exc))
    log = _crash_log(text)
    where = f"详细信息已写入日志：{log}" if log else "（日志也无法写入）"
    err.print(f"[red]✗ 程序内部错误：{type(exc).__name__}。{where}，请把该文件发给维护人员。[/red]")
    return EXIT_INTERNAL


def _crash_log(text: str) -> Path | None:
    """The traceback in ``$SAIDAO_LOG_DIR`` (default ``~/.cache/saidao/logs``)."""
    import os
    import time

    folder = Path(os.environ.get("SAIDAO_LOG_DIR") or Path.home() / ".cache" / "saidao" / "logs")
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(f"saidao {' '.join(sys.argv[1:])}\n{text}", encoding="utf-8")
    except OSError:
        return None
    return path


if __name__ == "__main__":  # `python -m saidao.cli`: the commands are on the shared app
    main()


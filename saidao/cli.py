"""The ``saidao`` command: each command a thin layer over a documented Python call.

The public contract is ``docs/contract.md``: ``--json`` prints one
UTF-8 JSON document on stdout (``ensure_ascii=False``); progress and messages
go to stderr; exit 0 success, 1 some inputs failed, 2 bad usage.

The commands live in one ``cli_*`` module per group, registered on the shared
``app`` of ``saidao.cli_common`` as they are imported here (in this order, which
is the order of ``saidao --help``); they import from ``cli_common`` and never
from each other or from this module.
"""

from __future__ import annotations

import sys

import saidao.cli_files  # noqa: F401  read, extract, uscc
import saidao.cli_firms  # noqa: F401  dupes, register, eligibility, recheck
import saidao.cli_index  # noqa: F401  search, clauses, zones, tracks, track, report, export
import saidao.cli_ingest  # noqa: F401  ingest, demo
import saidao.cli_links  # noqa: F401  links
import saidao.cli_web  # noqa: F401  serve
from saidao.cli_common import app, err
from saidao.errors import SaidaoError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: bad usage exits 2 (click's convention matches the contract)."""
    try:
        app()
    except SaidaoError as e:  # a reader error that escaped a command: still no traceback
        err.print(f"[red]✗ {e.message_zh}[/red]")
        sys.exit(1)


if __name__ == "__main__":  # `python -m saidao.cli`: the commands are on the shared app
    main()


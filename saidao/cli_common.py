"""What every command module of the CLI shares: the ``app``, the error console, JSON
output, the shared options and opening the index.

The command modules (``cli``, ``cli_index``, ``cli_ingest``, ``cli_links``,
``cli_firms``, ``cli_web``) import from here and never from each other, so the
CLI has no import circle (they used to import ``_print_json`` and ``err`` from
``saidao.cli``, which imported them back to register their commands).

Command bodies import the library lazily (``from saidao.index.search import …``
inside the command): ``saidao --help`` then takes 0.3 s instead of 2 s (spaCy,
jieba and sqlean load only for the command that needs them). That is the one
reason an import sits inside a function in the CLI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable

from saidao.cli_zh import install as _chinese_framework

if TYPE_CHECKING:
    from saidao.corpus.zones import Zone
    from saidao.index.store import Index

_chinese_framework()  # click's and typer's own words (Usage:, Try '--help' …) in Chinese
app = typer.Typer(
    name="saidao",
    help="赛道：高新区新赛道申报表与政策文件的解析、检索与比对工具。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
#: Messages, progress and errors: stderr, so ``--json`` owns stdout.
err = Console(stderr=True)

DB_OPTION = typer.Option(Path("saidao.db"), "--db", help="索引数据库文件")
JSON_OPTION = typer.Option(False, "--json", help="输出 JSON")
BY_OPTION = typer.Option("", "--by", help="操作人（记录在决定中）")


def progress_bar(title: str, counts: str, console: Console | None = None) -> Progress:
    """A rich progress bar on stderr: ``title``, bar, done/total, ``counts`` (a rich
    template over the task's fields, e.g. ``错误 {task.fields[errors]}``), elapsed, ETA."""
    return Progress(
        TextColumn(f"[bold]{title}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(counts),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or err,
        transient=False,
    )


def print_json(data: Any) -> None:
    """One UTF-8 JSON document on stdout (``ensure_ascii=False``, docs/contract.md)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    # a file name in GBK bytes left somewhere in the data: escaped, never a crash
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    sys.stdout.write("\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` in red on stderr; the ``typer.Exit`` to raise (``raise fail(…)``)."""
    err.print(f"[red]✗ {message}[/red]")
    return typer.Exit(code)


def open_index(db: Path) -> Index:
    """The index at ``db``; a missing file is reported (exit 1), not silently created."""
    from saidao.index.store import Index

    if not db.exists():
        raise fail(f"索引文件不存在：{db}（请先运行 saidao ingest 导入文件）")
    return Index.open(db)


def zone_or_exit(alias: str) -> Zone:
    """The one zone any of whose names is ``alias``; an unknown name is bad usage (exit 2,
    with the nearest names)."""
    from saidao.index.search import UnknownZone, resolve_zone

    try:
        return resolve_zone(alias)
    except UnknownZone as e:
        raise fail(str(e), 2) from None


def zones_or_exit(alias: str) -> list[Zone]:
    """Every zone a name people use means (a city gives its zones); an unknown name is
    bad usage: exit 2 with the nearest names."""
    from saidao.index.search import UnknownZone, resolve_zones

    try:
        return resolve_zones(alias)
    except UnknownZone as e:
        raise fail(str(e), 2) from None


#: Columns holding codes, ids or file names: never wrapped mid-code.
WHOLE = ("编号", "信用代码", "信用代码（原文）", "信用代码（校正）", "文件", "组", "成员")


def print_table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    """A rich table on stdout; None shown blank, long cells folded, codes never cut."""
    table = RichTable(title=title)
    for header in headers:
        whole = header in WHOLE
        table.add_column(header, overflow="ellipsis" if header == "文件" else "fold",
                         no_wrap=whole, min_width=18 if header.startswith("信用代码") else None)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    Console().print(table)

"""The ``saidao`` command: each command a thin layer over a documented Python call.

The public contract is ``docs/contract.md``: ``--json`` prints one
UTF-8 JSON document on stdout (``ensure_ascii=False``); progress and messages
go to stderr; exit 0 success, 1 some inputs failed, 2 bad usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

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
from saidao.errors import SaidaoError

_chinese_framework()  # click's and typer's own words (Usage:, Try '--help' …) in Chinese
app = typer.Typer(
    name="saidao",
    help="赛道：高新区新赛道申报表与政策文件的解析、检索与比对工具。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("错误 {task.fields[errors]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


@app.command()
def read(
    paths: list[Path] = typer.Argument(..., help="文件或文件夹（递归读取）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 文档模型"),
    no_ocr: bool = typer.Option(False, "--no-ocr", help="不做文字识别（扫描页留空并报告）"),
) -> None:
    """读取文件，输出格式无关的文档模型（调试视图）。"""
    from saidao.ingest.read import expand_paths, read_many
    from saidao.settings import ReadSettings

    settings = ReadSettings(ocr=not no_ocr)
    files = expand_paths(paths)
    results: list[dict[str, Any]] = []
    failed: list[SaidaoError] = []
    rows: list[tuple[str, str, str, str, str, str]] = []
    single = len(files) == 1 and not paths[0].is_dir()
    with _progress() as progress:
        task = progress.add_task("读取", total=len(files), errors=0)
        for path, outcome in read_many(files, settings):
            if isinstance(outcome, SaidaoError):
                failed.append(outcome)
                rows.append((str(path), "失败", "", "", "", outcome.message_zh))
            else:
                doc = outcome
                results.append(doc.to_dict())
                rows.append((
                    str(path), doc.format, str(len(doc.pages)), str(len(doc.ocr_pages)),
                    str(len(doc.tables)), "；".join(doc.problems) or "成功",
                ))
            progress.update(task, advance=1, errors=len(failed))
    if as_json:
        if single and results:
            _print_json(results[0])
        else:
            _print_json({"documents": results, "errors": [e.to_dict() for e in failed]})
    else:
        table = RichTable(title="读取结果")
        for header in ("文件", "格式", "页数", "OCR页", "表格", "状态"):
            table.add_column(header)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
    for e in failed:
        err.print(f"[red]✗ {e.message_zh}[/red]")
    raise typer.Exit(1 if failed else 0)


@app.command()
def extract(
    path: Path = typer.Argument(..., help="一个文件"),
    kind: str | None = typer.Option(None, "--kind", help="declaration 或 policy；默认按内容判断"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """读取一个文件并输出抽取结果（不写入索引）。"""
    from saidao.extractors.extract import extract_file

    if kind not in (None, "declaration", "policy"):
        err.print("[red]--kind 只能是 declaration 或 policy[/red]")
        raise typer.Exit(2)
    try:
        result = extract_file(path, kind=kind)
    except SaidaoError as e:
        err.print(f"[red]✗ {e.message_zh}[/red]")
        if as_json:
            _print_json({"error": e.to_dict()})
        raise typer.Exit(1) from None
    if as_json:
        _print_json(result)
    else:
        Console().print_json(json.dumps(result, ensure_ascii=False, default=str))


@app.command()
def uscc(
    codes: list[str] = typer.Argument(..., help="统一社会信用代码，可多个"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """校验统一社会信用代码，给出纠错候选。"""
    from saidao.extractors.uscc import check_many
    from saidao.vocab import FIX_LABELS, label

    results = check_many(codes)
    if as_json:
        _print_json(results)
    else:
        table = RichTable(title="统一社会信用代码校验")
        for header in ("输入", "有效", "代码", "纠正", "问题"):
            code_column = header in ("输入", "代码")
            table.add_column(header, no_wrap=code_column, min_width=18 if code_column else None,
                             overflow="fold")
        for r in results:
            problems = "\n".join(p["message"] if isinstance(p, dict) else str(p) for p in r["problems"])
            table.add_row(r["input"], "是" if r["valid"] else "否", r["uscc"] or "—",
                          label(FIX_LABELS, r["fix"]), problems)
        Console().print(table)
    raise typer.Exit(0 if all(r["valid"] or r["uscc"] for r in results) else 1)


# Command groups that live beside the library code they wrap register themselves on ``app``.
import saidao.cli_firms  # noqa: E402,F401
import saidao.cli_index  # noqa: E402,F401  registers index commands
import saidao.cli_ingest  # noqa: E402,F401  registers ingest commands
import saidao.cli_links  # noqa: E402,F401
import saidao.cli_review  # noqa: E402,F401  registers review
import saidao.cli_web  # noqa: E402,F401  registers serve


def main() -> None:
    """Entry point: bad usage exits 2 (click's convention matches the contract)."""
    try:
        app()
    except SaidaoError as e:  # a reader error that escaped a command: still no traceback
        err.print(f"[red]✗ {e.message_zh}[/red]")
        sys.exit(1)


if __name__ == "__main__":  # `python -m saidao.cli`: run the imported module, whose app has every command
    from saidao.cli import main as _main

    _main()


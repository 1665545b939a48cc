"""``saidao read``, ``saidao extract`` and ``saidao uscc``: one file or one code, nothing
written. Registered on the shared ``app`` (``saidao.cli_common``) when ``saidao.cli``
imports this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from saidao.cli_common import app, err, print_json, progress_bar
from saidao.errors import SaidaoError
from saidao.names import readable
from saidao.vocab import USCC_FIX_LABELS, label


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
    with progress_bar("{task.description}", "错误 {task.fields[errors]}") as progress:
        task = progress.add_task("读取", total=len(files), errors=0)
        for path, outcome in read_many(files, settings):
            shown = readable(str(path))
            if isinstance(outcome, SaidaoError):
                failed.append(outcome)
                rows.append((shown, "失败", "", "", "", outcome.message_zh))
            else:
                doc = outcome
                results.append(doc.to_dict())
                rows.append((
                    shown, doc.format, str(len(doc.pages)), str(len(doc.ocr_pages)),
                    str(len(doc.tables)), "；".join(doc.problems) or "成功",
                ))
            progress.update(task, advance=1, errors=len(failed))
    if as_json:
        if single and results:
            print_json(results[0])
        else:
            print_json({"documents": results, "errors": [e.to_dict() for e in failed]})
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
    from saidao.ingest.extract import extract_file

    if kind not in (None, "declaration", "policy"):
        err.print("[red]--kind 只能是 declaration 或 policy[/red]")
        raise typer.Exit(2)
    try:
        result = extract_file(path, kind=kind)
    except SaidaoError as e:
        err.print(f"[red]✗ {e.message_zh}[/red]")
        if as_json:
            print_json({"error": e.to_dict()})
        raise typer.Exit(1) from None
    if as_json:
        print_json(result)
    else:
        Console().print_json(json.dumps(result, ensure_ascii=False, default=str))


def _open_candidates(row: dict) -> str:
    """The candidates of a code left open (one a line); empty when valid or repaired."""
    if row["valid"] or row["uscc"]:
        return ""
    return "\n".join(c["code"] for c in row["candidates"] if c.get("supported"))


@app.command()
def uscc(
    codes: list[str] = typer.Argument(..., help="统一社会信用代码，可多个"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """校验统一社会信用代码，给出纠错候选。"""
    from saidao.extractors.uscc import check_many

    results = check_many(codes)
    if as_json:
        print_json(results)
    else:
        table = RichTable(title="统一社会信用代码校验")
        # the candidates column only when some code was left open with candidates
        open_codes = [_open_candidates(r) for r in results]
        headers = ("输入", "有效", "代码", "纠正", "候选", "问题") if any(open_codes) else (
            "输入", "有效", "代码", "纠正", "问题")
        for header in headers:
            code_column = header in ("输入", "代码", "候选")
            table.add_column(header, no_wrap=code_column, min_width=18 if code_column else None,
                             overflow="fold")
        for r, candidates in zip(results, open_codes, strict=True):
            problems = "\n".join(p["message"] if isinstance(p, dict) else str(p) for p in r["problems"])
            table.add_row(r["input"], "是" if r["valid"] else "否", r["uscc"] or "—",
                          label(USCC_FIX_LABELS, r["fix"]),
                          *([candidates] if any(open_codes) else []), problems)
        Console().print(table)
    raise typer.Exit(0 if all(r["valid"] or r["uscc"] for r in results) else 1)

"""``saidao review``: the review queue (待核) on the command line — list, show, resolve —
on the same ``index.review`` calls as the web page, so both show the same items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from saidao.cli_common import app, err, open_index, print_json, zones_or_exit
from saidao.vocab import REVIEW_KIND_LABELS

DB_OPTION = typer.Option(Path("saidao.db"), "--db", help="索引数据库文件")
review_app = typer.Typer(help="待核：列出、查看、处理抽取中不确定的值。", no_args_is_help=True)
app.add_typer(review_app, name="review")


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """An item as ``--json`` prints it (the key, where it is, what is wrong)."""
    keys = ("key", "kind", "kind_label", "field", "field_label", "path", "track_id", "track_name",
            "zone_id", "zone_name", "messages", "problem_ids")
    out = {k: item.get(k) for k in keys}
    if "candidates" in item:
        out.update(printed=item.get("printed"), preselect=item.get("preselect"),
                   candidates=[{k: c[k] for k in ("code", "why", "doubtful", "supported")}
                               for c in item["candidates"]])
    return out


@review_app.command("list")
def review_list(
    kind: str | None = typer.Option(None, "--kind", help="类别（中文名亦可）：" + "、".join(
        f"{v}（{k}）" for k, v in REVIEW_KIND_LABELS.items())),
    zone: str | None = typer.Option(None, "--zone", help="高新区（任一名称，盟市、旗县名亦可）"),
    file: str | None = typer.Option(None, "--file", help="文件名的一部分"),
    track: int | None = typer.Option(None, "--track", help="只看该新赛道编号的条目"),
    page: int = typer.Option(1, "--page", min=1, help="第几页"),
    size: int = typer.Option(20, "--size", min=1, max=1000, help="每页条数"),
    db: Path = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出待核条目（每个文件的每个位置一条），可按类别、高新区、文件、新赛道筛选，分页。"""
    from saidao.index import review

    by_label = {v: k for k, v in REVIEW_KIND_LABELS.items()}
    kind = by_label.get(kind, kind) if kind else kind  # 信用代码 as well as uscc
    if kind is not None and kind not in REVIEW_KIND_LABELS:
        err.print(f"[red]✗ 没有这个类别：{kind}（可选：{'、'.join(REVIEW_KIND_LABELS)}）[/red]")
        raise typer.Exit(2)
    zones = {z.id for z in zones_or_exit(zone)} if zone else None
    with open_index(db) as index:
        items = review.open_items(index, kind=kind, zones=zones, file=file, track_id=track)
        shown = review.paged(items, page, size)
        total = review.count_open(index)
    if as_json:
        print_json({"total": shown.total, "all_open": total, "page": shown.page,
                     "pages": shown.pages, "items": [_public(i) for i in shown.items]})
        return
    table = RichTable(title=f"待核：{shown.total} 条（全部 {total} 条），第 {shown.page}/{shown.pages} 页")
    for header in ("编号", "类别", "位置", "文件", "高新区"):
        table.add_column(header, overflow="ellipsis" if header == "文件" else "fold",
                         no_wrap=header in ("编号", "类别", "文件"))
    for i in shown.items:
        table.add_row(i["key"], i["kind_label"], i["field_label"], Path(i["path"] or "").name,
                      i["zone_name"] or "")
    Console().print(table)
    err.print("用 saidao review show 编号 查看问题与候选，saidao review resolve 编号 处理。")


@review_app.command("show")
def review_show(
    key: str = typer.Argument(..., help="条目编号（review list 的“编号”列）"),
    db: Path = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """显示一个待核条目：问题、原文、候选更正（存疑的标出，唯一合理的更正才作为默认）。"""
    from saidao.index import review

    with open_index(db) as index:
        try:
            item = review.detail(index, review.find(index, key))
        except review.NotOpen as e:
            err.print(f"[red]✗ {e}：{key}[/red]")
            raise typer.Exit(1) from None
    if as_json:
        print_json(_public(item))
        return
    out = Console()
    out.print(f"[bold]{item['kind_label']}[/bold]  {item['path']}")
    out.print(f"新赛道：{item['track_name'] or ''}（编号 {item['track_id'] or '无'}）  "
              f"高新区：{item['zone_name'] or '未识别'}")
    out.print(f"位置：{item['field_label']}")
    for message in item["messages"]:
        out.print(f"  · {message}", soft_wrap=True)
    if item.get("printed") is not None:
        out.print(f"原文：{item['printed']}", soft_wrap=True)
    for n, c in enumerate(item["candidates"], start=1):
        mark = "（唯一合理的更正，默认）" if c["supported"] else "（存疑）" if c["doubtful"] else ""
        out.print(f"  {n}. {c['code']}{mark}  {c['why']}", soft_wrap=True, highlight=False)
    if item["candidates"] and not item["preselect"]:
        out.print("没有可自动采用的唯一更正：请对照原件，用 --value 给出正确值或 --choice 选候选序号。")


@review_app.command("resolve")
def review_resolve(
    key: str = typer.Argument(..., help="条目编号（review list 的“编号”列）"),
    choice: int | None = typer.Option(None, "--choice", min=1, help="采用第几个候选（review show 列出的序号）"),
    value: str | None = typer.Option(None, "--value", help="直接给出正确值"),
    settle: bool = typer.Option(False, "--settle", help="不更正，只标记为已核"),
    by: str = typer.Option("", "--by", help="经办人（记录在更正中）"),
    note: str = typer.Option("", "--note", help="备注"),
    db: Path = DB_OPTION,
) -> None:
    """处理一个待核条目：采用候选、给出正确值，或标记已核（一次写入，全部生效或全不生效）。"""
    from saidao.index import review

    if sum([choice is not None, bool(value), settle]) != 1:
        err.print("[red]✗ 请在 --choice、--value、--settle 中选且只选一个[/red]")
        raise typer.Exit(2)
    with open_index(db) as index:
        try:
            item = review.find(index, key)
            if choice is not None:
                candidates = review.detail(index, item)["candidates"]
                if choice > len(candidates):
                    err.print(f"[red]✗ 只有 {len(candidates)} 个候选[/red]")
                    raise typer.Exit(2)
                value = candidates[choice - 1]["code"]
            message = review.resolve(index, item, None if settle else value, by=by, note=note)
        except review.NotOpen as e:
            err.print(f"[red]✗ {e}：{key}[/red]")
            raise typer.Exit(1) from None
        except review.Refused as e:
            err.print(f"[red]✗ {e}[/red]")
            raise typer.Exit(1) from None
    err.print(message)

"""``saidao links ID``: the clauses linked to one declared track, best first, with reasons.

Registered by importing this module from ``saidao.cli``; a thin layer over
``saidao.index.links.links_for``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from saidao.cli import _print_json, app, err
from saidao.extractors.citation import cite


def _show(track_id: int, links: list[dict[str, Any]]) -> None:
    table = RichTable(title=f"新赛道 {track_id} 适用的政策条款")
    for header in ("名次", "相关度", "条款", "标题", "理由"):
        table.add_column(header, overflow="fold", no_wrap=header == "相关度")
    best = max((link["score"] or 0.0 for link in links), default=0.0) or 1.0
    for n, link in enumerate(links, start=1):  # a rank and a bar, not a raw score
        bar = "█" * max(1, round(8 * (link["score"] or 0.0) / best))
        table.add_row(str(n), bar, cite(link), link.get("heading") or "", "；".join(link["reasons"]))
    Console().print(table)


@app.command()
def links(
    track_id: int = typer.Argument(..., help="新赛道编号（saidao tracks 列出的 track_id）"),
    db: Path = typer.Option(Path("saidao.db"), "--db", help="索引数据库文件"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    limit: int = typer.Option(20, "--limit", min=1, help="最多列出的条款数"),
    recompute: bool = typer.Option(False, "--recompute", help="按当前政策库重新计算关联"),
) -> None:
    """列出与某一新赛道关联的政策条款（按相关度排名，附理由）。"""
    from saidao.index.links import compute_links, links_for
    from saidao.index.report import track_exists
    from saidao.index.store import Index

    if not db.exists():
        err.print(f"[red]✗ 索引文件不存在：{db}（请先运行 saidao ingest 导入文件）[/red]")
        raise typer.Exit(1)
    with Index.open(db) as index:
        if not track_exists(index, track_id):
            err.print(f"[red]✗ 没有编号为 {track_id} 的新赛道[/red]")
            raise typer.Exit(1)
        if recompute:
            compute_links(index, track_id)
        found = links_for(index, track_id, limit)
    if as_json:
        _print_json({"track_id": track_id, "links": found})
    else:
        _show(track_id, found)

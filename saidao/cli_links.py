"""``saidao links ID``: the clauses linked to one declared track, best first, with reasons.

Registered on the shared ``app`` (``saidao.cli_common``); a thin layer over
``saidao.index.links.links_for``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from saidao.cli_common import DB_OPTION, JSON_OPTION, app, fail, open_index, print_json
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
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
    limit: int = typer.Option(20, "--limit", min=1, help="最多列出的条款数"),
    recompute: bool = typer.Option(False, "--recompute", help="按当前政策库重新计算关联"),
) -> None:
    """列出与某一新赛道关联的政策条款（按相关度排名，附理由）。"""
    from saidao.index.links import compute_links, links_for
    from saidao.index.report import has_track

    with open_index(db) as index:
        if not has_track(index, track_id):
            raise fail(f"没有编号为 {track_id} 的新赛道")
        if recompute:
            compute_links(index, track_id)
        found = links_for(index, track_id, limit)
    if as_json:
        print_json({"track_id": track_id, "links": found})
    else:
        _show(track_id, found)

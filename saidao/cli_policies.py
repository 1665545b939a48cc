"""``saidao policies`` and ``saidao policy ID``: the imported policies, one policy however many
forms it was brought in (``index.policy_merge``), with its source files and the undo of a
wrong merge (``--split-source``). Registered on the shared ``app`` when ``saidao.cli``
imports this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from saidao.cli_common import DB_OPTION, JSON_OPTION, app, err, open_index, print_json, print_table
from saidao.vocab import LEVEL_LABELS, label


@app.command()
def policies(
    merge: bool = typer.Option(
        False, "--merge", help="把此前各自导入的同一政策的不同形式合并为一份（旧索引升级后运行一次）"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """已导入的政策文件：同一政策的不同形式（门户网页、附件、转载、扫描件）只算一份，注明来源文件数。"""
    from saidao.index.clauses import policies as list_policies

    with open_index(db) as index:
        if merge:
            _merge(index)
        rows = list_policies(index)
    if as_json:
        print_json(rows)
        return
    print_table(f"政策文件：{len(rows)} 份", ["编号", "标题", "文号", "层级", "日期", "条款数", "来源文件数"], [
        [p["policy_id"], p["title"] or "未命名文件", p["doc_number"] or "", label(LEVEL_LABELS, p["level"]),
         p["date"] or "", p["clauses"], p["sources"] or 1] for p in rows])


@app.command()
def policy(
    policy_id: str = typer.Argument(..., help="政策编号（saidao policies 所列，或其任一来源文件的编号）"),
    split_source: str | None = typer.Option(
        None, "--split-source",
        help="把误合并的来源文件拆为独立政策（文件路径、文件名或 sha256 前缀）"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """一份政策：元数据、来源文件（主来源、佐证及原因）和条款；--split-source 撤销误合并。"""
    from saidao.index.clauses import policy_detail

    with open_index(db) as index:
        if split_source is not None:
            _split(index, policy_id, split_source)
        data = policy_detail(index, policy_id)
    if data is None:
        err.print(f"[red]✗ 没有编号为 {policy_id} 的政策[/red]")
        raise typer.Exit(1)
    if as_json:
        print_json(data)
        return
    print_table(data["title"] or "未命名文件", ["文号", "发文机关", "日期", "层级"], [
        [data["doc_number"] or "", data["issuer"] or "", data["date"] or "",
         label(LEVEL_LABELS, data["level"])]])
    print_table("来源文件", ["文件", "格式", "角色", "说明"], [
        [Path(s["path"]).name, s["format"] or "", s["role_zh"], s["note"] or ""]
        for s in data["sources"]])
    print_table(f"条款（{len(data['clauses'])} 条）", ["编号", "标题", "正文"], [
        ["".join(c["path"][-1:]) if not c["number"] else c["number"], c["heading"] or "",
         (c["text"] or "")[:60]] for c in data["clauses"]])


def _split(index: Any, policy_id: str, which: str) -> None:
    """``policy ID --split-source FILE``: the file becomes a policy of its own; every track
    is linked again against the clauses now current."""
    from saidao.index.link_state import link_pending
    from saidao.index.policy_merge import split_source

    try:
        new_id = split_source(index.db, policy_id, which)
    except (LookupError, ValueError) as e:
        err.print(f"[red]✗ {e.args[0]}[/red]")
        raise typer.Exit(2) from None
    link_pending(index)
    err.print(f"已将“{which}”拆为独立政策 {new_id}")


def _merge(index: Any) -> None:
    """``policies --merge``: forms imported apart before become one policy; tracks re-linked."""
    from saidao.index.link_state import link_pending
    from saidao.index.policy_merge import merge_stored

    joined = merge_stored(index.db)
    if joined:
        link_pending(index)
    err.print(f"已合并 {joined} 个文件到与其相同的政策" if joined else "没有需要合并的政策")

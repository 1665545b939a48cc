"""Index commands (search, clauses, zones, tracks, track, report, export) on the ``saidao`` app.

Registered by importing this module from ``saidao.cli``. Each command is a thin
layer over ``saidao.index``; ``--json`` prints one document on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from saidao.cli import _print_json, app, err
from saidao.extractors.citation import cite

DB_OPTION = typer.Option(Path("saidao.db"), "--db", help="索引数据库文件")
JSON_OPTION = typer.Option(False, "--json", help="输出 JSON")
from saidao.vocab import (  # noqa: E402
    FIX_LABELS,
    LEVEL_LABELS,
    ZONE_STATUS_LABELS,
    field_label,
    label,
)


def _open(db: Path) -> Any:
    """The index at ``db``; a missing file is reported, not silently created."""
    from saidao.index.store import Index

    if not db.exists():
        err.print(f"[red]✗ 索引文件不存在：{db}（请先运行 saidao ingest 导入文件）[/red]")
        raise typer.Exit(1)
    return Index.open(db)


def _zones_or_exit(alias: str) -> list[Any]:
    """Every zone a name people use means (a city gives its zones); an unknown name is
    bad usage: exit 2 with the nearest names."""
    from saidao.index.search import UnknownZone, resolve_zones

    try:
        return resolve_zones(alias)
    except UnknownZone as e:
        err.print(f"[red]✗ {e}[/red]")
        raise typer.Exit(2) from None


#: Columns holding codes, ids or file names: never wrapped mid-code.
WHOLE = ("编号", "信用代码", "信用代码（原文）", "信用代码（校正）", "文件", "组", "成员")


def _table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    table = RichTable(title=title)
    for header in headers:
        whole = header in WHOLE
        table.add_column(header, overflow="ellipsis" if header == "文件" else "fold", no_wrap=whole,
                         min_width=18 if header.startswith("信用代码") else None)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    Console().print(table)




@app.command()
def search(
    query: str = typer.Argument(..., help="检索词或问题"),
    zone: str | None = typer.Option(None, "--zone", help="只看适用于该高新区的条款（任一名称）"),
    limit: int = typer.Option(10, "--limit", min=1, help="最多返回条数"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """全文检索政策条款：完整包含检索词的在前并标明，只含部分词语的在后并标明。"""
    from saidao.index.search import search as run_search
    from saidao.index.search import suggest_words

    if zone:
        _zones_or_exit(zone)
    with _open(db) as index:
        hits = run_search(index, query, zone=zone, limit=limit)
        near = [] if any(h["match"] == "exact" for h in hits) else suggest_words(index, query)
    if not any(h["match"] == "exact" for h in hits):
        err.print(f"没有找到完全匹配“{query}”的条款" + ("，以下为部分匹配。" if hits else "。"))
        if near:
            err.print(f"您要找的是不是：{'、'.join(near)}")
    if as_json:
        _print_json(hits)
        return
    if not hits:
        return
    _table(f"检索：{query}", ["名次", "匹配", "出处", "标题", "摘要"],
           [[i, "完全匹配" if h["match"] == "exact" else "部分匹配：含" + "、".join(h["matched_words"]),
             cite(h), h["heading"], h["snippet"]]
            for i, h in enumerate(hits, start=1)])


@app.command()
def clauses(
    zone: str = typer.Option(..., "--zone", help="高新区（任一名称）"),
    topic: str | None = typer.Option(None, "--topic", help="只看与该主题相关的条款"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """列出适用于某高新区的全部条款，按政策文件分组（明确提及的在前）。"""
    from saidao.index.search import clauses_for_zone

    found = _zones_or_exit(zone)
    with _open(db) as index:
        results = [clauses_for_zone(index, z.id, topic=topic) for z in found]
    if as_json:
        _print_json(results[0] if len(results) == 1 else results)
        return
    for zone_obj, result in zip(found, results, strict=True):
        rows = [
            [cite(c), c["heading"], "；".join(c["reasons"]), c["snippet"]]
            for p in result["policies"] for c in p["clauses"]
        ]
        _table(f"适用于{zone_obj.name}的条款", ["出处", "标题", "适用原因", "摘要"], rows)


@app.command()
def zones(
    alias: str | None = typer.Argument(None, help="高新区名称或别名"),
    as_json: bool = JSON_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """高新区名录；给出名称（盟市、旗县、简称亦可）时显示它对应的高新区（找不到时退出码 2 并给出建议）。"""
    from saidao.corpus.zones import registry
    from saidao.index.search import zone_dict

    found = _zones_or_exit(alias) if alias else registry().all()
    data = [zone_dict(z) for z in found]
    if as_json:
        _print_json(data[0] if alias and len(data) == 1 else data)
        return
    _table("高新区名录", ["编号", "名称", "级别", "盟市", "旗县区", "状态", "别名"], [
        [z["id"], z["name"], label(LEVEL_LABELS, z["level"]), z["city"],
         "、".join(z["counties"]), label(ZONE_STATUS_LABELS, z["status"]), "、".join(z["aliases"])]
        for z in data])


@app.command()
def tracks(
    zone: str | None = typer.Option(None, "--zone", help="只看该高新区的赛道（任一名称，盟市、旗县名亦可）"),
    page: int = typer.Option(1, "--page", min=1, help="第几页（与 --size 同用）"),
    size: int = typer.Option(0, "--size", min=0, help="每页条数（0：全部）"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """已导入申报表中的新赛道（可分页）。"""
    from saidao.index.report import tracks as list_tracks

    if zone:
        _zones_or_exit(zone)
    with _open(db) as index:
        rows = list_tracks(index, zone)
    total = len(rows)
    if size:
        rows = rows[(page - 1) * size: page * size]
    if as_json:
        _print_json(rows)
        return
    pages = f"，第 {page}/{max(1, -(-total // size))} 页" if size else ""
    _table(f"新赛道：{total} 条{pages}", ["编号", "新赛道名称", "方向", "高新区", "企业数", "待核", "文件"], [
        [t["track_id"], t["label"] or t["track_name"], t["direction"], t["zone_name"] or t["zone_printed"],
         t["firms"], t["problems"], Path(t["file"] or "").name] for t in rows])


#: Linked clauses listed by ``saidao track`` (all of them in ``--json``).
TRACK_LINKS_SHOWN = 10


@app.command()
def track(
    track_id: int = typer.Argument(..., help="赛道编号"),
    set_figures: list[str] = typer.Option(
        [], "--set", help="录入申报表没有的指标，如 rd_intensity=3.4（可多次）"),
    by: str = typer.Option("", "--by", help="录入人"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """一个赛道的全部信息：申报表、企业、平台、问题、关联条款；--set 录入研发强度等指标。"""
    from saidao.index.eligibility import set_track_figure, track_eligibility
    from saidao.index.report import track as get_track

    with _open(db) as index:
        data = get_track(index, track_id)
        if data is not None and set_figures:
            for item in set_figures:
                key, sep, value = item.partition("=")
                if not sep:
                    err.print(f"[red]✗ --set 需要 指标=数值 的形式：{item}[/red]")
                    raise typer.Exit(2)
                try:
                    set_track_figure(index.db, track_id, key.strip(), value.strip(), by=by)
                except ValueError as e:
                    err.print(f"[red]✗ {e}[/red]")
                    raise typer.Exit(2) from None
        if data is not None:
            data["eligibility"] = track_eligibility(index.db, track_id)
    if data is None:
        err.print(f"[red]✗ 没有编号为 {track_id} 的赛道[/red]")
        raise typer.Exit(1)
    if as_json:
        _print_json(data)
        return
    out = Console()
    out.print(f"[bold]{data['track_name']}[/bold]  {data['direction'] or ''}  "
              f"{data['zone_name'] or data['zone_printed'] or ''}", highlight=False)
    out.print(f"文件：{data['file']}", highlight=False, soft_wrap=True)
    _table("企业名录", ["序号", "企业名称", "信用代码（原文）", "信用代码（校正）", "校正方式"], [
        [f["seq"], f["name"], f["uscc_printed"], f["uscc"], label(FIX_LABELS, f["uscc_fix"])]
        for f in data["firms"]])
    if data["platforms"]:
        _table("创新平台", ["序号", "平台名称", "依托单位", "级别", "年份", "认定部门"], [
            [p["seq"], p["name"], p["host"], p["level"], p["year"], p["certifier"]]
            for p in data["platforms"]])
    elig = data["eligibility"]
    _table(f"申报条件：{elig['status']}", ["条件", "结论", "理由"],
           [[c["name"], c["status"], c["reason"]] for c in elig["conditions"]])
    if data["problems"]:
        _table("问题", ["位置", "问题", "状态"],
               [[field_label(p["field"]), p["message"], "已处理" if p["status"] == "resolved" else "待核"]
                for p in data["problems"]])
    links = data["links"]
    if links:
        _table(f"适用的政策条款（前 {min(len(links), TRACK_LINKS_SHOWN)} 条，共 {len(links)} 条）",
               ["名次", "出处", "标题", "理由"],
               [[n, cite(link), link["heading"], "；".join(link["reasons"][:3])]
                for n, link in enumerate(links[:TRACK_LINKS_SHOWN], start=1)])


@app.command()
def report(
    xlsx: Path | None = typer.Option(None, "--xlsx", help="另存为 Excel 文件"),
    run: int | None = typer.Option(None, "--run", help="导入运行编号（默认最近一次）"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """导入报告：每个文件的结果和原因。"""
    from saidao.index.export import OUTCOME_ZH, REPORT_COLUMNS, write_xlsx
    from saidao.index.report import run_ids

    with _open(db) as index:
        if run is not None and run not in run_ids(index):
            known = run_ids(index)
            err.print(f"[red]✗ 没有编号为 {run} 的导入"
                      + (f"（已有的导入编号：{known[0]}–{known[-1]}）" if known else "（还没有导入）")
                      + "[/red]")
            raise typer.Exit(1)
        rows = index.report(run)
    if xlsx:
        write_xlsx(xlsx, "导入报告", REPORT_COLUMNS,
                   [{**r, "outcome": OUTCOME_ZH.get(r["outcome"], r["outcome"])} for r in rows])
        err.print(f"已写入 {xlsx}（{len(rows)} 行）")
    if as_json:
        _print_json(rows)
    elif not xlsx:
        _table("导入报告", ["文件", "结果", "原因"], [
            [r["path"], OUTCOME_ZH.get(r["outcome"], r["outcome"]), r["message"] or ""]
            for r in rows])
    raise typer.Exit(1 if any(r["outcome"] == "failed" for r in rows) else 0)


@app.command()
def export(
    what: str = typer.Argument(..., help="tracks（赛道）| firms（企业）| clauses（条款）"),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="Excel 文件"),
    csv: Path | None = typer.Option(None, "--csv", help="CSV 文件（UTF-8，Excel 可直接打开）"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """导出清单到 Excel 或 CSV（中文表头）；只给 --json 时把清单的行输出为 JSON。"""
    from saidao.index.export import export as run_export
    from saidao.index.export import rows_for

    if what not in ("tracks", "firms", "clauses"):
        err.print("[red]✗ 只能导出 tracks、firms 或 clauses[/red]")
        raise typer.Exit(2)
    if not xlsx and not csv and as_json:
        with _open(db) as index:
            _print_json(rows_for(index, what)[1])
        return
    if not xlsx and not csv:
        err.print("[red]✗ 请给出 --xlsx 或 --csv（或 --json 直接输出）[/red]")
        raise typer.Exit(2)
    with _open(db) as index:
        count = run_export(index, what, xlsx=xlsx, csv_path=csv)
    if as_json:
        _print_json({"list": what, "rows": count, "xlsx": str(xlsx or ""), "csv": str(csv or "")})
    else:
        err.print(f"已导出 {count} 行：{xlsx or ''} {csv or ''}")

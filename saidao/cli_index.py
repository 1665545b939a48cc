"""Index commands (search, clauses, zones, tracks, track, report, export) on the ``saidao`` app.

Registered on the shared ``app`` (``saidao.cli_common``) when ``saidao.cli`` imports it. Each command is a thin
layer over ``saidao.index``; ``--json`` prints one document on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from saidao.cli_common import (
    DB_OPTION,
    JSON_OPTION,
    app,
    err,
    open_index,
    print_json,
    print_table,
    zones_or_exit,
)
from saidao.extractors.citation import cite
from saidao.vocab import (
    FIX_LABELS,
    LEVEL_LABELS,
    OUTCOME_LABELS,
    ZONE_STATUS_LABELS,
    field_label,
    label,
)

IN_FORCE_OPTION = typer.Option(False, "--in-force", help="只看在 --on 日期（默认今天）仍然有效的条款")
ON_OPTION = typer.Option(None, "--on", help="判断是否有效的日期，如 2026-06-01（默认今天）")


def _on_or_exit(on: str | None) -> str:
    """``--on`` as an ISO date (2026-06-01, 2026年6月1日 …); bad usage exits 2."""
    import datetime as dt

    from saidao.extractors.policy_meta import parse_date

    if on is None:
        return dt.date.today().isoformat()
    day = parse_date(on)
    if day is None:
        err.print(f"[red]✗ --on 不是有效日期：{on}（例如 2026-06-01）[/red]")
        raise typer.Exit(2)
    return day


@app.command()
def search(
    query: str = typer.Argument(..., help="检索词或问题"),
    zone: str | None = typer.Option(None, "--zone", help="只看适用于该高新区的条款（任一名称）"),
    limit: int = typer.Option(10, "--limit", min=1, help="最多返回条数"),
    in_force: bool = IN_FORCE_OPTION,
    on: str | None = ON_OPTION,
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """全文检索政策条款：完整包含检索词的在前并标明，只含部分词语的在后并标明；每条注明效力。"""
    from saidao.index.search import search as run_search
    from saidao.index.search import suggest_words
    from saidao.index.validity import annotate, describe_zh, keep_in_force, left_out_zh

    if zone:
        zones_or_exit(zone)
    day = _on_or_exit(on)
    left: dict[str, int] = {}
    with open_index(db) as index:
        if in_force:  # ask for more, so the limit still holds after leaving some out
            hits, dropped = keep_in_force(index, run_search(index, query, zone=zone, limit=limit * 3), day)
            hits, left = hits[:limit], dict(dropped)
        else:
            hits = run_search(index, query, zone=zone, limit=limit)
            annotate(index, hits, day)
        near = [] if any(h["match"] == "exact" for h in hits) else suggest_words(index, query)
    if not any(h["match"] == "exact" for h in hits):
        err.print(f"没有找到完全匹配“{query}”的条款" + ("，以下为部分匹配。" if hits else "。"))
        if near:
            err.print(f"您要找的是不是：{'、'.join(near)}")
    if as_json:
        print_json(hits)
        return
    if not hits:
        if in_force:
            Console().print(f"没有在 {day} 有效的条款。{left_out_zh(left)}")
        return
    print_table(f"检索：{query}", ["名次", "匹配", "出处", "标题", "摘要", "效力"],
           [[i, "完全匹配" if h["match"] == "exact" else "部分匹配：含" + "、".join(h["matched_words"]),
             cite(h), h["heading"], h["snippet"], describe_zh(h.get("in_force"))]
            for i, h in enumerate(hits, start=1)])
    if in_force:
        Console().print(f"共 {len(hits)} 条在 {day} 有效的条款。{left_out_zh(left)}")


@app.command()
def clauses(
    zone: str = typer.Option(..., "--zone", help="高新区（任一名称）"),
    topic: str | None = typer.Option(None, "--topic", help="只看与该主题相关的条款"),
    in_force: bool = IN_FORCE_OPTION,
    on: str | None = ON_OPTION,
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """列出适用于某高新区的全部条款，按政策文件分组（明确提及的在前）；每条注明效力。"""
    from saidao.index.search import clauses_for_zone
    from saidao.index.validity import annotate, describe_zh, left_out_zh, zone_in_force

    found = zones_or_exit(zone)
    day = _on_or_exit(on)
    lefts: list[dict[str, int]] = []
    with open_index(db) as index:
        results = [clauses_for_zone(index, z.id, topic=topic) for z in found]
        for result in results:
            if in_force:
                lefts.append(zone_in_force(index, result, day))
            else:
                annotate(index, [c for p in result["policies"] for c in p["clauses"]], day)
    if as_json:
        print_json(results[0] if len(results) == 1 else results)
        return
    for n, (zone_obj, result) in enumerate(zip(found, results, strict=True)):
        rows = [
            [cite(c), c["heading"], "；".join(c["reasons"]), describe_zh(c.get("in_force")),
             c["snippet"]]
            for p in result["policies"] for c in p["clauses"]
        ]
        print_table(f"适用于{zone_obj.name}的条款", ["出处", "标题", "适用原因", "效力", "摘要"], rows)
        if in_force:
            Console().print(f"共 {len(rows)} 条在 {day} 有效的条款。{left_out_zh(lefts[n])}")


@app.command()
def zones(
    alias: str | None = typer.Argument(None, help="高新区名称或别名"),
    as_json: bool = JSON_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """高新区名录；给出名称（盟市、旗县、简称亦可）时显示它对应的高新区（找不到时退出码 2 并给出建议）。"""
    from saidao.corpus.zones import registry
    from saidao.index.search import zone_dict

    found = zones_or_exit(alias) if alias else registry().all()
    data = [zone_dict(z) for z in found]
    if as_json:
        print_json(data[0] if alias and len(data) == 1 else data)
        return
    print_table("高新区名录", ["编号", "名称", "级别", "盟市", "旗县区", "状态", "别名"], [
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
        zones_or_exit(zone)
    with open_index(db) as index:
        rows = list_tracks(index, zone)
    total = len(rows)
    if size:
        rows = rows[(page - 1) * size: page * size]
    if as_json:
        print_json(rows)
        return
    pages = f"，第 {page}/{max(1, -(-total // size))} 页" if size else ""
    print_table(f"新赛道：{total} 条{pages}", ["编号", "新赛道名称", "方向", "高新区", "企业数", "待核", "文件"], [
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
    split_source: str | None = typer.Option(
        None, "--split-source",
        help="把误合并的来源文件拆为独立赛道（文件路径、文件名或 sha256 前缀）"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """一个赛道的全部信息：申报表、来源文件、企业、平台、问题、关联条款；--set 录入研发强度等指标。"""
    from saidao.index.eligibility import set_track_figure, track_eligibility
    from saidao.index.report import track as get_track

    with open_index(db) as index:
        data = get_track(index, track_id)
        if data is not None and split_source:
            _split(index, track_id, split_source)
            data = get_track(index, track_id)
        if data is not None and set_figures:
            for key, value in _figures_or_exit(set_figures):  # all checked before any is stored
                set_track_figure(index, track_id, key, value, by=by)
        if data is not None:
            data["eligibility"] = track_eligibility(index, track_id)
    if data is None:
        err.print(f"[red]✗ 没有编号为 {track_id} 的赛道[/red]")
        raise typer.Exit(1)
    if as_json:
        print_json(data)
        return
    out = Console()
    out.print(f"[bold]{data['track_name']}[/bold]  {data['direction'] or ''}  "
              f"{data['zone_name'] or data['zone_printed'] or ''}", highlight=False)
    out.print(f"文件：{data['file']}", highlight=False, soft_wrap=True)
    if len(data.get("sources") or []) > 1:
        print_table("来源文件（同一申报表的不同形式或版本）", ["文件", "格式", "作用", "说明"], [
            [s["path"], s["format"], s["role_zh"], s["note"] or ""] for s in data["sources"]])
    print_table("企业名录", ["序号", "企业名称", "信用代码（原文）", "信用代码（校正）", "校正方式"], [
        [f["seq"], f["name"], f["uscc_printed"], f["uscc"], label(FIX_LABELS, f["uscc_fix"])]
        for f in data["firms"]])
    if data["platforms"]:
        print_table("创新平台", ["序号", "平台名称", "依托单位", "级别", "年份", "认定部门"], [
            [p["seq"], p["name"], p["host"], p["level"], p["year"], p["certifier"]]
            for p in data["platforms"]])
    elig = data["eligibility"]
    print_table(f"申报条件：{elig['status']}", ["条件", "结论", "理由"],
           [[c["name"], c["status"], c["reason"]] for c in elig["conditions"]])
    if data["problems"]:
        print_table("问题", ["位置", "问题", "状态"],
               [[field_label(p["field"]), p["message"], "已处理" if p["status"] == "resolved" else "待核"]
                for p in data["problems"]])
    links = data["links"]
    if links:
        print_table(f"适用的政策条款（前 {min(len(links), TRACK_LINKS_SHOWN)} 条，共 {len(links)} 条）",
               ["名次", "出处", "标题", "理由"],
               [[n, cite(link), link["heading"], "；".join(link["reasons"][:3])]
                for n, link in enumerate(links[:TRACK_LINKS_SHOWN], start=1)])


def _figures_or_exit(items: list[str]) -> list[tuple[str, str]]:
    """``key=value`` items, each checked for its range and type; bad usage exits 2."""
    from saidao.index.eligibility import REGION_FIGURE_KEYS, checked_figure

    out = []
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        try:
            if not sep:
                raise ValueError(f"--set 需要 指标=数值 的形式：{item}")
            if key in REGION_FIGURE_KEYS:
                raise ValueError(f"{REGION_FIGURE_KEYS[key]}是全区性指标，每年只录一次："
                                 f"saidao region set {key}=数值 --year 年度")
            checked_figure(key, value)
        except ValueError as e:
            err.print(f"[red]✗ {e}[/red]")
            raise typer.Exit(2) from None
        out.append((key, value))
    return out


def _split(index: Any, track_id: int, which: str) -> None:
    """``track ID --split-source FILE``: the file becomes a track of its own."""
    from saidao.index.track_merge import split_source

    try:
        new_id = split_source(index.db, track_id, which)
    except (LookupError, ValueError) as e:
        err.print(f"[red]✗ {e.args[0]}[/red]")
        raise typer.Exit(2) from None
    from saidao.index.links import compute_links

    compute_links(index, new_id)
    err.print(f"已将“{which}”拆为独立赛道 {new_id}")


@app.command()
def report(
    xlsx: Path | None = typer.Option(None, "--xlsx", help="另存为 Excel 文件"),
    run: int | None = typer.Option(None, "--run", help="导入运行编号（默认最近一次）"),
    db: Path = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """导入报告：每个文件的结果和原因。"""
    from saidao.index.export import write_report_xlsx
    from saidao.index.report import run_ids

    with open_index(db) as index:
        if run is not None and run not in run_ids(index):
            known = run_ids(index)
            err.print(f"[red]✗ 没有编号为 {run} 的导入"
                      + (f"（已有的导入编号：{known[0]}–{known[-1]}）" if known else "（还没有导入）")
                      + "[/red]")
            raise typer.Exit(1)
        rows = index.report(run)
        if xlsx:
            write_report_xlsx(index, xlsx, run)
    if xlsx:
        err.print(f"已写入 {xlsx}（{len(rows)} 行）")
    if as_json:
        print_json(rows)
    elif not xlsx:
        print_table("导入报告", ["文件", "结果", "原因"], [
            [r["path"], label(OUTCOME_LABELS, r["outcome"]), _report_why(r)]
            for r in rows])
    raise typer.Exit(1 if any(r["outcome"] == "failed" for r in rows) else 0)


def _report_why(row: dict[str, Any]) -> str:
    """The report's reason column: which file a copy copies, else the message."""
    if row.get("copy_of"):
        return f"与 {row['copy_of']} 内容相同"
    return row.get("message") or ""


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
        with open_index(db) as index:
            print_json(rows_for(index, what)[1])
        return
    if not xlsx and not csv:
        err.print("[red]✗ 请给出 --xlsx 或 --csv（或 --json 直接输出）[/red]")
        raise typer.Exit(2)
    with open_index(db) as index:
        count = run_export(index, what, xlsx=xlsx, csv_path=csv)
    if as_json:
        print_json({"list": what, "rows": count, "xlsx": str(xlsx or ""), "csv": str(csv or "")})
    else:
        err.print(f"已导出 {count} 行：{xlsx or ''} {csv or ''}")

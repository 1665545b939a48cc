"""``saidao dupes`` (duplicate firms, confirm/split), ``saidao register import`` and
``saidao eligibility``: thin layers over ``saidao.index.dupes``, ``.registers`` and
``.eligibility``. Registered on the shared ``app`` (``saidao.cli_common``) when ``saidao.cli`` imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from saidao.cli_common import (
    BY_OPTION,
    DB_OPTION,
    JSON_OPTION,
    app,
    err,
    fail,
    open_index,
    print_json,
    zones_or_exit,
)
from saidao.errors import SaidaoError

dupes_app = typer.Typer(help="跨赛道重复企业：列出、确认、拆分。", invoke_without_command=True)
register_app = typer.Typer(help="认定企业名单（高新技术企业等）。", no_args_is_help=True)
app.add_typer(dupes_app, name="dupes")
app.add_typer(register_app, name="register")


# ---------------------------------------------------------------- dupes


def _show_groups(groups: list[Any]) -> None:
    table = RichTable(title=f"跨赛道重复企业：{len(groups)} 组")
    for header in ("组", "企业", "信用代码", "置信度", "依据", "成员（编号：出现于）"):
        code = header == "信用代码"
        table.add_column(header, overflow="fold", no_wrap=code or header == "组",
                         min_width=18 if code else None)
    for g in groups:
        # member numbers are what ``saidao dupes split GROUP N…`` takes
        where = "\n".join(f"{n}：{m.zone or '?'}/赛道{m.track_id}第{m.seq}行"
                          for n, m in enumerate(g.members, start=1))
        table.add_row(g.group_id, g.name, g.uscc or "", f"{g.confidence:.2f}",
                      "；".join(g.evidence), where)
    Console().print(table)


@dupes_app.callback()
def dupes(
    ctx: typer.Context,
    zone: str = typer.Option(None, "--zone", help="只列出涉及该高新区的组（任一名称，盟市、旗县名亦可）"),
    min_confidence: float = typer.Option(0.0, "--min-confidence", min=0.0, max=1.0,
                                         help="最低置信度"),
    xlsx: Path = typer.Option(None, "--xlsx", help="另存为 Excel 文件"),
    as_json: bool = JSON_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """列出出现在多个新赛道（或同一赛道多次）的企业，附依据和置信度。"""
    if ctx.invoked_subcommand is not None:
        return
    from saidao.index.dupes import groups_from_index
    from saidao.index.export import write_groups_xlsx

    if zone:
        zones_or_exit(zone)  # an unknown zone is bad usage (exit 2), never "0 groups"
    with open_index(db) as index:
        groups = groups_from_index(index, zone=zone, min_confidence=min_confidence)
    if xlsx is not None:
        write_groups_xlsx(groups, xlsx)
        err.print(f"已写入 {xlsx}（{len(groups)} 组）")
    if as_json:
        print_json({"groups": [g.to_dict() for g in groups]})
    elif xlsx is None:
        _show_groups(groups)


@dupes_app.command("confirm")
def dupes_confirm(
    group_id: str = typer.Argument(..., help="组编号（saidao dupes 列出的“组”列）"),
    by: str = BY_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """确认一组是同一家企业（置信度记为 1.0，重新导入后仍有效）。"""
    from saidao.index.dupes import confirm_group

    with open_index(db) as index:
        try:
            group = confirm_group(index, group_id, by=by)
        except KeyError:
            err.print(f"[red]✗ 没有编号为 {group_id} 的重复企业组[/red]")
            raise typer.Exit(1) from None
    err.print(f"已确认：{group.name}（{len(group.members)} 行）")


@dupes_app.command("split")
def dupes_split(
    group_id: str = typer.Argument(..., help="组编号"),
    mentions: list[str] = typer.Argument(..., help="要拆出的成员：组内编号（1起，saidao dupes 的“成员”列）"),
    by: str = BY_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """把若干成员从一组中拆出：它们与组内其余成员今后不再合并。"""
    from saidao.index.dupes import split_group

    with open_index(db) as index:
        try:
            group = split_group(index, group_id, mentions, by=by)
        except KeyError:
            err.print(f"[red]✗ 没有编号为 {group_id} 的重复企业组[/red]")
            raise typer.Exit(1) from None
        except ValueError as e:
            raise typer.BadParameter(f"成员“{e}”不在组 {group_id} 中") from None
    err.print(f"已拆分：{group.name}，拆出 {len(mentions)} 行")


@dupes_app.command("decisions")
def dupes_decisions(
    gone: bool = typer.Option(False, "--gone", help="只列出有企业行已不存在的决定"),
    as_json: bool = JSON_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """列出人工确认/拆分的决定及其状态：赛道主来源更换后决定随企业转入新行；
    企业已不在名录中的行标为“已不存在”，不会作用于其他企业。"""
    from saidao.index.dupes import DECISION_LABELS, decisions

    with open_index(db) as index:
        found = decisions(index, only_gone=gone)
    if as_json:
        print_json({"decisions": found})
        return
    table = RichTable(title=f"重复企业的人工决定：{len(found)} 条")
    for header in ("编号", "决定", "状态", "企业行（赛道/行：名称）", "经办人", "时间"):
        table.add_column(header, overflow="fold")
    for d in found:
        rows = "\n".join(
            (f"赛道{m['track_id']}第{m['seq']}行：{m['name']}" if m["present"] else
             f"已不存在：{m['name'] or m['mention_id']}（{m['gone_note']}）")
            + ("（拆出）" if d["kind"] == "split" and m["side"] == "mentions" else "")
            for m in d["members"])
        table.add_row(str(d["id"]), DECISION_LABELS.get(d["kind"], d["kind"]), d["state_zh"],
                      rows, d["decided_by"] or "", d["decided_at"] or "")
    Console().print(table)


# ---------------------------------------------------------------- registers


@register_app.command("import")
def register_import(
    file: Path = typer.Argument(..., help="名单文件（.xlsx 或 .csv）"),
    type_: str = typer.Option(..., "--type", help="名单类型，如 高新技术企业、专精特新小巨人"),
    year: int = typer.Option(None, "--year", help="认定年度"),
    db: Path = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="输出 JSON（每行的处理结果）"),
) -> None:
    """导入认定企业名单（按列标题找企业名称和信用代码列），报告读取、匹配、更正和拒收的行。"""
    from saidao.index.registers import REGISTER_TYPES, import_register_report
    from saidao.index.store import Index

    if type_ not in REGISTER_TYPES:
        raise typer.BadParameter(f"可选：{'、'.join(REGISTER_TYPES)}", param_hint="--type")
    with Index.open(db) as index:
        try:
            report = import_register_report(index, file, type_, year)
        except SaidaoError as e:
            err.print(f"[red]✗ {e.message_zh}[/red]")
            raise typer.Exit(1) from None
    if as_json:
        print_json(report.to_dict())
    else:
        _register_report(report, type_, year)


def _register_report(report: Any, type_: str, year: int | None) -> None:
    """The register import in Chinese: counts, then each repair, rejection and name-only row."""
    console = Console()
    console.print(
        f"{type_}{f'（{year}年）' if year else ''}名单：读取 {report.read} 行，"
        f"导入 {report.loaded} 行，与已导入赛道的企业匹配 {report.matched} 行，"
        f"更正信用代码 {len(report.repaired)} 行，拒收 {len(report.rejected)} 行，"
        f"无信用代码（仅按名称匹配）{len(report.name_only)} 行"
        f"（其中按名称匹配上 {report.name_only_matched} 行）")
    for title, rows in (("已更正的信用代码", report.repaired), ("拒收的行", report.rejected),
                        ("无信用代码、仅按名称匹配的行", report.name_only)):
        if rows:
            table = RichTable(title=title)
            for header in ("行号", "企业名称", "原信用代码", "说明"):
                table.add_column(header, overflow="fold")
            for r in rows:
                table.add_row(str(r["row"]), r["name"], r["printed"], r["reason"])
            console.print(table)


# ---------------------------------------------------------------- eligibility


@app.command("eligibility")
def eligibility_command(
    track_id: int = typer.Argument(..., help="新赛道编号"),
    as_json: bool = JSON_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """按内科高字〔2026〕11号 三、（一）逐条判断新赛道的申报条件（满足/不满足/未知）。"""
    from saidao.index.eligibility import track_eligibility
    from saidao.index.report import has_track

    with open_index(db) as index:
        if not has_track(index, track_id):
            raise fail(f"没有编号为 {track_id} 的新赛道")
        result = track_eligibility(index, track_id)
    if as_json:
        print_json(result)
        return
    table = RichTable(title=f"新赛道 {track_id} 申报条件：{result['status']}")
    for header in ("条件", "结论", "理由"):
        table.add_column(header, overflow="fold")
    for c in result["conditions"]:
        table.add_row(c["name"], c["status"], c["reason"])
    Console().print(table)


# ---------------------------------------------------------------- recheck


@app.command("recheck")
def recheck_command(
    as_json: bool = JSON_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """用索引中其他材料（其他赛道同名企业的有效代码、认定名单）复核未能确定的信用代码。"""
    from saidao.index.recheck import recheck_codes

    with open_index(db) as index:
        summary = recheck_codes(index)
    if as_json:
        print_json(summary.to_dict())
        return
    table = RichTable(title=f"信用代码复核：{summary.unsettled} 行待定、{summary.repaired} 行自动更正，"
                            f"{summary.with_evidence} 行有同名企业依据；已确定 {len(summary.settled)} 行，"
                            f"改正自动更正 {len(summary.revised)} 行（待人工核对）")
    for header in ("新赛道", "行", "企业", "原文代码", "原自动更正", "更正为", "依据"):
        table.add_column(header, overflow="fold")
    for s in summary.settled + summary.revised:
        table.add_row(str(s.track_id), s.field, s.name, s.uscc_printed, s.replaced or "", s.uscc,
                      "；".join(s.evidence))
    Console().print(table)


# ---------------------------------------------------------------- region-wide figures

region_app = typer.Typer(help="全区性指标（如某年度全区平均增长率）：每年录入一次，供各赛道判断申报条件。",
                         no_args_is_help=True)
app.add_typer(region_app, name="region")


@region_app.command("set")
def region_set(
    item: str = typer.Argument(..., metavar="指标=数值", help="指标=数值，如 region_avg_growth=6.5"),
    year: int = typer.Option(..., "--year", help="年度，如 2025"),
    by: str = typer.Option("", "--by", help="录入人"),
    db: Path = DB_OPTION,
) -> None:
    """录入一个年度的全区性指标（保留历史，以最后一次为准）。"""
    from saidao.index.eligibility import REGION_FIGURE_KEYS, set_region_figure
    from saidao.index.store import Index

    key, sep, value = item.partition("=")
    if not sep:
        err.print(f"[red]✗ 需要 指标=数值 的形式，可选指标：{'、'.join(REGION_FIGURE_KEYS)}[/red]")
        raise typer.Exit(2)
    with Index.open(db) as index:
        try:
            number = set_region_figure(index, key.strip(), year, value.strip(), by=by)
        except ValueError as e:
            err.print(f"[red]✗ {e}[/red]")
            raise typer.Exit(2) from None
    err.print(f"已录入 {year} 年{REGION_FIGURE_KEYS[key.strip()]}：{number:g}")


@region_app.command("list")
def region_list(
    db: Path = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """已录入的全区性指标（每个年度的最新值）。"""
    from saidao.index.eligibility import REGION_FIGURE_KEYS, region_figures
    from saidao.index.store import Index

    with Index.open(db) as index:
        rows = region_figures(index)
    if as_json:
        print_json(rows)
        return
    table = RichTable(title="全区性指标")
    for header in ("指标", "年度", "数值", "录入人", "录入时间"):
        table.add_column(header)
    for r in rows:
        table.add_row(REGION_FIGURE_KEYS.get(r["key"], r["key"]), str(r["year"]), f"{r['value']:g}",
                      r["entered_by"] or "", r["entered_at"])
    Console().print(table)

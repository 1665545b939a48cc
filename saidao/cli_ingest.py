"""``saidao ingest`` and ``saidao demo``: the bulk import and the tour of the product.

Registered on the shared ``app`` (``saidao.cli_common``) when ``saidao.cli`` imports it.
Progress and tables go to stderr when ``--json`` owns stdout.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    TaskID,
)
from rich.table import Table
from typer.core import TyperCommand

from saidao.cli_common import app, err, print_json, progress_bar
from saidao.errors import REASONS, SaidaoError
from saidao.extractors.citation import clause_label
from saidao.ingest.bulk import FileOutcome, Options, RunSummary
from saidao.settings import ReadSettings
from saidao.vocab import DRY_OUTCOME_LABELS, OUTCOME_LABELS, label

DEMO_DB = Path("saidao-demo.db")


class BarProgress:
    """A rich progress bar on stderr: files, pages, OCR pages, errors, ETA.

    The bar moves page by page (``page``): a file half read counts as half a
    file, so a long scan moves the bar and rich's time-remaining column as its
    pages are read, not only when it ends.
    """

    def __init__(self, console: Console, label: str) -> None:
        self.bar = progress_bar(label, "页 {task.fields[pages]} · OCR页 {task.fields[ocr]} · "
                                       "错误 {task.fields[errors]} {task.fields[now]}", console)
        self.task: TaskID = self.bar.add_task(label, total=0, pages=0, ocr=0, errors=0, now="")
        self._errors = self._pages = self._ocr = self._files = 0
        self._reading: dict[str, tuple[int, int]] = {}  # file -> (pages read, its pages)

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def grow(self, n: int) -> None:
        total = self.bar.tasks[0].total or 0
        self.bar.update(self.task, total=total + n)

    def page(self, display: str, done: int, total: int) -> None:
        """Page ``done`` of ``total`` of ``display`` was read."""
        self._reading[display] = (done, total)
        self._show(f"· {Path(display).name} 第 {done}/{total} 页")

    def done(self, outcome: FileOutcome) -> None:
        self._reading.pop(outcome.path, None)
        self._files += 1
        self._pages += outcome.pages
        self._ocr += outcome.ocr_pages
        self._errors += outcome.outcome in ("failed", "unsupported")
        self._show("")

    def _show(self, now: str) -> None:
        reading = list(self._reading.values())
        partial = sum(min(d / t, 1.0) for d, t in reading if t > 0)
        self.bar.update(
            self.task, completed=self._files + partial, pages=self._pages + sum(d for d, _ in reading),
            ocr=self._ocr, errors=self._errors, now=now,
        )


def summary_tables(summary: RunSummary) -> list[Table]:
    """The run in Chinese: counts by outcome, failures by reason."""
    names = DRY_OUTCOME_LABELS if summary.dry_run else OUTCOME_LABELS
    title = "试运行（未写入索引）" if summary.dry_run else f"导入汇总（第 {summary.run_id} 次运行）"
    counts = Table(title=title)
    counts.add_column("结果")
    counts.add_column("文件数", justify="right")
    for key, zh in names.items():
        counts.add_row(zh, str(summary.counts.get(key, 0)))
    counts.add_row("合计", str(len(summary.files)), style="bold")
    if not summary.dry_run:
        counts.add_row("页数 / OCR 页数", f"{summary.pages} / {summary.ocr_pages}")
        if summary.codes_settled or summary.codes_revised:
            counts.add_row("信用代码据他处核定 / 改后待复核",
                           f"{summary.codes_settled} / {summary.codes_revised}")
    counts.add_row("用时（秒）", f"{summary.seconds:.1f}")
    tables = [counts]
    if summary.failed_by_reason:
        reasons = Table(title="无法导入的原因" if summary.dry_run else "失败原因")
        reasons.add_column("原因")
        reasons.add_column("代码")
        reasons.add_column("文件数", justify="right")
        for reason, n in summary.failed_by_reason.most_common():
            reasons.add_row(REASONS.get(reason, (reason,))[0], reason, str(n))
        tables.append(reasons)
    return tables


def _fates_table(summary: RunSummary) -> Table | None:
    """Files neither imported nor failed: skipped (not documents), waiting for OCR, copies."""
    rows = [f for f in summary.files if f.outcome in ("skipped", "pending_ocr", "duplicate")
            or f.reason == "same_policy"]
    if not rows:
        return None
    table = Table(title="跳过、待识别、副本和同一政策的其他形式")
    table.add_column("文件", overflow="fold")
    table.add_column("结果", overflow="fold")
    table.add_column("原因", overflow="fold")
    for f in rows:
        why = f"与 {f.copy_of} 内容相同" if f.copy_of else (
            f.message if f.reason == "same_policy" else _why(f))
        table.add_row(f.path, label(OUTCOME_LABELS, f.outcome), why or "")
    return table


def _failures_table(summary: RunSummary) -> Table | None:
    rows = [f for f in summary.files if f.outcome in ("failed", "unsupported")]
    if not rows:
        return None
    table = Table(title="未能导入的文件")
    table.add_column("文件", overflow="fold")
    table.add_column("原因", overflow="fold")
    for f in rows:
        table.add_row(f.path, _why(f))
    return table


def _why(f: FileOutcome) -> str:
    """The reason in Chinese with its detail, without repeating the path."""
    if f.reason is None:
        return ""
    zh = REASONS.get(f.reason, (f.reason,))[0]
    return f"{zh}（{f.detail}）" if f.detail else zh


def _dry_table(summary: RunSummary) -> Table:
    table = Table(title="每个文件将如何处理")
    table.add_column("文件", overflow="fold")
    table.add_column("处理", overflow="fold")
    for f in summary.files:
        why = f"与 {f.copy_of} 内容相同" if f.copy_of else _why(f)
        table.add_row(f.path, DRY_OUTCOME_LABELS[f.outcome] + (f"：{why}" if why else ""))
    return table


def run_ingest(paths: list[Path], db: Path, options: Options, args: list[str]) -> RunSummary:
    """Run an import with a progress bar on stderr; bad usage has been checked by the caller."""
    from saidao.ingest.bulk import ingest as bulk_ingest

    with BarProgress(err, "试运行" if options.dry_run else "导入") as bar:
        return bulk_ingest(paths, db, options, bar, args)


def _device(device: str) -> str:
    """The OCR device asked for; ``cuda`` without a usable GPU is said once and runs on the CPU."""
    from saidao.ingest.readers.ocr_engine import cuda_available

    if device not in ("auto", "cpu", "cuda"):
        err.print("[red]--device 只能是 auto、cpu 或 cuda[/red]")
        raise typer.Exit(2)
    if device == "cuda" and not cuda_available():
        err.print("[yellow]未找到可用的 GPU（CUDA），文字识别改用 CPU[/yellow]")
        return "cpu"
    return device


def bare_ray_as_local(args: list[str]) -> list[str]:
    """The command line with a bare ``--ray`` spelt ``--ray local``.

    ``--ray`` takes an address but may stand alone (start Ray on this machine). typer
    no longer supports Click's optional-value options (``flag_value``), so the bare
    flag is completed before parsing, by Click's old rule: the next word is the address
    unless there is none or it starts with ``-``. Words after ``--`` are paths, left alone.
    """
    from saidao.ingest.ray_pool import LOCAL

    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        out.append(arg)
        if arg == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-")):
            out.append(LOCAL)
    return out


class IngestCommand(TyperCommand):
    """``saidao ingest``: its arguments parsed after :func:`bare_ray_as_local`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Click's (or typer's own) Context
        return super().parse_args(ctx, bare_ray_as_local(list(args)))


@app.command(cls=IngestCommand)
def ingest(
    paths: list[Path] = typer.Argument(..., help="文件、文件夹或 .zip 压缩包，可多个"),
    db: Path = typer.Option(Path("saidao.db"), "--db", help="索引数据库文件"),
    workers: int = typer.Option(0, "--workers", help="并行进程数（默认 CPU 核数）"),
    kind: str | None = typer.Option(
        None, "--kind", help="declaration 或 policy；默认按内容判断。与内容不符的文件（无申报表栏目、空白申报表、"
        "填好的申报表按政策导入）不导入，并说明原因"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只显示将如何处理，不写入索引"),
    no_ocr: bool = typer.Option(
        False, "--no-ocr", help="不做文字识别（含扫描页的文件记为“待识别”，下次不加此项时识别）"),
    reread: bool = typer.Option(
        False, "--reread", help="已导入过的文件也用当前的读取程序重新读取，替换原抽取结果"),
    device: str = typer.Option("auto", "--device", help="文字识别设备：auto（有 GPU 则用）、cpu 或 cuda"),
    timeout: float = typer.Option(600.0, "--timeout", help="单个文件的处理时限（秒）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON（计数与每个文件的结果）"),
    ray: str | None = typer.Option(
        None, "--ray", metavar="[地址]",
        help="在 Ray 集群上读取和识别：单独写 --ray 在本机启动 Ray；"
             "--ray auto 加入本机所在集群；--ray 主机:6379 或 --ray ray://主机:10001 连接远程集群",
    ),
    ray_shared_path: bool = typer.Option(
        False, "--ray-shared-path",
        help="集群各节点以相同路径看到这些文件（共享存储）：只传路径，不传文件内容",
    ),
    follow_symlinks: bool = typer.Option(
        False, "--follow-symlinks", help="也读取指向导入文件夹之外的符号链接（默认只报告不读取）"),
) -> None:
    """批量导入文件、文件夹和压缩包：每个文件都有结果，同一内容不会重复导入。"""
    if kind not in (None, "declaration", "policy"):
        err.print("[red]--kind 只能是 declaration 或 policy[/red]")
        raise typer.Exit(2)
    if workers < 0 or not math.isfinite(timeout) or timeout <= 0:
        err.print("[red]--workers 不能为负，--timeout 必须是正数（秒）[/red]")
        raise typer.Exit(2)
    _check_db_folder(db)
    options = Options(
        workers=workers, kind=kind, settings=ReadSettings(ocr=not no_ocr, ocr_device=_device(device)),
        timeout=timeout, dry_run=dry_run, ray=ray, ray_shared_path=ray_shared_path, reread=reread,
        follow_symlinks=follow_symlinks,
    )
    summary = run_ingest(paths, db, options, sys.argv[1:])
    out = err if as_json else Console()
    if summary.dry_run and not as_json:
        out.print(_dry_table(summary))
    elif not as_json:
        for table in (_fates_table(summary), _failures_table(summary)):
            if table is not None:
                out.print(table)
    for table in summary_tables(summary):
        out.print(table)
    if as_json:
        print_json(summary.to_dict())
    raise typer.Exit(1 if summary.failed else 0)


def _check_db_folder(db: Path) -> None:
    """A --db in a folder that does not exist is bad usage, not a traceback."""
    folder = db.parent if str(db.parent) else Path(".")
    if not folder.is_dir():
        err.print(f"[red]索引文件所在的文件夹不存在：{folder}[/red]")
        raise typer.Exit(2)


def demo_inputs(repo_root: Path | None = None) -> list[Path]:
    """The bundled policies and the sample declarations (repo root or beside the package)."""
    from saidao.corpus.policies import bundled
    from saidao.ingest.read import SUPPORTED_SUFFIXES

    inputs = [Path(p.path) for p in bundled()]
    roots = [repo_root] if repo_root else [Path.cwd(), Path(__file__).resolve().parent.parent]
    found = (r / "tests" / "fixtures" / "declarations" for r in roots)
    declarations = next((d for d in found if d.is_dir()), None)
    if declarations is not None:
        inputs += sorted(
            f for f in declarations.iterdir()
            if f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith(".")
        )
    return inputs


@app.command()
def demo(
    db: Path = typer.Option(DEMO_DB, "--db", help="演示用索引（每次重新创建）"),
    workers: int = typer.Option(0, "--workers", help="并行进程数（默认 CPU 核数）"),
    no_ocr: bool = typer.Option(False, "--no-ocr", help="不做文字识别（更快）"),
    query: str = typer.Option("人才公寓", "--query", help="演示检索的关键词"),
    zone: str = typer.Option("鄂尔多斯高新区", "--zone", help="演示查询条款的高新区"),
) -> None:
    """把随包附带的政策和样例申报表导入一个新索引，并演示检索与按高新区查条款。"""
    console = Console()
    _check_db_folder(db)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    options = Options(workers=workers, settings=ReadSettings(ocr=not no_ocr))
    summary = run_ingest(demo_inputs(), db, options, ["demo"])
    for table in summary_tables(summary):
        console.print(table)
    if (failures := _failures_table(summary)) is not None:
        console.print(failures)
    _demo_search(console, db, query, zone)
    raise typer.Exit(1 if summary.failed else 0)


def _demo_search(console: Console, db: Path, query: str, zone: str) -> None:
    """Show a search and a zone's clauses, if the search module has landed."""
    try:
        from saidao.index import search as search_mod
    except ImportError:
        console.print("[yellow]检索模块尚未就绪，跳过检索与按高新区查询的演示。[/yellow]")
        return
    from saidao.index.store import Index

    with Index.open(db) as index:
        _show_hits(console, search_mod.search(index, query, limit=5), query)
        try:
            found = search_mod.clauses_for_zone(index, zone)
        except (LookupError, SaidaoError) as exc:
            console.print(f"[red]{getattr(exc, 'message_zh', exc)}[/red]")
            return
        _show_zone(console, found, zone)


def _show_hits(console: Console, hits: list[dict], query: str) -> None:
    table = Table(title=f"检索「{query}」：前 {len(hits)} 条")
    for header in ("文号", "条款", "标题", "摘要"):
        table.add_column(header, overflow="fold")
    for hit in hits:
        table.add_row(
            hit.get("doc_number") or hit.get("title", ""), clause_label(hit),
            hit.get("heading") or "", hit.get("snippet") or "",
        )
    console.print(table)


def _show_zone(console: Console, found: dict, zone: str, limit: int = 12) -> None:
    rows = [
        (policy, clause)
        for policy in found.get("policies", [])
        for clause in policy.get("clauses", [])
    ]
    table = Table(title=f"适用于{zone}的条款：共 {len(rows)} 条（显示前 {min(limit, len(rows))} 条）")
    for header in ("文号", "条款", "标题"):
        table.add_column(header, overflow="fold")
    for policy, clause in rows[:limit]:
        table.add_row(
            policy.get("doc_number") or policy.get("title", ""), clause_label(clause),
            clause.get("heading") or "",
        )
    console.print(table)


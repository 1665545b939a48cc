"""``saidao demo``: read the bundled corpus and the sample declarations, show a summary.

Until the index lands this is the product's main job end to end on the
bundled material: every file accounted for, read or rejected with a reason.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from saidao.errors import SaidaoError
from saidao.extractors.classify import classify
from saidao.ingest.read import SUPPORTED_SUFFIXES, expand_paths, read

KIND_ZH = {"declaration": "申报表", "policy": "政策", "other": "其他"}


def demo_files(fixtures: Path) -> list[Path]:
    """Bundled policies first, then every readable fixture (bad-input samples included)."""
    corpus = Path(__file__).resolve().parent.parent / "corpus" / "policies"
    try:
        from saidao.corpus.policies import bundled

        policy_files = [Path(p.path) for p in bundled()]
    except ImportError:
        policy_files = sorted(corpus.glob("*.txt")) if corpus.is_dir() else []
    found = [
        f for f in expand_paths([fixtures]) if f.suffix.lower() in SUPPORTED_SUFFIXES | {".xyz"}
    ] if fixtures.is_dir() else []
    return policy_files + found


def run_demo(fixtures: Path, console: Console, err: Console) -> int:
    """Read everything, print one row per file and the totals; return the failure count."""
    files = demo_files(fixtures)
    table = Table(title=f"saidao 演示：读取 {len(files)} 个文件")
    for header in ("文件", "格式", "类型", "页数", "OCR页", "表格", "段落", "秒", "结果"):
        table.add_column(header, overflow="fold")
    outcomes: Counter[str] = Counter()
    pages = ocr_pages = 0
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]读取"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[name]}"), TimeRemainingColumn(), console=err,
    ) as progress:
        task = progress.add_task("read", total=len(files), name="")
        for path in files:
            progress.update(task, name=path.name)
            shown = _short(path, fixtures)
            try:
                doc = read(path)
            except SaidaoError as e:
                outcomes[f"失败：{e.reason}"] += 1
                table.add_row(shown, "", "", "", "", "", "", "", f"[red]{e.message_zh}[/red]")
            else:
                kind = classify(doc)
                outcomes[KIND_ZH[kind]] += 1
                pages += len(doc.pages)
                ocr_pages += len(doc.ocr_pages)
                table.add_row(
                    shown, doc.format, KIND_ZH[kind], str(len(doc.pages)), str(len(doc.ocr_pages)),
                    str(len(doc.tables)), str(len(doc.paragraphs)),
                    f"{doc.timings.get('total', 0):.2f}", "成功" if not doc.problems else "；".join(doc.problems),
                )
            progress.advance(task)
    console.print(table)
    summary = Table(title="汇总")
    summary.add_column("项目")
    summary.add_column("数量", justify="right")
    for key, count in sorted(outcomes.items()):
        summary.add_row(key, str(count))
    summary.add_row("页数", str(pages))
    summary.add_row("OCR 页数", str(ocr_pages))
    summary.add_row("用时（秒）", f"{time.perf_counter() - started:.1f}")
    console.print(summary)
    return sum(n for k, n in outcomes.items() if k.startswith("失败"))


def _short(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return path.name

"""Duplicate-firm detection over generated mentions: time and pairwise quality.

    python benchmarks/dupes.py [N_MENTIONS ...]   (default 2000 20000 100000)

The mentions come from ``tests/fixtures/dupes/generate.py``. Name keys are
timed apart from grouping: the index stores ``name_key`` at import, so
``saidao dupes`` over the index starts from stored keys. Grouping is shown as
wall and CPU seconds: on a shared machine the CPU figure is the steadier one.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from saidao.extractors.firm_name import name_key
from saidao.index.dupes import Mention, find_groups

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from dupes_eval import evaluate  # noqa: E402  the harness lives with the tests

GENERATOR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "dupes" / "generate.py"
MENTIONS_PER_FIRM = 3.0  # about, in the generated set


def load_generator():  # noqa: ANN201 - a module loaded from a path
    spec = importlib.util.spec_from_file_location("dupes_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules["dupes_generate"] = module
    spec.loader.exec_module(module)
    return module


def with_keys(mentions: list[Mention]) -> list[Mention]:
    """The mentions as the index holds them: name_key already computed (garbage
    collector paused, as ``mentions_from_index`` does)."""
    gc.disable()
    try:
        return [Mention(m.track_id, m.seq, m.name, m.uscc_printed, m.uscc, m.zone, m.file,
                        m.sha256, name_key(m.name)) for m in mentions]
    finally:
        gc.enable()


def run(n_mentions: int) -> dict[str, float]:
    data = load_generator().generate(max(10, int(n_mentions / MENTIONS_PER_FIRM)))
    start = time.perf_counter()
    keyed = with_keys(data.mentions)
    keys = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    groups = find_groups(keyed)
    grouping, grouping_cpu = time.perf_counter() - start, time.process_time() - cpu
    result = evaluate(groups, data.truth)
    return {"mentions": len(keyed), "firms": len(data.firms), "groups": len(groups),
            "keys_s": keys, "group_s": grouping, "group_cpu_s": grouping_cpu,
            "precision": result.precision, "recall": result.recall}


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 20000, 100000]
    table = Table(title="saidao dupes benchmark")
    for header in ("mentions", "firms", "groups", "name keys (s)", "grouping (s)",
                   "grouping CPU (s)", "precision", "recall"):
        table.add_column(header, justify="right")
    for size in sizes:
        r = run(size)
        table.add_row(f"{r['mentions']:,}", f"{r['firms']:,}", f"{r['groups']:,}",
                      f"{r['keys_s']:.1f}", f"{r['group_s']:.1f}", f"{r['group_cpu_s']:.1f}",
                      f"{r['precision']:.4f}",
                      f"{r['recall']:.4f}")
    Console().print(table)


if __name__ == "__main__":
    main()

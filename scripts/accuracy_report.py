"""Write docs/accuracy.md: declaration extraction accuracy per format group.

    python scripts/accuracy_report.py
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from declaration_eval import MEASURES, cases, evaluate, table  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    tallies = evaluate()
    seconds = time.perf_counter() - started
    counts: dict[str, int] = {}
    for case in cases():
        counts[case.group] = counts.get(case.group, 0) + 1
    lines = [
        "# Declaration extraction accuracy",
        "",
        f"Measured {dt.date.today().isoformat()} by `python scripts/accuracy_report.py` over the "
        f"generated fixtures in `tests/fixtures/declarations/` "
        f"({', '.join(f'{n} {g}' for g, n in counts.items())} files; {seconds:.0f} s on this machine).",
        "The same figures are asserted by `tests/test_declaration_accuracy.py`.",
        "",
        table(tallies),
        "",
        "Measures: " + "; ".join(f"`{key}` = {label}" for key, label in MEASURES) + ".",
        "Texts are compared without whitespace and with widths folded (layout is not content).",
        "Photos show the first page only and are scored on its fields.",
        "",
        "## Misses",
        "",
    ]
    for group, tally in tallies.items():
        for measure, misses in tally.misses.items():
            if misses:
                lines.append(f"- {group} / {measure}: " + "; ".join(misses[:12]))
    out = ROOT / "docs" / "accuracy.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(table(tallies))
    print(f"written {out}")


if __name__ == "__main__":
    main()

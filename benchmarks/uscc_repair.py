"""Credit-code repair on three sets of misreads: repaired / left open / wrong.

Not a test: prints a table, and with ``--grid`` the same figures for other
values of the error model's constants (``uscc.REPAIR_MARGIN``,
``HAND_PSEUDO_COUNT``, ``UNSEEN_PSEUDO_COUNT``), to choose them: the rule
must make no wrong repair on the hand-table set and on the realistic set
(misreads drawn from the measured confusion table), with as many repairs as
possible. ``--before`` adds the rule of ``main`` (the source at that git
revision, run against today's data module).

    python benchmarks/uscc_repair.py [--realistic 10000] [--grid] [--before main] [--holdout]
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures import uscc_misreads as sets  # noqa: E402

from saidao.extractors import uscc  # noqa: E402


def load_sets(n_realistic: int, step: int = 5) -> dict[str, list[tuple[str, str]]]:
    codes = sets.real_codes()
    measured = [(a, b) for a, b in sets.measured_confusions().meta.get("misreads", [])]
    return {
        "measured_reads": measured,
        "in_table": sets.in_table(codes),
        "realistic": sets.realistic(codes, n_realistic),
        "outside_hand": sets.outside(codes[::step], measured=False),
        "outside_both": sets.outside(codes[::step]),
    }


def line(name: str, label: str, t: dict) -> str:
    n = t["n"]
    return (f"| {name} | {label} | {n} | {t['repaired'] / n:.2%} | {t['open'] / n:.2%} | "
            f"{len(t['wrong'])} ({len(t['wrong']) / n:.2%}) | {len(t['undetected'])} |")


def module_at(rev: str) -> types.ModuleType:
    """extractors/uscc.py as it was at ``rev``, as a module of its own."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:extractors/uscc.py"],
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType(f"uscc_{rev}")
    module.__file__ = f"uscc@{rev}"
    sys.modules[module.__name__] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


MARGINS = [30, 100, 300]
HANDS = [2.0, 5.0]
NONES = [0.0, 1e-6, 3e-6]


def _ranked_or_outcome(misread: str) -> list | str | None:
    """The ranked candidates check() would weigh, or check()'s answer when it takes another path."""
    glyphed = uscc.compact(uscc._apply_glyphs(misread))
    if (len(glyphed) != 18 or uscc.is_valid(glyphed) or uscc._PILOT.match(glyphed)
            or uscc._excel_digits(uscc.compact(misread)) is not None):
        return uscc.check(misread, expected_area_prefix="15").uscc
    return uscc._rank(glyphed, "15", frozenset(), frozenset())


def grid(data: dict[str, list[tuple[str, str]]]) -> None:
    """Rank every misread once; re-weigh the candidates under each setting of the constants."""
    ranked = {name: [(true, m, _ranked_or_outcome(m)) for true, m in pairs] for name, pairs in data.items()}
    print("| margin | hand | none | " + " | ".join(f"{k} rep / wrong" for k in data) + " |")
    print("|---|---|---|" + "---|" * len(data))
    for margin, hand, none in itertools.product(MARGINS, HANDS, NONES):
        uscc.REPAIR_MARGIN, uscc.HAND_PSEUDO_COUNT, uscc.NONE_RATE = margin, hand, none
        uscc.confusion_rate.cache_clear()
        cells = []
        for pairs in ranked.values():
            rep = wrong = 0
            for true, m, cands in pairs:
                if not isinstance(cands, list):
                    got = cands
                else:
                    for r in cands:
                        if r.structural and not r.forced:
                            r.likelihood = uscc._log_likelihood(r)
                            r.posterior = uscc._prior(r) + r.likelihood
                    remaining = uscc._remaining(cands)
                    got = remaining[0].code if len(remaining) == 1 else None
                rep += got == true
                wrong += got not in (None, true) and not uscc.is_valid(m)
            cells.append(f"{rep / len(pairs):.2%} / {wrong}")
        print(f"| {margin} | {hand} | {none} | " + " | ".join(cells) + " |", flush=True)


def holdout() -> None:
    """Fit the substitution counts on the first half of the measured misreads, test on the second."""
    from collections import Counter

    from saidao.extractors import uscc_data

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from uscc_ocr_confusions import align

    full = uscc_data.measured_confusions()
    reads = [tuple(p) for p in full.meta["misreads"]]
    first, second = reads[:len(reads) // 2], reads[len(reads) // 2:]
    subs: Counter[tuple[str, str]] = Counter()
    for true, read in first:
        subs.update((a, b) for a, b in align(true, read) if a and b and a != b)
    half = uscc_data.MeasuredConfusions({c: n // 2 for c, n in full.trials.items()}, dict(subs), full.meta)
    uscc.measured_confusions = lambda: half  # the module's own name for the table
    uscc._CAUSES.clear()
    uscc._CAUSES.update(uscc._causes())
    uscc.confusion_rate.cache_clear()
    single = [(a, b) for a, b in second
              if len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1]
    print("| set (table fitted on the first half) | misreads | repaired | left open | wrong repairs | passing the check |")
    print("|---|---|---|---|---|---|")
    for name, pairs in (("second half of the measured misreads", second), ("… single substitutions", single),
                        ("in_table", sets.in_table(sets.real_codes()))):
        t = sets.tally(pairs)
        n = t["n"]
        print(f"| {name} | {n} | {t['repaired'] / n:.2%} | {t['open'] / n:.2%} | {len(t['wrong'])} | "
              f"{len(t['undetected'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realistic", type=int, default=10000)
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--sets", nargs="*", default=None, help="only these sets (default all)")
    parser.add_argument("--holdout", action="store_true", help="fit on half the measurement, test on the rest")
    parser.add_argument("--before", default="", help="a git revision to compare with, e.g. main")
    args = parser.parse_args()
    if args.holdout:
        holdout()
        return
    data = load_sets(args.realistic, 10 if args.grid else 5)
    if args.sets:
        data = {k: v for k, v in data.items() if k in args.sets}
    if args.grid:
        grid(data)
        return
    rules = [("now", uscc.check)]
    if args.before:
        rules.insert(0, (args.before, module_at(args.before).check))
    print("| set | rule | misreads | repaired | left open | wrong repairs | passing the check |")
    print("|---|---|---|---|---|---|---|")
    for name, pairs in data.items():
        for label, check in rules:
            started = time.process_time()
            t = sets.tally(pairs, check)
            print(line(name, label, t) + f" {time.process_time() - started:.0f} s", flush=True)
            for true, misread, got in t["wrong"][:3]:
                print(f"    wrong: {true} read {misread} -> {got}")


if __name__ == "__main__":
    main()

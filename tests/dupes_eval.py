"""The duplicate-firm evaluation harness: pairwise precision and recall of groups
against the truth labels of the generated fixture (``tests/fixtures/dupes/generate.py``).

Used by ``tests/test_dupes.py`` and ``benchmarks/dupes.py``; it is measurement, not
product code, so it lives with the tests (it was ``index.dupes.evaluate``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

from saidao.index.dupes import Group


@dataclass
class Evaluation:
    """Pairwise precision and recall of predicted groups against truth labels."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def evaluate(groups: Sequence[Group], truth: dict[str, str]) -> Evaluation:
    """Compare groups with ``truth`` (mention id → firm id), pair by pair."""
    by_firm: dict[str, list[str]] = defaultdict(list)
    for mid, firm in truth.items():
        by_firm[firm].append(mid)
    true_pairs = sum(len(v) * (len(v) - 1) // 2 for v in by_firm.values())
    predicted = correct = 0
    errors = []
    for g in groups:
        for x, y in combinations(g.members, 2):
            predicted += 1
            if truth.get(x.id) == truth.get(y.id):
                correct += 1
            elif len(errors) < 50:
                errors.append((x.name, y.name))
    return Evaluation(true_pairs, predicted, correct, errors)

"""Accuracy of policy extraction over the issue-11 test set (``tests/fixtures/policy_set``).

Used by ``tests/test_policy_set.py`` (which fails below the issue's thresholds)
and ``benchmarks/policies.py``. Two measures, each per form and per layout:

* **clause boundaries** — a found clause matches a gold one when its number
  and path agree and its text starts with the gold's ``text_start``
  (whitespace and character widths ignored); micro-averaged F1;
* **metadata** — title, 文号, issuers, date, level and jurisdiction, each equal
  to gold (whitespace and widths ignored): the share of equal fields.

    .venv/bin/python tests/policy_set_eval.py [--forms txt,docx,pdf,html,mhtml,ofd] [-v]
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SET_DIR = Path(__file__).parent / "fixtures" / "policy_set"
OUT = SET_DIR / "out"
META_KEYS = ("title", "doc_number", "issuers", "date", "level", "jurisdiction")
BORN_DIGITAL = ("txt", "docx", "pdf")
#: Saved web pages (portal layouts rotated over the documents, MHTML for every other one)
#: and OFD, rendered by ``policy_set/render.py`` through ``tests/fixtures/policy_forms.py``.
WEB_AND_OFD = ("html", "mhtml", "ofd")


def load_specs() -> Any:
    """``specs.py`` as a module (the fixtures folder is not a package)."""
    spec = importlib.util.spec_from_file_location("policy_set_specs", SET_DIR / "specs.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def load_render() -> Any:
    """``render.py`` as a module (it knows which page layout each document is saved in)."""
    spec = importlib.util.spec_from_file_location("policy_set_render", SET_DIR / "render.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def squash(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [squash(v) for v in value]
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def form_path(doc_id: str, form: str) -> Path:
    return OUT / (f"{doc_id}.scan.pdf" if form == "scan" else f"{doc_id}.{form}")


@dataclass
class Case:
    id: str
    layout: str
    form: str
    path: Path
    gold: dict[str, Any]
    variant: str | None = None  # the saved page's layout (html, mhtml)


def cases(forms: tuple[str, ...] = BORN_DIGITAL) -> Iterator[Case]:
    render = load_render() if {"html", "mhtml"} & set(forms) else None
    for doc in load_specs().DOCS:
        for form in forms:
            path = form_path(doc["id"], form)
            if form == "scan" and not doc["scan"]:
                continue
            variant = render.variant(doc["id"], form) if render and form in ("html", "mhtml") else None
            if form == "mhtml" and variant is None:
                continue  # MHTML for every other document only
            yield Case(doc["id"], doc["layout"], form, path, doc["gold"], variant)


def clause_hits(found: list[dict[str, Any]], gold: list[dict[str, Any]]) -> tuple[int, list, list]:
    """(matches, gold clauses missed, found clauses unmatched)."""
    unmatched = list(gold)
    extra = []
    for clause in found:
        for g in unmatched:
            if (clause["number"] == g["number"] and clause["path"] == g["path"]
                    and squash(clause["text"]).startswith(squash(g["text_start"]))):
                unmatched.remove(g)
                break
        else:
            extra.append(clause)
    return len(gold) - len(unmatched), unmatched, extra


def meta_wrong(result: dict[str, Any], gold: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (result.get(k), gold[k]) for k in META_KEYS if squash(result.get(k)) != squash(gold[k])}


@dataclass
class Tally:
    found: int = 0
    gold: int = 0
    hits: int = 0
    meta_equal: int = 0
    meta_total: int = 0
    docs: int = 0
    validity_equal: int = 0
    validity_total: int = 0

    def add_validity(self, equal: bool) -> None:
        self.validity_total += 1
        self.validity_equal += int(equal)

    def add(self, found: int, gold: int, hits: int, meta_equal: int) -> None:
        self.found += found
        self.gold += gold
        self.hits += hits
        self.meta_equal += meta_equal
        self.meta_total += len(META_KEYS)
        self.docs += 1

    @property
    def f1(self) -> float:
        if not self.hits:
            return 0.0
        p, r = self.hits / self.found, self.hits / self.gold
        return 2 * p * r / (p + r)

    @property
    def meta(self) -> float:
        return self.meta_equal / self.meta_total if self.meta_total else 0.0


@dataclass
class Report:
    by_form: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_layout: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_page: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))  # form:page layout
    failures: list[str] = field(default_factory=list)

    def table(self) -> str:
        lines = ["| group | docs | clauses found/gold | boundary F1 | metadata | in force (from, until) |",
                 "|---|---|---|---|---|---|"]
        for title, groups in (("form", self.by_form), ("page", self.by_page), ("layout", self.by_layout)):
            for name, t in groups.items():
                lines.append(f"| {title} {name} | {t.docs} | {t.found}/{t.gold} | {t.f1:.3f} | "
                             f"{t.meta:.3f} | {t.validity_equal}/{t.validity_total} |")
        return "\n".join(lines)


def evaluate(forms: tuple[str, ...] = BORN_DIGITAL, verbose: bool = False) -> Report:
    from saidao.errors import SaidaoError
    from saidao.ingest.extract import extract_file

    report = Report()
    for case in cases(forms):
        try:
            result = extract_file(case.path, kind="policy")
        except SaidaoError as exc:
            result = {"clauses": []}
            report.failures.append(f"{case.id}.{case.form}: {exc}")
        hits, missed, extra = clause_hits(result.get("clauses", []), case.gold["clauses"])
        wrong = meta_wrong(result, case.gold["meta"])
        groups = [report.by_form[case.form], report.by_layout[case.layout]]
        if case.variant:
            groups.append(report.by_page[f"{case.form}:{case.variant}"])
        for group in groups:
            group.add(len(result.get("clauses", [])), len(case.gold["clauses"]), hits,
                      len(META_KEYS) - len(wrong))
        gold_validity = case.gold.get("in_force")
        if gold_validity:
            got = result.get("in_force") or {}
            equal = (got.get("from"), got.get("until")) == (gold_validity["from"], gold_validity["until"])
            for group in groups:
                group.add_validity(equal)
            if verbose and not equal:
                report.failures.append(f"{case.id}.{case.form}: in_force {got} gold {gold_validity}")
        if verbose and (missed or extra or wrong):
            report.failures.append(
                f"{case.id}.{case.form}: missed {[(g['number'], g['path']) for g in missed]} "
                f"extra {[(c['number'], c['path'], c['text'][:15]) for c in extra]} meta {wrong}")
    return report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--forms", default=",".join(BORN_DIGITAL))
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args(argv)
    report = evaluate(tuple(args.forms.split(",")), verbose=args.v)
    print(report.table())
    for line in report.failures:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()

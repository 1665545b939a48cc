"""Accuracy of declaration extraction over the generated fixtures, against their gold.

Used by ``tests/test_declaration_accuracy.py`` (which fails below the issue's
thresholds) and by ``scripts/accuracy_report.py`` (which writes
``docs/accuracy.md``). Figures are computed per format group:

* ``born-digital``: .docx, .doc and PDFs with a text layer;
* ``scan``: scanned PDFs and photos (OCR).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saidao.errors import SaidaoError
from saidao.ingest.extract import extract_file

FIXTURES = Path(__file__).parent / "fixtures" / "declarations"
UNIT_KEYS = ("name", "address", "contact", "postcode", "department", "title", "phone", "mobile", "fax", "email")
PLATFORM_KEYS = ("name", "host", "level", "year", "certifier", "research")


def squash(value: Any) -> str:
    """Compare texts without whitespace or width differences (layout is not content)."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return re.sub(r"\s+", "", text)


@dataclass
class Case:
    id: str
    path: Path
    format: str
    group: str  # born-digital | scan
    gold: dict[str, Any]
    partial: bool = False  # only the first page is in the file (photos): first-page fields only


def cases(fixtures: Path = FIXTURES) -> Iterator[Case]:
    for gold_path in sorted(fixtures.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        for entry in gold["files"]:
            fmt = entry["format"]
            group = "scan" if entry.get("scanned") or fmt in ("scan", "photo", "image") else "born-digital"
            partial = isinstance(entry.get("pages"), list)  # a photo of some pages only
            yield Case(gold["id"], fixtures / entry["path"], fmt, group, gold["expected"], partial)


@dataclass
class Tally:
    """Hits over totals, per measure."""

    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    totals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, measure: str, ok: bool, where: str = "") -> None:
        self.totals[measure] += 1
        self.hits[measure] += int(ok)
        if not ok and len(self.misses[measure]) < 40:
            self.misses[measure].append(where)

    def rate(self, measure: str) -> float:
        return self.hits[measure] / self.totals[measure] if self.totals[measure] else 1.0


def _fields(expected: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "track_name": expected["track_name"],
        "track.direction": expected["track"]["direction"],
        "zone.id": expected["zone"]["id"],
        "filled_at": expected["filled_at"],
        "measures": expected["measures"]["text"],
        "plan": expected["plan"]["text"],
        "attestation.present": expected["attestation"]["present"],
        "attestation.sealed": expected["attestation"]["sealed"],
        "attestation.date": expected["attestation"]["date"],
    }
    out.update({f"unit.{k}": expected["unit"][k] for k in UNIT_KEYS})
    for i, platform in enumerate(expected.get("platforms", [])):
        out.update({f"platforms[{i}].{k}": platform.get(k) for k in PLATFORM_KEYS})
    return out


def _got_fields(result: dict[str, Any]) -> dict[str, Any]:
    got: dict[str, Any] = {
        "track_name": result.get("track_name"),
        "track.direction": (result.get("track") or {}).get("direction"),
        "zone.id": (result.get("zone") or {}).get("id"),
        "filled_at": result.get("filled_at"),
        "measures": (result.get("measures") or {}).get("text"),
        "plan": (result.get("plan") or {}).get("text"),
        "attestation.present": (result.get("attestation") or {}).get("present"),
        "attestation.sealed": (result.get("attestation") or {}).get("sealed"),
        "attestation.date": (result.get("attestation") or {}).get("date"),
    }
    got.update({f"unit.{k}": (result.get("unit") or {}).get(k) for k in UNIT_KEYS})
    for i, platform in enumerate(result.get("platforms", [])):
        got.update({f"platforms[{i}].{k}": platform.get(k) for k in PLATFORM_KEYS})
    return got


FIRST_PAGE_FIELDS = ("track_name", "track.direction", "zone.id", "filled_at", "measures")


def score_case(case: Case, result: dict[str, Any], tally: Tally) -> None:
    expected = case.gold
    got = _got_fields(result)
    for key, want in _fields(expected).items():
        if case.partial and not (key in FIRST_PAGE_FIELDS or key.startswith("unit.")):
            continue
        tally.add("fields", squash(got.get(key)) == squash(want), f"{case.path.name}:{key}")
    if case.partial:
        return
    gold_firms = expected["firms"]
    by_seq: dict[int, dict[str, Any]] = {}
    for f in result.get("firms", []):
        if f.get("seq") is not None:
            by_seq.setdefault(f["seq"], f)
    by_name = {squash(f.get("name")): f for f in result.get("firms", [])}
    for firm in gold_firms:
        hit = find_firm_row(firm, by_seq, by_name)
        tally.add("firm_rows", hit is not None, f"{case.path.name}:#{firm['seq']}")
        tally.add("uscc", hit is not None and hit.get("uscc") == firm["uscc"],
                  f"{case.path.name}:#{firm['seq']} {firm['uscc']}≠{hit.get('uscc') if hit else None}")
        tally.add("firm_names", hit is not None and squash(hit.get("name")) == squash(firm["name"]),
                  f"{case.path.name}:#{firm['seq']} {firm['name']}≠{hit.get('name') if hit else None}")
    tally.add("firm_rows_extra", len(result.get("firms", [])) <= len(gold_firms), case.path.name)
    reported = {(p.get("field"), p.get("code")) for p in result.get("problems", [])}
    for problem in expected.get("problems", []):
        tally.add("problems", (problem["field"], problem["code"]) in reported,
                  f"{case.path.name}: {problem['field']} {problem['code']}")
    track, want = result.get("track") or {}, expected["track"]
    nonstandard = any(p["code"] == "track_name_nonstandard" for p in expected.get("problems", []))
    same = (_same_class(track, want) and _same_path(track, want, prefix_ok=nonstandard)
            and squash(track.get("label")) == squash(want["label"]))
    tally.add("track", same, f"{case.path.name}: {track.get('scheme')} {track.get('codes')} {track.get('label')}")


def find_firm_row(firm: dict[str, Any], by_seq: dict[int, dict[str, Any]],
                  by_name: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The extracted row of a gold firm: the row with its 序号; a row whose number was not
    read (or a table without numbers) by the exact name. The name is scored apart
    (``firm_names``), so a one-glyph misread of the name no longer loses the row and its code."""
    if firm.get("seq") is not None and firm["seq"] in by_seq:
        return by_seq[firm["seq"]]
    return by_name.get(squash(firm["name"]))


def _same_path(got: dict[str, Any], want: dict[str, Any], prefix_ok: bool) -> bool:
    """The same codes (future industries: class names). A name typed from memory
    (``纺织+智能织物``) supports only its top class: a shorter path is right too."""
    key = "codes" if want["codes"] else "class_names"
    got_path, want_path = [squash(x) for x in got.get(key) or []], [squash(x) for x in want[key]]
    if got_path == want_path:
        return True
    return prefix_ok and bool(got_path) and want_path[: len(got_path)] == got_path


def _same_class(got: dict[str, Any], want: dict[str, Any]) -> bool:
    """Same scheme — or another scheme whose table gives the same codes the same names.

    SEI 2018 and ISEI 2023 share many paths word for word; a name written
    with such a path identifies both, so either answer is right.
    """
    if got.get("scheme") == want["scheme"]:
        return True
    from saidao.corpus.classifications import load

    try:
        table = load(got.get("scheme") or "")
    except (KeyError, ValueError):
        return False
    codes = list(want["codes"])
    if not codes:
        return False
    names = [name for _, name in table.path(codes[-1])] if table.by_code(codes[-1]) else []
    return [squash(n) for n in names] == [squash(n) for n in want["class_names"]]


def evaluate(fixtures: Path = FIXTURES, groups: tuple[str, ...] = ("born-digital", "scan")) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for case in cases(fixtures):
        if case.group not in groups:
            continue
        tally = tallies.setdefault(case.group, Tally())
        try:
            result = extract_file(case.path, kind="declaration")
        except SaidaoError as e:
            tally.add("read", False, f"{case.path.name}: {e.message_en}")
            continue
        tally.add("read", True)
        score_case(case, result, tally)
    return tallies


MEASURES = (
    ("fields", "字段完全一致 field exact match"),
    ("firm_rows", "企业行找到 firm rows found"),
    ("uscc", "最终信用代码正确 final uscc = true code"),
    ("firm_names", "企业名称完全一致 firm names exact"),
    ("track", "赛道名称解析正确 track resolved (scheme, codes, label)"),
    ("problems", "问题检出 planted problems reported"),
)


def table(tallies: dict[str, Tally]) -> str:
    lines = ["| measure | " + " | ".join(tallies) + " |", "|---|" + "---|" * len(tallies)]
    for key, label in MEASURES:
        cells = [f"{t.rate(key):.1%} ({t.hits[key]}/{t.totals[key]})" for t in tallies.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)

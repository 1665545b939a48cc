"""Re-check credit codes after an import, with evidence from the rest of the index.

Declarations are extracted in worker processes, one file at a time, so a
misprinted 统一社会信用代码 with several plausible repairs stays unsettled
(``uscc`` null, candidates listed, an open ``uscc_ambiguous`` problem). Once
the whole batch is in the index there may be outside evidence for it: the
same firm listed in another track with a code that verifies, or a certified-
firm register (``firm_registers``) naming it. :func:`recheck_codes` runs
``extractors.uscc.check`` again with those codes as ``known_name_codes`` and
settles a row only when the repair then stands out *and* is one of the
evidence codes.

Decisions:

* Evidence is a code beyond doubt: printed in a form and verifying, corrected
  by a person, or listed in a register — never another automatic repair (a
  guess must not confirm a guess) and never a re-check result (the outcome
  would depend on the order rows are visited).
* "The same firm" means the same normalised name (``name_key``) with regions
  that can be one place (``dupes.regions_agree``: 包头市鑫达商贸 is not
  鄂尔多斯市鑫达商贸). The row's own printed code is left out of the region
  test: its area digits may be the misread ones.
* Only other tracks count: a firm listed twice in one form is one statement.
* The raw extraction is never overwritten. A settled row gets a ``corrections``
  entry on ``firm_mentions.uscc`` by ``saidao:recheck`` with the evidence in
  Chinese as its note, so every reader of corrections (``dupes``, ``Index.value``)
  sees it and a person's later correction (a newer row) still wins. Its open
  problems are marked resolved, each change recorded in ``corrections`` too,
  and one resolved ``uscc_recheck`` problem states what was done and why.
* An automatic repair made without the evidence is re-checked too. The
  single-error model can "repair" a plain typo (5 typed as 0) by some other
  lookalike change; when the evidence settles the row on a different code, the
  evidence wins (a ``saidao:recheck`` correction) but the row's problem stays
  open, with a ``uscc_recheck_revised`` problem saying what changed: a value
  already in use was replaced, so a person should look.
* Rows a person already handled are left alone: any existing correction of the
  code, or problems on the row that are all resolved. So a second run finds
  nothing new to do (idempotent).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from saidao.extractors.firm_name import name_key
from saidao.extractors.uscc import check, compact, is_valid
from saidao.index.db import now, write_transaction
from saidao.index.dupe_model import Mention
from saidao.index.firm_regions import regions_agree
from saidao.index.firm_rows import code_fixes
from saidao.index.store import Index

__all__ = ["NOTE_CODE", "REVISED_CODE", "WHO", "Evidence", "RecheckSummary", "Settled",
           "recheck_codes"]

#: ``corrected_by`` of every row this pass writes.
WHO = "saidao:recheck"
#: Problem code of the resolved note left on a settled row.
NOTE_CODE = "uscc_recheck"
#: Problem code (open) of an automatic repair the evidence replaced.
REVISED_CODE = "uscc_recheck_revised"

#: Firm rows of current declarations that meet ``{where}``; a row's position in its
#: track's table counts every row of that track, so whole tracks are numbered first.
_MENTIONS_SQL = """
SELECT * FROM (
  SELECT fm.id, fm.track_id, fm.name, fm.name_key, fm.uscc_printed, fm.uscc, fm.uscc_valid,
         ROW_NUMBER() OVER (PARTITION BY fm.track_id ORDER BY fm.id) - 1 AS position,
         fm.track_name, fm.file, fm.sha256
  FROM current_firm_rows fm
  WHERE fm.track_id IN (SELECT track_id FROM firm_mentions fm WHERE {where})
) AS fm WHERE {where}
"""
#: Rows whose printed code fails its check: the only rows a pass can settle.
_UNSETTLED = "(fm.uscc_valid IS NULL OR NOT fm.uscc_valid) AND coalesce(fm.uscc_printed, '') <> ''"
#: Rows of the name keys given as a JSON list: where evidence can come from.
_OF_KEYS = "fm.name_key IN (SELECT value FROM json_each(?))"


@dataclass(frozen=True)
class _Row:
    """One firm row of a current declaration, as the index holds it."""

    id: int
    track_id: int
    name: str
    key: str
    printed: str
    uscc: str | None
    valid: bool
    position: int  # 0-based place in its track's firm table: problems say firms[position]
    track_name: str
    path: str
    sha256: str

    @property
    def field(self) -> str:
        return f"firms[{self.position}].uscc"


@dataclass(frozen=True)
class Evidence:
    """A code beyond doubt held for a firm name, and where it was seen (Chinese)."""

    code: str
    name: str
    track_id: int | None  # None for a register entry
    text: str


@dataclass(frozen=True)
class Settled:
    """A row whose code the evidence settled."""

    mention_row: int
    track_id: int
    file_sha256: str
    field: str
    name: str
    uscc_printed: str
    uscc: str
    fix: str | None
    evidence: tuple[str, ...]
    replaced: str | None = None  # the automatic repair the evidence overruled


@dataclass
class RecheckSummary:
    """What one pass looked at and what it settled."""

    unsettled: int = 0  # rows with no usable code that nobody has handled
    repaired: int = 0  # rows repaired automatically (without evidence) that nobody has handled
    with_evidence: int = 0  # of both, rows with a code for the same firm elsewhere
    settled: list[Settled] = field(default_factory=list)  # unsettled rows settled
    revised: list[Settled] = field(default_factory=list)  # automatic repairs replaced

    def to_dict(self) -> dict[str, Any]:
        """The ``saidao recheck --json`` shape."""
        return {"unsettled": self.unsettled, "repaired": self.repaired,
                "with_evidence": self.with_evidence,
                "settled_count": len(self.settled), "revised_count": len(self.revised),
                "settled": [_settled_dict(s) for s in self.settled],
                "revised": [_settled_dict(s) for s in self.revised]}


def _settled_dict(s: Settled) -> dict[str, Any]:
    return asdict(s) | {"evidence": list(s.evidence)}


# ---------------------------------------------------------------- reading


def _rows(index: Index, where: str, params: Sequence[Any] = ()) -> list[_Row]:
    """Current firm rows meeting ``where`` (read in SQL: an import must not walk every row)."""
    sql = _MENTIONS_SQL.format(where=where)
    return [_Row(int(rid), int(track), name or "", key or name_key(name or ""),
                 compact(printed or ""), uscc, bool(valid), int(position), track_name or "",
                 path or "", sha)
            for rid, track, name, key, printed, uscc, valid, position, track_name, path, sha
            in index.db.execute(sql, [*params, *params])]


def _code_corrections(index: Index) -> dict[int, tuple[str | None, str]]:
    """Latest correction of each firm row's code: row id -> (value, by)."""
    return {row_id: (fix["corrected_value"], fix["corrected_by"] or "")
            for row_id, fix in code_fixes(index).items()}


def _handled_fields(index: Index) -> set[tuple[str, str]]:
    """(file, field) pairs whose problems exist and are all resolved: a person settled them."""
    return {(sha, fld) for sha, fld in index.db.execute(
        "SELECT file_sha256, field FROM problems GROUP BY file_sha256, field "
        "HAVING sum(status = 'open') = 0")}


# ---------------------------------------------------------------- evidence


def _mention_evidence(rows: list[_Row], fixes: dict[int, tuple[str | None, str]],
                      keys: set[str]) -> dict[str, list[Evidence]]:
    """Codes beyond doubt for the name keys wanted: printed and verifying, or corrected
    by a person."""
    out: dict[str, list[Evidence]] = defaultdict(list)
    for row in rows:
        if row.key not in keys:
            continue
        value, by = fixes.get(row.id, (None, ""))
        if value and by != WHO and is_valid(value):
            code, how = compact(value), "（人工核定）"
        elif row.valid and row.uscc:
            code, how = compact(row.uscc), ""
        else:
            continue
        where = f"{_file_name(row.path)}第{row.position + 1}行"
        text = f"依据：同名企业在赛道 {row.track_name or row.track_id} 中的代码 {code}{how}（{where}）"
        out[row.key].append(Evidence(code, row.name, row.track_id, text))
    return out


def _file_name(path: str) -> str:
    """The last part of a stored path, POSIX or Windows (no Path object per row)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _register_evidence(index: Index, keys: set[str]) -> dict[str, list[Evidence]]:
    """Codes of register entries for the name keys wanted."""
    out: dict[str, list[Evidence]] = defaultdict(list)
    if "firm_registers" not in index.db.table_names():
        return out
    for r in index.db.query("SELECT type, year, name, name_key, uscc FROM firm_registers"):
        code = compact(r["uscc"] or "")
        key = r["name_key"] or name_key(r["name"] or "")
        if key in keys and code and is_valid(code):
            year = f"（{r['year']}年）" if r["year"] else ""
            text = f"依据：认定名单“{r['type']}”{year}中同名企业的代码 {code}"
            out[key].append(Evidence(code, r["name"] or "", None, text))
    return out


def _same_firm(row: _Row, evidence: Evidence) -> bool:
    """Another track (or a register), and regions that can be one place."""
    if evidence.track_id == row.track_id:
        return False
    # the row's own code is left out: its area digits may be the misread ones
    return regions_agree(Mention(str(row.track_id), 0, row.name),
                         Mention("evidence", 0, evidence.name, evidence.code, evidence.code))


# ---------------------------------------------------------------- settling


def _settle(row: _Row, pool: list[Evidence]) -> Settled | None:
    """The row's code with the evidence codes as outside knowledge, when it settles on one."""
    codes = {e.code for e in pool}
    result = check(row.printed, known_name_codes=codes, expected_area_prefix="15")
    if result.valid or result.uscc is None or result.uscc not in codes or result.uscc == row.uscc:
        return None
    texts = tuple(dict.fromkeys(e.text for e in pool if e.code == result.uscc))
    return Settled(row.id, row.track_id, row.sha256, row.field, row.name, row.printed,
                   result.uscc, result.fix, texts, replaced=row.uscc)


def _write(index: Index, settled: list[Settled]) -> None:
    """Corrections, problems resolved or raised, and the note, all in one transaction."""
    stamp = now()
    with write_transaction(index.db):
        for s in settled:
            note = "；".join(s.evidence)
            _correct(index, "firm_mentions", s.mention_row, "uscc", s.replaced, s.uscc, stamp, note)
            row_no = int(s.field[6:s.field.index("]")]) + 1
            if s.replaced:
                message = (f"第{row_no}行 {s.name}：统一社会信用代码“{s.uscc_printed}”自动更正为 "
                           f"{s.replaced}，与其他材料不符，已改为 {s.uscc}，请核对。{note}")
                _add_problem(index, s, REVISED_CODE, message, "open")
                continue
            open_ids = [r[0] for r in index.db.execute(
                "SELECT id FROM problems WHERE file_sha256 = ? AND field = ? AND status = 'open'",
                [s.file_sha256, s.field])]
            for pid in open_ids:
                _correct(index, "problems", pid, "status", "open", "resolved", stamp, note)
                index.db.execute("UPDATE problems SET status = 'resolved' WHERE id = ?", [pid])
            message = (f"第{row_no}行 {s.name}：统一社会信用代码“{s.uscc_printed}”"
                       f"依据其他材料更正为 {s.uscc}。{note}")
            _add_problem(index, s, NOTE_CODE, message, "resolved")


def _correct(index: Index, table: str, row_id: int, column: str, raw: str | None, value: str,
             stamp: str, note: str) -> None:
    index.db.execute(
        "INSERT INTO corrections(table_name, row_id, field, raw_value, corrected_value, "
        "corrected_by, corrected_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [table, str(row_id), column, raw, value, WHO, stamp, note])


def _add_problem(index: Index, s: Settled, code: str, message: str, status: str) -> None:
    index.db.execute(
        "INSERT INTO problems(file_sha256, field, code, message, status) VALUES (?, ?, ?, ?, ?)",
        [s.file_sha256, s.field, code, message, status])


def recheck_codes(index: Index) -> RecheckSummary:
    """Settle unsettled credit codes with evidence from the index; see the module notes.

    Call after an import (all files recorded); safe to run any number of times.
    """
    summary = RecheckSummary()
    candidates = _rows(index, _UNSETTLED)
    if not candidates:
        return summary
    fixes = _code_corrections(index)
    handled = _handled_fields(index)
    targets = [r for r in candidates if not r.valid and r.printed and r.id not in fixes
               and (r.sha256, r.field) not in handled]
    keys = {r.key for r in targets if r.key}
    rows = _rows(index, _OF_KEYS, [json.dumps(sorted(keys), ensure_ascii=False)]) if keys else []
    evidence = _mention_evidence(rows, fixes, keys)
    for key, found in _register_evidence(index, keys).items():
        evidence[key].extend(found)
    for row in targets:
        if row.uscc:
            summary.repaired += 1
        else:
            summary.unsettled += 1
        pool = [e for e in evidence.get(row.key, ()) if _same_firm(row, e)]
        if not pool:
            continue
        summary.with_evidence += 1
        if (done := _settle(row, pool)) is not None:
            (summary.revised if done.replaced else summary.settled).append(done)
    if summary.settled or summary.revised:
        _write(index, summary.settled + summary.revised)
    return summary

"""The units that carry a clause out: ``牵头单位：…；责任单位：…``.

Policies end a clause with a parenthesised note ``（牵头单位：自治区科技厅；责任
单位：财政厅、…）`` or put the labels on lines of their own. The value of a label
runs to the next label, the closing bracket or the end of the line, and is split
into unit names on ``、，,；``. A one-character piece (``委、办、厅、局``) cannot
be a unit by itself, so it stays joined to the name before it; duty tails
(``按职责分工负责``) are dropped.

``split_units`` also returns the text without the notes: names like
``大数据中心`` or ``能源局`` must not be read as industries of the clause.

Input is expected NFKC-folded (``：`` → ``:``, ``（`` → ``(``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LABEL = r"(?P<label>牵头单位|牵头部门|责任单位|责任部门|配合单位|配合部门|协同单位|参与单位)\s*:"
_INNER = r"[^()]*(?:\([^()]*\)[^()]*)*"
#: A bracketed note that starts with a label; one level of nested brackets allowed.
_NOTE = re.compile(rf"\(\s*(?=(?:牵头|责任|配合|协同|参与)(?:单位|部门)\s*:){_INNER}\)")
#: A label at the start of a line or sentence, running to the end of the line.
_LINE = re.compile(rf"(?:^|(?<=[。;]))[ \t]*(?={_LABEL})[^\n]*", re.M)
_LABEL_RE = re.compile(_LABEL)
_SEPARATORS = re.compile(r"[、,，;；]")
_DUTY_TAIL = re.compile(
    r"(?:按照?|根据|依)?(?:各自)?(?:职责)?(?:分工)?(?:负责|落实|配合)$|等(?:单位|部门)?$"
)
_LEAD_LABELS = ("牵头单位", "牵头部门")


@dataclass
class Units:
    """Lead and responsible units of one clause, and the clause text without the notes."""

    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    rest: str = ""


def split_names(value: str) -> list[str]:
    """``自治区科技厅、财政厅，各有关盟行政公署`` → names, duty tails dropped."""
    names: list[str] = []
    for piece in _SEPARATORS.split(value):
        piece = _DUTY_TAIL.sub("", piece.strip(" \t\n。.)"))
        if not piece:
            continue
        if len(piece) == 1 and names:
            names[-1] = f"{names[-1]}、{piece}"  # 委、办、厅、局
        else:
            names.append(piece)
    return list(dict.fromkeys(names))


def _read_note(note: str, units: Units) -> None:
    """Fill ``units`` from one note (its labels and their values)."""
    labels = list(_LABEL_RE.finditer(note))
    for i, m in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(note)
        value = note[m.end():end].rstrip(" ;；)")
        target = units.lead if m["label"] in _LEAD_LABELS else units.responsible
        target.extend(n for n in split_names(value) if n not in target)


def split_units(text: str) -> Units:
    """Lead/responsible units of a clause and its text with the unit notes removed."""
    units = Units()
    notes = [m.group()[1:-1] for m in _NOTE.finditer(text)]
    rest = _NOTE.sub("", text)
    notes += [m.group() for m in _LINE.finditer(rest)]
    rest = _LINE.sub("", rest)
    for note in notes:
        _read_note(note, units)
    units.rest = rest.strip()
    return units

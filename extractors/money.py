"""Money, years and quantitative targets in policy text (rules only, no model).

Why regular expressions over the raw characters and not token patterns: jieba
cuts ``1.5万元`` or ``50万—100万元`` differently depending on the neighbours,
while the written forms of an amount are few and regular. The pipeline in
``tagging`` turns these character spans into spaCy spans.

Input is expected NFKC-folded (``２５０万元`` → ``250万元``, ``：`` → ``:``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NUM = r"\d+(?:\.\d+)?"
_MULT = r"(?:万亿|千万|百万|十万|亿|万|千|百)"
_DASH = r"[-—–~～至到]"

#: ``不低于250万元``, ``50万—100万元``, ``200元/平方米``, ``1000万元及以上``.
MONEY = re.compile(
    rf"(?<![\d.])(?P<lo>{_NUM})\s*(?P<lom>{_MULT})?"
    rf"(?:\s*{_DASH}\s*(?P<hi>{_NUM})\s*(?P<him>{_MULT})?)?"
    rf"\s*元(?P<per>/(?:平方米|平米|亩|年|月|天|人|个|项|家|次|吨|台|套|千瓦|度|件))?(?P<tail>及以上|以上|以下|以内|左右)?"
)

MULTIPLIERS = {"百": 100, "千": 1000, "万": 10_000, "十万": 100_000, "百万": 1_000_000,
               "千万": 10_000_000, "亿": 100_000_000, "万亿": 10**12}

#: Words before an amount that bound it, nearest first wins.
_BOUND_WORDS: tuple[tuple[str, str], ...] = (
    ("最高不超过", "at_most"), ("最高不高于", "at_most"), ("最高可达", "at_most"),
    ("不超过", "at_most"), ("不高于", "at_most"), ("最高", "at_most"), ("最多", "at_most"),
    ("上限", "at_most"), ("不低于", "at_least"), ("不少于", "at_least"), ("至少", "at_least"),
    ("超过", "at_least"), ("突破", "at_least"), ("高于", "at_least"),
)
_TAIL_QUALIFIER = {"及以上": "at_least", "以上": "at_least", "以下": "at_most",
                   "以内": "at_most", "左右": "about"}
#: Where the words that bound an amount can no longer reach it.
_CLAUSE_BREAK = re.compile(r"[,，。;；:\n]")

YEAR = re.compile(rf"(?<!\d)(?P<a>(?:19|20)\d{{2}})(?:\s*{_DASH}\s*(?P<b>(?:19|20)\d{{2}}))?\s*年")
#: A counted target: ``达到300家``, ``突破13亿元``, ``不低于5%``.
TARGET = re.compile(
    r"(?<!不)(?P<verb>达到|突破|超过|不少于|不低于|提升至|增长至|提高到|实现|新增|累计|培育|引进|建成|形成)"
    r"[^,，。;；\d]{0,8}?"
    rf"(?P<n>{_NUM})\s*(?P<unit>%|家|个|项|件|人|名|条|所|座|户|P|{_MULT}?元)(?P<tail>以上|左右)?"
)

#: Verbs that make an amount of money a target (a subsidy is "给予不低于…").
_MONEY_TARGET_VERBS = ("达到", "突破", "超过", "实现", "新增", "累计", "增长至", "提升至", "提高到")


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount of money as written, in yuan, with how it is bounded."""

    start: int
    end: int
    text: str
    yuan: int | float
    qualifier: str  # exact / at_least / at_most / about / range
    yuan_max: int | float | None = None
    per: str = ""  # ``平方米`` for ``200元/平方米``

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "yuan": self.yuan, "qualifier": self.qualifier}
        if self.yuan_max is not None:
            out["yuan_max"] = self.yuan_max
        if self.per:
            out["per"] = self.per
        return out


def _number(value: str, mult: str | None) -> int | float:
    """``1.5`` with ``万`` → 15000; whole results are ints."""
    total = float(value) * MULTIPLIERS.get(mult or "", 1)
    return int(round(total)) if abs(total - round(total)) < 1e-6 else total


def _qualifier_before(text: str, start: int) -> str | None:
    """The bounding word nearest before ``start`` in the same phrase, if any."""
    window = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    window = window[breaks[-1].end():] if breaks else window
    best: tuple[int, str] | None = None
    for word, qualifier in _BOUND_WORDS:
        pos = window.rfind(word)
        if pos >= 0 and (best is None or pos + len(word) > best[0]):
            best = (pos + len(word), qualifier)
    return best[1] if best else None


def _list_qualifier(text: str, start: int) -> str | None:
    """``不低于50万元、25万元``: an amount after ``、`` shares the first one's bound."""
    window = text[:start]
    breaks = list(re.finditer(r"[,，。;；:\n]", window))
    phrase = window[breaks[-1].end():] if breaks else window
    if not phrase.rstrip().endswith("、"):
        return None
    return _qualifier_before(phrase, len(phrase))


def find_amounts(text: str) -> list[Amount]:
    """Every amount of money in ``text`` in order (see ``MONEY`` for the forms)."""
    amounts = []
    for m in MONEY.finditer(text):
        hi_mult = m["him"] or m["lom"]
        lo = _number(m["lo"], m["lom"] or (m["him"] if m["hi"] else None))
        per = (m["per"] or "").lstrip("/")
        if m["hi"]:
            amounts.append(Amount(m.start(), m.end(), m.group(), lo, "range",
                                  _number(m["hi"], hi_mult), per))
            continue
        qualifier = (_TAIL_QUALIFIER.get(m["tail"] or "") or _qualifier_before(text, m.start())
                     or _list_qualifier(text, m.start()) or "exact")
        amounts.append(Amount(m.start(), m.end(), m.group(), lo, qualifier, None, per))
    return amounts


def find_years(text: str) -> list[int]:
    """Years written as ``2025年`` or ``2025—2027年``, unique, in order."""
    years: list[int] = []
    for m in YEAR.finditer(text):
        years += [int(m["a"])] + ([int(m["b"])] if m["b"] else [])
    return list(dict.fromkeys(years))


def find_targets(text: str) -> list[dict[str, Any]]:
    """Counted targets (``到2025年…达到300家``) with the year written before them."""
    targets = []
    for m in TARGET.finditer(text):
        if m["unit"].endswith("元") and m["verb"] not in _MONEY_TARGET_VERBS:
            continue  # 给予不低于50万元 is a subsidy, not a target
        years = [int(y["b"] or y["a"]) for y in YEAR.finditer(text[: m.start()])]
        unit = m["unit"]
        value = _number(m["n"], unit[:-1] if unit.endswith("元") and len(unit) > 1 else None)
        targets.append({"text": m.group(), "value": value,
                        "unit": "元" if unit.endswith("元") else unit,
                        "qualifier": "at_least" if m["tail"] == "以上" or m["verb"] in
                        ("突破", "超过", "不少于", "不低于") else "exact",
                        "year": years[-1] if years else None})
    return targets

"""USCC (统一社会信用代码, Unified Social Credit Code, GB 32100-2015).

The code has 18 characters from the 31-character set ``0-9 A-H J-N P Q R T U W X Y``
(``I O S V Z`` are never used):

* position 1, 登记管理部门码 (registration authority): ``9`` 工商/市场监管, ``5`` 民政,
  ``1`` 机构编制, ``N`` 农业, ``Y`` 其他 …
* position 2, 机构类别码 (entity category, meaning depends on position 1),
* positions 3-8, 登记管理机关行政区划码: the GB/T 2260 code of the registering
  authority (``100000`` for the national level; development zones use codes
  outside GB/T 2260),
* positions 9-17, 主体标识码: the GB 11714 organisation code, 8 characters and a
  check character ``0-9``/``X`` of its own,
* position 18, the GB 32100 check character: with values from the character
  set and weights ``3**(i-1) mod 31``, ``C18 = (31 - sum mod 31) mod 31``.

python-stdnum's ``stdnum.cn.uscc`` computes the check character correctly but
rejects codes whose first characters are letters (``A``, ``N``, ``Y`` are real
department codes), does not fold full-width characters, and checks neither the
area code nor the organisation code. This module builds on it and adds those
checks plus the repair of misread codes.

>>> validate('91110000600037341L')
'91110000600037341L'
>>> validate('９１１５０１００７０１４６５４２５Ｙ')
'91150100701465425Y'
>>> validate('N2150100MA0000007C')  # stdnum.cn.uscc rejects this
'N2150100MA0000007C'
>>> validate('91110000600037341N')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> validate('9111000060003IOZSV')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidFormat: The number has an invalid format.
>>> calc_check_digit('91350100M000100Y4')
'3'
>>> format('91 150100 701465425y')
'91150100701465425Y'

A misread code is repaired only when exactly one repair stands out:

>>> r = check('9115010O701465425Y')
>>> r.uscc, r.fix
('91150100701465425Y', 'confusable')
>>> check('91150100701465425Y').valid
True
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import product
from typing import Any, NamedTuple

from stdnum.cn import uscc as _stdnum_uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.iso7064 import mod_11_10

from saidao.document import CHAR_ALTERNATIVE_FLOOR
from saidao.extractors.uscc_data import (
    ALPHABET,
    CATEGORY_COUNTS,
    COMMON_CATEGORIES,
    CONFUSABLE_PAIRS,
    DEPARTMENTS,
    EXTRA_AREA_CODES,
    FORBIDDEN,
    GLYPHS,
    OBSERVED_OUTSIDE_TABLE,
    ONE_OR_DASH,
    SEPARATORS,
    divisions,
    measured_confusions,
    zone_like_area,
)
from saidao.vocab import USCC_FIX_LABELS

__all__ = [
    "REPAIR_MARGIN",
    "SCORE_WEIGHTS",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
    "Problem",
    "UsccResult",
    "ValidationError",
    "adjacent_transpositions",
    "area_name",
    "calc_check_digit",
    "calc_org_check_digit",
    "check",
    "check_alphabet",
    "check_area",
    "check_category",
    "check_check_char",
    "check_length",
    "check_many",
    "check_org_code",
    "check_pos17",
    "compact",
    "confusion_rate",
    "format",
    "is_valid",
    "known_area_codes",
    "single_substitutions",
    "structure_problems",
    "validate",
]

_VALUE: dict[str, int] = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17)) + (1,)
_INVERSE: tuple[int, ...] = tuple(pow(w, -1, 31) for w in _WEIGHTS)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUE: dict[str, int] = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_DIGITS = frozenset("0123456789")
_POS17 = frozenset("0123456789X")
_PLAIN = re.compile(r"[0-9A-Z]*")

#: Additive log-odds weights used to order repair candidates for display and
#: to state a repair's confidence. A candidate's score is the sum of the
#: weights of the features it has. Scores never decide a repair: that is
#: _remaining()'s rule (exactly one candidate the evidence supports).
SCORE_WEIGHTS: dict[str, float] = {
    # how the error came about (confusions.md): every changed character is a
    # print/scan lookalike of what was read ...
    "confusable": 3.0,
    # ... or two neighbours were swapped (typing)
    "transposition": 2.0,
    # structure of the candidate (ALGORITHM.md): pos 1-2 in the GB 32100 table
    "category": 2.0,
    # pos 1-2 outside the table but issued in real registers (99)
    "category_observed": 1.0,
    # pos 1-2 is one of the three combinations that make up 99.8 % of real codes
    "category_common": 1.0,
    # the organisation-code body is all digits (legacy codes) or starts with a
    # letter (MA…, MJ…, L0…, X0…), as in every real code we hold; kept low,
    # a prior on the shape of issued codes, not a check
    "body_shape": 0.5,
    # GB 11714 check of pos 9-17 (fails in 0.0063 % of real codes only)
    "org_check": 3.0,
    # pos 17 is 0-9 or X (true of all but one of 3 million real codes)
    "pos17": 2.0,
    # pos 3-4 is a province of GB/T 2260 (or 10, national level): codes of
    # zones and former divisions are unknown counties, never unknown provinces
    "area_province": 2.0,
    # pos 3-8 is a GB/T 2260 division, a known zone code or 100000
    "area_known": 1.5,
    # ... or has the shape of a zone office's code under a real prefecture
    # (uscc_data.zone_like_area): allowed, but less likely than a division
    "area_zone": 0.5,
    # pos 3-8 starts with the expected prefix (e.g. "15" Inner Mongolia)
    "area_prefix": 1.5,
    # outside evidence: the code was seen elsewhere in the index or a register
    "known_code": 6.0,
    # ... or is recorded for the same firm name
    "known_name_code": 10.0,
}

#: The error model's rates (confusion_rate): a substitution the product's OCR
#: was measured to make counts its sightings per printed character; a pair of
#: the hand table (uscc_data.CONFUSABLE_PAIRS, known from the literature and
#: from typed and printed forms) counts as at least HAND_PSEUDO_COUNT sightings
#: (as often as the measured pairs of the middle rank: another font, scanner or
#: a typist makes them); any other substitution (a typing slip, a smudge) as
#: UNSEEN_PSEUDO_COUNT. A neighbour swap (typing, never OCR) has a fixed rate,
#: below REPAIR_MARGIN * NONE_RATE: alone it is shown, never applied (in the
#: measurement a swap that fits came only from a code with two misreads).
#: All four constants were chosen with benchmarks/uscc_repair.py --grid
#: (docs/architecture.md, "Credit-code repair weighed by measured confusions"):
#: of the settings that make no wrong repair on the hand-table set, on misreads
#: drawn from the measured table and on every code the measurement misread,
#: the one that repairs the most.
HAND_PSEUDO_COUNT = 5.0
UNSEEN_PSEUDO_COUNT = 0.001
TRANSPOSITION_RATE = 1e-4

#: A repair is applied only when the likelihood of its misread is at least this
#: many times the sum of every other explained, structurally valid candidate's
#: (each with its prior, if higher) and NONE_RATE.
REPAIR_MARGIN = 100.0

#: The rate of "two or more characters misread, and one change happens to give
#: a valid code", per printed character like confusion_rate: in the measurement
#: 118 of the 264 misread codes had two or more errors, and two of them had a
#: lone structurally valid lookalike candidate. A lone candidate needs a misread
#: of at least REPAIR_MARGIN * NONE_RATE (3 in 10,000 printed characters).
NONE_RATE = 3e-6

#: Page evidence (``check(alternatives=...)``): when the rules above leave candidates
#: standing, one is taken if the recogniser itself saw its character where the code
#: was misread — at least PAGE_FLOOR probable there — and PAGE_MARGIN times more
#: probable than every other standing candidate could be (a character the reader did
#: not note is less probable than the least it noted there): the same margin the
#: error model needs. Seen on issue 12's held-out scans: a misread Q→0 left the true character
#: next in line at 0.39, 0→Q and 6→G at 0.007–0.008; characters read *right* carry
#: lookalikes of up to 0.015 (a B with R beside it at 0.0076). A recogniser sure of
#: a wrong character notes the true one not at all, and then such a lookalike
#: elsewhere would pass any margin: the floor stands above them, so weak evidence
#: (0.008) leaves the code open (tests/test_uscc.py draws lookalikes up to 0.03).
PAGE_FLOOR = 0.05
PAGE_MARGIN = REPAIR_MARGIN

#: Log-odds of "none of the candidates: more than one character is wrong";
#: enters the confidence of a repair as one more alternative.
NONE_SCORE = 6.0

#: A repair rests on the single-error assumption: never as sure as a verified code.
REPAIR_CONFIDENCE_CAP = 0.99

#: Confidence of a code that verifies, without / with structural warnings.
VALID_CONFIDENCE = 1.0
WARNED_CONFIDENCE = 0.9

_KIND_ZH = USCC_FIX_LABELS  # saidao.vocab: the one list of staff-facing labels


class Problem(NamedTuple):
    """A finding: a stable code for reports and a Chinese message for staff."""

    code: str
    message: str


# --------------------------------------------------------------------------
# stdnum-style interface
# --------------------------------------------------------------------------


def compact(code: str) -> str:
    """Fold full-width characters (NFKC), drop spaces and dashes, upper-case.

    >>> compact(' 91-150100\u3000701465425ｙ')
    '91150100701465425Y'
    """
    if _PLAIN.fullmatch(code):
        return code  # the common case, already compact
    text = unicodedata.normalize("NFKC", str(code))
    return "".join(ch for ch in text if not ch.isspace() and ch not in SEPARATORS).upper()


def calc_check_digit(code: str) -> str:
    """Return the GB 32100 check character for the first 17 characters.

    >>> calc_check_digit('91150100701465425')
    'Y'
    """
    code = compact(code)
    if len(code) < 17:
        raise InvalidLength()
    if any(c not in _VALUE for c in code[:17]):
        raise InvalidFormat()
    # stdnum's arithmetic is right; only its input checks are too narrow
    return _stdnum_uscc.calc_check_digit(code[:17])


def calc_org_check_digit(body: str) -> str | None:
    """Return the GB 11714 check character of an 8-character organisation code body.

    Letters count A=10 … Z=35 (plain order, not the GB 32100 values). None
    when the body has a character outside ``0-9A-Z``.

    >>> calc_org_check_digit('70146542')
    '5'
    """
    try:
        total = sum(_ORG_VALUE[c] * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    except KeyError:
        return None
    value = 11 - total % 11
    return "X" if value == 10 else str(value % 11)


def validate(code: str, *, strict: bool = False) -> str:
    """Check length, character set, digits in 3-8 and the check character.

    Returns the compact code. With ``strict`` the soft structure checks
    (GB 11714, category table, position 17) raise InvalidComponent too; by
    default they do not, because real issued codes break them.
    """
    code = compact(code)
    if len(code) != 18:
        raise InvalidLength()
    if any(c not in _VALUE for c in code) or not code[2:8].isdigit():
        raise InvalidFormat()
    if _syndrome(code) != 0:  # same test as code[17] == calc_check_digit(code)
        raise InvalidChecksum()
    if strict and _soft_problems(code):
        raise InvalidComponent()
    return code


def is_valid(code: str) -> bool:
    """Whether the code verifies (see validate)."""
    try:
        return bool(validate(code))
    except ValidationError:
        return False


def format(code: str) -> str:  # noqa: A001 - the stdnum interface name
    """Return the code in its printed form (18 characters, no separators)."""
    return compact(code)


# --------------------------------------------------------------------------
# area codes (GB/T 2260: python-stdnum's cn/loc.dat, read by uscc_data.divisions)
# --------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def area_name(area: str) -> str | None:
    """Name of a registration-authority area code, or None when unknown."""
    if area in EXTRA_AREA_CODES:
        return EXTRA_AREA_CODES[area]
    found = divisions().get(area) if len(area) == 6 and area.isdigit() else None
    if found is None:
        return None
    province, county = found
    return province if county == province else f"{province}{county}"


_PROVINCES = frozenset(code[:2] for code in EXTRA_AREA_CODES) | frozenset(
    code[:2] for code in divisions())


def known_area_codes(prefix: str = "") -> list[str]:
    """All six-digit codes of the GB/T 2260 table (plus zone codes) under a prefix."""
    return sorted(c for c in {*EXTRA_AREA_CODES, *divisions()} if c.startswith(prefix))


# --------------------------------------------------------------------------
# structure checks: each returns findings, none raises
# --------------------------------------------------------------------------


def check_length(code: str) -> list[Problem]:
    """Length 18 (an old 15-digit 注册号 is named as such)."""
    code = compact(code)
    if len(code) == 18:
        return []
    if len(code) == 15 and code.isdigit():
        ok = "校验位正确" if mod_11_10.is_valid(code) else "校验位错误"
        return [Problem("uscc_old_regno",
                        f"“{code}”是旧版15位工商注册号（{ok}），不是18位统一社会信用代码")]
    return [Problem("uscc_length", f"统一社会信用代码应为18位，实为{len(code)}位")]


def check_alphabet(code: str) -> list[Problem]:
    """Every character from the 31-character set (I O S V Z are never used)."""
    code = compact(code)
    bad = [(i, c) for i, c in enumerate(code, 1) if c not in _VALUE]
    if bad:
        where = "、".join(f"第{i}位“{c}”" for i, c in bad)
        hint = "（代码不使用字母 I、O、S、V、Z）" if any(c in FORBIDDEN for _, c in bad) else ""
        return [Problem("uscc_format", f"{where}不是统一社会信用代码字符{hint}")]
    # Positions 3-8 are a GB/T 2260 area code: digits only, whatever the alphabet allows.
    area = [(i, c) for i, c in enumerate(code[2:8], 3) if not c.isdigit()]
    if area:
        where = "、".join(f"第{i}位“{c}”" for i, c in area)
        return [Problem("uscc_format", f"{where}应为数字（第3–8位是登记管理机关行政区划码）")]
    return []


def check_check_char(code: str) -> list[Problem]:
    """The GB 32100 check character (position 18)."""
    code = compact(code)
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return []
    expected = calc_check_digit(code)
    if code[17] == expected:
        return []
    return [Problem("uscc_checksum",
                    f"统一社会信用代码校验位错误：第18位为“{code[17]}”，按前17位应为“{expected}”")]


def check_org_code(code: str) -> list[Problem]:
    """The GB 11714 check character of the organisation code (positions 9-17)."""
    code = compact(code)
    if len(code) != 18:
        return []
    expected = calc_org_check_digit(code[8:16])
    if expected is None or code[16] == expected:
        return []
    return [Problem("uscc_org_check",
                    f"组织机构代码（第9–17位）校验位不符：应为“{expected}”（个别真实代码如此，请核对）")]


def _category_level(code: str) -> int:
    """2: pos 1-2 in the GB 32100 table, 1: outside it but issued, 0: unknown."""
    dept = DEPARTMENTS.get(code[:1])
    if dept is not None and code[1:2] in dept[1]:
        return 2
    return 1 if code[:2] in OBSERVED_OUTSIDE_TABLE else 0


def check_category(code: str) -> list[Problem]:
    """Positions 1-2 against the 登记管理部门码/机构类别码 table."""
    code = compact(code)
    if len(code) < 2 or _category_level(code) == 2:
        return []
    return [Problem("uscc_category",
                    f"登记管理部门码/机构类别码“{code[:2]}”不在 GB 32100 代码表中")]


def check_area(code: str, expected_prefix: str | None = None) -> list[Problem]:
    """Positions 3-8: six digits, a known area code, the expected region."""
    code = compact(code)
    area = code[2:8]
    if len(area) != 6:
        return []
    if not area.isdigit():
        return [Problem("uscc_format", f"第3–8位（登记管理机关行政区划码）“{area}”应为6位数字")]
    problems = []
    if area_name(area) is None:
        problems.append(Problem("uscc_area", f"行政区划码“{area}”不在 GB/T 2260 代码表中（开发区等功能区代码除外）"))
    if expected_prefix and not area.startswith(expected_prefix):
        problems.append(Problem("uscc_area_region", f"行政区划码“{area}”不在预期地区（{expected_prefix}）内"))
    return problems


def check_pos17(code: str) -> list[Problem]:
    """Position 17 (the GB 11714 check character) is 0-9 or X."""
    code = compact(code)
    if len(code) < 17 or code[16] in _POS17:
        return []
    return [Problem("uscc_pos17", f"第17位“{code[16]}”应为数字或 X（组织机构代码校验位）")]


def _soft_problems(code: str, expected_prefix: str | None = None) -> list[Problem]:
    """Warnings that never make a verifying code invalid."""
    return (check_category(code) + check_area(code, expected_prefix)
            + check_pos17(code) + check_org_code(code))


def structure_problems(code: str, expected_area_prefix: str | None = None) -> list[Problem]:
    """All structure findings of a code, hard ones first."""
    code = compact(code)
    hard = check_length(code) + check_alphabet(code)
    if hard:
        return hard
    return check_check_char(code) + _soft_problems(code, expected_area_prefix)


# --------------------------------------------------------------------------
# repair candidates
# --------------------------------------------------------------------------


def _lookalikes() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for a, b in CONFUSABLE_PAIRS:
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in table.items()}


_LOOKALIKE = _lookalikes()


def _causes() -> dict[str, frozenset[str]]:
    """Read character -> true characters the hand table or the measured table explain it by."""
    measured = measured_confusions().causes()
    keys = set(_LOOKALIKE) | set(measured)
    return {k: _LOOKALIKE.get(k, frozenset()) | measured.get(k, frozenset()) for k in keys}


_CAUSES = _causes()


def _is_lookalike(read: str, true: str) -> bool:
    """The error model explains ``true`` printed and ``read`` read (hand pair or measured)."""
    return true in _CAUSES.get(read, ())


@lru_cache(maxsize=8192)
def confusion_rate(true: str, read: str) -> float:
    """P(``read`` | ``true`` printed), per printed character, from the measured table.

    A pair never measured keeps a small rate (HAND_PSEUDO_COUNT for the hand
    table's lookalikes, UNSEEN_PSEUDO_COUNT for anything else): a few thousand
    scans cannot show every misread, and no misread is impossible.
    """
    model = measured_confusions()
    trials = model.trials.get(true, 0) + 1
    count = model.subs.get((true, read), 0)
    if true in _LOOKALIKE.get(read, ()):
        count = max(count, HAND_PSEUDO_COUNT)
    return (count or UNSEEN_PSEUDO_COUNT) / trials


def _syndrome(code: str) -> int | None:
    """Weighted sum mod 31 over all 18 characters (0 = valid); None off the set."""
    try:
        return sum(_VALUE[c] * w for c, w in zip(code, _WEIGHTS, strict=True)) % 31
    except (KeyError, ValueError):
        return None


def _substitution_fixes(code: str) -> list[tuple[int, str]]:
    """(position, character) pairs whose single substitution passes the check."""
    if len(code) != 18:
        return []
    bad = [i for i, c in enumerate(code) if c not in _VALUE]
    if len(bad) > 1:
        return []
    values = [_VALUE.get(c, 0) for c in code]
    total = sum(v * w for v, w in zip(values, _WEIGHTS, strict=True))
    out = []
    for i in bad or range(18):
        # the value at i that makes the weighted sum vanish mod 31
        char = ALPHABET[(values[i] - total * _INVERSE[i]) % 31]
        if char != code[i]:
            out.append((i, char))
    return out


def single_substitutions(code: str) -> list[str]:
    """Every code one character away that passes the GB 32100 check.

    A failing code in the character set has exactly 18 (one per position,
    since every weight is invertible mod 31); a code with one character off
    the set has one (at that position); format rules are not applied here.
    """
    code = compact(code)
    return [code[:i] + c + code[i + 1:] for i, c in _substitution_fixes(code)]


def _transposition_fixes(code: str) -> list[int]:
    """Positions i where swapping i and i+1 makes the check pass."""
    syndrome = _syndrome(code)
    if syndrome is None or syndrome == 0:
        return []
    out = []
    for i in range(17):
        a, b = _VALUE[code[i]], _VALUE[code[i + 1]]
        if a != b and (syndrome + (b - a) * (_WEIGHTS[i] - _WEIGHTS[i + 1])) % 31 == 0:
            out.append(i)
    return out


def adjacent_transpositions(code: str) -> list[str]:
    """Every swap of two neighbouring characters that passes the check."""
    code = compact(code)
    return [code[:i] + code[i + 1] + code[i] + code[i + 2:] for i in _transposition_fixes(code)]


def _impossible_positions(code: str) -> list[int]:
    """Positions whose character can never be there (off the set, letter in 3-8)."""
    return [i for i, c in enumerate(code) if c not in _VALUE or (2 <= i < 8 and c not in _DIGITS)]


def _lookalike_folds(code: str, limit: int = 4096) -> list[str]:
    """Replace every impossible character by a lookalike legal there; keep passing codes."""
    positions = _impossible_positions(code)
    if not positions:
        return []
    options = []
    for i in positions:
        legal = _DIGITS if 2 <= i < 8 else _VALUE.keys()
        choices = sorted(c for c in _CAUSES.get(code[i], ()) if c in legal)
        if not choices:
            return []
        options.append(choices)
    if math.prod(len(o) for o in options) > limit:
        return []
    out = []
    for combo in product(*options):
        chars = list(code)
        for i, c in zip(positions, combo, strict=True):
            chars[i] = c
        candidate = "".join(chars)
        if _syndrome(candidate) == 0:
            out.append(candidate)
    return out


def _is_legal(code: str) -> bool:
    """Format rules a real code can never break: set, digits in 3-8."""
    return all(c in _VALUE for c in code) and code[2:8].isdigit()


@dataclass
class _Repair:
    """A candidate before ranking: what changed and which features it has."""

    code: str
    kind: str
    changes: list[tuple[int, str, str]]
    features: list[str] = field(default_factory=list)
    forced: bool = False
    score: float = 0.0
    #: passes every structure rule (category, area, organisation code, pos 17)
    structural: bool = False
    #: the single-error model explains it: lookalikes or a neighbour swap
    explained: bool = False
    #: backed by outside evidence (known_code / known_name_code)
    evidence: bool = False
    #: log P(misread | code) under the error model, and plus the code's log prior
    likelihood: float = -math.inf
    posterior: float = -math.inf

    @cached_property
    def reason(self) -> str:
        """Chinese description: what changed, and what speaks for or against it."""
        if self.kind == "length":
            what = "增删一位"
        elif self.kind == "transposition":
            i = self.changes[0][0]
            what = f"第{i + 1}、{i + 2}位互换"
        else:
            what = "；".join(f"第{i + 1}位 {a}→{b}" for i, a, b in self.changes)
            if self.kind == "confusable":
                what += "（形近）"
        notes = [_FEATURE_NOTES[f] for f in self.features if f in _FEATURE_NOTES]
        missing = [_MISSING_NOTES[f] for f in _MISSING_NOTES if f not in self.features]
        return "，".join([what, *notes, *missing])


#: Stands in _remaining()'s answer for "two or more characters misread": a
#: lone candidate that does not outweigh it stays open (never shown as a code).
_NONE = _Repair("", "none", [])

_FEATURE_NOTES = {"known_code": "与已知代码一致", "known_name_code": "与同名企业登记代码一致",
                  "page_alternative": "识别时该位的备选字符即为此字符"}
_MISSING_NOTES = {
    "org_check": "组织机构代码校验不符",
    "pos17": "第17位不合规",
    "area_province": "省级区划码不存在",
    "area_known": "区划码未知",
}
#: Notes that make a candidate doubtful: a person must choose it, never a default.
DOUBT_NOTES = tuple(_MISSING_NOTES.values())


def _changes(read: str, candidate: str) -> list[tuple[int, str, str]]:
    return [(i, a, b) for i, (a, b) in enumerate(zip(read, candidate, strict=True)) if a != b]


def _generate(code: str) -> list[_Repair]:
    """All legal single-error repairs plus lookalike folds of impossible characters."""
    found: dict[str, _Repair] = {}
    impossible = _impossible_positions(code)
    for candidate in _lookalike_folds(code):
        found[candidate] = _Repair(candidate, "confusable", _changes(code, candidate))
    for i, char in _substitution_fixes(code):
        candidate = code[:i] + char + code[i + 1:]
        legal_here = char in _DIGITS or not 2 <= i < 8
        if candidate in found or not legal_here or (impossible and impossible != [i]):
            continue
        kind = "confusable" if _is_lookalike(code[i], char) else "substitution"
        # an impossible character is a misread lookalike; any other value there
        # means a second error somewhere, so it is listed but never applied
        forced = bool(impossible) and kind != "confusable"
        found[candidate] = _Repair(candidate, kind, [(i, code[i], char)], forced=forced)
    for i in _transposition_fixes(code):
        candidate = code[:i] + code[i + 1] + code[i] + code[i + 2:]
        if candidate not in found and _is_legal(candidate):
            found[candidate] = _Repair(candidate, "transposition", [(i, code[i], code[i + 1])])
    return list(found.values())


def _body_shape_ok(body: str) -> bool:
    """All digits, or letter-initial: the shapes organisation codes are issued in."""
    return body.isdigit() or not body[:1].isdigit()


def _features(candidate: str, expected_prefix: str | None, known: frozenset[str],
              known_name: frozenset[str]) -> list[str]:
    """Structure and evidence features of a candidate (keys of SCORE_WEIGHTS)."""
    out = []
    level = _category_level(candidate)
    if level:
        out.append("category" if level == 2 else "category_observed")
    if candidate[:2] in COMMON_CATEGORIES:
        out.append("category_common")
    if _body_shape_ok(candidate[8:16]):
        out.append("body_shape")
    if calc_org_check_digit(candidate[8:16]) == candidate[16]:
        out.append("org_check")
    if candidate[16] in _POS17:
        out.append("pos17")
    if candidate[2:4] in _PROVINCES:
        out.append("area_province")
    if area_name(candidate[2:8]) is not None:
        out.append("area_known")
    elif zone_like_area(candidate[2:8]):
        out.append("area_zone")
    if expected_prefix and candidate[2:8].startswith(expected_prefix):
        out.append("area_prefix")
    if candidate in known:
        out.append("known_code")
    if candidate in known_name:
        out.append("known_name_code")
    return out


def _score(repair: _Repair, expected_prefix: str | None, known: frozenset[str],
           known_name: frozenset[str]) -> None:
    """Fill in features, score and plausibility of one candidate."""
    features = _features(repair.code, expected_prefix, known, known_name)
    if repair.kind in ("confusable", "transposition"):
        features.insert(0, repair.kind)
    repair.features = features
    repair.score = sum(SCORE_WEIGHTS[f] for f in features)
    repair.evidence = "known_code" in features or "known_name_code" in features
    repair.structural = ("org_check" in features and "pos17" in features
                         and ("category" in features or "category_observed" in features)
                         and ("area_known" in features or "area_zone" in features))
    repair.explained = repair.kind in ("confusable", "transposition") and not repair.forced
    if repair.kind != "length":
        repair.likelihood = _log_likelihood(repair)
        repair.posterior = _prior(repair) + repair.likelihood


def _log_likelihood(repair: _Repair) -> float:
    """log P(the misread | the candidate is the printed code) under the error model."""
    if repair.kind == "transposition":
        return math.log(TRANSPOSITION_RATE)
    return sum(math.log(confusion_rate(true, read)) for _, read, true in repair.changes)


#: Log-odds of the area features before any error is considered: 97.7 % of
#: real codes carry a GB/T 2260 division (ALGORITHM.md §6), 281 of the 299
#: real firms of a declaration set are registered in the expected region.
_AREA_PRIOR = {"area_known": math.log(97.7 / 2.3), "area_prefix": math.log(281 / 18),
               # all 569 codes of valid.txt and real_firms.csv have an all-digit or a
               # letter-initial organisation code (MA…, MJ…, X0…, L0…; ALGORITHM.md §5):
               # a digit-initial body with letters is taken as 100 times less likely
               "body_shape": math.log(100)}


def _prior(repair: _Repair) -> float:
    """Log-prior of a candidate code from how real codes are issued (no error model)."""
    category = math.log(CATEGORY_COUNTS.get(repair.code[:2], 0.5))
    return category + sum(w for f, w in _AREA_PRIOR.items() if f in repair.features)


def _remaining(ranked: list[_Repair]) -> list[_Repair]:
    """The candidates the evidence leaves standing; a repair needs exactly one.

    Outside evidence first: the code recorded for the same firm name, then a
    code seen elsewhere (index, registers). A known code one edit away that the
    error model does not explain stands beside the candidates it does explain,
    never over them.

    Without outside evidence, the candidates that pass every structure rule
    (check character, category table, area code, GB 11714, pos 17) and that
    the error model explains (lookalikes of the hand table or misreads of the
    measured one, a neighbour swap) remain, and with them a structurally valid
    rival the error model does not explain but that is likelier a priori (a
    more often issued category, the expected region, a GB/T 2260 division).
    Of the explained ones the best stands alone only if no such rival exists
    and its misread is REPAIR_MARGIN times likelier than the others' together
    and than two misreads (_outweighs). Otherwise all of them stay, with the
    _NONE marker when the best one was alone: staff choose.
    """
    supported = [r for r in ranked if r.structural and r.explained]
    by_name = [r for r in ranked if "known_name_code" in r.features]
    if by_name:
        return by_name
    known = [r for r in ranked if "known_code" in r.features]
    if known:
        unexplained = not all(r.explained for r in known)
        return known + [r for r in supported if unexplained and r not in known]
    if not supported:
        return []
    pool = sorted(supported, key=lambda r: (-r.posterior, r.code))
    best = pool[0]
    rivals = [r for r in ranked if r.structural and not r.explained and not r.forced
              and _prior(r) > _prior(best)]
    if not rivals and _outweighs(best, pool[1:]):
        return [best]
    return [*pool, *rivals, _NONE]


def _outweighs(best: _Repair, others: list[_Repair]) -> bool:
    """Whether ``best``'s misread is REPAIR_MARGIN times likelier than all the others' and NONE_RATE.

    Conservative on both sides: a rival counts with its higher prior (a more
    often issued category, the expected region), the best one without its own;
    NONE_RATE stands for the read having two or more errors (then a
    candidate that fits is a coincidence), unless every change replaces a
    character that cannot stand there (the format has shown each error).
    """
    best_prior = _prior(best)
    # characters that cannot stand where they are say themselves how many were misread
    flagged = all(c not in _VALUE or (2 <= i < 8 and c not in _DIGITS) for i, c, _ in best.changes)
    weight = (0.0 if flagged else NONE_RATE) + sum(math.exp(r.likelihood + max(0.0, _prior(r) - best_prior)) for r in others)
    return math.exp(best.likelihood) >= REPAIR_MARGIN * weight


def _rank(code: str, expected_prefix: str | None, known: frozenset[str],
          known_name: frozenset[str]) -> list[_Repair]:
    repairs = _generate(code)
    for repair in repairs:
        _score(repair, expected_prefix, known, known_name)
    return sorted(repairs, key=lambda r: (-r.score, r.code))


def _confidence(best: float, others: list[float]) -> float:
    """Softmax share of the best score against its rivals and NONE_SCORE."""
    total = sum(math.exp(s - best) for s in [*others, NONE_SCORE])
    return min(REPAIR_CONFIDENCE_CAP, round(1.0 / (1.0 + total), 3))


def _posterior_share(best: _Repair, ranked: list[_Repair]) -> float:
    """The repair's share of the posterior over every structurally valid candidate."""
    rivals = [r.posterior for r in ranked if r is not best and r.structural and not r.forced]
    share = 1.0 / (1.0 + sum(math.exp(p - best.posterior) for p in rivals))
    return min(REPAIR_CONFIDENCE_CAP, round(share, 3))


# --------------------------------------------------------------------------
# check(): the one entry point for extractors and the CLI
# --------------------------------------------------------------------------


@dataclass
class UsccResult:
    """What is known about one printed credit code.

    ``valid``: the printed code verifies after compact() (NFKC folding, spaces).
    ``uscc``: the code to use — the printed one when valid, the repair when a
    unique one exists, else None. ``fix``: how it was repaired.
    ``supported``: the candidates the evidence leaves standing (one when
    repaired, two or more when left open for review, none when nothing fits).
    """

    input: str
    compact: str
    valid: bool
    uscc: str | None = None
    fix: str | None = None
    candidates: list[tuple[str, float, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    confidence: float = 0.0
    supported: list[str] = field(default_factory=list)

    @property
    def unique_repair(self) -> str | None:
        """The one repair the evidence supports, or None (valid code, or not unique).

        The faces pre-select this and nothing else: a ranked list's first entry
        is not a repair when two or more candidates remain.
        """
        return self.uscc if not self.valid and self.uscc and self.uscc != self.compact else None

    def to_dict(self) -> dict[str, Any]:
        """The ``saidao uscc --json`` shape of the contract."""
        return {
            "input": self.input,
            "valid": self.valid,
            "uscc": self.uscc,
            "fix": self.fix,
            "candidates": [{"code": c, "score": s, "reason": r, "supported": c in self.supported}
                           for c, s, r in self.candidates],
            "problems": [{"code": c, "message": m} for c, m in self.problems],
        }


_EXCEL_SCI = re.compile(r"^([0-9])(?:\.([0-9]+))?E\+?([0-9]{1,2})$")
_PILOT = re.compile(r"^9135[0-9]{4}M000")


def _apply_glyphs(text: str) -> str:
    """Map form glyphs (〇 ○ × 乙 …) to code characters; 一 丨 | are 1 only if that makes 18."""
    text = "".join(GLYPHS.get(ch, ch) for ch in text)
    if any(ch in ONE_OR_DASH for ch in text):
        as_one = re.sub(f"[{ONE_OR_DASH}]", "1", text)
        text = as_one if len(compact(as_one)) == 18 else re.sub(f"[{ONE_OR_DASH}]", "", text)
    return text


def _excel_digits(code: str) -> str | None:
    """Surviving significant digits of a code Excel turned into a number, else None."""
    sci = _EXCEL_SCI.match(code)
    if sci and int(sci.group(3)) == 17:
        return (sci.group(1) + (sci.group(2) or "")).rstrip("0") or None
    if len(code) == 18 and code.isdigit() and code.endswith("000") and _syndrome(code) != 0:
        return code[:15]
    return None


def _width_folded(text: str) -> bool:
    return any(unicodedata.normalize("NFKC", ch) != ch for ch in text if not ch.isspace())


def _as_text(code: object) -> str:
    if code is None:
        return ""
    if isinstance(code, float) and code.is_integer():
        return repr(code)  # Excel numbers arrive as floats: 9.16201055811843e+17
    return str(code)


def check(code: object, *, known_codes: Iterable[str] | None = None,
          known_name_codes: Iterable[str] | None = None,
          expected_area_prefix: str | None = None,
          alternatives: Alternatives | None = None) -> UsccResult:
    """Verify a printed code and, when it fails, find its most plausible repair.

    ``known_codes``: codes seen elsewhere (index, registers); ``known_name_codes``:
    codes recorded for the same firm name; ``expected_area_prefix``: e.g. "15"
    when the context says the firm is registered in Inner Mongolia;
    ``alternatives``: for a code read by OCR, per character of ``code`` (spaces
    excluded), what else the recogniser saw there (:func:`_settled_by_page`) —
    ignored unless one per character.

    >>> read = '91152201Q50562917E'  # a 0 read as Q; 6→8 at the 13th passes the checks too
    >>> check(read).uscc is None
    True
    >>> alts = [{} for _ in read]
    >>> alts[8] = {'0': 0.05}  # the recogniser's second choice where it read Q
    >>> r = check(read, alternatives=alts)
    >>> r.uscc, r.fix
    ('91152201050562917E', 'confusable')
    """
    text = _as_text(code)
    known = frozenset(compact(c) for c in known_codes or ())
    known_name = frozenset(compact(c) for c in known_name_codes or ())
    result = UsccResult(input=text, compact=compact(text), valid=False)
    if not result.compact:
        result.problems.append(Problem("uscc_empty", "未填写统一社会信用代码"))
        return result
    if is_valid(result.compact):
        return _accept_valid(result, known_name, expected_area_prefix)
    digits = _excel_digits(result.compact)
    if digits is not None:
        return _report_excel(result, digits, known | known_name)
    glyphed = compact(_apply_glyphs(text))
    if glyphed != result.compact and is_valid(glyphed):
        if len(glyphed) == len(result.compact):
            return _accept_repair(result, glyphed, "confusable", REPAIR_CONFIDENCE_CAP)
        result.compact = glyphed  # only a dash-like glyph was dropped: the code is fine
        return _accept_valid(result, known_name, expected_area_prefix)
    result.problems.extend(check_length(glyphed) or check_alphabet(glyphed) or check_check_char(glyphed))
    if len(glyphed) == 18 and not any(p.code == "uscc_checksum" for p in result.problems):
        result.problems.extend(check_check_char(glyphed))  # a format fault usually breaks the check too
    if len(glyphed) == 18:
        _repair(result, glyphed, known, known_name, expected_area_prefix, _usable(alternatives, 18))
    elif len(glyphed) in (17, 19):
        options = _length_repairs(glyphed)
        trimmed = _without_stray_end(result.compact, glyphed, options)
        if trimmed is not None:
            return _accept_repair(result, trimmed, "length", REPAIR_CONFIDENCE_CAP)
        _list_length_repairs(result, glyphed, options, known, known_name, expected_area_prefix)
    return result


def _without_stray_end(read: str, glyphed: str, options: list[str]) -> str | None:
    """The code, when a 19-character read holds it whole and one character more at either
    end that can be no code character (a speck or the cell's rule read as 口), and dropping
    that character is the only way to a legal, passing code (``options``: every such way,
    :func:`_length_repairs`); else None.

    Unlike a character dropped or doubled inside the code, nothing shifts: the 18
    characters kept are the ones read, in their places. A second misread would
    have to pass the check character by chance as well (1 in 31).

    >>> read = '91150121MA0MW10N2P0'
    >>> _without_stray_end('91150121MA0MW10N2P口', read, _length_repairs(read))
    '91150121MA0MW10N2P'
    >>> _without_stray_end(read, read, _length_repairs(read)) is None  # a 0 may be the code's
    True
    """
    if len(read) != 19 or len(glyphed) != 19 or len(options) != 1:
        return None
    for end, rest in ((read[0], glyphed[1:]), (read[-1], glyphed[:-1])):
        if rest == options[0] and end not in ALPHABET and unicodedata.category(end) == "Lo":
            return rest
    return None


def _accept_valid(result: UsccResult, known_name: frozenset[str],
                  expected_prefix: str | None) -> UsccResult:
    """A verifying code: keep it, note warnings and disagreement with outside evidence."""
    result.valid = True
    result.uscc = result.compact
    result.fix = "width" if _width_folded(result.input) else None
    result.problems.extend(_soft_problems(result.compact, expected_prefix))
    if known_name and result.compact not in known_name:
        listed = "、".join(sorted(known_name))
        result.problems.append(Problem("uscc_name_mismatch", f"与同名企业登记的代码不一致：{listed}"))
    result.confidence = WARNED_CONFIDENCE if result.problems else VALID_CONFIDENCE
    return result


def _accept_repair(result: UsccResult, code: str, fix: str, confidence: float) -> UsccResult:
    result.uscc, result.fix, result.confidence = code, fix, confidence
    result.supported = [code]
    result.problems.append(Problem("uscc_corrected",
                                   f"统一社会信用代码“{result.compact}”有误，已按{_KIND_ZH[fix]}更正为 {code}"))
    return result


def _report_excel(result: UsccResult, digits: str, known: frozenset[str]) -> UsccResult:
    """Excel damage cannot be repaired from the code; outside evidence is only listed."""
    result.problems.append(Problem(
        "uscc_excel",
        f"代码疑似被 Excel 当作数字处理（仅保留15位有效数字“{digits}”），末尾几位已丢失，请按原件核对"))
    matches = sorted(c for c in known if c.startswith(digits) and is_valid(c))
    result.candidates = [(c, SCORE_WEIGHTS["known_code"], "与已知代码的有效数字一致") for c in matches]
    return result


def _repair(result: UsccResult, code: str, known: frozenset[str], known_name: frozenset[str],
            expected_prefix: str | None, alternatives: Alternatives | None = None) -> None:
    """Rank the repairs; apply one only when it is the only candidate left standing (_remaining),
    or the one the page's own evidence picks out of those standing (_settled_by_page)."""
    ranked = _rank(code, expected_prefix, known, known_name)
    remaining = [] if _PILOT.match(code) else _remaining(ranked)
    settled = _settled_by_page(remaining, alternatives) if len(remaining) > 1 else None
    if settled is not None:
        best, share = settled
        best.features.append("page_alternative")
        vars(best).pop("reason", None)  # cached before the note
        ordered = [best, *[r for r in ranked if r is not best]]
        result.candidates = [(r.code, r.score, r.reason) for r in ordered[:10]]
        _accept_repair(result, best.code, best.kind, min(REPAIR_CONFIDENCE_CAP, share))
        return
    lone = len(remaining) == 2 and remaining[1] is _NONE  # one candidate, not sure enough
    remaining = [r for r in remaining if r is not _NONE]
    ordered = remaining + [r for r in ranked if r not in remaining]
    result.candidates = [(r.code, r.score, r.reason) for r in ordered[:max(10, len(remaining))]]
    result.supported = [r.code for r in remaining]
    if _PILOT.match(code):
        result.problems.append(Problem(
            "uscc_pilot", "校验位不符，可能是2015年福建试点期发放的代码（不自动更正），请核对营业执照"))
        return
    if not ranked:
        result.problems.append(Problem("uscc_unrepairable", "找不到只改一个字符即可通过校验的代码，请按原件核对"))
        return
    if len(remaining) == 1 and not lone:
        best = remaining[0]
        if best.evidence:
            rest = [r.score for r in ranked if r is not best]
            confidence = _confidence(best.score, rest)
        else:
            confidence = _posterior_share(best, ranked)
        _accept_repair(result, best.code, best.kind, confidence)
        return
    result.problems.append(Problem("uscc_ambiguous", _open_message(remaining, ranked, lone)))


#: Per character of a read code, the other characters the recogniser saw there and how
#: probable it found them (``Provenance.char_alternatives``).
Alternatives = list[dict[str, float]]


def _settled_by_page(standing: list[_Repair], alternatives: Alternatives | None,
                     ) -> tuple[_Repair, float] | None:
    """The one standing candidate the recogniser itself saw, and its share of the page evidence.

    A candidate's page support is the product, over its changed characters, of the
    probability the recogniser gave the candidate's character there; its bound is at
    most how probable it could have been (a character not noted counts as the smallest
    noted at that place, or CHAR_ALTERNATIVE_FLOOR; a lower-case twin noted counts for
    the capital in the bound, never in the support: an ``l`` beside a 1 is no evidence
    for L). The best is taken only if it passes every structure rule, is a substitution
    the format allows there (never a swap or a forced change), is PAGE_FLOOR probable,
    PAGE_MARGIN times any rival's bound, and at each changed place the recogniser's
    likeliest other code character: a stronger one there (the true character of a code
    misread twice, which no single change can restore) leaves it open. Outside evidence
    (a code in the index or for the same firm name) is never overruled by the page.
    """
    if not alternatives:
        return None
    candidates = [r for r in standing if r is not _NONE]
    if any(r.evidence for r in candidates):
        return None
    support = {r.code: _page_support(r, alternatives) for r in candidates}
    best = max(candidates, key=lambda r: (support[r.code], r.code))
    p = support[best.code]
    if p < PAGE_FLOOR or not best.structural or best.forced or best.kind == "transposition":
        return None
    if not all(_first_alternative(alternatives[i]) == true for i, _, true in best.changes):
        return None
    rivals = [_page_bound(r, alternatives) for r in candidates if r is not best]
    if any(b * PAGE_MARGIN > p for b in rivals):
        return None
    return best, round(p / (p + sum(rivals)), 3)


def _first_alternative(noted: dict[str, float]) -> str | None:
    """The code character the recogniser found likeliest after the one it read (case as read)."""
    legal = [(p, c) for c, p in noted.items() if c in _VALUE]
    return max(legal)[1] if legal else None


def _page_support(repair: _Repair, alternatives: Alternatives) -> float:
    """The recogniser's probability of the candidate's characters where it changes the read."""
    if repair.kind == "transposition" or any(i >= len(alternatives) for i, _, _ in repair.changes):
        return 0.0
    return math.prod(alternatives[i].get(true, 0.0) for i, _, true in repair.changes)


def _page_bound(repair: _Repair, alternatives: Alternatives) -> float:
    """At most how probable the recogniser could have found the candidate's characters."""
    if repair.kind == "transposition" or any(i >= len(alternatives) for i, _, _ in repair.changes):
        return 1.0
    bound = 1.0
    for i, _, true in repair.changes:
        noted = alternatives[i]
        unnoted = min(noted.values(), default=CHAR_ALTERNATIVE_FLOOR)
        bound *= max(noted.get(true, unnoted), noted.get(true.lower(), 0.0))
    return bound


def _usable(alternatives: object, length: int) -> Alternatives | None:
    """``alternatives`` when it is one dict of probabilities (0–1) per character, else None."""
    if not isinstance(alternatives, list | tuple) or len(alternatives) != length:
        return None
    for noted in alternatives:
        if not isinstance(noted, dict) or not all(
                isinstance(c, str) and isinstance(p, int | float) and 0.0 <= p <= 1.0
                for c, p in noted.items()):
            return None
    return list(alternatives)


def _open_message(remaining: list[_Repair], ranked: list[_Repair], lone: bool = False) -> str:
    """Why a code stays open, with every candidate still standing (or the best guesses)."""
    if lone:
        r = remaining[0]
        return (f"统一社会信用代码校验位错误，唯一符合代码结构的候选 {r.code}（{r.reason}）所需的误认少见，"
                "也可能不止一处误认，未自动更正，请对照原件核对")
    if remaining:
        shown = "；".join(f"{r.code}（{r.reason}）" for r in remaining)
        return (f"统一社会信用代码校验位错误，有{len(remaining)}个候选同样有据，未自动更正，"
                f"请对照原件选择：{shown}")
    fallback = [r for r in ranked if r.structural][:5]
    shown = "；".join(f"{r.code}（{r.reason}）" for r in fallback) or "无符合代码结构的候选"
    return ("统一社会信用代码校验位错误，没有既符合代码结构又可由常见误认解释的候选，未自动更正，"
            f"请按原件核对。结构上可能的代码：{shown}")


def _length_repairs(code: str) -> list[str]:
    """Legal passing codes one inserted (17 chars) or deleted (19 chars) character away."""
    if len(code) == 19:
        options = {code[:i] + code[i + 1:] for i in range(19)}
    else:
        options = {code[:i] + c + code[i:] for i in range(18) for c in ALPHABET}
    return sorted(c for c in options if _is_legal(c) and _syndrome(c) == 0)


def _list_length_repairs(result: UsccResult, code: str, options: list[str], known: frozenset[str],
                         known_name: frozenset[str], expected_prefix: str | None) -> None:
    """A dropped or doubled character: list the structurally best of ``options``
    (:func:`_length_repairs` of ``code``), apply none.

    (A length repair changes every later position, so the lookalike model
    does not apply; staff decide.)
    """
    repairs = []
    for candidate in options:
        repair = _Repair(candidate, "length", [])
        _score(repair, expected_prefix, known, known_name)
        repairs.append(repair)
    repairs.sort(key=lambda r: (-r.score, r.code))
    result.candidates = [(r.code, r.score, r.reason) for r in repairs[:10]]
    shown = "、".join(r.code for r in repairs[:5] if r.structural or r.evidence)
    if shown:
        what = "多一位" if len(code) == 19 else "少一位"
        result.problems.append(Problem("uscc_length_candidates", f"代码疑似{what}，候选：{shown}"))


def check_many(codes: Iterable[object], **kwargs: Any) -> list[dict[str, Any]]:
    """check() every code; the ``saidao uscc --json`` list of the contract."""
    return [check(code, **kwargs).to_dict() for code in codes]

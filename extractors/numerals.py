"""Chinese numerals and dates as Python values.

Policy texts write numbers three ways: with units (一百二十三, 两千), digit by
digit (二〇二六年) and in Arabic digits, sometimes full-width (２０２６). cn2an
does the unit arithmetic; around it we reject what it would otherwise return
(floats from 点, negatives from 负, errors for bare units) and accept the
digit-by-digit form explicitly, since years are written that way.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from saidao.extractors.text_width import fold_width

_DIGITS = "〇一二三四五六七八九零"
_DIGIT_VALUE = {ch: i for i, ch in enumerate(_DIGITS[:10])} | {"零": 0, "两": 2}
_UNITS = "十百千万亿"
_CAPITAL = "壹贰叁肆伍陆柒捌玖拾佰仟"
_NUMERAL_CHARS = _DIGITS + "两" + _UNITS + _CAPITAL
_NUMERAL_RUN = re.compile(f"[{_NUMERAL_CHARS}]+")


class CnNumeral(NamedTuple):
    """A numeral found in text: its spelling, value and span."""

    text: str
    value: int
    start: int
    end: int


def _digit_by_digit(text: str) -> int | None:
    """``二〇二六`` → 2026; None unless every character is a plain digit."""
    if len(text) < 2 or any(ch not in _DIGIT_VALUE for ch in text):
        return None
    value = 0
    for ch in text:
        value = value * 10 + _DIGIT_VALUE[ch]
    return value


def cn_to_int(text: str) -> int | None:
    """A Chinese (or Arabic) numeral as an int, or None if it is not one.

    >>> [cn_to_int(s) for s in ["一百二十三", "二〇二六", "十五", "两千", "〇", "零", "２０２６", "一万零一"]]
    [123, 2026, 15, 2000, 0, 0, 2026, 10001]
    >>> [cn_to_int(s) for s in ["", "百", "五点五", "负五", "统一"]]
    [None, None, None, None, None]
    """
    text = fold_width(text).strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    digits = _digit_by_digit(text)
    if digits is not None:
        return digits
    if any(ch not in _NUMERAL_CHARS for ch in text):
        return None  # cn2an would accept 3万, 负五, 五点五: not integers we want
    import cn2an  # ~0.1 s of regex compiling at import: paid only when a numeral needs it

    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return int(value)


def cn_numerals_in(text: str) -> list[CnNumeral]:
    """Every run of Chinese numeral characters in ``text`` with its value.

    Runs are taken greedily and literally, so 一批 yields 1: callers decide
    which ones matter (usually those followed by 年, 家, 个, 条…).

    >>> [(n.text, n.value) for n in cn_numerals_in("二〇二六年四月二十日，新增两千家")]
    [('二〇二六', 2026), ('四', 4), ('二十', 20), ('两千', 2000)]
    """
    found = []
    for match in _NUMERAL_RUN.finditer(text):
        value = cn_to_int(match.group())
        if value is not None:
            found.append(CnNumeral(match.group(), value, match.start(), match.end()))
    return found


_NUM = f"[0-9{_NUMERAL_CHARS}]{{1,4}}"
_CN_DATE = re.compile(
    rf"(?<![0-9])(?P<y>[0-9]{{4}}|[{_DIGITS}]{{4}})\s*年\s*(?P<m>{_NUM})\s*月"
    rf"(?:\s*(?P<d>{_NUM})\s*[日号])?"
)
_NUMERIC_DATE = re.compile(
    r"(?<![0-9.])(?P<y>[0-9]{4})(?P<sep>[./-])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![0-9])"
)


def _make_date(year: str, month: str, day: str) -> dt.date | None:
    values = [cn_to_int(part) for part in (year, month, day)]
    if any(v is None for v in values):
        return None
    try:
        return dt.date(*values)  # type: ignore[arg-type]
    except ValueError:
        return None


def parse_cn_date(text: str) -> dt.date | None:
    """The first complete date (year, month and day) in ``text``, else None.

    A year and month without a day (``2026年4月``) is *not* a date here:
    returning the 1st would invent a deadline. Use :func:`parse_cn_month`.

    >>> [parse_cn_date(s) for s in ["2026年4月20日", "２０２６年４月２０日", "二〇二六年四月二十日"]]
    [datetime.date(2026, 4, 20), datetime.date(2026, 4, 20), datetime.date(2026, 4, 20)]
    >>> [parse_cn_date(s) for s in ["2026.4.20", "2026-04-20", "2026/4/20", "2021 年 10 月 28 日印发"]]
    [datetime.date(2026, 4, 20), datetime.date(2026, 4, 20), datetime.date(2026, 4, 20), datetime.date(2021, 10, 28)]
    >>> [parse_cn_date(s) for s in ["2026年4月", "2026年2月30日", "版本1.2026.4.20", ""]]
    [None, None, None, None]
    """
    text = fold_width(text)
    found: list[tuple[int, dt.date | None]] = []
    for match in _CN_DATE.finditer(text):
        if match.group("d"):
            found.append((match.start(), _make_date(match["y"], match["m"], match["d"])))
            break
    match = _NUMERIC_DATE.search(text)
    if match:
        found.append((match.start(), _make_date(match["y"], match["m"], match["d"])))
    found.sort(key=lambda item: item[0])
    return found[0][1] if found else None


def parse_cn_month(text: str) -> tuple[int, int] | None:
    """The first ``YYYY年M月`` in ``text`` as (year, month), day or not.

    >>> parse_cn_month("2026年4月"), parse_cn_month("二〇二六年十二月三日"), parse_cn_month("2026年13月")
    ((2026, 4), (2026, 12), None)
    """
    match = _CN_DATE.search(fold_width(text))
    if not match:
        return None
    year, month = cn_to_int(match["y"]), cn_to_int(match["m"])
    if year is None or month is None or not 1 <= month <= 12:
        return None
    return year, month

"""When a policy applies: its start, its end, and what it repeals.

Policies state their own period in a few set phrases, usually in the last
clause or the covering notice:

* start — ``自发布之日起施行`` (the 发布日期; the date when no page says it),
  ``自印发之日起施行`` (the 印发 line's date, else the date), ``自2024年5月1日起施行``;
* length — ``有效期三年``, ``暂定三年有效期``, ``有效期为5年``: the day before the
  same date that many years later;
* end — ``有效期至2027年12月31日``, ``执行至…``, ``有效期截至…``;
* repeals — ``《…》（X政发〔2019〕5号）同时废止``, ``原《…》同时废止``, and the
  general ``此前出台的…与本…不一致的，以本…为准`` (kept as a note: it names
  nothing the index can match);
* a portal's 有效性 / 时效性 field (有效, 失效, 废止) and 废止日期.

``repealed_by`` is not known from one document: the index fills it when a
later policy's ``repeals`` names this one (``saidao.index.validity``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from saidao.extractors.numerals import cn_to_int
from saidao.extractors.policy_meta import find_doc_numbers, parse_date
from saidao.extractors.portal import InfoBlock

_DAY = r"(?:\d{4}|[〇零一二三四五六七八九○]{4})\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月\s*[\d一二三四五六七八九十]{1,3}\s*日"
_START_ON = re.compile(rf"自\s*(?P<day>{_DAY})\s*起\s*(?:施行|实施|执行|生效)")
_START_EVENT = re.compile(r"自\s*(?P<event>发布|印发|公布|颁布|下发|发文)\s*之日起\s*(?:施行|实施|执行|生效)")
_YEARS = r"([\d一二三四五六七八九十两]{1,3})\s*年"
_LENGTH = re.compile(rf"有效期\s*(?:为|暂定为?|暂定)?\s*{_YEARS}|暂定\s*{_YEARS}\s*有效期|{_YEARS}\s*有效期")
_UNTIL = re.compile(rf"(?:有效期|执行期|实施期)?\s*(?:至|截至|截止到?|到)\s*(?P<day>{_DAY})\s*(?:止|为止)?")
_UNTIL_STRICT = re.compile(rf"(?:有效期|执行期|实施期|执行|施行|实施)\s*(?:至|截至|截止到?|到)\s*(?P<day>{_DAY})")
#: 有效期为2024年1月1日至2026年12月31日 / 自2024年1月1日起至2026年12月31日止
_RANGE = re.compile(rf"(?:有效期|执行期|实施期)?\s*(?:为|：|:|自)?\s*(?P<a>{_DAY})\s*(?:起)?\s*(?:至|到|—|－|-|～|~)\s*"
                    rf"(?P<b>{_DAY})")
_REPEAL = re.compile(r"(?P<what>[^。；]*?)同时\s*(?:废止|停止执行|失效)")
_CITED = re.compile(r"《(?P<t>[^《》]{2,80})》")
_GENERAL = re.compile(r"(?:此前|以前|之前)[^。；]*?(?:与本|同本)[^。；]*?不一致的[^。；]*?以本[^。；]*?为准"
                      r"|(?:此前|以前|之前)[^。；]*?同时\s*废止")


@dataclass(slots=True)
class Validity:
    """A policy's in-force period as its text and page state it."""

    valid_from: str | None = None
    valid_until: str | None = None
    status: str = "unknown"  # in_force | expired | repealed | unknown (as the page says)
    basis: list[str] = field(default_factory=list)  # the phrases read, as written
    repeals: list[dict[str, str | None]] = field(default_factory=list)  # {title, doc_number}
    repeals_general: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.valid_from, "until": self.valid_until, "repealed_by": None,
                "status": self.status, "basis": list(self.basis),
                "repeals": [dict(r) for r in self.repeals],
                "repeals_general": list(self.repeals_general)}


def add_years(day: str, years: int) -> str | None:
    """The last day of a period of ``years`` years starting on ``day`` (ISO dates)."""
    if not 0 < years < 100:
        return None
    start = dt.date.fromisoformat(day)
    try:
        same = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        same = start.replace(year=start.year + years, day=28) + dt.timedelta(days=1)
    return (same - dt.timedelta(days=1)).isoformat()


def _sentences(texts: Sequence[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        out.extend(s for s in re.split(r"(?<=[。；;])", text) if s.strip())
    return out


def read_validity(texts: Sequence[str], *, date: str | None, date_issued: str | None = None,
                  date_published: str | None = None, info: InfoBlock | None = None) -> Validity:
    """The validity of a policy from its paragraphs (body and notice) and the page's block."""
    v = Validity()
    events = {"发布": date_published or date_issued or date, "公布": date_published or date,
              "印发": date_issued or date, "颁布": date_published or date,
              "下发": date_issued or date, "发文": date}
    years: int | None = None
    for sentence in _sentences(texts):
        compact = re.sub(r"\s+", "", sentence)
        if v.valid_from is None and (m := _RANGE.search(compact)) and _about_validity(compact):
            v.valid_from, v.valid_until = parse_date(m["a"]), parse_date(m["b"])
            v.basis.append(m.group(0))
        if v.valid_from is None and (m := _START_ON.search(compact)):
            v.valid_from = parse_date(m["day"])
            v.basis.append(m.group(0))
        elif v.valid_from is None and (m := _START_EVENT.search(compact)):
            v.valid_from = events.get(m["event"]) or date
            v.basis.append(m.group(0))
        if years is None and (m := _LENGTH.search(compact)) and _about_policy(compact):
            n = next(g for g in (m.group(1), m.group(2), m.group(3)) if g)
            years = cn_to_int(n)
            v.basis.append(m.group(0))
        if v.valid_until is None and (m := _UNTIL_STRICT.search(compact)):
            v.valid_until = parse_date(m["day"])
            v.basis.append(m.group(0))
        _read_repeals(compact, v)
    if v.valid_from is None and (years or v.valid_until):
        v.valid_from = date
    if v.valid_until is None and years and v.valid_from:
        v.valid_until = add_years(v.valid_from, years)
    _read_info(info, v)
    if v.status == "unknown" and v.valid_from:
        v.status = "in_force"
    return v


_OWN = re.compile(r"本\s*[\u4e00-\u9fff]{0,8}?(?:办法|意见|措施|政策|通知|方案|规定|细则|决定|规则|条例|计划|文件|规划)"
                  r"|自.{0,20}起\s*(?:施行|实施|执行|生效)")


def _about_policy(sentence: str) -> bool:
    """``有效期三年`` is the policy's only where the policy is the subject (本办法…, 自…起施行);
    ``创新券有效期一年`` is about a voucher."""
    return bool(_OWN.search(sentence)) or sentence.startswith(("有效期", "暂定"))


def _about_validity(sentence: str) -> bool:
    """A date range counts as the policy's period only in a sentence about its validity."""
    return bool(re.search(r"有效期|施行|实施|执行|生效", sentence))


def _read_repeals(sentence: str, v: Validity) -> None:
    if g := _GENERAL.search(sentence):
        v.repeals_general.append(g.group(0))
        v.basis.append(g.group(0))
        return
    m = _REPEAL.search(sentence)
    if not m:
        return
    what = m["what"]
    titles = [t["t"] for t in _CITED.finditer(what)]
    numbers = find_doc_numbers(what)
    if not titles and not numbers:
        return
    v.basis.append(m.group(0))
    for i in range(max(len(titles), len(numbers))):
        v.repeals.append({"title": titles[i] if i < len(titles) else None,
                          "doc_number": numbers[i] if i < len(numbers) else None})


def _read_info(info: InfoBlock | None, v: Validity) -> None:
    """有效性 / 废止日期 of the 信息公开 block."""
    if info is None:
        return
    if (until := info.get("effective_until")) and (day := parse_date(until)):
        v.valid_until = day  # the portal's 废止日期 is the later, recorded word
        v.basis.append(f"废止日期：{until}")
    if (start := info.get("effective_from")) and (day := parse_date(start)):
        v.valid_from = v.valid_from or day
    state = info.get("validity")
    if not state:
        return
    v.basis.append(f"有效性：{state}")
    if "废止" in state:
        v.status = "repealed"
    elif "失效" in state or "过期" in state:
        v.status = "expired"
    elif "有效" in state or "现行" in state:
        v.status = "in_force"

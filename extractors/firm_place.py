"""Place names inside OCR'd firm names, restored from the administrative-division table.

A Chinese firm name is built as 行政区划 + 字号 + 行业 + 组织形式 (企业名称登记管理规定);
a branch repeats the pattern after its parent's name (中国邮政集团公司 +
内蒙古自治区 + 磴口县 + 补隆淖代办所). The place names come from a closed list,
GB/T 2260 (``corpus/divisions.csv``), and rare glyphs in them are what OCR gets
wrong: 磴口县 read as 口县 (磴 dropped) or 砼口县, 莫力达瓦达斡尔族自治旗 as
…达翰尔族… . :func:`restore_places` puts such a name back when the reading is
one glyph away from exactly one division that can stand there.

Decisions:

* Only where a division name can start: at the start of the name, or right
  after a division name read exactly (内蒙古自治区 › ?). A place name in the
  middle of a 字号 is not looked for.
* One glyph: one character read as another (same length), or one dropped.
  Division names of three characters or more only; a two-character reading
  (口县 for 磴口县) only right after a division read exactly, since at the
  start of a name it is too easily a 字号 of its own.
* Unique: after an exact division name, among the divisions under it; at the
  start of a name, among the divisions of the preferred province (the forms
  are Inner Mongolia's, as ``divisions.find_in`` assumes). Two candidates, or a
  reading that is itself a division name anywhere, leave the name as read.
* The reading is never lost: the caller keeps it (``name_printed``) and the
  restoration (``name_fix``) with its reason in Chinese for staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from saidao.corpus import divisions
from saidao.corpus.divisions import Division
from saidao.extractors.ocr_values import one_glyph_off

__all__ = ["PlaceFix", "latin_lookalikes", "restore_places"]

#: Last characters of a division name (县, 旗, 市, 区, 盟 …).
_ENDINGS = frozenset("县旗市区盟州")


@dataclass(frozen=True)
class PlaceFix:
    """One place name put back: what was read, what it stands for, and why."""

    printed: str
    restored: str
    code: str
    why: str


@cache
def _current() -> tuple[Division, ...]:
    return tuple(d for d in divisions.all_divisions(current_only=True) if len(d.name) >= 3)


@cache
def _known_names() -> frozenset[str]:
    return frozenset(d.name for d in divisions.all_divisions(current_only=False))


def _under(division: Division, parent: Division | None, province: str) -> bool:
    if parent is None:
        return division.code.startswith(province)
    if division.code == parent.code:
        return False
    if parent.level == "province":
        return division.code[:2] == parent.code[:2]
    if parent.level == "city":
        return division.code[:4] == parent.code[:4] and division.level == "county"
    return False


@cache
def _by_first_char() -> dict[str, tuple[Division, ...]]:
    """Divisions (three characters or more, historic names too) by first character, longest first."""
    index: dict[str, list[Division]] = {}
    for d in divisions.all_divisions(current_only=False):
        if len(d.name) >= 3:
            index.setdefault(d.name[0], []).append(d)
    return {k: tuple(sorted(v, key=lambda d: (-len(d.name), not d.current))) for k, v in index.items()}


def _exact_at(text: str, pos: int) -> Division | None:
    """The longest division name (three characters or more) read exactly at ``pos``."""
    if pos >= len(text):
        return None
    return next((d for d in _by_first_char().get(text[pos], ()) if text.startswith(d.name, pos)), None)


def _candidate(text: str, pos: int, parent: Division | None, province: str) -> tuple[str, Division] | None:
    """(reading, division) when exactly one division under ``parent`` is one glyph from the
    text at ``pos`` (the reading ends with a division ending); None otherwise."""
    hits: dict[str, tuple[str, Division]] = {}
    shortest = 2 if parent is not None else 3  # 口县 only under a place read exactly
    for d in _current():
        if not _under(d, parent, province):
            continue
        for length in (len(d.name), len(d.name) - 1):
            read = text[pos:pos + length]
            if len(read) == length >= shortest and read[-1] in _ENDINGS and read not in _known_names() \
                    and pos + length < len(text) and one_glyph_off(read, d.name):
                hits.setdefault(d.name, (read, d))
    if len(hits) != 1:
        return None
    return next(iter(hits.values()))


def restore_places(name: str, province: str = "15") -> tuple[str, list[PlaceFix]]:
    """``name`` with its place names restored where unique, and the fixes made.

    >>> restore_places("中国邮政集团公司内蒙古自治区口县补隆淖代办所")[0]
    '中国邮政集团公司内蒙古自治区磴口县补隆淖代办所'
    >>> restore_places("砼口县富华农机服务农民专业合作社")[0]
    '磴口县富华农机服务农民专业合作社'
    >>> restore_places("内蒙古自治区莫力达瓦达翰尔族自治旗宝山邮政所")[0]
    '内蒙古自治区莫力达瓦达斡尔族自治旗宝山邮政所'
    >>> [restore_places(n)[1] for n in ("磴口县富华农机服务农民专业合作社", "包头市九原区东园供销社", "宏远县城建材有限公司")]
    [[], [], []]
    """
    fixes: list[PlaceFix] = []
    starts: list[tuple[int, Division | None]] = [(0, None)]
    pos = 0
    while pos < len(name):  # every exact division name opens a place for the next level
        exact = _exact_at(name, pos)
        if exact is not None:
            starts.append((pos + len(exact.name), exact))
            pos += len(exact.name)
        else:
            pos += 1
    out = name
    shift = 0
    for start, parent in starts:
        at = start + shift
        if _exact_at(out, at) is not None:
            continue
        found = _candidate(out, at, parent, province)
        if found is None:
            continue
        read, division = found
        out = out[:at] + division.name + out[at + len(read):]
        shift += len(division.name) - len(read)
        context = f"“{parent.name}”之下" if parent else "名称开头"
        fixes.append(PlaceFix(read, division.name, division.code,
                              f"{context}的地名“{read}”与行政区划“{division.name}”（{division.code}）"
                              f"仅差一字且唯一，按《行政区划代码》(GB/T 2260)补正"))
    return out, fixes


#: A digit OCR put inside a Latin word: letters on its left (three or more) and a
#: letter or the word's end on its right (Stee1 → Steel, C0rp → Corp).
_DIGIT_IN_WORD = re.compile(r"(?<=[A-Za-z]{3})[10](?=[a-z]|\b)|(?<=[A-Za-z])[10](?=[a-z]{2})")


def latin_lookalikes(name: str) -> tuple[str, str | None]:
    """An English firm name with the digits OCR read for l and o inside its words put back.

    >>> latin_lookalikes("Baoshan Iron and Stee1 Co.,Ltd.")
    ('Baoshan Iron and Steel Co.,Ltd.', '英文名称单词内的数字按形近字母更正：Stee1→Steel')
    >>> latin_lookalikes("A1 Technology 2000 Co., Ltd."), latin_lookalikes("内蒙古3D打印有限公司")
    (('A1 Technology 2000 Co., Ltd.', None), ('内蒙古3D打印有限公司', None))
    """
    fixed = _DIGIT_IN_WORD.sub(lambda m: "l" if m.group() == "1" else "o", name)
    if fixed == name:
        return name, None
    words = [(a, b) for a, b in zip(name.split(), fixed.split(), strict=False) if a != b]
    return fixed, "英文名称单词内的数字按形近字母更正：" + "，".join(f"{a}→{b}" for a, b in words)

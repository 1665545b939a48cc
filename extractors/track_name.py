"""Track names (新赛道名称) resolved against the official classifications.

The naming rules (附件1 of 内科高字〔2026〕11号) ask for a direction's class
path plus the track in 【】::

    17 纺织业+【智能织物】                                  GB/T 4754-2017
    2 高端装备制造产业/2.1 智能制造装备产业/2.1.1 机器人与增材设备制造+【人形机器人】
    未来能源+【核能】                                        工信部联科〔2024〕12号

Real names bend the rules (half-width brackets, no ``+``, spaces, full-width
digits, traditional characters, missing codes, names typed from memory). The
parser splits off the label, reads each path segment as ``code? name?``,
resolves the segments in every scheme and keeps the best reading; what it
could not verify goes to ``problems`` with the nearest ``candidates``.

Scheme choice: SEI 2018 and ISEI 2023 share most top-level codes and names.
A scheme the text names (``2023``, ``工业战略性…``) wins; otherwise, when both
read the path equally well, SEI 2018 wins because it is the general catalogue
the rules cite first (and covers services, which ISEI omits); the ISEI reading
is kept in ``candidates``. Where the two differ (2023 renumbered 2.2, 8, 9 …)
the printed names decide.

Directions come from the scheme; the box ticked on the form wins for
``direction``, and a disagreement is reported, never silently overridden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from saidao.corpus.classifications import ClassificationTable, Entry, Scheme, load, normalise_name
from saidao.corpus.lexicon import industries
from saidao.extractors.normalize import fold_width, to_simplified

TRADITIONAL = "传统产业转型升级"
EMERGING = "新兴产业延伸"
FUTURE = "未来产业验证熟化"
DIRECTIONS = (TRADITIONAL, EMERGING, FUTURE)
DIRECTION_OF = {
    Scheme.GBT_4754_2017: TRADITIONAL,
    Scheme.SEI_2018: EMERGING,
    Scheme.ISEI_2023: EMERGING,
    Scheme.FUTURE_2024: FUTURE,
}
# Ways forms and people write the three directions (seed 000 itself uses two wordings).
_DIRECTION_WORDS = (
    (re.compile(r"传统产业(?:转型升级|升级衍生|升级)?"), TRADITIONAL),
    (re.compile(r"新兴产业(?:延伸)?"), EMERGING),
    (re.compile(r"未来产业(?:验证熟化|前瞻布局)?"), FUTURE),
)
_SCHEME_HINTS = (
    (
        re.compile(r"工业战略性新兴产业分类(?:目录)?(?:[(（]2023版?[)）])?|[(（]?2023版?[)）]?"),
        Scheme.ISEI_2023,
    ),
    (re.compile(r"战略性新兴产业分类(?:[(（]2018版?[)）])?|[(（]?2018版?[)）]?"), Scheme.SEI_2018),
    (
        re.compile(
            r"国民经济行业分类(?:[(（]?GB/?T ?4754(?:-2017)?[)）]?)?(?:[(（]2017版?[)）])?"
            r"|GB/?T ?4754(?:-2017)?"
        ),
        Scheme.GBT_4754_2017,
    ),
)
_PREFIX = re.compile(r"^\s*(?:新赛道名称|赛道名称)\s*[:：]?\s*")
_LABEL_BRACKETS = re.compile(r"[【\[〖「『](?P<label>[^【\[〖「『】\]〗」』]*)[】\]〗」』]")
_TRAILING_PAREN = re.compile(r"[（(](?P<label>[^（()）]+)[）)]\s*$")
# Path levels: / + | > \ always; 、 - — and plain spaces only when a code follows
# (、 and spaces also occur inside class names and between a code and its name).
_SEGMENT_SPLIT = re.compile(
    r"\s*[/+|>\\]\s*|\s*[、\-—－]\s*(?=[A-T]?\d)|\s+(?=[A-T]?\d{1,4}(?:\.\d{1,2}){0,3}\s*[^\d\s.])"
)
_CODE = re.compile(
    r"^(?P<code>[A-T]?\d{1,4}(?:\.\d{1,2}){0,3}|[A-T])(?![A-Za-z0-9])[\s.、:：]*(?P<name>.*)$"
)
_SPACE_BETWEEN_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
# Two-character words too common in class names to point at one class.
_GENERIC_WORDS = (
    "加工 制造 产业 材料 设备 装备 技术 服务 产品 制品 相关 其他 新型 高端 智能 生产 应用 "
    "系统 工程 开发 研发 综合 行业 关键 先进 配件 部件 零件 装置 器件 工业 专用 及其 精深 "
    "深加 发展 融合 未来"
)
_GENERIC = frozenset(_GENERIC_WORDS.split())

# Segment scores (0–100); a reading's score is their mean.
_EXACT, _SHORT, _FUZZY_MIN = 100.0, 92.0, 80.0


@dataclass
class TrackParse:
    """A parsed track name: the contract's ``track`` object plus candidates and problems."""

    direction: str | None = None
    scheme: str | None = None
    codes: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    label: str | None = None
    resolved: bool = False
    candidates: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``track`` object (contract keys first)."""
        return {
            "direction": self.direction,
            "scheme": self.scheme,
            "codes": list(self.codes),
            "class_names": list(self.class_names),
            "label": self.label,
            "resolved": self.resolved,
            "candidates": [dict(c) for c in self.candidates],
            "problems": [dict(p) for p in self.problems],
        }


@dataclass(frozen=True)
class _Segment:
    """One path segment as printed: ``code`` and/or ``name``."""

    code: str
    name: str


@dataclass
class _Match:
    """How one segment reads in one scheme."""

    segment: _Segment
    entry: Entry | None
    kind: str  # exact | code | named | short | fuzzy | mismatch | bad_code | unknown | unlisted
    score: float
    alt: Entry | None = None


@dataclass
class _Reading:
    """A whole class path read in one scheme."""

    scheme: Scheme
    matches: list[_Match]
    score: float
    consistent: bool


# ------------------------------------------------------------------ text surface


def _clean(text: str) -> str:
    """Widths folded, traditional → simplified, label prefix dropped, spaces tidied."""
    out = to_simplified(fold_width(text or ""))
    out = _PREFIX.sub("", out.replace("\u3000", " "))
    return re.sub(r"\s+", " ", out).strip()


def _tidy(text: str) -> str:
    """Drop spaces next to CJK characters and stray separators at the ends."""
    return _SPACE_BETWEEN_CJK.sub("", text).strip(" +/、:：-—")


def _take_hints(text: str) -> tuple[str, Scheme | None, str | None]:
    """Remove a named scheme or direction from the text and return them as hints."""
    scheme = direction = None
    for pattern, value in _SCHEME_HINTS:
        found = pattern.search(text)
        if found and not _is_code_context(text, found):
            scheme, text = value, text[: found.start()] + " " + text[found.end() :]
            break
    for pattern, value in _DIRECTION_WORDS:
        found = pattern.search(text)
        if found:
            direction, text = value, text[: found.start()] + " " + text[found.end() :]
            break
    return text.strip(" :：-—,，;；"), scheme, direction


def _is_code_context(text: str, found: re.Match[str]) -> bool:
    """A bare ``2018``/``2023`` glued to other digits is not a scheme hint."""
    if not re.fullmatch(r"[(（]?\d{4}版?[)）]?", found.group()):
        return False
    before = text[found.start() - 1] if found.start() else ""
    after = text[found.end()] if found.end() < len(text) else ""
    return before.isdigit() or after.isdigit() or (before == "." or after == ".")


def _split_label(text: str) -> tuple[str, str | None, bool]:
    """(class part, label, label was bracketed): 【】/[] first, then a trailing (), then the last ``+``."""
    groups = [m for m in _LABEL_BRACKETS.finditer(text) if _tidy(m["label"])]
    if groups:
        last = groups[-1]
        rest = text[: last.start()] + " " + text[last.end() :]
        return rest.strip(" +"), _tidy(last["label"]), True
    paren = _TRAILING_PAREN.search(text)
    if paren and not _is_class_name(_segments_of(text)[-1].name if _segments_of(text) else ""):
        return text[: paren.start()].strip(" +"), _tidy(paren["label"]), True
    if "+" in text:
        head, _, tail = text.rpartition("+")
        return head.strip(), _tidy(tail) or None, False
    return _split_at_last_space(text)


def _split_at_last_space(text: str) -> tuple[str, str | None, bool]:
    """``未来能源 核能``: a space before a code-free word ends an exactly named class."""
    head, _, tail = text.rpartition(" ")
    segments = _segments_of(head) if head else []
    if tail and not re.search(r"\d", tail) and segments and _is_class_name(segments[-1].name):
        return head.strip(), _tidy(tail), False
    return text, None, False


def _segments_of(class_part: str) -> list[_Segment]:
    """``17 纺织业/171 …`` → segments; a segment may be a code, a name, or both."""
    segments = []
    for raw in _SEGMENT_SPLIT.split(class_part):
        raw = raw.strip()
        if not raw:
            continue
        found = _CODE.match(raw)
        code, name = (found["code"], found["name"]) if found else ("", raw)
        segments.append(_Segment(code.rstrip("."), _tidy(name)))
    return segments


@lru_cache(maxsize=1)
def _all_names() -> frozenset[str]:
    return frozenset(normalise_name(e.name) for s in Scheme for e in load(s).entries if e.name)


def _is_class_name(name: str) -> bool:
    return bool(name) and normalise_name(name) in _all_names()


# ------------------------------------------------------------------ one scheme


def _names_agree(printed: str, official: str) -> bool:
    """Same class name up to widths, brackets, a dropped suffix or a small typo."""
    a, b = normalise_name(printed), normalise_name(official)
    return a == b or _is_short_form(a, b) or fuzz.ratio(a, b) >= 85


def _is_short_form(printed: str, official: str) -> bool:
    """``纺织`` for ``纺织业``, ``农副食品`` for ``农副食品加工业``."""
    return (
        len(printed) >= 2
        and printed != official
        and official.startswith(printed)
        and len(printed) * 5 >= len(official) * 2
    )


def _name_score(printed: str, entry: Entry) -> tuple[float, str]:
    """(score, kind) of a printed name against one class."""
    return _normalised_score(normalise_name(printed), entry)


def _normalised_score(a: str, entry: Entry) -> tuple[float, str]:
    """:func:`_name_score` for a printed name already normalised (scored against many classes)."""
    b = normalise_name(entry.name)
    if not b:
        return 0.0, "unknown"
    if a == b:
        return _EXACT, "named"
    if _is_short_form(a, b):
        return _SHORT - 2.0 * max(entry.depth - 1, 0), "short"
    ratio = fuzz.ratio(a, b)
    return (ratio * 0.9, "fuzzy") if ratio >= _FUZZY_MIN else (0.0, "unknown")


def _find_by_name(
    table: ClassificationTable, name: str, scope: Entry | None
) -> tuple[Entry | None, float, str]:
    """Best class for a printed name, searched below ``scope`` first, then everywhere."""
    pools = [table.descendants(scope.code)] if scope is not None else []
    pools.append(list(table.entries))
    printed = normalise_name(name)
    for pool in pools:
        best: tuple[float, int, int, Entry, str] | None = None
        for entry in pool:
            score, kind = _normalised_score(printed, entry)
            if score <= 0:
                continue
            key = (score, -entry.depth, -len(entry.name), entry, kind)
            if best is None or key[:3] > best[:3]:
                best = key
        if best is not None:
            return best[3], best[0], best[4]
    return None, 0.0, "unknown"


def _future_entry(table: ClassificationTable, name: str, scope: Entry | None) -> Entry | None:
    """A future-industry category, or a domain keyed ``category/domain``."""
    if scope is not None:
        found = table.by_code(f"{scope.code}/{name}")
        if found is not None:
            return found
    return table.by_code(name)


def _match_segment(table: ClassificationTable, seg: _Segment, scope: Entry | None) -> _Match:
    """Read one segment in one scheme, below ``scope`` (the previous segment's class)."""
    if table.scheme is Scheme.FUTURE_2024:
        return _match_future(table, seg, scope)
    code = seg.code
    if table.scheme is Scheme.GBT_4754_2017 and len(code) > 1 and code[0].isalpha():
        code = code[1:]  # C17 → 17: the section letter only repeats the division
    entry = table.by_code(code) if code else None
    if code and entry is None:
        named, score, _ = _find_by_name(table, seg.name, scope) if seg.name else (None, 0.0, "")
        return _Match(seg, named, "bad_code" if named else "unknown", score * 0.5)
    if entry is not None:
        if not seg.name:
            return _Match(seg, entry, "code", _EXACT)
        if _names_agree(seg.name, entry.name):
            return _Match(seg, entry, "exact", _EXACT)
        named, _, _ = _find_by_name(table, seg.name, scope)
        return _Match(seg, entry, "mismatch", 30.0, alt=named)
    named, score, kind = _find_by_name(table, seg.name, scope)
    return _Match(seg, named, kind if named else "unknown", score)


def _match_future(table: ClassificationTable, seg: _Segment, scope: Entry | None) -> _Match:
    """Future industries have no codes: categories and domains are read by name."""
    name = seg.name or seg.code
    exact = _future_entry(table, normalise_name(name), scope)
    if exact is not None:
        return _Match(seg, exact, "named", _EXACT)
    pool = table.children(scope.code) if scope is not None else table.children("")
    best = max(((_name_score(name, e), e) for e in pool), key=lambda item: item[0][0], default=None)
    if best is not None and best[0][0] > 0:
        return _Match(seg, best[1], best[0][1], best[0][0])
    if scope is not None and scope.depth == 1:
        # The published domain list is incomplete (corpus SOURCES §4): keep the domain as printed.
        return _Match(seg, None, "unlisted", 90.0)
    return _Match(seg, None, "unknown", 0.0)


def _read(scheme: Scheme, segments: list[_Segment]) -> _Reading:
    """All segments read in one scheme, each below the previous one."""
    table = load(scheme)
    matches: list[_Match] = []
    scope: Entry | None = None
    consistent = True
    for seg in segments:
        match = _match_segment(table, seg, scope)
        if match.entry is not None:
            if scope is not None and not _is_below(table, match.entry, scope):
                consistent = False
            scope = match.entry
        matches.append(match)
    score = sum(m.score for m in matches) / len(matches) if matches else 0.0
    return _Reading(scheme, matches, score - (0 if consistent else 20), consistent)


def _is_below(table: ClassificationTable, entry: Entry, scope: Entry) -> bool:
    return any(a.code == scope.code for a in table.ancestors(entry.code))


# ------------------------------------------------------------------ choosing


def _rank(reading: _Reading, hint: Scheme | None, ticked: str | None) -> tuple[float, ...]:
    """Score first; a named scheme, then the ticked box, then SEI before ISEI break ties."""
    order = (Scheme.GBT_4754_2017, Scheme.SEI_2018, Scheme.ISEI_2023, Scheme.FUTURE_2024)
    return (
        round(reading.score, 1) + (5.0 if reading.scheme is hint else 0.0),
        1.0 if ticked and DIRECTION_OF[reading.scheme] == ticked else 0.0,
        -float(order.index(reading.scheme)),
    )


def _codes_and_names(reading: _Reading) -> tuple[list[str], list[str]]:
    """Codes and official names of a reading (printed text where nothing matched).

    A GB/T section (``C``) ahead of a division is dropped: the rules cite
    大类/中类/小类, and the section only repeats what the division implies.
    """
    codes: list[str] = []
    names: list[str] = []
    future = reading.scheme is Scheme.FUTURE_2024
    matches = reading.matches
    if len(matches) > 1 and matches[0].entry is not None and matches[0].entry.level == "section":
        matches = matches[1:]
    for m in matches:
        entry = m.alt if m.kind == "mismatch" and m.alt is not None and _prefer_name(m) else m.entry
        if entry is not None:
            if not future:
                codes.append(entry.code)
            names.append(entry.name)
        else:
            if m.segment.code and not future:
                codes.append(m.segment.code)
            if m.segment.name or future:
                names.append(m.segment.name or m.segment.code)
    return codes, names


def _prefer_name(match: _Match) -> bool:
    """An exactly printed official name is harder to get wrong than a typed code."""
    return match.alt is not None and normalise_name(match.alt.name) == normalise_name(
        match.segment.name
    )


def _candidate(reading: _Reading) -> dict[str, Any]:
    codes, names = _codes_and_names(reading)
    return {
        "scheme": str(reading.scheme),
        "codes": codes,
        "class_names": names,
        "score": round(reading.score, 1),
    }


def _entry_candidate(scheme: Scheme, entry: Entry) -> dict[str, Any]:
    path = load(scheme).path(entry.code)
    if len(path) > 1 and path[0][0].isalpha() and path[0][0].isupper():
        path = path[1:]  # GB/T section letter, as in ``_codes_and_names``
    future = scheme is Scheme.FUTURE_2024
    return {
        "scheme": str(scheme),
        "codes": [] if future else [c for c, _ in path],
        "class_names": [n for _, n in path],
        "score": None,
    }


# ------------------------------------------------------------------ label inference


def _descend(reading: _Reading, label: str) -> list[Entry]:
    """Finer classes the label points to below the last class (names typed from memory).

    Evidence is an industry-lexicon term in the label that maps into the
    subtree, else a distinctive two-character word shared with exactly one
    branch. Everything found must lie on one chain; the deepest is taken.
    """
    last = reading.matches[-1].entry if reading.matches else None
    if last is None or not label:
        return []
    table = load(reading.scheme)
    below = {e.code: e for e in table.descendants(last.code)}
    if not below:
        return []
    hits = _lexicon_hits(reading.scheme, label, below) or _word_hits(label, below.values())
    if not hits:
        return []
    deepest = max(hits, key=lambda e: e.depth)
    chain = {a.code for a in table.ancestors(deepest.code)} | {deepest.code}
    if not all(h.code in chain for h in hits):
        return []
    return [e for e in (*table.ancestors(deepest.code), deepest) if e.code in below]


def _lexicon_hits(scheme: Scheme, label: str, below: dict[str, Entry]) -> list[Entry]:
    folded = normalise_name(label)
    hits = []
    for term in industries():
        if any(normalise_name(n) and normalise_name(n) in folded for n in term.names):
            hits += [below[c] for s, c in term.codes if s is scheme and c in below]
    return list(dict.fromkeys(hits))


def _word_hits(label: str, below: Any) -> list[Entry]:
    folded = normalise_name(label)
    words = {folded[i : i + 2] for i in range(len(folded) - 1)} - _GENERIC
    return [e for e in below if any(w in normalise_name(e.name) for w in words)]


# ------------------------------------------------------------------ problems


def _problem(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _path_text(codes: list[str], names: list[str]) -> str:
    if not codes:
        return "+".join(names)
    return "/".join(f"{c} {n}" for c, n in zip(codes, names, strict=False))


def _segment_problems(reading: _Reading) -> list[dict[str, str]]:
    """Problems of individual segments: unknown classes, codes that disagree with names."""
    table = load(reading.scheme)
    out = []
    for m in reading.matches:
        seg = m.segment
        printed = f"{seg.code} {seg.name}".strip()
        if m.kind == "mismatch" and m.entry is not None:
            alt = f"；名称对应 {m.alt.code} {m.alt.name}" if m.alt is not None else ""
            out.append(
                _problem(
                    "track_code_name_mismatch",
                    f"代码与名称不一致：{printed}（{table.scheme} 中 {m.entry.code} 为“{m.entry.name}”{alt}）",
                )
            )
        elif m.kind == "bad_code" and m.entry is not None:
            out.append(
                _problem(
                    "track_code_name_mismatch",
                    f"代码 {seg.code} 在{table.scheme}中不存在，名称“{seg.name}”对应 {m.entry.code}",
                )
            )
        elif m.kind == "unknown":
            out.append(_problem("track_class_unknown", f"未在{table.scheme}中找到分类：{printed}"))
        elif m.kind == "unlisted":
            out.append(
                _problem(
                    "track_domain_unlisted",
                    f"未来产业领域“{seg.name}”不在已收录的领域清单中（清单不完整，请人工核对）",
                )
            )
    if not reading.consistent:
        out.append(
            _problem("track_path_inconsistent", "分类代码层级不一致：下级分类不属于上级分类")
        )
    return out


def _form_problems(
    reading: _Reading, bracketed: bool, label: str | None, inferred: list[Entry]
) -> list[dict[str, str]]:
    """Problems of the name's form: codes missing, names typed from memory, no label."""
    out = []
    codes, names = _codes_and_names(reading)
    loose = any(m.kind in ("short", "fuzzy") for m in reading.matches) or (label and not bracketed)
    no_codes = reading.scheme is not Scheme.FUTURE_2024 and not any(
        m.segment.code for m in reading.matches
    )
    if loose:
        extra = f"；按赛道名推断至 {inferred[-1].code} {inferred[-1].name}" if inferred else ""
        out.append(
            _problem(
                "track_name_nonstandard",
                f"新赛道名称不规范，已按{reading.scheme}匹配为 {_path_text(codes, names)}{extra}",
            )
        )
    elif no_codes:
        out.append(
            _problem(
                "track_code_missing",
                f"新赛道名称未标注分类代码，已按名称匹配为 {_path_text(codes, names)}",
            )
        )
    if not label:
        out.append(_problem("track_label_missing", "新赛道名称缺少【】中的赛道名"))
    return out


# ------------------------------------------------------------------ entry point


def parse_track_name(text: str, ticked_direction: str | None = None) -> TrackParse:
    """Parse and resolve a track name; ``ticked_direction`` is the box ticked on the form."""
    ticked = ticked_direction if ticked_direction in DIRECTIONS else None
    cleaned, hint, written_direction = _take_hints(_clean(text))
    class_part, label, bracketed = _split_label(cleaned)
    segments = _segments_of(class_part)
    result = TrackParse(direction=ticked, label=label)
    if not segments:
        result.problems.append(
            _problem(
                "track_name_missing" if not cleaned else "track_class_unknown",
                "未填写新赛道名称" if not cleaned else f"新赛道名称未标注所属分类：{cleaned}",
            )
        )
        return result
    readings = sorted(
        (_read(s, segments) for s in Scheme), key=lambda r: _rank(r, hint, ticked), reverse=True
    )
    best = readings[0]
    if best.score <= 0:
        return _unresolved(result, segments, readings)
    inferred = _descend(best, label or "") if _is_loose(best, bracketed, label) else []
    _fill(result, best, inferred)
    result.problems += _segment_problems(best) + _form_problems(best, bracketed, label, inferred)
    result.candidates = _candidates(best, readings)
    result.resolved = (
        all(
            m.entry is not None and m.kind not in ("mismatch", "bad_code") or m.kind == "unlisted"
            for m in best.matches
        )
        and best.consistent
    )
    _check_direction(result, DIRECTION_OF[best.scheme], ticked, written_direction)
    return result


def _is_loose(reading: _Reading, bracketed: bool, label: str | None) -> bool:
    """A name typed from memory: shortened/fuzzy class names and no codes."""
    no_codes = not any(m.segment.code for m in reading.matches)
    shortened = any(m.kind in ("short", "fuzzy") for m in reading.matches)
    return no_codes and (shortened or bool(label and not bracketed))


def _fill(result: TrackParse, best: _Reading, inferred: list[Entry]) -> None:
    codes, names = _codes_and_names(best)
    if inferred and best.scheme is not Scheme.FUTURE_2024:
        codes += [e.code for e in inferred]
    names += [e.name for e in inferred]
    result.scheme, result.codes, result.class_names = str(best.scheme), codes, names


def _candidates(best: _Reading, readings: list[_Reading]) -> list[dict[str, Any]]:
    """Other schemes that read the path (nearly) as well, and the classes the names point to."""
    out = [
        _candidate(r)
        for r in readings[1:]
        if r.score >= min(best.score, 100.0) - 10 and r.score > 0
    ]
    for m in best.matches:
        if m.kind == "mismatch" and m.alt is not None:
            out.append(_entry_candidate(best.scheme, m.alt))
            if m.entry is not None:
                out.append(_entry_candidate(best.scheme, m.entry))
    return out


def _unresolved(
    result: TrackParse, segments: list[_Segment], readings: list[_Reading]
) -> TrackParse:
    """Nothing matched anywhere: keep the printed path, offer the nearest classes."""
    result.codes = [s.code for s in segments if s.code]
    result.class_names = [s.name for s in segments if s.name]
    printed = "/".join(f"{s.code} {s.name}".strip() for s in segments)
    result.problems.append(_problem("track_class_unknown", f"未在官方分类中找到：{printed}"))
    query = segments[-1].name or segments[-1].code
    for scheme in Scheme:
        for code, _name, score in load(scheme).search(query, limit=2) if query else []:
            entry = load(scheme).by_code(code)
            if entry is not None and score >= 50:
                result.candidates.append({**_entry_candidate(scheme, entry), "score": score})
    result.candidates.sort(key=lambda c: -(c["score"] or 0))
    del result.candidates[5:]
    if result.label is None:
        result.problems.append(_problem("track_label_missing", "新赛道名称缺少【】中的赛道名"))
    return result


def _check_direction(
    result: TrackParse, from_class: str, ticked: str | None, written: str | None
) -> None:
    """The ticked box wins; a class (or written direction) that disagrees is a problem."""
    result.direction = ticked or written or from_class
    for claimed, source in ((from_class, "所属分类"), (written, "名称中写明的方向")):
        if claimed and ticked and claimed != ticked:
            result.problems.append(
                _problem(
                    "track_direction_mismatch",
                    f"{source}对应“{claimed}”，与勾选的所属方向“{ticked}”不一致",
                )
            )
            result.resolved = False
    if written and not ticked and written != from_class:
        result.problems.append(
            _problem(
                "track_direction_mismatch",
                f"名称中写明的方向“{written}”与所属分类对应的“{from_class}”不一致",
            )
        )
        result.resolved = False

"""Template filters: highlighting (escape first, then mark), short ids, list joins."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

from saidao.extractors.citation import clause_label
from saidao.index.fts import normalise
from saidao.index.review import differing
from saidao.index.validity import describe_zh
from saidao.vocab import local_time

#: Characters of context either side of the first hit in a snippet.
SNIPPET_CONTEXT = 60


def highlight(text: str | None, words: Iterable[str]) -> Markup:
    """``text`` escaped, every occurrence of a word wrapped in ``<mark>``.

    Matching runs on the width-folded text (ＡＩ meets ai), folded one
    character at a time so positions map back to the raw text.
    """
    text = text or ""
    targets = sorted({w for w in words if w}, key=len, reverse=True)
    folded = fold(text)
    if not targets:
        return escape(text)
    pattern = re.compile("|".join(re.escape(fold(w)) for w in targets))
    out, last = [], 0
    for m in pattern.finditer(folded):
        out += [escape(text[last:m.start()]), Markup("<mark>"), escape(text[m.start():m.end()]),
                Markup("</mark>")]
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def fold(text: str) -> str:
    """Width- and case-folded, one character for one (… stays …, not ...)."""
    out = []
    for ch in text:
        folded = normalise(ch)
        lower = ch.lower()
        out.append(folded if len(folded) == 1 else lower if len(lower) == 1 else ch)
    return "".join(out)


def window(text: str | None, words: Iterable[str], context: int = SNIPPET_CONTEXT) -> str:
    """The part of ``text`` around the first word found (whole text when short or no hit)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= 3 * context:
        return text
    folded = fold(text)
    found = [folded.find(fold(w)) for w in words if w]
    found = [p for p in found if p >= 0]
    if len(text) <= 3 * context:
        return text
    start = max(0, min(found) - context) if found else 0
    end = min(len(text), start + 3 * context)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def joined(value: Any, sep: str = "、") -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return sep.join(str(v) for v in value)
    return str(value)


def short(value: Any, n: int = 10) -> str:
    return str(value or "")[:n]


def yesno(value: Any) -> str:
    return "" if value is None else ("是" if value else "否")


def codediff(code: str | None, positions: Iterable[int]) -> Markup:
    """``code`` escaped, the characters at ``positions`` (those that differ from the code
    as read) marked, so a one-character repair is seen at a glance."""
    code, marked = code or "", set(positions or ())
    return Markup("").join(Markup('<mark class="d">{}</mark>').format(ch) if i in marked
                           else escape(ch) for i, ch in enumerate(code))


def merged(params: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Query parameters with some replaced (a suggestion link keeps the other filters)."""
    return {**{k: v for k, v in params.items() if k not in ("done", "error", "at")}, **changes}


def basenames(values: Iterable[Any]) -> list[str]:
    """Paths as their file names (a server's folders are not for staff to read)."""
    return [str(v).replace("\\", "/").rstrip("/").rpartition("/")[2] or str(v) for v in values or []]


FILTERS = {"highlight": highlight, "window": window, "joined": joined, "short": short,
           "yesno": yesno, "clause_label": clause_label, "codediff": codediff,
           "merged": merged, "differing": differing,
           "localtime": local_time, "basenames": basenames, "in_force_zh": describe_zh}

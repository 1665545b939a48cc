"""Characters that can begin a Chinese surname (``surnames.txt``: 《百家姓》 and today's
common surnames it lacks; sources in ``SOURCES.md`` §8)."""

from __future__ import annotations

from functools import cache

from saidao.corpus._data import data_path


@cache
def surname_starts() -> frozenset[str]:
    """Every character of the list: the first character of a single or compound surname
    (the second character of a compound is counted too, which only makes the set more
    permissive, so a name is changed less often, never more)."""
    text = data_path("surnames.txt").read_text("utf-8")
    return frozenset(ch for line in text.splitlines() if line and not line.startswith("#")
                     for ch in line.strip())

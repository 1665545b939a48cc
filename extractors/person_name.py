"""A person's name read by OCR, its surname put back from the list of surnames.

A Chinese name starts with its surname, and surnames are a closed list
(``corpus.surnames``). OCR's one-stroke slips (``ocr_words.LOOKALIKES``) can turn a
surname into a character that begins none: 阎 read as 阁. :func:`restore_surname`
puts the surname back when the first character as read can begin no surname and
exactly one of its lookalikes can.

Decisions:

* Names of two to four Chinese characters only (a Han name); anything else, such as
  a Mongolian name written in Chinese characters without a surname (巴特尔, 乌云其其格)
  whose first character may begin no surname, is left alone unless that character has
  a single surname lookalike: such names rarely start with one of the lookalike glyphs.
* Unique: two lookalikes that are both surnames leave the name as read.
* For OCR'd values only (the caller checks); the reading is kept by the caller.
"""

from __future__ import annotations

import re

from saidao.corpus.surnames import surname_starts
from saidao.extractors.ocr_values import Repair
from saidao.extractors.ocr_words import LOOKALIKES

__all__ = ["restore_surname"]

_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def restore_surname(name: str) -> Repair | None:
    """``name`` with its first glyph read as the one surname it can stand for, or None.

    >>> restore_surname("阁志海").value
    '阎志海'
    >>> [restore_surname(n) for n in ("阎志海", "王芳", "巴特尔", "阁", "Li Ming")]
    [None, None, None, None, None]
    """
    name = name.strip()
    if not _HAN_NAME.match(name):
        return None
    starts = surname_starts()
    first = name[0]
    if first in starts:
        return None
    candidates = [c for c in LOOKALIKES.get(first, "") if c in starts]
    if len(candidates) != 1:
        return None
    return Repair(candidates[0] + name[1:], name, f"“{first}”不是姓氏用字，按形近姓氏“{candidates[0]}”读")

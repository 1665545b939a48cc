"""What a *source* of a merged thing is, shared by tracks and policies.

One declaration read from several files is one track (``index.track_merge``); one policy
brought in several forms is one policy (``index.policy_merge``). Both keep every file as a
*source* with a role, rank the forms by how they were digitised, and let staff name a
source by its path, file name or sha256 prefix to split it off. The rules live here once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

#: A source's role, as staff read it.
ROLES_ZH = {"primary": "主来源", "evidence": "佐证", "superseded": "旧版本", "split": "已拆出"}
#: Formats whose text is the file's own (a text layer, markup): born digital.
BORN_DIGITAL = ("docx", "pdf", "html", "mhtml", "ofd")


def now() -> str:
    """A source's time stamp (UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def source_rank(result: dict[str, Any]) -> int:
    """How well a source was digitised: 3 born-digital (a text layer, Word, a web page, OFD),
    2 converted (.doc/.wps/.rtf through LibreOffice, plain text), 1 OCR (scan or photo).

    >>> source_rank({"source": {"format": "pdf", "ocr_pages": [1]}})
    1
    >>> source_rank({"source": {"format": "html"}}), source_rank({"source": {"format": "txt"}})
    (3, 2)
    """
    source = result.get("source") or {}
    if source.get("ocr_pages") or source.get("format") == "image":
        return 1
    if source.get("format") in BORN_DIGITAL:
        return 3
    return 2


def names_source(source: dict[str, Any], which: str) -> bool:
    """Whether staff's ``which`` names this source: its path, origin, file name, or a sha256
    prefix of eight characters or more."""
    which = which.strip()
    path = source.get("path") or ""
    return bool(which) and (which in (path, source.get("origin"), PurePath(path).name)
                            or (len(which) >= 8 and source["sha256"].startswith(which)))

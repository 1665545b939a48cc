"""The policy documents shipped with saidao (the five seed texts) and their metadata.

Metadata is what the documents publish: title, 文号, issuer, 成文日期 (the date
under the signature) and 印发日期 (the office's printing line) kept apart, the
level of the issuer and the area it governs. Values not printed in a text are
empty, never guessed; ``note`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from saidao.corpus._data import data_path, read_csv

LEVELS = ("national", "region", "city", "county")
_COLUMNS = ("seed_stem", "file", "title", "doc_number", "issuer", "level", "jurisdiction")


@dataclass(frozen=True)
class BundledPolicy:
    """One bundled policy text with its published metadata."""

    seed_stem: str
    path: Path
    sha256: str
    title: str
    doc_number: str
    issuer: str
    signed_date: date | None
    printed_date: date | None
    level: str
    jurisdiction: str
    source: str
    note: str

    def text(self) -> str:
        """The document's text as extracted from the published file."""
        return self.path.read_text(encoding="utf-8")


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


@lru_cache(maxsize=1)
def _load() -> tuple[BundledPolicy, ...]:
    rows = read_csv(data_path("policies", "policies.csv"), _COLUMNS)
    return tuple(
        BundledPolicy(
            seed_stem=row["seed_stem"],
            path=data_path("policies", row["file"]),
            sha256=row.get("sha256", ""),
            title=row["title"],
            doc_number=row["doc_number"],
            issuer=row["issuer"],
            signed_date=_date(row.get("signed_date", "")),
            printed_date=_date(row.get("printed_date", "")),
            level=row["level"],
            jurisdiction=row["jurisdiction"],
            source=row.get("source", ""),
            note=row.get("note", ""),
        )
        for row in rows
    )


def bundled() -> list[BundledPolicy]:
    """Every bundled policy, in seed order."""
    return list(_load())


def by_doc_number(doc_number: str) -> BundledPolicy | None:
    """The bundled policy with this 文号 (spaces ignored: ``内政发〔2021〕13 号``)."""
    wanted = "".join(doc_number.split())
    return next((p for p in _load() if p.doc_number and p.doc_number == wanted), None)

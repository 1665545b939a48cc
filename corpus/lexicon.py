"""Policy vocabulary: industry terms tied to classification codes, and beneficiaries.

``industry_lexicon.csv``: term, aliases (``|``), codes (``scheme:code`` joined by
``;``, e.g. ``GB/T 4754-2017:144;战略性新兴产业分类(2018):3.2.7``), note. A code is
written only where the class's own name supports the term; otherwise the cell
is empty and the note names the nearest class. ``beneficiary_lexicon.csv``:
term, aliases, kind (firm / platform / talent / institution), note.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from saidao.corpus._data import data_path, read_csv, split_list
from saidao.corpus.classifications import Scheme, scheme_of
from saidao.corpus.zones import registry


@dataclass(frozen=True)
class IndustryTerm:
    """An industry as policies write it, with the classes it maps to."""

    term: str
    aliases: tuple[str, ...]
    codes: tuple[tuple[Scheme, str], ...]
    note: str

    @property
    def names(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class BeneficiaryTerm:
    """A kind of beneficiary a clause can name (firm type, platform, talent …)."""

    term: str
    aliases: tuple[str, ...]
    kind: str
    note: str

    @property
    def names(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


def parse_codes(cell: str) -> tuple[tuple[Scheme, str], ...]:
    """``GB/T 4754-2017:144;未来产业:未来能源/核能`` → ((Scheme, code), …)."""
    pairs = []
    for part in split_list(cell, ";"):
        scheme_name, _, code = part.partition(":")
        scheme = scheme_of(scheme_name)
        if scheme is None or not code.strip():
            raise ValueError(f"词表代码格式错误 bad lexicon code: {part!r}")
        pairs.append((scheme, code.strip()))
    return tuple(pairs)


@lru_cache(maxsize=1)
def _industries() -> tuple[IndustryTerm, ...]:
    rows = read_csv(data_path("industry_lexicon.csv"), ("term", "aliases", "codes"))
    return tuple(
        IndustryTerm(r["term"], split_list(r["aliases"]), parse_codes(r["codes"]), r.get("note", ""))
        for r in rows
        if r["term"]
    )


@lru_cache(maxsize=1)
def _beneficiaries() -> tuple[BeneficiaryTerm, ...]:
    rows = read_csv(data_path("beneficiary_lexicon.csv"), ("term", "aliases", "kind"))
    return tuple(
        BeneficiaryTerm(r["term"], split_list(r["aliases"]), r["kind"], r.get("note", ""))
        for r in rows
        if r["term"]
    )


def industries() -> list[IndustryTerm]:
    """Every industry term of the bundled lexicon."""
    return list(_industries())


def beneficiaries() -> list[BeneficiaryTerm]:
    """Every beneficiary term of the bundled lexicon."""
    return list(_beneficiaries())


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def industry(name: str) -> IndustryTerm | None:
    """The industry term whose term or alias equals ``name`` (widths/spaces ignored)."""
    wanted = _fold(name)
    return next((t for t in _industries() if wanted in map(_fold, t.names)), None)


def beneficiary(name: str) -> BeneficiaryTerm | None:
    """The beneficiary term whose term or alias equals ``name`` (widths/spaces ignored)."""
    wanted = _fold(name)
    return next((t for t in _beneficiaries() if wanted in map(_fold, t.names)), None)


def jieba_user_dict() -> list[str]:
    """Words for jieba's user dictionary: zone names, industry and beneficiary terms.

    Unique, in that order; words with spaces (which jieba's dictionary format
    cannot hold) and single characters are left out. Use ``jieba.add_word``.
    """
    words: list[str] = []
    for zone in registry().all():
        words += zone.names
    for term in _industries():
        words += term.names
    for ben in _beneficiaries():
        words += ben.names
    clean = (w.strip() for w in words)
    return list(dict.fromkeys(w for w in clean if len(w) > 1 and not any(c.isspace() for c in w)))

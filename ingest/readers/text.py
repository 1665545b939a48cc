"""The .txt reader: policy texts as extracted from published files.

Encodings tried, in order: a BOM (UTF-8, UTF-16 LE/BE), strict UTF-8, then
GB18030 (a superset of GBK and GB2312, what Chinese Windows saves). Text that
decodes but is full of control characters is binary in disguise and refused.

One :class:`Paragraph` per non-blank source line, text kept raw (hard wraps,
page-break spaces and all: repairing them is an extractor's job); blank lines
are dropped but line numbers in the provenance are the source's. A run of
consecutive lines containing tabs becomes one :class:`Table` (cells split on
tabs), because the seeds carry tables flattened that way — provided at least
one of them has a tab *after* text, so tab-indented prose stays prose.
Checkbox glyphs (☑ □ √ …) are reported as :class:`Checkbox` es without
rewriting the text.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import NamedTuple

from saidao.document import Block, Cell, Document, PageInfo, Paragraph, Provenance, Table, TextLine
from saidao.errors import SaidaoError
from saidao.ingest.readers.docx import scan_checkboxes
from saidao.settings import ReadSettings

#: Share of control characters (other than tab, newline, CR, form feed) above
#: which decoded "text" is taken for binary data.
MAX_CONTROL_SHARE = 0.01

#: Valid non-ASCII characters per damaged sequence above which a file that is
#: not clean UTF-8 is still read as (damaged) UTF-8.
DAMAGED_UTF8_RATIO = 50

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f")


class Decoded(NamedTuple):
    text: str
    encoding: str
    replaced: int = 0  # undecodable sequences replaced by U+FFFD (damaged UTF-8 only)


def read_text(path: Path, sha256: str, settings: ReadSettings) -> Document:
    """Read a plain-text policy file into paragraphs and tab tables."""
    decoded = decode_bytes(path.read_bytes(), path)
    lines = decoded.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    problems = []
    if decoded.replaced:
        problems.append(f"{decoded.replaced} damaged UTF-8 sequence(s) replaced by U+FFFD")
    return Document(
        path=str(path),
        sha256=sha256,
        format="txt",
        pages=[PageInfo(number=1)],
        blocks=_blocks(lines, str(path)),
        problems=problems,
    )


def decode_bytes(data: bytes, path: str | Path | None = None) -> Decoded:
    """The text in the first encoding that fits, else ``decode_failed``.

    UTF-8 with a few damaged bytes amid plenty of valid multi-byte characters
    is kept as UTF-8 (damage replaced, counted) instead of being misread as
    GB18030, which accepts almost any byte sequence and would turn the whole
    file into mojibake.
    """
    if not data:
        raise SaidaoError("empty", path)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(_checked(_decode(data, encoding, path), encoding, path), encoding)
    try:
        return Decoded(_checked(data.decode("utf-8"), "utf-8", path), "utf-8")
    except UnicodeDecodeError:
        pass
    lossy = data.decode("utf-8", errors="replace")
    bad = lossy.count("\ufffd")
    good = sum(1 for ch in lossy if ord(ch) > 127) - bad
    if good >= DAMAGED_UTF8_RATIO * bad:
        return Decoded(_checked(lossy, "utf-8", path), "utf-8", bad)
    try:
        return Decoded(_checked(data.decode("gb18030"), "gb18030", path), "gb18030")
    except UnicodeDecodeError:
        pass
    raise SaidaoError("decode_failed", path, "not UTF-8, UTF-16 (with BOM) or GB18030")


def _decode(data: bytes, encoding: str, path: str | Path | None) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SaidaoError("decode_failed", path, f"invalid {encoding}: {exc.reason}") from exc


def _checked(text: str, encoding: str, path: str | Path | None) -> str:
    """Refuse decoded text that is mostly not text (NULs, control bytes)."""
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS)
    if "\x00" in text or controls > MAX_CONTROL_SHARE * max(len(text), 1):
        raise SaidaoError("decode_failed", path, f"control characters in {encoding} text")
    return text


def _is_row(line: str) -> bool:
    return "\t" in line


def _has_inner_tab(line: str) -> bool:
    return "\t" in line.lstrip()


def _blocks(lines: list[str], shown: str) -> list[Block]:
    """Paragraphs for lines, tables for runs of tabbed lines (line numbers 1-based)."""
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _is_row(lines[j]):
            j += 1
        if j > i and any(_has_inner_tab(line) for line in lines[i:j]):
            table_index = sum(isinstance(b, Table) for b in blocks)
            blocks.append(_table(lines[i:j], first_line=i + 1, table_index=table_index, shown=shown))
            i = j
            continue
        for n in range(i, max(j, i + 1)):
            if lines[n].strip():
                blocks.append(_paragraph(lines[n], n + 1, shown))
        i = max(j, i + 1)
    return blocks


def _paragraph(line: str, number: int, shown: str) -> Paragraph:
    prov = Provenance(shown, page=1, line=number)
    return Paragraph(
        text=line,
        provenance=prov,
        lines=[TextLine(line, prov)],
        checkboxes=scan_checkboxes(line, prov),
    )


def _table(rows: list[str], first_line: int, table_index: int, shown: str) -> Table:
    """Tab-split rows, padded with empty cells to the widest row."""
    split = [row.split("\t") for row in rows]
    n_cols = max(len(parts) for parts in split)
    cells = []
    for r, parts in enumerate(split):
        for c in range(n_cols):
            text = parts[c] if c < len(parts) else ""
            prov = Provenance(shown, page=1, line=first_line + r, table=table_index, cell=(r, c))
            cells.append(
                Cell(
                    row=r,
                    col=c,
                    text=text,
                    provenance=prov,
                    checkboxes=scan_checkboxes(text, prov),
                    lines=[TextLine(text, prov)] if text else [],
                )
            )
    return Table(
        n_rows=len(split),
        n_cols=n_cols,
        cells=cells,
        provenance=Provenance(shown, page=1, line=first_line, table=table_index),
        pages=[1],
    )

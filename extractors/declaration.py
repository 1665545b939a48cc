"""The 新赛道申报表: every field, the firm and platform tables, by label, not position.

The form (附件1-2 of 内科高字〔2026〕11号) is a fixed document, but filled-in
copies move things around: header lines with or without colons, labels
reworded, the firm table split over pages with its header repeated, columns
added. So each part is found by what it says:

* header lines: paragraphs before the first table, matched against
  :data:`~saidao.extractors.form_labels.HEADER_LABELS`;
* the basic-information table: the table whose cells carry the most labels of
  :data:`BASIC_LABELS`; each label's value is the next cell to its right (or,
  for the long 举措及成效 text, the row below when the form puts it there);
* the firm and platform tables: the tables whose header row names their
  columns; every later table that continues them (same columns, no header or a
  repeated one) is appended;
* the 实施方案 text: the body between its section heading and the 真实性声明;
* 真实性声明 and 推荐意见: the cells or paragraphs that hold them, their date,
  and whether a red seal sits on them.

Everything returned follows the contract's declaration JSON; every value keeps
a ``sources`` entry (file, page, cell, origin, confidence) so a reviewer can go
back to where it was read.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from saidao.document import CHECKED, UNCHECKED, Cell, Document, Paragraph, Provenance, Table
from saidao.extractors.firm_place import latin_lookalikes, restore_places
from saidao.extractors.form_labels import (
    BASIC_LABELS,
    FIRM_COLUMNS,
    HEADER_LABELS,
    PLATFORM_COLUMNS,
    match_direction,
    match_label,
    split_labelled_line,
)
from saidao.extractors.normalize import fold_width, pair_quotes, repair_lines
from saidao.extractors.ocr_values import (
    Repair,
    digits_of,
    letter_l_in_local_part,
    one_glyph_off,
    parse_ocr_date,
    repair_digits,
    repair_email,
    seq_number,
)
from saidao.extractors.ocr_words import restore_words
from saidao.extractors.ocr_words import why as words_why
from saidao.extractors.person_name import restore_surname
from saidao.vocab import UNIT_FIELD_LABELS

MEASURES_LIMIT = 500
PLAN_LIMIT = 3000

_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")
_SPACES = re.compile(r"[ \t\u3000]+")
_POSTCODE = re.compile(r"^\d{6}$")
_MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
_PHONE = re.compile(r"^(?:\(?0\d{2,3}\)?[- ]?)?\d{7,8}(?:[-转]\d{1,6})?$")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_PLATFORM_LEVELS = ("国家级", "自治区级", "省级", "盟市级", "市级", "旗县级", "县级", "区级", "校级")
#: credit-code findings that are not problems on a declaration: a firm registered
#: outside Inner Mongolia is normal (the area prefix only steers repairs), and a
#: verifying code with an area outside GB/T 2260 is a development zone's office.
_QUIET_USCC = {"uscc_area_region"}
_QUIET_WHEN_VALID = {"uscc_area"}


def clean_value(text: str) -> str:
    """A field's value as printed, tidied: widths folded, no spaces inside Chinese, one space elsewhere."""
    text = fold_width(text or "")
    text = _CJK_GAP.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def nonspace_chars(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _source(prov: Provenance | None) -> dict[str, Any] | None:
    if prov is None:
        return None
    return {
        "file": prov.file, "page": prov.page, "line": prov.line, "table": prov.table,
        "cell": list(prov.cell) if prov.cell else None, "bbox": list(prov.bbox) if prov.bbox else None,
        "origin": prov.origin, "confidence": round(prov.confidence, 4),
    }


@dataclass
class _Found:
    value: str
    provenance: Provenance | None = None


@dataclass
class _Result:
    """What the extraction collects before it becomes the contract's dict."""

    header: dict[str, _Found] = field(default_factory=dict)
    basic: dict[str, _Found] = field(default_factory=dict)
    direction: str | None = None
    direction_checked: list[str] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    repairs: dict[str, Repair] = field(default_factory=dict)  # field -> OCR repair made

    def problem(self, field_name: str, code: str, message: str) -> None:
        self.problems.append({"field": field_name, "code": code, "message": message})


# --------------------------------------------------------------------- header lines
def _header_paragraphs(doc: Document) -> list[Paragraph]:
    out: list[Paragraph] = []
    for block in doc.blocks:
        if isinstance(block, Table):
            break
        if isinstance(block, Paragraph):
            out.append(block)
    return out


def read_header(doc: Document, result: _Result) -> None:
    """``新赛道名称：…`` and the other three lines above the first table."""
    for text, prov in header_lines(doc):
        hit = split_labelled_line(text, HEADER_LABELS)
        if hit and hit[0] not in result.header:
            result.header[hit[0]] = _Found(clean_value(hit[1]), prov)


#: A section heading (一、新赛道基本情况) ends the header lines' values.
_SECTION_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")


def header_lines(doc: Document) -> list[tuple[str, Provenance | None]]:
    """The header's logical lines: a line that wrapped (its value runs onto the next
    printed line) joined back, by the form's labels — a printed line that starts with no
    header label and is no section heading carries on the labelled line above it."""
    out: list[tuple[str, Provenance | None]] = []
    labelled = False  # the last logical line holds a label (so a wrap can join it)
    for para in _header_paragraphs(doc):
        lines = para.lines or [None]
        texts = [line.text for line in para.lines] if para.lines else [para.text]
        for text, line in zip(texts, lines, strict=False):
            prov = line.provenance if line is not None else para.provenance
            is_label = split_labelled_line(text, HEADER_LABELS) is not None
            if labelled and not is_label and text.strip() and not _SECTION_HEADING.match(text):
                previous, first = out[-1]
                out[-1] = (_join_wrapped(previous, text.strip()), first)
                continue
            out.append((text, prov))
            labelled = is_label
    return out


def _join_wrapped(before: str, after: str) -> str:
    """Two printed lines of one value: Latin words keep a space between them, CJK none."""
    ends_word = before[-1:].isascii() and (before[-1:].isalnum() or before[-1:] in ",;:")
    if ends_word and after[:1].isascii() and after[:1].isalnum():
        return f"{before} {after}"
    return before + after


# --------------------------------------------------------------------- basic table
def _label_count(table: Table, vocabulary: dict[str, tuple[str, ...]]) -> int:
    return sum(1 for cell in table.cells if match_label(cell.text, vocabulary))


def find_basic_table(doc: Document) -> Table | None:
    best, best_count = None, 2
    for table in doc.tables:
        count = _label_count(table, BASIC_LABELS)
        if count > best_count:
            best, best_count = table, count
    return best


def read_basic_table(table: Table, result: _Result) -> None:
    rows = table.rows()
    for r, row in enumerate(rows):
        for i, cell in enumerate(row):
            key = match_label(cell.text, BASIC_LABELS)
            if key is None or key in result.basic or key == "zone_info":
                continue
            if key == "direction":
                _read_direction(row[i + 1:] or [cell], result)
                result.basic["direction"] = _Found(cell.text, cell.provenance)
                continue
            value_cell = _value_right_of(row, i)
            if value_cell is None and key == "measures":
                value_cell = _value_below(rows, r, table)
            if value_cell is not None:
                text = _cell_text(value_cell) if key == "measures" else _value(value_cell, key)
                result.basic[key] = _Found(text, value_cell.provenance)
            else:
                result.basic[key] = _Found("", cell.provenance)


def _value_right_of(row: Sequence[Cell], i: int) -> Cell | None:
    if i + 1 < len(row) and match_label(row[i + 1].text, BASIC_LABELS) is None:
        return row[i + 1]
    return None


def _value_below(rows: list[list[Cell]], r: int, table: Table) -> Cell | None:
    if r + 1 < len(rows) and len(rows[r + 1]) == 1 and not match_label(rows[r + 1][0].text, BASIC_LABELS):
        return rows[r + 1][0]
    return None


def _cell_text(cell: Cell) -> str:
    """A long text cell: hard wraps repaired, paragraphs on their own lines.

    Starts from the reader's cell text, where a reader that knows the geometry (a
    PDF's text layer) has already joined the lines that reached the cell's edge."""
    lines = _reader_lines(cell)
    paragraphs = repair_lines([clean_value(line) for line in lines if line.strip()])
    return "\n".join(pair_quotes(p.text) for p in paragraphs)


def _reader_lines(cell: Cell) -> list[str]:
    """The cell's lines as its reader joined them (fewer than the printed lines when it
    joined wraps), else the printed lines."""
    joined = cell.text.splitlines()
    if cell.lines and len(joined) >= len(cell.lines):
        return [line.text for line in cell.lines]
    return joined


def _read_direction(cells: Sequence[Cell], result: _Result) -> None:
    """The ticked box: Checkbox objects first, else the ☑/☐ glyphs in the text."""
    boxes = [box for cell in cells for box in cell.checkboxes]
    ticked: list[str] = []
    if boxes:
        ticked = [d for box in boxes if box.checked and (d := match_direction(box.label))]
    else:
        text = " ".join(cell.text for cell in cells)
        for part in re.split(f"(?=[{CHECKED}{UNCHECKED}])", text):
            if part.startswith(CHECKED) and (d := match_direction(part[1:])):
                ticked.append(d)
    result.direction_checked = list(dict.fromkeys(ticked))
    result.direction = result.direction_checked[0] if len(result.direction_checked) == 1 else None


# --------------------------------------------------------------------- listed tables
@dataclass
class _Listing:
    """A firm or platform table, joined across the tables it was split into."""

    columns: dict[int, str]  # column index -> field key ("" = an applicant's own column)
    headers: dict[int, str]  # column index -> the header text as printed
    rows: list[tuple[list[Cell | None], int]] = field(default_factory=list)  # cells, table index


def _header_columns(cells: Sequence[Cell], vocabulary: dict[str, tuple[str, ...]]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for cell in cells:
        key = match_label(cell.text, vocabulary)
        columns[cell.col] = key if key and key not in columns.values() else ""
    return columns


def _is_header_of(table: Table, vocabulary: dict[str, tuple[str, ...]], required: set[str]) -> int | None:
    """The header row's index if one of the first two rows names the required columns."""
    rows = table.rows()
    for r in range(min(2, len(rows))):
        if required <= set(_header_columns(rows[r], vocabulary).values()):
            return r
    return None


def _row_cells(table: Table, r: int) -> list[Cell | None]:
    """Cells of row r by column; a cell merged down from above counts in its first row only."""
    out: list[Cell | None] = [None] * table.n_cols
    for cell in table.cells:
        if cell.row == r:
            for c in range(cell.col, min(cell.col + cell.col_span, table.n_cols)):
                out[c] = cell if c == cell.col else None
    return out


def _row_key(cells: Iterable[Cell | None]) -> str:
    return "|".join(clean_value(c.text).replace(" ", "") if c else "" for c in cells)


def collect_listing(
    doc: Document, vocabulary: dict[str, tuple[str, ...]], required: set[str]
) -> _Listing | None:
    """The table headed by ``required`` columns, with every table that continues it."""
    tables = doc.tables
    for t_index, table in enumerate(tables):
        header_row = _is_header_of(table, vocabulary, required)
        if header_row is None:
            continue
        header_cells = table.rows()[header_row]
        listing = _Listing(
            columns=_header_columns(header_cells, vocabulary),
            headers={c.col: clean_value(c.text) for c in header_cells},
        )
        header_key = _row_key(_row_cells(table, header_row))
        _append_rows(listing, table, t_index, header_row + 1, header_key)
        for follow_index in range(t_index + 1, len(tables)):
            follower = tables[follow_index]
            if not _continues(follower, table, vocabulary, header_key):
                break
            _append_rows(listing, follower, follow_index, 0, header_key)
        return listing
    return None


def _continues(follower: Table, first: Table, vocabulary: dict[str, tuple[str, ...]], header_key: str) -> bool:
    """A later table continues the listing: same columns, and either its header repeated or none."""
    if follower.n_cols != first.n_cols:
        return False
    rows = follower.rows()
    if not rows:
        return False
    first_key = _row_key(_row_cells(follower, 0))
    if first_key == header_key:
        return True
    labels = sum(1 for cell in rows[0] if match_label(cell.text, vocabulary))
    other_labels = sum(1 for cell in rows[0] if match_label(cell.text, BASIC_LABELS))
    return labels == 0 and other_labels == 0 and _looks_like_listing_row(rows[0])


def _looks_like_listing_row(cells: Sequence[Cell]) -> bool:
    first = clean_value(cells[0].text) if cells else ""
    return first.isdigit() or any(len(re.sub(r"\W", "", c.text)) == 18 for c in cells) or _ocr_listing_row(cells)


def _ocr_listing_row(cells: Sequence[Cell]) -> bool:
    """The same test through OCR's eyes: a 序号 read as ``l``/``（7）``, or rows merged into one."""
    first = clean_value(cells[0].text).split() if cells else []
    return bool(first) and seq_number(first[0]) is not None or any(
        len(re.sub(r"\W", "", line)) == 18 for c in cells for line in c.text.splitlines())


def _append_rows(listing: _Listing, table: Table, t_index: int, start: int, header_key: str) -> None:
    repeated = set(table.repeated_header_rows)
    for r in range(start, table.n_rows):
        if r in repeated:
            continue
        cells = _row_cells(table, r)
        key = _row_key(cells)
        if key == header_key or not key.replace("|", "").strip(".…。 "):
            continue  # a header repeated after a page break, a blank row, or "....."
        listing.rows.append((cells, t_index))


def _field(cells: list[Cell | None], columns: dict[int, str], key: str) -> Cell | None:
    for col, name in columns.items():
        if name == key and col < len(cells):
            return cells[col]
    return None


def _text(cell: Cell | None) -> str:
    return clean_value(cell.text) if cell else ""


#: Cells that hold one code-like value: a line break inside is a wrap, joined without a space.
_CODE_FIELDS = {"uscc", "postcode", "phone", "mobile", "fax", "email", "year", "seq"}


def one_value(text: str, key: str) -> str:
    """A cell that holds one value (a name, a code, an e-mail) on one line.

    The cell was too narrow, so the value wrapped: codes and e-mails join without
    a space, names join as words (a space between Latin words, none in Chinese).
    """
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    if len(lines) < 2:
        return text
    if key in _CODE_FIELDS:
        return "".join(lines)
    out = lines[0]
    for line in lines[1:]:
        out = _join_wrapped(out, line)
    return out


def _value(cell: Cell | None, key: str) -> str:
    """A one-value cell's text, wrapped lines joined."""
    return one_value(_text(cell), key)


def _seq(cell: Cell | None) -> int | None:
    return seq_number(_text(cell))


def _extra(cells: list[Cell | None], listing: _Listing) -> dict[str, str]:
    return {
        listing.headers.get(col) or f"列{col + 1}": _text(cells[col])
        for col, name in listing.columns.items()
        if name == "" and col < len(cells)
    }


def read_firms(doc: Document, result: _Result, known_codes: Iterable[str] = ()) -> list[dict[str, Any]]:
    listing = collect_listing(doc, FIRM_COLUMNS, {"name", "uscc"})
    if listing is None:
        result.problem("firms", "firms_missing", "未找到企业名录表")
        return []
    known = set(known_codes)
    firms: list[dict[str, Any]] = []
    for cells, _ in listing.rows:
        name_cell, code_cell = _field(cells, listing.columns, "name"), _field(cells, listing.columns, "uscc")
        seq_cell = _field(cells, listing.columns, "seq")
        name, printed = _value(name_cell, "name"), _value(code_cell, "uscc").replace(" ", "")
        if not name and not printed:
            _note_unread_row(seq_cell, result)
            continue
        for seq, firm_name, code in _merged_rows((seq_cell, name_cell, code_cell), name, printed):
            _add_firm(firms, seq, firm_name, code, (name_cell, code_cell), cells, listing, known, result)
    _number_unread_rows(firms)
    _check_firm_list(firms, result)
    return firms


def _number_unread_rows(firms: list[dict[str, Any]]) -> None:
    """Give a row whose 序号 cell was not read (a lone digit the OCR detector missed) the
    number its place in the table implies — only when every number that *was* read
    equals its row's place (1, 2, 3 … from the top), so the numbering is the plain
    sequence and no row is missing before it. ``seq_read`` keeps what was read;
    the row's ``sources.seq`` says the number was inferred and why.
    """
    read = [(i, f["seq"]) for i, f in enumerate(firms) if f["seq"] is not None]
    if not read or len(read) == len(firms) or any(seq != i + 1 for i, seq in read):
        return
    for i, firm in enumerate(firms):
        if firm["seq"] is None:
            firm["seq"] = i + 1
            firm["sources"]["seq"] = {"inferred": "position",
                                      "why": "序号未读出，按表中位置及前后已读序号推定"}


def _lines(cell: Cell | None) -> list[str]:
    return [v for line in (cell.text.splitlines() if cell else []) if (v := clean_value(line))]


def _merged_rows(row: tuple[Cell | None, Cell | None, Cell | None], name: str,
                 printed: str) -> list[tuple[int | None, str, str]]:
    """The firm rows of one table row: usually one; several when OCR merged rows into one.

    A merged row shows as a code cell holding two or more whole codes on their
    own lines, with as many lines of names (and of numbers, if the 序号 cell
    was merged too). Anything less clear stays one row for the checks to flag.
    """
    seq_cell, name_cell, code_cell = row
    codes = [line.replace(" ", "") for line in _lines(code_cell)]
    names = _lines(name_cell)
    if len(codes) < 2 or len(names) != len(codes) or not all(17 <= len(c) <= 19 for c in codes):
        return [(_seq(seq_cell), name, printed)]
    seqs = [seq_number(t) for t in _lines(seq_cell)]
    if len(seqs) != len(codes):
        seqs = [None] * len(codes)
    return list(zip(seqs, names, codes, strict=True))


def _add_firm(firms: list[dict[str, Any]], seq: int | None, name: str, printed: str,
              name_code: tuple[Cell | None, Cell | None], cells: list[Cell | None], listing: _Listing,
              known: set[str], result: _Result) -> None:
    """Check one firm row's code and append the row with its problems."""
    from saidao.extractors.uscc import check

    name_cell, code_cell = name_code
    checked = check(printed, known_codes=known, expected_area_prefix="15",
                    alternatives=code_alternatives(code_cell, printed))
    index = len(firms)
    name_printed, name_fix = name, None
    if name_cell is not None and name_cell.provenance.origin == "ocr":
        name, place_fixes = restore_places(name_printed)
        if place_fixes:
            name_fix = {"kind": "place_name", "why": "；".join(f.why for f in place_fixes),
                        "places": [{"printed": f.printed, "restored": f.restored, "code": f.code}
                                   for f in place_fixes]}
        name, latin_why = latin_lookalikes(name)
        if latin_why:
            name_fix = {"kind": "latin_lookalike", "why": latin_why, "places": []} if name_fix is None else \
                {**name_fix, "why": f"{name_fix['why']}；{latin_why}"}
    confidences = [c.provenance.confidence for c in (name_cell, code_cell) if c is not None]
    firms.append({
        "seq": seq,
        "seq_read": seq,
        "name": name,
        "name_printed": name_printed,
        "name_fix": name_fix,
        "uscc_printed": printed,
        "uscc": checked.uscc,
        "uscc_valid": checked.valid,
        "uscc_fix": checked.fix,
        "confidence": round(min([checked.confidence or 0.0, *confidences]) if checked.uscc else 0.0, 4),
        "uscc_candidates": [c for c, _, _ in checked.candidates[:5]] if not checked.valid else [],
        "extra": _extra(cells, listing),
        "sources": {"name": _source(name_cell.provenance if name_cell else None),
                    "uscc": _source(code_cell.provenance if code_cell else None)},
    })
    for code, message in checked.problems:
        if code not in _QUIET_USCC and not (checked.valid and code in _QUIET_WHEN_VALID):
            result.problem(f"firms[{index}].uscc", code, f"第{index + 1}行 {name}：{message}")


def code_alternatives(cell: Cell | None, code: str) -> list[dict[str, float]] | None:
    """Per character of ``code`` (as read from ``cell``, spaces gone), what else the recogniser
    saw there (``Provenance.char_alternatives``), or None.

    The cell's OCR lines are put side by side without their spaces; ``code`` must stand in
    them exactly once, character for character up to full-width folding, and every line
    it spans must carry alternatives (a line without them — too short to look like a
    code, or not OCR — says nothing, which is not the same as "nothing else seen").
    """
    if cell is None or not code:
        return None
    chars: list[str] = []
    alts: list[dict[str, float] | None] = []
    for line in cell.lines:
        noted = line.provenance.char_alternatives
        known = noted is not None and len(noted) == len(line.text)
        for k, char in enumerate(line.text):
            if not char.isspace():
                chars.append(unicodedata.normalize("NFKC", char)[:1] or char)
                alts.append(noted[k] if known else None)
    joined, wanted = "".join(chars), unicodedata.normalize("NFKC", code)
    at = joined.find(wanted)
    if len(wanted) != len(code) or at < 0 or joined.find(wanted, at + 1) >= 0:
        return None
    span = alts[at:at + len(code)]
    return None if any(a is None for a in span) else span  # type: ignore[return-value]


def _note_unread_row(seq_cell: Cell | None, result: _Result) -> None:
    """A numbered row whose name and code were not read: never dropped silently."""
    number = _seq(seq_cell)
    if number is None:
        return
    page = seq_cell.provenance.page if seq_cell is not None and seq_cell.provenance else None
    where = f"（第{page}页）" if page else ""
    result.problem("firms", "firm_row_unread",
                   f"企业名录序号 {number} 的一行未读出企业名称和信用代码{where}，请对照原件补录")


def _page_of(firm: dict[str, Any]) -> int | None:
    source = firm["sources"].get("name") or firm["sources"].get("uscc") or {}
    return source.get("page")


def _check_seq(firms: list[dict[str, Any]], result: _Result) -> None:
    """The 序号 column counts the rows: every number missing is a problem, with its page.

    The count is the highest number read (or the rows read, if more): a firm
    table never yields fewer rows than its numbers say without a problem that
    names the missing numbers and the page where they should be.
    """
    seqs = [f["seq"] for f in firms if f["seq"] is not None]
    if not seqs or seqs == list(range(1, len(seqs) + 1)):
        return
    missing = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
    if not missing:
        result.problem("firms", "seq_gap", "企业名录序号不连续：序号不连续或重复")
        return
    by_seq = {f["seq"]: f for f in firms if f["seq"] is not None}
    parts = []
    for number in missing[:10]:
        before = max((n for n in by_seq if n < number), default=None)
        after = min((n for n in by_seq if n > number), default=None)
        pages = sorted({p for n in (before, after) if n is not None
                        and (p := _page_of(by_seq[n])) is not None})
        where = f"（第{'、'.join(map(str, pages))}页）" if pages else ""
        parts.append(f"{number}{where}")
    more = f"等{len(missing)}个" if len(missing) > 10 else ""
    result.problem("firms", "seq_gap",
                   f"企业名录序号不连续：缺少序号 {'、'.join(parts)}{more}，读出{len(firms)}行，"
                   f"序号到{max(seqs)}，请对照原件补录")


def _check_firm_list(firms: list[dict[str, Any]], result: _Result) -> None:
    _check_seq(firms, result)
    seen: dict[str, int] = {}
    for i, firm in enumerate(firms):
        key = firm["uscc"] or re.sub(r"[\s()（）]", "", firm["name"])
        if key and key in seen:
            result.problem(f"firms[{i}]", "firm_duplicate",
                           f"企业名录第{i + 1}行与第{seen[key] + 1}行是同一企业：{firm['name']}")
        elif key:
            seen[key] = i
    if len(firms) < 5:
        result.problem("firms", "too_few_firms", f"新赛道企业不足5家（仅{len(firms)}家）")


def _level(text: str) -> str:
    folded = clean_value(text)
    letters = re.sub(r"[^\u4e00-\u9fff]", "", folded)  # OCR noise: 自治区1级
    for level in _PLATFORM_LEVELS:
        if level in folded or level in letters:
            return level
    return folded


def _year(text: str) -> int | None:
    match = re.search(r"(19|20)\d{2}", clean_value(text)) or _ocr_year(text)
    if match:
        return int(match.group(0))
    from saidao.extractors.normalize import cn_to_int

    value = cn_to_int(re.sub(r"年.*", "", clean_value(text)))
    return value if value and 1950 <= value <= 2100 else None


def _ocr_year(text: str) -> re.Match[str] | None:
    """A year whose digits OCR read as lookalike letters (2O21, 2Ol9年); all four must read as digits."""
    return re.search(r"(?<![0-9])(19|20)\d{2}(?![0-9])", digits_of(clean_value(text)))


def read_platforms(doc: Document, result: _Result,
                   firms: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    listing = collect_listing(doc, PLATFORM_COLUMNS, {"name", "level"}) or collect_listing(
        doc, PLATFORM_COLUMNS, {"name", "host"}
    )
    if listing is None:
        return []
    platforms: list[dict[str, Any]] = []
    for cells, _ in listing.rows:
        get = {key: _field(cells, listing.columns, key) for key in PLATFORM_COLUMNS}
        if not _text(get["name"]):
            continue
        year_text = _text(get["year"])
        year = _year(year_text) if year_text else None
        index = len(platforms)
        platforms.append({
            "seq": _seq(get["seq"]),
            "name": _value(get["name"], "name"),
            "host": _value(get["host"], "host"),
            "level": _level(_text(get["level"])),
            "year": year,
            "certifier": _text(get["certifier"]),
            "research": _cell_text(get["research"]) if get["research"] else "",
            "extra": _extra(cells, listing),
        })
        if year_text and year is None:
            result.problem(f"platforms[{index}].year", "year_unreadable", f"认定年度无法识别：{year_text}")
        if get["host"] is not None and get["host"].provenance.origin == "ocr":
            _host_as_listed(platforms[-1], get["host"].provenance.confidence, firms or [])
    return platforms


def _host_as_listed(platform: dict[str, Any], confidence: float, firms: list[dict[str, Any]]) -> None:
    """An OCR'd 依托单位 one glyph off exactly one firm of the same form's firm table is that
    firm (the host of a track's platform is one of its listed firms, and the 名录 is where
    the form names it) — when the table's reading is the better supported one: restored
    from the division table, or read with at least the host's confidence. The platform's
    name, when it begins with the host's reading past the glyph that differs, follows.
    The readings are kept (``host_printed``, ``name_printed``) with the reason."""
    host = platform["host"]
    names = [f["name"] for f in firms]
    if not host or host in names:
        return
    near = [f for f in firms if f["name"] and one_glyph_off(host, f["name"], added=True)]
    if len(near) != 1:
        return
    firm = near[0]
    listed_confidence = (firm["sources"].get("name") or {}).get("confidence") or 0.0
    if not (firm.get("name_fix") or listed_confidence >= confidence):
        return
    listed = firm["name"]
    platform["host_printed"], platform["host"] = host, listed
    platform["host_fix"] = f"依托单位“{host}”与企业名录中的“{listed}”仅差一字且唯一，按名录更正"
    name = platform["name"]
    differs_at = len(os.path.commonprefix([host, listed]))
    shared = len(os.path.commonprefix([name, host]))  # the name begins with the host's reading …
    if shared > differs_at and shared >= 4:  # … past the glyph that differs
        platform["name_printed"] = name
        platform["name"] = listed[:shared + len(listed) - len(host)] + name[shared:]


# --------------------------------------------------------------------- long texts
_PLAN_HEADING = re.compile(r"实施方案|培育方案")
_ATTEST_HEADING = re.compile(r"真实性声明|真实性承诺")


def _block_lines(block: Paragraph | Table) -> list[str]:
    """A block's lines for the wrap repair: a text layer's paragraph as its reader joined
    it (the reader saw where lines end), OCR'd lines one by one (their grouping is a guess)."""
    if isinstance(block, Paragraph):
        if block.lines and block.provenance.origin != "text":
            return [line.text for line in block.lines]
        return [block.text]
    return [cell.text for cell in block.cells]


_SECTION_NUMBER = re.compile(r"^[一二三四五六七八九十]+[、.．,，]?\s*")


def _is_attest_heading(line: str) -> bool:
    """A line that is the 真实性声明 heading (``五、真实性声明``): OCR may group the
    page's last line, the next section's heading, with the paragraph above it. One
    glyph of the heading may be misread or lost (五、实性声明)."""
    rest = _SECTION_NUMBER.sub("", line.replace(" ", ""))
    return len(rest) <= 8 and (bool(_ATTEST_HEADING.match(rest)) or _one_glyph_from_attest(rest))


_ATTEST_WORDS = ("真实性声明", "真实性承诺")


def _one_glyph_from_attest(text: str) -> bool:
    """``text`` is 真实性声明 (or 真实性承诺) with one character changed or lost."""
    return any(one_glyph_off(text, word) for word in _ATTEST_WORDS)


def read_plan(doc: Document) -> _Found:
    """The body between the 实施方案 heading and the 真实性声明, wraps repaired."""
    blocks = [b for b in doc.blocks if isinstance(b, Paragraph | Table)]
    start = next((i for i, b in enumerate(blocks) if isinstance(b, Paragraph)
                  and _PLAN_HEADING.search(b.text) and len(clean_value(b.text)) < 80), None)
    if start is None:
        return _Found("")
    lines: list[str] = []
    first_prov = None
    for block in blocks[start + 1:]:
        if _ATTEST_HEADING.search(block.text[:40]) or (isinstance(block, Table) and _ATTEST_HEADING.search(block.text)):
            break
        if isinstance(block, Table) and len(block.cells) > 1:
            break  # the plan is prose; a real table here is the next section
        first_prov = first_prov or block.provenance
        block_lines = [clean_value(line) for line in _block_lines(block) if line.strip()]
        ends = next((i for i, line in enumerate(block_lines) if _is_attest_heading(line)), None)
        lines.extend(block_lines[:ends])
        if ends is not None:
            break
    text = "\n".join(pair_quotes(p.text) for p in repair_lines(lines))
    return _Found(text, first_prov)


# --------------------------------------------------------------------- attestation
def _attestation_cells(doc: Document) -> dict[str, tuple[str, Provenance | None, Cell | None]]:
    """'attestation' and 'recommendation': their text, where it was, and the cell if any."""
    found: dict[str, tuple[str, Provenance | None, Cell | None]] = {}
    for table in doc.tables:
        for row in table.rows():
            for i, cell in enumerate(row):
                key = clean_value(cell.text).replace(" ", "")
                target = "attestation" if (_ATTEST_HEADING.search(key) or _one_glyph_from_attest(key)) \
                    and len(key) < 12 else (
                    "recommendation" if "推荐意见" in key and len(key) < 24 else None)
                if target and target not in found and i + 1 < len(row):
                    value = row[i + 1]
                    found[target] = (value.text, value.provenance, value)
    if "attestation" not in found:  # laid out as paragraphs
        paragraphs = doc.paragraphs
        for i, para in enumerate(paragraphs):
            if "本单位承诺" in para.text:
                tail = [p.text for p in paragraphs[i:i + 4]]
                text = "\n".join(t for t in tail if "推荐" not in t)
                found["attestation"] = (text, para.provenance, None)
                break
    return found


Region = tuple[int, tuple[float, float, float, float] | None]  # page, bbox (None: whole page)


def _regions(prov: Provenance | None, following: Provenance | None) -> list[Region]:
    """Where a statement lies: its cell, plus the top of the next page when the row
    was split by a page break (the next statement then starts on a later page)."""
    if prov is None or prov.page is None:
        return []
    regions: list[Region] = [(prov.page, prov.bbox)]
    if following is not None and following.page and following.page > prov.page:
        top = following.bbox[1] if following.bbox else None
        regions.append((following.page, (0.0, 0.0, 1e6, top) if top is not None else None))
    return regions


def _sealed(doc: Document, regions: list[Region], cell: Cell | None) -> bool:
    """A red seal on the statement: an image the reader took for a seal, or a seal over its area."""
    if cell is not None and any(getattr(b, "description", "") == "seal" for b in cell.blocks):
        return True
    seals = {p.number: p.seals for p in doc.pages}
    for page, box in regions:
        for seal in seals.get(page, []):
            if box is None or _overlaps(seal, box):
                return True
    return False


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def read_attestation(doc: Document) -> dict[str, dict[str, Any]]:
    found = _attestation_cells(doc)
    out: dict[str, dict[str, Any]] = {}
    following = {"attestation": found.get("recommendation", ("", None, None))[1], "recommendation": None}
    for key in ("attestation", "recommendation"):
        text, prov, cell = found.get(key, ("", None, None))
        date = _form_date(_last_date_text(text)) if text else None
        out[key] = {
            "present": bool(clean_value(text)) and (key != "attestation" or "承诺" in text),
            "sealed": _sealed(doc, _regions(prov, following[key]), cell),
            "date": date.isoformat() if date else None,
            "source": _source(prov),
        }
    return out


def _last_date_text(text: str) -> str:
    """The statement's date is its last line that holds one."""
    for line in reversed(clean_value(text).splitlines()):
        if _form_date(line):
            return line
    return clean_value(text)


def _form_date(text: str) -> Any:
    """A date a form carries, in any written form, OCR's usual misreadings included."""
    return parse_ocr_date(text)


# --------------------------------------------------------------------- assembly
UNIT_FIELDS = ("name", "address", "contact", "postcode", "department", "title", "phone", "mobile", "fax", "email")
_UNIT_ZH = UNIT_FIELD_LABELS  # saidao.vocab: the one list of staff-facing labels
_REQUIRED_UNIT = UNIT_FIELDS  # the form asks for every one of them


def _track(name: str, direction: str | None, result: _Result) -> dict[str, Any]:
    from saidao.extractors.track_name import parse_track_name

    parsed = parse_track_name(name, direction).to_dict()
    for problem in parsed.pop("problems", []):
        result.problem("track_name", problem.get("code", "track"), problem.get("message", ""))
    return parsed


def _zone(printed: str, unit_name: str) -> dict[str, Any]:
    from saidao.corpus.zones import registry

    zones = registry()
    zone = zones.resolve_ocr(printed) if printed else None
    if zone is None and unit_name:
        zone = zones.resolve_ocr(re.sub(r"(管理委员会|管委会)$", "", unit_name))
    return {"printed": printed, "id": zone.id if zone else None, "name": zone.name if zone else None}


#: Unit fields whose shape a misread can break and a unique reading can restore.
_SHAPED = (("postcode", _POSTCODE, ""), ("mobile", _MOBILE, ""), ("phone", _PHONE, "-转"),
           ("fax", _PHONE, "-转"))


def _repair_unit(unit: dict[str, str], result: _Result) -> None:
    """E-mail and numbers whose shape OCR broke, and an OCR'd contact's surname, repaired where
    one reading fits.

    The printed value stays in the field's source (``printed``, ``repair``);
    a value with no unique repair is left as printed for _check_unit to report.
    """
    for key, shape, keep in _SHAPED:
        if unit[key] and (fixed := repair_digits(unit[key], shape, keep=keep)):
            unit[key] = _repaired(result, key, fixed)
    if unit["email"] and (fixed := repair_email(unit["email"])):  # also l63.com, a shape that fits
        unit["email"] = _repaired(result, "email", fixed)
    if unit["email"] and _read_by_ocr(result.basic.get("email")) and \
            (fixed := letter_l_in_local_part(unit["email"])):
        unit["email"] = _repaired(result, "email", fixed)
    if unit["contact"] and _read_by_ocr(result.basic.get("contact")) and \
            (fixed := restore_surname(unit["contact"])):
        unit["contact"] = _repaired(result, "contact", fixed)


def _repaired(result: _Result, key: str, fixed: Repair) -> str:
    """Record an OCR repair of ``key`` and return its value; a second repair of the same
    field keeps the value as first printed and both reasons."""
    earlier = result.repairs.get(key)
    if earlier is not None:
        fixed = Repair(fixed.value, earlier.printed, f"{earlier.why}；{fixed.why}")
    result.repairs[key] = fixed
    return fixed.value


def _read_by_ocr(found: _Found | None) -> bool:
    return found is not None and found.provenance is not None and found.provenance.origin == "ocr"


def _note_repairs(sources: dict[str, Any], result: _Result) -> dict[str, Any]:
    """Keep the printed value of every repaired field in its source (raw never lost)."""
    for key, fixed in result.repairs.items():
        sources[key] = {**(sources.get(key) or {}), "printed": fixed.printed, "repair": fixed.why}
    return sources


def _check_unit(unit: dict[str, str], result: _Result) -> None:
    for key in _REQUIRED_UNIT:
        if not unit[key]:
            result.problem(f"unit.{key}", "blank", f"未填写{_UNIT_ZH[key]}")
    checks = (("postcode", _POSTCODE, "邮编应为6位数字"), ("mobile", _MOBILE, "移动电话格式不正确"),
              ("phone", _PHONE, "固定电话格式不正确"), ("fax", _PHONE, "传真号码格式不正确"),
              ("email", _EMAIL, "电子邮箱格式不正确"))
    for key, pattern, message in checks:
        value = unit[key].replace(" ", "")
        if value and not pattern.match(value):
            result.problem(f"unit.{key}", f"bad_{key}", f"{message}：{unit[key]}")


def _prose_restored(found: _Found, key: str, result: _Result, names: Sequence[str]) -> _Found:
    """An OCR'd long text with its place names restored as in firm names
    (``firm_place.restore_places``: right after a division read exactly, one glyph off
    exactly one division under it), then its lookalike glyphs where the word list says so
    (``ocr_words.restore_words``; the form's own firm and platform names are left as
    read). The reading is kept as the field's repair."""
    if not found.value or not _read_by_ocr(found):
        return found
    text, place_fixes = restore_places(found.value)
    text, word_fixes = restore_words(text, keep=names)
    reasons = [f.why for f in place_fixes] + ([words_why(word_fixes)] if word_fixes else [])
    if not reasons:
        return found
    result.repairs[key] = Repair(text, found.value, "；".join(reasons))
    return _Found(text, found.provenance)


def _long_text(found: _Found, limit: int, field_name: str, label: str, result: _Result) -> dict[str, Any]:
    chars = nonspace_chars(found.value)
    if not chars:
        result.problem(field_name, "blank", f"未填写{label}")
    elif chars > limit:
        result.problem(field_name, f"{field_name}_over_limit", f"{label}超过{limit}字（{chars}字）")
    source = _source(found.provenance)
    if source is not None and (fixed := result.repairs.get(field_name)) is not None:
        source = {**source, "printed": fixed.printed, "repair": fixed.why}
    return {"text": found.value, "chars": chars, "over_limit": chars > limit, "source": source}


def extract_declaration(doc: Document, known_codes: Iterable[str] = ()) -> dict[str, Any]:
    """The contract's declaration JSON for one document (``kind`` and ``source`` excepted)."""
    result = _Result()
    read_header(doc, result)
    table = find_basic_table(doc)
    if table is not None:
        read_basic_table(table, result)
    else:
        result.problem("basic", "basic_table_missing", "未找到“新赛道基本情况”表")

    header = {key: result.header[key].value if key in result.header else "" for key in HEADER_LABELS}
    track_name = (result.basic.get("track_name") or _Found("")).value or header["track_name"]
    if header["track_name"] and result.basic.get("track_name") and \
            _compact(header["track_name"]) != _compact(result.basic["track_name"].value):
        result.problem("track_name", "track_name_mismatch",
                       f"表头与基本情况表中的新赛道名称不一致：{header['track_name']} / {track_name}")
    if not track_name:
        result.problem("track_name", "blank", "未填写新赛道名称")
    if not result.direction:
        chosen = "、".join(result.direction_checked)
        result.problem("track.direction", "direction_unclear",
                       f"所属方向勾选了多项：{chosen}" if chosen else "未勾选所属方向")

    unit = {key: (result.basic.get(key) or _Found("")).value for key in UNIT_FIELDS}
    _repair_unit(unit, result)
    _check_unit(unit, result)
    filled = _form_date(header["filled_at"]) if header["filled_at"] else None
    if not header["filled_at"]:
        result.problem("filled_at", "blank", "未填写填报时间")
    elif filled is None:
        result.problem("filled_at", "bad_date", f"填报时间无法识别：{header['filled_at']}")
    if not header["zone"]:
        result.problem("zone", "blank", "未填写高新区名称")

    firms = read_firms(doc, result, known_codes)
    platforms = read_platforms(doc, result, firms)
    names = [x["name"] for x in (*firms, *platforms) if x.get("name")]
    measures = _long_text(_prose_restored(result.basic.get("measures") or _Found(""), "measures", result, names),
                          MEASURES_LIMIT, "measures", "新赛道培育的举措及成效", result)
    plan = _long_text(_prose_restored(read_plan(doc), "plan", result, names), PLAN_LIMIT, "plan",
                      "新赛道培育实施方案", result)
    statements = read_attestation(doc)
    attestation = statements["attestation"]
    if not attestation["present"]:
        result.problem("attestation", "blank", "缺少真实性声明")
    else:
        if not attestation["sealed"]:
            result.problem("attestation.sealed", "seal_missing", "真实性声明未加盖公章")
        if not attestation["date"]:
            result.problem("attestation.date", "date_missing", "真实性声明未填写日期")

    zone = _zone(header["zone"], unit["name"])
    if (header["zone"] or unit["name"]) and zone["id"] is None:
        result.problem("zone", "zone_unknown", f"高新区名称无法识别：{header['zone'] or unit['name']}")
    return {
        "track_name": track_name,
        "track": _track(track_name, result.direction, result),
        "zone": zone,
        "filled_at": filled.isoformat() if filled else None,
        "header": header,
        "unit": unit,
        "measures": measures,
        "firms": firms,
        "platforms": platforms,
        "plan": plan,
        "attestation": attestation,
        "recommendation": statements["recommendation"],
        "problems": result.problems,
        "sources": _note_repairs({key: _source(found.provenance) for key, found in
                                  {**{f"header.{k}": v for k, v in result.header.items()},
                                   **result.basic}.items()}, result),
    }


def _compact(text: str) -> str:
    return re.sub(r"[\s+＋【】\[\]]", "", fold_width(text))

"""The OFD reader (GB/T 33190-2016, the national fixed-layout format), over lxml.

An OFD file is a zip container of XML parts::

    OFD.xml ── DocBody/DocRoot ──► Doc_0/Document.xml
                                    ├─ CommonData: PageArea (default page box), PublicRes /
                                    │  DocumentRes (fonts, composite graphic units), TemplatePage
                                    └─ Pages/Page BaseLoc ──► Pages/Page_N/Content.xml
                                         Area/PhysicalBox, Template refs,
                                         Content/Layer: TextObject (TextCode X Y DeltaX DeltaY),
                                         PathObject (AbbreviatedData), PageBlock, CompositeObject

Coordinates are millimetres from the top-left corner; an object's CTM maps
its own space into the box given by ``Boundary``. Each character is placed at
``X + ΣDeltaX`` (the ``g n v`` shorthand expanded) on the baseline ``Y`` of its
``TextCode``, then mapped by the CTM and moved to the boundary's origin; the
page keeps the characters as PDF points (×72/25.4) so the rest of the work is
the PDF reader's: characters → lines → paragraphs (first-line indent, short
last line), running heads and page numbers (``— 2 —``) to headers/footers,
paragraphs continued over a page break joined, ruled tables continued over a
page break joined. Tables come from the page's ruling lines (PathObject line
and rectangle segments): rule positions, then spans where a rule is missing,
through ``readers.grid`` as for scanned pages.
Electronic seals (``Signatures`` → ``StampAnnot``) are the pages' ``seals``.

Why not a package: ``ofdkit`` (0.2, the maintained candidate) reads text runs
with positions, templates and CTMs correctly, but exposes neither PathObjects
(so no tables) nor fonts, and would parse each page a second time for the
rules; ``easyofd`` is a converter to PDF/images on PyMuPDF (AGPL) with
``xmltodict`` keyed on the ``ofd:`` prefix. See ``docs/architecture.md``.

Hostile input: the container passes ``zipguard`` (bomb ratio, total size,
member count, unsafe names) before anything is inflated; parts are parsed
without DTD loading, entity expansion or network access; objects, glyphs,
nesting and pages are bounded; a missing or broken page is a problem on that
page, a missing ``OFD.xml``/``Document.xml`` is ``corrupt`` with its reason.
"""

from __future__ import annotations

import math
import posixpath
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import lxml.etree as etree

from saidao.document import Document, PageInfo, Provenance
from saidao.errors import SaidaoError
from saidao.ingest.readers.grid import (
    Grid,
    GridCell,
    joined_cells,
    make_grid,
    merge_positions,
)
from saidao.ingest.readers.pdf import (  # the PDF reader's layout steps, shared
    Char,
    PageText,
    assemble_pages,
    box_glyph,
    build_table,
    in_any,
    page_lines,
)
from saidao.ingest.zipguard import open_zip, safe_members
from saidao.settings import ReadSettings

MM = 72 / 25.4  # points per millimetre
#: Largest XML part read (a dense page is a few hundred KB).
MAX_PART_BYTES = 32 * 1024 * 1024
#: Objects (text, path, block) per document and characters per page.
MAX_OBJECTS = 500_000
MAX_CHARS_PER_PAGE = 100_000
#: PageBlock / CompositeObject nesting followed.
MAX_NESTING = 16
A4 = (0.0, 0.0, 210.0, 297.0)

Affine = tuple[float, float, float, float, float, float]
IDENTITY: Affine = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
Segment = tuple[float, float, float, float]  # x0, y0, x1, y1 in points


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el: etree._Element | None, name: str) -> list[etree._Element]:
    if el is None:
        return []
    return [c for c in el if _local(c) == name]


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _numbers(value: str | None) -> list[float]:
    out: list[float] = []
    for part in (value or "").replace(",", " ").split():
        try:
            number = float(part)
        except ValueError:
            continue
        if math.isfinite(number):
            out.append(number)
    return out


def _box(value: str | None) -> tuple[float, float, float, float] | None:
    n = _numbers(value)
    return (n[0], n[1], n[2], n[3]) if len(n) >= 4 else None


def deltas(value: str | None, count: int) -> list[float]:
    """A DeltaX/DeltaY list with the ``g <n> <v>`` shorthand expanded, at most ``count`` long."""
    tokens = (value or "").split()
    out: list[float] = []
    i = 0
    while i < len(tokens) and len(out) < count:
        if tokens[i] == "g" and i + 2 < len(tokens):
            n, v = _float(tokens[i + 1]), _float(tokens[i + 2])
            if n is not None and v is not None:
                out.extend([v] * max(0, min(int(n), count - len(out))))
            i += 3
            continue
        number = _float(tokens[i])
        if number is not None:
            out.append(number)
        i += 1
    return out


def _float(token: str) -> float | None:
    try:
        number = float(token)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def compose(outer: Affine, inner: Affine) -> Affine:
    """The transform applying ``inner`` first, then ``outer``."""
    a1, b1, c1, d1, e1, f1 = outer
    a, b, c, d, e, f = inner
    return (
        a1 * a + c1 * b,
        b1 * a + d1 * b,
        a1 * c + c1 * d,
        b1 * c + d1 * d,
        a1 * e + c1 * f + e1,
        b1 * e + d1 * f + f1,
    )


def _apply(m: Affine, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def object_transform(el: etree._Element) -> Affine:
    """Object space → parent space: the CTM, then the move to the Boundary's origin."""
    box = _box(el.get("Boundary")) or (0.0, 0.0, 0.0, 0.0)
    ctm = _numbers(el.get("CTM"))
    a, b, c, d, e, f = ctm[:6] if len(ctm) >= 6 else IDENTITY
    return (a, b, c, d, e + box[0], f + box[1])


# --------------------------------------------------------------------------- the package
class _Package:
    """The container: guarded members, case-insensitive lookup, parts parsed once."""

    def __init__(self, path: Path, settings: ReadSettings) -> None:
        self.path = path
        self.zip = open_zip(path)
        try:
            self.members = {
                info.filename.replace("\\", "/").lstrip("/"): info
                for info in safe_members(self.zip, settings, path)
            }
        except Exception:
            self.zip.close()
            raise
        self.folded = {name.casefold(): name for name in self.members}
        self.cache: dict[str, etree._Element | None] = {}
        self.problems: list[str] = []
        self.unread: list[str] = []  # for staff: parts not read (``Document.unread``)

    def close(self) -> None:
        self.zip.close()

    def resolve(self, base: str, location: str) -> str | None:
        """A location written in part ``base`` as a member name: relative to ``base``'s folder,
        or to the root when absolute — and, as producers get it wrong, tried the other way too."""
        location = location.strip().replace("\\", "/")
        if not location:
            return None
        folder = posixpath.dirname(base)
        candidates = (
            [location.lstrip("/")]
            if location.startswith("/")
            else [posixpath.normpath(posixpath.join(folder, location)), location]
        )
        for candidate in candidates:
            name = self.folded.get(posixpath.normpath(candidate).casefold())
            if name is not None:
                return name
        return None

    def xml(self, name: str | None, required: str = "") -> etree._Element | None:
        """The parsed part, or None (missing or broken: a problem, or ``corrupt`` if required)."""
        if name is None:
            if required:
                raise SaidaoError("corrupt", self.path, f"OFD 缺少 {required}")
            return None
        if name in self.cache:
            return self.cache[name]
        info = self.members[name]
        root = None
        if info.file_size > MAX_PART_BYTES:
            self.problems.append(f"{name}: part larger than {MAX_PART_BYTES} bytes skipped")
            self.unread.append(f"文件中的 {name} 超过 {MAX_PART_BYTES // (1 << 20)} MB，未读取")
        else:
            try:
                root = _parse(self.zip.read(info))
            except (etree.XMLSyntaxError, zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
                self.problems.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
                self.unread.append(f"文件中的 {name} 已损坏，未能读取")
        if root is None and required:
            raise SaidaoError("corrupt", self.path, f"OFD 的 {required} 无法解析")
        self.cache[name] = root
        return root


#: What every part is parsed with: no entities, no DTD, no network, no huge trees.
_SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
         "remove_comments": True, "remove_pis": True}
_PARSER = etree.XMLParser(**_SAFE)
_RECOVER = etree.XMLParser(**_SAFE, recover=True)


def _parse(data: bytes) -> etree._Element | None:
    """Strict parse, then libxml2's recovery for producers' broken XML; no DTD, no entities."""
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        root = etree.fromstring(data, _RECOVER)
        if root is None:
            raise
        return root


# --------------------------------------------------------------------------- one page's objects
@dataclass(slots=True)
class _PageObjects:
    chars: list[Char] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    objects: int = 0


class _Content:
    """Walks Content.xml layers (and templates, page blocks, composite units) into characters and rules."""

    def __init__(
        self, package: _Package, units: dict[str, tuple[str, etree._Element]], budget: list[int]
    ) -> None:
        self.package = package
        self.units = units  # CompositeGraphicUnit ID -> (part name, element)
        self.budget = budget  # objects left for the whole document (shared)

    def walk(self, root: etree._Element, out: _PageObjects) -> None:
        for layer in _children(_child(root, "Content"), "Layer"):
            self._objects(list(layer), IDENTITY, out, 0)

    def _objects(
        self, elements: list[etree._Element], m: Affine, out: _PageObjects, depth: int
    ) -> None:
        for el in elements:
            if self.budget[0] <= 0:
                raise SaidaoError("too_large", self.package.path, f"OFD 对象超过 {MAX_OBJECTS} 个")
            self.budget[0] -= 1
            name = _local(el)
            if name == "TextObject":
                self._text_object(el, m, out)
            elif name == "PathObject":
                self._path_object(el, m, out)
            elif depth >= MAX_NESTING:
                continue
            elif name == "PageBlock":
                self._objects(list(el), m, out, depth + 1)
            elif name == "CompositeObject":
                unit = self.units.get((el.get("ResourceID") or "").strip())
                if unit is not None:
                    content = _child(unit[1], "Content")
                    if content is not None:
                        self._objects(
                            list(content), compose(m, object_transform(el)), out, depth + 1
                        )

    def _text_object(self, el: etree._Element, outer: Affine, out: _PageObjects) -> None:
        m = compose(outer, object_transform(el))
        size = _numbers(el.get("Size"))
        em = size[0] if size else 3.5
        scale = math.sqrt(abs(m[0] * m[3] - m[1] * m[2])) or 1.0
        x = y = 0.0
        for code in _children(el, "TextCode"):
            text = code.text or ""
            xs, ys = _numbers(code.get("X")), _numbers(code.get("Y"))
            x = xs[0] if xs else x
            y = ys[0] if ys else y
            dx = deltas(code.get("DeltaX"), max(len(text) - 1, 0))
            dy = deltas(code.get("DeltaY"), max(len(text) - 1, 0))
            gx, gy = x, y
            for i, ch in enumerate(text):
                advance = dx[i] if i < len(dx) else (em if _wide(ch) else em / 2)
                if not ch.isspace() and ch.isprintable():
                    self._char(out, ch, m, gx, gy, advance if advance > 0 else em, em, scale)
                gx += advance
                gy += dy[i] if i < len(dy) else 0.0
            x, y = gx, gy  # a TextCode without X/Y continues where the last one ended

    def _char(
        self,
        out: _PageObjects,
        ch: str,
        m: Affine,
        gx: float,
        gy: float,
        advance: float,
        em: float,
        scale: float,
    ) -> None:
        if len(out.chars) >= MAX_CHARS_PER_PAGE:
            return
        (xa, ya), (xb, yb) = _apply(m, gx, gy - 0.88 * em), _apply(m, gx + advance, gy + 0.12 * em)
        x0, x1 = (xa, xb) if xa <= xb else (xb, xa)
        top, bottom = (ya, yb) if ya <= yb else (yb, ya)
        glyph = box_glyph(ch)
        out.chars.append(
            Char(
                glyph or ch,
                x0 * MM,
                top * MM,
                x1 * MM,
                bottom * MM,
                em * scale * MM,
                ch if glyph else "",
            )
        )

    def _path_object(self, el: etree._Element, outer: Affine, out: _PageObjects) -> None:
        """Segments of a stroked path, or a thin filled bar drawn as a rule (table rules)."""
        stroke = (el.get("Stroke") or "true").strip().lower() != "false"
        fill = (el.get("Fill") or "false").strip().lower() == "true"
        if not stroke and not fill:
            return
        m = compose(outer, object_transform(el))
        points = []
        segments = []
        for a, b in path_segments(_text(_child(el, "AbbreviatedData"))):
            (x0, y0), (x1, y1) = _apply(m, *a), _apply(m, *b)
            segments.append((x0 * MM, y0 * MM, x1 * MM, y1 * MM))
            points += [(x0 * MM, y0 * MM), (x1 * MM, y1 * MM)]
        if stroke:
            out.segments.extend(segments)
        elif points:  # a filled shape counts only as a bar thinner than 1.5 pt
            left, right = min(p[0] for p in points), max(p[0] for p in points)
            top, bottom = min(p[1] for p in points), max(p[1] for p in points)
            if bottom - top <= 1.5 < right - left:
                out.segments.append((left, (top + bottom) / 2, right, (top + bottom) / 2))
            elif right - left <= 1.5 < bottom - top:
                out.segments.append(((left + right) / 2, top, (left + right) / 2, bottom))


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F", "A")  # “” 、 are full-width in CJK fonts


def path_segments(data: str) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Straight segments of an AbbreviatedData path (M, L, C/close; curves skipped)."""
    tokens = data.split()
    out: list[tuple[tuple[float, float], tuple[float, float]]] = []
    i = 0
    start = current = (0.0, 0.0)
    takes = {"M": 2, "S": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0, "Z": 0}
    while i < len(tokens) and len(out) < 10_000:
        op = tokens[i]
        need = takes.get(op)
        if need is None:
            i += 1
            continue
        args = _numbers(" ".join(tokens[i + 1 : i + 1 + need]))
        i += 1 + need
        if len(args) < need:
            break
        if op in ("M", "S"):
            start = current = (args[0], args[1])
        elif op == "L":
            point = (args[0], args[1])
            out.append((current, point))
            current = point
        elif op in ("C", "Z"):
            if current != start:
                out.append((current, start))
            current = start
        else:
            current = (args[-2], args[-1])
    return out


# --------------------------------------------------------------------------- tables from rules
def ruled_grids(segments: list[Segment], tol: float = 2.0) -> list[Grid]:
    """Tables: bundles of touching horizontal and vertical rules, 2+ each way.

    Rule positions are merged within ``tol`` points; two neighbouring grid
    positions belong to one (merged) cell when no rule separates them over
    most of their shared side.
    """
    horizontal = [
        (min(x0, x1), y0, max(x0, x1))
        for x0, y0, x1, y1 in segments
        if abs(y1 - y0) <= 0.5 and abs(x1 - x0) > tol
    ]
    vertical = [
        (min(y0, y1), x0, max(y0, y1))
        for x0, y0, x1, y1 in segments
        if abs(x1 - x0) <= 0.5 and abs(y1 - y0) > tol
    ]
    groups = _bundles(horizontal, vertical, tol)
    grids = []
    for hs, vs in groups:
        ys = merge_positions([y for _, y, _ in hs], tol)
        xs = merge_positions([x for _, x, _ in vs], tol)
        if len(xs) < 2 or len(ys) < 2 or (len(xs) < 3 and len(ys) < 3):
            continue  # a framed box alone is no table
        cells = _cells(hs, vs, xs, ys, tol)
        grids.append(make_grid((xs[0], ys[0], xs[-1], ys[-1]), xs, ys, cells))
    return sorted(grids, key=lambda g: (g.box[1], g.box[0]))


def _bundles(
    horizontal: list[tuple[float, float, float]],
    vertical: list[tuple[float, float, float]],
    tol: float,
) -> list[tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]]:
    """Connected groups of rules (a horizontal and a vertical rule touching are connected)."""
    n = len(horizontal)
    parent = list(range(n + len(vertical)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (hx0, hy, hx1) in enumerate(horizontal):
        for j, (vy0, vx, vy1) in enumerate(vertical):
            if hx0 - tol <= vx <= hx1 + tol and vy0 - tol <= hy <= vy1 + tol:
                parent[find(n + j)] = find(i)
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vertical):
        groups.setdefault(find(n + j), ([], []))[1].append(v)
    return [g for g in groups.values() if g[0] and g[1]]


def _covered(
    rules: list[tuple[float, float, float]], at: float, lo: float, hi: float, tol: float
) -> bool:
    """Whether rules at position ``at`` cover most of [lo, hi]."""
    pieces = sorted((max(a, lo), min(b, hi)) for a, pos, b in rules if abs(pos - at) <= tol)
    covered, end = 0.0, lo
    for a, b in pieces:
        if b > end:
            covered += b - max(a, end)
            end = b
    return covered >= 0.6 * (hi - lo)


def _cells(
    hs: list[tuple[float, float, float]],
    vs: list[tuple[float, float, float]],
    xs: list[float],
    ys: list[float],
    tol: float,
) -> list[GridCell]:
    return joined_cells(
        xs, ys,
        lambda r, c: not _covered(vs, xs[c + 1], ys[r], ys[r + 1], tol),
        lambda r, c: not _covered(hs, ys[r + 1], xs[c], xs[c + 1], tol),
    )


# --------------------------------------------------------------------------- the reader
def read_ofd(path: Path, sha256: str, settings: ReadSettings) -> Document:
    """Read an OFD file into the document model (see the module docstring)."""
    package = _Package(Path(path), settings)
    try:
        return _read(package, sha256, settings)
    finally:
        package.close()


def _read(package: _Package, sha256: str, settings: ReadSettings) -> Document:
    path = package.path
    entry = package.folded.get("ofd.xml")
    ofd = package.xml(entry, required="OFD.xml")
    body = _child(ofd, "DocBody")
    doc_root = package.resolve("", _text(_child(body, "DocRoot"))) if body is not None else None
    document = package.xml(doc_root, required="Document.xml（DocRoot）")
    assert doc_root is not None and document is not None
    common = _child(document, "CommonData")
    default_box = _box(_text(_child(_child(common, "PageArea"), "PhysicalBox"))) or A4
    units = _composite_units(package, doc_root, common)
    templates = {
        (t.get("ID") or "").strip(): package.resolve(doc_root, t.get("BaseLoc") or "")
        for t in _children(common, "TemplatePage")
    }
    page_refs = _children(_child(document, "Pages"), "Page")
    if not page_refs:
        raise SaidaoError("corrupt", path, "OFD 文档没有页面（Pages 为空）")
    if len(page_refs) > settings.max_pages:
        raise SaidaoError("too_many_pages", path, f"{len(page_refs)} > {settings.max_pages}")
    budget = [MAX_OBJECTS]
    content = _Content(package, units, budget)
    pages: list[PageText] = []
    for number, ref in enumerate(page_refs, start=1):
        pages.append(_page(package, content, doc_root, ref, number, default_box, templates))
    page_ids = {(ref.get("ID") or "").strip(): n for n, ref in enumerate(page_refs, start=1)}
    for number, box in _stamps(package, body, page_ids):
        pages[number - 1].info.seals.append(box)
    doc = Document(path=str(path), sha256=sha256, format="ofd")
    assemble_pages(doc, pages)  # the PDF reader's: running heads, page breaks, tables joined
    if not any(b.text.strip() for b in doc.blocks if hasattr(b, "text")):
        doc.problems.append("no text objects: the pages may be images or outlines only")
    doc.problems.extend(package.problems)
    doc.unread.extend(package.unread)
    if package.problems:
        doc.status = "partial"
    return doc


def _stamps(
    package: _Package, body: etree._Element | None, page_ids: dict[str, int]
) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Electronic seals: each signature's StampAnnot as (page number, box in points).

    ``DocBody/Signatures`` → ``Signatures.xml`` → each ``Signature`` part →
    ``SignedInfo/StampAnnot`` (``PageRef`` = a page's ID, ``Boundary`` in mm).
    The seal's picture and the signature's validity are not looked at.
    """
    out = []
    index_part = (
        package.resolve("", _text(_child(body, "Signatures"))) if body is not None else None
    )
    signatures = package.xml(index_part)
    if signatures is None or index_part is None:
        return out
    for ref in _children(signatures, "Signature")[:100]:
        signature = package.xml(package.resolve(index_part, ref.get("BaseLoc") or ""))
        for stamp in _children(_child(signature, "SignedInfo"), "StampAnnot"):
            number = page_ids.get((stamp.get("PageRef") or "").strip())
            box = _box(stamp.get("Boundary"))
            if number is not None and box is not None:
                x, y, w, h = box
                out.append((number, (x * MM, y * MM, (x + w) * MM, (y + h) * MM)))
    return out


def _composite_units(
    package: _Package, doc_root: str, common: etree._Element | None
) -> dict[str, tuple[str, etree._Element]]:
    """CompositeGraphicUnits of the document's resource files, by ID."""
    units: dict[str, tuple[str, etree._Element]] = {}
    for name in ("PublicRes", "DocumentRes"):
        for ref in _children(common, name):
            part = package.resolve(doc_root, _text(ref))
            res = package.xml(part)
            if res is None or part is None:
                continue
            for holder in _children(res, "CompositeGraphicUnits"):
                for unit in _children(holder, "CompositeGraphicUnit"):
                    units[(unit.get("ID") or "").strip()] = (part, unit)
    return units


def _page(
    package: _Package,
    content: _Content,
    doc_root: str,
    ref: etree._Element,
    number: int,
    default_box: tuple[float, float, float, float],
    templates: dict[str, str | None],
) -> PageText:
    part = package.resolve(doc_root, ref.get("BaseLoc") or "")
    root = package.xml(part)
    box = default_box
    objects = _PageObjects()
    if root is None:
        package.problems.append(
            f"第 {number} 页内容缺失或无法解析（{ref.get('BaseLoc') or '无 BaseLoc'}）"
        )
    else:
        box = _box(_text(_child(_child(root, "Area"), "PhysicalBox"))) or default_box
        for tref in _children(root, "Template"):
            template = package.xml(templates.get((tref.get("TemplateID") or "").strip()))
            if template is not None:
                content.walk(template, objects)
        content.walk(root, objects)
    info = PageInfo(number=number, width=box[2] * MM, height=box[3] * MM)
    if root is None:
        info.unread = "页面内容缺失或无法解析"
    result = PageText(info)
    chars = objects.chars
    base = Provenance(file=str(package.path), page=number)
    areas = []
    for grid in ruled_grids(objects.segments):
        table = build_table(grid, chars, base)
        if sum(1 for cell in table.cells if cell.text.strip()) >= 2:  # not a frame or an ornament
            result.tables.append(table)
            areas.append(grid.bbox)
    result.lines = page_lines([c for c in chars if not in_any(c, areas)])
    return result


"""A WordprocessingML package opened lazily, for the .docx reader.

``docx.Document`` unmarshals the whole package: it inflates every part the
relationships reach and parses each XML part into python-docx's custom element
classes — including parts the reader never looks at (settings, the 400 KB
``stylesWithEffects.xml`` older Word versions write) and, in ``styles.xml``,
dozens of table styles. That alone cost about half of python-docx's "open and
read every paragraph" time on the fixtures.

This module keeps python-docx as the package loader — its physical reader
(zip or unpacked folder) and pack-URI resolution — but reads a part only when
asked and parses it with a plain lxml parser configured as python-docx's
(blank text removed, entities not resolved), so the elements are the same XML
without per-node proxy classes. The style sheet is reduced to the few facts the
reader uses (:class:`StyleTable`) and kept by content digest: a batch of forms
filled in from one template shares one style sheet.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PACKAGE_URI, PackURI
from docx.opc.phys_pkg import PhysPkgReader
from docx.oxml.simpletypes import ST_TwipsMeasure
from docx.styles import BabelFish
from lxml import etree

from saidao.errors import SaidaoError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"

#: Main-part content types read as Word documents: python-docx accepts only the
#: first by name; macro-enabled documents and templates have the same body XML.
WORD_MAIN_TYPES = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
})

#: python-docx's own parser settings, without its element-class lookup.
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
_FALSE_VALUES = frozenset({"0", "false", "off", "none"})
_CACHE_SIZE = 32


def parse_part(blob: bytes) -> etree._Element:
    """An XML part parsed as python-docx would parse it, as plain lxml elements."""
    return etree.fromstring(blob, _PARSER)


# -- small oxml helpers shared with the reader ----------------------------------------


def on_off(el: etree._Element | None) -> bool | None:
    """A WordprocessingML on/off property: None when absent."""
    if el is None:
        return None
    return (el.get(W + "val") or "true").lower() not in _FALSE_VALUES


def int_attr(parent: etree._Element | None, tag: str, default: int) -> int:
    """``w:val`` of the child ``tag`` as an int, ``default`` when absent or not a number."""
    el = parent.find(W + tag) if parent is not None else None
    if el is None:
        return default
    try:
        return int(el.get(W + "val", default))
    except ValueError:
        return default


def numpr(el: etree._Element | None) -> tuple[str | None, int | None]:
    """``(numId, ilvl)`` of a ``w:numPr``, each None when absent."""
    if el is None:
        return None, None
    num = el.find(W + "numId")
    lvl = el.find(W + "ilvl")
    num_id = num.get(W + "val") if num is not None else None
    ilvl = int_attr(el, "ilvl", 0) if lvl is not None else None
    return num_id, ilvl


# -- the style sheet ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StyleInfo:
    """What the reader needs of one ``w:style``."""

    style_id: str | None
    name: str | None  # the UI name ("Heading 1" for "heading 1"), as python-docx shows it
    kind: str  # w:type: paragraph (the default), character, table, numbering
    based_on: str | None
    bold: bool | None  # w:rPr/w:b of the style itself (numbering styles have no font)
    numpr: tuple[str | None, int | None]
    default: bool


@dataclass
class StyleTable:
    """Styles by id with the lookups the reader makes, memoised (the table is shared)."""

    styles: list[StyleInfo]
    _by_id: dict[str, StyleInfo] = field(default_factory=dict)
    _bold: dict[str, bool] = field(default_factory=dict)
    _list: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for style in self.styles:
            if style.style_id is not None:
                self._by_id.setdefault(style.style_id, style)  # the first one wins, as in Word

    def get(self, style_id: str | None) -> StyleInfo | None:
        return self._by_id.get(style_id) if style_id else None

    @property
    def names(self) -> dict[str, str]:
        """Style id → shown name (the id when unnamed)."""
        return {s.style_id: s.name or s.style_id for s in self.styles if s.style_id}

    @property
    def default_paragraph(self) -> StyleInfo | None:
        """The paragraph style marked default (the last one, if several are)."""
        found = None
        for style in self.styles:
            if style.kind == "paragraph" and style.default:
                found = style
        return found

    def bold(self, style_id: str | None) -> bool:
        """Whether a style, or the first of its bases that says, makes its text bold."""
        key = style_id or ""
        if key not in self._bold:
            self._bold[key] = next((s.bold for s in self._chain(style_id) if s.bold is not None), False)
        return self._bold[key]

    def list_numpr(self, style_id: str | None) -> tuple[str | None, int | None]:
        """``(numId, ilvl)`` a paragraph style (or its bases) puts its paragraphs in."""
        key = style_id or ""
        if key not in self._list:
            self._list[key] = next((s.numpr for s in self._chain(style_id) if s.numpr[0] is not None),
                                   (None, None))
        return self._list[key]

    def _chain(self, style_id: str | None) -> list[StyleInfo]:
        """The style and its ``basedOn`` ancestors (a cycle is cut where it closes)."""
        chain: list[StyleInfo] = []
        style = self.get(style_id)
        while style is not None and style not in chain:
            chain.append(style)
            style = self.get(style.based_on)
        return chain


def _style_info(el: etree._Element) -> StyleInfo:
    name_el = el.find(W + "name")
    name = name_el.get(W + "val") if name_el is not None else None
    based_el = el.find(W + "basedOn")
    kind = el.get(W + "type") or "paragraph"
    rpr = el.find(W + "rPr")
    bold = on_off(rpr.find(W + "b")) if rpr is not None and kind != "numbering" else None
    ppr = el.find(W + "pPr")
    return StyleInfo(
        style_id=el.get(W + "styleId"),
        name=BabelFish.internal2ui(name) if name is not None else None,
        kind=kind,
        based_on=based_el.get(W + "val") if based_el is not None else None,
        bold=bold,
        numpr=numpr(ppr.find(W + "numPr") if ppr is not None else None),
        default=el.get(W + "default") in ("1", "true"),
    )


def without_table_styles(xml: bytes) -> bytes:
    """``styles.xml`` with its table styles cut out before parsing.

    Table styles are most of a typical style sheet (python-docx's template has
    100 of its 164) and carry nothing the reader uses; cutting them at the
    byte level takes a fraction of what parsing them does. Only the usual
    ``w:`` prefix is handled; any other spelling is parsed whole.
    """
    if b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"' not in xml[:4096]:
        return xml
    kept: list[bytes] = []
    done = pos = 0
    while (start := xml.find(b"<w:style ", pos)) >= 0:
        head_end = xml.find(b">", start)
        if head_end < 0:
            break
        head = xml[start:head_end]
        if b'w:type="table"' not in head and b"w:type='table'" not in head:
            pos = head_end
            continue
        if head.endswith(b"/"):
            end = head_end + 1
        else:
            close = xml.find(b"</w:style>", head_end)
            if close < 0:
                break
            end = close + len(b"</w:style>")
        kept.append(xml[done:start])
        done = pos = end
    if not kept:
        return xml
    kept.append(xml[done:])
    return b"".join(kept)


def _digest(blob: bytes) -> bytes:
    return hashlib.blake2b(blob, digest_size=16).digest()


_STYLE_TABLES: OrderedDict[bytes, StyleTable] = OrderedDict()


def style_table(blob: bytes) -> StyleTable:
    """The :class:`StyleTable` of a ``styles.xml``, from the cache when seen before."""
    key = _digest(blob)
    table = _STYLE_TABLES.get(key)
    if table is None:
        root = parse_part(without_table_styles(blob))
        table = StyleTable([_style_info(el) for el in root.iterchildren(W + "style")])
        _STYLE_TABLES[key] = table
        if len(_STYLE_TABLES) > _CACHE_SIZE:
            _STYLE_TABLES.popitem(last=False)
    else:
        _STYLE_TABLES.move_to_end(key)
    return table


def _default_styles_blob() -> bytes:
    """python-docx's default style sheet, which it supplies when a package has none."""
    return (Path(docx.__file__).parent / "templates" / "default-styles.xml").read_bytes()


def clear_caches() -> None:
    """Forget the style sheets seen so far."""
    _STYLE_TABLES.clear()


# -- the package --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relationship:
    """One relationship of a part's ``.rels`` item."""

    rid: str
    reltype: str
    target: str  # a PackURI for an internal target, the raw reference for an external one
    external: bool


def _relationships(xml: bytes | None, base_uri: str) -> list[Relationship]:
    if not xml:
        return []
    rels = []
    for el in parse_part(xml).iterchildren(_PR + "Relationship"):
        external = el.get("TargetMode") == "External"
        ref = el.get("Target", "")
        target = ref if external else PackURI.from_rel_ref(base_uri, ref)
        rels.append(Relationship(el.get("Id", ""), el.get("Type", ""), target, external))
    return rels


def _content_type(types_xml: bytes, partname: str) -> str:
    """The content type ``[Content_Types].xml`` gives ``partname`` (override, else by extension)."""
    root = parse_part(types_xml)
    for el in root.iterchildren(_CT + "Override"):
        if el.get("PartName", "").lower() == partname.lower():
            return el.get("ContentType", "")
    ext = partname.rsplit(".", 1)[-1].lower()
    for el in root.iterchildren(_CT + "Default"):
        if el.get("Extension", "").lower() == ext:
            return el.get("ContentType", "")
    return ""


class WordPackage:
    """The main document part of a .docx and the parts it relates to, read on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader = PhysPkgReader(str(path))
        try:
            main = self._main_partname()
            self.document = parse_part(self._reader.blob_for(main))
            self.rels = _relationships(self._reader.rels_xml_for(main), main.baseURI)
        except BaseException:
            self._reader.close()
            raise
        self._blobs: dict[str, bytes] = {}

    def __enter__(self) -> WordPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._reader.close()

    def _main_partname(self) -> PackURI:
        rels = _relationships(self._reader.rels_xml_for(PACKAGE_URI), PACKAGE_URI.baseURI)
        main = next((r for r in rels if r.reltype == RT.OFFICE_DOCUMENT and not r.external), None)
        if main is None:
            raise SaidaoError("corrupt", self.path, "package without a main document part")
        kind = _content_type(self._reader.content_types_xml, main.target)
        if kind not in WORD_MAIN_TYPES:
            raise SaidaoError("corrupt", self.path, f"not a Word document: content type {kind[:120]}")
        return PackURI(main.target)

    @property
    def body(self) -> etree._Element:
        body = self.document.find(W + "body")
        if body is None:
            raise SaidaoError("corrupt", self.path, "word/document.xml without w:body")
        return body

    def blob(self, rid: str) -> bytes | None:
        """The bytes of the internal part related to the main part by ``rid``."""
        rel = next((r for r in self.rels if r.rid == rid and not r.external), None)
        if rel is None:
            return None
        if rel.target not in self._blobs:
            try:
                self._blobs[rel.target] = self._reader.blob_for(PackURI(rel.target))
            except (KeyError, OSError):
                return None
        return self._blobs[rel.target]

    def related(self, reltype: str) -> list[Relationship]:
        """Internal relationships of the main part of one type, in file order."""
        return [r for r in self.rels if r.reltype == reltype and not r.external]

    def part(self, rel: Relationship) -> etree._Element:
        """The parsed XML part a relationship points at."""
        return parse_part(self._reader.blob_for(PackURI(rel.target)))

    def styles(self) -> StyleTable:
        """The style sheet (python-docx's default one when the package has none)."""
        rels = self.related(RT.STYLES)
        blob = self._reader.blob_for(PackURI(rels[0].target)) if rels else _default_styles_blob()
        return style_table(blob)

    def numbering(self) -> etree._Element | None:
        """The numbering part, if there is one."""
        rel = next((r for r in self.rels if r.reltype.endswith("/numbering") and not r.external), None)
        return self.part(rel) if rel is not None else None

    def page_size(self) -> tuple[float, float]:
        """(width, height) in points of the first section's page; 0 where not given."""
        sect = _first_section(self.body)
        size = sect.find(W + "pgSz") if sect is not None else None
        if size is None:
            return 0.0, 0.0
        return _points(size.get(W + "w")), _points(size.get(W + "h"))


def _first_section(body: etree._Element) -> etree._Element | None:
    """The first ``w:sectPr`` in body order (in a paragraph's properties or the body's last)."""
    for el in body:
        if el.tag == W + "sectPr":
            return el
        if el.tag == W + "p":
            sect = el.find(f"{W}pPr/{W}sectPr")
            if sect is not None:
                return sect
    return None


def _points(twips: str | None) -> float:
    return ST_TwipsMeasure.convert_from_xml(twips).pt if twips is not None else 0.0

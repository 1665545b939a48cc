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

import re
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

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
T = TypeVar("T")


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

    name: str | None  # the UI name ("Heading 1" for "heading 1"), as python-docx shows it
    based_on: str | None
    bold: bool | None  # w:rPr/w:b of the style itself (numbering styles have no font)
    numpr: tuple[str | None, int | None]


class StyleTable:
    """The style sheet's lookups the reader makes, each style read when first asked for.

    Ids resolve as python-docx resolves them: the first style with an id for
    its properties and ``basedOn`` chain, the last one for its shown name.
    Shared between files with the same ``styles.xml``, so answers are memoised.
    """

    def __init__(self, root: etree._Element) -> None:
        self._first: dict[str, etree._Element] = {}
        self._last: dict[str, etree._Element] = {}
        self._info: dict[str, StyleInfo] = {}
        self._bold: dict[str, bool] = {}
        self._list: dict[str, tuple[str | None, int | None]] = {}
        default = None
        for el in root.iterchildren(_STYLE):
            style_id = el.get(_STYLE_ID)
            if style_id:
                self._first.setdefault(style_id, el)
                self._last[style_id] = el
            if (el.get(_TYPE) or "paragraph") == "paragraph" and el.get(_DEFAULT) in ("1", "true"):
                default = el  # the last one marked default wins
        self.default_id = default.get(_STYLE_ID) if default is not None else None
        self.default_name = _ui_name(default) if default is not None else None

    def name(self, style_id: str) -> str:
        """The shown name of a style (its id when it has none or is unknown)."""
        el = self._last.get(style_id)
        return (_ui_name(el) if el is not None else None) or style_id

    def get(self, style_id: str | None) -> StyleInfo | None:
        if not style_id or style_id not in self._first:
            return None
        info = self._info.get(style_id)
        if info is None:
            info = self._info[style_id] = _style_info(self._first[style_id])
        return info

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
        seen: set[str] = set()
        while style_id and style_id not in seen and (style := self.get(style_id)) is not None:
            seen.add(style_id)
            chain.append(style)
            style_id = style.based_on
        return chain


_STYLE, _STYLE_ID, _TYPE, _DEFAULT = W + "style", W + "styleId", W + "type", W + "default"
_NAME, _BASED_ON, _RPR, _PPR, _B, _NUMPR, _VAL = (
    W + "name", W + "basedOn", W + "rPr", W + "pPr", W + "b", W + "numPr", W + "val")


def _ui_name(el: etree._Element) -> str | None:
    name_el = el.find(_NAME)
    name = name_el.get(_VAL) if name_el is not None else None
    return BabelFish.internal2ui(name) if name is not None else None


def _style_info(el: etree._Element) -> StyleInfo:
    props: dict[str, etree._Element] = {}
    for child in el:
        props.setdefault(child.tag, child)
    based_el, rpr, ppr = props.get(_BASED_ON), props.get(_RPR), props.get(_PPR)
    bold = on_off(rpr.find(_B)) if rpr is not None and el.get(_TYPE) != "numbering" else None
    return StyleInfo(
        name=_ui_name(el),
        based_on=based_el.get(_VAL) if based_el is not None else None,
        bold=bold,
        numpr=numpr(ppr.find(_NUMPR) if ppr is not None else None),
    )


_TABLE_STYLE_HEAD = re.compile(rb"""\sw:type\s*=\s*["']table["']""")


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
        if not _TABLE_STYLE_HEAD.search(xml, start, head_end):
            pos = head_end
            continue
        if xml[head_end - 1] == ord("/"):
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


class ContentCache(Generic[T]):
    """A small LRU of values computed from bytes, keyed by the bytes themselves.

    Looked up by length and CRC-32 (cheaper than a cryptographic digest), then
    compared byte for byte, so a collision can never hand back another file's
    value. The bytes are kept for that comparison, so the cache is bounded by
    their total size as well as by count; a blob above a quarter of the budget
    is not kept at all.
    """

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict[tuple[int, int], tuple[bytes, T]] = OrderedDict()
        self._lock = threading.Lock()  # the web app reads uploads in worker threads

    def get(self, blob: bytes) -> T | None:
        key = (len(blob), zlib.crc32(blob))
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] != blob:
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, blob: bytes, value: T) -> T:
        """Remember ``value`` for ``blob`` (if it fits the budget) and return it."""
        if len(blob) * 4 > self.max_bytes:
            return value
        key = (len(blob), zlib.crc32(blob))
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += len(blob) - (len(old[0]) if old is not None else 0)
            self._items[key] = (blob, value)
            while len(self._items) > self.size or self._bytes > self.max_bytes:
                dropped, _ = self._items.popitem(last=False)[1]
                self._bytes -= len(dropped)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


_STYLE_TABLES: ContentCache[StyleTable] = ContentCache(16, 16 << 20)


def style_table(blob: bytes) -> StyleTable:
    """The :class:`StyleTable` of a ``styles.xml``, from the cache when seen before."""
    table = _STYLE_TABLES.get(blob)
    if table is None:
        table = _STYLE_TABLES.put(blob, StyleTable(parse_part(without_table_styles(blob))))
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
            self.document = parse_part(self._read(main))
            self.rels = _relationships(self._reader.rels_xml_for(main), main.baseURI)
        except etree.XMLSyntaxError as exc:
            self._reader.close()
            raise SaidaoError("corrupt", path, f"malformed XML in the main part: {exc}"[:300]) from exc
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

    def _read(self, partname: PackURI) -> bytes:
        try:
            return self._reader.blob_for(partname)
        except (KeyError, OSError) as exc:
            raise SaidaoError("corrupt", self.path, f"missing part {partname}") from exc

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
        return parse_part(self._read(PackURI(rel.target)))

    def styles(self) -> StyleTable:
        """The style sheet (python-docx's default one when the package has none)."""
        rels = self.related(RT.STYLES)
        blob = self._read(PackURI(rels[0].target)) if rels else _default_styles_blob()
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


#: Section properties as python-docx lists them: in paragraphs' properties, then the body's own.
_SECTIONS = etree.XPath("w:p/w:pPr/w:sectPr | w:sectPr", namespaces={"w": W[1:-1]})


def _first_section(body: etree._Element) -> etree._Element | None:
    """The first ``w:sectPr`` in body order."""
    found = _SECTIONS(body)
    return found[0] if found else None


def _points(twips: str | None) -> float:
    return ST_TwipsMeasure.convert_from_xml(twips).pt if twips is not None else 0.0

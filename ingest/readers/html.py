"""The web-page reader: .html/.htm saved from a browser, and .mhtml (see ``mhtml``).

Government portals publish policies as web pages, and staff save them. The
page is parsed with lxml's HTML parser (libxml2: tolerant of broken markup,
never fetches anything; nesting up to 2048 levels, past which the cut is
reported; markup after a premature ``</html>``, which libxml2 drops and
browsers show, parsed on and appended — see ``parse_page``), then walked once,
iteratively, in document order:

* **Encoding.** A BOM wins; then the container's charset (MHTML), the page's
  own ``<meta charset>``/``http-equiv`` (read by parsing the head, not by
  pattern matching) or an XHTML XML declaration (read by expat); GB2312 and
  GBK are read as GB18030, their superset, because pages declared GB2312
  routinely contain GBK characters. A declaration that does not fit the bytes
  falls back to the text reader's detection; a page with a few damaged bytes
  (≤ 2 %) is read with them replaced, as a browser does, and says so.
* **Blocks.** Block-level elements (``p``, ``div``, ``h1``–``h6``, ``li`` …)
  end a paragraph; ``<br>`` ends a line inside one (``Paragraph.lines``), so
  the extractors see the page's own line breaks. Whitespace collapses as a
  browser renders it (a source line break between two Chinese characters
  disappears), ``&nbsp;`` is a space, line-leading indentation (spaces,
  ``&nbsp;``, ``　``) is layout and dropped. ``h1``–``h6`` keep their level in
  ``style`` ("Heading 1" …), a leading ``<strong>``/``<b>`` run becomes
  ``bold_prefix`` as in the .docx reader. Scripts, styles, forms' controls,
  embedded objects and what a browser hides (``hidden``, ``display:none``)
  are dropped; an ``<input type="checkbox">`` is a box.
* **Tables.** A data table becomes a :class:`Table` with row and column spans
  (``rowspan="0"`` runs to the end, spans are capped). A *layout* table —
  old portals put the whole page in tables — is walked like a ``div``: one
  that holds another table, has a single cell, or is one column of long text.
* **Chrome.** The site around the document (banner, menus, breadcrumb, share
  and print buttons, footer) is recognised from the page's structure only:
  ``nav``/``header``/``footer``/``aside`` elements, ARIA roles, the words of
  ``id``/``class`` names portals use (``breadcrumb``, ``dqwz``, ``bdshare``,
  ``footer``, ``print`` …), ``javascript:`` print/close links and link lists.
  Such blocks get ``chrome`` set and go to ``Document.headers`` (before the
  last content block) or ``footers``; text-only clues (来源：… 点击：…) are the
  extractors' business. A container that holds most of the page's text is
  never chrome, whatever its name, so a misnamed main column is not lost.

Provenance: page 1, ``line`` the element's line in the HTML source.
Limits: ``MAX_HTML_BYTES`` of markup and ``MAX_ELEMENTS`` elements.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import lxml.etree
import lxml.html

from saidao.document import (
    Block,
    Cell,
    Checkbox,
    Document,
    PageInfo,
    Paragraph,
    Provenance,
    Table,
    TextLine,
)
from saidao.errors import SaidaoError
from saidao.ingest.readers.docx import BOX_GLYPHS, normalise_boxes, scan_checkboxes
from saidao.ingest.readers.text import decode_bytes
from saidao.ingest.tables import is_frame, is_text_column
from saidao.settings import ReadSettings

#: More markup than this is not a saved policy page (the largest portal pages
#: seen are well under 1 MB of HTML once images are left out).
MAX_HTML_BYTES = 32 * 1024 * 1024
#: More elements than this: refused before walking (broken generators repeat tags).
MAX_ELEMENTS = 500_000
#: Spans beyond these are broken markup, not a table.
MAX_COLSPAN = 100
MAX_TABLE_CELLS = 200_000
TOO_DEEP = "网页标签嵌套超过 2048 层，其后的内容未能读取"

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "ul",
    ]
)
_SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "canvas",
        "select",
        "option",
        "button",
        "textarea",
        "audio",
        "video",
        "map",
        "head",
        "title",
    ]
)
_HEADINGS = {f"h{n}": f"Heading {n}" for n in range(1, 7)}
_BOLD_TAGS = frozenset({"b", "strong"})
#: Links to files: a paragraph listing attachments is content, not a link list.
_FILE_SUFFIXES = (".doc", ".docx", ".pdf", ".xls", ".xlsx", ".wps", ".ofd", ".zip", ".rar", ".et")
_GB_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
}

# --------------------------------------------------------------------------- chrome vocabulary
#: Words of ``id``/``class`` names (split at -, _, spaces and camelCase) that
#: portals use for the parts around the document; pinyin ones included
#: (dqwz = 当前位置, fenxiang = 分享, dayin = 打印).
_CHROME_WORDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "breadcrumb",
            "breadcrumbs",
            "crumb",
            "crumbs",
            "bread",
            "dqwz",
            "weizhi",
            "location",
            "position",
            "curpos",
            "mianbao",
        ],
        "breadcrumb",
    ),
    **dict.fromkeys(
        ["nav", "navbar", "navigation", "menu", "menus", "daohang", "subnav", "mainnav"], "nav"
    ),
    **dict.fromkeys(["banner", "logo", "masthead", "topbar"], "banner"),
    **dict.fromkeys(
        ["footer", "foot", "foots", "copyright", "bottom", "dibu", "banquan"], "footer"
    ),
    **dict.fromkeys(["share", "bdshare", "jiathis", "bshare", "fenxiang"], "share"),
    **dict.fromkeys(["print", "dayin", "guanbi"], "print"),
    **dict.fromkeys(
        ["sidebar", "aside", "related", "friendlink", "yqlj", "xgwz", "xgxx"], "sidebar"
    ),
    **dict.fromkeys(["source", "laiyuan", "hits", "click", "views", "djl"], "source"),
}
#: ``header``/``top``/``head`` name the site's head only beside words that
#: describe the site's frame (``site-header``, ``top_wrap``), never beside
#: words of the document (``article-header``, gov.cn's
#: ``policyLibraryOverview_header`` that holds the 信息公开 table).
_HEAD_WORDS = frozenset({"header", "top", "head"})
_FRAME_WORDS = frozenset(
    [
        "site",
        "page",
        "global",
        "wrap",
        "wrapper",
        "inner",
        "box",
        "con",
        "container",
        "bg",
        "bar",
        "main",
        "fixed",
        "w",
        "index",
        "home",
    ]
)
#: Names distinctive enough to count inside a longer word (``bdsharebuttonbox``).
_CHROME_PARTS = {
    "breadcrumb": "breadcrumb",
    "bdshare": "share",
    "jiathis": "share",
    "copyright": "footer",
    "friendlink": "sidebar",
}
_TAG_CHROME = {"nav": "nav", "footer": "footer", "aside": "sidebar", "header": "banner"}
_ROLE_CHROME = {
    "navigation": "nav",
    "banner": "banner",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "search": "nav",
}


def read_html(path: Path, sha256: str, settings: ReadSettings) -> Document:
    """Read a saved web page into the document model."""
    data = path.read_bytes()
    return html_document(data, path, sha256, fmt="html")


def read_mhtml(path: Path, sha256: str, settings: ReadSettings) -> Document:
    """Read a single-file web archive: its main HTML part, through ``html_document``."""
    from saidao.ingest.readers.mhtml import main_html_part

    data, charset = main_html_part(path.read_bytes(), path)
    return html_document(data, path, sha256, fmt="mhtml", declared=charset)


def html_document(
    data: bytes, path: Path, sha256: str, fmt: str = "html", declared: str | None = None
) -> Document:
    """The document model of HTML bytes (``declared``: a charset from the container)."""
    if not data.strip():
        raise SaidaoError("empty", path)
    if len(data) > MAX_HTML_BYTES:
        raise SaidaoError("too_large", path, f"网页超过 {MAX_HTML_BYTES // (1024 * 1024)} MB")
    decoded = decode_html(data, path, declared)
    root, truncated = parse_page(decoded.text, path)
    for count, _ in enumerate(root.iter(), 1):
        if count > MAX_ELEMENTS:
            raise SaidaoError("too_large", path, f"网页元素超过 {MAX_ELEMENTS} 个")
    body = root.find("body")
    walker = _Walker(str(path), root, len(_visible_text(body if body is not None else root)))
    body_blocks, chrome = walker.run()
    if not body_blocks and not chrome:
        if truncated:
            raise SaidaoError("corrupt", path, TOO_DEEP)
        raise SaidaoError("empty", path, "网页没有正文文字")
    doc = Document(path=str(path), sha256=sha256, format=fmt, pages=[PageInfo(number=1)])
    last_body_line = max((_line_of(b) for b in body_blocks), default=0)
    for block in chrome:
        (doc.headers if _line_of(block) <= last_body_line else doc.footers).append(block)
    doc.blocks = body_blocks
    if decoded.replaced:
        doc.problems.append(f"{decoded.replaced} 处字节无法按 {decoded.encoding} 解码，已替换为 U+FFFD")
        doc.unread.append(f"{decoded.replaced} 处文字无法按 {decoded.encoding} 编码识别，显示为 �")
        doc.status = "partial"
    if truncated:
        doc.problems.append(TOO_DEEP)
        doc.unread.append(TOO_DEEP)
        doc.status = "partial"
    return doc


def _line_of(block: Block) -> int:
    return block.provenance.line or 0


# --------------------------------------------------------------------------- parsing
#: Content after a premature ``</html>`` is picked up at most this many times.
MAX_RESUMES = 8


def _parser() -> lxml.html.HTMLParser:
    """libxml2's HTML parser fed UTF-8 bytes: the text is decoded already, so the page's own
    declarations (``<meta charset>``, an XHTML ``<?xml encoding?>``) must not apply again."""
    return lxml.html.HTMLParser(
        encoding="utf-8",
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
        default_doctype=False,
        huge_tree=True,  # nesting up to 2048 (unclosed <font> per paragraph), not 256
    )


def parse_page(text: str, path: Path | str) -> tuple[lxml.html.HtmlElement, bool]:
    """The page's tree and whether libxml2 cut it at its nesting limit.

    libxml2 stops building the tree at a premature ``</html>`` — gov.cn pages
    have one before the article — where a browser carries on into the body.
    When markup follows the last element libxml2 placed, that rest is parsed
    on its own and its body appended, with source lines kept true.
    """
    parser = _parser()
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise SaidaoError("corrupt", path, f"网页无法解析：{exc}"[:200]) from exc
    truncated = any("Excessive depth" in entry.message for entry in parser.error_log)
    lines = text.split("\n")
    for _ in range(MAX_RESUMES):
        last = max((el.sourceline or 0 for el in root.iter()), default=0)
        rest = "\n".join(lines[last:])
        if truncated or last == 0 or not rest.strip():
            break
        parser = _parser()
        try:
            more = lxml.html.document_fromstring(rest.encode("utf-8", "replace"), parser=parser)
        except (lxml.etree.ParserError, ValueError):
            break
        added = more.find("body")
        if added is None or "".join(added.text_content().split()) in "".join(
            root.text_content().split()
        ):
            break  # nothing was dropped: the rest is the last element's own content
        truncated = any("Excessive depth" in entry.message for entry in parser.error_log)
        for el in added.iter():
            if el.sourceline:
                el.sourceline += last
        body = root.find("body")
        if body is None:
            body = lxml.html.Element("body")
            root.append(body)
        body.extend(list(added))
    return root, truncated


# --------------------------------------------------------------------------- decoding
#: Share of undecodable bytes a damaged page may have and still be read (browsers show
#: U+FFFD for them); more means the encoding is wrong, not the bytes.
MAX_DAMAGE = 0.02


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    replaced: int = 0  # undecodable sequences (and NULs) shown as U+FFFD


def decode_html(data: bytes, path: Path | str, declared: str | None = None) -> Decoded:
    """The page as text: BOM, container, ``<meta>``/XML declaration, then detection.

    A declared encoding that fits the bytes wins; one that fits all but a few
    damaged bytes is kept with those bytes replaced (as a browser does), and
    so is the better of UTF-8 and GB18030 for an undeclared damaged page.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _lenient(data, encoding)
    candidates = [_codec(c) for c in (declared, meta_charset(data), xml_encoding(data))]
    for encoding in filter(None, candidates):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return Decoded(text.replace("\x00", "\ufffd"), encoding, text.count("\x00"))
    try:
        decoded = decode_bytes(data, path)
        return Decoded(decoded.text, decoded.encoding, decoded.replaced)
    except SaidaoError:
        pass
    tries = [_lenient(data, e) for e in dict.fromkeys([*filter(None, candidates), "utf-8", "gb18030"])]
    best = min(tries, key=lambda d: d.replaced)
    if best.replaced <= MAX_DAMAGE * max(len(best.text), 1):
        return best
    raise SaidaoError("decode_failed", path, "网页编码无法识别（UTF-8、GB18030 及其声明的编码都不相符）")


def _lenient(data: bytes, encoding: str) -> Decoded:
    """Decoded with damaged sequences and NULs replaced by U+FFFD, counted."""
    text = data.decode(encoding, errors="replace")
    replaced = text.count("\ufffd") + text.count("\x00")
    return Decoded(text.replace("\x00", "\ufffd"), encoding, replaced)


def _codec(name: str | None) -> str | None:
    """A Python codec for a declared charset (GB2312/GBK as GB18030), or None if unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _GB_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def xml_encoding(data: bytes) -> str | None:
    """The encoding an XHTML page's XML declaration names (read by expat, not by pattern)."""
    head = data[:512].lstrip()
    if not head.startswith(b"<?xml"):
        return None
    end = head.find(b"?>")
    if end < 0:
        return None
    found: list[str | None] = []
    parser = expat.ParserCreate("utf-8")  # the declaration is ASCII in any encoding
    parser.XmlDeclHandler = lambda _version, encoding, _standalone: found.append(encoding)
    try:
        parser.Parse(head[: end + 2].decode("ascii", errors="replace"), False)
    except expat.ExpatError:
        return None
    return found[0] if found else None


def meta_charset(data: bytes) -> str | None:
    """The charset a page declares in its head (``<meta charset>`` or ``http-equiv``).

    Only the first 8 KB are parsed, as ASCII with replacement (a declaration is
    ASCII in every encoding a Chinese portal uses), the way browsers prescan.
    """
    head = data[:8192].decode("ascii", errors="replace")
    try:
        root = lxml.html.document_fromstring(head, parser=lxml.html.HTMLParser(no_network=True))
    except (lxml.etree.ParserError, ValueError):
        return None
    for meta in root.iter("meta"):
        if meta.get("charset"):
            return meta.get("charset")
        if (meta.get("http-equiv") or "").lower() == "content-type":
            for part in (meta.get("content") or "").split(";"):
                key, _, value = part.partition("=")
                if key.strip().lower() == "charset" and value.strip():
                    return value.strip()
    return None


# --------------------------------------------------------------------------- text
def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def collapse(text: str) -> str:
    """Whitespace as a browser renders it: runs of ASCII whitespace → one space,
    removed where a source line break falls between two Chinese characters
    (CSS Text's segment-break rule); ``&nbsp;`` → a space (not collapsed)."""

    def one_space(m: re.Match[str]) -> str:
        start, end = m.start(), m.end()
        breaks = "\n" in m.group() or "\r" in m.group()
        inside = start > 0 and end < len(text)
        return "" if breaks and inside and _wide(text[start - 1]) and _wide(text[end]) else " "

    return _WHITESPACE.sub(one_space, text).replace("\xa0", " ")


#: ASCII whitespace as HTML defines it (text normalisation, not markup parsing).
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


def _boxes(text: str, prov: Provenance) -> tuple[str, list[Checkbox]]:
    """Box glyphs normalised to ☑/☐ and reported (skipped fast when there are none)."""
    if not _has_box(text):
        return text, []
    text = normalise_boxes(text)
    return text, scan_checkboxes(text, prov)


_has_box = re.compile("[" + re.escape(BOX_GLYPHS + "☑☐") + "]").search
_LINE_EDGE = " \u3000\t"


# --------------------------------------------------------------------------- the walk
@dataclass(slots=True)
class _Para:
    """The paragraph being collected: its lines and what is known about them."""

    lines: list[list[str]] = field(default_factory=lambda: [[]])
    line_numbers: list[int] = field(default_factory=lambda: [0])  # source line of each line
    sourceline: int = 0
    style: str | None = None
    chrome: str = ""
    bold: list[str] = field(default_factory=list)
    bold_open: bool = True  # no non-bold text yet
    link_chars: int = 0
    links: int = 0
    script_links: int = 0
    script_chars: int = 0
    has_text: bool = False  # any non-blank text yet


@dataclass(frozen=True, slots=True)
class _Context:
    """What an element inherits from its ancestors."""

    chrome: str
    style: str | None
    bold: bool


class _Walker:
    """One pass over the parsed page, producing body blocks and chrome blocks."""

    def __init__(self, shown: str, root: lxml.html.HtmlElement, total_chars: int) -> None:
        self.shown = shown
        self.root = root
        self.body: list[Block] = []
        self.chrome: list[Block] = []
        self.tables = 0
        self.para: _Para | None = None
        self.total_chars = total_chars  # visible characters of the page, for the chrome check

    def run(self) -> tuple[list[Block], list[Block]]:
        title = self.root.find(".//title")
        if title is not None and collapse(title.text_content()).strip():
            prov = Provenance(self.shown, page=1, line=title.sourceline)
            text = collapse(title.text_content()).strip()
            self.chrome.append(Paragraph(text, prov, [TextLine(text, prov)], chrome="page_title"))
        body = self.root.find("body")
        self._walk(body if body is not None else self.root, "", None, False)
        self._flush()
        return self.body, self.chrome

    # -- elements ------------------------------------------------------------
    def _walk(
        self, root: lxml.html.HtmlElement, chrome: str, style: str | None, bold: bool
    ) -> None:
        """Walk ``root`` in document order with an explicit stack (pages nest up to 2048 deep)."""
        stack: list[tuple[str, lxml.html.HtmlElement, _Context]] = [
            ("enter", root, _Context(chrome, style, bold))
        ]
        while stack:
            action, el, ctx = stack.pop()
            if action == "tail":
                parent = el.getparent()
                if el.tail:
                    self._text(
                        el.tail, el if parent is None else parent, ctx.chrome, ctx.style, ctx.bold
                    )
            elif action == "exit":
                self._flush()
            else:
                self._enter(el, ctx, stack)

    def _enter(
        self,
        el: lxml.html.HtmlElement,
        ctx: _Context,
        stack: list[tuple[str, lxml.html.HtmlElement, _Context]],
    ) -> None:
        """Handle an element's start and push its children (each followed by its tail)."""
        if not isinstance(el.tag, str):
            return  # a comment or processing instruction left in the tree
        tag = el.tag.lower()
        if tag in _SKIP_TAGS or _hidden(el):
            return
        chrome = self._chrome_of(el, tag) or ctx.chrome  # the innermost name is the most specific
        style = _HEADINGS.get(tag, ctx.style)
        bold = ctx.bold or tag in _BOLD_TAGS or _bold_style(el.get("style"))
        if tag == "table" and not _is_layout_table(el):
            self._flush()
            self._table(el, chrome)
            return
        if tag == "br":
            self._newline(el)
            return
        if tag == "input":
            if (el.get("type") or "").lower() == "checkbox":
                self._text("☑" if el.get("checked") is not None else "☐", el, chrome, style, bold)
            return
        if tag in _BLOCK_TAGS:
            self._flush()
            stack.append(("exit", el, ctx))
        if tag == "a":
            self._link(el)
        if el.text:
            self._text(el.text, el, chrome, style, bold)
        inner = _Context(chrome, style, bold)
        for child in reversed(el):
            stack.append(("tail", child, inner))
            stack.append(("enter", child, inner))

    def _chrome_of(self, el: lxml.html.HtmlElement, tag: str) -> str:
        """The chrome kind the element's structure names, unless it holds the page's text."""
        kind = _TAG_CHROME.get(tag) or _ROLE_CHROME.get((el.get("role") or "").lower(), "")
        if not kind:
            kind = _named_chrome(f"{el.get('id') or ''} {el.get('class') or ''}")
        if kind and self.total_chars >= 200 and len(_visible_text(el)) > 0.5 * self.total_chars:
            return ""  # a misnamed main column
        return kind

    def _link(self, el: lxml.html.HtmlElement) -> None:
        href = (el.get("href") or "").strip().lower()
        onclick = (el.get("onclick") or "").lower()
        para = self._current(el)
        if href.startswith("javascript:") or "print(" in onclick or "close(" in onclick:
            para.script_links += 1
            para.script_chars += len("".join(el.text_content().split()))
        elif not href.endswith(_FILE_SUFFIXES):
            para.links += 1
            para.link_chars += len("".join(el.text_content().split()))

    # -- text ----------------------------------------------------------------
    def _current(self, el: lxml.html.HtmlElement) -> _Para:
        if self.para is None:
            self.para = _Para(sourceline=el.sourceline or 0)
        return self.para

    def _text(
        self, raw: str, el: lxml.html.HtmlElement, chrome: str, style: str | None, bold: bool
    ) -> None:
        text = collapse(raw)
        if not text:
            return
        para = self._current(el)
        visible = bool(text.strip())
        if visible and not para.has_text:
            para.has_text = True
            para.chrome, para.style = chrome, style
            para.sourceline = el.sourceline or para.sourceline
        if visible:
            if bold and para.bold_open:
                para.bold.append(text)
            elif not bold:
                para.bold_open = False
        if not para.line_numbers[-1]:
            para.line_numbers[-1] = el.sourceline or para.sourceline
        para.lines[-1].append(text)

    def _newline(self, el: lxml.html.HtmlElement) -> None:
        if self.para is not None:
            self.para.lines.append([])
            self.para.line_numbers.append(0)

    def _flush(self) -> None:
        para, self.para = self.para, None
        if para is None or not para.has_text:
            return
        lines: list[TextLine] = []
        for i, parts in enumerate(para.lines):
            text = "".join(parts).strip(_LINE_EDGE)
            if _has_box(text):
                text = normalise_boxes(text)
            if text:
                line_no = para.line_numbers[i] or para.sourceline
                lines.append(TextLine(text, Provenance(self.shown, page=1, line=line_no)))
        if not lines:
            return
        text = "\n".join(ln.text for ln in lines)
        prov = Provenance(self.shown, page=1, line=para.sourceline)
        text, boxes = _boxes(text, prov)
        chrome = para.chrome or _link_chrome(para, text)
        bold_prefix = "".join(para.bold).strip(_LINE_EDGE) if para.bold else ""
        if bold_prefix and not text.startswith(bold_prefix):
            bold_prefix = ""
        block = Paragraph(
            text,
            prov,
            lines,
            boxes,
            style=para.style,
            bold_prefix=bold_prefix,
            chrome=chrome,
        )
        (self.chrome if chrome else self.body).append(block)

    # -- tables --------------------------------------------------------------
    def _table(self, el: lxml.html.HtmlElement, chrome: str) -> None:
        rows = list(_rows(el))
        index = self.tables
        base = Provenance(self.shown, page=1, line=el.sourceline, table=index)
        cells: list[Cell] = []
        taken: set[tuple[int, int]] = set()
        n_cols = 0
        width = _declared_width(rows)
        for r, tr in enumerate(rows):
            c = 0
            for td in _cells_of(tr):
                while (r, c) in taken:
                    c += 1
                row_span = _span(td.get("rowspan"), len(rows) - r)
                col_span = min(_span(td.get("colspan"), MAX_COLSPAN), MAX_COLSPAN)
                if c < width < c + col_span:  # colspan="99" for "the rest of the row"
                    col_span = width - c
                if len(taken) + row_span * col_span > MAX_TABLE_CELLS:
                    break
                for dr in range(row_span):
                    for dc in range(col_span):
                        taken.add((r + dr, c + dc))
                cells.append(self._cell(td, r, c, row_span, col_span, base))
                c += col_span
                n_cols = max(n_cols, c)
        if not cells:
            return
        self.tables += 1
        header_rows = (
            1
            if rows
            and all(
                isinstance(td.tag, str) and td.tag.lower() == "th"
                for td in rows[0]
                if isinstance(td.tag, str)
            )
            else 0
        )
        table = Table(
            n_rows=len(rows),
            n_cols=n_cols,
            cells=cells,
            provenance=base,
            pages=[1],
            header_rows=header_rows,
            chrome=chrome,
        )
        (self.chrome if chrome else self.body).append(table)

    def _cell(
        self,
        td: lxml.html.HtmlElement,
        r: int,
        c: int,
        row_span: int,
        col_span: int,
        base: Provenance,
    ) -> Cell:
        """A cell's text: its own paragraphs and lines (nested markup walked like the body)."""
        inner = _Walker(self.shown, self.root, 0)  # inside a table nothing is chrome by size
        inner._walk(td, "", None, False)
        inner._flush()
        prov = base.at(cell=(r, c), line=td.sourceline)
        lines = [
            TextLine(ln.text, prov.at(line=ln.provenance.line))
            for block in inner.body + inner.chrome
            if isinstance(block, Paragraph)
            for ln in block.lines
        ]
        text = "\n".join(ln.text for ln in lines)
        text, boxes = _boxes(text, prov)
        return Cell(
            row=r,
            col=c,
            text=text,
            provenance=prov,
            row_span=row_span,
            col_span=col_span,
            checkboxes=boxes,
            lines=lines,
        )


def _rows(table: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    """The table's own rows (not those of tables nested in its cells)."""
    for child in table:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag.lower()
        if tag == "tr":
            yield child
        elif tag in ("thead", "tbody", "tfoot"):
            yield from (tr for tr in child if isinstance(tr.tag, str) and tr.tag.lower() == "tr")


def _cells_of(tr: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return [td for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")]


def _declared_width(rows: list[lxml.html.HtmlElement]) -> int:
    """The table's width from its rows, a row's last cell counted as one column (pages write
    ``colspan="99"`` on a last cell to mean "to the end of the row")."""
    widths = [0]
    for tr in rows:
        cells = _cells_of(tr)
        spans = [min(_span(td.get("colspan"), MAX_COLSPAN), MAX_COLSPAN) for td in cells[:-1]]
        widths.append(sum(spans) + (1 if cells else 0))
    return max(widths)


def _span(value: str | None, limit: int) -> int:
    """A rowspan/colspan as an integer ≥ 1 (``0`` or too large → ``limit``)."""
    try:
        number = int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1
    if number <= 0 or number > limit:
        return max(limit, 1)
    return number


def _is_layout_table(table: lxml.html.HtmlElement) -> bool:
    """A table used to lay out the page rather than to hold data."""
    if (table.get("role") or "").lower() in ("presentation", "none"):
        return True
    if any(True for _ in table.iterdescendants("table")):
        return True
    rows = list(_rows(table))
    cells = [
        td for tr in rows for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")
    ]
    if not cells or is_frame(len(cells)):
        return True
    widths = {
        sum(
            _span(td.get("colspan"), MAX_COLSPAN)
            for td in tr
            if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")
        )
        for tr in rows
    }
    return is_text_column(widths, ((len(_visible_text(td)), sum(1 for x in td.iter("p", "div", "br") if x is not td))
                                   for td in cells))


def _visible_text(el: lxml.html.HtmlElement | None) -> str:
    """Text of the element without scripts and styles, whitespace removed (for sizes)."""
    return "".join("".join(_flat_text(el)).split())


def _flat_text(el: lxml.html.HtmlElement | None) -> list[str]:
    """The element's text pieces in order, scripts and styles left out; no recursion."""
    if el is None:
        return []
    parts: list[str] = []
    stack: list[tuple[lxml.html.HtmlElement, bool]] = [(el, False)]
    while stack:
        node, tail_only = stack.pop()
        if tail_only:
            if node.tail:
                parts.append(node.tail)
            continue
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if node is not el:
            stack.append((node, True))  # its tail follows its content
        if tag in _SKIP_TAGS:
            continue
        if node.text:
            parts.append(node.text)
        stack.extend((child, False) for child in reversed(node))
    return parts


def _words(names: str) -> list[list[str]]:
    """Each id/class token split into lower-case words at -, _ and camelCase."""
    out: list[list[str]] = []
    for token in names.split():
        words: list[str] = []
        current = ""
        for ch in token:
            if ch in "-_.:":
                if current:
                    words.append(current.lower())
                current = ""
            elif ch.isupper() and current and not current[-1].isupper():
                words.append(current.lower())
                current = ch
            else:
                current += ch
        if current:
            words.append(current.lower())
        out.append([w.rstrip("0123456789") for w in words if w.rstrip("0123456789")])
    return out


def _named_chrome(names: str) -> str:
    """The chrome kind an element's id/class words name, or ""."""
    for words in _words(names):
        for word in words:
            kind = _CHROME_WORDS.get(word) or next(
                (k for part, k in _CHROME_PARTS.items() if part in word), ""
            )
            if kind:
                return kind
        if any(w in _HEAD_WORDS for w in words) and all(
            w in _HEAD_WORDS or w in _FRAME_WORDS for w in words
        ):
            return "banner"
    return ""


def _declarations(style: str | None) -> dict[str, str]:
    """An inline ``style`` attribute as property → value (lower case)."""
    out: dict[str, str] = {}
    for part in (style or "").split(";"):
        key, _, value = part.partition(":")
        if key.strip():
            out[key.strip().lower()] = value.strip().lower()
    return out


def _hidden(el: lxml.html.HtmlElement) -> bool:
    """Not shown by a browser: the ``hidden`` attribute, ``display:none``, ``visibility:hidden``."""
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    if not style or "none" not in style and "hidden" not in style:
        return False
    declared = _declarations(style)
    return (
        declared.get("display", "").startswith("none") or declared.get("visibility", "") == "hidden"
    )


def _bold_style(style: str | None) -> bool:
    """``font-weight`` bold (or 600 and up) in an inline style."""
    if not style or "weight" not in style:
        return False
    value = _declarations(style).get("font-weight", "")
    return value in ("bold", "bolder") or (value.isdigit() and int(value) >= 600)


def _link_chrome(para: _Para, text: str) -> str:
    """Chrome told by links: print/close script links with little else, or a link list."""
    visible = len("".join(text.split()))
    if (
        para.script_links
        and visible - para.script_chars - para.link_chars <= 16
        and para.links <= 2
    ):
        return "print"
    if para.links >= 3 and para.link_chars >= 0.8 * max(visible, 1):
        return "nav"
    return ""

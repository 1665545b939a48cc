"""A read ``Document`` in, the contract's JSON out: classify, then the kind's extractor.

Reading a file is ingest's job: ``saidao.ingest.extract.extract_file`` reads and
then calls :func:`extract_document` (extraction never imports ingest).
"""

from __future__ import annotations

from typing import Any

from saidao.document import Document
from saidao.errors import SaidaoError
from saidao.extractors.classify import classify
from saidao.extractors.declaration import extract_declaration
from saidao.extractors.form_presence import (
    FORM_PARTS,
    filled_form,
    form_parts,
    missing_parts_zh,
    nothing_filled,
)


def source_block(doc: Document) -> dict[str, Any]:
    """The contract's ``source`` block: where the values came from."""
    return {
        "path": doc.path,
        "sha256": doc.sha256,
        "format": doc.format,
        "pages": len(doc.pages),
        "ocr_pages": doc.ocr_pages,
        "status": doc.status,
        "timings": doc.timings,
    }


def extract_document(doc: Document, kind: str | None = None,
                     check_kind: bool = True) -> dict[str, Any]:
    """Run the extractor for the document's kind (detected unless given).

    A kind given (``--kind``) that the content contradicts raises ``SaidaoError``
    (``not_declaration``, ``blank_declaration``, ``not_policy``): the file is refused with
    the reason, never stored as an empty track or a policy made of a form's cells.
    ``check_kind`` False: the content is not all there to judge (scanned pages read
    without OCR; the import keeps such a file waiting for OCR instead)."""
    forced = kind is not None and check_kind
    kind = kind or classify(doc)
    result: dict[str, Any] = {"kind": kind, "source": source_block(doc)}
    if kind == "policy":
        from saidao.extractors.policy import extract_policy  # spaCy: loaded only for policies

        extracted = extract_policy(doc)
        if forced:
            refuse_form_as_policy(doc, extracted)
    elif kind == "declaration":
        if forced:
            refuse_non_form(doc)
        extracted = extract_declaration(doc)
        if forced and nothing_filled(extracted, doc):
            raise SaidaoError("blank_declaration", doc.path, "请填写后再导入；政策文件请去掉 --kind declaration")
    else:
        return result
    result.update({k: v for k, v in extracted.items() if k not in ("kind", "source")})
    result.setdefault("problems", []).extend(unread_content(doc))
    return result


def unread_content(doc: Document) -> list[dict[str, str]]:
    """A problem for each page left empty although it has content (its OCR failed) and each
    part of the file the reader could not read (``Document.unread``): what the values there
    would have been is unknown, so staff check the original rather than take the record as
    complete."""
    pages = [{"field": "content", "code": "page_unread",
              "message": f"第{page.number}页未能读出（{page.unread}），该页内容为空，请对照原件核对"}
             for page in doc.pages if page.unread]
    parts = [{"field": "content", "code": "content_unread", "message": f"{what}，请对照原件核对"}
             for what in doc.unread]
    return pages + parts


def refuse_non_form(doc: Document) -> None:
    """A file forced as a declaration that carries none of the form's labels or tables
    (a policy, a letter, a blank page) is refused, naming what was looked for."""
    if not form_parts(doc):
        raise SaidaoError("not_declaration", doc.path,
                          f"未找到：{missing_parts_zh([])}；如是政策文件，请去掉 --kind declaration")


def refuse_form_as_policy(doc: Document, extracted: dict[str, Any]) -> None:
    """A filled declaration form forced as a policy is refused: the form's labels and its
    firm listing with firms in it, and no 发文字号 and no 发文机关 in the policy reading (a
    policy that prints a filled list keeps its own marks)."""
    if extracted.get("doc_number") or extracted.get("issuer"):
        return
    parts, filled = filled_form(doc)
    if "firms" not in parts or len(parts) < 3 or filled < 1:
        return
    found = "、".join(FORM_PARTS[p] for p in parts)
    raise SaidaoError("not_policy", doc.path,
                      f"找到申报表的{found}，企业名录填有企业；无发文字号和发文机关；"
                      "请去掉 --kind policy 或用 --kind declaration")

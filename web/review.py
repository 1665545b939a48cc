"""待核: the review queue of ``index.review`` as a page, its decision form and page crops.

The queue, its filters, the candidates (and which one, if any, is pre-selected) and the
decision (one transaction) all live in ``index.review``; this module parses the request,
calls it and renders. ``saidao review`` is the same calls on the command line.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from saidao.corpus.zones import registry
from saidao.index import review as review_api
from saidao.index.review import KINDS, shown_path
from saidao.index.search import UnknownZone, resolve_zones
from saidao.vocab import REVIEW_KIND_LABELS
from saidao.web.common import (
    by_number,
    index_of,
    page_number,
    page_size,
    pager,
    render,
    route,
    xlsx_link,
)
from saidao.web.imports import load_names
from saidao.web.security import staff_post
from saidao.web.xlsx import wants_xlsx, xlsx_response

#: Points of page kept above and below the code's box in a crop.
CROP_MARGIN = 14.0
CROP_SCALE = 2.0

REVIEW_COLUMNS = [("kind_label", "类别"), ("zone_name", "高新区"), ("path", "文件"),
                  ("track_name", "新赛道"), ("field_label", "位置"), ("message", "问题"),
                  ("problem_ids", "问题编号")]


def shown(item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A copy of a queue item with what a person reads: file name and the messages."""
    return {**item, "path": shown_path(item["path"], names), "message": "；".join(item["messages"])}


def _filters(request: Request) -> tuple[dict[str, Any], str | None, list[str]]:
    """The query's filters as ``open_items`` arguments, an error for an unknown zone and
    the zone suggestions that go with it."""
    q = request.query_params
    out: dict[str, Any] = {"kind": q.get("kind") if q.get("kind") in KINDS else None,
                           "file": (q.get("file") or "").strip() or None}
    if (q.get("track") or "").isdigit():
        out["track_id"] = int(q["track"])
    error, suggestions = None, []
    if (q.get("zone") or "").strip():
        try:
            out["zones"] = {z.id for z in resolve_zones(q["zone"])}
        except UnknownZone as e:
            error, suggestions = str(e), e.suggestions
    return out, error, suggestions


def review(request: Request) -> Response:
    index = index_of(request)
    names = load_names(request.app.state.settings)
    filters, zone_error, suggestions = _filters(request)
    items = [] if zone_error else review_api.open_items(index, names=names, **filters)
    if wants_xlsx(request):
        return xlsx_response("待核.xlsx", "待核", REVIEW_COLUMNS, [shown(i, names) for i in items])
    size = page_size(request, review_api.PAGE_SIZE)
    page = review_api.paged(items, page_number(request), size)
    rows = [review_api.detail(index, shown(i, names)) for i in page.items]
    return render(request, "review.html", items=rows, first=(page.page - 1) * size,
                  pager=pager(request, page.total, page.page, size),
                  all_open=review_api.count_open(index), q=dict(request.query_params),
                  kind=filters["kind"], kinds=REVIEW_KIND_LABELS, zones=registry().all(),
                  xlsx=xlsx_link(request), zone_error=zone_error, suggestions=suggestions,
                  done=request.query_params.get("done"), error=request.query_params.get("error"),
                  dupes=request.query_params.get("dupes"))


async def resolve(request: Request) -> Response:
    """POST: accept a candidate, type a value, or mark the item settled."""

    def apply(form: FormData, by: str) -> dict[str, str]:
        value = str(form.get("value") or form.get("choice") or "").strip() or None
        if form.get("action") == "settle":
            value = None
        elif value is None:  # 确认更正 with nothing chosen (no candidate is pre-selected
            # when several remain): refuse rather than settle it unnoticed
            raise ValueError("请先选择一个候选或输入正确值；不更正请点“不更正，标记已核”")
        note = str(form.get("note", "")).strip()[:500]
        index = index_of(request)
        try:
            item = review_api.find(index, sha=str(form.get("sha", "")),
                                   field=str(form.get("field", "")))
            out = {"done": review_api.resolve(index, item, value, by=by, note=note)}
        except (review_api.NotOpen, review_api.Refused) as e:
            raise ValueError(str(e)) from None  # back to the queue, the message shown there
        request.app.state.regroup.schedule()  # a corrected code regroups, off the request
        if item["kind"] == "uscc" and value:
            out["dupes"] = value.upper()  # the corrected code's duplicates, one click away
        return out

    return await staff_post(request, "/review", KEPT, apply)


#: Query parameters a decision keeps, so the page comes back where it was.
KEPT = ("kind", "zone", "file", "track", "page", "size", "at")


# ---------------------------------------------------------------- page crops


def _pdf_bytes(path: str, archived: bool) -> bytes | Path:
    """The source's bytes: the file itself, or the member of a stored archive."""
    head, sep, member = path.partition("!")
    if not archived or not sep:
        return Path(path)
    with zipfile.ZipFile(head) as zf:
        return zf.read(member)


def crop_png(source: dict[str, Any]) -> bytes:
    """The printed row around ``source['bbox']`` on its page, as PNG (full page width)."""
    from PIL import Image

    page_no, bbox, path = int(source["page"]), source["bbox"], str(source["file"])
    data = _pdf_bytes(path, bool(source.get("archived")))
    head = data[:5] if isinstance(data, bytes) else data.open("rb").read(5)
    if head == b"%PDF-":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data if isinstance(data, bytes) else str(data))
        try:
            image = pdf[page_no - 1].render(scale=CROP_SCALE).to_pil()
        finally:
            pdf.close()
        scale = CROP_SCALE
    else:
        image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
        dpi = (image.info.get("dpi") or (200, 200))[0] or 200
        scale = float(dpi) / 72.0
    top = max(0, int((bbox[1] - CROP_MARGIN) * scale))
    bottom = min(image.height, int((bbox[3] + CROP_MARGIN) * scale))
    out = io.BytesIO()
    image.crop((0, top, image.width, max(bottom, top + 1))).convert("RGB").save(out, "PNG")
    return out.getvalue()


#: Width in pixels of a scanned track's first-page thumbnail.
THUMB_WIDTH = 360


def page_png(path: str, archived: bool, width: int = THUMB_WIDTH) -> bytes:
    """The first page of a stored PDF or image, as a PNG ``width`` pixels wide."""
    from PIL import Image

    data = _pdf_bytes(path, archived)
    head = data[:5] if isinstance(data, bytes) else data.open("rb").read(5)
    if head == b"%PDF-":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data if isinstance(data, bytes) else str(data))
        try:
            page = pdf[0]
            image = page.render(scale=width / page.get_width()).to_pil()
        finally:
            pdf.close()
    else:
        image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
        image.thumbnail((width, width * 2))
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()


def thumb(request: Request) -> Response:
    """A scanned track's first page, small: staff see which paper they are looking at."""
    from saidao.index.report import track_source

    source = track_source(index_of(request), int(request.path_params["track_id"]))
    if source is None or source["format"] not in ("pdf", "image"):
        raise HTTPException(404, "该新赛道没有扫描页")
    try:
        png = page_png(source["path"], bool(source["origin"]))
    except Exception as e:  # any damage in a stored file: no picture, never a 500
        raise HTTPException(404, f"原文件无法打开：{type(e).__name__}") from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def crop(request: Request) -> Response:
    index = index_of(request)
    firm_id, found = by_number(request, "firm_id", lambda n: review_api.firm_source(index, n),
                               "没有该企业行")
    source = found["source"]
    if not source.get("page") or not source.get("bbox"):
        raise HTTPException(404, "该值没有页面位置")
    # the file as the index knows it: archive members were read from a temporary copy
    source = {**source, "file": found["path"], "archived": bool(found["origin"])}
    try:
        png = crop_png(source)
    except Exception as e:  # any damage in a stored file: no picture, never a 500
        raise HTTPException(404, f"原文件无法打开：{type(e).__name__}") from None
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600",
                             "Content-Disposition": f"inline; filename={quote(str(firm_id))}.png"})


ROUTES = [
    route("/review", review),
    route("/review/resolve", resolve, ["POST"]),
    route("/crop/firm/{firm_id}.png", crop),
    route("/thumb/track/{track_id:int}.png", thumb),
]

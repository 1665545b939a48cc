"""待核: every uncertain value, with what staff need to settle it, and the correction form.

The queue is the index's open problems, one item per (file, field). Credit
codes show their ranked repairs (``extractors.uscc.check``) and, where the
source has a page and a box, the printed row cut from the page image; other
items show the text as read. A correction goes through ``Index.correct`` (the
raw value stays where it was) and the item's problems are marked resolved,
each resolution itself recorded in ``corrections``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from saidao.extractors.uscc import check
from saidao.index.overview import TRACKS, cached
from saidao.index.store import Index
from saidao.web.app import UNIT_ZH, index_of, render, route
from saidao.web.imports import display_path, load_names
from saidao.web.pages import PAGE_SIZE, _page, _pager, xlsx_link
from saidao.web.security import staff_post
from saidao.web.xlsx import wants_xlsx, xlsx_response

_FIRM_FIELD = re.compile(r"^firms\[(\d+)\]\.uscc$")
_UNIT_FIELD = re.compile(r"^unit\.(\w+)$")
KIND_ZH = {"uscc": "信用代码", "track": "赛道分类", "blank": "缺填", "over_limit": "超字数",
           "other": "其他"}
#: Points of page kept above and below the code's box in a crop.
CROP_MARGIN = 14.0
CROP_SCALE = 2.0

_QUEUE_SQL = """
SELECT p.id, p.file_sha256, p.field, p.code, p.message, f.path, f.format,
       d.declaration_id, t.track_id, t.track_name, d.unit_name
FROM problems p
JOIN files f ON f.sha256 = p.file_sha256 AND f.status = 'imported'
LEFT JOIN declarations d ON d.file_sha256 = p.file_sha256
LEFT JOIN tracks t ON t.declaration_id = d.declaration_id
WHERE p.status = 'open'
ORDER BY f.path, p.id
"""


def kind_of(field: str | None) -> str:
    field = field or ""
    if _FIRM_FIELD.match(field):
        return "uscc"
    if field == "track_name":
        return "track"
    if _UNIT_FIELD.match(field):
        return "blank"
    if field in ("measures", "plan"):
        return "over_limit"
    return "other"


def queue(index: Index) -> list[dict[str, Any]]:
    """Open items, one per (file, field), each with every problem message it has."""
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for row in index.db.query(_QUEUE_SQL):
        key = (row["file_sha256"], row["field"] or "")
        item = items.get(key)
        if item is None:
            item = items[key] = {**row, "kind": kind_of(row["field"]), "problem_ids": [],
                                 "messages": [], "codes": []}
        item["problem_ids"].append(row["id"])
        item["messages"].append(row["message"])
        item["codes"].append(row["code"])
    return list(items.values())


def open_items(index: Index, kind: str | None = None) -> list[dict[str, Any]]:
    """:func:`queue`, kept until the problems, files or tracks change (every open problem:
    tens of thousands on a big index). Shared: read-only, annotate copies (:func:`shown`)."""
    items = cached(index, "review_queue", lambda _db: queue(index), (*TRACKS, "problems"))
    return items if kind is None else [item for item in items if item["kind"] == kind]


def shown(item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A copy of a queue item with what a person reads: file name, kind, the messages."""
    return {**item, "path": display_path(item["path"], names), "kind_zh": KIND_ZH[item["kind"]],
            "message": "；".join(item["messages"])}


def firm_row(index: Index, track_id: int | None, position: int) -> dict[str, Any] | None:
    """The ``position``-th (0-based) firm row of a track, as stored."""
    if track_id is None:
        return None
    rows = list(index.db.query("SELECT * FROM firm_mentions WHERE track_id = ? ORDER BY id "
                               "LIMIT 1 OFFSET ?", [track_id, position]))
    return rows[0] if rows else None


def detail(index: Index, item: dict[str, Any]) -> dict[str, Any]:
    """What the form needs: candidates, the value as read, a crop link."""
    kind = item["kind"]
    if kind == "uscc":
        m = _FIRM_FIELD.match(item["field"])
        firm = firm_row(index, item["track_id"], int(m.group(1))) if m else None
        if firm is None:
            return {**item, "kind": "other"}
        checked = check(firm["uscc_printed"] or "", expected_area_prefix="15")
        # pre-select only a repair that stands alone: the one stored at import
        # (unique by construction) or the unique supported one; never the
        # first of several candidates that remain equally supported
        chosen = firm["uscc"] or checked.unique_repair
        shown = checked.candidates[:max(5, len(checked.supported))]
        candidates = [{"code": c, "why": why, "selected": c == chosen} for c, _, why in shown]
        if firm["uscc"] and all(c["code"] != firm["uscc"] for c in candidates):
            candidates.insert(0, {"code": firm["uscc"], "why": "自动更正", "selected": True})
        source = json.loads(firm["source"] or "{}").get("uscc") or {}
        crop = bool(source.get("page") and source.get("bbox"))
        return {**item, "firm": firm, "candidates": candidates, "crop": crop,
                "target": ("firm_mentions", firm["id"], "uscc")}
    if kind == "track" and item["declaration_id"] is not None:
        raw = json.loads(next(index.db.query("SELECT raw FROM declarations WHERE "
                                             "declaration_id = ?", [item["declaration_id"]]))["raw"])
        track = raw.get("track") or {}
        candidates = [{"code": _track_text(c, track.get("label")), "why": c.get("scheme") or ""}
                      for c in track.get("candidates") or []]
        return {**item, "printed": raw.get("track_name"), "candidates": candidates,
                "target": ("tracks", item["track_id"], "track_name")}
    if kind == "blank" and item["declaration_id"] is not None:
        key = _UNIT_FIELD.match(item["field"]).group(1)  # type: ignore[union-attr]
        if key in UNIT_ZH:
            return {**item, "label": UNIT_ZH[key], "candidates": [],
                    "target": ("declarations", item["declaration_id"], f"unit_{key}")}
    if kind == "over_limit" and item["declaration_id"] is not None:
        row = next(index.db.query(
            f"SELECT {item['field']}_text AS text, {item['field']}_chars AS chars FROM "
            "declarations WHERE declaration_id = ?", [item["declaration_id"]]))
        return {**item, "text": row["text"], "chars": row["chars"], "candidates": []}
    return {**item, "candidates": []}


def _track_text(candidate: dict[str, Any], label: str | None) -> str:
    codes = candidate.get("codes") or []
    names = candidate.get("class_names") or []
    parts = [f"{c} {n}" if c else n for c, n in zip(codes or [""] * len(names), names, strict=False)]
    return "/".join(parts) + (f"+[{label}]" if label else "")


REVIEW_COLUMNS = [("kind_zh", "类别"), ("path", "文件"), ("track_name", "新赛道"),
                  ("field", "字段"), ("message", "问题"), ("problem_ids", "问题编号")]


def review(request: Request) -> Response:
    index = index_of(request)
    kind = request.query_params.get("kind") or None
    items = open_items(index, kind)
    names = load_names(request.app.state.settings)
    if wants_xlsx(request):
        return xlsx_response("待核.xlsx", "待核", REVIEW_COLUMNS, [shown(i, names) for i in items])
    page = _page(request)
    rows = [detail(index, shown(i, names)) for i in items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
    return render(request, "review.html", items=rows, pager=_pager(request, len(items), page),
                  kind=kind, kinds=KIND_ZH, xlsx=xlsx_link(request),
                  done=request.query_params.get("done"), error=request.query_params.get("error"),
                  dupes=request.query_params.get("dupes"))


def _item(index: Index, sha: str, field: str) -> dict[str, Any] | None:
    return next((i for i in open_items(index) if i["file_sha256"] == sha and i["field"] == field),
                None)


def resolve_item(index: Index, item: dict[str, Any], value: str | None, by: str,
                 note: str) -> str:
    """Apply one decision: the correction (when a value is given) and the problems resolved."""
    full = detail(index, item)
    target = full.get("target")
    message = "已标记为已核"
    if value and target:
        table, row_id, field = target
        if table == "firm_mentions":
            checked = check(value, expected_area_prefix="15")
            if not checked.valid:
                raise ValueError(f"“{value}”不是有效的统一社会信用代码")
            value = checked.uscc or value
        index.correct(table, row_id, field, value, by=by, note=note)
        message = f"已更正为 {value}"
    for pid in item["problem_ids"]:
        index.correct("problems", pid, "status", "resolved", by=by, note=note or message)
    with index.db.conn:
        index.db.execute(f"UPDATE problems SET status = 'resolved' WHERE id IN "
                         f"({','.join('?' for _ in item['problem_ids'])})", item["problem_ids"])
    return message


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
        item = _item(index, str(form.get("sha", "")), str(form.get("field", "")))
        if item is None:
            raise HTTPException(404, "该条目已处理或不存在")
        out = {"done": resolve_item(index, item, value, by, note)}
        if item["kind"] == "uscc" and value:
            out["dupes"] = value.upper()  # the corrected code's duplicates, one click away
        return out

    return await staff_post(request, "/review", ("kind",), apply)


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


def crop(request: Request) -> Response:
    index = index_of(request)
    try:
        firm_id = int(request.path_params["firm_id"])
    except ValueError:
        raise HTTPException(404, "没有该企业行") from None
    rows = list(index.db.query(
        "SELECT m.source, f.path, f.origin FROM firm_mentions m JOIN tracks t ON t.track_id = m.track_id "
        "JOIN declarations d ON d.declaration_id = t.declaration_id "
        "JOIN files f ON f.sha256 = d.file_sha256 WHERE m.id = ?", [firm_id]))
    if not rows:
        raise HTTPException(404, "没有该企业行")
    source = json.loads(rows[0]["source"] or "{}").get("uscc") or {}
    if not source.get("page") or not source.get("bbox"):
        raise HTTPException(404, "该值没有页面位置")
    # the file as the index knows it: archive members were read from a temporary copy
    source = {**source, "file": rows[0]["path"], "archived": bool(rows[0]["origin"])}
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
]

"""Forms for what staff otherwise do on the command line: a track's eligibility figures
(``saidao track ID --set``), a register import (``saidao register import``) and, when the
index offers them, the region-wide figures. Each handler parses the form, calls
``index.eligibility`` / ``index.registers`` and goes back with the message: the rules (which
figures exist, their ranges, the register types) live there, not here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from saidao.errors import SaidaoError
from saidao.index import eligibility
from saidao.index.registers import REGISTER_TYPES, import_register
from saidao.web.common import index_of, render, route
from saidao.web.security import staff_post

#: Figures entered per track (the region's average growth is region-wide when the index
#: keeps region figures, per track otherwise).
TRACK_FIGURES = {k: v for k, v in eligibility.FIGURE_KEYS.items()
                 if not (k.startswith("region_") and hasattr(eligibility, "set_region_figure"))}
#: What the browser checks before sending (the index checks again, and decides).
FIGURE_INPUT = {"rd_intensity": {"min": 0, "max": 100, "step": "0.01"},
                "invention_patents": {"min": 0, "max": 100000, "step": "1"},
                "revenue_growth": {"min": -100, "max": 10000, "step": "0.01"},
                "headcount_growth": {"min": -100, "max": 10000, "step": "0.01"},
                "region_avg_growth": {"min": -100, "max": 10000, "step": "0.01"}}
#: Register files accepted (``registers.read_register``).
REGISTER_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".tsv")


async def track_figures(request: Request) -> Response:
    """POST: the figures typed for one track (empty fields left as they were)."""
    track_id = int(request.path_params["track_id"])

    def apply(form: FormData, by: str) -> dict[str, str]:
        index = index_of(request)
        typed = {k: str(form.get(k) or "").strip() for k in TRACK_FIGURES}
        typed = {k: v for k, v in typed.items() if v}
        if not typed:
            raise ValueError("请至少填写一项指标")
        saved = [f"{TRACK_FIGURES[k]} {eligibility.set_track_figure(index.db, track_id, k, v, by=by):g}"
                 for k, v in typed.items()]
        return {"done": "已录入：" + "；".join(saved)}

    return await staff_post(request, f"/track/{track_id}", (), apply)


def registers_page(request: Request) -> Response:
    return render(request, "registers.html", types=REGISTER_TYPES,
                  region=_region_figures(request), region_keys=_region_keys(),
                  done=request.query_params.get("done"), error=request.query_params.get("error"))


async def register_import(request: Request) -> Response:
    """POST: one register file (Excel or CSV) of a type and year."""

    def apply(form: FormData, by: str) -> dict[str, str]:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValueError("请选择名单文件（Excel 或 CSV）")
        kind = str(form.get("type") or "")
        year_text = str(form.get("year") or "").strip()
        if year_text and not (year_text.isdigit() and 2000 <= int(year_text) <= 2100):
            raise ValueError(f"年度“{year_text}”无效（2000–2100）")
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in REGISTER_SUFFIXES:
            raise ValueError("名单须为 .xlsx 或 .csv 文件")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"名单{suffix}"
            with path.open("wb") as out:
                upload.file.seek(0)
                while chunk := upload.file.read(1 << 20):
                    out.write(chunk)
            try:
                rows = import_register(index_of(request), path, kind, int(year_text) if year_text else None)
            except SaidaoError as e:
                raise ValueError(f"{upload.filename}：{e.message_zh.partition('：')[2] or e.message_zh}") from None
        return {"done": f"已导入{kind}名单 {rows} 家（{upload.filename}）"}

    return await staff_post(request, "/registers", (), apply)


def _region_keys() -> dict[str, str]:
    return {k: v for k, v in eligibility.FIGURE_KEYS.items() if k.startswith("region_")} if hasattr(
        eligibility, "set_region_figure") else {}


def _region_figures(request: Request) -> dict[str, Any]:
    read = getattr(eligibility, "region_figures", None)
    return dict(read(index_of(request).db)) if read is not None else {}


async def region_figures(request: Request) -> Response:
    """POST: region-wide figures (only where ``index.eligibility`` keeps them)."""

    def apply(form: FormData, by: str) -> dict[str, str]:
        setter = getattr(eligibility, "set_region_figure", None)
        if setter is None:
            raise ValueError("本版本的索引尚不支持全区指标")
        index = index_of(request)
        saved = []
        for key, name in _region_keys().items():
            value = str(form.get(key) or "").strip()
            if value:
                saved.append(f"{name} {setter(index.db, key, value, by=by):g}")
        if not saved:
            raise ValueError("请至少填写一项指标")
        return {"done": "已录入：" + "；".join(saved)}

    return await staff_post(request, "/registers", (), apply)


ROUTES = [
    route("/track/{track_id:int}/figures", track_figures, ["POST"]),
    route("/registers", registers_page),
    route("/registers/import", register_import, ["POST"]),
    route("/registers/region", region_figures, ["POST"]),
]

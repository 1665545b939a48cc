"""Every list as an .xlsx download (``?format=xlsx``): the web face of ``index.tabular``.

The workbook itself (streamed, formula-guarded) is written by
``saidao.index.tabular``, the one writer the CLI's exports use too; this module
only reads the request and names the download.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from saidao.index.tabular import XLSX_MEDIA_TYPE, Column, xlsx_bytes

MEDIA_TYPE = XLSX_MEDIA_TYPE


def wants_xlsx(request: Request) -> bool:
    return request.query_params.get("format") == "xlsx"


def xlsx_response(filename: str, sheet: str, columns: Sequence[Column],
                  rows: Iterable[dict[str, Any]]) -> Response:
    """The download, named in Chinese (RFC 5987) with an ASCII fallback."""
    body = xlsx_bytes(sheet, columns, rows)
    disposition = f"attachment; filename=\"saidao.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=MEDIA_TYPE, headers={"Content-Disposition": disposition})

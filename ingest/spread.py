"""A long scan's pages read by several local workers at once, then joined as one read.

The local pool (:class:`saidao.ingest.bulk.WorkerPool`) gives a file to one
worker; a 40-page scan would keep one core busy for over a minute while the
others sit idle at the end of a run (or in a one-scan run). So a scanned PDF
goes through three steps, each an ordinary job of the pool:

1. *plan* — the file's own job first asks :func:`plan` which of its pages need
   OCR (``readers.pdf.ocr_pages``: the stream budgets, the page limit and the
   reader's own text-layer test, no OCR). With :data:`MIN_OCR_PAGES` or more it
   returns them (and the page count) instead of reading the file;
2. *pages* — each such page is a job of its own (:func:`read_part`), on
   whichever worker is free;
3. *the file* — read with those pages given (``readers.pdf.pages_read_elsewhere``,
   the join Ray's page tasks use too): running heads, paragraphs and tables
   across page breaks are joined as in a whole-file read, so the document is
   the same. A page job that failed or was lost leaves its page to this step,
   which reads it itself and reports any error as a whole read would.

Page progress: the parent reports a page as each page job comes back (the
file's own last step reports none of its own, so the count never goes back),
and the file's last page just before its result.

The Ray pool (``ingest.ray_pool``) spreads pages with tasks of its own from
inside the file's task; the reading (``read_pages``) and the join are shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saidao.ingest import deadline
from saidao.settings import ReadSettings

#: A PDF with at least this many pages to OCR is spread; one OCR page is read where it is.
MIN_OCR_PAGES = 2


def plan(path: str, settings: ReadSettings) -> tuple[int, list[int]]:
    """``path``'s page count and the 0-based pages to read in jobs of their own ([]: read it whole).

    Anything unexpected (not a PDF, a damaged or oversized one) gives no pages,
    so that the whole-file read meets the problem and reports it as usual.
    """
    if not settings.ocr:
        return 0, []
    try:
        from saidao.ingest.detect import sniff

        if sniff(Path(path)) != "pdf":
            return 0, []
        from saidao.ingest.readers.pdf import ocr_pages  # (not loaded for other formats)

        total, pages = ocr_pages(Path(path), settings)
    except Exception:  # the read reports it
        return 0, []
    return total, pages if len(pages) >= MIN_OCR_PAGES else []


def read_part(path: str, sha256: str, settings: ReadSettings, indices: list[int], timeout: float) -> Any:
    """Pages ``indices`` of a PDF (a ``PagesRead``), or None when they could not be read.

    Runs in a worker, under the file's time limit. None is not a failure of the
    file: the file's own job then reads these pages and reports what is wrong.
    """
    from saidao.ingest.readers.pdf import read_pages

    deadline.start(timeout)
    try:
        return read_pages(Path(path), sha256, settings, indices)
    except (Exception, deadline.TimeLimit):
        return None
    finally:
        deadline.stop()

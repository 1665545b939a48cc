"""Imported by the fork server of a run that may OCR, after ``prewarm``: the OCR libraries.

See :func:`saidao.ingest.bulk.warm_ocr` (what, and why no inference engine) and
:func:`saidao.ingest.bulk.may_ocr` (which runs).
"""

import saidao.ingest.prewarm  # noqa: F401  (first: the fork server's own set-up)
from saidao.ingest.bulk import warm_ocr

warm_ocr()

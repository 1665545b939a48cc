"""Imported by the fork server of a long run after ``prewarm``: the word models (spaCy tagging, jieba).

Policies need the pipeline (``extractors.tagging``), OCR'd declarations the dictionary
(``extractors.ocr_words``). A long run loads both once here for every worker
(copy-on-write); a short one leaves each to the worker that meets a policy or an
OCR'd declaration. See :func:`saidao.ingest.bulk.long_run`.
"""

import saidao.ingest.prewarm  # noqa: F401  (first: the fork server's own set-up)
from saidao.ingest.bulk import warm_nlp

warm_nlp()

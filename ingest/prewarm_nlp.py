"""Imported by the fork server of a long run after ``prewarm``: the spaCy tagging pipeline.

Policies need it (``extractors.tagging``); declarations and scans do not. A long
run loads it once here for every worker (copy-on-write); a short one leaves it
to the worker that meets a policy. See :func:`saidao.ingest.bulk.long_run`.
"""

import saidao.ingest.prewarm  # noqa: F401  (first: the fork server's own set-up)
from saidao.ingest.bulk import warm_nlp

warm_nlp()

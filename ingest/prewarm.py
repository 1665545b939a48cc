"""Imported by the bulk import's fork server, never by a parent process: warms it.

Workers are forked from the fork server, so what it loads here (reader
libraries, classification tables, the spaCy pipeline) every worker has from
its first file on. See :func:`saidao.ingest.bulk.warm`.
"""

import saidao.extractors.extract  # noqa: F401  (the workers' code, imported once)
from saidao.ingest.bulk import warm

warm()

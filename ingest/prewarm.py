"""Imported by the bulk import's fork server, never by a parent process: warms it.

Workers are forked from the fork server, so what it loads here (reader
libraries, classification tables, the spaCy pipeline) every worker has from
its first file on. See :func:`saidao.ingest.bulk.warm`. The fork server also
asks to die with the process that started it, and records its own id so each
worker can check, once it has asked the same, that the fork server still lives
(``saidao.ingest.lifetime``).
"""

import os

from saidao.ingest.lifetime import die_with_parent

die_with_parent()
#: The fork server's process id (each worker's parent).
FORKSERVER_PID = os.getpid()

import saidao.extractors.extract  # noqa: E402, F401  (the workers' code, imported once)
from saidao.ingest.bulk import warm  # noqa: E402

warm()

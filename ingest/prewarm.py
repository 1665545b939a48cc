"""Imported by the bulk import's fork server, never by a parent process: warms it.

Workers are forked from the fork server, so what it loads here (reader
libraries, classification tables; in a long run the spaCy pipeline too, through
``prewarm_nlp``) every worker has from its first file on. See :func:`saidao.ingest.bulk.warm`. In the fork server it
also asks to die with the process that started it, and records its own id so
each worker can check, once it has asked the same, that the fork server still
lives (``saidao.ingest.lifetime``). Imported anywhere else (a test), it only warms.
"""

import os
import sys

from saidao.ingest.lifetime import die_with_parent

#: True in the fork server (``python -c 'from multiprocessing.forkserver import main; …'``).
IN_FORKSERVER = sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules
#: The fork server's process id (each worker's parent); None outside the fork server.
FORKSERVER_PID = os.getpid() if IN_FORKSERVER else None
if IN_FORKSERVER:
    die_with_parent()

import saidao.extractors.extract  # noqa: E402, F401  (the workers' code, imported once)
from saidao.ingest.bulk import warm  # noqa: E402

warm()

"""Getting files into the document model: format detection, readers, conversion, OCR.

``read(path)`` is the one entry point; see :mod:`saidao.ingest.read`.
"""

from saidao.ingest.read import read, read_many

__all__ = ["read", "read_many"]

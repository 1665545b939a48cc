"""The web interface staff work in (``saidao serve``): server-rendered pages over the index.

``create_app(db_path, token=...)`` builds the Starlette application; every page
is a thin view over a library call in ``saidao.index`` or ``saidao.ingest``.
"""

from saidao.web.app import create_app
from saidao.web.common import Settings

__all__ = ["Settings", "create_app"]

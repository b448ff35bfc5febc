"""SPARK's web app: FastAPI + Jinja2 pages + a little vanilla JS, on the same orchestrator.

Build it with :func:`create_app` (nothing is built at import time); ``spark serve`` runs it with
uvicorn. Layout: ``app.py`` (the factory), ``deps.py`` (``Annotated`` dependencies),
``auth.py`` (who is asking: the one seam accounts replace), ``conversations.py`` (follow-up
memory), ``runner.py`` (one generation → JSON events), ``routes/`` (one router per resource),
``templates/`` and ``static/`` (served by the app; no CDN, no inline scripts).
"""

from __future__ import annotations

from spark.web.app import create_app

__all__ = ["create_app"]

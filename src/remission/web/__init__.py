"""The web app for study sites and statisticians: server-rendered pages over the API and the store.

:func:`create_web_app` wraps the API's application (``remission.api.app.create_app``) and adds
the pages; everything goes through the store's study sessions for the signed-in user, so the
pages follow the same role and site rules as the API. See ``docs/web.md``.
"""

from __future__ import annotations

from remission.web.app import create_web_app

__all__ = ["create_web_app"]

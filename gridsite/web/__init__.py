"""``gridsite serve``: the web application over the engine (no second model).

Modules: :mod:`~gridsite.web.config` the server's settings and limits; :mod:`~gridsite.web.store` the run index
(SQLAlchemy over SQLite under ``--data``); :mod:`~gridsite.web.inputs` request bodies → validated scenarios and
sweeps (the CLI's validation, plus the server's rules: no server-side paths, bounded sizes); :mod:`~gridsite.web.jobs`
solving in the background on Dask and what a job leaves on disk; :mod:`~gridsite.web.app` the FastAPI application
(the JSON API and the HTML pages, templates in ``templates/``).
"""

from __future__ import annotations

from gridsite.web.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def create_app(config: ServeConfig):
    """The FastAPI application for ``config`` (see :mod:`gridsite.web.app`)."""
    from gridsite.web.app import create_app as _create

    return _create(config)

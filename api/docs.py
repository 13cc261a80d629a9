"""The API docs page (Swagger UI) with its assets served from this server, never from a CDN.

The assets come from the ``flask-swagger-ui`` package's bundled copy of swagger-ui-dist.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask

ASSETS_URL = "/api/docs/assets/"


def init_app(app: Flask) -> None:
    assets = Blueprint(
        "api-docs-assets",
        __name__,
        static_folder=str(Path(flask_swagger_ui.__file__).parent / "dist"),
        static_url_path=ASSETS_URL.rstrip("/"),
    )
    app.register_blueprint(assets)


SETTINGS = {
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
}

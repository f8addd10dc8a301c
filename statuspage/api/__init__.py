"""JSON blueprints: v1 (management API) and v2 (the Statuspage-compatible read API)."""
from flask import Flask


def init_app(app: Flask) -> None:
    from . import v1
    from .v2 import bp as v2_bp

    app.register_blueprint(v2_bp, url_prefix="/api/v2")
    v1.init_app(app)

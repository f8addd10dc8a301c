"""HTML blueprints, and the one place that registers every blueprint and template helper on the app."""
from flask import Flask, abort, current_app, request

from ..markup import render_markdown


def _site_context() -> dict:
    settings = current_app.config["SETTINGS"]
    return {"site_name": settings.site_name, "site_timezone": settings.timezone,
            "site_languages": settings.languages}


def _refuse_nul_bytes():
    """No page's path holds a NUL; PostgreSQL cannot even compare one with a slug, so stop it here."""
    if "\x00" in request.path:
        abort(404)


def init_app(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .badges import bp as badges_bp
    from .feeds import bp as feeds_bp
    from .health import bp as health_bp
    from .public import bp as public_bp

    app.before_request(_refuse_nul_bytes)
    app.context_processor(_site_context)
    app.jinja_env.filters["markdown"] = render_markdown
    app.register_blueprint(public_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(badges_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")

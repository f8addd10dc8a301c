"""HTML blueprints, and the one place that registers every blueprint and template helper on the app."""
import base64
import hashlib
import re

from flask import Flask, abort, current_app, g, has_request_context, request, url_for

from ..errors import AppError
from ..markup import plain_text, render_markdown
from ..services import page_admin
from ..services.pages import ENVIRON_PAGE
from .bar_views import span
from .page_choice import current_page


def _site_context() -> dict:
    """The site's name, zone and languages: the request's page's (services/pages.py:effective), the
    install's in the console and outside a request."""
    settings = current_app.config["SETTINGS"]
    if not has_request_context() or request.blueprint == "admin":
        return {"site_name": settings.site_name, "site_timezone": settings.timezone,
                "site_languages": settings.languages, "language_url": language_url, "page_look": None}
    page = current_page()
    reader = g.get("page_reader")
    return {"site_name": page.name, "site_timezone": page.time_zone, "site_languages": page.languages,
            "language_url": language_url, "page_look": page_look(page), "page_is_private": not page.is_public,
            "page_member_id": reader.member_id if reader is not None else None}


def page_look(page) -> dict | None:
    """A page's logo and accent colour, when it has either: the accent as a <style> element whose hash the
    Content-Security-Policy allows (style-src 'self' refuses inline styles otherwise)."""
    accent = page.accent_color if page.accent_color and ACCENT.fullmatch(page.accent_color) else None
    if not page.logo_url and not accent:
        return None
    style = f":root{{--page-accent:{accent}}}" if accent else ""
    return {"logo_url": page.logo_url, "style": style,
            "style_hash": base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() if style else None}


def language_url(code: str) -> str:
    """This page in another language (templates/_languages.html). The console keeps its filters; a public page
    keeps only its path, since it is cached and a link must not carry whatever query its first visitor sent.
    A form's answer to a POST, whose URL answers no GET, links to the start page."""
    console = request.blueprint == "admin"
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        return url_for("admin.index" if console else "public.index", lang=code)
    query = request.args.to_dict() if console else {}
    return url_for(request.endpoint or "public.index", **{**query, **(request.view_args or {}), "lang": code})


ACCENT = re.compile(r"#[0-9a-fA-F]{6}")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_in_query() -> None:
    """A query argument with a NUL is refused (400 naming it) in the console, where arguments filter lists in
    the database and PostgreSQL cannot even compare text holding one. Called after sign-in. The API's list
    filters find nothing for a value that cannot be a slug; public pages ignore what they cannot use."""
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "")[:40]
            raise AppError("invalid_query", f"The query argument {shown!r} must not contain NUL characters.",
                           field=shown)


def _refuse_odd_requests():
    """Pages take plain forms (no JSON bodies, no uploads: none has a file field), and no path holds a NUL,
    which PostgreSQL cannot even compare with a slug."""
    if "\x00" in request.path:
        abort(404)
    if request.method == "POST" and not request.path.startswith(("/api/", "/ping/")) and (
            (request.content_length and request.mimetype not in FORM_TYPES) or request.files):
        abort(400)


def _security_headers(response):
    """Only the site's own resources, never framed (unless STATUSPAGE_FRAME_ANCESTORS allows), HSTS on HTTPS."""
    settings = current_app.config["SETTINGS"]
    headers = response.headers
    img_src, style_src = "'self' data:", "'self'"
    look = page_look(current_page()) if request.blueprint != "admin" and ENVIRON_PAGE in request.environ else None
    if look is not None:
        logo = page_admin.logo_source(look["logo_url"])  # scheme, host and port only, rebuilt
        if logo is not None:
            img_src += f" {logo}"
        if look["style_hash"]:
            style_src += f" 'sha256-{look['style_hash']}'"
    headers.setdefault("Content-Security-Policy",
                       f"default-src 'self'; img-src {img_src}; style-src {style_src}; script-src 'self'; "
                       f"object-src 'none'; base-uri 'self'; form-action 'self'; "
                       f"frame-ancestors {settings.frame_ancestors}")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    from . import access
    from .admin import bp as admin_bp
    from .badges import bp as badges_bp
    from .feeds import bp as feeds_bp
    from .health import bp as health_bp
    from .public import bp as public_bp
    from .subscribe import bp as subscribe_bp
    from .ticket_links import bp as ticket_links_bp

    app.before_request(_refuse_odd_requests)
    app.after_request(_security_headers)
    app.context_processor(_site_context)
    app.jinja_env.add_extension("jinja2.ext.do")  # {% do list.append(...) %} in the console's form macros
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["markdown_text"] = plain_text
    app.jinja_env.filters["span"] = span
    app.register_blueprint(public_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(badges_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(subscribe_bp)
    app.register_blueprint(ticket_links_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    access.init_app(app)

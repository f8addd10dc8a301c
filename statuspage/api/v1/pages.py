"""Pages: the status pages one install serves (reads: viewer; writes: admin)."""
from __future__ import annotations

import json

from flask import current_app

from ... import clock
from ...models import Role
from ...models.pages import Page
from ...serialize import Serializer
from ...services import page_admin as service
from ...services.pages import page_url
from . import blp
from .auth import actor, requires
from .http import check_if_match, etag_of
from .schemas import PageDeleteArgs, PageIn, PageOut, PagePatch


def _out(page: Page) -> dict:
    settings = current_app.config["SETTINGS"]
    time = Serializer(settings).time
    return {"id": str(page.id), "slug": page.slug, "name": page.name or "", "host": page.host,
            "url": page_url(page, settings),
            "languages": page.languages.split(",") if page.languages else None,
            "default_language": page.default_language, "time_zone": page.time_zone, "logo_url": page.logo_url,
            "accent_color": page.accent_color, "visibility": page.visibility,
            "shows_all_components": page.shows_all_components,
            "components": [component.slug for component in service.chosen_components(page)],
            "is_default": page.is_default, "subscribers": service.subscriber_count(page),
            "has_password": page.password_hash is not None,
            "created_at": time(page.created_at), "updated_at": time(page.updated_at)}


def _etag(shown: dict) -> str:
    """From what is shown (less the subscriber count): any change to the page changes it, even two changes
    within the same clock tick. A new password (has_password may stay true) changes the updated time."""
    return etag_of("page", json.dumps({k: v for k, v in shown.items() if k != "subscribers"}, sort_keys=True))


def _page(page: Page):
    shown = _out(page)
    return shown, {"ETag": _etag(shown)}


@blp.get("/pages")
@requires(Role.VIEWER)
@blp.response(200, PageOut(many=True))
def list_pages():
    """Every page the install serves, the default one first."""
    return [_out(page) for page in service.list_pages()]


@blp.post("/pages")
@requires(Role.ADMIN)
@blp.arguments(PageIn)
@blp.response(201, PageOut)
def create_page(fields):
    """Add a page; its slug and host must be free (409 otherwise)."""
    settings = current_app.config["SETTINGS"]
    return _page(service.create_page(**fields, settings=settings, by=actor(), now=clock.now()))


@blp.get("/pages/<slug>")
@requires(Role.VIEWER)
@blp.response(200, PageOut)
def get_page(slug):
    """One page by slug."""
    return _page(service.get_page(slug))


@blp.patch("/pages/<slug>")
@requires(Role.ADMIN)
@blp.arguments(PagePatch(partial=True))
@blp.response(200, PageOut)
def update_page(fields, slug):
    """Change a page's fields; send If-Match with its ETag to refuse a stale write (412)."""
    check_if_match(_etag(_out(service.get_page(slug))))
    settings = current_app.config["SETTINGS"]
    return _page(service.update_page(slug, **fields, settings=settings, by=actor(), now=clock.now()))


@blp.delete("/pages/<slug>")
@requires(Role.ADMIN)
@blp.arguments(PageDeleteArgs, location="query")
@blp.response(204)
def delete_page(args, slug):
    """Remove a page (never the default one, 409); its components stay. A page with subscribers needs
    `move_subscribers_to` (409 without it)."""
    service.delete_page(slug, move_subscribers_to=args.get("move_subscribers_to"), by=actor(), now=clock.now())

"""Which page a request is for: by its Host, else a /p/<slug> prefix, else the default page.

A WSGI layer outside the page cache's fast path (web/cache.py:FastPath), so a cache hit knows its page
without asking the database: the host and slug maps live in memory and are read again only when the
site's change counter moves (a page's settings or components change it like any public change). The
counter read here is the request's one: it goes in the environ, and FastPath uses it.

The chosen page goes in the environ (ENVIRON_PAGE, a services/pages.py:PageView). A /p/<slug> prefix
moves into SCRIPT_NAME, so every view and url_for work unchanged and links stay inside the page. A page
chosen by its host is reached only there: not as /p/<slug> on another host. What is not per page (the
console, /api/v1, health, static files, ticket links: web/public_surface.py) is served as before and never
under /p/<slug>.
A slug no page has answers 404. A page that is not public is served to its readers only (web/access.py).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from sqlalchemy import text
from flask import Flask, abort, current_app, g, has_request_context, request, url_for

from ..errors import NotFound
from ..services import pages
from ..services.components import get_component
from ..services.pages import ENVIRON_PAGE, PATH_PREFIX, PageView
from .public_surface import not_per_page

log = logging.getLogger(__name__)
ENVIRON_MISSING = "statuspage.page_missing"  # no page here to the public: Flask answers 404
ENVIRON_VERSION = "statuspage.site_version"  # the change counter, read once per request
# The static export (export.py) asks for a page by its slug: an environ key no HTTP request can set.
ENVIRON_EXPORT_PAGE = "statuspage.export_page"
V2_PREFIX = "/api/v2/"
SLUG_ARGUMENT = "page_slug"  # names the page of a /api/v2/ request without a /p/<slug> prefix (the widget's)


@dataclass(frozen=True)
class PageMaps:
    version: int | None
    default: PageView
    by_host: dict[str, PageView] = field(default_factory=dict)
    by_slug: dict[str, PageView] = field(default_factory=dict)


class PageChoice:
    """Chooses the page of each request (choose) and keeps the maps it chooses by (maps)."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        self.version = app.extensions["statuspage.site_version_reader"]
        self.current: PageMaps | None = None
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not not_per_page(environ.get("PATH_INFO") or "/"):  # the console, health, static: no page, no read
            if environ.get(ENVIRON_VERSION) is None:  # unless the event loop read it (web/server.py)
                environ[ENVIRON_VERSION] = self.version()
            self.choose(environ, self.maps(environ[ENVIRON_VERSION]))
        return self.wsgi_app(environ, start_response)

    def maps(self, version: int | None) -> PageMaps:
        """The maps for this counter: those in memory if made at it (or if the database cannot say now)."""
        current = self.current
        if current is not None and current.version == version:
            return current
        if version is None:  # the counter's connection failed: read them afresh for this request, keep nothing
            return self._read(None)
        with self.lock:
            current = self.current
            if current is None or current.version != version:
                current = self.current = self._read(version)
        return current


    def forget(self) -> None:
        """Drop the maps (tests empty the tables, and the counter starts again)."""
        self.current = None

    def _read(self, version: int | None) -> PageMaps:
        """The maps from the database, read on the change counter's connection (services/site_version.py:
        Reader: no pool, no ORM, no statement a request's own count would see); when it cannot say (it is
        away), the ones we had, or the default page alone, kept only for this request: Flask answers, and
        says what is wrong."""
        settings = self.app.config["SETTINGS"]
        rows = self.version.rows(pages.PAGE_ROWS)
        if rows is None:  # that connection could not be had (too many clients?): through the pool
            try:
                with self.app.app_context():
                    from ..extensions import db

                    try:
                        rows = [tuple(row) for row in db.session.execute(text(pages.PAGE_ROWS))]
                    finally:
                        db.session.remove()
            except Exception:
                log.warning("could not read the pages", exc_info=True)
                return self.current or PageMaps(None, pages.effective(pages.unsaved_default_page(), settings))
        stored = pages.pages_from_rows(rows)
        default = next((page for page in stored if page.is_default), None) or pages.unsaved_default_page()
        views = [pages.effective(page, settings) for page in stored]
        return PageMaps(version, pages.effective(default, settings), {view.host: view for view in views if view.host},
                        {view.slug: view for view in views})

    @staticmethod
    def choose(environ: dict, maps: PageMaps) -> None:
        """Put the request's page in the environ (and a /p/<slug> prefix in SCRIPT_NAME); or mark it
        missing, for a 404."""
        path = environ.get("PATH_INFO") or "/"
        host = pages.normal_host(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "")
        page = maps.by_host.get(host)
        if ENVIRON_EXPORT_PAGE in environ:
            page = maps.by_slug.get(environ[ENVIRON_EXPORT_PAGE])
            if page is None:
                environ[ENVIRON_PAGE] = maps.default
                environ[ENVIRON_MISSING] = True
                return
        elif page is None and path.startswith(PATH_PREFIX):
            slug, _, rest = path[len(PATH_PREFIX):].partition("/")
            page = maps.by_slug.get(slug)
            rest = "/" + rest
            if page is None or page.host or page.is_default or not_per_page(rest):
                environ[ENVIRON_PAGE] = maps.default
                environ[ENVIRON_MISSING] = True
                return
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + PATH_PREFIX + slug
            environ["PATH_INFO"] = rest
        elif page is None and path.startswith(V2_PREFIX) and SLUG_ARGUMENT in (environ.get("QUERY_STRING") or ""):
            # Atlassian's widget keeps only its src's origin and query (it sets the path itself), so a page
            # without a host of its own is named for it by ?page_slug=<slug>: src="https://<install>/?page_slug=shop".
            slug = parse_qs(environ.get("QUERY_STRING") or "").get(SLUG_ARGUMENT, [""])[0]
            page = maps.by_slug.get(slug)
            if page is None or page.host:  # a page with a host is read there only
                environ[ENVIRON_PAGE] = maps.default
                environ[ENVIRON_MISSING] = True
                return
        page = page or maps.default
        environ[ENVIRON_PAGE] = page


def current_page() -> PageView:
    """The request's page (a request that did not come through PageChoice, such as a test's request
    context or the static export's, is the default page's unless it put one in its environ)."""
    view = request.environ.get(ENVIRON_PAGE)
    if view is None:
        choice: PageChoice | None = current_app.extensions.get("statuspage.page_choice")
        if choice is not None:  # the console, the API: the default page from the maps (a mail a ticket's
            # reply renders names it), read on the change counter's connection, not in the request's session
            version = request.environ.get(ENVIRON_VERSION)
            if version is None:  # read once: kept where web/cache.py:request_version looks first
                version = request.environ[ENVIRON_VERSION] = choice.version()
            view = choice.maps(version).default
        else:
            view = pages.effective(pages.default_page_for_reading(), current_app.config["SETTINGS"])
        request.environ[ENVIRON_PAGE] = view
    return view


def _refuse_missing() -> None:
    if request.environ.get(ENVIRON_MISSING):
        abort(404)


def url_for_page(endpoint: str, **values) -> str:
    """url_for as templates call it: within the request's page, except what is not per page (static files,
    the console, /api/v1, health), whose links leave a /p/<slug> prefix out, as they are served without."""
    url = url_for(endpoint, **values)
    prefix = request.script_root if request else ""
    if prefix.startswith(PATH_PREFIX) and not values.get("_external") and url.startswith(prefix + "/") \
            and not_per_page(url[len(prefix):].split("?", 1)[0]):
        return url[len(prefix):]
    return url


def shown_incident(incident, *, published_only: bool = True):
    """The incident, when it shows on the request's page; one of another page, or not published, is not
    there (404, not 403: nothing says it exists). Maintenance pages never asked whether it is published."""
    if (published_only and not incident.is_published) or not pages.incident_on_page(incident, current_page()):
        raise NotFound("incident_not_found", f"No incident with id {incident.id}.")
    return incident


def page_component(slug: str):
    """A component of the request's page by its slug; one of another page is not there."""
    component = get_component(slug)
    if not pages.component_on_page(component, current_page()):
        raise NotFound("component_not_found", f"No component with slug '{slug}'.")
    return component


def shown_here(items):
    """Of an incident's components (Component or AffectedComponent), those the request's page shows: an
    incident on several pages names on each only that page's components (and, for a private page's member
    limited to some, only theirs). Outside a page (the console) all of them; mail names what
    notify/messages.py:shown_to allows its subscriber."""
    if not has_request_context() or request.blueprint == "admin":
        return items
    page = current_page()
    if page.shows_all_components and page.limited_to is None:
        return items
    if "page_component_ids" not in g:
        g.page_component_ids = pages.page_component_ids(page)
    shown = g.page_component_ids
    return [item for item in items if getattr(item, "component_id", None) in shown
            or (not hasattr(item, "component_id") and item.id in shown)]


def absolute_url(endpoint: str, **values) -> str:
    """A link that leaves the site (feeds, calendars, mail) to this view on the request's page: under the
    page's URL (its host, or /p/<slug>), the default page's as before (the base URL and the path)."""
    page = current_page()
    path = url_for(endpoint, **values)
    if page.path_prefix and path.startswith(request.script_root):
        path = path[len(request.script_root):]
    return page.url + path


def init_app(app: Flask) -> None:
    """Call after web/cache.py:init_app, so this layer is outside the fast path."""
    app.before_request(_refuse_missing)
    app.jinja_env.globals["url_for"] = url_for_page
    app.jinja_env.filters["shown_here"] = shown_here
    app.wsgi_app = app.extensions["statuspage.page_choice"] = PageChoice(  # type: ignore[method-assign]
        app.wsgi_app, app)

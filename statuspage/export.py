"""The public site as static files (`statuspage export-static DIR`), for nginx, object storage or a CDN.

What is exported, rendered through the application itself (a test client without cookies), so every
byte is what the live site would send, except the links in HTML pages:

- pages: `/`, `/history` and each older history page (exactly the pages there are: a link to a page beyond
  the last leads to the last, as on the live site), `/incidents/<id>`
  and `/maintenance/<id>` of every published incident and maintenance, `/components/<slug>` of every
  component; and whatever else in the site a page links to, if it is one of these routes;
- feeds (`/feed.rss|atom`, `/components/<slug>/feed.rss|atom`), the maintenance calendars (`/maintenance.ics`,
  `/components/<slug>/maintenance.ics`, and each window's `/maintenance/<id>.ics` that a page links to) and
  badges (`/badge.svg`, `/components/<slug>/badge.svg`): their titles are translated, so they are exported
  per language;
- the v2 JSON: every GET route of api/v2.py without arguments (language-neutral, once);
- the static files that pages (and their CSS `url()`s) refer to.

Layout. Every language has the whole set: the default language at the root, the others under `de/`,
`fr/` (rendered with `?lang=xx`). A page is a directory with an index.html, so plain static servers
(python's http.server, nginx `index`, S3 website hosting) serve it: `/` -> `index.html`,
`/incidents/3` -> `incidents/3/index.html`, `/history?page=2` -> `history/page/2/index.html`.
Feeds, badges, JSON and static files keep their paths: `feed.rss`, `de/components/api/badge.svg`,
`api/v2/summary.json`, `static/style.css`.

Links. In HTML pages every href, src and action (a real parser finds the tags; only the attribute
values change) that points into the site, whether an absolute path (`/incidents/3`), a language link
(`/incidents/3?lang=de`), a relative link or an absolute URL under STATUSPAGE_BASE_URL, becomes:
- a relative link from the page's directory when its target is exported (`../../components/api/`,
  `../de/`, `../../static/style.css`), so the export works under any path prefix; a link keeps its
  language: `/feed.rss` on a German page leads to `de/feed.rss`. Page links end in `/` (the directory),
  or in `/index.html` with index_links=True (`--index-html`: for object stores without directory indexes);
- an absolute link to the live site otherwise, with the page's language added: `/subscribe` (a form with a
  CSRF token: it cannot be static), the console `/admin/`, anything the app answered 404 to.
Relative times ("(2 hours ago)" beside a time) are left out of HTML pages: a file keeps them until the next
export, long after they stopped being true; the times themselves stay.
Feeds and JSON are exported byte for byte: their links (entry permalinks, the feed's own URL, the JSON's
`page.url` and shortlinks) keep pointing to the live site, since feed readers key entries by them.
Fragments (`#update-7`) are kept. Links to other sites are left alone.

Writes. Everything is rendered first; a 5xx aborts the export before a file is touched. Then each file is
written to a temporary file in its own directory and renamed over the old one (os.replace), so a reader
sees the old file or the new one, never half of one; identical files are left as they are (mtimes stay,
so rsync and CDN syncs copy only changes). Non-HTML files and deeper pages go first, so a page never
links to a file not yet there. Files of the previous export that are gone now (a deleted incident) are
removed last, with the directories they leave empty. Only files the export wrote are ever removed: the
list is in DIR/.statuspage-export.json (with a hash of the change marker, nothing more). A lock file
(DIR/.statuspage-export.lock) keeps two exports from interleaving.

Freshness. export_if_changed() exports only when change_marker() differs from the last export's: the
site's change counter (services/site_version.py: bumped by every public change), the local date (the
pages show the last days and months) and, when health checks exist or an incident is open, a five-minute
bucket (uptime bars and response times move without counting as changes). ScheduledExport is the scheduler job; `statuspage
export-static DIR --watch` does the same in the foreground.

Serving: the web server should send `.rss` as application/rss+xml, `.atom` as application/atom+xml, `.ics`
as text/calendar; charset=utf-8 and
add `Access-Control-Allow-Origin: *` to `api/v2/`, as the app does; dot files need not be served.
"""
from __future__ import annotations

import fcntl
import hashlib
import html
import json
import logging
import os
import posixpath
import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from . import clock
from .extensions import db
from .models import Check, Component, Incident, IncidentKind
from .services import site_version
from .services.page import history_page_count
from .services.pages import (
    PageView, all_pages, default_page_for_reading, effective, scope_components, scope_incidents,
)
from .web.cache import cache_key
from .web.page_choice import ENVIRON_EXPORT_PAGE
from .web.public_surface import BADGE, FEED, JSON, PAGE, PER_LANGUAGE, cached_kind

log = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bump when the layout or the rewriting changes: the next check exports again
MANIFEST = ".statuspage-export.json"
LOCK = ".statuspage-export.lock"
TEMP_PREFIX = ".~export-"
MEASURED_REFRESH_S = 300  # how stale uptime bars and response-time charts may get in the export

ASSET = "asset"  # static files; what else is exported is the public reads: web/public_surface.py
LINK_ATTRIBUTES = {"href", "src", "action"}
APP_ORIGIN = "http://app.invalid"  # where relative links are resolved; never requested


class ExportError(Exception):
    """The export could not be made (directory not writable, a page that failed to render)."""


@dataclass
class ExportReport:
    directory: Path
    pages: int = 0
    feeds: int = 0
    json: int = 0
    badges: int = 0
    assets: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        return (f"exported {self.pages} pages, {self.feeds} feeds, {self.json} JSON, {self.badges} badges, "
                f"{self.assets} assets to {self.directory} ({self.written} written, {self.unchanged} unchanged, "
                f"{self.removed} removed)")


@dataclass(frozen=True, order=True)
class Resource:
    """One exported URL: what it is, its path as the app routes it, its language, its history page."""

    kind: str
    path: str  # percent-encoded, as in a link
    lang: str | None = None  # None: the same in every language (JSON, static files)
    page: int = 1  # /history only

    @property
    def url(self) -> str:
        params = [("page", str(self.page))] if self.page > 1 else []
        if self.lang:
            params.append(("lang", self.lang))
        return self.path + ("?" + urlencode(params) if params else "")

    def file(self, default_language: str) -> str:
        parts = [unquote(part) for part in self.path.split("/") if part]
        if self.lang and self.lang != default_language:
            parts.insert(0, self.lang)
        if self.kind == PAGE:
            parts += ["page", str(self.page), "index.html"] if self.page > 1 else ["index.html"]
        return "/".join(parts)


# --- the one decision: has anything the export shows changed? -------------------------------------------

def change_marker(*, now: datetime, settings) -> str:
    """What the exported files depend on; a different value means export again. Needs an app context.

    The change counter covers incidents, updates, components and groups. The date covers the "last
    days" and history months; the bucket covers check results and open incidents, which move today's
    uptime as time passes without counting as changes (only when there are checks or an open incident).
    The settings and FORMAT_VERSION cover the rest.
    """
    measured = db.session.scalar(select(Check.id).limit(1)) is not None or db.session.scalar(
        select(Incident.id).where(Incident.kind == IncidentKind.INCIDENT, Incident.resolved_at.is_(None),
                                  Incident.is_published).limit(1)) is not None
    return "|".join(map(str, (
        FORMAT_VERSION, site_version.current(), now.astimezone(settings.tz).date().isoformat(),
        int(now.timestamp() // MEASURED_REFRESH_S) if measured else "-",
        settings.base_url, settings.site_name, ",".join(settings.languages), settings.default_language,
        settings.timezone)))


# --- links in HTML ----------------------------------------------------------------------------------------

_TAG_NAME = re.compile(r"<[^\s/>]+")
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_MAY_LINK = re.compile(r"href|src|action", re.I)
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")


class _StartTags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[int, int, str]] = []  # line, column, the start tag as written

    def handle_starttag(self, tag, attrs):
        self.tags.append((*self.getpos(), self.get_starttag_text()))


def link_tags(document: str) -> list[tuple[int, str]]:
    """(offset, text) of every start tag that may hold a link, as html.parser finds them (so nothing in
    text, comments or scripts counts)."""
    parser = _StartTags()
    parser.feed(document)
    parser.close()
    line_starts = [0] + [m.end() for m in re.finditer("\n", document)]
    tags = []
    for line, column, raw in parser.tags:
        start = line_starts[line - 1] + column
        if not document.startswith(raw, start):
            raise ExportError(f"cannot locate the tag {raw[:60]!r} at line {line}")
        if _MAY_LINK.search(raw):
            tags.append((start, raw))
    return tags


def rewrite_links(document: str, replace: Callable[[str], str], tags: list[tuple[int, str]] | None = None) -> str:
    """The document with replace(value) for every href, src and action value (unescaped in, escaped out).

    Attributes are read in order as html.parser reads them; a value replace() returns unchanged keeps its
    original bytes, so only changed links differ. tags: link_tags(document), when known already.
    """
    out, done = [], 0
    for start, raw in link_tags(document) if tags is None else tags:
        name = _TAG_NAME.match(raw)
        if name is None:
            continue

        def attribute(m: re.Match) -> str:
            if m.group(1).lower() not in LINK_ATTRIBUTES or m.group(3) is None:
                return m.group(0)
            quoted = m.group(3)
            inner = quoted[1:-1] if quoted[0] in "\"'" else quoted
            value = html.unescape(inner)
            new = replace(value)
            if new == value:
                return m.group(0)
            return f'{m.group(1)}{m.group(2)}"{html.escape(new, quote=True)}"'

        new_raw = raw[:name.end()] + _ATTRIBUTE.sub(attribute, raw[name.end():])
        if new_raw != raw:
            out += [document[done:start], new_raw]
            done = start + len(raw)
    out.append(document[done:])
    return "".join(out)


# "(2 hours ago)" beside a time, as templates/_macros.html (when_ago) writes it: true when the live site
# serves it, stale in a file that stays until the next change.
_RELATIVE_TIME = re.compile(r'<span class="relative">[^<]*</span>')


def drop_relative_times(document: str) -> str:
    """The page without its relative times; the times themselves stay."""
    return _RELATIVE_TIME.sub("", document)


# --- rendering --------------------------------------------------------------------------------------------

class _Site:
    """Renders every exported resource through the app, then the files with their links rewritten."""

    def __init__(self, app: Flask, *, index_links: bool, page: PageView | None = None):
        self.app = app
        self.settings = app.config["SETTINGS"]
        # One tree per page: the default page at the root, another under p/<slug>/ (its own languages).
        self.page = page
        self.tree = "" if page is None or page.is_default else f"p/{page.slug}/"
        self.languages = page.languages if page is not None else self.settings.languages
        self.live_url = page.url if page is not None else self.settings.base_url
        self.default = page.default_language if page is not None else self.settings.default_language
        self.index_links = index_links
        self.client = app.test_client(use_cookies=False)
        split = urlsplit(self.settings.base_url)
        self.origin = f"{split.scheme}://{split.netloc}"
        self.adapter = app.url_map.bind("localhost")
        self.history_pages = 1  # counted when the seeds are
        self.rendered: dict[Resource, bytes] = {}
        self.tags: dict[Resource, list[tuple[int, str]]] = {}  # each page is parsed once

    def resource(self, path: str, query: str = "", lang: str | None = None) -> Resource | None:
        """The exported resource a site URL stands for, or None when it is not one the export has."""
        decoded = unquote(path)
        if any(part in (".", "..") for part in decoded.split("/")):
            return None
        try:
            endpoint, _ = self.adapter.match(decoded, method="GET")
        except (HTTPException, RequestRedirect):
            return None
        kind = ASSET if endpoint == "static" else cached_kind(endpoint)
        if kind is None:
            return None
        if kind not in PER_LANGUAGE:
            return Resource(kind, path)
        params = MultiDict(parse_qsl(query))
        language = params["lang"] if params.get("lang") in self.languages else (lang or self.default)
        # The page as the cache keys it (web/cache.py): only /history has pages, never beyond the last, so a
        # link to /history?page=400 in an update leads to the last page instead of 397 empty ones.
        _path, page, _language, *_page = cache_key(decoded, params, language, self.history_pages)
        return Resource(kind, path, language, page)

    def seeds(self) -> list[Resource]:
        with self.app.app_context():
            tz = self.page.tz if self.page is not None else self.settings.tz
            self.history_pages = history_page_count(now=clock.now(), tz=tz, page=self.page)
            incidents = db.session.execute(scope_incidents(
                select(Incident.id, Incident.kind).where(Incident.is_published), self.page).order_by(Incident.id)).all()
            slugs = list(db.session.scalars(scope_components(select(Component.slug), self.page)
                                            .order_by(Component.id)))
        build = self.adapter.build
        paths = [build("public.index"), build("public.history"), build("badges.page_badge"),
                 build("feeds.site_feed", {"fmt": "rss"}), build("feeds.site_feed", {"fmt": "atom"}),
                 build("feeds.maintenance_calendar")]
        paths += [build("public.maintenance", {"maintenance_id": id_}) if kind == IncidentKind.MAINTENANCE
                  else build("public.incident", {"incident_id": id_}) for id_, kind in incidents]
        for slug in slugs:
            paths += [build("public.component", {"slug": slug}), build("badges.component_badge", {"slug": slug}),
                      build("feeds.component_feed", {"slug": slug, "fmt": "rss"}),
                      build("feeds.component_feed", {"slug": slug, "fmt": "atom"}),
                      build("feeds.component_maintenance_calendar", {"slug": slug})]
        found = [self.resource(path, lang=lang) for lang in self.languages for path in paths]
        found += [Resource(PAGE, build("public.history"), lang, number) for lang in self.languages
                  for number in range(2, self.history_pages + 1)]  # exactly the history pages there are
        found += [self.resource(rule.rule) for rule in self.app.url_map.iter_rules()
                  if cached_kind(rule.endpoint) == JSON and not rule.arguments and "GET" in (rule.methods or ())]
        return [r for r in dict.fromkeys(found) if r is not None]

    def render(self) -> None:
        """Every seed, and every exportable resource a rendered page or stylesheet refers to."""
        queue = deque(self.seeds())
        seen = set(queue)
        chosen = {ENVIRON_EXPORT_PAGE: self.page.slug} if self.page is not None and self.tree else {}
        while queue:
            resource = queue.popleft()
            response = self.client.get(resource.url, base_url=self.origin, environ_overrides=chosen)
            try:
                if response.status_code in (301, 302, 303, 307, 308, 404, 410):
                    continue  # not a page: links to it go to the live site
                if response.status_code != 200:
                    raise ExportError(f"GET {resource.url} answered {response.status_code}; nothing was written")
                body = response.get_data()
            finally:
                response.close()
            self.rendered[resource] = body
            for found in self.references(resource, body):
                if found not in seen:
                    seen.add(found)
                    queue.append(found)

    def target(self, value: str, source: Resource) -> tuple[Resource | None, str, str, str] | None:
        """(resource or None, app path, query, fragment) of a link in the site; None for others."""
        value = value.strip()
        if not value or value.startswith("#"):
            return None
        base = self.live_url
        if value == base or value.startswith((base + "/", base + "?", base + "#")):
            rest = value[len(base):]
            value = rest if rest.startswith("/") else "/" + rest
        parts = urlsplit(urljoin(APP_ORIGIN + source.url, value))
        if f"{parts.scheme}://{parts.netloc}" != APP_ORIGIN:
            return None
        path = parts.path or "/"
        return self.resource(path, parts.query, source.lang), path, parts.query, parts.fragment

    def references(self, resource: Resource, body: bytes) -> Iterator[Resource]:
        if resource.kind == PAGE:
            values: list[str] = []
            document = body.decode("utf-8")
            self.tags[resource] = link_tags(document)
            def keep(value: str) -> str:  # every link of the page, left as it is
                values.append(value)
                return value

            rewrite_links(document, keep, self.tags[resource])
        elif resource.kind == ASSET and resource.path.endswith(".css"):
            values = [v for v in _CSS_URL.findall(body.decode("utf-8", "replace")) if not v.startswith("data:")]
        else:
            return
        for value in values:
            found = self.target(value, resource)
            if found is not None and found[0] is not None:
                yield found[0]

    def link(self, here: str, target: Resource) -> str:
        """A relative link from the directory `here` to an exported resource."""
        file = target.file(self.default)
        if target.kind == PAGE and not self.index_links:
            relative = posixpath.relpath(posixpath.dirname(file) or ".", here or ".")
            link = "./" if relative == "." else relative + "/"
        else:
            link = posixpath.relpath(file, here or ".")
        return quote(link)

    def page_file(self, resource: Resource, body: bytes) -> bytes:
        here = posixpath.dirname(resource.file(self.default))

        def replace(value: str) -> str:
            found = self.target(value, resource)
            if found is None:
                return value
            target, path, query, fragment = found
            if target is not None and target in self.rendered:
                link = self.link(here, target)
            else:  # not exported (the subscribe form, the console, a 404): the live site, in this language
                params = parse_qsl(query, keep_blank_values=True)
                if resource.lang and not any(name == "lang" for name, _ in params):
                    params.append(("lang", resource.lang))
                link = self.live_url + quote(unquote(path)) + ("?" + urlencode(params) if params else "")
            return link + ("#" + fragment if fragment else "")

        return drop_relative_times(rewrite_links(body.decode("utf-8"), replace, self.tags[resource])).encode("utf-8")

    def files(self) -> dict[str, tuple[str, bytes]]:
        """file path -> (kind, bytes), for every rendered resource."""
        return {self.tree + resource.file(self.default): (resource.kind, self.page_file(resource, body)
                                              if resource.kind == PAGE else body)
                for resource, body in self.rendered.items()}


# --- files ------------------------------------------------------------------------------------------------

def _app(app_or_client: Flask | FlaskClient) -> Flask:
    return app_or_client.application if isinstance(app_or_client, FlaskClient) else app_or_client


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = open(directory / LOCK, "a")
    except OSError as error:
        raise ExportError(f"cannot write to {directory}: {error.strerror or error}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _manifest(directory: Path) -> dict:
    try:
        return json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def write_atomically(path: Path, data: bytes) -> bool:
    """Write through a temporary file in the same directory and a rename; False when already so."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes 0600, and the web server must read it
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _inside(directory: Path, relative: str) -> Path | None:
    parts = relative.split("/")
    if not relative or relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    return directory.joinpath(*parts)


def _remove(directory: Path, relative: str) -> bool:
    path = _inside(directory, relative)
    if path is None or not path.is_file():
        return False
    path.unlink()
    parent = path.parent
    while parent != directory:
        try:
            parent.rmdir()  # only when empty
        except OSError:
            break
        parent = parent.parent
    return True


def _export(app: Flask, directory: Path, *, index_links: bool, marker: str) -> ExportReport:
    files: dict[str, tuple[str, bytes]] = {}
    for page in exported_pages(app):
        site = _Site(app, index_links=index_links, page=page)
        site.render()
        files.update(site.files())
    report = ExportReport(directory)
    for kind, _ in files.values():
        attribute = {PAGE: "pages", FEED: "feeds", BADGE: "badges", JSON: "json", ASSET: "assets"}[kind]
        setattr(report, attribute, getattr(report, attribute) + 1)
    for stale in directory.rglob(TEMP_PREFIX + "*"):  # left by an export that was killed
        stale.unlink(missing_ok=True)
    # Everything a page may link to first, pages deepest first: no page links to a file not yet written.
    order = sorted(files, key=lambda name: (files[name][0] == PAGE, -name.count("/"), name))
    try:
        for name in order:
            if write_atomically(directory / name, files[name][1]):
                report.written += 1
            else:
                report.unchanged += 1
        previous = _manifest(directory).get("files", [])
        for name in sorted({name for name in previous if isinstance(name, str)} - set(files)):
            report.removed += _remove(directory, name)
        write_atomically(directory / MANIFEST, json.dumps({
            "format": FORMAT_VERSION, "marker": marker, "index_links": index_links, "files": sorted(files),
        }, indent=0).encode())
    except OSError as error:
        raise ExportError(f"cannot write to {directory}: {error}") from None
    return report


def _marker(app: Flask, now: datetime | None) -> str:
    with app.app_context():
        value = change_marker(now=now or clock.now(), settings=app.config["SETTINGS"])
    return hashlib.sha256(value.encode()).hexdigest()


def exported_pages(app: Flask) -> list[PageView]:
    """The pages to export: every public one (services/pages.py), the default page first."""
    settings = app.config["SETTINGS"]
    with app.app_context():
        stored = [page for page in all_pages() if not page.is_default]
        views = [effective(default_page_for_reading(), settings)] + [effective(page, settings) for page in stored]
        db.session.remove()
    return [view for view in views if view.is_public]


def export_site(app_or_client: Flask | FlaskClient, directory: Path, *, index_links: bool = False,
                now: datetime | None = None) -> ExportReport:
    """Export the whole public site into directory (created if need be); see the module's docstring.

    A client given is used only for its application: the export renders with its own cookieless client.
    """
    app, directory = _app(app_or_client), Path(directory)
    with _locked(directory):
        return _export(app, directory, index_links=index_links, marker=_marker(app, now))


def export_if_changed(app_or_client: Flask | FlaskClient, directory: Path, *, index_links: bool = False,
                      now: datetime | None = None) -> ExportReport | None:
    """Export when change_marker() differs from the last export's (or there is none); else None."""
    app, directory = _app(app_or_client), Path(directory)
    with _locked(directory):
        marker = _marker(app, now)  # before rendering: a change made meanwhile is caught next time
        last = _manifest(directory)
        if last.get("marker") == marker and last.get("index_links") == index_links:
            return None
        return _export(app, directory, index_links=index_links, marker=marker)


class ScheduledExport:
    """The scheduler job (called with now=...): keeps directory fresh within one job interval.

    The first run after start exports whatever the marker says: a deploy may have changed the templates.
    """

    def __init__(self, app: Flask, directory: Path, *, index_links: bool = False):
        self.app, self.directory, self.index_links = app, Path(directory), index_links
        self.started = False

    def __call__(self, *, now: datetime) -> ExportReport | None:
        if self.started:
            report = export_if_changed(self.app, self.directory, index_links=self.index_links, now=now)
        else:
            report = export_site(self.app, self.directory, index_links=self.index_links, now=now)
            self.started = True
        if report is not None:
            log.info("static export: %s", report)
        return report

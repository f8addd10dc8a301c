"""The read path: public responses rendered once per change and language, then served from memory.

Every worker keeps its own cache. An entry is good while the site's change counter (one indexed read
per request, services/site_version.py) is what it was when the entry was made, and for at most TTL
(check results move today's uptime bar without counting as a change). So a change committed on any
host is visible on the next request everywhere. Entries keep a gzip copy for clients that accept it,
and a request whose If-None-Match (or If-Modified-Since) matches gets 304 without rendering.

Hits from visitors without a session are answered by FastPath (`key`, then `answer`): the request never
reaches routing, sessions or templates, which is most of what a cached page would cost. It is a WSGI
layer in front of Flask, and the production server (web/server.py) asks it from its event loop.
Everything else goes through Flask, whose hooks store what public views render, one rendering per page
at a time (PageCache). Compression of static files and the console is left to the reverse proxy.
"""
from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import parse_qsl

from flask import Flask, Response, current_app, g, request, session
from werkzeug.datastructures import LanguageAccept, MultiDict
from werkzeug.http import is_resource_modified, parse_accept_header, parse_date, unquote_etag
from werkzeug.sansio.http import parse_cookie  # as Flask reads cookies: bytes that are not UTF-8 are no error

from .. import clock
from ..i18n import LANG_COOKIE, choose_language, current_language
from ..services import page, site_version
from ..services.pages import ENVIRON_PAGE
from .page_choice import ENVIRON_MISSING, ENVIRON_VERSION, current_page
from .public_surface import HISTORY_PATH, cached_kind

TTL = 30.0  # seconds: how stale today's uptime bar may get
MAX_ENTRIES = 2000
RENDER_WAIT = 5.0  # seconds a reader waits for another's rendering of the same page before rendering it too
COMPRESSIBLE = ("text/", "application/json", "application/rss+xml", "application/atom+xml", "image/svg+xml",
                "application/xml")
MIN_GZIP_BYTES = 512
NOT_STORED = ("Content-Length", "Set-Cookie", "Content-Encoding", "Strict-Transport-Security")
NOT_ON_304 = ("Content-Type", "Content-Language")


@dataclass(frozen=True)
class Entry:
    version: int
    made: float
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bytes | None
    etag: str
    last_modified: datetime | None

    def answer(self, environ: dict) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers and body for this request: 304 when the client has it, gzip when it accepts it."""
        headers = list(self.headers)
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        if (environ.get("HTTP_IF_NONE_MATCH") or environ.get("HTTP_IF_MODIFIED_SINCE")) and not is_resource_modified(
                environ, etag=unquote_etag(self.etag)[0], last_modified=self.last_modified):
            return 304, [h for h in headers if h[0] not in NOT_ON_304], b""
        if self.gzipped is not None and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING")):
            return 200, headers + [("Content-Encoding", "gzip"), ("Content-Length", str(len(self.gzipped)))], \
                self.gzipped
        return 200, headers + [("Content-Length", str(len(self.body)))], self.body


@lru_cache(maxsize=256)  # a few browsers' headers, over and over
def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether a client's Accept-Encoding lets us send gzip, by its q-values (RFC 9110, 12.5.3), as werkzeug
    reads them: `gzip;q=0`, or `*;q=0` without gzip named, or only `identity`, say no; no header says no too
    (HTTP/1.0 clients and scripts). The one reading for cache hits on the event loop and in Flask."""
    return parse_accept_header(accept_encoding or "").quality("gzip") > 0


def cache_key(path: str, args, language: str, history_pages: int | None = None, *, page_id: int | None = None
              ) -> tuple:
    """What a public response depends on: the one key FastPath, Flask's hooks and the static export use.

    The status page (its id, None for the default page, whose keys stay as they were: web/page_choice.py
    chose it, and the path is within it); the language (from
    ?lang=, the cookie or Accept-Language, among the page's: i18n.py); and, for /history only, the history
    page: a whole number from 1 (anything else is page 1) and at most history_pages when known, so no
    request makes an entry for a history page that is not there. No other query argument is part of a key: the views read
    none, so `/?utm_source=x` is `/`, served from its entry, never stored apart.
    """
    on_page = () if page_id is None else (page_id,)
    if path != HISTORY_PATH:
        return path, 1, language, *on_page
    return path, page.history_page_number(args.get("page"), history_pages), language, *on_page


def history_pages() -> int:
    """How many /history pages there are now (counted once per request: the cache's key and the view)."""
    if "history_pages" not in g:
        on = current_page()
        g.history_pages = page.history_page_count(now=clock.now(), tz=on.tz, page=on)
    return g.history_pages


class PageCache:
    """Entries by key, the newest MAX_ENTRIES kept. When many readers miss the same page at once (just
    after a change, in an outage) one of them renders it and the others wait for that, instead of all
    rendering it; past TTL, the others are still served the old entry while it is rendered afresh."""

    def __init__(self, max_entries: int = MAX_ENTRIES, monotonic=time.monotonic):
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.rendering: dict[tuple, tuple[int, float, threading.Event]] = {}  # key: version, since, done
        self.max_entries = max_entries
        self.monotonic = monotonic
        self.lock = threading.Lock()

    def get(self, key: tuple, version: int) -> Entry | None:
        """The entry, if good for this version and not past TTL, or past TTL while someone renders it."""
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry.version != version:
                return None
            if self.monotonic() - entry.made > TTL and self._renderer(key, version) is None:
                return None
            self.entries.move_to_end(key)
            return entry

    def get_or_render(self, key: tuple, version: int) -> Entry | None:
        """As get; or None when the caller is to render the page (and put it, then call `rendered`).
        If someone else is rendering it, wait for that (up to RENDER_WAIT) rather than render it again."""
        for _ in range(2):
            with self.lock:
                entry = self.entries.get(key)
                if entry is not None and entry.version != version:
                    entry = None
                if entry is not None and self.monotonic() - entry.made <= TTL:
                    return entry
                renderer = self._renderer(key, version)
                if renderer is None:
                    self.rendering[key] = (version, self.monotonic(), threading.Event())
                    return None
                if entry is not None:
                    return entry
            renderer.wait(RENDER_WAIT)
        return None

    def rendered(self, key: tuple) -> None:
        """The caller of get_or_render is done with key (stored or not): release whoever waits."""
        with self.lock:
            claim = self.rendering.pop(key, None)
        if claim is not None:
            claim[2].set()

    def _renderer(self, key: tuple, version: int) -> threading.Event | None:
        claim = self.rendering.get(key)
        if claim is None or claim[0] != version or self.monotonic() - claim[1] > RENDER_WAIT:
            return None
        return claim[2]

    def put(self, key: tuple, entry: Entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


class FastPath:
    """Answers cache hits for session-less GET and HEAD requests before Flask sees them."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.settings = app.config["SETTINGS"]
        self.session_cookie = app.config["SESSION_COOKIE_NAME"]
        self.cache: PageCache = app.extensions["statuspage.page_cache"]
        self.version = app.extensions["statuspage.site_version_reader"]

    def __call__(self, environ, start_response):
        key = self.key(environ)
        hit = None
        if key is not None:
            if ENVIRON_VERSION not in environ:  # PageChoice reads it for every page's request: not here
                environ[ENVIRON_VERSION] = self.version()
            hit = self.answer(environ, key, environ[ENVIRON_VERSION])
        if hit is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = hit
        start_response("304 NOT MODIFIED" if status == 304 else "200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def key(self, environ: dict) -> tuple | None:
        """The cache key of a request that a hit may answer (a page in the cache), else None."""
        page_view = environ.get(ENVIRON_PAGE)
        if page_view is None or not cacheable(environ):
            return None
        args = MultiDict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))  # first wins, as in Flask
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        chosen = args.get("lang")
        if self.session_cookie in cookies or (chosen in page_view.languages and cookies.get(LANG_COOKIE) != chosen):
            return None  # a session may hold a flash message; a new ?lang= choice sets a cookie: Flask does both
        language = choose_language(chosen, cookies.get(LANG_COOKIE),
                                   parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept),
                                   page_view)
        # A /history page beyond the last is not clamped here (the count needs the database): its key is in
        # no entry, so Flask answers it, clamped, from the last page's entry.
        key = cache_key(environ.get("PATH_INFO", "/"), args, language, page_id=page_view.key_id)
        return key if key in self.cache.entries else None

    def answer(self, environ: dict, key: tuple, version: int | None) -> tuple[int, list, bytes] | None:
        """Status, headers and body from the cache for the site's version now, or None for Flask to answer
        (also when the version is unknown: the database is away, and Flask says so as it would)."""
        entry = self.cache.get(key, version) if version is not None else None
        return entry.answer(environ) if entry is not None else None


def cacheable(environ: dict, endpoint: str | None = None) -> bool:
    """The one rule of what the cache keeps and answers: a GET or HEAD of a public page that is there
    (PageChoice did not mark it missing; a private or password page's answers are each reader's: never
    kept) for a public read (web/public_surface.py: CACHED). The fast path asks before routing
    (endpoint None): it answers only keys that Flask's hooks stored, and they asked with the endpoint. Sessions
    are each caller's: the fast path leaves any session cookie to Flask, Flask's hooks a session's flashes."""
    page_view = environ.get(ENVIRON_PAGE)
    return (environ["REQUEST_METHOD"] in ("GET", "HEAD") and not environ.get(ENVIRON_MISSING)
            and (page_view is None or page_view.is_public)
            and (endpoint is None or cached_kind(endpoint) is not None))


def request_version() -> int:
    """The change counter for this request: the one read for it before Flask (by PageChoice, or on the
    production server's event loop, web/server.py), read here only for a request that came another way (a
    test's request context) or when that read could not say (then this one says what is wrong)."""
    if "site_version" not in g:
        version = request.environ.get(ENVIRON_VERSION)
        g.site_version = version if version is not None else site_version.current()
    return g.site_version


def _cacheable() -> bool:
    return (cacheable(request.environ, request.endpoint or "") and current_page().is_public
            and "_flashes" not in session)


def _serve_from_cache():
    if not _cacheable():
        return None
    pages = history_pages() if request.path == HISTORY_PATH else None
    key = cache_key(request.path, request.args, current_language(), pages, page_id=current_page().key_id)
    version = request_version()
    if request.method == "HEAD":  # a hit, or Flask answers: HEAD stores nothing, so it claims no rendering
        entry = _cache().get(key, version)
        if entry is None:
            return None
    else:
        entry = _cache().get_or_render(key, version)
    if entry is not None:
        status, headers, body = entry.answer(request.environ)
        return Response(body, status=status, headers=[h for h in headers if h[0] != "Content-Length"])
    g.cache_key, g.cache_version = key, version  # ours to render: _store keeps it, _rendered lets others in
    return None


def _store(response: Response) -> Response:
    """Keep a public view's response (run after every other after_request hook, so with their headers)."""
    key = g.get("cache_key")
    if key is None or response.status_code != 200 or response.direct_passthrough or request.method != "GET":
        return response
    body = response.get_data()
    headers = [(name, value) for name, value in response.headers.items() if name not in NOT_STORED]
    etag = response.headers.get("ETag") or f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    names = {name for name, _ in headers}
    if "ETag" not in names:
        headers.append(("ETag", etag))
    if "Cache-Control" not in names:
        headers.append(("Cache-Control", "public, max-age=10"))
    compress = (response.mimetype or "").startswith(COMPRESSIBLE) and len(body) >= MIN_GZIP_BYTES
    if compress:
        vary = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
        headers = [(n, v) for n, v in headers if n != "Vary"] + [("Vary", ", ".join(["Accept-Encoding", *vary]))]
    entry = Entry(g.cache_version, time.monotonic(), tuple(headers), body,
                  gzip.compress(body, 6, mtime=0) if compress else None, etag,
                  parse_date(response.headers.get("Last-Modified")))
    _cache().put(key, entry)
    status, fresh_headers, fresh_body = entry.answer(request.environ)  # exactly what a hit will give
    fresh = Response(fresh_body, status=status, headers=[h for h in fresh_headers if h[0] != "Content-Length"])
    for cookie in response.headers.getlist("Set-Cookie"):  # e.g. the language cookie: this client's only
        fresh.headers.add("Set-Cookie", cookie)
    return fresh


def _rendered(_error) -> None:
    key = g.pop("cache_key", None)
    if key is not None:
        _cache().rendered(key)


def _cache() -> PageCache:
    return current_app.extensions["statuspage.page_cache"]


def init_app(app: Flask) -> None:
    """Call before any other after_request hook is registered: _store must run last, to keep their headers."""
    app.extensions["statuspage.page_cache"] = PageCache()
    app.extensions["statuspage.site_version_reader"] = site_version.Reader(app)
    app.before_request(_serve_from_cache)
    app.after_request(_store)
    app.teardown_request(_rendered)
    app.wsgi_app = app.extensions["statuspage.fast_path"] = FastPath(app.wsgi_app, app)  # type: ignore[method-assign]

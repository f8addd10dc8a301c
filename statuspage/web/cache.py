"""The read path: public responses rendered once per change and language, then served from memory.

Every worker keeps its own cache. An entry is good while the site's change counter (one indexed read
per request, services/site_version.py) is what it was when the entry was made, and for at most TTL
(check results move today's uptime bar without counting as a change). So a change committed on any
host is visible on the next request everywhere. Entries keep a gzip copy for clients that accept it,
and a request whose If-None-Match matches gets 304 without rendering. Compression of everything else
(static files, the console) is left to the reverse proxy.
"""
from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request, session
from werkzeug.http import is_resource_modified, parse_date, unquote_etag

from ..i18n import current_language
from ..services import site_version

CACHED_ENDPOINTS = {
    "public.index", "public.incident", "public.maintenance", "public.history", "public.component",
    "feeds.site_feed", "feeds.component_feed", "badges.page_badge", "badges.component_badge",
}
CACHED_PREFIXES = ("api_v2.",)
KEY_ARGS = {"lang", "page"}  # query arguments that change a public response; any other bypasses the cache
TTL = 30.0  # seconds: how stale today's uptime bar may get
MAX_ENTRIES = 2000
COMPRESSIBLE = ("text/", "application/json", "application/rss+xml", "application/atom+xml", "image/svg+xml",
                "application/xml")
MIN_GZIP_BYTES = 512


@dataclass(frozen=True)
class Entry:
    version: int
    made: float
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bytes | None
    etag: str

    def response(self) -> Response:
        """The stored response, compressed when the client accepts it, or 304 when it has this version."""
        headers = list(self.headers)
        last_modified = parse_date(dict(headers).get("Last-Modified"))
        if (request.if_none_match or request.if_modified_since) and not is_resource_modified(
                request.environ, etag=unquote_etag(self.etag)[0], last_modified=last_modified):
            return Response(status=304, headers=[h for h in headers if h[0] in ("ETag", "Cache-Control", "Vary",
                                                                                 "Last-Modified")])
        if self.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
            headers.append(("Content-Encoding", "gzip"))
            return Response(self.gzipped, status=self.status, headers=headers)
        return Response(self.body, status=self.status, headers=headers)


class PageCache:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.max_entries = max_entries
        self.lock = threading.Lock()

    def get(self, key: tuple, version: int) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry.version != version or time.monotonic() - entry.made > TTL:
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _cacheable() -> bool:
    endpoint = request.endpoint or ""
    return (request.method in ("GET", "HEAD") and (endpoint in CACHED_ENDPOINTS or endpoint.startswith(CACHED_PREFIXES))
            and set(request.args) <= KEY_ARGS and "_flashes" not in session)


def _serve_from_cache():
    if not _cacheable():
        return None
    key, version = (request.path, request.args.get("page", ""), current_language()), site_version.current()
    entry = _cache().get(key, version)
    if entry is not None:
        return entry.response()
    g.cache_key, g.cache_version = key, version  # a miss: _store keeps what the view renders
    return None


def _store(response: Response) -> Response:
    key = g.pop("cache_key", None)
    if key is None or response.status_code != 200 or response.direct_passthrough or request.method != "GET":
        return response
    body = response.get_data()
    headers = [(name, value) for name, value in response.headers.items()
               if name not in ("Content-Length", "Set-Cookie", "Content-Encoding")]  # cookies: this client's only
    etag = response.headers.get("ETag") or f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    names = {name for name, _ in headers}
    if "ETag" not in names:
        headers.append(("ETag", etag))
    if "Cache-Control" not in names:
        headers.append(("Cache-Control", "public, max-age=10"))
    compress = response.mimetype.startswith(COMPRESSIBLE) and len(body) >= MIN_GZIP_BYTES
    if compress:
        headers = [(n, v) for n, v in headers if n != "Vary"] + [
            ("Vary", ", ".join(filter(None, [response.headers.get("Vary"), "Accept-Encoding"])))]
    entry = Entry(g.cache_version, time.monotonic(), 200, tuple(headers), body,
                  gzip.compress(body, 6, mtime=0) if compress else None, etag)
    _cache().put(key, entry)
    return entry.response()  # what the client gets is exactly what a hit would give it


def _cache() -> PageCache:
    return current_app.extensions["statuspage.page_cache"]


def init_app(app: Flask) -> None:
    app.extensions["statuspage.page_cache"] = PageCache()
    app.before_request(_serve_from_cache)
    app.after_request(_store)


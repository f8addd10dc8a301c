"""The production web server: gunicorn runs uvicorn's worker, whose event loop answers cached pages
itself and hands every other request to Flask on a thread pool.

Why not gunicorn's own workers: a cached page is a dictionary lookup and one indexed read of the change
counter, so what it costs is HTTP itself. gthread parses requests in Python and passes each one to a
thread; uvicorn parses in C (httptools) on one event loop (uvloop) per process and answers a hit
without leaving the loop, about four times as many requests per second (bench/README.md, "The cached
read path"). Flask views, which wait on the database, run on the pool, so a slow one never holds up a
cached page.
"""
from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import sys
from collections.abc import Callable

from a2wsgi import WSGIMiddleware
from flask import Flask
from uvicorn_worker import UvicornWorker

from .. import TrustedProxyFix
from ..services import site_version
from .page_choice import ENVIRON_VERSION

log = logging.getLogger(__name__)


class Worker(UvicornWorker):
    """uvloop and httptools, or fail to start (no silent fallback to the slow pure-Python parser);
    forwarded headers are TrustedProxyFix's, the one place that trusts them."""

    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "proxy_headers": False}
    wsgi: Callable[..., object]  # set by gunicorn's load_wsgi(): the app it loaded, WSGI or ASGI

    def load_wsgi(self) -> None:
        """gunicorn.conf.py names application(); the conventional `gunicorn -c gunicorn.conf.py wsgi:app`
        names the Flask app of wsgi.py instead, a WSGI app this ASGI worker could not call: either way the
        worker serves the same Front."""
        super().load_wsgi()
        self.wsgi = as_asgi(self.wsgi)


def as_asgi(loaded):
    """What gunicorn loaded, as the ASGI app to serve: our Flask app goes behind Front (as application()
    puts it), any other WSGI app behind a2wsgi, and an ASGI app (application() itself) stays as it is."""
    if isinstance(loaded, Flask):
        return application(loaded)
    if isinstance(loaded, Front) or inspect.iscoroutinefunction(loaded) \
            or (callable(loaded) and inspect.iscoroutinefunction(loaded.__call__)):
        return loaded
    return WSGIMiddleware(loaded)


class Front:
    """The ASGI application: cache hits from the loop, the rest through Flask (WSGI) on `threads` threads."""

    def __init__(self, app: Flask, threads: int):
        self.fast_path = app.extensions["statuspage.fast_path"]
        self.page_choice = app.extensions["statuspage.page_choice"]
        # The same rule as Flask's requests (statuspage/__init__.py): returns the environ, fixed when trusted.
        self.proxy_fix = TrustedProxyFix(lambda environ, _start: environ, app.config["SETTINGS"].trusted_proxies)
        self.version = SharedRead(site_version.LoopReader(app.extensions["statuspage.site_version_reader"]))
        # Flask, told the change counter the loop read for a request it could not answer
        self.flask = WSGIMiddleware(_version_from_scope(app), workers=threads)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            environ = self.proxy_fix(_environ(scope), None)
            # The page from the maps in memory; the counter is read only for a key in the cache, and the
            # hit served only when the maps were made at that counter too (else Flask's thread reads them).
            maps, hit = self.page_choice.current, None
            if maps is not None:
                self.page_choice.choose(environ, maps)
                key = self.fast_path.key(environ)
                if key is not None:
                    version = await self.version()
                    hit = self.fast_path.answer(environ, key, version) if version == maps.version else None
                    if hit is None and version is not None:  # Flask's thread takes it from here: not read again
                        scope = {**scope, ENVIRON_VERSION: version}
            if hit is not None:
                status, headers, body = hit
                await send({"type": "http.response.start", "status": status,
                            "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]})
                await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
                return
        await self.flask(scope, receive, send)


class SharedRead:
    """The change counter, read once for every request waiting at the same moment: by a read that starts
    after they arrived (a change committed before a request is seen by it), at one round trip per batch
    instead of one per request."""

    def __init__(self, read: site_version.LoopReader) -> None:
        self.read = read
        self.reading: asyncio.Task | None = None
        self.waiting: list[asyncio.Future] = []

    async def __call__(self) -> int | None:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        if self.reading is None:
            self.reading = asyncio.get_running_loop().create_task(self._read_for_waiting())
        return await future

    async def _read_for_waiting(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []  # everyone who arrived before this read starts
            try:
                version = await self.read()
            except Exception:  # the database is away: Flask answers, and says so
                version = None
            for future in batch:
                if not future.done():
                    future.set_result(version)
        self.reading = None


def _version_from_scope(app: Flask):
    """Flask's WSGI app, given the change counter the event loop read for the request (a2wsgi keeps the
    ASGI scope in the environ), so that PageChoice and the cache's hooks do not read it again."""
    def wsgi_app(environ, start_response):
        version = environ.get("asgi.scope", {}).get(ENVIRON_VERSION)
        if version is not None:
            environ[ENVIRON_VERSION] = version
        return app(environ, start_response)
    return wsgi_app


def _environ(scope) -> dict:
    """What FastPath and ProxyFix read of a request, as WSGI spells it."""
    environ = {"REQUEST_METHOD": scope["method"], "PATH_INFO": scope["path"],
               "QUERY_STRING": scope["query_string"].decode("latin-1"), "wsgi.url_scheme": scope["scheme"],
               "REMOTE_ADDR": (scope.get("client") or ("", 0))[0]}
    for name, value in scope["headers"]:
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        value = value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def application(app: Flask | None = None) -> Front:
    """What gunicorn.conf.py serves: `statuspage.web.server:application()`; given a Flask app (wsgi.py's),
    that one, ready the same way."""
    from .. import create_app_or_exit

    from ..support import candidates
    from ..support.matching import warm

    app = app or create_app_or_exit()
    warm()      # the ticket matcher's model and data, before the first ticket instead of during it
    try:
        candidates.warm(app)
    except Exception:       # a database not there yet is no reason not to serve: the first ticket reads them
        log.warning("could not read the open incidents for ticket matching at start", exc_info=True)
    sys.setswitchinterval(0.001)   # the event loop answers cached pages: it waits at most 1 ms for the GIL
    gc.freeze()  # what the app is made of lives as long as the process: no collection need look at it again
    return Front(app, threads=app.config["SETTINGS"].web_threads)

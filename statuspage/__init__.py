"""statuspage: a status page and incident notification service."""
from __future__ import annotations

import ipaddress
import sys

from flask import Flask
from sqlalchemy.pool import NullPool
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_settings
from .json_input import JSONProvider
from .paths import TRANSLATIONS_DIR, shared_dir
from .web.converters import GroupIdConverter, IdConverter

# The one reverse proxy in front of us (README: "Running in production"): its X-Forwarded-For, -Proto and
# -Host are the client's, when the request comes from it. Applied by TrustedProxyFix to every request
# Flask sees, and by web/server.py to cache hits.
PROXY_FIX = {"x_for": 1, "x_proto": 1, "x_host": 1}


class TrustedProxyFix:
    """Werkzeug's ProxyFix (PROXY_FIX), for requests whose immediate peer (REMOTE_ADDR) is one of the
    STATUSPAGE_TRUSTED_PROXIES; from anyone else X-Forwarded-* headers are the client's own word and are
    ignored: a client could otherwise pick any address to count its sign-in attempts against, or claim HTTPS.
    With no proxy configured (the default) nothing is trusted."""

    def __init__(self, app, proxies):
        self.app = app
        self.fixed = ProxyFix(app, **PROXY_FIX)
        self.networks = tuple(ipaddress.ip_network(str(proxy), strict=False) for proxy in proxies)

    def trusts(self, address: str | None) -> bool:
        try:
            peer = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        if peer.version == 6 and peer.ipv4_mapped is not None:  # ::ffff:10.0.0.1 from a dual-stack socket
            peer = peer.ipv4_mapped
        return any(peer in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.networks and self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def create_app_or_exit() -> Flask:
    """create_app for a server's worker: a bad setting is one line on stderr, not a traceback per worker, and
    exit status 4, gunicorn's "the app failed to load", which stops the arbiter instead of starting workers again."""
    from .config import SettingsError

    try:
        return create_app()
    except SettingsError as error:
        print(f"Error: {error}", file=sys.stderr, flush=True)
        sys.exit(4)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application from settings (environment, .env, then these overrides)."""
    from . import api, errors, i18n, models, ratelimits, system_text  # noqa: F401  (models registers the tables)
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .paths import MIGRATIONS_DIR
    from . import web
    from .services import site_version
    from .web import cache as web_cache, page_choice

    settings = load_settings(overrides)
    _check_database_url(settings.database_url)
    _check_rate_limit_storage(settings.ratelimit_storage_url, ratelimits.SCHEME)
    _check_support_hours(settings)
    _check_alert_urls(settings.alert_urls)
    if settings.ticket_model:
        _check_ticket_model(settings.ticket_model)
    app = Flask(__name__, template_folder=shared_dir("templates"), static_folder=shared_dir("static"),
                instance_path=str(settings.instance_dir))
    app.json = JSONProvider(app)  # request bodies: bounded depth, lone surrogates replaced
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        # The remember-me cookie signs in as the session does: the same attributes, so a cross-site POST
        # never carries it where the session cookie would be held back.
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.default_language,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url or f"{ratelimits.SCHEME}://",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.url_map.converters.update(id=IdConverter, group_id=GroupIdConverter)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.current_language, timezone_selector=i18n.select_timezone)
    login_manager.init_app(app)
    site_version.install()
    web_cache.init_app(app)  # first: its after_request hook runs last, keeping every other hook's headers
    i18n.init_app(app)
    system_text.init_app(app)
    errors.register_error_handlers(app)
    web.init_app(app)
    api.init_app(app)
    page_choice.init_app(app)  # outside the fast path: a cache hit knows its page
    app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]  # outermost: everything sees the client
        app.wsgi_app, settings.trusted_proxies)
    return app


def _check_support_hours(settings) -> None:
    """Bad support hours or holiday region stop start-up in one line (the calendar is support/'s to read,
    so the check is made here rather than in config.py, which imports nothing above it)."""
    from .config import SettingsError
    from .support.sla import BusinessCalendar

    try:
        BusinessCalendar.from_settings(settings)
    except ValueError as error:
        raise SettingsError(f"support hours: {error}") from None


def _check_alert_urls(urls: tuple[str, ...]) -> None:
    """Each alert URL must be one Apprise reads and a service we send to; the error names its place in
    the list, never the URL (it carries tokens). Internal hosts are fine here: the operator chose them.
    Checked here rather than in config.py, which imports nothing above it (the check is notify/'s)."""
    if not urls:
        return
    from .config import SettingsError
    from .notify.channels.chat import check_notify_url

    for number, url in enumerate(urls, start=1):
        try:
            check_notify_url(url, allow_private=True, check_host=False)
        except ValueError as error:
            raise SettingsError(f"STATUSPAGE_ALERT_URLS, URL {number}: {error}") from None


def _check_database_url(url: str) -> None:
    """SQLite or PostgreSQL, in a URL SQLAlchemy reads; said in one line, the password never repeated."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from .config import SettingsError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError("STATUSPAGE_DATABASE_URL must be a URL such as sqlite:///instance/statuspage.db or "
                            "postgresql+psycopg://user@host/db") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql") or parsed.get_driver_name() not in (
            "pysqlite", "psycopg"):
        raise SettingsError("STATUSPAGE_DATABASE_URL must be sqlite:///… or postgresql+psycopg://…, got "
                            f"{parsed.render_as_string(hide_password=True)!r}")


def _check_rate_limit_storage(url: str, own_scheme: str) -> None:
    from limits.storage import SCHEMES

    from .config import SettingsError

    scheme = url.partition("://")[0]
    if url and ("://" not in url or (scheme not in SCHEMES and scheme != own_scheme)):
        raise SettingsError(f"STATUSPAGE_RATELIMIT_STORAGE_URL must be empty (the database) or a storage URL of "
                            f"the limits library such as redis://host:6379 or memory://, got {url!r}")


def _check_ticket_model(path: str) -> None:
    """Fail at start, in one line, rather than on the first ticket."""
    from .config import SettingsError
    from .support import model

    try:
        model.load(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SettingsError(f"STATUSPAGE_TICKET_MODEL={path!r} is not a ticket model: {error}") from None


def _engine_options(settings) -> dict:
    # SQLite: a fresh connection per checkout (cheap for a local file). Handing pooled SQLite connections
    # from thread to thread (gunicorn gthread workers) crashed workers with SIGSEGV under load, with
    # SQLAlchemy's compiled extensions on; bench/bench_http.py reproduced it, NullPool ended it.
    if settings.database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 5}, "poolclass": NullPool}
    # A statement that runs away (a lock held by a stuck client, a bad plan) is cut off, not waited for.
    return {"pool_size": settings.db_pool_size, "pool_pre_ping": True, "max_overflow": settings.db_max_overflow,
            "connect_args": {"options": f"-c statement_timeout={settings.db_statement_timeout_ms}"}}

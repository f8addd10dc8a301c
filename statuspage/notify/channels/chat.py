"""The chat and push channel: one message to one Apprise URL (Slack, Teams, Discord, ntfy, json:// ...).

Apprise (PyPI `apprise`) speaks about 150 services; we let subscribers use only those that deliver over
HTTP(S) (ALLOWED), one destination per outbox row: one `notify()` to several targets fails or succeeds as
a whole, so it could not be retried per target. Its traps, each handled here:

- it sleeps between requests to one service (`request_rate_per_sec`): set to 0 on every instance, the
  outbox's backoff paces us instead;
- it answers True or False and nothing else: the HTTP status and any connection error are taken from
  urllib3 while the send runs (`_Watch`), which also checks every connected peer against
  private/loopback/link-local addresses as webhooks are (a redirect or a DNS change cannot lead us inward);
- it logs request URLs at debug level, and a destination URL is a secret (it carries the tokens): its
  logger is cut off from ours (`_quiet_apprise`), and nothing here logs or stores a URL in clear.

URLs are stored sealed (Fernet, a key derived from the site's secret key) and shown as `describe()` gives
them: scheme, the host we connect to for self-hosted services, and an ellipsis.
"""
from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import ipaddress
import logging
import socket
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import urllib3.connection
import urllib3.util.connection
from cryptography.fernet import Fernet, InvalidToken
from urllib3.response import HTTPResponse

from . import DeliveryError
from .webhook import MAX_URL_LENGTH, _Guard, _PrivatePeer, refuse_private_host

if TYPE_CHECKING:
    from apprise import AppriseAsset, NotifyBase

# Services a subscriber may choose: the Apprise protocol name -> "self" when the URL names the host we
# connect to (checked like a webhook URL), "vendor" when the service's own public API is the destination.
ALLOWED: dict[str, str] = {
    "json": "self", "xml": "self", "form": "self", "ntfy": "self", "gotify": "self", "mmost": "self",
    "rocket": "self", "matrix": "self", "workflow": "self", "apprise": "self", "signal": "self",
    "slack": "vendor", "discord": "vendor", "tgram": "vendor", "pover": "vendor", "gchat": "vendor",
    "pbul": "vendor", "guilded": "vendor", "ryver": "vendor", "zulip": "vendor", "opsgenie": "vendor",
    "pagerduty": "vendor",
}
# Services whose messages render Markdown (links, bold): they get it, the others plain text.
RICH = {"slack", "discord", "workflow", "mmost", "rocket", "matrix", "tgram", "gchat", "guilded", "zulip"}
SERVICE_NAMES = "Slack, Microsoft Teams (workflows://), Discord, Telegram, Matrix, Mattermost, Rocket.Chat, " \
                "ntfy, Gotify, Pushover, json://, xml://, form://"
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Destination:
    """A checked Apprise URL: which service, where we connect, how it may be shown."""

    url: str
    service: str         # the Apprise protocol name, a key of ALLOWED
    host: str | None     # the host we connect to when the URL names it; None for a vendor's API
    shown: str           # for people: "json://hooks.example.com:8080/…", never the tokens
    rich: bool           # Markdown (Slack, Teams, Discord ...) rather than plain text


def _apprise() -> ModuleType:
    import apprise  # imported on first use: a web worker that never sends to chat does not load 150 plugins
    _quiet_apprise()
    return apprise


def _quiet_apprise() -> None:
    """Apprise's records never reach our handlers (they may carry a URL); none goes to stderr either."""
    apprise_log = logging.getLogger("apprise")
    if apprise_log.propagate:
        apprise_log.propagate = False
        apprise_log.addHandler(logging.NullHandler())
        apprise_log.setLevel(logging.CRITICAL)


def _asset(app_name: str = "", app_url: str = "") -> AppriseAsset:
    """No Apprise logo or name in our messages: Slack's footer and Discord's embed author read the site's name
    (linking to the page), and no image is attached (Apprise's default is its own icon on GitHub)."""
    apprise = _apprise()
    named = {"app_id": app_name, "app_desc": app_name, "app_url": app_url} if app_name else {}
    asset: AppriseAsset = apprise.AppriseAsset(async_mode=False, secure_logging=True, storage_mode="memory",
                                               image_url_mask="", image_url_logo="", **named)
    return asset


def _instantiate(url: str, *, app_name: str = "", app_url: str = "") -> NotifyBase | None:
    plugin: NotifyBase | None = _apprise().Apprise.instantiate(url, asset=_asset(app_name, app_url))
    return plugin


# What a message is about, as Apprise's notify types (the colour Slack, Discord and Mattermost show beside it).
TONES = ("info", "success", "warning", "failure")


def rich_url(url: str, service: str, link: str | None) -> str:
    """The URL with the options that give a service its native rich form, where Apprise needs asking:
    Discord sends an embed (title, description, colour, the title linking to the incident) only with
    format=markdown, and links the title with href=. The subscriber's own choices in the URL win."""
    if service != "discord":
        return url
    query = urlsplit(url).query
    names = {part.split("=", 1)[0].lower() for part in query.split("&") if part}
    extra = []
    if "format" not in names:
        extra.append("format=markdown")
    if link and not names & {"href", "url"}:
        extra.append("href=" + quote(link, safe=":/"))
    if not extra:
        return url
    return url + ("&" if query else ("" if url.endswith("?") else "?")) + "&".join(extra)


def _names(plugin: NotifyBase) -> list[str]:
    names: list[str | None] = []  # apprise declares protocol = None: a plugin sets a name or a tuple of names
    for value in (plugin.secure_protocol, plugin.protocol):
        names += list(value) if isinstance(value, (tuple, list)) else [value]
    # "jsons" is json over TLS, "workflows" the same as "workflow": one key in ALLOWED each.
    return [name for name in names if name]


def _service(plugin: NotifyBase) -> str | None:
    for name in _names(plugin):
        for candidate in (name, name[:-1] if name.endswith("s") else name):
            if candidate in ALLOWED:
                return candidate
    return None


def check_notify_url(url: str, *, allow_private: bool, check_host: bool = True) -> Destination:
    """Validate an Apprise URL for storing. Raises ValueError with one human line (never the URL itself).

    Refused: anything Apprise cannot read, services outside ALLOWED (mail, SMS over SMTP, desktop, local
    scripts ...), and for a self-hosted service (json://, ntfy://host, Mattermost ...) a host that resolves
    to a loopback, private, link-local or otherwise non-public address unless allow_private, as for
    webhooks. `check_host=False` is for the operator's own alert URLs, which may well be internal.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("Give an Apprise URL, such as slack://… or json://host/path.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if not url.isprintable() or any(c.isspace() for c in url):
        raise ValueError("The URL contains spaces or control characters.")
    scheme = url.partition("://")[0].lower()
    if not scheme or "://" not in url:
        raise ValueError("This is not an Apprise URL: it needs a scheme such as slack:// or json://.")
    try:
        plugin = _instantiate(url)
    except Exception:  # a plugin that raises on odd input: the same answer as an unknown URL
        plugin = None
    if plugin is None:
        raise ValueError(f"This {scheme}:// URL is not one Apprise can use; check it against the service's "
                         "Apprise documentation.")
    service = _service(plugin)
    if service is None:
        raise ValueError(f"{scheme}:// is not offered here: only services reached over HTTP(S) are "
                         f"({SERVICE_NAMES}).")
    if len(plugin) > 1:
        # One notify() to several targets succeeds or fails as a whole: a retry would repeat the message to
        # those that had it. One URL, one target, one outbox row.
        raise ValueError(f"This URL names {len(plugin)} destinations (channels, topics or chats); add each as "
                         "its own URL.")
    host = None
    if ALLOWED[service] == "self" and not (service == "ntfy" and getattr(plugin, "mode", "") == "cloud"):
        host = plugin.host
        if not host:
            raise ValueError("The URL has no host name.")
        if check_host:
            port = plugin.port or (443 if plugin.secure else 80)
            refuse_private_host(host, port, allow_private=allow_private, what="messages")
    return Destination(url=url, service=service, host=host, shown=_shown(scheme, plugin, host, url),
                       rich=service in RICH)


def _shown(scheme: str, plugin: NotifyBase, host: str | None, url: str) -> str:
    if host is None:  # a vendor's API: its own https:// form names the vendor's host, slack:// ... only tokens
        vendor_host = urlsplit(url).hostname if scheme in ("http", "https") else None
        return f"{scheme}://{vendor_host}/…" if vendor_host else f"{scheme}://…"
    port = f":{plugin.port}" if plugin.port else ""
    try:
        shown_host = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        shown_host = host
    return f"{scheme}://{shown_host}{port}/…"


def describe(url: str) -> str:
    """The form a person may see of a stored URL: scheme, the host for self-hosted services, an ellipsis."""
    try:
        return check_notify_url(url, allow_private=True, check_host=False).shown
    except ValueError:
        return f"{urlsplit(url).scheme or '?'}://…"


# --- secrets at rest ------------------------------------------------------------------------------------

def _key(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode(), purpose, hashlib.sha256).digest()


def seal(url: str, secret_key: str) -> str:
    """The URL encrypted and authenticated (Fernet), for the database."""
    return Fernet(base64.urlsafe_b64encode(_key(secret_key, b"statuspage chat url v1"))).encrypt(url.encode()).decode()


def unseal(sealed: str, secret_key: str) -> str:
    """The URL again; ValueError when the secret key changed since it was sealed (or the value was altered)."""
    try:
        return Fernet(base64.urlsafe_b64encode(_key(secret_key, b"statuspage chat url v1"))).decrypt(
            sealed.encode()).decode()
    except (InvalidToken, ValueError):
        raise ValueError("the stored URL cannot be decrypted (was the secret key changed?)") from None


def fingerprint(url: str, secret_key: str) -> str:
    """A keyed digest: tells one URL from another (one subscription per URL) without keeping it."""
    return hmac.new(_key(secret_key, b"statuspage chat fingerprint v1"), url.encode(), hashlib.sha256).hexdigest()[:16]


# --- sending --------------------------------------------------------------------------------------------

class _Watch(_Guard):
    """The webhook guard (peer checks, overall deadline) plus what Apprise does not tell: the last HTTP
    status received and the last connection error."""

    def __init__(self, *, allow_private: bool):
        super().__init__(allow_private=allow_private)
        self.status: int | None = None
        self.connect_error: str | None = None
        self.private: _PrivatePeer | None = None


_WATCH: contextvars.ContextVar[_Watch] = contextvars.ContextVar("chat_watch")
_original_create_connection = urllib3.util.connection.create_connection
_original_getresponse = urllib3.connection.HTTPConnection.getresponse


def _watched_create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
    """urllib3's connect, reporting to the current send's _Watch (a no-op outside a chat send)."""
    watch = _WATCH.get(None)
    if watch is None:
        return _original_create_connection(address, *args, **kwargs)
    try:
        sock = _original_create_connection(address, *args, **kwargs)
    except ConnectionRefusedError:
        watch.connect_error = "connection refused"
        raise
    except socket.gaierror:
        watch.connect_error = "the receiver's host name could not be resolved"
        raise
    except OSError as error:
        watch.connect_error = f"could not connect ({error.strerror or type(error).__name__})"
        raise
    try:
        watch.adopt(sock, str(address[0]))
    except _PrivatePeer as peer:
        watch.private = peer
        raise
    return sock


def _watched_getresponse(self: urllib3.connection.HTTPConnection, *args: Any, **kwargs: Any) -> HTTPResponse:
    response = _original_getresponse(self, *args, **kwargs)
    watch = _WATCH.get(None)
    if watch is not None:
        watch.status = response.status
    return response


class _NotDuringChatSends(logging.Filter):
    """urllib3 logs each request line ("POST /hooks/<token>") at debug level: not while a chat send runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _WATCH.get(None) is None


_QUIET = _NotDuringChatSends()


def _install_watch() -> None:
    """Once per process; outside a chat send the wrappers only call through and the filter lets all pass."""
    for name in ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "requests"):
        if _QUIET not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(_QUIET)
    if urllib3.util.connection.create_connection is not _watched_create_connection:
        urllib3.util.connection.create_connection = _watched_create_connection
    if urllib3.connection.HTTPConnection.getresponse is not _watched_getresponse:
        # patched on purpose, which mypy refuses for a method
        urllib3.connection.HTTPConnection.getresponse = _watched_getresponse  # type: ignore[method-assign]


def send_chat(url: str, *, title: str, body: str, markdown: bool, allow_private: bool, link: str | None = None,
              tone: str = "info", app_name: str = "", app_url: str = "", timeout_s: float = TIMEOUT_S) -> None:
    """Send one message to one Apprise URL. Raises DeliveryError (one line, never the URL): retryable for
    connection errors, timeouts, 5xx, 408 and 429; not retryable for other 4xx, a URL Apprise no longer
    reads, and private addresses. The whole send is cut off after `timeout_s`.

    `tone` (TONES) colours the message where the service shows one; `link` (the incident's page) is where a
    Discord embed's title points; `app_name`/`app_url` replace Apprise's name in footers and embed authors."""
    apprise = _apprise()
    _install_watch()
    plugin = _instantiate(url, app_name=app_name, app_url=app_url)
    service = _service(plugin) if plugin is not None else None
    if plugin is None or service is None:
        raise DeliveryError("the destination URL is no longer accepted (service or form unknown)", retryable=False)
    if markdown and rich_url(url, service, link) != url:
        plugin = _instantiate(rich_url(url, service, link), app_name=app_name, app_url=app_url) or plugin
    plugin.request_rate_per_sec = 0  # no sleeping between requests: the outbox paces retries
    if hasattr(plugin, "socket_read_timeout"):
        plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout_s
    watch = _Watch(allow_private=allow_private)
    token = _WATCH.set(watch)
    try:
        watch.start_deadline(timeout_s)
        try:
            sent = plugin.notify(body=body, title=title, notify_type=apprise.NotifyType(
                tone if tone in TONES else "info"),
                body_format=apprise.NotifyFormat.MARKDOWN if markdown else apprise.NotifyFormat.TEXT)
        except Exception:  # a plugin's own bug, or our _PrivatePeer raised from inside urllib3
            sent = False
    finally:
        watch.finish()
        _WATCH.reset(token)
    if sent and watch.private is None:
        return
    raise _failure(watch, timeout_s)


def _failure(watch: _Watch, timeout_s: float) -> DeliveryError:
    if watch.private is not None:
        peer = watch.private
        return DeliveryError(f"{peer.host} now points to a {peer.reason} address ({peer.address}); "
                             "messages only go to public addresses", retryable=False)
    if watch.expired:
        return DeliveryError(f"the service took longer than {timeout_s:g} s", retryable=True)
    if watch.status is not None and not 200 <= watch.status < 300:
        status = watch.status
        retryable = status in (408, 429) or 500 <= status < 600
        return DeliveryError(f"the service answered {status}", retryable=retryable)
    if watch.connect_error:
        return DeliveryError(watch.connect_error, retryable=True)
    if watch.status is None:
        return DeliveryError("could not reach the service", retryable=True)
    return DeliveryError("the service did not accept the message", retryable=False)

"""The webhook channel: a signed JSON POST to a subscriber's URL, and the checks that keep it public."""
from __future__ import annotations

import contextvars
import hashlib
import hmac
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import DeliveryError

SIGNATURE_HEADER = "X-Statuspage-Signature"  # "t=<unix ts>,v1=<hex hmac>"
TIMESTAMP_HEADER = "X-Statuspage-Timestamp"
MAX_URL_LENGTH = 2000
MAX_RESPONSE_BYTES = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """hex HMAC-SHA256 of f"{timestamp}.".encode() + body with the secret.

    Signing the timestamp with the body stops a recorded delivery from being replayed later
    under a fresh timestamp.
    """
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def parse_signature_header(header: str) -> tuple[int | None, list[str]]:
    """`t=<unix time>,v1=<hex>[,v1=<hex>...]` as (the timestamp, the v1 values); the last `t=` counts. A `t=` that
    is no plain number of at most 12 ASCII digits ("²", thousands of digits) is none: never an exception."""
    timestamp = None
    candidates = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    return timestamp, candidates


def verify(secret: str, header: str, body: bytes, *, now_ts: int, tolerance_s: int = 300) -> bool:
    """What a receiver does: parse the header, constant-time compare, refuse stale timestamps.

    Several `v1=` values are accepted (any one may match), so a sender can sign with an old
    and a new secret while they are being rotated.
    """
    timestamp, candidates = parse_signature_header(header)
    if timestamp is None or not candidates or abs(now_ts - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    # Compare against every candidate, so the time taken says nothing about which one matched.
    matches = [hmac.compare_digest(expected.encode(), c.encode("ascii", "replace")) for c in candidates]
    return any(matches)


def check_url(url: str, *, allow_private: bool) -> str:
    """Validate a webhook URL for storing: http(s) only, a host, no userinfo, max 2000 chars.

    The host is resolved (socket.getaddrinfo) and every address it resolves to must be public:
    loopback, private, link-local, multicast, reserved and unspecified addresses, IPv4 or IPv6
    (IPv4-mapped included), are refused unless allow_private. Otherwise anyone who may subscribe
    could make the server call its own admin ports or a cloud metadata service. Raises ValueError
    with a one-line human message; returns the URL.
    """
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if not url.isprintable() or any(c.isspace() for c in url):
        raise ValueError("The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" around an IPv6 address
        raise ValueError("The URL is not valid.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("Only http:// and https:// URLs can receive webhooks.")
    if "@" in parts.netloc:
        raise ValueError("The URL may not contain a user name or password.")
    host = parts.hostname
    if not host:
        raise ValueError("The URL has no host name.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise ValueError("The URL's port is not a number between 1 and 65535.") from None
    refuse_private_host(host, port, allow_private=allow_private, what="webhooks")
    return url


def post_webhook(url: str, body: bytes, *, secret: str, idempotency_key: str, timestamp: int,
                 allow_private: bool, timeout_s: float = 10.0, user_agent: str = "statuspage-webhook/1") -> None:
    """POST an already-serialized JSON body to a webhook URL, signed.

    Headers: Content-Type application/json, the signature, `Idempotency-Key` (the same on every
    retry, so the receiver can drop repeats) and `X-Statuspage-Timestamp`. Redirects are not
    followed: a redirect is a non-retryable failure, since following one would let a public URL
    lead us to a private one. The address we actually connected to is checked before anything
    is sent (DNS may have changed since the URL was stored), unless allow_private. At most 64 KiB
    of the answer is read, and the whole exchange is cut off after `timeout_s`, so a huge,
    endless or trickling answer cannot hang or bloat the dispatcher.

    Raises DeliveryError: retryable for connection errors, timeouts, 5xx, 408 and 429; not
    retryable for other 4xx, redirects and private addresses.
    """
    headers = {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        "Accept-Encoding": "identity",  # we never look at the body, so no decompression bombs
        SIGNATURE_HEADER: f"t={timestamp},v1={signature(secret, timestamp, body)}",
        TIMESTAMP_HEADER: str(timestamp),
        "Idempotency-Key": idempotency_key,
    }
    guard = _Guard(allow_private=allow_private)
    token = _GUARD.set(guard)
    try:
        guard.start_deadline(timeout_s)
        with requests.Session() as session:
            session.trust_env = False  # no proxies or .netrc from the environment: we check the peer
            session.mount("http://", _GuardedAdapter())
            session.mount("https://", _GuardedAdapter())
            response = session.post(url, data=body, headers=headers, timeout=timeout_s,
                                    allow_redirects=False, stream=True)
            with response:
                if guard.expired:
                    # Cut off while the headers were arriving: http.client makes a "response" of
                    # whatever came before the hang-up, so it must not count as an answer.
                    raise DeliveryError(f"the receiver took longer than {timeout_s:g} s", retryable=True)
                _read_at_most(response, MAX_RESPONSE_BYTES)
                status = response.status_code
    except _PrivatePeer as e:
        raise DeliveryError(f"{e.host} now points to a {e.reason} address ({e.address}); "
                            "webhooks only go to public addresses", retryable=False) from None
    except requests.RequestException as e:
        raise _classify(e, guard, timeout_s) from None
    finally:
        guard.finish()
        _GUARD.reset(token)
    _check_status(status)


def _check_status(status: int) -> None:
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        raise DeliveryError(f"the receiver answered {status}, a redirect, which is not followed", retryable=False)
    # 408 and 429 ask us to come back later; a 5xx may be over by then.
    retryable = status in (408, 429) or 500 <= status < 600
    raise DeliveryError(f"the receiver answered {status}", retryable=retryable)


def _read_at_most(response: requests.Response, limit: int) -> None:
    """Read and drop at most `limit` bytes of the answer; its status already says everything.

    Reading a little lets a well-behaved receiver finish writing before we hang up. The raw
    stream is read undecoded, and errors are ignored: the delivery has happened by now.
    """
    try:
        response.raw.read(limit, decode_content=False)  # the deadline bounds a slow answer
    except (OSError, urllib3.exceptions.HTTPError, requests.RequestException):
        pass


def _classify(error: requests.RequestException, guard: _Guard, timeout_s: float) -> DeliveryError:
    """One short, human line for a failed request, and whether trying again can help."""
    if guard.expired:
        return DeliveryError(f"the receiver took longer than {timeout_s:g} s", retryable=True)
    if isinstance(error, requests.ConnectTimeout):
        return DeliveryError(f"the connection timed out after {timeout_s:g} s", retryable=True)
    if isinstance(error, requests.ReadTimeout):
        return DeliveryError(f"the receiver did not answer within {timeout_s:g} s", retryable=True)
    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                          requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader)):
        return DeliveryError("the webhook URL is not valid", retryable=False)
    causes = list(_causes(error))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            # The receiver's certificate may well be renewed or fixed: try again later.
            return DeliveryError(f"the receiver's certificate was not accepted ({cause.verify_message})",
                                 retryable=True)
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return DeliveryError("connection refused", retryable=True)
        if isinstance(cause, (urllib3.exceptions.NameResolutionError, socket.gaierror)):
            return DeliveryError("the receiver's host name could not be resolved", retryable=True)
        if isinstance(cause, ssl.SSLError):
            return DeliveryError("the TLS handshake with the receiver failed", retryable=True)
        if isinstance(cause, (ConnectionResetError, urllib3.exceptions.ProtocolError)):
            return DeliveryError("the receiver closed the connection without a valid answer", retryable=True)
    return DeliveryError("could not reach the receiver", retryable=True)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps: urllib3 nests the real reason a few levels deep."""
    seen = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue  # ssl.SSLError.reason, for one, is a string
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__, *current.args])


def refuse_private_host(host: str, port: int, *, allow_private: bool, what: str) -> None:
    """ValueError when the host resolves to a loopback, private or link-local address (unless allowed), or
    not at all: webhooks and chat destinations leave only for public addresses."""
    addresses = _resolve(host, port)
    if allow_private:
        return
    for address in addresses:
        reason = _why_not_public(address)
        if reason:
            raise ValueError(f"{host} points to a {reason} address ({address}); "
                             f"{what} can only go to public addresses.")


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ValueError(f"The host name {host} could not be resolved.") from None
    # IPv6 link-local answers carry a zone ("fe80::1%eth0"), which ipaddress keeps.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def _why_not_public(address: IPAddress) -> str | None:
    """Why a webhook may not go to this address ("loopback", "private", ...), or None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _why_not_public(embedded)
    checks = [("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
              ("link-local", address.is_link_local), ("multicast", address.is_multicast),
              ("private", address.is_private), ("reserved", address.is_reserved)]
    for reason, applies in checks:
        if applies:
            return reason
    if not address.is_global:  # e.g. 100.64.0.0/10, carrier-grade NAT
        return "non-public"
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64, 6to4 or Teredo address, which routes to it."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    return None


class _PrivatePeer(Exception):
    """Raised from inside urllib3 when the connected address is not public; nothing was sent."""

    def __init__(self, host: str, address: IPAddress, reason: str):
        super().__init__(host, address, reason)
        self.host, self.address, self.reason = host, address, reason


class _Guard:
    """Per delivery: checks each new connection's peer and enforces the overall deadline.

    requests' timeout applies to each socket operation, so a receiver sending one byte every
    few seconds could hold a delivery for hours. A timer shuts the sockets down at the deadline
    instead, which makes any blocked read return at once.
    """

    def __init__(self, *, allow_private: bool):
        self.allow_private = allow_private
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def adopt(self, sock: socket.socket, host: str) -> None:
        """Called with each freshly connected socket, before TLS or a single byte of HTTP."""
        if not self.allow_private:
            address = ipaddress.ip_address(sock.getpeername()[0])
            reason = _why_not_public(address)
            if reason:
                sock.close()
                raise _PrivatePeer(host, address, reason)
        with self._lock:
            # A duplicate shares the connection (not the descriptor), so shutting it down later
            # interrupts reads on the socket requests holds, even once TLS has wrapped it.
            self._sockets.append(sock.dup())
            if self.expired:  # the connect alone used up the time
                self._sockets[-1].shutdown(socket.SHUT_RDWR)

    def start_deadline(self, seconds: float) -> None:
        """Cut every connection of this delivery off `seconds` from now."""
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by the other side

    def finish(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


_GUARD: contextvars.ContextVar[_Guard] = contextvars.ContextVar("webhook_guard")


# What _Guarded is mixed into, for mypy (at run time a plain mixin, as urllib3's classes come after it).
if TYPE_CHECKING:
    _Connection = HTTPConnection
else:
    _Connection = object


class _Guarded(_Connection):
    """Mixed into urllib3's connections: every new socket goes to the current request's guard."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        guard = _GUARD.get(None)
        if guard is not None:
            guard.adopt(sock, self.host)
        return sock


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """An adapter whose connections report to the current delivery's _Guard."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

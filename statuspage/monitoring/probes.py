"""Health-check probes (http, tcp, dns, tls) on asyncio and aiohttp.

Why asyncio: 10,000 HTTP checks a minute on two cores need one event loop with bounded concurrency, not
a thread per check. Why no exceptions: every way a target can misbehave (timeouts, resets, endless or
huge bodies, redirect loops, bad certificates, unknown hosts) is a failed ProbeResult with a one-line
error a person can read on the status page; only cancellation propagates, so the loop never dies of a
target. ProbeLoop runs the loop in a daemon thread for the synchronous scheduler.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import ipaddress
import json
import logging
import re
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 10
ANY = object()  # sentinel: json_equals not given -> the path only has to exist
USER_AGENT = "statuspage-check/1"
MAX_ERROR_CHARS = 200


@dataclass(frozen=True)
class HttpExpect:
    status: tuple[int, ...] = ()  # empty: 200..399
    body_contains: str | None = None
    body_regex: str | None = None  # re.search on the decoded text
    json_path: str | None = None  # "$", "$.a.b", "$.items[0].name", "$['key with space']"
    json_equals: object = ANY
    max_latency_ms: int | None = None


@dataclass(frozen=True)
class ProbeSpec:
    kind: str  # "http" | "tcp" | "dns" | "tls"
    target: str  # http: URL; tcp: host:port ([::1]:port); dns: host name; tls: host or host:port (443)
    timeout: float  # seconds, whole probe
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    follow_redirects: bool = True
    verify_tls: bool = True
    expect: HttpExpect = HttpExpect()
    dns_answers: tuple[str, ...] = ()  # each must be among the resolved addresses
    tls_min_days: int = 14  # tls: fail when the certificate expires within this many days


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    latency_ms: int | None  # None when nothing answered
    status_code: int | None = None  # http only
    error: str | None = None  # one line, None when ok
    started_at: datetime | None = None  # aware UTC, when the probe actually started


class _Failure(Exception):
    """A check failed; the message is the error text as shown."""


class _Attempt:
    """What a probe learned before it failed or finished: latency and status survive a later exception."""

    latency_ms: int | None
    status_code: int | None

    def __init__(self) -> None:
        self.started, self.latency_ms, self.status_code = time.perf_counter(), None, None

    def answered(self) -> int:
        self.latency_ms = int((time.perf_counter() - self.started) * 1000)
        return self.latency_ms


# session -> its SSL context
_session_contexts: weakref.WeakKeyDictionary[aiohttp.ClientSession, ssl.SSLContext] = weakref.WeakKeyDictionary()


def make_ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """Default verification (system CAs, host names), plus the CAs in `ca_file` when given."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def make_http_session(*, limit: int = 100, ca_file: str | None = None) -> aiohttp.ClientSession:
    """The session probes share; call inside a running loop. No cookies, no proxies from the environment."""
    context = make_ssl_context(ca_file)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit, ssl=context),
                                    cookie_jar=aiohttp.DummyCookieJar(), headers={"User-Agent": USER_AGENT},
                                    trust_env=False)
    _session_contexts[session] = context  # the tls probe verifies with the same CAs
    return session


async def run_probe(spec: ProbeSpec, http: aiohttp.ClientSession, *, now: datetime) -> ProbeResult:
    """Run one check; never raises except asyncio.CancelledError. `now` is for certificate-expiry arithmetic."""
    started_at = datetime.now(timezone.utc)
    attempt = _Attempt()
    try:
        if spec.kind not in _PROBES:
            raise _Failure(f"unknown check kind {spec.kind!r}")
        error = await _PROBES[spec.kind](spec, http, now, attempt)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure of a target is a result
        error = _describe(exc, spec)
    return ProbeResult(ok=error is None, latency_ms=attempt.latency_ms, status_code=attempt.status_code,
                       error=None if error is None else _one_line(error), started_at=started_at)


async def _probe_http(spec: ProbeSpec, http: aiohttp.ClientSession, now: datetime, attempt: _Attempt) -> str | None:
    if not spec.target.lower().startswith(("http://", "https://")):
        raise _Failure("only http:// and https:// URLs can be checked")
    expect = spec.expect
    needs_body = expect.body_contains is not None or expect.body_regex is not None or expect.json_path is not None
    async with asyncio.timeout(spec.timeout):
        async with http.request(spec.method, spec.target, headers=list(spec.headers),
                                allow_redirects=spec.follow_redirects, max_redirects=MAX_REDIRECTS + 1,  # aiohttp: >=
                                ssl=True if spec.verify_tls else False,  # True: the session's context
                                timeout=aiohttp.ClientTimeout(total=spec.timeout)) as response:
            latency = attempt.answered()
            attempt.status_code = response.status
            error = _check_status(response.status, expect.status)
            if error is None and expect.max_latency_ms is not None and latency > expect.max_latency_ms:
                error = f"took {latency} ms, limit {expect.max_latency_ms} ms"
            if error is not None or not needs_body:
                return error  # leaving the block releases the connection; an unread body closes it
            body = await _read_body(response)
            charset = response.charset or "utf-8"
    return _check_body(body, charset, expect)


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    too_big = _Failure(f"response body larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    if response.content_length is not None and response.content_length > MAX_BODY_BYTES:
        raise too_big
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _check_status(status: int, expected: tuple[int, ...]) -> str | None:
    if status in expected or (not expected and 200 <= status <= 399):
        return None
    names = [str(code) for code in expected] or ["2xx", "3xx"]
    return f"status {status}, expected " + (" or ".join(names) if len(names) < 3 else
                                            ", ".join(names[:-1]) + " or " + names[-1])


def _check_body(body: bytes, charset: str, expect: HttpExpect) -> str | None:
    if expect.body_contains is not None or expect.body_regex is not None:
        try:
            text = body.decode(charset, errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
        if expect.body_contains is not None and expect.body_contains not in text:
            return f"body does not contain {expect.body_contains!r}"
        if expect.body_regex is not None:
            try:
                pattern = re.compile(expect.body_regex)
            except re.error as exc:
                return f"body_regex /{expect.body_regex}/ is not a valid regular expression: {exc}"
            if not pattern.search(text):
                return f"body does not match /{expect.body_regex}/"
    if expect.json_path is None:
        return None
    steps = _parse_json_path(expect.json_path)
    try:
        value = json.loads(body)
    except ValueError:
        return "response is not JSON"
    for step in steps:
        if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return f"{expect.json_path} is missing"
    if expect.json_equals is not ANY and not _same_json(value, expect.json_equals):
        return f"{expect.json_path} is {_show(value)}, expected {_show(expect.json_equals)}"
    return None


_PATH_STEP = re.compile(r"""\.([A-Za-z_][\w-]*)|\[(-?\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]""")


def _parse_json_path(path: str) -> list[str | int]:
    """The JSONPath subset: $ followed by .name, [0] and ['any key'] / ["any key"]; no wildcards or filters."""
    steps: list[str | int] = []
    position = 1
    while path.startswith("$") and position < len(path) and (match := _PATH_STEP.match(path, position)):
        name, index, single, double = match.groups()
        steps.append(int(index) if index is not None else name if name is not None
                     else re.sub(r"\\(.)", r"\1", single if single is not None else double))
        position = match.end()
    if not path.startswith("$") or position < len(path):
        raise _Failure(f"JSON path {path!r} is not supported (use $.a.b, $.items[0], $['a key'])")
    return steps


def _same_json(actual: object, expected: object) -> bool:
    """JSON equality: true is not 1, 1 is 1.0, a list equals a tuple."""
    if isinstance(actual, list) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(map(_same_json, actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(_same_json(actual[k], expected[k]) for k in actual)
    numbers = (int, float)
    if isinstance(actual, numbers) and isinstance(expected, numbers) and bool not in (type(actual), type(expected)):
        return actual == expected
    return type(actual) is type(expected) and actual == expected


def _show(value: object) -> str:
    try:
        text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


async def _probe_tcp(spec: ProbeSpec, http: aiohttp.ClientSession, now: datetime, attempt: _Attempt) -> str | None:
    host, port = _host_port(spec.target, default_port=None)
    async with asyncio.timeout(spec.timeout):
        _, writer = await asyncio.open_connection(host, port)
    attempt.answered()
    await _close(writer)
    return None


async def _probe_dns(spec: ProbeSpec, http: aiohttp.ClientSession, now: datetime, attempt: _Attempt) -> str | None:
    name = spec.target.strip()
    async with asyncio.timeout(spec.timeout):
        infos = await asyncio.get_running_loop().getaddrinfo(name, None, type=socket.SOCK_STREAM)
    attempt.answered()
    resolved = list(dict.fromkeys(_normal_address(str(info[4][0])) for info in infos))  # str: an IP's sockaddr
    missing = [answer for answer in spec.dns_answers if _normal_address(answer) not in resolved]
    if missing:
        return f"resolves to {' and '.join(resolved[:5]) or 'nothing'}, expected {' and '.join(missing)}"
    return None


def _normal_address(address: str) -> str:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).compressed
    except ValueError:
        return address


async def _probe_tls(spec: ProbeSpec, http: aiohttp.ClientSession, now: datetime, attempt: _Attempt) -> str | None:
    host, port = _host_port(spec.target, default_port=443)
    context = _session_contexts.get(http) or make_ssl_context(None)
    async with asyncio.timeout(spec.timeout):
        _, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host)
    attempt.answered()
    try:
        not_after = (writer.get_extra_info("peercert") or {}).get("notAfter")
    finally:
        await _close(writer)
    if not not_after:
        return "TLS certificate has no expiry date"
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), timezone.utc)
    left = expires - (now if now.tzinfo else now.replace(tzinfo=timezone.utc))
    if left <= timedelta(0):
        return f"certificate expired on {expires:%Y-%m-%d}"
    if left < timedelta(days=spec.tls_min_days):
        days = f"{left.days} day" + ("" if left.days == 1 else "s")
        return f"certificate expires in {days} ({expires:%Y-%m-%d}), limit {spec.tls_min_days}"
    return None


async def _close(writer: asyncio.StreamWriter) -> None:
    """Close politely (TLS close_notify), but wait on the peer for a second at most."""
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except asyncio.CancelledError:
        writer.transport.abort()
        raise
    except Exception:  # noqa: BLE001 - the check is done; a peer that mishandles closing is not a failure
        writer.transport.abort()


def _host_port(target: str, default_port: int | None) -> tuple[str, int]:
    """"host:port", "[::1]:port", or a bare host when there is a default port."""
    try:
        parts = urlsplit("//" + target.strip())
        host, port = parts.hostname, parts.port or default_port
    except ValueError:
        host = port = None
    if not host or not port or parts.path or parts.query or parts.fragment or parts.username is not None:
        shapes = "host:port" + (f" or host (port {default_port})" if default_port else "")
        raise _Failure(f"target {target!r} is not {shapes}")
    return host, port


_PROBES = {"http": _probe_http, "tcp": _probe_tcp, "dns": _probe_dns, "tls": _probe_tls}

_ERRNO_TEXTS = {
    errno.ECONNREFUSED: "connection refused", errno.ECONNRESET: "connection reset by peer",
    errno.EPIPE: "connection reset by peer", errno.ECONNABORTED: "connection aborted",
    errno.ENETUNREACH: "network unreachable", errno.EHOSTUNREACH: "host unreachable",
    errno.EADDRNOTAVAIL: "address not available",
}
_NO_SUCH_NAME = {getattr(socket, name, None) for name in ("EAI_NONAME", "EAI_NODATA", "EAI_ADDRFAMILY")} - {None}


def _unresolved(host: str, exc: OSError) -> str:
    if isinstance(exc, socket.gaierror) and exc.errno not in _NO_SUCH_NAME:
        return f"cannot resolve {host}: {exc.strerror or exc}"  # e.g. no DNS server reachable
    return f"unknown host {host}"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (aiohttp's os_error, certificate_error, args) and its causes, outermost first."""
    found: list[BaseException]
    pending: list[object]
    found, pending = [], [exc]
    while pending:
        current = pending.pop(0)
        if isinstance(current, BaseException) and not any(current is seen for seen in found):
            found.append(current)
            pending += [getattr(current, "os_error", None), getattr(current, "certificate_error", None),
                        current.__cause__, current.__context__, *current.args]
    return found


def _describe(exc: Exception, spec: ProbeSpec) -> str:
    """One line a person can act on; unexpected exceptions are logged and shown by type and message."""
    try:
        chain = _causes(exc)
        if isinstance(exc, _Failure):
            return str(exc)
        if isinstance(exc, TimeoutError):  # asyncio.timeout and aiohttp's timeouts alike
            return f"timed out after {spec.timeout:g} s"
        if isinstance(exc, aiohttp.TooManyRedirects):
            return f"too many redirects (more than {MAX_REDIRECTS})"
        if isinstance(exc, aiohttp.RedirectClientError):
            return f"redirected to a URL that cannot be checked: {exc}"
        if isinstance(exc, aiohttp.InvalidURL):
            return f"invalid URL {exc}"
        certificate_errors = [cause for cause in chain if isinstance(cause, ssl.SSLCertVerificationError)]
        if certificate_errors:  # aiohttp's wrapper is one too (ssl.CertificateError), without verify_message
            reasons = [getattr(cause, "verify_message", None) for cause in certificate_errors]
            reason = next((r for r in reasons if r), None) or str(certificate_errors[-1])
            return f"TLS certificate not valid: {reason.rstrip('.')}"
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return _unresolved(exc.host, exc.os_error)
        if isinstance(exc, socket.gaierror):  # tcp, dns and tls probes resolve through asyncio
            return _unresolved(spec.target.strip() if spec.kind == "dns" else _host_port(spec.target, 1)[0], exc)
        for cause in chain:
            if isinstance(cause, OSError) and cause.errno in _ERRNO_TEXTS:
                return _ERRNO_TEXTS[cause.errno]
        for cause in chain:
            if isinstance(cause, ssl.SSLError):
                reason = cause.reason.replace("_", " ").lower() if cause.reason else str(cause)
                return f"TLS handshake failed: {reason}"
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return "server closed the connection without a response"
        if isinstance(exc, aiohttp.ClientPayloadError):  # aiohttp keeps the cause only in the message
            return "connection reset by peer" if "ConnectionResetError" in str(exc) else "response body cut short"
        if isinstance(exc, aiohttp.ClientResponseError):  # malformed responses: bad status line, huge headers
            return f"invalid response: {exc.message}"
        if isinstance(exc, aiohttp.ClientConnectorError):
            return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    except Exception:  # noqa: BLE001 - describing must not fail either
        log.exception("could not describe %r", exc)
    log.warning("%s check of %s failed unexpectedly", spec.kind, spec.target, exc_info=exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


class ProbeLoop:
    """An asyncio loop in a daemon thread with one shared aiohttp session; submit() from any thread."""

    def __init__(self, *, concurrency: int = 200, ca_file: str | None = None):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._concurrency, self._ca_file = concurrency, ca_file
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False

    def start(self) -> None:
        make_ssl_context(self._ca_file)  # a bad ca_file fails here, in the caller's thread
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("a ProbeLoop can be started only once")
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._run, name="probe-loop", daemon=True)
            self._thread.start()
        self._ready.wait()
        if not self._running:
            self._thread.join()
            raise RuntimeError("the probe loop could not start")

    def submit(self, spec: ProbeSpec, *, now: datetime) -> concurrent.futures.Future[ProbeResult]:
        """Future[ProbeResult]; at most `concurrency` probes run at once, the others wait their turn."""
        coroutine = self._limited(spec, now)
        with self._lock:
            if not self._running:
                coroutine.close()
                raise RuntimeError("the probe loop is not running")
            assert self._loop is not None  # running: started
            return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def stop(self) -> None:
        """Cancel waiting and running probes, close the session and the loop, join the thread."""
        with self._lock:
            if self._thread is None:
                return
            if self._running:
                self._running = False
                assert self._loop is not None  # running: started
                self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()

    def __enter__(self) -> ProbeLoop:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _limited(self, spec: ProbeSpec, now: datetime) -> ProbeResult:
        async with self._semaphore:
            return await run_probe(spec, self._session, now=now)

    def _run(self) -> None:
        assert self._loop is not None  # start() made it before the thread
        try:
            self._loop.run_until_complete(self._main())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        finally:
            self._loop.close()  # shuts the default executor down without waiting on a stuck name lookup
            self._ready.set()

    async def _main(self) -> None:
        self._session = make_http_session(limit=self._concurrency, ca_file=self._ca_file)
        self._semaphore = asyncio.Semaphore(self._concurrency)
        self._stopping = asyncio.Event()
        with self._lock:
            self._running = True
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._session.close()


def run_probes(specs: Sequence[ProbeSpec], *, now: datetime, concurrency: int = 50,
               ca_file: str | None = None) -> list[ProbeResult]:
    """Run every check once (for `statuspage checks run-once`); results in the order of `specs`."""
    async def main() -> list[ProbeResult]:
        semaphore = asyncio.Semaphore(concurrency)
        async with make_http_session(limit=concurrency, ca_file=ca_file) as http:
            async def one(spec: ProbeSpec) -> ProbeResult:
                async with semaphore:
                    return await run_probe(spec, http, now=now)
            return list(await asyncio.gather(*(one(spec) for spec in specs)))
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    # A loop already runs in this thread (a caller's own, say Playwright's sync API): use a thread of ours.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()

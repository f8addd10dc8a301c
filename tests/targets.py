"""Real local servers for health-check tests: HTTP, HTTPS/TLS and plain TCP on 127.0.0.1, each in threads.

Why: probes have to be tested against real sockets (timeouts, resets, endless bodies, certificates),
and mocks of aiohttp would test nothing of that. The servers are started once per session on ephemeral
ports and shut down without hanging, whatever a client left open.

Fixtures:
  http_target  HttpTarget for this test (request log and counters emptied first):
               .url("/ok"), .base_url, .address, .requests, .max_concurrent, .in_flight, .reset()
  http_server  the same server, session-scoped, for fixtures of wider scope (nothing is emptied)
  tcp_target   TcpTarget: .address ("127.0.0.1:PORT") accepts and closes; .closed_address() refuses
  tls_target   TlsTargets: .ca_file, .address, .url(path) of an HTTPS server whose certificate (trustme,
               for "localhost" and "127.0.0.1") is signed by the CA in .ca_file; .server(not_after=...,
               trusted=False, identities=...) for other certificates

HTTP paths (every server, HTTPS ones too):
  /ok                 200, text "Sign in"
  /status/<code>      that status, text "status <code>" (no body for 1xx, 204, 304)
  /json?status=ok     {"status": "ok", "items": [{"name": "a"}], "key with space": true}
  /slow?ms=N          200 "slow" after N ms
  /hang               reads the request, never answers (until the client leaves or the server stops)
  /huge               5 MiB body with Content-Length; /huge?chunked=1 the same without a length
  /endless            chunked, a little text every 20 ms, never ends until the client leaves
  /redirect           302 to /ok (or to ?to=URL); /loop redirects to itself
  /reset              status line and one header, then RST (SO_LINGER 0); /reset?during=body: full headers
                      and part of the body first
  /echo-headers       JSON {"method": ..., "path": ..., "headers": {lower-case name: value}}; any method
"""
from __future__ import annotations

import json
import select
import socket
import ssl
import struct
import threading
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

HUGE_BYTES = 5 * 1024 * 1024
DEFAULT_IDENTITIES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server saw it."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names


class _Server(ThreadingHTTPServer):
    """Handler threads are joined on close; every one of them ends soon after `closing` is set."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, ssl_context: ssl.SSLContext | None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ssl_context = ssl_context
        self.closing = threading.Event()
        self.lock = threading.Lock()
        self.seen: list[SeenRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up, fail the TLS handshake or time out are what these servers are for


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # no read or write waits longer, so shutdown never hangs on a silent client
    server: _Server

    def setup(self) -> None:
        if self.server.ssl_context is not None:
            self.request.settimeout(self.timeout)
            self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.close()  # the server only closes the plain socket it accepted

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        self._serve(send_body=True)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def _serve(self, send_body: bool) -> None:
        self.close_connection = True  # one request per connection keeps shutdown and counting simple
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        server = self.server
        with server.lock:
            server.seen.append(SeenRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        self.counted = True
        try:
            self._route(send_body)
        except OSError:
            pass  # the client went away
        finally:
            self._uncount()

    def _uncount(self) -> None:
        """No longer in flight: before the reply of /slow (a client freed by it may send its next request
        before this thread gets here again), else when the handler ends."""
        if self.counted:
            self.counted = False
            with self.server.lock:
                self.server.in_flight -= 1

    def _route(self, send_body: bool) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/ok":
            self._reply(200, b"<html><body>Sign in</body></html>", send_body, "text/html; charset=utf-8")
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            body = b"" if code < 200 or code in (204, 304) else f"status {code}".encode()
            self._reply(code, body, send_body)
        elif path == "/json":
            doc = {"status": query.get("status", "ok"), "items": [{"name": "a"}], "key with space": True}
            self._reply(200, json.dumps(doc).encode(), send_body, "application/json")
        elif path == "/slow":
            if not self.server.closing.wait(int(query.get("ms", "1000")) / 1000):
                self._uncount()
                self._reply(200, b"slow", send_body)
        elif path == "/hang":
            self._wait_for_client_to_leave()
        elif path == "/huge":
            self._huge(chunked="chunked" in query, send_body=send_body)
        elif path == "/endless":
            self._endless()
        elif path == "/redirect":
            self._reply(302, b"", send_body, extra={"Location": query.get("to", "/ok")})
        elif path == "/loop":
            self._reply(302, b"", send_body, extra={"Location": "/loop"})
        elif path == "/reset":
            self._reset(during_body=query.get("during") == "body")
        elif path == "/echo-headers":
            headers = {k.lower(): v for k, v in self.headers.items()}
            doc = {"method": self.command, "path": self.path, "headers": headers}
            self._reply(200, json.dumps(doc).encode(), send_body, "application/json")
        else:
            self._reply(404, b"not found", send_body)

    def _reply(self, code: int, body: bytes, send_body: bool, content_type: str = "text/plain; charset=utf-8",
               extra: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if code >= 200 and code not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _huge(self, chunked: bool, send_body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(HUGE_BYTES))
        self.send_header("Connection", "close")
        self.end_headers()
        if not send_body:
            return
        block = b"x" * 65536
        for _ in range(HUGE_BYTES // len(block)):
            if self.server.closing.is_set():
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        line = b"still going\n"
        while not self.server.closing.is_set():
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            if self._client_left(0.02):
                return

    def _reset(self, during_body: bool) -> None:
        if during_body:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"
            self.wfile.write(head + b"partial " * 64)
        else:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()  # with linger 0 the close sends RST, not FIN

    def _wait_for_client_to_leave(self) -> None:
        while not self.server.closing.is_set():
            if self._client_left(0.05):
                return

    def _client_left(self, wait: float) -> bool:
        """Wait up to `wait` seconds; True when the client closed its end (or the socket broke)."""
        readable, _, _ = select.select([self.connection], [], [], wait)
        if not readable:
            return False
        try:
            return not self.connection.recv(4096)
        except OSError:
            return True


class HttpTarget:
    """A running HTTP server (HTTPS when made by tls_target) on 127.0.0.1; see the module docstring for paths."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None):
        self._server = _Server(ssl_context)
        self.host, self.port = self._server.server_address[:2]
        self.scheme = "https" if ssl_context else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.scheme}-target-{self.port}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        """"127.0.0.1:PORT", for tcp and tls probes."""
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The full URL of a path, e.g. url("/status/503")."""
        return self.base_url + path

    @property
    def requests(self) -> list[SeenRequest]:
        """Requests seen since the last reset(), oldest first."""
        with self._server.lock:
            return list(self._server.seen)

    @property
    def max_concurrent(self) -> int:
        """The most requests this server was handling at one time since the last reset()."""
        with self._server.lock:
            return self._server.max_in_flight

    @property
    def in_flight(self) -> int:
        """Requests being handled right now (a client that gave up on /hang or /endless is soon not counted)."""
        with self._server.lock:
            return self._server.in_flight

    def reset(self) -> None:
        """Forget the requests seen and the concurrency peak."""
        with self._server.lock:
            self._server.seen.clear()
            self._server.max_in_flight = self._server.in_flight

    def close(self) -> None:
        """Stop serving; hanging and endless responses end, every handler thread is joined."""
        self._server.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class TcpTarget:
    """A listening TCP socket on 127.0.0.1 that accepts connections and closes them at once."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.host, self.port = self._listener.getsockname()[:2]
        self._closing = threading.Event()
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, name=f"tcp-target-{self.port}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @staticmethod
    def closed_address() -> str:
        """"127.0.0.1:PORT" of a port nobody listens on (bound, noted, closed): connecting is refused."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return f"127.0.0.1:{sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.close()
            self.accepted += 1

    def close(self) -> None:
        self._closing.set()
        self._thread.join()
        self._listener.close()


class TlsTargets:
    """HTTPS servers with trustme certificates; the default one is trusted through `ca_file`."""

    def __init__(self, directory):
        self._ca = trustme.CA()
        self._unknown_ca = trustme.CA()
        self.ca_file = str(directory / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_file)
        self._servers: dict[tuple, HttpTarget] = {}
        self.default = self.server()

    @property
    def address(self) -> str:
        """"127.0.0.1:PORT" of the default server (certificate for localhost and 127.0.0.1, expires in 3000)."""
        return self.default.address

    def url(self, path: str = "/") -> str:
        return self.default.url(path)

    def server(self, *, not_after: datetime | None = None, trusted: bool = True,
               identities: tuple[str, ...] = DEFAULT_IDENTITIES) -> HttpTarget:
        """An HTTPS server (started once per combination) whose certificate expires at `not_after` (naive UTC or
        aware), is signed by the CA in `ca_file` when `trusted` or else by a CA nobody knows, and names `identities`."""
        key = (not_after, trusted, identities)
        if key not in self._servers:
            ca = self._ca if trusted else self._unknown_ca
            cert = ca.issue_cert(*identities, not_after=not_after)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            cert.configure_cert(context)
            self._servers[key] = HttpTarget(context)
        return self._servers[key]

    def close(self) -> None:
        for target in self._servers.values():
            target.close()


@pytest.fixture(scope="session")
def http_server():
    """The shared plain-HTTP target for the whole session (its request log is never emptied)."""
    target = HttpTarget()
    yield target
    target.close()


@pytest.fixture
def http_target(http_server) -> HttpTarget:
    """The shared plain-HTTP target, with its request log and concurrency peak emptied for this test."""
    http_server.reset()
    return http_server


@pytest.fixture(scope="session")
def tcp_target():
    target = TcpTarget()
    yield target
    target.close()


@pytest.fixture(scope="session")
def tls_target(tmp_path_factory):
    targets = TlsTargets(tmp_path_factory.mktemp("tls"))
    yield targets
    targets.close()

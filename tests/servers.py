"""Servers a test starts, in one place: the production web server as gunicorn.conf.py runs it, the app on
a free port in a thread (live_server), an SMTP inbox (Inbox, smtp_server), an HTTP receiver that keeps what
it is sent (Receiver); and the two helpers every such test needs, free_port and wait_until.
(Targets of the health checks are in tests/targets.py, the help desks in tests/desk_servers.py.)"""
from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
# serve_forever() looks for shutdown() every poll_interval: at its default 0.5 s every server a test stops cost
# it half a second of waiting.
QUICK_SHUTDOWN = {"poll_interval": 0.02}


def free_port() -> int:
    """A port nothing listens on (the kernel just handed it out and took it back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "the condition") -> bool:
    """Poll until `condition()` holds (True), failing the test after `timeout` seconds: waiting for a server or
    a thread to get somewhere, never a timing assumption."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)
    return True


def _static_read_at_once(app):
    """A static file is read and closed before werkzeug writes it: when a browser drops the connection in the middle
    (it navigated on), werkzeug's development server leaves the open file to the garbage collector, and the
    ResourceWarning fails whichever test is running. The production server (uvicorn) is not this one."""
    def serve(environ, start_response):
        body = app(environ, start_response)
        if not environ.get("PATH_INFO", "").startswith("/static/"):
            return body
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
    return serve


@contextmanager
def live_server(app, name: str = "live-server") -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, served by werkzeug in a daemon thread; yields its base URL.
    Data the test commits is seen by the server's threads."""
    server = make_server("127.0.0.1", 0, _static_read_at_once(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# --- mail ----------------------------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it accepts (the envelopes, and each message parsed), or answers RCPT
    or DATA with a set reply."""

    def __init__(self, *, rcpt_reply: str = "", data_reply: str = ""):
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.envelopes: list = []
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def only_message(self) -> email.message.EmailMessage:
        assert len(self.messages) == 1
        return self.messages[0]


@contextmanager
def smtp_server(handler, **smtp_options) -> Iterator[Controller]:
    """An SMTP server on a free port handing what it gets to `handler` (an Inbox); yields its controller."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="mail.test",
                            **smtp_options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


# --- HTTP ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class Receiver:
    """A local HTTP server that keeps every POST it receives and answers with the next queued status (200
    once the queue is empty, or `always`); its answers are those the chat services Apprise talks to give
    (ntfy's and Gotify's published message), `{}` elsewhere."""

    def __init__(self):
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.always: int | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received.append(Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                               body))
                status = owner.always or (owner.statuses.pop(0) if owner.statuses else 200)
                answer = owner.answer_for(self.path, status)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
        self.thread.start()

    def answer_for(self, path: str, status: int) -> bytes:
        if status >= 300:
            return b'{"error": "unavailable"}'
        if path.startswith("/message"):  # Gotify: the stored message
            return json.dumps({"id": len(self.received), "appid": 1, "message": "ok", "title": "ok",
                               "priority": 5, "date": "2026-11-20T09:12:00Z"}).encode()
        if path == "/" or path.startswith("/?"):  # ntfy: the published message
            return json.dumps({"id": "abc123", "time": 1763629920, "event": "message", "topic": "status"}).encode()
        return b"{}"

    @property
    def port(self) -> int:
        return self.server.server_port

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def production_server(database_url: str, instance_dir: Path, workers: int = 2, threads: int = 4,
                      settings: dict[str, str] | None = None, app: str | None = None):
    """`gunicorn -c gunicorn.conf.py [app]` on a free port: yields its base URL. On the way out the server is
    stopped and its log must show no crash (a worker that died would be restarted and otherwise unseen).
    settings: more STATUSPAGE_* environment variables; app: gunicorn's app argument (`wsgi:app`)."""
    port = free_port()
    env = {**os.environ, "STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_INSTANCE_DIR": str(instance_dir),
           "STATUSPAGE_SECRET_KEY": "test", "STATUSPAGE_ENV_FILE": "/nonexistent",
           "STATUSPAGE_BIND": f"127.0.0.1:{port}", "STATUSPAGE_WORKERS": str(workers),
           "STATUSPAGE_WEB_THREADS": str(threads), "STATUSPAGE_LOG_LEVEL": "warning", **(settings or {})}
    log_path = instance_dir / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                                   *([app] if app else [])], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a loaded machine (two test passes side by side) starts slowly
        while not _answers(base + "/healthz"):
            assert server.poll() is None and time.monotonic() < deadline, \
                f"gunicorn did not start:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.1)  # waiting for a process to listen, not for timing
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    said = log_path.read_text()
    for crash in ("SIGSEGV", "Worker exiting", "Traceback"):
        assert crash not in said, said[-3000:]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False

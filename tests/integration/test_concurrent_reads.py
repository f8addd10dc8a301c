"""Many clients reading the status page at once through gunicorn's threaded workers: no crash, no error.

Kept-alive clients, as browsers are: gthread hands their sockets from thread to thread. A crashed or
stuck worker shows here as a reset connection or a non-200 answer. (The SIGSEGV that pooled SQLite
connections caused under wrk, see _engine_options, did not reproduce at this size; bench_http.py does.)
"""
import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.builders import make_component, make_group, make_incident

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 32
REQUESTS = 1600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_threads_answer_many_concurrent_reads(app, database_url, tmp_path):
    with app.app_context():
        group = make_group()
        for n in range(40):
            make_component(f"service-{n}", group=group)
        for n in range(10):
            make_incident(f"Incident {n}", components_={f"service-{n}": "partial_outage"})
    port = free_port()
    env = {**os.environ, "STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
           "STATUSPAGE_SECRET_KEY": "test", "STATUSPAGE_ENV_FILE": "/nonexistent"}
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--worker-class", "gthread", "--keep-alive", "30", "--log-level", "warning",
         "wsgi:app"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    paths = ["/", "/api/v2/summary.json", "/components/service-1", "/history"]

    def fetch(n: int) -> str:
        try:
            with urllib.request.urlopen(base + paths[n % len(paths)], timeout=30) as response:
                response.read()
                return str(response.status)
        except OSError as error:
            return f"{type(error).__name__}: {error}"

    def client(n: int) -> list[str]:
        """One browser-like client: a kept-alive connection, requests one after another."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        answers = []
        for k in range(REQUESTS // CLIENTS):
            try:
                connection.request("GET", paths[(n + k) % len(paths)])
                response = connection.getresponse()
                response.read()
                answers.append(str(response.status))
            except (OSError, http.client.HTTPException) as error:
                answers.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.close()
        return answers

    try:
        deadline = time.monotonic() + 30
        while fetch(0) != "200":
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)  # waiting for a process to listen, not for timing
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = [answer for answers in pool.map(client, range(CLIENTS)) for answer in answers]
    finally:
        gunicorn.terminate()
        _, log = gunicorn.communicate(timeout=30)
    failures = [answer for answer in answers if answer != "200"]
    assert not failures, f"{len(failures)} failed, e.g. {failures[:3]}; gunicorn said:\n{log[-3000:]}"
    assert "SIGSEGV" not in log, log[-3000:]

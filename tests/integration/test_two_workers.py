"""Two gunicorn workers (gunicorn.conf.py), each with its own page cache: a change committed through one
is what every later request sees, whichever worker answers it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from statuspage.services import accounts
from tests.builders import SYSTEM, START, make_component, make_incident
from tests.integration.test_concurrent_reads import free_port
from tests.integration.test_scheduler_processes import wait_for

ROOT = Path(__file__).resolve().parents[2]


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """A fresh connection each time, so the requests spread over both workers."""
    request = urllib.request.Request(url, headers={"Connection": "close", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.mark.slow
def test_a_change_through_one_worker_is_seen_through_every_worker(app, database_url, tmp_path):
    with app.app_context():
        make_component("api", "API", now=START)
        incident = make_incident("API errors", components_={"api": "major_outage"}, now=START)
        _record, token = accounts.create_token(role="responder", label="bot", by=SYSTEM, now=START)
    port = free_port()
    env = {**os.environ, "STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
           "STATUSPAGE_SECRET_KEY": "test", "STATUSPAGE_ENV_FILE": "/nonexistent",
           "STATUSPAGE_BIND": f"127.0.0.1:{port}", "STATUSPAGE_WORKERS": "2", "STATUSPAGE_THREADS": "4",
           "STATUSPAGE_LOG_LEVEL": "warning"}
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        def up():
            try:
                return get(base + "/healthz")[0] == 200
            except OSError:
                return False
        wait_for(up, 30, "gunicorn to answer")
        for _ in range(40):  # both workers render and cache the open incident
            status, headers, body = get(base + "/api/v2/summary.json")
            assert status == 200 and json.loads(body)["incidents"][0]["name"] == "API errors"
        request = urllib.request.Request(f"{base}/api/v1/incidents/{incident.id}", method="PATCH",
                                         data=json.dumps({"status": "resolved"}).encode(),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        for _ in range(40):
            status, headers, body = get(base + "/api/v2/summary.json")
            assert json.loads(body)["incidents"] == [], "a worker served its cached page after the change"
            page = get(base + "/", {"Accept-Encoding": "gzip"})
            assert page[1].get("Content-Encoding") == "gzip"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        log.close()

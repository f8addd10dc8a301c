"""The production web server, started for a test as gunicorn.conf.py runs it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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

"""Requests per second and latency of the read path under gunicorn, measured with wrk on loopback.

Builds a page with 100 components and 20 open incidents (plus history), starts gunicorn on it as
gunicorn.conf.py does, then runs wrk against /api/v2/summary.json and / in the same run, at each
connection count asked for: uncached, every request renders (bench_cache.py measures the cache).

    .venv/bin/python bench/bench_http.py                       # SQLite in a temporary folder
    .venv/bin/python bench/bench_http.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATHS = ["/api/v2/summary.json?uncached=1", "/?uncached=1"]  # an unknown argument steps around the page cache


def build_site(database_url: str, instance: Path, components: int, open_incidents: int) -> None:
    """Fill the database through the real services (so statuses and updates are what the app makes)."""
    from statuspage import clock, create_app
    from statuspage.database_admin import drop_everything, upgrade_to_head
    from statuspage.extensions import db
    from statuspage.services import components as component_service
    from statuspage.services import incidents
    from statuspage.services.audit import Actor

    app = create_app({"database_url": database_url, "instance_dir": instance})
    bench = Actor(label="bench")
    now = clock.now()
    with app.app_context():
        drop_everything()
        upgrade_to_head()
        slugs = []
        for g in range(10):
            group = component_service.create_group(f"Group {g}", by=bench, now=now)
            for c in range(components // 10):
                slug = f"service-{g}-{c}"
                component_service.create_component(slug=slug, name=f"Service {g}.{c}", group_id=group.id,
                                                   description="A component of the benchmark page", by=bench, now=now)
                slugs.append(slug)
        for n in range(open_incidents):
            incident = incidents.open_incident(
                name=f"Open incident {n}", impact=["minor", "major", "critical"][n % 3], body="Investigating.",
                components={slugs[n * 3 % len(slugs)]: "partial_outage", slugs[(n * 3 + 1) % len(slugs)]: "degraded_performance"},
                by=bench, now=now - timedelta(minutes=60 - n))
            for u in range(3):
                incidents.post_update(incident.id, status="identified", body=f"Update {u} with **some** text.",
                                      by=bench, now=now - timedelta(minutes=30 - u))
        db.engine.dispose()


def wait_until_up(url: str, timeout_s: float = 120) -> None:  # a shared, loaded machine starts slowly
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer at {url}")


def start_gunicorn(database_url: str, instance: Path, port: int, workers: int, threads: int = 8) -> subprocess.Popen:
    """gunicorn as gunicorn.conf.py runs it in production, on this site and port."""
    env = {**os.environ, "STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_INSTANCE_DIR": str(instance),
           "STATUSPAGE_SECRET_KEY": "bench", "STATUSPAGE_ENV_FILE": "/nonexistent",
           "STATUSPAGE_BIND": f"127.0.0.1:{port}", "STATUSPAGE_WORKERS": str(workers),
           "STATUSPAGE_WEB_THREADS": str(threads), "STATUSPAGE_LOG_LEVEL": "warning", "PYTHONFAULTHANDLER": "1"}
    return subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py"],
                            cwd=ROOT, env=env)


def run_wrk(url: str, connections: int, seconds: int, threads: int, script: Path | None = None) -> dict:
    """wrk's requests per second, median and p99 latency (ms) and errors; `script` may set headers."""
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                              *(["-s", str(script)] if script else []), url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(label: str) -> float:
        found = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        return float(found.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[found.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": percentile("50"), "p99_ms": percentile("99"),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--open-incidents", type=int, default=20)
    parser.add_argument("--connections", default="64")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="Flask threads per worker (STATUSPAGE_WEB_THREADS)")
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    build_site(database_url, workdir, args.components, args.open_incidents)
    gunicorn = start_gunicorn(database_url, workdir, args.port, args.workers, args.threads)
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_until_up(base + "/healthz")
        for path in PATHS:  # warm caches and connection pools
            run_wrk(base + path, 8, 2, 1)
        print(f"{args.components} components, {args.open_incidents} open incidents, {args.workers} workers x "
              f"{args.threads} threads, {args.seconds}s per run, database {database_url.split('://')[0]}")
        print(f"{'path':34} {'conns':>5} {'req/s':>9} {'p99 ms':>8} {'non-2xx':>8}")
        for connections in [int(c) for c in args.connections.split(",")]:
            for path in PATHS:
                result = run_wrk(base + path, connections, args.seconds, 2)
                print(f"{path:34} {connections:>5} {result['rps']:>9.0f} {result['p99_ms']:>8.1f} "
                      f"{result['non_2xx']:>8} {result['socket_errors']}")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

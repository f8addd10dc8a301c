"""Tickets per second and latency of the intake hook under gunicorn, measured with wrk on loopback.

Builds a page with 100 components and 20 open incidents (the development scenario's components and
open incidents, plus components and incidents of other kinds with texts of their own), starts gunicorn
as gunicorn.conf.py does, and posts the development set's tickets (tests/data/tickets_dev.jsonl), each
with a new external_id, from 16 connections. Targets: at least 300 tickets/s, p99 under 25 ms, no
non-2xx answer.

With --burst it measures the other side instead: the cached `/` under 64 connections, alone and while
8 connections post 50 KB tickets; the target is a p99 of `/` under 50 ms during the burst.

    .venv/bin/python bench/bench_intake.py                      # SQLite in a temporary folder
    .venv/bin/python bench/bench_intake.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python bench/bench_intake.py --burst
    .venv/bin/python bench/bench_intake.py --in-process            # CPU ms and statements per ticket, no HTTP

--in-process takes the same tickets through the Flask app in this process, one at a time, and prints the
CPU time per ticket (time.process_time: what a shared, noisy machine disturbs least) and the SQL statements
per ticket: the cost that bounds tickets per second, without wrk, gunicorn and the loopback beside it.
"""
from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_http import run_wrk, start_gunicorn, wait_until_up  # noqa: E402

DATA = ROOT / "tests" / "data"
OTHER_KINDS = [   # (component name, description, incident title, first update): products other than the dev set's
    ("Label printing", "Shipping labels as PDF and ZPL", "Labels fail to generate",
     "Creating shipping labels fails with a timeout for some carriers. We are investigating."),
    ("Video playback", "Course videos in the player", "Videos buffer and stop",
     "Videos in the course player buffer for a long time or stop playing. Live classes are not affected."),
    ("Bank connections", "Connections to banks for account data", "Bank sync delayed",
     "Account transactions from some banks arrive with a delay of several hours."),
    ("Card payments", "Card payments at checkout", "Card payments declined",
     "A share of card payments is declined with error 05 although the cards are valid."),
    ("Outbound calls", "Calls from the platform to phone networks", "Outbound calls drop",
     "Outbound calls to mobile numbers in the UK drop after a few seconds. Inbound calls work normally."),
    ("Build service", "App builds for iOS and Android", "iOS builds stuck in queue",
     "iOS builds wait in the queue for more than an hour; Android builds are not affected."),
]
WORDS = ["Reports", "Exports", "Search", "Invoices", "Calendar", "Chat", "Uploads", "Imports", "Mobile app",
         "Notifications", "Webhooks", "Single sign-on", "Billing", "Analytics", "Documents", "Scheduling"]


def build_site(database_url: str, instance: Path, components: int, open_incidents: int) -> str:
    """The site, through the real services; returns an intake token."""
    from statuspage import clock, create_app
    from statuspage.database_admin import drop_everything, upgrade_to_head
    from statuspage.extensions import db
    from statuspage.services import accounts
    from statuspage.services import components as component_service
    from statuspage.services import incidents
    from statuspage.services.audit import Actor
    from statuspage.support.evaluation import load_scenario

    app = create_app({"database_url": database_url, "instance_dir": instance})
    bench = Actor(label="bench")
    now = clock.now()
    with app.app_context():
        drop_everything()
        upgrade_to_head()
        scenario = json.loads((DATA / "scenario.json").read_text(encoding="utf-8"))
        load_scenario(scenario, now=now, tz=app.config["SETTINGS"].tz)
        group = component_service.create_group("More services", by=bench, now=now)
        slugs = []
        for n in range(components - len(scenario["components"])):
            kind = OTHER_KINDS[n % len(OTHER_KINDS)] if n < len(OTHER_KINDS) else None
            name = kind[0] if kind else f"{WORDS[n % len(WORDS)]} {n}"
            slug = f"service-{n}"
            component_service.create_component(slug=slug, name=name, group_id=group.id, by=bench, now=now,
                                               description=kind[1] if kind else f"The {name.lower()} of region {n}")
            slugs.append(slug)
        opened = sum(1 for i in scenario["incidents"] if i["updates"][-1]["status"] != "resolved")
        for n in range(open_incidents - opened):
            title, body = (OTHER_KINDS[n][2:] if n < len(OTHER_KINDS)
                           else (f"{WORDS[n % len(WORDS)]} degraded", f"Some requests to {WORDS[n % len(WORDS)].lower()} "
                                 f"in region {n} fail or are slow. We are investigating."))
            incident = incidents.open_incident(name=title, impact="minor", body=body,
                                               components={slugs[n]: "partial_outage"},
                                               by=bench, now=now - timedelta(minutes=50 - n))
            incidents.post_update(incident.id, status="identified", body="The cause is identified; a fix is rolling out.",
                                  by=bench, now=now - timedelta(minutes=20 - n / 2))
        _, token = accounts.create_token(role="intake", label="bench", by=bench, now=now)
        db.engine.dispose()
    return token


POST_SCRIPT = """
local bodies, n = {}, 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  prefix = args[2] .. "-" .. tostring(math.random(1, 1e9))
end
request = function()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]
  body = '{"external_id": "' .. prefix .. "-" .. n .. '", ' .. string.sub(body, 2)
  return wrk.format("POST", "/api/v1/tickets", {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer " .. args_token}, body)
end
"""


def tickets_file(workdir: Path, *, big: bool) -> Path:
    """One ticket body a line (the contract's request without external_id)."""
    path = workdir / ("big.jsonl" if big else "tickets.jsonl")
    records = [json.loads(line) for line in (DATA / "tickets_dev.jsonl").read_text(encoding="utf-8").splitlines() if line]
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            ticket = dict(record["ticket"])
            if big:   # 50 KB: a long quoted thread under the customer's words
                ticket["body"] = (ticket["body"] + "\n\n" + ("> " + ticket["body"] + "\n") * 400)[:50_000]
            out.write(json.dumps(ticket, ensure_ascii=False) + "\n")
    return path


def post_script(workdir: Path, token: str, tickets: Path, label: str) -> Path:
    script = workdir / f"post-{label}.lua"
    script.write_text(f'args_token = "{token}"\n' + POST_SCRIPT.replace("init(args)", "init(_)").replace(
        "io.lines(args[1])", f'io.lines("{tickets}")').replace('args[2]', f'"{label}"'), encoding="utf-8")
    return script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--open-incidents", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--burst", action="store_true", help="measure the cached / while 50 KB tickets arrive")
    parser.add_argument("--in-process", action="store_true", help="CPU time and statements per ticket, no HTTP")
    parser.add_argument("--rounds", type=int, default=3, help="with --in-process: times through the tickets")
    args = parser.parse_args()
    if args.in_process:
        return in_process(args)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    token = build_site(database_url, workdir, args.components, args.open_incidents)
    gunicorn = start_gunicorn(database_url, workdir, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_until_up(base + "/healthz")
        warm = post_script(workdir, token, tickets_file(workdir, big=False), "warm")
        run_wrk(base + "/", 8, 5, 1, warm)    # every thread of both workers takes tickets before measuring
        print(f"{args.components} components, {args.open_incidents} open incidents, {args.workers} workers, "
              f"database {database_url.split('://')[0]}, {args.seconds}s per run")
        if args.burst:
            burst(base, workdir, token, args)
        else:
            script = post_script(workdir, token, tickets_file(workdir, big=False), "bench")
            result = run_wrk(base + "/", args.connections, args.seconds, 2, script)
            print(f"POST /api/v1/tickets, {args.connections} connections: {result['rps']:.0f} tickets/s, "
                  f"median {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, non-2xx {result['non_2xx']} "
                  f"{result['socket_errors']}")
        print(f"memory per worker (RSS): {', '.join(worker_rss(gunicorn.pid))}")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def in_process(args) -> None:
    """CPU ms per ticket (each round's mean; the lowest is the least disturbed) and statements per ticket."""
    import time

    from sqlalchemy import event

    from statuspage import create_app
    from statuspage.extensions import db
    from statuspage.support import candidates, matching

    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    try:
        token = build_site(database_url, workdir, args.components, args.open_incidents)
        app = create_app({"database_url": database_url, "instance_dir": workdir, "secret_key": "bench"})
        matching.warm()
        candidates.warm(app)
        tickets = [json.loads(line) for line in tickets_file(workdir, big=False).read_text(encoding="utf-8").splitlines()]
        client, headers, sent = app.test_client(), {"Authorization": f"Bearer {token}"}, [0]
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *_args: sent.__setitem__(0, sent[0] + 1))

        def post_all(label: str) -> None:
            for n, ticket in enumerate(tickets):
                response = client.post("/api/v1/tickets", json={**ticket, "external_id": f"{label}-{n}"},
                                       headers=headers)
                assert response.status_code in (200, 201), response.get_data(as_text=True)

        post_all("warm")          # the snapshot, its examples and the suspected incidents settle
        rounds = []
        for k in range(args.rounds):
            sent[0], started = 0, time.process_time()
            post_all(f"round-{k}")
            rounds.append(((time.process_time() - started) * 1000 / len(tickets), sent[0] / len(tickets)))
        print(f"{args.components} components, {args.open_incidents} open incidents, database "
              f"{database_url.split('://')[0]}, {len(tickets)} tickets x {args.rounds}, in this process")
        print("CPU ms per ticket: " + ", ".join(f"{ms:.2f}" for ms, _ in rounds)
              + f" (lowest {min(ms for ms, _ in rounds):.2f}); statements per ticket: {rounds[-1][1]:.1f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def burst(base: str, workdir: Path, token: str, args) -> None:
    """`/` from the cache alone, then beside 8 connections posting 50 KB tickets."""
    urllib.request.urlopen(base + "/").read()
    alone = run_wrk(base + "/", 64, args.seconds, 2)
    script = post_script(workdir, token, tickets_file(workdir, big=True), "big")
    posted: dict = {}
    poster = threading.Thread(target=lambda: posted.update(run_wrk(base + "/", 8, args.seconds + 2, 1, script)))
    poster.start()
    during = run_wrk(base + "/", 64, args.seconds, 1)
    poster.join()
    print(f"cached /, 64 connections alone: {alone['rps']:.0f} req/s, p99 {alone['p99_ms']:.1f} ms")
    print(f"cached /, 64 connections during the burst: {during['rps']:.0f} req/s, p99 {during['p99_ms']:.1f} ms, "
          f"non-2xx {during['non_2xx']}")
    print(f"50 KB tickets, 8 connections: {posted['rps']:.0f} tickets/s, p99 {posted['p99_ms']:.1f} ms, "
          f"non-2xx {posted['non_2xx']}")


def worker_rss(master: int) -> list[str]:
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    out = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        out.append(f"{int(rss) // 1024} MB")
    return out


if __name__ == "__main__":
    main()

"""The health-check scheduler under load: N HTTP checks against a local server, the real `statuspage scheduler`.

    .venv/bin/python bench/bench_checks.py --checks 1000 --interval 30     # SQLite in a temporary folder
    .venv/bin/python bench/bench_checks.py --checks 10000 --interval 60
    .venv/bin/python bench/bench_checks.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_checks --reset
    .venv/bin/python bench/bench_checks.py --checks 200 --interval 10 --intervals 1   # a quick look

The target is an aiohttp server in a process of its own (its CPU is not the scheduler's); every check asks
for its own URL. The scheduler runs as a subprocess for one interval of warm-up (the first runs are spread
over it) and then a measured window of --intervals intervals, over which its CPU time (utime + stime from
/proc) is taken. Afterwards the results in the database say whether every check ran in every interval of
the window, how late the runs started (CheckResult.lateness_ms), and whether the rollups hold every run.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMPONENTS = 100
# (checks, interval seconds) -> most of a core the scheduler may use, from the issue
TARGETS = {(1_000, 30): 0.25, (10_000, 60): 1.0}
TARGET_P99_LATENESS_MS = 2_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the target: a separate process answering 200 "ok" -------------------------------------------------

def serve(port: int) -> None:
    """`--serve`: answer every request with 200 "ok"; /stats says how many were answered."""
    from aiohttp import web

    answered = 0

    async def ok(request: web.Request) -> web.Response:
        nonlocal answered
        answered += 1
        return web.Response(text="ok")

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"answered": answered})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/stats", stats)
        app.router.add_route("*", "/ok", ok)
        runner = web.AppRunner(app, access_log=None, keepalive_timeout=120)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, SystemExit):
        pass


def start_target() -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline())
    return process, port


def target_answered(port: int) -> int:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as response:
        return json.load(response)["answered"]


# --- /proc ----------------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, for its load over the window."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def backend_pids(database_url: str) -> list[int]:
    """PostgreSQL: the server processes serving the bench's database now (the scheduler's connections)."""
    if not database_url.startswith("postgresql"):
        return []
    from sqlalchemy import create_engine, text
    engine = create_engine(database_url)
    with engine.connect() as connection:
        pids = list(connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                            "AND pid <> pg_backend_pid()")))
    engine.dispose()
    return pids


def cpu_of(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except OSError:  # gone, or not on this machine
            pass
    return found


def memory_kb(pid: int) -> dict[str, int]:
    with open(f"/proc/{pid}/status") as status:
        found = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status.read(), re.M))
    return {name: int(value) for name, value in found.items()}


# --- the database -----------------------------------------------------------------------------------------

def build(database_url: str, instance: Path, reset: bool, checks: int, interval: int, port: int) -> float:
    """An empty schema, COMPONENTS components and `checks` valid HTTP checks; returns the seconds it took."""
    from sqlalchemy import insert, inspect

    from statuspage import clock, create_app
    from statuspage.database_admin import drop_everything, upgrade_to_head
    from statuspage.extensions import db
    from statuspage.models import Check, CheckSource
    from statuspage.monitoring import definitions
    from statuspage.services import components
    from statuspage.services.audit import Actor

    app = create_app({"database_url": database_url, "instance_dir": instance, "secret_key": "bench-secret-key"})
    bench = Actor(label="bench")
    now = clock.now()
    started = time.perf_counter()
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        if tables and not reset:
            raise SystemExit(f"The database has tables already ({', '.join(sorted(tables)[:4])}, ...); "
                             "the bench needs an empty one. Pass --reset to drop everything in it first.")
        if tables:
            drop_everything()
        upgrade_to_head()
        ids = {}
        for n in range(COMPONENTS):
            component = components.create_component(slug=f"service-{n}", name=f"Service {n}", by=bench, now=now)
            ids[component.slug] = component.id
        # Every definition goes through the same schema as check files and the API; the rows are what
        # monitoring.checks._apply makes of it, inserted in bulk (create_check one by one takes minutes at 10k).
        rows = []
        for n in range(checks):
            definition = definitions.definition({
                "key": f"bench-{n}", "name": f"Bench check {n}", "component": f"service-{n % COMPONENTS}",
                "kind": "http", "target": f"http://127.0.0.1:{port}/ok?n={n}", "interval": f"{interval}s",
                "timeout": f"{min(10, interval)}s", "expect": {"status": 200}})
            rows.append({
                "key": definition.key, "name": definition.name, "component_id": ids[definition.component],
                "kind": definition.kind, "target": definition.target, "interval_seconds": definition.interval,
                "timeout_seconds": definition.timeout, "failure_status": definition.failure_status,
                "failures_to_open": definition.failures_to_open, "successes_to_close": definition.successes_to_close,
                "options": definition.options, "enabled": definition.enabled, "source": CheckSource.API,
                "source_file": "", "created_at": now, "updated_at": now})
        for start in range(0, len(rows), 2_000):
            db.session.execute(insert(Check), rows[start:start + 2_000])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return time.perf_counter() - started


def read_back(database_url: str, instance: Path) -> dict:
    """Every result (check id, scheduled time, lateness) and the rollups' row counts and run sums."""
    from sqlalchemy import func, select

    from statuspage import create_app
    from statuspage.extensions import db
    from statuspage.models import Check, CheckResult, Rollup

    app = create_app({"database_url": database_url, "instance_dir": instance, "secret_key": "bench-secret-key"})
    with app.app_context():
        results = db.session.execute(select(CheckResult.check_id, CheckResult.at, CheckResult.lateness_ms,
                                            CheckResult.ok, CheckResult.latency_ms)).all()
        rollups = {f"{scope}/{period}": {"rows": rows, "runs": runs or 0} for scope, period, rows, runs in
                   db.session.execute(select(Rollup.scope, Rollup.period, func.count(), func.sum(Rollup.runs))
                                      .group_by(Rollup.scope, Rollup.period)).all()}
        check_ids = list(db.session.scalars(select(Check.id)))
        not_ok = db.session.scalar(select(func.count()).select_from(Check).where(Check.last_ok.is_not(True)))
        dialect = db.engine.dialect.name
        version = ".".join(map(str, db.engine.dialect.server_version_info or ()))
        db.session.remove()
        db.engine.dispose()
    return {"results": results, "rollups": rollups, "check_ids": check_ids, "checks_not_ok": not_ok,
            "database": dialect, "server_version": version}


# --- the analysis -----------------------------------------------------------------------------------------

def percentile(ordered: list, pct: float):
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def analyse(data: dict, *, interval: int, window_start: datetime, window_end: datetime) -> dict:
    """Match each check's runs to the turns it was due in the window.

    A check is due at phase + k * interval (the runner schedules every run exactly one interval after the
    previous one was due), and a result's scheduled time is `at - lateness_ms`. Each check has exactly
    `intervals` turns in the window; a turn without a run is missed.
    """
    step = timedelta(seconds=interval)
    scheduled: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for check_id, at, lateness_ms, _ok, _latency in data["results"]:
        scheduled[check_id].append((at - timedelta(milliseconds=lateness_ms or 0), lateness_ms or 0))
    turns = round((window_end - window_start) / step)
    runs_per_check, lateness, missed, never_ran = [], [], 0, 0
    for check_id in data["check_ids"]:
        runs = sorted(scheduled.get(check_id, ()))
        if not runs:
            never_ran += 1
            missed += turns
            runs_per_check.append(0)
            continue
        first = runs[0][0]
        k = -((first - window_start) // step)  # ceil: the first turn at or after window_start
        slots = [first + (k + i) * step for i in range(turns)]
        matched = 0
        for slot in slots:
            near = [late for when, late in runs if abs(when - slot) < step / 2]
            if near:
                matched += 1
                lateness.append(near[0])
        missed += turns - matched
        runs_per_check.append(matched)
    lateness.sort()
    window_results = [row for row in data["results"] if window_start <= row[1] < window_end]
    return {
        "turns_per_check": turns, "runs_in_window": len(lateness), "missed_turns": missed, "never_ran": never_ran,
        "runs_per_check_min": min(runs_per_check, default=0), "runs_per_check_max": max(runs_per_check, default=0),
        "lateness_ms": {"p50": percentile(lateness, 50), "p95": percentile(lateness, 95),
                        "p99": percentile(lateness, 99), "max": lateness[-1] if lateness else None},
        "failed_in_window": sum(1 for row in window_results if not row[3]),
        "probe_latency_ms_p99": percentile(sorted(row[4] for row in window_results if row[4] is not None), 99),
    }


# --- the run ----------------------------------------------------------------------------------------------

def wait_for_line(log: Path, pattern: str, process: subprocess.Popen, timeout_s: float) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the scheduler exited with status {process.returncode}:\n{log.read_text()[-3000:]}")
        if log.exists() and re.search(pattern, log.read_text(errors="replace")):
            return time.time()
        time.sleep(0.1)
    raise SystemExit(f"no {pattern!r} from the scheduler within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def sleep_until(when: float, process: subprocess.Popen, log: Path) -> None:
    while (left := when - time.time()) > 0:
        if process.poll() is not None:
            raise SystemExit(f"the scheduler exited with status {process.returncode} before the end of the "
                             f"window:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(min(left, 1.0))


def run(args, workdir: Path) -> dict:
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    target, port = start_target()
    scheduler = None
    try:
        build_s = build(database_url, workdir / "instance", args.reset, args.checks, args.interval, port)
        (workdir / "checks").mkdir()
        log = workdir / "scheduler.log"
        env = {**os.environ, "STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_INSTANCE_DIR": str(workdir / "instance"),
               "STATUSPAGE_SECRET_KEY": "bench-secret-key", "STATUSPAGE_CHECKS_DIR": str(workdir / "checks"),
               "STATUSPAGE_ENV_FILE": "/nonexistent", "STATUSPAGE_CHECK_CONCURRENCY": str(args.concurrency)}
        with open(log, "w") as log_file:
            scheduler = subprocess.Popen([args.statuspage, "scheduler"], cwd=workdir,
                                         env=env, stdout=log_file, stderr=subprocess.STDOUT)
        led_at = wait_for_line(log, r"leads the checks", scheduler, timeout_s=60)
        print(f"scheduler {scheduler.pid} leads; warm-up {args.interval} s, then {args.intervals} x "
              f"{args.interval} s measured", file=sys.stderr, flush=True)
        window_start = led_at + args.interval + 1  # every check's first run falls in the first interval
        window_end = window_start + args.intervals * args.interval
        sleep_until(window_start, scheduler, log)
        backends = backend_pids(database_url)
        cpu_before, busy_before, target_before = cpu_seconds(scheduler.pid), machine_busy(), cpu_seconds(target.pid)
        backends_before = cpu_of(backends)
        answered_before = target_answered(port)
        sleep_until(window_end, scheduler, log)
        cpu_after, busy_after, target_after = cpu_seconds(scheduler.pid), machine_busy(), cpu_seconds(target.pid)
        backends_after = cpu_of(backends)
        answered_after = target_answered(port)
        memory = memory_kb(scheduler.pid)
        time.sleep(3)  # the last outcomes of the window reach the database at the next flushes
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=60)
        scheduler = None
    finally:
        if scheduler is not None:
            scheduler.kill()
            scheduler.wait()
        target.terminate()
        target.wait()
    data = read_back(database_url, workdir / "instance")
    window = (window_end - window_start)
    start_dt = datetime.fromtimestamp(window_start, timezone.utc)
    end_dt = datetime.fromtimestamp(window_end, timezone.utc)
    found = analyse(data, interval=args.interval, window_start=start_dt, window_end=end_dt)
    log_text = log.read_text(errors="replace")
    cpu = cpu_after - cpu_before
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]) * os.cpu_count()
    total_results = len(data["results"])
    rollups = data["rollups"]
    rollups_complete = all(rollups.get(key, {}).get("runs") == total_results for key in
                           ("check/hour", "check/day", "component/hour", "component/day"))
    limit = TARGETS.get((args.checks, args.interval))
    report = {
        "database": data["database"], "server_version": data["server_version"], "python": sys.version.split()[0],
        "cpus": os.cpu_count(), "checks": args.checks, "interval_s": args.interval, "intervals": args.intervals,
        "concurrency": args.concurrency, "build_seconds": round(build_s, 1), "window_s": round(window, 1),
        "scheduler_cpu_s": round(cpu, 2), "scheduler_cores": round(cpu / window, 3),
        "cpu_s_per_1000_runs": round(cpu / max(1, found["runs_in_window"]) * 1000, 3),
        "max_rss_mb": round(memory.get("VmHWM", 0) / 1024, 1), "rss_mb_at_end": round(memory.get("VmRSS", 0) / 1024, 1),
        "target_cores": round((target_after - target_before) / window, 3), "machine_busy_cores": round(busy, 2),
        "postgres_backend_cores": round(sum(backends_after[pid] - backends_before[pid] for pid in backends_after
                                            if pid in backends_before) / window, 3) if backends else None,
        "target_answered_in_window": answered_after - answered_before,
        **found,
        "results_written": total_results, "rollups": rollups, "rollups_complete": rollups_complete,
        "checks_not_ok_at_end": data["checks_not_ok"],
        "log_errors": len(re.findall(r" (ERROR|CRITICAL) ", log_text)),
        "log_skipped_jobs": len(re.findall(r"skipped: maximum number of running instances", log_text)),
        "log_missed_jobs": len(re.findall(r"was missed by", log_text)),
        "cpu_limit_cores": limit,
    }
    report["every_turn_ran"] = found["missed_turns"] == 0 and found["runs_per_check_max"] == found["turns_per_check"]
    report["lateness_ok"] = (found["lateness_ms"]["p99"] or 0) < TARGET_P99_LATENESS_MS
    report["cpu_ok"] = None if limit is None else report["scheduler_cores"] < limit
    report["meets_target"] = (report["every_turn_ran"] and report["lateness_ok"] and rollups_complete
                              and total_results > 0 and report["cpu_ok"] is not False)
    report["log_tail"] = [line for line in log_text.splitlines() if " ERROR " in line or "Traceback" in line][:5]
    return report


def print_table(r: dict) -> None:
    late = r["lateness_ms"]
    print(f"{r['database']} {r['server_version']}, Python {r['python']}, {r['cpus']} CPUs: {r['checks']:,} HTTP checks "
          f"every {r['interval_s']} s, concurrency {r['concurrency']}; built in {r['build_seconds']} s")
    print(f"measured window        {r['window_s']:.0f} s ({r['intervals']} interval{'s' * (r['intervals'] != 1)} "
          f"after {r['interval_s']} s of warm-up)")
    print(f"runs per check         min {r['runs_per_check_min']}, max {r['runs_per_check_max']} "
          f"(due {r['turns_per_check']}); missed turns {r['missed_turns']}, never ran {r['never_ran']}")
    print(f"lateness ms            p50 {late['p50']}  p95 {late['p95']}  p99 {late['p99']}  max {late['max']}")
    print(f"scheduler CPU          {r['scheduler_cpu_s']:.1f} s = {r['scheduler_cores']:.3f} cores; "
          f"{r['cpu_s_per_1000_runs']:.3f} s per 1,000 runs")
    print(f"scheduler memory       max RSS {r['max_rss_mb']:.0f} MB (RSS {r['rss_mb_at_end']:.0f} MB at the end)")
    postgres = "" if r["postgres_backend_cores"] is None else \
        f"its PostgreSQL backends {r['postgres_backend_cores']:.3f} cores; "
    print(f"elsewhere              target server {r['target_cores']:.3f} cores (answered "
          f"{r['target_answered_in_window']:,}); {postgres}whole machine {r['machine_busy_cores']:.2f} of {r['cpus']} cores busy")
    rollups = ", ".join(f"{key} {value['rows']:,} rows/{value['runs']:,} runs" for key, value in sorted(r["rollups"].items()))
    print(f"written                {r['results_written']:,} results (whole run, {r['failed_in_window']} failed in the "
          f"window); rollups: {rollups}")
    print(f"scheduler log          {r['log_errors']} errors, {r['log_skipped_jobs']} skipped jobs, "
          f"{r['log_missed_jobs']} missed jobs")
    for line in r["log_tail"]:
        print(f"    {line[:200]}")
    limit = r["cpu_limit_cores"]
    cpu = "no CPU target for this size" if limit is None else \
        f"CPU {r['scheduler_cores']:.3f} cores {'<' if r['cpu_ok'] else '>='} {limit}"
    print(f"{'MEETS' if r['meets_target'] else 'MISSES'} the target: every check every interval "
          f"{'yes' if r['every_turn_ran'] else 'NO'}; p99 lateness {late['p99']} ms "
          f"{'<' if r['lateness_ok'] else '>='} {TARGET_P99_LATENESS_MS}; results and rollups "
          f"{'complete' if r['rollups_complete'] and r['results_written'] else 'INCOMPLETE'}; {cpu}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=1_000, help="HTTP checks (default 1000)")
    parser.add_argument("--interval", type=int, default=30, help="seconds between runs of a check (default 30)")
    parser.add_argument("--intervals", type=int, default=3, help="intervals measured after one of warm-up (default 3)")
    parser.add_argument("--concurrency", type=int, default=200, help="STATUSPAGE_CHECK_CONCURRENCY (default 200)")
    parser.add_argument("--database-url", help="an empty database to fill (default: a temporary SQLite file)")
    parser.add_argument("--reset", action="store_true", help="drop every table in --database-url first")
    parser.add_argument("--statuspage", default=str(ROOT / ".venv" / "bin" / "statuspage"),
                        help="the statuspage command to run as the scheduler (default: the venv's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--check", action="store_true", help="exit with status 1 when the target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, scheduler log)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the target server's process
    args = parser.parse_args(argv)
    if args.serve:
        serve(0)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-checks-"))
    try:
        report = run(args, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            import shutil
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_table(report)
    return 1 if args.check and not report["meets_target"] else 0


if __name__ == "__main__":
    sys.exit(main())

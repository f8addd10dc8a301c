"""`/` and `/components/<slug>` on a site with a long history: does the work of a page grow with it?

The site: 200 components in 20 groups, 10,000 resolved incidents over two years (three updates each,
most touching one to three components), 3 open incidents and 2 maintenance windows, 2 health checks
per component (400), 5,000,000 check results over the 14-day retention (one run per check every 96 s)
and the hourly and daily rollups (per check and per component) of every run of the last 400 days:
those of the retention window are exactly what its results imply; the older ones are what the
pruned results implied. The runs are simulated with numpy (an outage model: incidents make the
component's checks fail and slow down, plus rare one-off failures) and bulk-loaded (executemany on
SQLite, COPY on PostgreSQL); the rollups are computed from the simulated runs, not replayed through
add_samples.

Building takes a few minutes, so it happens once: a marker table records what was built (and the
instant "now" of the build, which the measurement then uses as the clock); a rerun reuses the data
(after migrating to the newest schema) unless --rebuild.

Then each page is measured in a forked process of its own (a page that crashes the interpreter, as
/history has on this data, cannot take the others with it; it is then measured again with the garbage
collector off, and the report says so), through a fresh test client, outside any app context (as in
production), three ways: rendered, with the page cache stepped around (an extra query argument makes a
request uncacheable) and the uptime bars' past days kept (services/bars.py), which is what the target
is about; cold, rendered with nothing kept either (as the first rendering after a change); and as a
cache miss (both emptied before each request: rendered, compressed and stored, as the first reader
after a change gets it). Median, p90, p99, max and CPU median in ms, queries per rendering (with the
past days kept, and cold), bytes (raw and gzip-compressed). Last, every statement `/` and the component
page send, kept and cold, is explained with the parameters it was sent with: EXPLAIN QUERY PLAN on
SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL.

    .venv/bin/python bench/bench_scale.py                   # SQLite: bench/.cache/scale.db (kept)
    createdb -h 127.0.0.1 -U postgres scale_bench
    .venv/bin/python bench/bench_scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/scale_bench
    .venv/bin/python bench/bench_scale.py --requests 50 --no-plans     # a quick look
    .venv/bin/python bench/bench_scale.py --rebuild                    # build the data again
"""
from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import event, insert, inspect, make_url, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from statuspage import clock, create_app  # noqa: E402
from statuspage.database_admin import drop_everything, upgrade_to_head  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import (  # noqa: E402
    AffectedComponent, Check, Component, ComponentGroup, Incident, IncidentKind, IncidentStatus, IncidentUpdate,
    SiteVersion,
)
from statuspage.services import incidents  # noqa: E402
from statuspage.services.audit import Actor  # noqa: E402
from statuspage.services.uptime import LATENCY_BUCKETS_MS  # noqa: E402
from statuspage.web import cache as cache_module  # noqa: E402

_cacheable = cache_module._cacheable

BUILD_VERSION = 1  # bump when what build() makes changes: a cached database of another version is rebuilt
TARGET_MEDIAN_MS = 20.0
TARGET_GZIP_KB = 60.0
GROUPS, COMPONENTS_PER_GROUP = 20, 10
PAST_INCIDENTS = 10_000
HISTORY_DAYS = 730
CHECKS_PER_COMPONENT = 2
RESULTS_PER_CHECK = 12_500  # x 400 checks = 5,000,000
RUN_INTERVAL_S = 96         # 12,500 runs x 96 s = 13.9 days: all inside the 14-day retention
DEFAULT_ROLLUP_DAYS = 400
DEFAULT_SQLITE = ROOT / "bench" / ".cache" / "scale.db"
MARKER_TABLE = "bench_scale_marker"
BENCH = Actor(label="bench")
SEED = 2026
TITLES = [
    ("Elevated API error rates", "minor", "Some API requests return 502.", "A faulty load balancer node was removed."),
    ("Delayed email delivery", "minor", "Emails arrive up to 30 minutes late.", "The mail queue has drained."),
    ("Dashboard slow to load", "minor", "Dashboard pages take up to 20 seconds.", "A slow query was fixed."),
    ("Search results incomplete", "major", "Search misses results for some workspaces.", "The index was rebuilt."),
    ("File uploads failing", "major", "Uploads over 10 MB fail.", "A full storage node got more disk."),
    ("Sign-in unavailable", "critical", "Nobody can sign in right now.", "An expired certificate was replaced."),
]
# What an incident does to its components' checks: share of failed runs, latency factor.
OUTAGE = {"minor": (0.05, 2.0), "major": (0.3, 3.0), "critical": (0.9, 1.0)}
BLIPS_PER_DAY = 1 / 45  # one-off failures (1 to 3 runs in a row) per check, outside incidents
EPOCH = datetime(1970, 1, 1)


# ---- writing in bulk ------------------------------------------------------------------------------------------

class Loader:
    """Rows into a table, fast: executemany in one transaction on SQLite, COPY on PostgreSQL.

    Values come already in the database's own text for times (see time()); None is NULL."""

    def __init__(self, connection):
        self.connection = connection  # a SQLAlchemy Connection, in a transaction
        self.dialect = connection.dialect.name
        self.raw = connection.connection.driver_connection
        self._times: dict[int, str] = {}

    def time(self, epoch: int) -> str:
        """An instant (UTC seconds) as the UTCDateTime column stores it."""
        text_ = (EPOCH + timedelta(seconds=int(epoch))).isoformat(" ")
        return text_ + (".000000" if self.dialect == "sqlite" else "+00")

    def hour(self, epoch: int) -> str:
        found = self._times.get(epoch)
        if found is None:
            found = self._times[epoch] = self.time(epoch)
        return found

    def bool(self, value: bool):
        return (1 if value else 0) if self.dialect == "sqlite" else value

    def load(self, table: str, columns: tuple[str, ...], rows) -> int:
        count, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) >= 50_000:
                count += self._write(table, columns, batch)
                batch = []
        if batch:
            count += self._write(table, columns, batch)
        return count

    def _write(self, table, columns, batch) -> int:
        if self.dialect == "sqlite":
            cursor = self.raw.cursor()
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                               batch)
            cursor.close()
        else:
            lines = "".join("\t".join(_copy_text(value) for value in row) + "\n" for row in batch)
            with self.raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(lines)
        return len(batch)


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


# ---- the site --------------------------------------------------------------------------------------------------

def build(now: datetime, tz, rollup_days: int) -> dict:
    """Fill an empty, migrated database. Returns what the measurement needs to know about it."""
    rng = np.random.default_rng(SEED)
    created = now - timedelta(days=HISTORY_DAYS + 10)
    groups = [dict(id=g + 1, name=f"Group {g + 1}", description="", position=g, created_at=created,
                   updated_at=created) for g in range(GROUPS)]
    components = []
    for g in range(GROUPS):
        for c in range(COMPONENTS_PER_GROUP):
            components.append(dict(
                id=len(components) + 1, slug=f"service-{g + 1}-{c + 1}", name=f"Service {g + 1}.{c + 1}",
                description=f"What service {g + 1}.{c + 1} does for customers", group_id=g + 1, position=c,
                status="operational", only_show_if_degraded=False, aliases=[], created_at=created,
                updated_at=created))
    db.session.execute(insert(ComponentGroup), groups)
    db.session.execute(insert(Component), components)

    # Past incidents, in bulk: resolved, three updates each, 0 to 3 components.
    incident_rows, update_rows, affected_rows = [], [], []
    windows: dict[int, list[tuple]] = {c["id"]: [] for c in components}  # component -> (start, end, impact)
    touches: dict[int, int] = {}
    span_minutes = (HISTORY_DAYS * 24 - 5) * 60
    for n in range(PAST_INCIDENTS):
        incident_id = n + 1
        title, impact, first, last = TITLES[int(rng.integers(len(TITLES)))]
        started = now - timedelta(hours=5, minutes=int(rng.integers(span_minutes)))
        identified = started + timedelta(minutes=int(rng.integers(5, 40)))
        resolved = identified + timedelta(minutes=int(rng.integers(20, 240)))
        incident_rows.append(dict(
            id=incident_id, kind=IncidentKind.INCIDENT, name=title, status=IncidentStatus.RESOLVED, impact=impact,
            started_at=started, resolved_at=resolved, created_at=started, updated_at=resolved, version=3))
        count = int(rng.choice([0, 1, 1, 1, 2, 2, 3]))
        touched = [components[i] for i in rng.choice(len(components), size=count, replace=False)]
        for component in touched:
            affected_rows.append(dict(incident_id=incident_id, component_id=component["id"], status="partial_outage"))
            windows[component["id"]].append((started.timestamp(), resolved.timestamp(), impact))
            touches[component["id"]] = touches.get(component["id"], 0) + 1
        changes = [{"code": str(c["id"]), "name": c["name"], "old_status": "operational",
                    "new_status": "partial_outage"} for c in touched] or None
        restored = [{**change, "old_status": "partial_outage", "new_status": "operational"}
                    for change in changes] if changes else None
        for status, at, body, affected in (
                (IncidentStatus.INVESTIGATING, started, first, changes),
                (IncidentStatus.IDENTIFIED, identified, "We found the cause and are **working on a fix**.", None),
                (IncidentStatus.RESOLVED, resolved, last, restored)):
            update_rows.append(dict(incident_id=incident_id, status=status, body=body, created_at=at,
                                    author_name="bench", affected_components=affected))
    db.session.execute(insert(Incident), incident_rows)
    for start in range(0, len(update_rows), 10_000):
        db.session.execute(insert(IncidentUpdate), update_rows[start:start + 10_000])
    db.session.execute(insert(AffectedComponent), affected_rows)
    db.session.commit()
    _move_sequences("component_groups", "components", "incidents")

    # The present, through the services: component statuses are what the app computes.
    first_open = incidents.open_incident(
        name="Dashboard and sign-in unavailable", impact="major", now=now - timedelta(minutes=50), by=BENCH,
        body="We are investigating reports that the **dashboard** does not load.",
        components={"service-1-1": "major_outage", "service-1-2": "partial_outage"})
    incidents.post_update(first_open.id, status="identified", body="A failed deployment is the cause.",
                          components={"service-1-2": "degraded_performance"}, by=BENCH,
                          now=now - timedelta(minutes=20))
    incidents.open_incident(name="Webhook deliveries delayed", impact="minor", now=now - timedelta(minutes=15),
                            body="Webhooks arrive up to 10 minutes late.", by=BENCH,
                            components={"service-2-3": "degraded_performance"})
    incidents.open_incident(name="Search index lagging", impact="minor", now=now - timedelta(hours=3),
                            body="New documents take an hour to show up in search.", by=BENCH,
                            components={"service-7-4": "degraded_performance"})
    for slug_id, impact, minutes in ((1, "critical", 50), (2, "major", 50), (13, "minor", 15), (64, "minor", 180)):
        windows[slug_id].append(((now - timedelta(minutes=minutes)).timestamp(), now.timestamp(), impact))
    window = (now + timedelta(days=5)).replace(hour=21, minute=0, second=0, microsecond=0)
    incidents.schedule_maintenance(name="Database version upgrade", components=["service-3-1", "service-3-2"],
                                   scheduled_for=window, scheduled_until=window + timedelta(hours=2),
                                   body="The dashboard may be read-only for 10 minutes.", by=BENCH, now=now)
    incidents.schedule_maintenance(name="Network maintenance", components=["service-4-1"],
                                   scheduled_for=window + timedelta(days=2),
                                   scheduled_until=window + timedelta(days=2, hours=1),
                                   body="Short connection drops are possible.", by=BENCH, now=now)
    db.session.remove()

    # Two checks per component.
    check_rows = []
    for component in components:
        for k in range(CHECKS_PER_COMPONENT):
            check_rows.append(dict(
                id=len(check_rows) + 1, key=f"{component['slug']}-{'http' if k == 0 else 'tcp'}",
                name=f"{component['name']} {'home page' if k == 0 else 'port'}", component_id=component["id"],
                kind="http" if k == 0 else "tcp",
                target=(f"https://{component['slug']}.example.com/" if k == 0
                        else f"{component['slug']}.example.com:443"),
                interval_seconds=RUN_INTERVAL_S, timeout_seconds=10.0, failure_status="partial_outage",
                failures_to_open=3, successes_to_close=2, options={}, source="api", source_file="", enabled=True,
                created_at=created, updated_at=created, consecutive_failures=0, consecutive_successes=0,
                is_down=False, changed_at=[]))
    db.session.execute(insert(Check), check_rows)
    db.session.commit()
    _move_sequences("checks")
    db.session.remove()

    results, rollups = _results_and_rollups(now, tz, rollup_days, components, check_rows, windows)
    busiest = max(touches, key=touches.get)
    return {"busiest_component": next(c["slug"] for c in components if c["id"] == busiest),
            "busiest_component_incidents": touches[busiest], "check_results": results, "rollups": rollups,
            "incidents": PAST_INCIDENTS + 3, "components": len(components), "checks": len(check_rows),
            "rollup_days": rollup_days}


def _move_sequences(*tables: str) -> None:
    if db.engine.dialect.name == "postgresql":  # explicit ids were inserted: move the sequences past them
        for table in tables:
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"))
        db.session.commit()


def _local_midnights(first: date, last: date, tz) -> np.ndarray:
    """UTC epoch seconds of each local midnight from first to last (inclusive)."""
    days = (last - first).days + 1
    return np.array([int(datetime.combine(first + timedelta(days=n), datetime.min.time(), tz).timestamp())
                     for n in range(days)], dtype=np.int64)


def _results_and_rollups(now, tz, rollup_days, components, check_rows, windows) -> tuple[int, int]:
    """Simulate every run of every check over the rollup horizon; store the last 12,500 runs of each
    check as results and every run in the hourly and daily rollups of its check and its component."""
    now_s = int(now.timestamp())
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=rollup_days)
    midnights = _local_midnights(first_day, today + timedelta(days=1), tz)
    h0 = int(midnights[0])
    if any((m - h0) % 3600 for m in midnights):
        raise SystemExit("the site's time zone has days that do not start on a UTC hour; the bench assumes they do")
    hours = (now_s - h0) // 3600 + 1
    hour_starts = h0 + 3600 * np.arange(hours, dtype=np.int64)
    day_of_hour = np.searchsorted(midnights, hour_starts, side="right") - 1
    bounds = np.array(LATENCY_BUCKETS_MS, dtype=np.int64)
    nb = len(bounds) + 1
    checks_by_component: dict[int, list[dict]] = {}
    for row in check_rows:
        checks_by_component.setdefault(row["component_id"], []).append(row)

    result_columns = ("check_id", "at", "ok", "latency_ms", "status_code", "error", "lateness_ms")
    rollup_columns = ("scope", "scope_id", "period", "starts_at", "runs", "failures", "latency_count",
                      "latency_sum_ms", "latency_buckets")
    started = time.perf_counter()
    results = rollups = 0
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET statement_timeout = 0"))  # the app's 10 s would cut a long COPY
        else:
            connection.exec_driver_sql("PRAGMA synchronous=OFF")
        loader = Loader(connection)
        for component in components:
            component_hours = np.zeros((hours, 4 + nb), dtype=np.int64)
            for check in checks_by_component[component["id"]]:
                rng = np.random.default_rng(SEED * 1000 + check["id"])
                last = now_s - 1 - int(rng.integers(RUN_INTERVAL_S))
                count = (last - h0) // RUN_INTERVAL_S + 1
                at = last - RUN_INTERVAL_S * np.arange(count - 1, -1, -1, dtype=np.int64)
                fail = np.zeros(count)
                factor = np.ones(count)
                for start, end, impact in windows[component["id"]]:
                    a, b = np.searchsorted(at, [int(start), int(end)])
                    share, slower = OUTAGE[impact]
                    fail[a:b] = np.maximum(fail[a:b], share)
                    factor[a:b] = np.maximum(factor[a:b], slower)
                for blip in rng.integers(0, count, size=rng.poisson(BLIPS_PER_DAY * count * RUN_INTERVAL_S / 86400)):
                    fail[blip:blip + int(rng.integers(1, 4))] = 1.0
                ok = rng.random(count) >= fail
                base = 20 + 15 * (check["id"] % 13)
                latency = np.maximum(1, (base * factor * rng.lognormal(0.0, 0.35, count)).astype(np.int64))
                lateness = rng.integers(0, 400, count)

                keep = slice(count - RESULTS_PER_CHECK, count)
                results += loader.load("check_results", result_columns, (
                    (check["id"], loader.time(t), loader.bool(o), int(lat) if o else None, 200 if o else None,
                     None if o else "timed out after 10 s", int(late))
                    for t, o, lat, late in zip(at[keep].tolist(), ok[keep].tolist(), latency[keep].tolist(),
                                               lateness[keep].tolist())))

                hour = (at - h0) // 3600
                counts = np.zeros((hours, 4 + nb), dtype=np.int64)
                counts[:, 0] = np.bincount(hour, minlength=hours)
                counts[:, 1] = np.bincount(hour, weights=~ok, minlength=hours).astype(np.int64)
                counts[:, 2] = np.bincount(hour, weights=ok, minlength=hours).astype(np.int64)
                counts[:, 3] = np.bincount(hour, weights=np.where(ok, latency, 0), minlength=hours).astype(np.int64)
                bucket = np.searchsorted(bounds, latency, side="left")  # bisect_left, as Counts.add
                counts[:, 4:] = np.bincount(hour[ok] * nb + bucket[ok], minlength=hours * nb).reshape(hours, nb)
                component_hours += counts
                rollups += _load_rollups(loader, rollup_columns, "check", check["id"], counts, hour_starts,
                                         day_of_hour, midnights)
            rollups += _load_rollups(loader, rollup_columns, "component", component["id"], component_hours,
                                     hour_starts, day_of_hour, midnights)
            if component["id"] % 20 == 0:
                print(f"  results and rollups: {component['id']}/{len(components)} components, {results:,} results, "
                      f"{rollups:,} rollups, {time.perf_counter() - started:.0f} s", file=sys.stderr)
        connection.commit()
    return results, rollups


def _load_rollups(loader, columns, scope, scope_id, counts, hour_starts, day_of_hour, midnights) -> int:
    days = np.zeros((len(midnights), counts.shape[1]), dtype=np.int64)
    np.add.at(days, day_of_hour, counts)

    def rows(period, grid, starts):
        for start, row in zip(starts.tolist(), grid.tolist()):
            if row[0]:
                yield (scope, scope_id, period, loader.hour(start), row[0], row[1], row[2], row[3],
                       "[" + ",".join(map(str, row[4:])) + "]" if row[2] else "[]")

    return (loader.load("rollups", columns, rows("hour", counts, hour_starts))
            + loader.load("rollups", columns, rows("day", days, midnights)))


# ---- the database: build once, then reuse ----------------------------------------------------------------------

def prepare(url: str, rebuild: bool, rollup_days: int, tz) -> dict:
    """The site's facts; builds it first when missing, of another version, or asked to."""
    wanted = {"version": BUILD_VERSION, "rollup_days": rollup_days}
    tables = inspect(db.engine).get_table_names()
    marker = None
    if MARKER_TABLE in tables:
        marker = json.loads(db.session.execute(text(f"SELECT facts FROM {MARKER_TABLE}")).scalar() or "null")
        db.session.rollback()
    if marker and not rebuild and all(marker.get(k) == v for k, v in wanted.items()):
        upgrade_to_head()  # new migrations (indexes) apply to the kept data
        return marker
    if tables and not marker and not rebuild:
        raise SystemExit(f"The database has tables already ({', '.join(sorted(tables)[:4])}, ...) but no "
                         f"{MARKER_TABLE}: not one this bench built. Pass --rebuild to drop everything in it.")
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        db.engine.dispose()
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        drop_everything()
    upgrade_to_head()
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    print(f"building the site (now = {now.isoformat()}): a few minutes, once", file=sys.stderr)
    started = time.perf_counter()
    facts = build(now, tz, rollup_days)
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET statement_timeout = 0"))
            connection.commit()
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    facts.update(wanted, now=now.isoformat(), build_seconds=round(time.perf_counter() - started, 1))
    with db.engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {MARKER_TABLE} (facts TEXT NOT NULL)"))
        connection.execute(text(f"INSERT INTO {MARKER_TABLE} (facts) VALUES (:facts)"), {"facts": json.dumps(facts)})
    print(f"built in {facts['build_seconds']} s", file=sys.stderr)
    return facts


# ---- measuring --------------------------------------------------------------------------------------------------

def sent_statements(engine, client, path: str) -> list[tuple[str, object]]:
    """The SQL statements (and their parameters) one rendering of path sends."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(uncached(path))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (path, response.status_code)
    return statements


def _forget(app, *, pages: bool = True) -> None:
    """Empty what a change would make stale: the uptime bars' kept past days and (pages=True) the page cache."""
    app.extensions.pop("statuspage.past_bars", None)
    app.extensions.pop("statuspage.status_changes", None)  # the incidents' status history (bars.kept_bars)
    cache = app.extensions.get("statuspage.page_cache")
    if cache is not None and pages:
        cache.clear()


def _forget_pages(app) -> None:
    """Empty the page cache alone (the bars' past days stay): the next request renders."""
    cache = app.extensions.get("statuspage.page_cache")
    if cache is not None:
        cache.clear()


def _change(app) -> None:
    """A change as the page sees it, that touches no bar: the site's change counter moves, no incident does
    (a component's description edited, say)."""
    with app.app_context():
        db.session.execute(update(SiteVersion).values(version=SiteVersion.version + 1))
        db.session.commit()


def uncached(path: str) -> str:
    """The same page, with an argument the page cache does not key on: it renders every time."""
    return path + ("&" if "?" in path else "?") + "bench=uncached"


def time_requests(app, client, path: str, requests: int, warmup: int, *, mode: str) -> dict:
    """Wall and CPU time per request (ms), for mode "rendered" (the page cache stepped around, the bars'
    past days kept), "changed" (the same, with the change counter moved before each request), "cold"
    (nothing kept) or "miss" (both emptied before each request); bytes as sent, with and without gzip."""
    headers = {"Accept-Encoding": "gzip"}
    target = path if mode == "miss" else uncached(path)
    # An unknown query argument no longer steps around the page cache (it is served from the page's entry):
    # outside "miss", the cache is switched off, so each request renders and nothing is compressed or kept.
    cache_module._cacheable = _cacheable if mode == "miss" else (lambda: False)
    _forget_pages(app)
    for _ in range(warmup):
        _forget(app, pages=mode == "miss")
        assert client.get(target, headers=headers).status_code == 200
    times, cpu_times = [], []
    for _ in range(requests):
        if mode == "changed":
            _change(app)
        elif mode != "rendered":
            _forget(app, pages=mode == "miss")
        cpu_started = time.process_time()
        started = time.perf_counter()
        response = client.get(target, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    body = response.data
    raw = gzip.decompress(body) if response.headers.get("Content-Encoding") == "gzip" else body
    times.sort()
    return {"median_ms": round(statistics.median(times), 2), "p90_ms": round(_percentile(times, 90), 2),
            "p99_ms": round(_percentile(times, 99), 2), "max_ms": round(times[-1], 2),
            "cpu_median_ms": round(statistics.median(cpu_times), 2), "bytes": len(raw),
            "gzip_bytes": len(body) if body is not raw else len(gzip.compress(raw, 6))}


def _measure(app, engine, path: str, requests: int, warmup: int, gc_off: bool = False) -> dict:
    """One page's statements and timings. Requests run outside any app context, as in production: each
    pushes its own (an outer one would be shared, and with it the language the first request chose)."""
    if gc_off:
        gc.disable()
    client = app.test_client()
    _forget(app)
    cold = sent_statements(engine, client, path)
    _forget_pages(app)
    kept = sent_statements(engine, client, path)
    return {"queries": len(kept), "cold_queries": len(cold),
            "statements": kept + [statement for statement in cold if statement not in kept],
            **time_requests(app, client, path, requests, warmup, mode="rendered"),
            "changed": time_requests(app, client, path, requests, warmup, mode="changed"),
            "cold": time_requests(app, client, path, requests, warmup, mode="cold"),
            "miss": time_requests(app, client, path, requests, warmup, mode="miss")}


def _in_child(work) -> dict:
    """work() in a forked process, its result sent back: one page's measurement cannot take the others
    down with it (on this data /history has been seen to crash the interpreter in a garbage collection)."""
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reading)
        try:
            payload = json.dumps(work(), default=str).encode()
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            payload = json.dumps({"crashed": f"failed: {error!r}"}).encode()
        with os.fdopen(writing, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if payload:
        return json.loads(payload)
    return {"crashed": f"died (wait status {status}, signal {os.WTERMSIG(status) if os.WIFSIGNALED(status) else '-'})"}


def _percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def explain(statements: list[tuple[str, object]]) -> list[tuple[str, str]]:
    """(statement, plan) for each statement, explained with the parameters it was sent with."""
    plans = []
    with db.engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        for statement, parameters in statements:
            if isinstance(parameters, list):  # came back as JSON from the measuring process
                parameters = tuple(parameters)
            if postgres:
                rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
                plan = "\n".join(row[0] for row in rows)
            else:
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                depth = {0: -1}
                lines = []
                for node, parent, _unused, detail in rows:
                    depth[node] = depth.get(parent, -1) + 1
                    lines.append("  " * depth[node] + detail)
                plan = "\n".join(lines)
            plans.append((" ".join(statement.split()), plan))
        connection.rollback()
    return plans


def run(args) -> dict:
    url = args.database_url or f"sqlite:///{DEFAULT_SQLITE}"
    if url.startswith("sqlite"):
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    elif make_url(url).database in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use the database {make_url(url).database!r}: create one of the bench's own")
    app = create_app({"database_url": url, "instance_dir": ROOT / "bench" / ".cache", "secret_key": "bench-secret",
                      "site_name": "Bench Status", "db_statement_timeout_ms": 600_000})
    tz = app.config["SETTINGS"].tz
    with app.app_context():
        facts = prepare(url, args.rebuild, args.rollup_days, tz)
        db.session.remove()
        engine = db.engine
    built_now = datetime.fromisoformat(facts["now"])
    clock.now = lambda: built_now  # the pages see the instant the data was built at
    pages = {"/": "/", "/?lang=de": "/?lang=de",
             "/components/<slug>": f"/components/{facts['busiest_component']}", "/history": "/history"}
    if args.no_history:
        del pages["/history"]
    results, statements = {}, {}
    engine.dispose()  # no pooled connection crosses into the children
    for label, path in pages.items():
        measured = _in_child(lambda path=path: _measure(app, engine, path, args.requests, args.warmup))
        if "crashed" in measured:
            print(f"{label}: the process measuring it {measured['crashed']}; measuring it again with the "
                  "garbage collector off", file=sys.stderr)
            crashed = measured["crashed"]
            measured = _in_child(lambda path=path: _measure(app, engine, path, args.requests, args.warmup, gc_off=True))
            measured["crashed_with_gc"] = crashed
        statements[label] = measured.pop("statements", [])
        results[label] = {"path": path, **measured}
    with app.app_context():
        plans = {label: explain(statements[label]) for label in ("/", "/components/<slug>")
                 if not args.no_plans and statements[label]}
        db.session.remove()
        counts = {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in ("components", "incidents", "incident_updates", "affected_components", "checks",
                                "check_results", "rollups")}
        db.session.remove()
        dialect = db.engine.dialect.name
        server_version = ".".join(map(str, db.engine.dialect.server_version_info or ()))
        db.engine.dispose()
    return {"database": dialect, "server_version": server_version, "requests": args.requests, "warmup": args.warmup,
            "python": sys.version.split()[0], "cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2),
            "site": facts, "rows": counts, "pages": results, "plans": plans, "target_median_ms": TARGET_MEDIAN_MS,
            "meets_target": all(results[p].get("median_ms", TARGET_MEDIAN_MS) < TARGET_MEDIAN_MS
                                for p in ("/", "/components/<slug>"))}


def print_report(report: dict) -> None:
    site = report["site"]
    print(f"{report['database']} {report['server_version']}, Python {report['python']}; {report['requests']} "
          f"requests per page after {report['warmup']} warm-up; data built at "
          f"{site['now']} in {site['build_seconds']} s")
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in report["rows"].items()))
    print("rendered (page cache stepped around, bars' past days kept); changed (the same after a change that "
          "touches no bar); cold (nothing kept); as a cache miss (nothing kept: rendered, gzipped, stored); ms")
    print(f"{'page':<22}{'median':>8}{'p90':>8}{'p99':>8}{'max':>8}{'cpu':>8}{'queries':>9}{'changed':>9}"
          f"{'cold median':>13}{'cold cpu':>10}{'miss median':>13}{'miss p99':>10}{'KB':>6}{'gzip KB':>9}")
    for label, row in report["pages"].items():
        if "crashed" in row:
            print(f"{label:<22}the process measuring it {row['crashed']}")
            continue
        if "crashed_with_gc" in row:
            label += " (gc off)"
        queries = f"{row['queries']}/{row['cold_queries']}"
        print(f"{label:<22}{row['median_ms']:>8.2f}{row['p90_ms']:>8.2f}{row['p99_ms']:>8.2f}{row['max_ms']:>8.2f}"
              f"{row['cpu_median_ms']:>8.2f}{queries:>9}{row['changed']['median_ms']:>9.2f}{row['cold']['median_ms']:>13.2f}"
              f"{row['cold']['cpu_median_ms']:>10.2f}{row['miss']['median_ms']:>13.2f}"
              f"{row['miss']['p99_ms']:>10.2f}{row['bytes'] / 1024:>6.0f}{row['gzip_bytes'] / 1024:>9.1f}")
    for label, row in report["pages"].items():
        if "crashed_with_gc" in row:
            print(f"{label}: with the garbage collector on, the process measuring it {row['crashed_with_gc']}; "
                  "the figures above are with it off")
    verdict = "meet" if report["meets_target"] else "MISS"
    print(f"/ and /components/<slug> {verdict} the target of a median under {report['target_median_ms']:.0f} ms "
          f"(load average {report['load_average']} on {report['cpus']} CPUs while measuring); "
          f"/ sends {report['pages']['/'].get('gzip_bytes', 0) / 1024:.1f} KB compressed (target {TARGET_GZIP_KB:.0f} KB)")
    for label, plans in report["plans"].items():
        print(f"\n== query plans of {label} ==")
        for number, (statement, plan) in enumerate(plans, 1):
            print(f"\n-- {number}. {statement[:600]}{' ...' if len(statement) > 600 else ''}")
            print(plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help=f"default: SQLite in {DEFAULT_SQLITE.relative_to(ROOT)}")
    parser.add_argument("--rebuild", action="store_true", help="drop everything in the database and build again")
    parser.add_argument("--rollup-days", type=int, default=DEFAULT_ROLLUP_DAYS,
                        help=f"days of rollups to build (default {DEFAULT_ROLLUP_DAYS})")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests first (default 10)")
    parser.add_argument("--no-plans", action="store_true", help="skip the query plans")
    parser.add_argument("--no-history", action="store_true",
                        help="leave /history out (slow, and it has crashed the interpreter on this data)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--check", action="store_true", help="exit with status 1 when a page misses the target")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 1 if args.check and not report["meets_target"] else 0


if __name__ == "__main__":
    sys.exit(main())

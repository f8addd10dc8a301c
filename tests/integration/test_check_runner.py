"""The runner against real local servers: each check once per interval, never overlapping, results kept
while the database is away; the lease that lets exactly one scheduler lead. Schedules use a fixed clock;
only the probes themselves take real (short) time, and the test waits for them by polling, not sleeping."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from statuspage import clock as app_clock, create_app
from statuspage.extensions import db
from statuspage.models import Check, CheckResult
from statuspage.monitoring import leader
from statuspage.monitoring.probes import ProbeLoop
from statuspage.monitoring.runner import CheckRunner
from statuspage.monitoring import checks
from tests.builders import SYSTEM, make_component
from tests.servers import wait_until


@pytest.fixture
def probes():
    with ProbeLoop(concurrency=20) as loop:
        yield loop


@pytest.fixture
def world(app, clock):
    with app.app_context():
        make_component("api", "API")
        yield
        db.session.remove()


def add_http_check(key, url, **fields):
    return checks.create_check({"key": key, "name": key, "component": "api", "kind": "http", "target": url,
                                "interval": "30s", "timeout": "2s", **fields}, by=SYSTEM, now=app_clock.now())


def settle(runner, clock):
    """Let every started probe finish, then store the outcomes."""
    wait_until(lambda: not runner.in_flight)
    return runner.flush(now=clock.now())


def test_each_check_runs_once_per_interval_and_first_runs_are_spread(app, clock, world, probes, http_target):
    for n in range(3):
        add_http_check(f"page-{n}", http_target.url(f"/ok?check={n}"))
    runner = CheckRunner(probes=probes, settings=app.config["SETTINGS"], holder="test", rng=random.Random(7))
    started = []
    for _second in range(0, 91, 1):  # ninety seconds of ticks, one a second
        started.append(runner.tick(now=clock.now()))
        settle(runner, clock)
        clock.advance(seconds=1)
    assert sum(started) == 9 and max(started) == 1  # three runs each, never all at once
    paths = sorted(request.path for request in http_target.requests)
    assert paths == sorted([f"/ok?check={n}" for n in range(3)] * 3)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CheckResult)) == 9
    assert all(c.last_ok and c.consecutive_successes == 3 for c in db.session.scalars(select(Check)))


def test_a_check_still_running_is_not_started_again(app, clock, world, probes, http_target):
    add_http_check("hangs", http_target.url("/hang"), interval="1s", timeout="1s")
    runner = CheckRunner(probes=probes, settings=app.config["SETTINGS"], holder="test", rng=random.Random(1))
    runner.tick(now=clock.now())
    clock.advance(seconds=1)
    assert runner.tick(now=clock.now()) == 1
    for _ in range(3):  # due again while the first run hangs: skipped
        clock.advance(seconds=1)
        assert runner.tick(now=clock.now()) == 0
    assert http_target.in_flight <= 1
    settle(runner, clock)
    db.session.expire_all()
    [check] = db.session.scalars(select(Check))
    assert check.last_ok is False and check.last_error == "timed out after 1 s"


def test_outcomes_wait_while_the_database_is_away_and_are_stored_when_it_is_back(app, clock, world, probes,
                                                                                 http_target, tmp_path):
    add_http_check("page", http_target.url("/ok"), interval="1s", timeout="1s")
    runner = CheckRunner(probes=probes, settings=app.config["SETTINGS"], holder="test", rng=random.Random(1))
    runner.tick(now=clock.now())
    clock.advance(seconds=1)
    runner.tick(now=clock.now())
    wait_until(lambda: not runner.in_flight)
    away = create_app({"database_url": "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2",
                       "instance_dir": tmp_path, "secret_key": "x"})
    with away.app_context():  # the same runner, its database unreachable
        assert runner.flush(now=clock.now()) == 0
    assert runner.flush(now=clock.now()) == 1
    assert db.session.scalar(select(func.count()).select_from(CheckResult)) == 1


def test_only_the_lease_holder_runs_checks_and_another_takes_over_when_it_lapses(app, clock, world, probes,
                                                                                 http_target):
    add_http_check("page", http_target.url("/ok"), interval="1s", timeout="1s")
    settings = app.config["SETTINGS"]
    first = CheckRunner(probes=probes, settings=settings, holder="first", rng=random.Random(1))
    second = CheckRunner(probes=probes, settings=settings, holder="second", rng=random.Random(1))
    first.tick(now=clock.now())
    second.tick(now=clock.now())
    assert first.leading and not second.leading
    clock.advance(seconds=1)
    assert first.tick(now=clock.now()) == 1 and second.tick(now=clock.now()) == 0
    settle(first, clock)
    clock.advance(seconds=settings.scheduler_lease_seconds + 1)  # the first stops renewing: it died
    second.tick(now=clock.now())
    assert second.leading and leader.current_holder(now=clock.now()) == "second"
    assert first.tick(now=clock.now()) == 0 and not first.leading


def test_the_lease_is_handed_over_at_a_clean_stop(app, clock, world):
    ttl = timedelta(seconds=15)
    assert leader.hold("a", now=clock.now(), ttl=ttl)
    assert not leader.hold("b", now=clock.now(), ttl=ttl)
    assert leader.hold("a", now=clock.advance(seconds=10), ttl=ttl)  # renewed: still a's at +20
    assert not leader.hold("b", now=clock.advance(seconds=10), ttl=ttl)
    leader.release("a", now=clock.now())
    assert leader.hold("b", now=clock.advance(seconds=1), ttl=ttl)
    assert leader.current_holder(now=clock.now()) == "b"


def test_the_demo_checks_run_once_from_the_command_line(app, runner, clock, world, tmp_path, http_target):
    from statuspage.cli import main

    directory = tmp_path / "checks"
    directory.mkdir()
    (directory / "local.toml").write_text(
        f'[[check]]\nkey = "up"\nname = "Up"\ncomponent = "api"\nkind = "http"\ntarget = "{http_target.url("/ok")}"\n'
        f'[[check]]\nkey = "down"\nname = "Down"\ncomponent = "api"\nkind = "http"\n'
        f'target = "{http_target.url("/status/503")}"\nfailures_to_open = 1\n'
        f'[[check]]\nkey = "port"\nname = "Port"\ncomponent = "api"\nkind = "tcp"\ntarget = "{http_target.address}"\n')
    assert runner.invoke(main, ["checks", "sync", "--dir", str(directory)]).exit_code == 0
    result = runner.invoke(main, ["checks", "run-once"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.splitlines())
    assert lines["up"].startswith("ok") and lines["port"].startswith("ok")
    assert lines["down"] == "FAIL  status 503, expected 2xx or 3xx"
    from statuspage.services.components import get_component
    db.session.expire_all()
    assert get_component("api").status.value == "major_outage"


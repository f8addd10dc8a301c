"""The demo looks alive from its first second: its checks come with 90 days of runs (rollups for the bars,
figures and charts, raw results for the console), every bar is full, and loading it stays quick."""
import dataclasses
import re
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from statuspage.cli import main
from statuspage.extensions import db
from statuspage.models import Check, CheckResult, Component, Rollup
from tests.builders import START

CHECKS_DIR = Path(__file__).resolve().parents[2] / "checks"


def test_the_demo_has_ninety_days_of_check_history_and_full_bars(app, runner, client, clock, monkeypatch):
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, checks_dir=CHECKS_DIR))
    started = time.perf_counter()
    result = runner.invoke(main, ["demo"])
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert seconds < 60, f"statuspage demo took {seconds:.1f} s"
    with app.app_context():
        watched = db.session.scalars(select(Check)).all()
        assert len(watched) == 7 and all(check.last_run_at is not None for check in watched)
        days = dict(db.session.execute(
            select(Rollup.scope_id, func.count()).where(Rollup.scope == "component", Rollup.period == "day")
            .group_by(Rollup.scope_id)).all())
        assert set(days) == {check.component_id for check in watched} and set(days.values()) == {90}
        oldest = db.session.scalar(select(func.min(CheckResult.at)))
        assert oldest is not None and START - oldest <= timedelta(hours=6, minutes=1)
        slugs = db.session.scalars(select(Component.slug)).all()
        heartbeat = next(check for check in watched if check.kind.value == "heartbeat")
        assert heartbeat.last_beat_at is not None and heartbeat.last_latency_ms is None
        db.session.remove()
    home = client.get("/").get_data(as_text=True)
    assert home.count("uptime over the last 90 days") == 12  # every bar measured over its whole window
    assert "no data" not in home and "no uptime data yet" not in home
    for slug in slugs:
        component = client.get(f"/components/{slug}").get_data(as_text=True)
        assert re.search(r"<dt>Last 90 days</dt>\s*<dd>\d", component), slug
    assert 'class="chart-plot"' in client.get("/components/api").get_data(as_text=True)
    assert "No health check watches this component" in client.get("/components/email").get_data(as_text=True)

"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager, installed by `make test`) drives the page.

It runs on loopback with a webhook_config pointed at the app, itself served on loopback by a real HTTP server;
alerts are pushed to Alertmanager's own API (POST /api/v2/alerts) as Prometheus pushes them, and the test
waits, with a deadline, until what Alertmanager delivered shows (polling the state, never asserting a timing).
"""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import Incident, ReceivedAlert
from statuspage.services import accounts
from statuspage.services.components import get_component
from tests.builders import START, SYSTEM, make_component, make_incident
from tests.servers import free_port, live_server

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
DEADLINE_S = 60  # generous: two test passes share two cores

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ALERTMANAGER is None, reason="Prometheus Alertmanager is not installed: `make test` installs "
                       "Debian's prometheus-alertmanager (or run 'sudo apt-get install prometheus-alertmanager')."),
]

CONFIG = """\
route:
  receiver: statuspage
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: {repeat}
receivers:
  - name: statuspage
    webhook_configs:
      - url: {base}/api/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


@pytest.fixture
def app_server(app) -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, served by werkzeug in a thread: Alertmanager's webhook target."""
    with live_server(app, name="alerts-app") as base:
        yield base


def start_alertmanager(tmp_path: Path, base: str, token: str, *, repeat: str = "1h"):
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(base=base, token=token, repeat=repeat))
    port = free_port()
    with open(tmp_path / "alertmanager.log", "wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=debug"],
            stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _ready(url), "Alertmanager to start", tmp_path, process)
    return process, url


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_until(condition, what: str, tmp_path: Path, process=None):
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"Alertmanager exited:\n{(tmp_path / 'alertmanager.log').read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"waited {DEADLINE_S} s for {what}:\n{(tmp_path / 'alertmanager.log').read_text()[-3000:]}")
        time.sleep(0.1)  # polling the state until the deadline, not a timing assumption


@pytest.fixture
def alertmanager(app, app_server, tmp_path):
    """Start Alertmanager with a token of the alerts role; yields a function pushing alerts to its API."""
    with app.app_context():
        make_component("api", "API")
        make_component("search", "Search")
        _record, token = accounts.create_token(role="alerts", label="alertmanager", by=SYSTEM, now=START)
    started = []

    def start(repeat="1h"):
        process, url = start_alertmanager(tmp_path, app_server, token, repeat=repeat)
        started.append(process)

        def push(*alerts):
            request = urllib.request.Request(f"{url}/api/v2/alerts", data=json.dumps(list(alerts)).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200
        return push

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def firing(name, component, status=None, started=None):
    labels = {"alertname": name, "statuspage_component": component, "severity": "page",
              **({"statuspage_status": status} if status else {})}
    return {"labels": labels, "annotations": {"summary": f"{name} on {component}"},
            "startsAt": (started or datetime.now(timezone.utc)).isoformat(),
            "generatorURL": "http://prometheus.invalid/graph"}


def resolved(alert):
    return {**alert, "endsAt": datetime.now(timezone.utc).isoformat()}


def state(app, slug):
    with app.app_context():
        component = get_component(slug).status.value
        open_ = [(i.id, i.status, len(i.updates)) for i in db.session.scalars(select(Incident).order_by(Incident.id))
                 if not i.is_closed]
        db.session.remove()
    return component, open_


def test_alertmanager_opens_an_incident_resends_change_nothing_and_resolution_resolves_it(app, alertmanager,
                                                                                           tmp_path):
    push = alertmanager(repeat="2s")  # resend the firing group every few seconds, as a restart would too
    api_down = firing("ApiDown", "api", "major_outage", started=datetime.now(timezone.utc) - timedelta(minutes=1))
    push(api_down)
    wait_until(lambda: state(app, "api")[0] == "major_outage", "the alert to reach the page", tmp_path)
    [(incident_id, status, updates)] = state(app, "api")[1]
    assert (status, updates) == ("investigating", 1)

    def resent():
        with app.app_context():
            row = db.session.scalar(select(ReceivedAlert))
            seen = row.updated_at > row.received_at
            db.session.remove()
        return seen
    wait_until(resent, "Alertmanager to send the group again", tmp_path)
    assert state(app, "api")[1] == [(incident_id, "investigating", 1)]  # the resend changed nothing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReceivedAlert)) == 1
        db.session.remove()

    push(resolved(api_down))
    wait_until(lambda: state(app, "api")[0] == "operational", "the resolution to reach the page", tmp_path)
    assert state(app, "api")[1] == []
    with app.app_context():
        closed = db.session.get(Incident, incident_id)
        assert closed.status == "resolved" and closed.automatic
        db.session.remove()


def test_alerts_of_one_group_are_read_one_by_one_and_a_persons_incident_wins(app, alertmanager, tmp_path):
    with app.app_context():
        person = make_incident("Search is slow", components_={"search": "degraded_performance"}, impact="minor")
        db.session.remove()
    push = alertmanager()
    # One group (alertname HighErrors) with two alerts: api and search.
    on_api, on_search = firing("HighErrors", "api"), firing("HighErrors", "search", "major_outage")
    push(on_api, on_search)
    wait_until(lambda: state(app, "api")[0] == "partial_outage", "the group to reach the page", tmp_path)

    def attached():
        with app.app_context():
            found = db.session.scalar(select(ReceivedAlert.incident_id).where(
                ReceivedAlert.component_slug == "search"))
            db.session.remove()
        return found == person.id
    wait_until(attached, "the search alert to join the person's incident", tmp_path)
    assert state(app, "search")[0] == "degraded_performance"  # the person's status stays

    push(resolved(on_api))  # the group still fires (search does); api's alert alone has resolved
    wait_until(lambda: state(app, "api")[0] == "operational", "api's resolution to reach the page", tmp_path)
    component, open_ = state(app, "search")
    assert component == "degraded_performance" and [i[0] for i in open_] == [person.id]

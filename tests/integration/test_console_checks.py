"""The console's check pages: states with the page's symbols and colours, heartbeats shown as heartbeats
(new until their first ping, period and grace rather than the judging interval, never "None ms"), results
to the second, a response-time chart, and "Run now", "Pause" and "Resume" as audited POSTs with CSRF."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Check, CheckResult
from statuspage.monitoring import results
from statuspage.monitoring.probes import ProbeResult
from statuspage.monitoring import checks
from tests.builders import START, SYSTEM, csrf_token, make_component, make_user, sign_in


@pytest.fixture
def site(app, http_target):
    """An HTTP check on a target that answers, and a heartbeat nobody has pinged; their ids."""
    with app.app_context():
        make_component("api", "API")
        make_component("jobs", "Jobs")
        http = checks.create_check({"key": "api-ok", "name": "API answers", "component": "api", "kind": "http",
                                    "target": http_target.url("/ok"), "interval": "30s"}, by=SYSTEM, now=START)
        beat = checks.create_check({"key": "nightly", "name": "Nightly export", "component": "jobs",
                                    "kind": "heartbeat", "period": "1d", "grace": "2h"}, by=SYSTEM, now=START)
        make_user("ana@example.com", "responder")
        make_user("vic@example.com", "viewer")
        ids = http.id, beat.id
        db.session.remove()
    return ids


def record(app, check_id: int, ok: bool, at, latency_ms: int | None = 42) -> None:
    result = ProbeResult(ok=ok, latency_ms=latency_ms if ok else None, error=None if ok else "refused",
                         status_code=200 if ok else None, started_at=at)
    with app.app_context():
        results.record([results.Outcome(check_id, at, result)], now=at, tz=app.config["SETTINGS"].tz)
        db.session.remove()


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def post(client, path: str, page: str):
    return client.post(path, data={"csrf_token": csrf_token(client.get(page))})


def test_a_heartbeat_never_pinged_is_new_with_its_period_and_grace_not_up(app, client, clock, site):
    _http, beat = site
    record(app, beat, True, START + timedelta(minutes=1), latency_ms=None)  # judged fine: within period + grace
    sign_in(client)
    listing = client.get("/admin/checks").get_data(as_text=True)
    row = listing[listing.index("Nightly export"):]
    row = row[:row.index("</tr>")]
    assert "New" in row and "waiting for the first ping" in row and "never pinged" in row
    assert "Up" not in row and "None" not in row
    detail = client.get(f"/admin/checks/{beat}").get_data(as_text=True)
    facts = detail[detail.index('<dl class="facts">'):detail.index("</dl>")]
    assert "1 day" in facts and "2 hours" in facts and "Interval" not in facts
    assert "Nov 21, 2026, 12:12" in facts  # the next ping is due by creation + period + grace
    assert "None ms" not in detail and "Response time" not in detail  # a heartbeat has none: no chart either


@pytest.mark.parametrize("email", ["ana@example.com", "vic@example.com"], ids=["responder", "viewer"])
def test_a_heartbeats_ping_url_is_shown_to_admins_only(app, client, site, email):
    _http, beat = site
    with app.app_context():
        ping_path = db.session.get(Check, beat).ping_path
        make_user("ada@example.com", "admin")
    sign_in(client, email)
    detail = client.get(f"/admin/checks/{beat}").get_data(as_text=True)
    assert ping_path not in detail and "Shown to admins only" in detail
    admin = app.test_client()
    sign_in(admin, "ada@example.com")
    assert f"https://status.example.com{ping_path}" in admin.get(f"/admin/checks/{beat}").get_data(as_text=True)


def test_states_and_results_use_the_pages_symbols_and_colours_and_show_seconds(app, client, clock, site):
    http, _beat = site
    record(app, http, True, START + timedelta(seconds=7))
    record(app, http, False, START + timedelta(seconds=37))
    sign_in(client)
    page = client.get(f"/admin/checks/{http}").get_data(as_text=True)
    state = page[page.index('<p class="check-state">'):]
    assert state.startswith('<p class="check-state"><span class="status status-degraded_performance">'
                            '<span class="symbol" aria-hidden="true">!</span> Failing</span>')
    table = page[page.index("Recent results"):]
    assert re.search(r'<time datetime="2026-11-20T09:12:37\+00:00">Nov 20, 2026, 10:12:37\u202fAM CET</time></td>'
                     r'<td><span class="status status-major_outage"><span class="symbol" aria-hidden="true">✕</span>'
                     r" Failed</span>", table)
    assert ('<span class="status status-operational"><span class="symbol" aria-hidden="true">✓</span> Up</span>'
            in table)
    assert '<figure class="chart">' in page and "Last 24 hours" in page


def test_run_now_probes_stores_the_result_and_is_audited(app, client, clock, site, http_target):
    http, _beat = site
    sign_in(client)
    response = post(client, f"/admin/checks/{http}/run", f"/admin/checks/{http}")
    assert response.status_code == 302
    assert "Check run: it passed." in client.get(f"/admin/checks/{http}").get_data(as_text=True)
    assert any(request.path == "/ok" for request in http_target.requests)
    with app.app_context():
        assert db.session.scalar(select(CheckResult.ok).where(CheckResult.check_id == http)) is True
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "check.run")).one()
        assert entry.actor == "ana@example.com" and entry.summary == "API answers: ok"


def test_pause_and_resume_are_audited_and_the_page_offers_the_other(app, client, clock, site):
    http, _beat = site
    sign_in(client)
    post(client, f"/admin/checks/{http}/pause", f"/admin/checks/{http}")
    page = client.get(f"/admin/checks/{http}").get_data(as_text=True)
    assert "Paused" in page and f'action="/admin/checks/{http}/resume"' in page
    assert f'action="/admin/checks/{http}/pause"' not in page
    with app.app_context():
        assert db.session.get(Check, http).enabled is False
    post(client, f"/admin/checks/{http}/resume", f"/admin/checks/{http}")
    with app.app_context():
        assert db.session.get(Check, http).enabled is True
    assert audit_actions(app)[-2:] == ["check.pause", "check.resume"]


@pytest.mark.parametrize("action", ["run", "pause", "resume"])
def test_check_actions_need_the_csrf_token_and_a_responder(app, client, clock, site, action):
    http, _beat = site
    sign_in(client)
    assert client.post(f"/admin/checks/{http}/{action}").status_code == 400  # no CSRF token
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get("/admin/"))})
    sign_in(client, "vic@example.com")
    assert post(client, f"/admin/checks/{http}/{action}", f"/admin/checks/{http}").status_code == 403
    assert not [a for a in audit_actions(app) if a.startswith("check.") and a != "check.create"]
    assert "Run now" not in client.get(f"/admin/checks/{http}").get_data(as_text=True)


def test_a_file_managed_check_may_be_paused_until_the_next_sync(app, client, clock, site, tmp_path):
    (tmp_path / "web.toml").write_text('[[check]]\nkey = "home"\nname = "Home"\ncomponent = "api"\n'
                                       'kind = "tcp"\ntarget = "127.0.0.1:9"\n')
    with app.app_context():
        checks.sync_files(tmp_path, by=SYSTEM, now=START)
        home = db.session.scalar(select(Check.id).where(Check.key == "home"))
        db.session.remove()
    sign_in(client)
    post(client, f"/admin/checks/{home}/pause", f"/admin/checks/{home}")
    page = client.get(f"/admin/checks/{home}").get_data(as_text=True)
    assert "Paused" in page and "A pause lasts until the next" in page
    with app.app_context():
        checks.sync_files(tmp_path, by=SYSTEM, now=START)
        assert db.session.get(Check, home).enabled is True


def test_the_new_check_form_is_refused_in_the_words_of_a_check_file(app, client, clock, site):
    """The console's form makes a definition that definitions.py:CheckInSchema validates, as a file's."""
    with app.app_context():
        make_user("adm@example.com", "admin")
        db.session.remove()
    sign_in(client, "adm@example.com")
    form = {"csrf_token": csrf_token(client.get("/admin/checks/new")), "key": "search", "name": "Search",
            "component": "api", "kind": "http", "target": "https://example.com/", "interval": "often",
            "failure_status": "major_outage", "failures_to_open": "3", "successes_to_close": "2", "enabled": "y"}
    refused = client.post("/admin/checks/new", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "interval: must be a duration such as" in page
    assert client.post("/admin/checks/new", data={**form, "interval": "1m"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Check.interval_seconds).where(Check.key == "search")) == 60

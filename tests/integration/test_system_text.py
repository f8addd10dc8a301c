"""Text the system writes itself follows the reader's language: incidents opened by health checks and by the
ticket intake (pages, feeds, subscribers' mail, the console), check errors, match reasons (console and API),
and the engineers' alert mail (in each engineer's language). The APIs keep the stored words."""
from __future__ import annotations

import re
from datetime import timedelta

import fastfeedparser
import feedparser
import pytest
from babel.numbers import format_decimal
from markupsafe import escape
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import Check, Incident, Ticket, User
from statuspage.monitoring.probes import HttpExpect, ProbeSpec, run_probes
from statuspage.services import accounts, incidents
from statuspage.system_text import check_errors
from tests.builders import (
    START, SYSTEM, PlaceClient, add_check, body_of, csrf_token, deliver, make_component, make_incident, make_subscriber, make_user,
    open_incidents, run, sign_in,
)

NAMES = {"en": "API is partly unavailable", "de": "API ist teilweise nicht erreichbar",
         "fr": "API est partiellement indisponible"}
FIRST = {"en": "has failed 3 times in a row (status 503, expected 2xx or 3xx)",
         "de": "ist 3 Mal in Folge fehlgeschlagen (Status 503, erwartet 2xx oder 3xx)",
         "fr": "a échoué 3 fois de suite (statut 503, attendu 2xx ou 3xx)"}
BACK = {"en": "API is working again", "de": "API funktioniert wieder", "fr": "API fonctionne de nouveau"}


@pytest.fixture
def world(app, clock):
    """Two components. Requests get an app context of their own (an outer one would keep `g`, and with it the
    language of the first request, across requests): the tests push one only around their own calls."""
    with app.app_context():
        make_component("api", "API")
        make_component("search", "Search")
        db.session.remove()


def outage(app, clock, *, recover: bool = False) -> int:
    with app.app_context():
        check = add_check(failures_to_open=3, successes_to_close=2, failure_status="partial_outage")
        for _ in range(3):
            run(app, check, False, clock, error="status 503, expected 2xx or 3xx")
        [incident] = open_incidents()
        if recover:
            recovery(app, clock)
        db.session.remove()
        return incident.id


def recovery(app, clock) -> None:
    with app.app_context():
        check = db.session.scalars(select(Check)).one()
        run(app, check, True, clock)
        run(app, check, True, clock)
        db.session.remove()


def text(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def token(app, role: str) -> dict:
    with app.app_context():
        return {"Authorization": "Bearer " + accounts.create_token(role=role, label=role, by=SYSTEM, now=START)[1]}


def test_an_outage_a_check_opens_and_resolves_reads_in_each_readers_language(app, client, clock, world, inbox):
    with app.app_context():
        make_subscriber("ana@example.com", language="de", now=clock.now())
        make_subscriber("bo@example.com", language="fr", now=clock.now())
        make_subscriber("cy@example.com", language="en", now=clock.now())
    incident_id = outage(app, clock)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert incident.name == NAMES["en"] and incident.name_translations == NAMES  # the default's, and each
    for lang in ("en", "de", "fr"):
        page = text(client, f"/?lang={lang}")
        assert NAMES[lang] in page and FIRST[lang] in page
        page = text(client, f"/incidents/{incident_id}?lang={lang}")
        assert f"<h1>{NAMES[lang]}</h1>" in page and FIRST[lang] in page
        feed = feedparser.parse(text(client, f"/feed.atom?lang={lang}"))
        assert feed.entries[0].title.startswith(NAMES[lang]) and FIRST[lang] in feed.entries[0].content[0].value
    client.delete_cookie("lang")
    assert NAMES["fr"] in text(client, "/", **{"Accept-Language": "fr"})
    summary = client.get("/api/v2/summary.json").get_json()  # the API: the stored words
    assert summary["incidents"][0]["name"] == NAMES["en"]
    assert FIRST["en"] in summary["incidents"][0]["incident_updates"][0]["body"]
    assert deliver(app, clock).sent == 3
    mail = {message["To"]: message for message in inbox.messages}
    for address, lang in (("ana@example.com", "de"), ("bo@example.com", "fr"), ("cy@example.com", "en")):
        assert NAMES[lang] in mail[address]["Subject"] and FIRST[lang] in body_of(mail[address])
        assert NAMES[lang] in mail[address].get_body(preferencelist=("html",)).get_content()
    recovery(app, clock)
    for lang in ("en", "de", "fr"):
        assert BACK[lang] in text(client, f"/incidents/{incident_id}?lang={lang}")
        page = text(client, f"/?lang={lang}")  # resolved: in the last days, and in the API's bar as its day's tip
        assert page.count(NAMES[lang]) == 2 and (lang == "en" or NAMES["en"] not in page)
        assert f"<br>{NAMES[lang]}</span>" in text(client, f"/components/api?lang={lang}")
    inbox.messages.clear()
    assert deliver(app, clock).sent == 3
    mail = {message["To"]: message for message in inbox.messages}
    assert BACK["de"] in body_of(mail["ana@example.com"]) and BACK["en"] in body_of(mail["cy@example.com"])


@pytest.mark.parametrize("place", ["path", "host"], indirect=True)
def test_a_second_page_s_feed_names_an_automatic_incident_in_each_readers_language(app, clock, world, place):
    """The feed readers read a check's incident on the page of its component, by /p/<slug> and by host, in
    the language they ask for, linked under that page's URL."""
    with app.app_context():
        place.show("api")
        check = add_check(failures_to_open=3, successes_to_close=2, failure_status="partial_outage")
        for _ in range(3):
            run(app, check, False, clock, error="status 503, expected 2xx or 3xx")
        incident_id = next(i.id for i in open_incidents() if i.name == NAMES["en"])
        db.session.remove()
    client = PlaceClient(app.test_client(), place)
    for lang in ("en", "de", "fr"):
        raw = text(client, f"/feed.atom?lang={lang}")
        readers = feedparser.parse(raw), fastfeedparser.parse(raw)
        for entries, content in ((readers[0].entries, readers[0].entries[0].content[0].value),
                                 (readers[1].entries, readers[1].entries[0].content[0]["value"])):
            assert len(entries) == 1 and entries[0].title.startswith(NAMES[lang]) and FIRST[lang] in content
            assert entries[0].link.startswith(f"{place.url}/incidents/{incident_id}#update-")


def test_with_german_as_the_default_language_the_stored_words_are_german(app, client, clock, world, monkeypatch):
    import dataclasses

    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], default_language="de"))
    incident_id = outage(app, clock)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert incident.name == NAMES["de"] and FIRST["de"] in incident.latest_update.body
    assert NAMES["en"] in text(client, "/?lang=en")


def test_a_person_who_renames_an_automatic_incident_names_it_in_every_language(app, client, clock, world):
    incident_id = outage(app, clock)
    auth = token(app, "responder")
    same = client.patch(f"/api/v1/incidents/{incident_id}", json={"name": NAMES["en"], "impact": "minor"},
                        headers=auth)
    assert same.status_code == 200
    assert NAMES["de"] in text(client, f"/incidents/{incident_id}?lang=de")  # an unchanged name stays translated
    renamed = client.patch(f"/api/v1/incidents/{incident_id}", json={"name": "Payments API: elevated errors"},
                           headers=auth)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Payments API: elevated errors"
    for lang in ("en", "de", "fr"):
        page = text(client, f"/incidents/{incident_id}?lang={lang}")
        assert "<h1>Payments API: elevated errors</h1>" in page and NAMES[lang] not in page
        assert FIRST[lang] in page  # the check's update keeps its words
    with app.app_context():
        assert db.session.get(Incident, incident_id).name_translations is None


def test_the_console_shows_system_text_in_the_engineers_language(app, client, clock, world):
    incident_id = outage(app, clock)
    with app.app_context():
        make_user("oncall@example.com", role="admin")
        check_id = db.session.scalars(select(Check.id)).one()
    sign_in(client, "oncall@example.com")
    page = text(client, f"/admin/incidents/{incident_id}?lang=de")
    assert f"<h1>{NAMES['de']}</h1>" in page and FIRST["de"] in page
    assert NAMES["fr"] in text(client, "/admin/?lang=fr") and NAMES["de"] in text(client, "/admin/incidents?lang=de")
    assert "Status 503, erwartet 2xx oder 3xx" in text(client, "/admin/checks?lang=de")
    assert "Status 503, erwartet 2xx oder 3xx" in text(client, "/admin/?lang=de")  # the overview's failing checks
    assert "statut 503, attendu 2xx ou 3xx" in text(client, f"/admin/checks/{check_id}?lang=fr")
    assert "status 503, expected 2xx or 3xx" in text(client, f"/admin/checks/{check_id}?lang=en")
    api = client.get(f"/api/v1/checks/{check_id}", headers={**token(app, "viewer"), "Accept-Language": "de"})
    assert api.get_json()["state"]["last_error"] == "status 503, expected 2xx or 3xx"  # the API keeps the line


def tickets_about_search(client, intake_headers, clock, count=5):
    for n in range(count):
        body = {"subject": f"Search broken ({n})", "body": "The search returns an error for every query.",
                "requester": {"email": f"u{n}@customer.example"}, "component": "search"}
        assert client.post("/api/v1/tickets", json=body, headers=intake_headers).get_json()["status"] == "accepted"
        clock.advance(minutes=2)


def test_a_suspected_incident_and_its_alert_mail_speak_each_engineers_language(app, client, clock, world, inbox):
    with app.app_context():
        accounts.create_user("anke@example.com", "correct horse battery", role="responder", language="de",
                             by=SYSTEM, now=START)
        make_user("oncall@example.com", role="admin")  # no language of their own: the site's default
    tickets_about_search(client, token(app, "intake"), clock)
    with app.app_context():
        suspected = db.session.scalars(select(Incident)).one()
        assert suspected.name_translations["de"] == "Search: von Kunden gemeldete Probleme"
    assert deliver(app, clock).sent == 2
    alerts = {message["To"]: message for message in inbox.messages}
    german = alerts["anke@example.com"]
    assert german["Subject"] == "Vermutete Störung: Search: von Kunden gemeldete Probleme"
    assert german["Content-Language"] == "de"
    assert "5 Kunden haben in den letzten 15 Minuten Probleme mit Search gemeldet." in body_of(german)
    english = alerts["oncall@example.com"]
    assert english["Subject"] == "Suspected incident: Search: problems reported by customers"
    assert "5 customers reported problems with Search in the last 15 minutes." in body_of(english)
    sign_in(client, "oncall@example.com")
    assert "Search : problèmes signalés par des clients" in text(client, f"/admin/incidents/{suspected.id}?lang=fr")
    with app.app_context():
        incidents.publish_incident(suspected.id, by=SYSTEM, now=clock.now())
    page = text(client, f"/incidents/{suspected.id}?lang=de")
    assert "Search: von Kunden gemeldete Probleme" in page
    assert "5 Kunden haben in den letzten 15 Minuten" in page.split("<main")[1]  # the published update's words


def test_a_suspected_incident_merged_into_a_checks_says_so_in_each_language(app, client, clock, world):
    tickets_about_search(client, token(app, "intake"), clock)
    with app.app_context():
        check = add_check("search-http", component="search", failures_to_open=1)
        run(app, check, False, clock, error="connection refused")
        merged = db.session.scalars(select(Incident).where(Incident.is_published.is_(False))).one()
        opened = db.session.scalars(select(Incident).where(Incident.is_published.is_(True))).one()
        assert merged.is_closed and merged.latest_update.body.startswith(
            f"Merged into incident #{opened.id} (Search is unavailable), which check:search-http opened; "
            "5 linked tickets moved there.")
        assert merged.latest_update.body_translations["de"] == (
            f"In Störung #{opened.id} (Search ist nicht erreichbar) zusammengeführt, die check:search-http eröffnet "
            "hat; 5 verknüpfte Tickets wurden dorthin verschoben.")
        assert "(Verbindung abgelehnt)" in opened.latest_update.body_translations["de"]


def test_match_reasons_follow_the_reader_in_the_console_and_the_api(app, client, clock, world):
    with app.app_context():
        make_incident("Search unavailable", components_={"search": "major_outage"},
                      body="Search returns errors for every query.", now=clock.now() - timedelta(minutes=20))
    answer = client.post("/api/v1/tickets", json={
        "subject": "Search broken", "body": "The search returns an error for every query since this morning.",
        "requester": {"email": "u@customer.example"}, "component": "search"}, headers=token(app, "intake")).get_json()
    assert answer["status"] == "suppressed"
    with app.app_context():
        stored = db.session.scalars(select(Ticket)).one().match_reasons
    assert answer["match"]["reasons"] == stored and stored[0].startswith("closest: incident 1 'Search unavailable'")
    staff = token(app, "viewer")
    ticket_id = answer["id"]
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=staff).get_json()["match"]["reasons"] == stored
    german = client.get(f"/api/v1/tickets/{ticket_id}", headers={**staff, "Accept-Language": "de-DE, de;q=0.9"})
    reasons = german.get_json()["match"]["reasons"]
    assert len(reasons) == len(stored) and reasons[0].startswith("am nächsten: Störung 1 „Search unavailable“")
    assert all(reason != line for reason, line in zip(reasons, stored)), list(zip(stored, reasons))
    listed = client.get("/api/v1/tickets", headers={**staff, "Accept-Language": "fr"}).get_json()
    assert listed[0]["match"]["reasons"][0].startswith("le plus proche : incident 1 « Search unavailable »")
    with app.app_context():
        make_user("oncall@example.com", role="responder")
    sign_in(client, "oncall@example.com")
    page = text(client, f"/admin/tickets/{ticket_id}?lang=de")
    assert "am nächsten: Störung 1 „Search unavailable“" in page
    assert all(escape(reason) in page for reason in reasons[1:])


def two_tickets(app, client, clock) -> tuple[dict, dict]:
    """A production ticket suppressed by an incident on search (professional plan) and a development one
    (advanced plan), with a responder signed in to read them."""
    with app.app_context():
        make_incident("Search unavailable", components_={"search": "major_outage"},
                      body="Search returns errors for every query.", now=clock.now() - timedelta(minutes=20))
    intake = token(app, "intake")
    suppressed = client.post("/api/v1/tickets", json={
        "subject": "Search broken", "body": "The search returns an error for every query since this morning.",
        "requester": {"email": "u@customer.example"}, "component": "search", "plan": "professional",
        "environment": "production"}, headers=intake).get_json()
    assert suppressed["status"] == "suppressed"
    other = client.post("/api/v1/tickets", json={
        "subject": "Test system", "body": "A question about our test system.", "requester": {"email": "d@customer.example"},
        "plan": "advanced", "environment": "development"}, headers=intake).get_json()
    with app.app_context():
        make_user("oncall@example.com", role="responder")
    sign_in(client, "oncall@example.com")
    return suppressed, other


def test_the_ticket_page_names_the_matchers_gates_in_the_readers_language(app, client, clock, world):
    ticket, _ = two_tickets(app, client, clock)
    gates = {"de": ("Thema", "Problem", "Bereich"), "fr": ("sujet", "problème", "périmètre")}
    for language, (topic, problem, scope) in gates.items():
        page = text(client, f"/admin/tickets/{ticket['id']}?lang={language}")
        assert re.search(rf"\({topic} \d,\d\d, {problem} \d,\d\d, {scope} \d,\d\d\)", page), page
        assert re.search(rf"\({topic} [+-]\d+,\d\d\)", page), page
        assert not re.search(r"\((topic|problem|scope) [+-]?\d", page)
    page = text(client, f"/admin/tickets/{ticket['id']}?lang=en")
    assert re.search(r"\(topic \d\.\d\d, problem \d\.\d\d, scope \d\.\d\d\)", page)
    assert re.search(r"\(topic [+-]\d+\.\d\d\)", page)


def test_the_ticket_page_writes_the_score_as_the_reader_writes_numbers(app, client, clock, world):
    ticket, _ = two_tickets(app, client, clock)
    score = ticket["match"]["score"]
    for language in ("de", "fr"):
        page = text(client, f"/admin/tickets/{ticket['id']}?lang={language}")
        assert f"<dd>{format_decimal(score, format='0.00', locale=language)}<ul>" in page
        assert f"{score:.2f}" not in page
    assert f"<dd>{score:.2f}<ul>" in text(client, f"/admin/tickets/{ticket['id']}?lang=en")


def test_the_console_says_plans_and_environments_in_the_readers_language(app, client, clock, world):
    ticket, other = two_tickets(app, client, clock)
    words = {"de": ("Tarif", "Professionell", "Produktion", "Erweitert", "Entwicklung"),
             "fr": ("Offre", "Professionnelle", "Production", "Avancée", "Développement")}
    for language, (plan, professional, production, advanced, development) in words.items():
        page = text(client, f"/admin/tickets/{ticket['id']}?lang={language}")
        assert f"<dd>{professional}</dd>" in page and f"<dd>{production}</dd>" in page
        page = text(client, f"/admin/tickets/{other['id']}?lang={language}")
        assert f"<dd>{advanced}</dd>" in page and f"<dd>{development}</dd>" in page
        queue = text(client, f"/admin/tickets?lang={language}")
        assert f'<option value="professional">{professional}</option>' in queue  # the filter keeps the code
        assert f'<td data-label="{plan}">{professional}</td>' in queue
        assert ">professional<" not in queue and ">advanced<" not in queue
    page = text(client, f"/admin/tickets/{other['id']}?lang=en")
    assert "<dd>Advanced</dd>" in page and "<dd>Development</dd>" in page


def test_the_audit_log_says_where_a_synced_check_came_from_in_the_readers_language(app, client, clock, world,
                                                                                    tmp_path):
    from statuspage.monitoring import checks

    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "web.toml").write_text('[[check]]\nkey = "api-port"\nname = "API port"\n'
                                                  'component = "api"\nkind = "tcp"\ntarget = "api.example.com:443"\n')
    with app.app_context():
        checks.sync_files(tmp_path / "checks", by=SYSTEM, now=clock.now())
        make_user("oncall@example.com", role="admin")
        db.session.remove()
    sign_in(client, "oncall@example.com")
    said = {"en": "API port (from checks/web.toml)", "de": "API port (aus checks/web.toml)",
            "fr": "API port (depuis checks/web.toml)"}
    for language, summary in said.items():
        page = text(client, f"/admin/audit?lang={language}")
        assert f'<span class="audit-summary">{summary}</span>' in page, page
        assert language == "en" or "(from " not in page


def test_an_engineer_chooses_the_language_of_their_alert_mail(app, client, clock, world):
    with app.app_context():
        make_user("oncall@example.com", role="responder")
    sign_in(client, "oncall@example.com")
    page = client.get("/admin/account")
    assert "The site&#39;s default (English)" in page.get_data(as_text=True)
    saved = client.post("/admin/account/language", data={"csrf_token": csrf_token(page), "language": "fr"})
    assert saved.status_code == 302
    refused = client.post("/admin/account/language", data={"csrf_token": csrf_token(page), "language": "xx"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.email == "oncall@example.com")) == "fr"
    client.post("/admin/account/language", data={"csrf_token": csrf_token(page), "language": ""})
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.email == "oncall@example.com")) is None


def test_real_probe_failures_are_read_back_in_every_language(ctx, http_target, tcp_target):
    specs = [
        ProbeSpec("http", http_target.url("/status/503"), 5),
        ProbeSpec("http", http_target.url("/status/500"), 5, expect=HttpExpect(status=(200, 204))),
        ProbeSpec("http", http_target.url("/hang"), 0.5),
        ProbeSpec("http", http_target.url("/ok"), 5, expect=HttpExpect(body_contains="nope")),
        ProbeSpec("http", http_target.url("/ok"), 5, expect=HttpExpect(body_regex="^nope$")),
        ProbeSpec("http", http_target.url("/ok"), 5, expect=HttpExpect(json_path="$")),
        ProbeSpec("http", http_target.url("/json"), 5, expect=HttpExpect(json_path="$.missing")),
        ProbeSpec("http", http_target.url("/json?status=down"), 5, expect=HttpExpect(json_path="$.status",
                                                                                      json_equals="ok")),
        ProbeSpec("http", http_target.url("/slow?ms=300"), 5, expect=HttpExpect(max_latency_ms=100)),
        ProbeSpec("http", http_target.url("/loop"), 5),
        ProbeSpec("http", http_target.url("/reset"), 5),
        ProbeSpec("http", f"http://{tcp_target.closed_address()}/", 5),
        ProbeSpec("http", "http://nonexistent.invalid/", 5),
        ProbeSpec("http", "ftp://example.com/", 5),
        ProbeSpec("tcp", tcp_target.closed_address(), 5),
        ProbeSpec("tcp", "localhost", 5),
        ProbeSpec("dns", "localhost", 5, dns_answers=("10.0.0.1",)),
        ProbeSpec("tls", http_target.address, 5),
    ]
    errors = [result.error for result in run_probes(specs, now=START)]
    assert all(errors), errors
    for error in errors:
        for lang in ("de", "fr"):
            said = check_errors.describe(error, lang)
            assert said != error, (lang, error)
        assert check_errors.describe(error, "en") == error


def test_a_requester_following_an_automatic_incident_sees_it_named_in_their_language(app, client, clock, world):
    from statuspage.notify.messages import policy
    from statuspage.services import subscriptions

    incident_id = outage(app, clock)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        follower = subscriptions.follow_incident("ana@example.com", incident, language="de",
                                                 policy=policy(app.config["SETTINGS"]), now=clock.now())
        token = subscriptions.manage_token(follower, policy(app.config["SETTINGS"]))
    page = text(client, f"/subscribe/manage/{token}")
    assert NAMES["de"] in page and NAMES["en"] not in page

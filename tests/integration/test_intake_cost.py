"""What one ticket costs the worker that takes it in: the SQL statements it sends, and the sentences it
has encoded. Counted, so that a change that makes intake dearer fails here instead of on a busy day."""
from __future__ import annotations

import numpy as np
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import Ticket
from statuspage.support import candidates, semantic
from statuspage.support.text import ticket_text
from tests.builders import statements_sent
from tests.builders import EXAMPLE, INVOICE


def test_a_ticket_keeps_its_gist_and_serves_as_an_example_without_being_encoded_again(app, client, outage, intake):
    response = client.post("/api/v1/tickets", json=EXAMPLE, headers=intake)
    assert response.get_json()["status"] == "suppressed" and response.get_json()["match"]["score"] >= 0.8
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        stored = np.frombuffer(ticket.gist, dtype=np.float32)
        assert np.array_equal(stored, semantic.text_gist(ticket_text(ticket.subject, ticket.body))[0])
        encoder = semantic.encoder()
        encoded = encoder.encoded
        examples = candidates.snapshot().examples()
        assert encoder.encoded == encoded          # read from the column, not encoded again
        assert np.array_equal(examples[outage].linked, stored[None, :])


def test_a_ticket_stored_without_a_gist_is_encoded_when_it_becomes_an_example(app, client, outage, intake):
    client.post("/api/v1/tickets", json=EXAMPLE, headers=intake)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        expected = semantic.text_gist(ticket_text(ticket.subject, ticket.body))[0]
        ticket.gist = None       # taken in before the gist was kept
        db.session.commit()
        candidates.forget()
        assert np.array_equal(candidates.snapshot().examples()[outage].linked, expected[None, :])


def test_the_encoder_keeps_no_ticket_sentences(app, client, outage, intake):
    """No two tickets say the same: a cache of their sentences would only flatter a benchmark that sends the
    same texts again (and hold memory)."""
    client.post("/api/v1/tickets", json={**INVOICE, "body": "Unique words: the purple walrus invoice question."},
                headers=intake)
    assert not any("purple walrus" in sentence for sentence in semantic.encoder()._kept)


def statements_for(app, client, ticket: dict, headers: dict) -> list[str]:
    with statements_sent(app) as statements:
        response = client.post("/api/v1/tickets", json=ticket, headers=headers)
    assert response.status_code in (200, 201), response.get_json()
    return statements


def test_a_ticket_costs_a_fixed_few_statements(app, client, outage, intake):
    """Nine for a suppressed ticket whose requester follows the incident already (the token, the external_id, both
    change counters, new examples, the incident with its updates for the reply, the requester's standing, the
    ticket, the audit entry, the answer), seven for an accepted one, on either database. Was fourteen and eight:
    the counters read apart, the requester's subscriptions loaded whole to learn one thing, and the incident's
    updates read apart from it."""
    client.post("/api/v1/tickets", json={**EXAMPLE, "external_id": "first"}, headers=intake)   # now a follower
    suppressed = statements_for(app, client, {**EXAMPLE, "external_id": "second"}, headers=intake)
    accepted = statements_for(app, client, {**INVOICE, "external_id": "third"}, headers=intake)
    assert len(suppressed) <= 9, "\n".join(suppressed)
    assert len(accepted) <= 7, "\n".join(accepted)


def test_the_matcher_reads_a_snapshot_once_and_never_serves_another_snapshots_readings():
    from datetime import datetime, timezone

    from statuspage.support.matching import Candidate, ComponentInfo, _ready

    components = (ComponentInfo("api", "API"), ComponentInfo("login", "Login"))
    started = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    first = Candidate(1, "incident", "API errors", ("Requests to the API fail with 502.",), ("api",), started,
                      "investigating")
    page, readings = _ready([first], components)
    assert _ready([first], components)[0] is page and _ready([first], components)[1] is readings  # a new list, same objects
    changed = Candidate(1, "incident", "API errors", ("Requests to the API fail with 502.", "Sign-in fails too."),
                        ("api", "login"), started, "identified")
    again = _ready([changed], components)[1]
    assert again is not readings and again[0].candidate is changed
    equal = components[:1] + components[1:]     # equal, not the same: another snapshot's, so read again
    assert equal is not components and _ready([first], equal)[1] is not readings


def test_an_incidents_examples_are_stacked_once_per_new_link(app, client, outage, intake):
    client.post("/api/v1/tickets", json={**EXAMPLE, "external_id": "one"}, headers=intake)
    with app.app_context():
        known = candidates.snapshot()
        first = known.examples()[outage].linked
        assert known.examples()[outage].linked is first and not first.flags.writeable   # nothing new: not copied
    client.post("/api/v1/tickets", json={**EXAMPLE, "external_id": "two"}, headers=intake)
    with app.app_context():
        grown = candidates.snapshot().examples()[outage].linked
        assert len(grown) == 2 and np.array_equal(grown[:1], first)


def test_a_ticket_from_staging_is_read_for_its_components_without_encoding_a_sentence(app, client, outage, intake):
    """It is never matched, so only its words are read (for the suspected-incident count): the sentence
    vectors read_ticket would make cost most of a ticket and went unused."""
    client.post("/api/v1/tickets", json=EXAMPLE, headers=intake)     # the encoder and the snapshot are warm
    encoder = semantic.encoder()
    encoded = encoder.encoded
    response = client.post("/api/v1/tickets", json={**EXAMPLE, "external_id": "staging", "environment": "staging"},
                           headers=intake)
    assert response.status_code == 201 and response.get_json()["status"] == "accepted"
    assert encoder.encoded == encoded
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.external_id == "staging"))
        assert ticket.component_slug == "dashboard" and ticket.language == "de"

"""`statuspage tickets fit PATH...`: fit the matcher's weights (model.py) on labelled scenarios.

Each scenario is built in a fresh temporary SQLite database through the same services as the
evaluation (evaluation.load_scenario), and its open incidents are read exactly as the intake hook reads
them (candidates.py). Every ticket is then weighed against every incident open at its time; the pair is
a positive when the label names that incident. Tickets from staging or development never reach the
matcher and are left out. Tickets are taken in file order, and the ones labelled before a ticket serve as
the linked tickets of their incident (as an agent's links would), so the weight of "resembles tickets
already linked" is learned as it is used.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import create_app
from ..database_admin import upgrade_to_head
from ..extensions import db
from . import candidates as kept
from .evaluation import Source, load_scenario, read_scenario, read_tickets
import numpy as np

from .evidence import NO_EXAMPLES, Candidate, ComponentInfo, Examples
from .evidence import Reader, read_ticket
from .matching import TicketText, _aware, _incident, _page
from .model import Model, fit
from .text import detect_language, ticket_text

@dataclass
class Labelled:
    record: dict
    ticket: TicketText
    language: str


@dataclass
class Built:
    """A scenario's page as the hook sees it, its incidents by key, and its tickets."""

    components: tuple[ComponentInfo, ...]
    candidates: tuple[Candidate, ...]
    keys: dict[int, str]
    tickets: list[Labelled]


def build(source: Source, *, now: datetime) -> Built:
    scenario = read_scenario(source.scenario_file)
    records = read_tickets(source.tickets_file, scenario)
    with tempfile.TemporaryDirectory() as directory:
        app = create_app({"database_url": f"sqlite:///{directory}/fit.db", "instance_dir": Path(directory),
                          "secret_key": "fit"})
        try:
            with app.app_context():
                upgrade_to_head()
                ids = load_scenario(scenario, now=now, tz=app.config["SETTINGS"].tz)
                snapshot = kept.snapshot()
                db.session.remove()
                db.engine.dispose()
        finally:
            app.extensions["statuspage.site_version_reader"].close_all()
    tickets = []
    for record in records:
        t = record["ticket"]
        if (t.get("environment") or "production") != "production":
            continue
        ticket = TicketText(t.get("subject", ""), t.get("body", ""), (t.get("component") or "").lower() or None,
                            None, now)
        tickets.append(Labelled(record, ticket, detect_language(ticket_text(ticket.subject, ticket.body))))
    return Built(snapshot.components, snapshot.candidates, {i: k for k, i in ids.items()}, tickets)


def rows(built: Built) -> tuple[list[dict[str, float]], list[int], list[tuple[str, int, str | None, bool]]]:
    """Evidence per (ticket, open incident), its label, and (ticket id, incident id, expected key, whether
    earlier tickets were linked). Each pair
    is there twice: once as if no ticket had been linked yet, once with the tickets labelled before it
    linked, so the weights serve an incident's first ticket and its hundredth."""
    out, labels, index = [], [], []
    linked: dict[int, list[np.ndarray]] = {c.incident_id: [] for c in built.candidates}
    page = _page(built.components)
    readings = [_incident(c, built.components) for c in built.candidates]
    key_to_id = {k: i for i, k in built.keys.items()}
    for item in built.tickets:
        reading = read_ticket(ticket_text(item.ticket.subject, item.ticket.body), item.language, page)
        expected = item.record["expected"].get("incident")
        examples = {i: Examples(np.array(v[-200:], dtype=np.float32).reshape(-1, reading.whole.shape[1]),
                                NO_EXAMPLES.not_linked) for i, v in linked.items() if v}
        for known in ({}, examples):
            reader = Reader(reading, page, item.ticket.component, _aware(item.ticket.created_at), known)
            for inc in readings:
                out.append(reader.evidence(inc, readings).values)
                labels.append(int(built.keys.get(inc.candidate.incident_id) == expected))
                index.append((item.record["id"], inc.candidate.incident_id, expected, bool(known)))
        if key_to_id.get(expected) in linked:
            linked[key_to_id[expected]].append(reading.whole[0])
    return out, labels, index


def fit_sources(sources: list[Source], *, now: datetime, l2: float = 1.0, negative_weight: float = 1.5) -> Model:
    all_rows, all_labels = [], []
    for source in sources:
        r, y, _ = rows(build(source, now=now))
        all_rows += r
        all_labels += y
    names = ", ".join(s.name for s in sources)
    return fit(all_rows, all_labels, l2=l2, negative_weight=negative_weight,
               about=f"fitted on {len(all_labels)} ticket-incident pairs from: {names}")

"""`statuspage tickets fit`: build each scenario in a fresh temporary SQLite database (an app of its own)
and fit the matcher's weights on the evidence support/training.py:rows computes from it. Building an app
is the CLI's business, so it lives here; the evidence and the fit are support/'s.
"""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from .. import create_app
from ..database_admin import upgrade_to_head
from ..extensions import db
from ..support import candidates as kept
from ..support.evaluation import Source, load_scenario, read_scenario, read_tickets
from ..support.matching import TicketText
from ..support.model import Model, fit
from ..support.text import detect_language, ticket_text
from ..support.training import Built, Labelled, rows


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


def fit_sources(sources: list[Source], *, now: datetime, l2: float = 1.0, negative_weight: float = 1.5) -> Model:
    all_rows, all_labels = [], []
    for source in sources:
        r, y, _ = rows(build(source, now=now))
        all_rows += r
        all_labels += y
    names = ", ".join(s.name for s in sources)
    return fit(all_rows, all_labels, l2=l2, negative_weight=negative_weight,
               about=f"fitted on {len(all_labels)} ticket-incident pairs from: {names}")

"""`statuspage tickets evaluate FILE`: replay a labelled ticket file against a fresh database holding the
scenario it was labelled against, and score the decisions (precision, recall, incident accuracy).

The tickets go through take_ticket, exactly as the intake hook's requests do; nothing is special-cased.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import create_app
from ..database_admin import upgrade_to_head
from ..extensions import db
from ..services import components, incidents
from ..services.audit import Actor
from . import intake
from .matching import Scores, score

EVALUATION = Actor(label="evaluation")


@dataclass(frozen=True)
class Miss:
    ticket_id: str
    expected: str | None
    got: str | None
    score: float
    reasons: tuple[str, ...]


def load_scenario(scenario: dict, *, now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """Create the scenario's groups, components, incidents (with their updates) and maintenance.

    Open incidents started an hour ago, so the tickets (arriving now) come after them; returns
    {scenario key: incident id}.
    """
    groups = {g["name"]: components.create_group(g["name"], by=EVALUATION, now=now) for g in scenario["groups"]}
    group_of = {slug: groups[g["name"]].id for g in scenario["groups"] for slug in g["components"]}
    for component in scenario["components"]:
        components.create_component(slug=component["slug"], name=component["name"],
                                    description=component.get("description", ""),
                                    group_id=group_of.get(component["slug"]), by=EVALUATION, now=now)
    ids = {}
    for n, spec in enumerate(scenario["incidents"]):
        started = now - timedelta(hours=1, minutes=n)
        first, *later = spec["updates"]
        incident = incidents.open_incident(name=spec["name"], impact=spec.get("impact", "minor"), body=first["body"],
                                           status=first["status"], components=spec["components"],
                                           started_at=started, by=EVALUATION, now=started)
        for step, update in enumerate(later, start=1):
            incidents.post_update(incident.id, status=update["status"], body=update["body"], by=EVALUATION,
                                  now=started + timedelta(minutes=10 * step))
        ids[spec["key"]] = incident.id
    for spec in scenario.get("maintenances", []):
        day = (now.astimezone(tz) + timedelta(days=spec["starts_in_days"])).date()
        starts = datetime.combine(day, time.fromisoformat(spec["local_start"]), tz)
        window = incidents.schedule_maintenance(
            name=spec["name"], body=spec.get("body", ""), components=spec["components"], scheduled_for=starts,
            scheduled_until=starts + timedelta(hours=spec["duration_hours"]), by=EVALUATION, now=now)
        ids[spec["key"]] = window.id
    return ids


def evaluate(tickets_file: Path, scenario_file: Path, *, now: datetime) -> tuple[Scores, list[Miss]]:
    """Score every labelled ticket in a fresh, temporary SQLite database."""
    scenario = json.loads(scenario_file.read_text(encoding="utf-8"))
    records = [json.loads(line) for line in tickets_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as directory:
        app = create_app({"database_url": f"sqlite:///{directory}/evaluation.db", "instance_dir": Path(directory),
                          "secret_key": "evaluation"})
        with app.app_context():
            upgrade_to_head()
            ids = load_scenario(scenario, now=now, tz=app.config["SETTINGS"].tz)
            keys = {incident_id: key for key, incident_id in ids.items()}
            pairs, misses = [], []
            for record in records:
                body = {**record["ticket"], "external_id": f"eval-{record['id']}"}
                ticket, _new = intake.take_ticket(intake.ticket_in(body), by=EVALUATION, now=now)
                expected, got = record["expected"].get("incident"), keys.get(ticket.incident_id)
                pairs.append((expected, got))
                if expected != got:
                    misses.append(Miss(record["id"], expected, got, ticket.match_score, tuple(ticket.match_reasons)))
            db.session.remove()
            db.engine.dispose()
        app.extensions["statuspage.site_version_reader"].close_all()
    return score(pairs), misses

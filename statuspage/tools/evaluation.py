"""`statuspage tickets evaluate`: the replay that builds a fresh app and database per scenario and takes
its tickets through the intake hook's function. Reading the files, loading a scenario and presenting the
figures are support/evaluation.py's; building an app is the CLI's business, so it lives here, beside it.
"""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from .. import create_app
from ..database_admin import drop_everything, upgrade_to_head
from ..errors import AppError
from ..extensions import db
from ..support import intake
from ..support.evaluation import (
    EVALUATION,
    EvaluationError,
    Outcome,
    Report,
    Source,
    load_scenario,
    read_scenario,
    read_tickets,
)


def replay(source: Source, *, now: datetime, database_url: str | None = None) -> Report:
    """Build the scenario in a fresh, temporary SQLite database (or in `database_url`, emptied first: a
    benchmark's, never a live site's) and take every ticket in it, as the hook does."""
    scenario = read_scenario(source.scenario_file)
    records = read_tickets(source.tickets_file, scenario)
    with tempfile.TemporaryDirectory() as directory:
        app = create_app({"database_url": database_url or f"sqlite:///{directory}/evaluation.db",
                          "instance_dir": Path(directory), "secret_key": "evaluation"})
        try:
            with app.app_context():
                try:
                    if database_url:
                        drop_everything()
                    upgrade_to_head()
                    try:
                        ids = load_scenario(scenario, now=now, tz=app.config["SETTINGS"].tz)
                    except AppError as error:
                        raise EvaluationError(f"{source.scenario_file}: {error.message}") from None
                    keys: dict[int | None, str] = {incident_id: key for key, incident_id in ids.items()}
                    outcomes = []
                    for record in records:
                        body = {**record["ticket"], "external_id": f"eval-{record['id']}"}
                        try:
                            ticket, _new = intake.take_ticket(intake.ticket_in(body), by=EVALUATION, now=now)
                        except AppError as error:
                            raise EvaluationError(f"{source.tickets_file}: ticket {record['id']}: "
                                                  f"{error.message}") from None
                        outcomes.append(Outcome(record["id"], str(record.get("lang") or "?"),
                                                record["expected"].get("incident"), keys.get(ticket.incident_id),
                                                ticket.match_score, tuple(ticket.match_reasons)))
                finally:
                    db.session.remove()
                    db.engine.dispose()
        finally:
            app.extensions["statuspage.site_version_reader"].close_all()
    return Report(source, tuple(outcomes))

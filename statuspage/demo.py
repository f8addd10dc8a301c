"""A realistic demo page: 12 components in 3 groups, 90 days of history (incidents, and the runs of the demo's
health checks: demo_checks.py), one open incident, one maintenance."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .extensions import db
from .models import Component, IncidentStatus, Role, User
from .monitoring import checks
from .services import accounts, components, demo_checks, incidents, message_templates
from .services.audit import Actor

DEMO = Actor(label="demo")
DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_ADMIN_PASSWORD = "demo-password"  # the demo only: a real site makes its users with create-user

GROUPS = {
    "Web": [("website", "Website", "The public website"), ("dashboard", "Dashboard", "Where customers work"),
            ("login", "Sign-in", "Single sign-on and passwords"), ("cdn", "CDN", "Images, scripts and downloads")],
    "API": [("api", "REST API", "api.example.com"), ("webhooks", "Webhooks", "Outgoing event deliveries"),
            ("graphql", "GraphQL API", "graphql.example.com"), ("search", "Search", "Full-text search")],
    "Infrastructure": [("database", "Database", "Primary PostgreSQL cluster"),
                       ("email", "Email delivery", "Notifications and sign-in codes"),
                       ("storage", "File storage", "Uploads and exports"),
                       ("jobs", "Background jobs", "Imports, reports and scheduled tasks")],
}

PAST = [
    ("Elevated API error rates", "minor", "api", "degraded_performance",
     "Some API requests return 502.", "A faulty load balancer node was removed."),
    ("Delayed email delivery", "minor", "email", "degraded_performance",
     "Emails reach inboxes with a delay of up to 30 minutes.", "The mail queue has drained."),
    ("Dashboard slow to load", "minor", "dashboard", "degraded_performance",
     "Dashboard pages take up to 20 seconds to load.", "A slow database query was fixed."),
    ("Search results incomplete", "major", "search", "partial_outage",
     "Search returns no results for some workspaces.", "The search index was rebuilt."),
    ("File uploads failing", "major", "storage", "partial_outage",
     "Uploads larger than 10 MB fail.", "A storage node ran out of disk; capacity was added."),
    ("Sign-in unavailable", "critical", "login", "major_outage",
     "Nobody can sign in right now.", "An expired certificate was replaced."),
]

# Incident templates ({components} and {site} are filled in when one is chosen; see message_templates.py).
TEMPLATES = [
    ("Outage", "{components} unavailable", "major",
     "We are investigating reports that {components} does not respond. Next update within 30 minutes."),
    ("Slow responses", "{components} slow", "minor",
     "Some requests to {components} take longer than usual. We are looking into it."),
]


def is_empty() -> bool:
    """True when there are no components and no users yet."""
    return (db.session.scalar(select(Component.id).limit(1)) is None
            and db.session.scalar(select(User.id).limit(1)) is None)


def load_demo(*, now: datetime, seed: int = 7) -> None:
    """Fill an empty database with the demo page and a demo admin (see is_empty)."""
    rng = random.Random(seed)
    accounts.create_user(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, role=Role.ADMIN, name="Demo admin", by=DEMO, now=now)
    for group_name, members in GROUPS.items():
        group = components.create_group(group_name, by=DEMO, now=now - timedelta(days=120))
        for slug, name, description in members:
            components.create_component(slug=slug, name=name, description=description, group_id=group.id,
                                        by=DEMO, now=now - timedelta(days=120))
    for day in sorted(rng.sample(range(2, 90), 14), reverse=True):
        name, impact, slug, status, first, last = rng.choice(PAST)
        started = (now - timedelta(days=day)).replace(hour=rng.randrange(6, 22), minute=rng.randrange(60))
        incident = incidents.open_incident(name=name, impact=impact, body=first, components={slug: status},
                                           started_at=started, by=DEMO, now=started)
        incidents.post_update(incident.id, status=IncidentStatus.IDENTIFIED, body="We found the cause.",
                              by=DEMO, now=started + timedelta(minutes=rng.randrange(10, 40)))
        incidents.resolve_incident(incident.id, last, by=DEMO, now=started + timedelta(minutes=rng.randrange(45, 180)))
    opened = now - timedelta(minutes=50)
    incident = incidents.open_incident(
        name="Dashboard and sign-in unavailable", impact="major", status="investigating",
        body="We are investigating reports that the **dashboard** does not load and sign-in fails.",
        components={"dashboard": "major_outage", "login": "partial_outage"}, by=DEMO, now=opened)
    incidents.post_update(incident.id, status="identified", by=DEMO, now=opened + timedelta(minutes=20),
                          body="A failed deployment of the session service is the cause. We are rolling it back.")
    incidents.post_update(incident.id, status="identified", by=DEMO, now=opened + timedelta(minutes=40),
                          body="The rollback is under way; sign-in works again for some customers.",
                          components={"login": "degraded_performance"})
    window = (now + timedelta(days=7)).replace(hour=21, minute=0, second=0, microsecond=0)
    incidents.schedule_maintenance(
        name="Database version upgrade", components=["database"], by=DEMO, now=now,
        scheduled_for=window, scheduled_until=window + timedelta(hours=2),
        body="We will upgrade the primary database. The dashboard may be read-only for up to 10 minutes.")
    for name, title, impact, body in TEMPLATES:  # so the composer's "templates at the top" has some to show
        message_templates.save_template(None, name=name, title=title, impact=impact, body=body, by=DEMO, now=now)
    checks_dir = current_app.config["SETTINGS"].checks_dir
    if checks_dir.is_dir():  # the demo's checks (checks/demo.toml), with 90 days behind them
        checks.sync_files(checks_dir, by=DEMO, now=now)
        demo_checks.seed_history(now=now, seed=seed)

"""Alerts in, from Prometheus Alertmanager and Grafana: each alert firing or resolved, to incidents.

The rules, per alert (never by the group's status: one notification carries firing and resolved alerts):
- an alert names its component by the label `statuspage_component=<slug>` and the status it gives it by
  `statuspage_status=<component status>` (degraded_performance, partial_outage or major_outage; default
  partial_outage). Without the label, or with an unknown slug, the alert is recorded and changes nothing;
- every alert is one row per firing, found again by (source, fingerprint, startsAt): Alertmanager resends
  whole groups, so only a change (new firing, firing -> resolved) does anything, and a resend does nothing;
- a firing alert joins the open incident on its component (one incident per outage, whoever opened it)
  or opens an automatic one, public or a console draft (STATUSPAGE_ALERTS_PUBLISH); during the component's
  maintenance it opens nothing, as health checks do;
- an incident a person opened or has written on wins: the alert is recorded and attached, the person's
  words and statuses stay; only an automatic incident nobody has touched is moved by alerts;
- when no alert of a component fires any more, its automatic incidents give it back (operational) and are
  resolved unless another component of theirs, or a failing health check, still keeps them open
  (monitoring/policy.py does the same for checks, and leaves an incident that firing alerts hold).
Like the check policy it reads state, not events: receiving the same notification twice changes nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..database import transaction
from ..errors import AppError
from ..extensions import db
from ..models import (
    AlertSource, Component, ComponentStatus, Incident, IncidentStatus, ReceivedAlert, Role,
)
from ..services import audit, incidents
from ..services.audit import Actor
from ..system_text import incidents as says
from . import policy

log = logging.getLogger(__name__)

COMPONENT_LABEL = "statuspage_component"
STATUS_LABEL = "statuspage_status"
MESSAGE_ANNOTATION = "statuspage_message"  # optional public words for the incident's first update
DEFAULT_STATUS = ComponentStatus.PARTIAL_OUTAGE
FAILURE_STATUSES = (ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.PARTIAL_OUTAGE,
                    ComponentStatus.MAJOR_OUTAGE)
ATTEMPTS = 3  # a unit of work that lost a race with a concurrent notification is run again


class Busy(AppError):
    """The alerts could not be stored for now (a concurrent change won every attempt): 503, sent again later."""

    status = 503
    code = "busy"
    headers = {"Retry-After": "5"}


@dataclass(frozen=True)
class AlertIn:
    """One alert of a notification, as both senders describe it."""

    fingerprint: str
    starts_at: datetime
    ends_at: datetime | None
    is_firing: bool
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")[:200]


@dataclass
class Outcome:
    """What one alert did, for the answer to the sender (and the person reading its logs)."""

    fingerprint: str
    status: str
    component: str | None
    result: str  # opened, joined, resolved, recorded, repeat, ignored
    incident_id: int | None = None
    note: str = ""
    held: bool = False  # an incident a person manages held it: recorded, their status stays (console only)

    def as_json(self) -> dict[str, object]:
        return {"fingerprint": self.fingerprint, "status": self.status, "component": self.component,
                "result": self.result, "incident_id": self.incident_id, **({"note": self.note} if self.note else {})}


def actor_for(source: AlertSource, name: str) -> Actor:
    """Changes alerts make are signed by the sender and the alert, in the audit log and on updates."""
    return Actor(label=f"alert:{source.value}:{name or 'unnamed'}"[:200], role=Role.ADMIN)


def receive(source: AlertSource, alerts: list[AlertIn], *, publish: bool, now: datetime) -> list[Outcome]:
    """Record a notification's alerts and bring their components' incidents in line, in one transaction.

    A concurrent notification about the same alert or component (two Alertmanagers of a cluster, a resend
    crossing the first) may win a race for a row: the whole unit of work runs again, and it is 503 (which
    senders retry) only when that keeps happening.
    """
    for attempt in range(ATTEMPTS):
        try:
            return _receive(source, alerts, publish=publish, now=now)
        except (IntegrityError, StaleDataError):
            db.session.rollback()
            log.info("alerts from %s lost a race (attempt %d)", source.value, attempt + 1)
    raise Busy(message="Other alerts about the same components were being stored at the same moment; send again.")


def _receive(source: AlertSource, alerts: list[AlertIn], *, publish: bool, now: datetime) -> list[Outcome]:
    outcomes = []
    with transaction():
        slugs = sorted({alert.labels.get(COMPONENT_LABEL, "") for alert in alerts} - {""})
        # Lock the components first, in one order: notifications about the same component take turns
        # (PostgreSQL; SQLite's writers take turns anyway), so two of them never open two incidents.
        components = {c.slug: c for c in db.session.scalars(
            select(Component).where(Component.slug.in_(slugs)).order_by(Component.id).with_for_update())}
        touched: dict[int, list[tuple[ReceivedAlert, Outcome]]] = {}
        rows = []
        for alert in alerts:
            row, outcome = _record(source, alert, components, now=now)
            outcomes.append(outcome)
            rows.append((row, outcome))
            if row.component_id is not None:  # resends too: the rules read state, so they catch up (a
                touched.setdefault(row.component_id, []).append((row, outcome))  # window that ended, say)
        db.session.flush()
        by_id = {component.id: component for component in components.values()}
        for component_id in sorted(touched):
            _reconcile(by_id[component_id], source, touched[component_id], publish=publish, now=now)
        for row, outcome in rows:
            _keep_result(row, outcome)
    return outcomes


def _keep_result(row: ReceivedAlert, outcome: Outcome) -> None:
    """What the alert did, on its row for the console. A resend keeps what the alert did before, and so does a
    resolution that changed nothing (another alert still holds the incident it opened)."""
    if row.result and (outcome.result == "repeat" or (outcome.result == "recorded" and not outcome.held)):
        return
    if outcome.held:
        row.result = "person"
    elif outcome.result in ("opened", "joined", "resolved"):
        row.result = outcome.result
    else:
        row.result = "recorded"
    row.note = outcome.note[:300]


def _record(source: AlertSource, alert: AlertIn, components: dict[str, Component], *,
            now: datetime) -> tuple[ReceivedAlert, Outcome]:
    """The alert's row, new or found again, and what became of it."""
    slug = alert.labels.get(COMPONENT_LABEL, "")
    outcome = Outcome(alert.fingerprint, "firing" if alert.is_firing else "resolved", slug or None, "recorded")
    row = db.session.scalar(select(ReceivedAlert).where(
        ReceivedAlert.source == source, ReceivedAlert.fingerprint == alert.fingerprint,
        ReceivedAlert.starts_at == alert.starts_at))
    if row is not None:
        row.updated_at = now
        outcome.incident_id = row.incident_id
        if row.is_firing and not alert.is_firing:
            row.is_firing, row.ends_at, row.resolved_at = False, alert.ends_at or now, now
            return row, outcome
        outcome.result = "repeat"  # a resend (or a late firing after its resolution: resolved stays resolved)
        return row, outcome
    status, outcome.note = _failure_status(alert.labels.get(STATUS_LABEL))
    component = components.get(slug)
    if component is None:
        outcome.result = "ignored"
        outcome.note = (f"no component has the slug {slug!r}" if slug else
                        f"no {COMPONENT_LABEL} label: recorded, changes nothing")
    row = ReceivedAlert(
        source=source, fingerprint=alert.fingerprint, starts_at=alert.starts_at,
        ends_at=None if alert.is_firing else (alert.ends_at or now), name=alert.name,
        component_slug=slug[:64], component_id=component.id if component else None, failure_status=status,
        is_firing=alert.is_firing, labels=alert.labels, annotations=alert.annotations,
        generator_url=alert.generator_url[:2000], received_at=now, updated_at=now,
        resolved_at=None if alert.is_firing else now)
    db.session.add(row)
    return row, outcome


def _failure_status(label: str | None) -> tuple[ComponentStatus, str]:
    if label is None or label == "":
        return DEFAULT_STATUS, ""
    if label in {status.value for status in FAILURE_STATUSES}:
        return ComponentStatus(label), ""
    return DEFAULT_STATUS, (f"{STATUS_LABEL}={label!r} is not one of "
                            f"{', '.join(s.value for s in FAILURE_STATUSES)}: {DEFAULT_STATUS.value} used")


def managed_by_person(incident: Incident) -> bool:
    """Opened by a person, or written on by one (a console user or an API token): then it is theirs."""
    if not incident.automatic:
        return True
    return any(update.author_id is not None or update.author_name.startswith("token:")
               for update in incident.updates)


def _linked(component_id: int) -> list[Incident]:
    """Open incidents the component's alerts are attached to: published first, then a person's, oldest first."""
    found = db.session.scalars(select(Incident).where(Incident.id.in_(
        select(ReceivedAlert.incident_id).where(ReceivedAlert.component_id == component_id))))
    open_ = [incident for incident in found if not incident.is_closed]
    return sorted(open_, key=lambda i: (not i.is_published, i.automatic, i.id))


def _reconcile(component: Component, source: AlertSource, changed: list[tuple[ReceivedAlert, Outcome]], *,
               publish: bool, now: datetime) -> None:
    firing = list(db.session.scalars(select(ReceivedAlert).where(
        ReceivedAlert.component_id == component.id, ReceivedAlert.is_firing).order_by(ReceivedAlert.id)))
    linked = _linked(component.id)
    # A firing alert whose incident was closed while it fired was closed by a person (the rules never
    # resolve what a firing alert holds): resolved by hand, or a draft dismissed. It stays with that incident
    # and opens no other, at any resend; the same labels firing anew (a new startsAt) count again.
    open_ids = {incident.id for incident in linked}
    settled = [alert for alert in firing if alert.incident_id is not None and alert.incident_id not in open_ids]
    for row, outcome in changed:
        if row in settled and outcome.result == "recorded":
            outcome.note = "its incident was closed by a person while it fired: recorded"
    firing = [alert for alert in firing if alert not in settled]
    if firing:
        _failing(component, source, firing, linked, changed, publish=publish, now=now)
    else:
        _recovered(component, source, linked, changed, now=now)


def _failing(component: Component, source: AlertSource, firing: list[ReceivedAlert], linked: list[Incident],
             changed: list[tuple[ReceivedAlert, Outcome]], *, publish: bool, now: datetime) -> None:
    if policy.in_maintenance(component):
        for _row, outcome in changed:
            if outcome.result == "recorded":
                outcome.note = "the component is in maintenance: recorded, no incident opened"
        return
    worst = max((alert.failure_status for alert in firing), key=lambda status: status.severity)
    lead = max(firing, key=lambda alert: (alert.failure_status.severity, -alert.id))
    by = actor_for(source, lead.name)
    incident = (linked[0] if linked else None) or incidents.open_incident_on(component.id, published=True)
    result = "joined"
    if incident is None:
        message = (lead.annotations or {}).get(MESSAGE_ANNOTATION)
        incident = incidents.open_incident(
            name=says.check_failing_name(component.name, worst), impact=policy.IMPACT_OF[worst],
            body=message[:2000] if isinstance(message, str) and message.strip() else says.alert_firing_body(
                component.name),
            components={component.slug: worst.value}, published=publish, by=by, now=now)
        incident.automatic = True
        result = "opened"
        log.info("incident #%s opened by alert %s on %s", incident.id, lead.name, component.slug)
        if publish:
            for suspected in incidents.suspected_incidents():
                if component.id in {link.component_id for link in suspected.affected}:
                    incidents.merge_suspected(suspected, incident, by=by, now=now)
    elif not managed_by_person(incident):
        held = next((link.status for link in incident.affected if link.component_id == component.id), None)
        if incident.status == IncidentStatus.MONITORING or held is None or worst.severity > held.severity:
            incidents.post_update(incident.id, status=IncidentStatus.INVESTIGATING,
                                  components={component.slug: worst.value},
                                  body=says.alert_failing_again_body(component.name), by=by, now=now)
    for alert in firing:
        if alert.incident_id != incident.id:
            alert.incident_id = incident.id
            if alert is lead and result == "opened":
                continue  # "opened incident" says it already
            audit.record(actor_for(source, alert.name), "alert.attach", incident,
                         summary=f"{alert.name or alert.fingerprint} on {component.slug}: firing",
                         details={"fingerprint": alert.fingerprint, "starts_at": alert.starts_at.isoformat(),
                                  "labels": alert.labels}, now=now)
    for row, outcome in changed:
        outcome.incident_id = row.incident_id
        if row.is_firing and outcome.result == "recorded":
            outcome.result = result if row is lead else "joined"
            if managed_by_person(incident):
                outcome.note = "an incident a person manages is open: recorded, its status stays as they set it"
                outcome.held = True


def _recovered(component: Component, source: AlertSource, linked: list[Incident],
               changed: list[tuple[ReceivedAlert, Outcome]], *, now: datetime) -> None:
    fresh = [(row, outcome) for row, outcome in changed if outcome.result != "repeat"]
    lead = (fresh or changed)[0][0]
    by = actor_for(source, lead.name)
    for incident in linked:
        if incident.is_closed:
            continue
        for row, _outcome in fresh:
            if row.incident_id == incident.id:
                audit.record(actor_for(source, row.name), "alert.resolve", incident,
                             summary=f"{row.name or row.fingerprint} on {component.slug}: resolved",
                             details={"fingerprint": row.fingerprint, "starts_at": row.starts_at.isoformat()},
                             now=now)
        if managed_by_person(incident):
            for row, outcome in fresh:
                if row.incident_id == incident.id:
                    outcome.held = True
            continue  # theirs to resolve
        if policy.down_checks(component.id):
            continue  # a failing health check holds the component: the check policy lets it go
        still_failing = policy.alerts_firing(incident.id) or any(
            policy.down_checks(link.component_id) for link in incident.affected if link.component_id != component.id)
        status = IncidentStatus.MONITORING if still_failing else IncidentStatus.RESOLVED
        incidents.post_update(incident.id, status=status,
                              components={component.slug: ComponentStatus.OPERATIONAL.value},
                              body=says.alert_resolved_body(component.name, resolved=not still_failing),
                              by=by, now=now)
        log.info("incident #%s %s: alerts on %s resolved", incident.id, status.value, component.slug)
        for row, outcome in fresh:
            if row.incident_id == incident.id:
                outcome.result = "resolved"
    for row, outcome in changed:
        outcome.incident_id = row.incident_id


def received(*, page: int, per_page: int, incident_id: int | None = None) -> tuple[list[ReceivedAlert], bool]:
    """Received alerts for the console, newest first (by when they were first seen), one page of them, and
    whether an older page follows; only those attached to `incident_id` when it is given."""
    query = select(ReceivedAlert).order_by(ReceivedAlert.received_at.desc(), ReceivedAlert.id.desc())
    if incident_id is not None:
        query = query.where(ReceivedAlert.incident_id == incident_id)
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    return rows[:per_page], len(rows) > per_page


def count_for(incident_id: int) -> int:
    """How many received alerts are attached to the incident (its console page links to them)."""
    return db.session.scalar(select(func.count()).select_from(ReceivedAlert)
                             .where(ReceivedAlert.incident_id == incident_id)) or 0

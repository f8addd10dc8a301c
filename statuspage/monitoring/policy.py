"""From confirmed check states to incidents: open, attach, update and resolve, per component.

The rules, in the order they apply:
- a component is failing while any of its enabled checks is confirmed down (N failures in a row);
- during its maintenance window a failing component opens nothing (the window says enough);
- one incident per outage: an open public incident on the component (an engineer's or an automatic
  one) takes the failure; only when there is none does the check open an automatic incident. A
  suspected incident (unpublished, from support tickets) never counts: a confirmed outage always
  reaches the page, and the suspected incident is merged into the check's (services/incidents.py
  merge_suspected says why that way round);
- recovery (M successes in a row) posts an update and resolves the automatic incident, or leaves it in
  `monitoring` for an engineer when STATUSPAGE_CHECKS_AUTO_RESOLVE=0; an engineer's incident is never
  changed by a check, only let go; so is an automatic incident that firing alerts (monitoring/alerts.py)
  still hold: the check lets it go, and the alerts' resolution resolves it;
- a flapping check (FLAP_CHANGES state changes within FLAP_WINDOW) posts nothing more until it has been
  stable for a whole window, so the page, the feed and subscribers are not flooded.
It is idempotent: it looks at the state, not at what happened, so running it twice changes nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from ..database import transaction
from ..extensions import db
from ..models import (
    AffectedComponent, Check, Component, ComponentStatus, Impact, Incident, IncidentKind, IncidentStatus,
    ReceivedAlert, Role,
)
from ..models.incidents import ACTIVE_MAINTENANCE_STATUSES
from ..notify import outbox
from ..services import audit, incidents
from ..services.audit import Actor
from ..system_text import incidents as says

log = logging.getLogger(__name__)
FLAP_WINDOW = timedelta(minutes=30)
FLAP_CHANGES = 4
IMPACT_OF = {ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR, ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
             ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL}


def actor_for(check: Check) -> Actor:
    """Automatic changes are signed by the check that caused them, in the audit log and on updates."""
    return Actor(label=f"check:{check.key}", role=Role.ADMIN)


def is_flapping(check: Check, now: datetime) -> bool:
    recent = [datetime.fromisoformat(at) for at in check.changed_at or []]
    return sum(1 for at in recent if now - at <= FLAP_WINDOW) >= FLAP_CHANGES


def reconcile(component_ids: Iterable[int], *, now: datetime, auto_resolve: bool) -> None:
    """Bring each component's incidents in line with its checks; one component's trouble never stops the next."""
    for component_id in sorted(set(component_ids)):
        try:
            reconcile_component(component_id, now=now, auto_resolve=auto_resolve)
        except Exception:  # retried at the component's next result: the rules read state, not events
            log.exception("could not apply check results to component %s", component_id)
            db.session.rollback()


def reconcile_component(component_id: int, *, now: datetime, auto_resolve: bool) -> None:
    said: list[str] = []  # what a person watching the scheduler should read, once it is stored
    with transaction():
        component = db.session.get(Component, component_id)
        if component is None:
            return
        checks = list(db.session.scalars(select(Check).where(Check.component_id == component_id).order_by(Check.id)))
        linked = _open_linked(checks)
        down = [check for check in checks if check.is_down and check.enabled]
        flapping = any(is_flapping(check, now) for check in checks)
        if down:
            _failing(component, down, linked, flapping=flapping, now=now, said=said)
        else:
            _recovered(component, checks, linked, flapping=flapping, now=now, auto_resolve=auto_resolve, said=said)
    for line in said:
        log.info("%s", line)


def _open_linked(checks: list[Check]) -> dict[int, Incident]:
    """The open public incidents the component's checks are attached to; links to closed ones, and to
    suspected ones (which older versions let a check join), are dropped."""
    linked = {}
    for check in checks:
        if check.incident_id is None:
            continue
        incident = db.session.get(Incident, check.incident_id)
        if incident is None or incident.is_closed or not incident.is_published:
            check.incident_id = None
        else:
            linked[incident.id] = incident
    return linked


def _failing(component: Component, down: list[Check], linked: dict[int, Incident], *, flapping: bool,
             now: datetime, said: list[str]) -> None:
    if in_maintenance(component):
        return  # the window explains it; the component already shows under_maintenance
    worst = max((check.failure_status for check in down), key=lambda status: status.severity)
    lead = max(down, key=lambda check: check.failure_status.severity)
    incident = next(iter(sorted(linked.values(), key=lambda i: (not i.automatic, i.id))), None) \
        or incidents.open_incident_on(component.id, published=True)
    if incident is None:
        incident = incidents.open_incident(
            name=says.check_failing_name(component.name, worst), impact=IMPACT_OF[worst],
            body=says.check_failed_body(lead.name, lead.consecutive_failures, lead.last_error),
            components={component.slug: worst.value}, by=actor_for(lead), now=now)
        incident.automatic = True
        outbox.queue_alert_urls(incident, now=now)  # the engineers' chat and push (STATUSPAGE_ALERT_URLS)
        said.append(f"incident #{incident.id} opened by check {lead.key}: {incident.name}")
        for suspected in incidents.suspected_incidents():
            if component.id in {link.component_id for link in suspected.affected}:
                incidents.merge_suspected(suspected, incident, by=actor_for(lead), now=now)
                said.append(f"suspected incident #{suspected.id} merged into incident #{incident.id}")
    elif incident.automatic and not flapping:
        held = next((link.status for link in incident.affected if link.component_id == component.id), None)
        if incident.status == IncidentStatus.MONITORING or held is None or worst.severity > held.severity:
            incidents.post_update(
                incident.id, status=IncidentStatus.INVESTIGATING, components={component.slug: worst.value},
                body=says.check_failing_again_body(lead.name, lead.last_error), by=actor_for(lead), now=now)
            said.append(f"incident #{incident.id} investigating again: check {lead.key} fails")
    for check in down:
        if check.incident_id != incident.id:
            check.incident_id = incident.id
            if not incident.automatic or check is not lead:
                audit.record(actor_for(check), "check.attach", incident,
                             summary=f"{check.name}: {check.last_error or 'failing'}", now=now)
                said.append(f"check {check.key} joins incident #{incident.id}")


def _recovered(component: Component, checks: list[Check], linked: dict[int, Incident], *, flapping: bool,
               now: datetime, auto_resolve: bool, said: list[str]) -> None:
    for incident in linked.values():
        attached = [check for check in checks if check.incident_id == incident.id]
        if not incident.automatic:
            for check in attached:
                check.incident_id = None
                audit.record(actor_for(check), "check.detach", incident, summary=f"{check.name} passes again",
                             now=now)
            continue
        if flapping or (incident.status == IncidentStatus.MONITORING and not auto_resolve):
            continue  # unstable: wait for calm; or already handed to an engineer
        if alerts_firing(incident.id, component.id):
            for check in attached:
                check.incident_id = None  # Alertmanager or Grafana still says it is down: theirs to resolve
            continue
        still_failing = any(down_checks(link.component_id) for link in incident.affected
                            if link.component_id != component.id) or alerts_firing(incident.id)
        status = IncidentStatus.RESOLVED if auto_resolve and not still_failing else IncidentStatus.MONITORING
        lead = attached[0] if attached else checks[0]
        incidents.post_update(
            incident.id, status=status, components={component.slug: ComponentStatus.OPERATIONAL.value},
            body=says.check_passed_body(lead.name, lead.consecutive_successes, component.name,
                                        resolved=status == IncidentStatus.RESOLVED),
            by=actor_for(lead), now=now)
        said.append(f"incident #{incident.id} {status.value} by check {lead.key}: {component.name} works again")
        if status == IncidentStatus.RESOLVED:
            for check in attached:
                check.incident_id = None


def alerts_firing(incident_id: int, component_id: int | None = None) -> bool:
    """Whether an alert received from Alertmanager or Grafana and attached to the incident still fires (on
    the component, when given)."""
    query = select(ReceivedAlert.id).where(ReceivedAlert.incident_id == incident_id, ReceivedAlert.is_firing)
    if component_id is not None:
        query = query.where(ReceivedAlert.component_id == component_id)
    return db.session.scalar(query.limit(1)) is not None


def down_checks(component_id: int) -> bool:
    return db.session.scalar(select(Check.id).where(Check.component_id == component_id, Check.is_down,
                                                    Check.enabled).limit(1)) is not None


def in_maintenance(component: Component) -> bool:
    return db.session.scalar(
        select(Incident.id).join(AffectedComponent).where(AffectedComponent.component_id == component.id)
        .where(Incident.kind == IncidentKind.MAINTENANCE)
        .where(Incident.status.in_([s.value for s in ACTIVE_MAINTENANCE_STATUSES])).limit(1)) is not None
